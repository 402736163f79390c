"""Issue 16: every bad input and odd output path ends cleanly, and nothing is lost.

At the command line a mistake gives exit status 2 and one ``error:`` line naming the option as typed (no
traceback), and any file already at the output path is left exactly as it was; in Python it raises an
:class:`~iklearn.errors.IKLearnError` subclass. Interrupts are in ``test_interrupts.py``, ``pose_error``
against Pinocchio in ``test_pose_error.py``, the closed form on the stock UR5 URDF in ``test_analytic_ik.py``.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from iklearn.errors import IKLearnError, NonFiniteError, OutOfRangeError, OutputPathError, ShapeError
from iklearn.robot import load_robot
from iklearn.robot.catalogue import URDF_DIR

SENTINEL = "results of an earlier run\n"
POSES = "x,y,z,qx,qy,qz,qw\n0.4,0,0.5,1,0,0,0\n"

GRIPPER_URDF = """<robot name="arm_with_gripper">
  <link name="base"/><link name="l1"/><link name="l2"/><link name="stator"/><link name="mover"/>
  <joint name="j1" type="revolute"><parent link="base"/><child link="l1"/><axis xyz="0 0 1"/>
    <limit lower="-3" upper="3"/></joint>
  <joint name="j2" type="revolute"><parent link="l1"/><child link="l2"/><origin xyz="0 0 0.3"/>
    <axis xyz="0 1 0"/><limit lower="-2" upper="2"/></joint>
  <joint name="mount" type="fixed"><parent link="l2"/><child link="stator"/><origin xyz="0.3 0 0"/></joint>
  <joint name="jointGripper" type="revolute"><parent link="stator"/><child link="mover"/>
    <axis xyz="0 1 0"/><limit lower="-1.5" upper="0"/></joint>
</robot>"""


@pytest.fixture
def d(tmp_path: Path) -> Path:
    """A working directory with inputs, and output files that already hold an earlier run's results."""
    (tmp_path / "poses.csv").write_text(POSES)
    (tmp_path / "dup.csv").write_text("x,y,z,qx,qy,qz,qw,x\n0.4,0,0.5,1,0,0,0,9\n")
    (tmp_path / "quat.csv").write_text("x,y,z,qx,qy,qz,qw\n0.4,0,0.5,1,0,0,0\n\n0.4,0,0.5,2,0,0,0\n")
    (tmp_path / "bom.csv").write_text("\ufeff" + POSES, encoding="utf-8")
    (tmp_path / "gripper.urdf").write_text(GRIPPER_URDF)
    for name in ("s.csv", "p.csv", "d.parquet", "w.png", "b.json"):
        (tmp_path / name).write_text(SENTINEL)
    os.mkfifo(tmp_path / "fifo")
    return tmp_path


def _one_line(code: int, out: str, err: str, fragment: str) -> None:
    assert code == 2, (out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert fragment in lines[0], lines[0]
    assert "Traceback" not in out + err


def _untouched(d: Path) -> None:
    for name in ("s.csv", "p.csv", "d.parquet", "w.png", "b.json"):
        assert (d / name).read_text() == SENTINEL, name
    assert stat.S_ISFIFO(os.lstat(d / "fifo").st_mode)
    assert not [p for p in d.rglob("*.tmp")]


SOLVE = "solve --robot panda --targets {d}/poses.csv --out {d}/s.csv"
GEN = "data generate --robot planar2 --n 10 --out {d}/dataset"
WS = "workspace --robot planar2 --out {d}/w.png --n 1000"
BENCH = "bench ik --robot planar2 --n 3 --solvers ours --out {d}/b.json"
HUGE = "1000000000000"

CASES = {
    # negative seeds: were tracebacks (OverflowError / ValueError)
    "solve-seed": (SOLVE + " --seed -1", "--seed must be an integer between 0 and 4,294,967,295, got -1"),
    "generate-seed": (GEN + " --seed -1", "--seed must be an integer between 0"),
    "workspace-seed": (WS + " --seed -1", "--seed must be an integer between 0"),
    "bench-seed": (BENCH + " --seed -1", "--seed must be an integer between 0"),
    "reproduce-seed": ("reproduce all --tiny --out {d}/rep --seed -5", "--seed must be an integer between 0"),
    # bins and sizes: ZeroDivisionError, 74 GiB histograms, MemoryError, a dataset of 1e12 rows accepted
    "bins-zero": (WS + " --bins 0", "--bins must be an integer between 2 and 1,000, got 0"),
    "bins-huge": (WS + " --bins 100000", "--bins must be an integer between 2 and 1,000, got 100,000"),
    "workspace-n-zero": (WS.replace("--n 1000", "--n 0"), "--n must be an integer >= 1, got 0"),
    "workspace-n-huge": (WS.replace("1000", HUGE), "--n 1,000,000,000,000 needs about"),
    "bench-n-huge": (BENCH.replace("--n 3", "--n " + HUGE), "--n 1,000,000,000,000 needs about"),
    "generate-n-huge": (GEN.replace("--n 10", "--n " + HUGE), "--n 1,000,000,000,000 would write about"),
    "generate-chunk-zero": (GEN + " --chunk-size 0", "--chunk-size must be an integer >= 1"),
    "generate-chunk-huge": (GEN + " --chunk-size " + HUGE, "--chunk-size 1,000,000,000,000 needs about"),
    # tolerances and timeouts: NaN was accepted (0 solved, errors of 1e-17), a negative budget too
    "tol-nan": (SOLVE + " --tol-position nan", "--tol-position must be a finite number > 0, got nan"),
    "tol-inf": (SOLVE + " --tol-rotation inf", "--tol-rotation must be a finite number > 0, got inf"),
    "peer-timeout": (BENCH + " --peer-timeout -1", "--peer-timeout must be a finite number > 0, got -1"),
    # options that did nothing without another one
    "n-unreachable-alone": (GEN + " --n-unreachable 5", "--n-unreachable needs --labels unreachable"),
    "n-unreachable-zero": (GEN + " --labels unreachable --n-unreachable 0", "--n-unreachable must be an integer"),
    "thresholds-alone": (GEN + " --thresholds 0.1,0.2", "--thresholds needs --labels conditioning"),
    "thresholds-nan": (GEN + " --labels conditioning --thresholds 0.2,nan", "--thresholds must be two numbers"),
    # robots and links
    "builtin-with-links": ("fk --robot panda --base a --tip b --pose ready",
                           "'panda' is a built-in robot with the fixed chain panda_link0 -> panda_link8"),
    "gripper-as-joint": ("fk --robot {d}/gripper.urdf --q 0,0,0", "lies past joint 'jointGripper'"),
    "several-leaves": ("fk --robot {urdf} --q 0,0,0,0,0", "--tip on the command line"),
    "robots-links-alone": ("robots --tip tool0", "--base/--tip choose links of one robot"),
    # CSV files
    "duplicate-column": ("solve --robot panda --targets {d}/dup.csv --out {d}/s.csv", "column(s) x appear more"),
    "quaternion-line": ("solve --robot panda --targets {d}/quat.csv --out {d}/s.csv", "quat.csv line 4: quaternion"),
    # output paths that are not regular files: a FIFO used to be replaced by a regular file
    "fk-out-fifo": ("fk --robot panda --pose ready --out {d}/fifo", "is a FIFO (named pipe)"),
    "solve-out-fifo": (SOLVE.replace("s.csv", "fifo"), "is a FIFO"),
    "generate-out-fifo": (GEN.replace("dataset", "fifo"), "is not a regular file or directory"),
    "generate-out-file": (GEN.replace("dataset", "d.parquet"), "exists and is not an iklearn dataset"),
    "workspace-out-fifo": (WS.replace("w.png", "fifo"), "is a FIFO"),
    "bench-out-fifo": (BENCH.replace("b.json", "fifo"), "is a FIFO"),
    "reproduce-out-fifo": ("reproduce all --tiny --out {d}/fifo", "exists and is not a directory"),
    "out-is-directory": ("fk --robot panda --pose ready --out {d}", "is a directory"),
    "out-below-a-file": ("fk --robot panda --pose ready --out {d}/s.csv/p.csv", "Not a directory"),
    "out-name-too-long": ("fk --robot panda --pose ready --out {d}/" + "n" * 300, "File name too long"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_cli_mistakes_give_one_line_and_leave_files_alone(case, d, cli):
    argv, fragment = CASES[case]
    _one_line(*cli(*argv.format(d=d, urdf=URDF_DIR / "arm5.urdf").split()), fragment)
    _untouched(d)


def test_out_through_a_symlink_keeps_the_link(d, cli):
    """A symlink is written through: the link stays, the file it points to is replaced (dangling: created)."""
    (d / "link.csv").symlink_to(d / "p.csv")
    code, out, err = cli("fk", "--robot", "panda", "--pose", "ready", "--out", d / "link.csv")
    assert code == 0, err
    assert (d / "link.csv").is_symlink() and (d / "p.csv").read_text().startswith("x,y,z,qx,qy,qz,qw\n")
    (d / "dangling.csv").symlink_to(d / "new.csv")
    assert cli("fk", "--robot", "panda", "--pose", "ready", "--out", d / "dangling.csv")[0] == 0
    assert (d / "dangling.csv").is_symlink() and (d / "new.csv").is_file()
    (d / "to-fifo").symlink_to(d / "fifo")
    _one_line(*cli("fk", "--robot", "panda", "--pose", "ready", "--out", d / "to-fifo"),
              "(the target of symlink")
    assert stat.S_ISFIFO(os.lstat(d / "fifo").st_mode)


def test_out_on_a_device_is_refused(tmp_path, cli):
    """The issue's repro: ``mknod n c 1 3; iklearn fk ... --out n`` replaced the device node by a file."""
    dev = tmp_path / "n"
    try:
        os.mknod(dev, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    except (PermissionError, OSError):
        pytest.skip("cannot make a device node here (not root, or not allowed)")
    _one_line(*cli("fk", "--robot", "panda", "--pose", "ready", "--out", dev), "is a character device")
    assert stat.S_ISCHR(os.lstat(dev).st_mode)


def test_full_disk_ends_with_one_line_and_keeps_the_old_file(tmp_path, child_env):
    """A write that fails midway (here: a file-size limit, as on a full disk) gives exit 2 and one line;
    the earlier file is intact and no temporary file is left."""
    import resource

    from iklearn.kinematics import fk

    c = load_robot("panda")
    Q = np.random.default_rng(0).uniform(c.finite_lower, c.finite_upper, (3000, 7))
    fk(c, Q)  # compiled kernels are on disk before the limit applies to the child
    (tmp_path / "q.csv").write_text("q0,q1,q2,q3,q4,q5,q6\n" + "\n".join(",".join(map(str, r)) for r in Q) + "\n")
    (tmp_path / "p.csv").write_text(SENTINEL)
    limit = 64 * 1024

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    code = "import sys; from iklearn.cli import main; sys.argv = ['iklearn'] + sys.argv[1:]; main()"
    p = subprocess.run([sys.executable, "-c", code, "fk", "--robot", "panda", "--input", "q.csv", "--out", "p.csv"],
                       cwd=tmp_path, capture_output=True, text=True, timeout=300, preexec_fn=cap, env=child_env)
    _one_line(p.returncode, p.stdout, p.stderr, "cannot write p.csv: File too large")
    assert (tmp_path / "p.csv").read_text() == SENTINEL
    assert not list(tmp_path.glob(".*tmp"))


def test_bench_in_a_fresh_directory_and_its_table_is_not_cut(tmp_path, monkeypatch, cli):
    """The README's ``iklearn bench ik`` failed where results/ did not exist; piped, its table was folded
    at 80 columns."""
    monkeypatch.chdir(tmp_path)
    code, out, err = cli("bench", "ik", "--robot", "planar2", "--n", "3", "--solvers", "ours")
    assert code == 0, err
    assert (tmp_path / "results" / "bench_ik.json").is_file()
    header = next(ln for ln in out.splitlines() if "solver" in ln)
    assert "success % (1e-4 m, 1e-3 rad)" in header and "batch speed-up vs TRAC-IK" in header


def test_generate_prints_one_line_and_links_are_chosen_everywhere(tmp_path, cli):
    """``data generate`` printed a stray blank line; ``robots``, ``workspace`` and ``data generate`` had no
    --base/--tip, so a URDF with two leaves could not be used there."""
    urdf = URDF_DIR / "arm5.urdf"
    code, out, err = cli("data", "generate", "--robot", urdf, "--base", "base_link", "--tip", "link4", "--n", "50",
                         "--out", tmp_path / "d.parquet")
    assert code == 0 and out.count("\n") == 1 and out.startswith("wrote"), (out, err)
    # stderr: at most the one-time compile note and plain progress lines (first after 1 s), no blank line
    assert all(ln.startswith(("note: compiling", "[0:")) for ln in err.splitlines()), err
    from iklearn.data.dataset import read_dataset

    assert read_dataset(tmp_path / "d.parquet").chain.dof == 4
    code, out, err = cli("robots", urdf, "--base", "base_link", "--tip", "tool_link")
    assert code == 0 and "base_link -> tool_link" in out, err
    code, out, err = cli("workspace", "--robot", urdf, "--base", "base_link", "--tip", "tool_link", "--n", "2000",
                         "--bins", "8", "--planes", "xy", "--out", tmp_path / "w.png")
    assert code == 0 and (tmp_path / "w.png").read_bytes()[:4] == b"\x89PNG", err


def test_csv_with_a_byte_order_mark(d, cli):
    code, out, err = cli("solve", "--robot", "panda", "--targets", d / "bom.csv", "--out", d / "s.csv")
    assert code == 0 and "\ufeff" not in out + err, err


def test_gripper_joint_is_taken_when_named(d):
    assert load_robot(d / "gripper.urdf", tip_link="mover").dof == 3
    assert load_robot(d / "gripper.urdf", tip_link="stator").dof == 2


# ----------------------------------------------------------------------------------------------- library
def test_library_refuses_with_iklearn_errors(tmp_path):
    from iklearn.data.dataset import generate_dataset
    from iklearn.data.sampling import sample_joints
    from iklearn.data.workspace import sampled_map, sample_workspace
    from iklearn.evaluation.ik_benchmark import run_ik_benchmark
    from iklearn.kinematics import manipulability, singular_values
    from iklearn.solvers import DampedLeastSquares, LevenbergMarquardt, solve

    c = load_robot("planar2")
    with pytest.raises(ShapeError, match="numeric"):
        solve(c, "0.4,0,0.5,0,0,0,1")
    with pytest.raises(ShapeError, match="numeric"):
        solve(c, [["a"] * 7])
    J = np.zeros((2, 6, 7))
    J[1, 2, 3] = np.nan
    with pytest.raises(NonFiniteError, match=r"J contains NaN"):
        manipulability(J)
    with pytest.raises(NonFiniteError):
        singular_values(J)
    with pytest.raises(ShapeError):
        manipulability("J")
    with pytest.raises(IKLearnError, match="tol"):
        LevenbergMarquardt(c, tol_position=float("nan"))
    for make in (lambda: LevenbergMarquardt(c, seed=-1), lambda: DampedLeastSquares(c, seed=-1),
                 lambda: sample_joints(c, 5, seed=-1), lambda: generate_dataset(c, 10, seed=-1),
                 lambda: run_ik_benchmark(c, 3, seed=-1, solvers=["ours"]),
                 lambda: run_ik_benchmark(c, 0, solvers=["ours"]),
                 lambda: run_ik_benchmark(c, 3, peer_timeout=-1.0, solvers=["ours"]),
                 lambda: sampled_map(sample_workspace(c, 100), bins=0)):
        with pytest.raises(OutOfRangeError):
            make()
    from iklearn.solvers import peers

    if "tracik" in peers.available_peers():
        with pytest.raises(OutOfRangeError, match="timeout"):
            peers.TracIK(c, timeout=-1.0)


def test_io_refuses_fifos_and_writes_through_links(tmp_path):
    from iklearn._io import write_text_atomic

    os.mkfifo(tmp_path / "fifo")
    with pytest.raises(OutputPathError, match="FIFO"):
        write_text_atomic(tmp_path / "fifo", "x")
    f = tmp_path / "f.txt"
    f.write_text("old")
    f.chmod(0o640)
    (tmp_path / "l.txt").symlink_to("f.txt")  # relative link
    write_text_atomic(tmp_path / "l.txt", "new")
    assert f.read_text() == "new" and stat.S_IMODE(f.stat().st_mode) == 0o640 and (tmp_path / "l.txt").is_symlink()
    (tmp_path / "loop").symlink_to("loop")
    with pytest.raises(OutputPathError):
        write_text_atomic(tmp_path / "loop", "x")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.txt", "fifo", "l.txt", "loop"]


def test_size_checks_name_the_option_and_the_limit(monkeypatch):
    import iklearn._validate as V
    from iklearn.errors import TooLargeError

    monkeypatch.setattr(V, "available_memory", lambda: 10_000_000)
    V.check_memory(1000, 1000, "--n", "samples")  # 1 MB of 10: fine
    with pytest.raises(TooLargeError, match=r"--n 100,000 needs about 100.0 MB of memory for samples, but 10.0 MB "
                                            r"is available; use --n 8,000 or less"):
        V.check_memory(100_000, 1000, "--n", "samples")


def test_compile_note_once(capsys):
    """A cache miss prints one note on stderr while a command runs; nothing once the command is over."""
    import numba

    from iklearn.cli._output import announce_compilation, stop_announcing

    announce_compilation()
    try:
        numba.njit(lambda x: x + 1)(1)
        numba.njit(lambda x: x + 2)(1)
    finally:
        stop_announcing()
    numba.njit(lambda x: x + 3)(1)
    err = capsys.readouterr().err
    assert err.count("note: compiling numerical kernels") == 1 and len(err.splitlines()) == 1, err


def test_pybullet_prints_no_banner(child_env):
    pytest.importorskip("pybullet")
    code = textwrap.dedent("""
        from iklearn.robot import load_robot
        from iklearn.solvers.peers import PyBulletIK
        PyBulletIK(load_robot("planar2"))
        print("ok")
    """)
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=child_env)
    assert (p.returncode, p.stdout, p.stderr) == (0, "ok\n", "")
