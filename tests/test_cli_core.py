"""``iklearn robots``, ``iklearn fk``, ``iklearn solve`` through the real entry point ``iklearn.cli:main``."""

from __future__ import annotations

import numpy as np
import pytest

from iklearn.data.csvio import read_configurations_csv, read_poses_csv, write_csv
from iklearn.kinematics import fk, fk_pose
from iklearn.robot import load_robot




def test_robots_list_and_show(cli):
    code, out, _ = cli("robots")
    assert code == 0 and "panda" in out and "snake24" in out
    code, out, _ = cli("robots", "panda")
    assert code == 0 and "panda_joint7" in out and "ready" in out and "-3.0718" in out


def test_fk_named_pose_and_q(cli):
    c = load_robot("panda")
    code, out, _ = cli("fk", "--robot", "panda", "--pose", "ready")
    assert code == 0
    lines = out.strip().splitlines()
    assert lines[0] == "x,y,z,qx,qy,qz,qw"
    np.testing.assert_allclose([float(v) for v in lines[1].split(",")], fk_pose(c, c.pose("ready")), atol=1e-8)
    code, out, _ = cli("fk", "--robot", "planar2", "--q", "0.5, 1.0")
    assert code == 0
    x = float(out.strip().splitlines()[1].split(",")[0])
    assert x == pytest.approx(np.cos(0.5) + 0.7 * np.cos(1.5), abs=1e-8)


def test_fk_from_csv_then_solve_round_trip(cli, tmp_path):
    c = load_robot("ur5")
    q = np.random.default_rng(0).uniform(-3, 3, (6, 6))
    qfile, pfile, sfile = tmp_path / "q.csv", tmp_path / "poses.csv", tmp_path / "sol.csv"
    write_csv(qfile, [f"q{i}" for i in range(6)], q)
    code, out, _ = cli("fk", "--robot", "ur5", "--input", str(qfile), "--out", str(pfile))
    assert code == 0 and "wrote 6 poses" in out
    poses = read_poses_csv(pfile)
    np.testing.assert_allclose(poses, fk_pose(c, q), atol=1e-15)
    code, out, _ = cli("solve", "--robot", "ur5", "--targets", str(pfile),
                           "--out", str(sfile), "--seed", "1")
    assert code == 0 and "solved 6/6" in out
    header = sfile.read_text().splitlines()[0].split(",")
    assert header == [f"q{i}" for i in range(6)] + ["success", "position_error", "rotation_error", "iterations"]
    qs = read_configurations_csv(sfile, 6)
    np.testing.assert_allclose(fk(c, qs)[:, :3, 3], poses[:, :3], atol=1e-5)
    sol = np.genfromtxt(sfile, delimiter=",", names=True)
    assert (sol["success"] == 1).all() and (sol["position_error"] < 1e-5).all()
    # a second method, position only, through a URDF path
    from iklearn.robot.catalogue import URDF_DIR

    a5 = load_robot("arm5")
    qa = np.random.default_rng(1).uniform(a5.finite_lower, a5.finite_upper, (4, 5))
    write_csv(pfile, ["x", "y", "z", "qx", "qy", "qz", "qw", "extra"],
              np.c_[fk_pose(a5, qa), np.zeros(4)])
    code, out, _ = cli("solve", "--robot", str(URDF_DIR / "arm5.urdf"), "--base",
                           "base_link", "--tip", "tool_link", "--targets", str(pfile), "--out", str(sfile),
                           "--method", "dls", "--position-only", "--tol-position", "1e-4")
    assert code == 0, out
    qs = read_configurations_csv(sfile, 5)
    sol = np.genfromtxt(sfile, delimiter=",", names=True)
    ok = sol["success"] == 1
    np.testing.assert_allclose(fk(a5, qs[ok])[:, :3, 3], fk(a5, qa[ok])[:, :3, 3], atol=1e-4)


def test_solve_output_is_atomic_on_failure(cli, tmp_path):
    """A failing run leaves an existing output file untouched and no temporary files behind."""
    out = tmp_path / "sol.csv"
    out.write_text("previous\n")
    bad = tmp_path / "bad.csv"
    bad.write_text("x,y,z\n1,2,3\n")
    code, _, err = cli("solve", "--robot", "panda", "--targets", str(bad),
                           "--out", str(out))
    assert code == 2 and "lacks column(s) qx,qy,qz,qw" in err
    assert out.read_text() == "previous\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.csv", "sol.csv"]


def test_solve_analytic_ur5_and_refusal_on_other_arm(cli, tmp_path):
    ur5 = load_robot("ur5")
    P = fk_pose(ur5, np.random.default_rng(9).uniform(-np.pi, np.pi, (20, 6)))
    write_csv(tmp_path / "t.csv", ["x", "y", "z", "qx", "qy", "qz", "qw"], P)
    code, out, err = cli("solve", "--robot", "ur5", "--targets", str(tmp_path / "t.csv"),
                             "--out", str(tmp_path / "s.csv"), "--method", "analytic")
    assert code == 0 and "solved 20/20" in out
    code, out, err = cli("solve", "--robot", "panda", "--targets", str(tmp_path / "t.csv"),
                             "--out", str(tmp_path / "s2.csv"), "--method", "analytic")
    assert code == 2 and "no UR DH table" in err and "Traceback" not in err
    assert not (tmp_path / "s2.csv").exists()


def test_reproduce_resume_is_refused_where_there_are_no_checkpoints(cli, tmp_path):
    code, _, err = cli("reproduce", "gp-ik", "--tiny", "--resume", "--out", str(tmp_path / "g"))
    assert code == 2 and "gp-ik keeps no checkpoints" in err and "Traceback" not in err
    code, _, err = cli("reproduce", "jacobian-net", "--tiny", "--resume", "--seeds", "0-1", "--out",
                       str(tmp_path / "j"))
    assert code == 2 and "--resume continues one seed" in err
