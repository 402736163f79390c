"""``iklearn solve`` options: seeds, paths, solution sets, task and joint options; every bad value gives one
line on stderr and exit code 2."""

from __future__ import annotations

import numpy as np
import pytest

from iklearn.data.csvio import read_configurations_csv, write_csv, write_poses_csv
from iklearn.kinematics import fk, fk_pose, pose_error
from iklearn.robot import load_robot


@pytest.fixture
def panda_files(tmp_path):
    c = load_robot("panda")
    rng = np.random.default_rng(0)
    q = rng.uniform(c.finite_lower, c.finite_upper, (5, 7))
    q[:, 2] = 0.2  # reachable with joint 3 locked at 0.2
    q[:, 0] = np.clip(q[:, 0], -0.9, 0.9)
    targets = tmp_path / "t.csv"
    write_poses_csv(targets, fk_pose(c, q))
    return c, q, targets, tmp_path / "out.csv"


def _table(path):
    return np.genfromtxt(path, delimiter=",", names=True, dtype=None, encoding="utf-8")


def test_q0_and_seeds_are_used(cli, panda_files):
    c, q, targets, out = panda_files
    seeds = out.parent / "seeds.csv"
    write_csv(seeds, [f"q{i}" for i in range(7)], q)  # the true configurations: solved in 0 iterations
    code, text, _ = cli("solve", "--robot", "panda", "--targets", targets, "--out", out, "--seeds", seeds)
    assert code == 0 and "solved 5/5" in text
    t = _table(out)
    assert (t["iterations"] == 0).all()
    np.testing.assert_allclose(read_configurations_csv(out, 7), q, atol=0)
    code, _, _ = cli("solve", "--robot", "panda", "--targets", targets, "--out", out, "--q0", "ready")
    assert code == 0
    code, _, _ = cli("solve", "--robot", "panda", "--targets", targets, "--out", out, "--q0",
                     ",".join(str(v) for v in q[0]))
    assert code == 0 and _table(out)["iterations"][0] == 0


def test_path_writes_steps_and_flags(cli, tmp_path):
    c = load_robot("panda")
    targets, out = tmp_path / "line.csv", tmp_path / "path.csv"
    line = fk_pose(c, c.pose("ready"))[None].repeat(50, 0)
    line[:, 1] += np.arange(1, 51) * 1e-3  # 1 mm steps along y
    write_poses_csv(targets, line)
    code, text, _ = cli("solve", "--robot", "panda", "--targets", targets, "--out", out, "--path", "--q0", "ready",
                        "--max-joint-rate", "40")
    assert code == 0 and "path of 50 rows: solved 50" in text and "0 discontinuities" in text
    t = _table(out)
    assert list(t.dtype.names[-4:]) == ["joint_step", "cartesian_step", "discontinuity", "reason"]
    q = read_configurations_csv(out, 7)
    np.testing.assert_allclose(t["joint_step"], np.abs(q - np.vstack([c.pose("ready"), q[:-1]])).max(1), atol=1e-15)
    assert (t["discontinuity"] == 0).all() and np.allclose(t["cartesian_step"], 1e-3, atol=1e-9)


def test_solutions_write_one_row_per_solution(cli, tmp_path):
    c = load_robot("ur5")
    q = np.random.default_rng(1).uniform(-np.pi, np.pi, (3, 6))
    targets, out = tmp_path / "t.csv", tmp_path / "s.csv"
    write_poses_csv(targets, fk_pose(c, q))
    code, text, _ = cli("solve", "--robot", "ur5", "--targets", targets, "--out", out, "--solutions", "8",
                        "--min-distance", "0.1", "--rank", "manipulability")
    assert code == 0 and "solutions written" in text
    t = _table(out)
    assert list(t.dtype.names[:2]) == ["target", "solution"]
    for i in range(3):
        rows = t[t["target"] == i]
        assert list(rows["solution"]) == list(range(len(rows))) and len(rows) >= 1
        assert (np.diff(rows["score"]) <= 0).all()
    qs = np.stack([t[f"q{j}"] for j in range(6)], axis=1)
    pe, _ = pose_error(fk(c, qs), fk(c, q)[t["target"]])
    assert (pe < 1e-6).all()


def test_task_and_joint_options(cli, panda_files):
    c, q, targets, out = panda_files
    code, text, err = cli("solve", "--robot", "panda", "--targets", targets, "--out", out, "--lock",
                          "panda_joint3=0.2", "--limits", "panda_joint1=-1:1", "--free-axis", "z",
                          "--weights", "1,1,1,1,1,1", "--tolerances", "1e-6,1e-6,1e-6,1e-5,1e-5,inf")
    assert code == 0, err
    assert "solved 5/5" in text
    qs = read_configurations_csv(out, 7)
    assert (qs[:, 2] == 0.2).all() and (np.abs(qs[:, 0]) <= 1).all()


BAD = [
    (["--path", "--solutions", "2"], "either --path or --solutions"),
    (["--seeds", "s.csv", "--path"], "--seeds"),
    (["--max-joint-rate", "5"], "--max-joint-rate needs --path"),
    (["--path", "--max-joint-rate", "-1"], "--max-joint-rate must be"),
    (["--rank", "limits"], "need --solutions"),
    (["--solutions", "0"], "--solutions must be >= 1"),
    (["--solutions", "2", "--min-distance", "0"], "--min-distance must be"),
    (["--solutions", "2", "--rank", "best"], "--rank must be"),
    (["--weights", "1,1,1"], "--weights has 3 values"),
    (["--weights", "1,1,1,a,1,1"], "--weights must be 6"),
    (["--weights", "1,1,1,-1,1,1"], "--weights must be finite and >= 0"),
    (["--tolerances", "1,1,1,1,1,0"], "--tolerances must be > 0"),
    (["--free-axis", "q"], "--free-axis must be one of x, y, z"),
    (["--free-axis", "z", "--method", "dls"], "need --method lm"),
    (["--lock", "panda_joint3"], "--lock expects NAME=VALUE"),
    (["--lock", "elbow=0.1"], "--lock: robot 'panda' has no joint 'elbow'"),
    (["--lock", "panda_joint4=1.0"], "--lock: value 1 for joint 'panda_joint4' lies outside"),
    (["--lock", "panda_joint1=abc"], "--lock: joint 'panda_joint1' needs a number"),
    (["--limits", "panda_joint1=1"], "--limits expects NAME=LO:HI"),
    (["--limits", "panda_joint1=1:-1"], "--limits: joint 'panda_joint1' needs finite lower <= upper"),
    (["--limits", "panda_joint1=-9:1"], "outside its limits"),
    (["--q0", "0.1,0.2"], "--q0 has 2 values"),
    (["--q0", "nosuchpose"], "no named pose 'nosuchpose'"),
    (["--q0", "9,0,0,-1,0,1,0"], "--q0 lies outside the joint limits"),
    (["--seeds", "missing.csv"], "not found"),
    (["--weights", "1,1,1,1,1,1", "--position-only"], "either --weights or --position-only"),
]


@pytest.mark.parametrize("args,message", BAD, ids=[" ".join(a) for a, _ in BAD])
def test_bad_option_values_exit_2_with_one_line(cli, panda_files, monkeypatch, args, message):
    c, q, targets, out = panda_files
    monkeypatch.chdir(out.parent)
    code, text, err = cli("solve", "--robot", "panda", "--targets", targets, "--out", out, *args)
    assert code == 2, (text, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], err
    assert not out.exists()


def test_seeds_row_count_must_match(cli, panda_files):
    c, q, targets, out = panda_files
    seeds = out.parent / "seeds.csv"
    write_csv(seeds, [f"q{i}" for i in range(7)], q[:2])
    code, _, err = cli("solve", "--robot", "panda", "--targets", targets, "--out", out, "--seeds", seeds)
    assert code == 2 and "--seeds has 2 rows but --targets has 5" in err
