"""Every user mistake gives one clear line: an IKLearnError in the library, exit code 2 at the CLI.

Quaternions: a norm within 10 % of 1 is normalised silently, anything else is refused (most likely the
columns are swapped or it is not a quaternion at all).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iklearn.errors import (
    DataFormatError,
    IKLearnError,
    LinkNotFoundError,
    NonFiniteError,
    OutputPathError,
    ShapeError,
    UnknownRobotError,
    URDFError,
)
from iklearn.kinematics import fk, fk_and_jacobian, fk_pose
from iklearn.robot import load_robot
from iklearn.solvers import solve

HYP = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


# ----------------------------------------------------------------------------------------------- library
def test_library_errors():
    c = load_robot("panda")
    with pytest.raises(NonFiniteError, match="NaN or inf"):
        fk(c, [0, 0, np.nan, 0, 0, 0, 0])
    with pytest.raises(ShapeError, match=r"\(N, 7\)"):
        fk(c, np.zeros((3, 6)))
    with pytest.raises(ShapeError):
        fk(c, np.zeros((2, 3, 7)))
    with pytest.raises(ShapeError, match="numeric"):
        fk(c, "abc")
    with pytest.raises(IKLearnError, match="frame"):
        fk_and_jacobian(c, np.zeros(7), frame="base")
    with pytest.raises(ShapeError, match="targets"):
        solve(c, np.zeros((2, 6)))
    with pytest.raises(ShapeError, match="q0"):
        solve(c, np.tile([0.4, 0, 0.5, 0, 0, 0, 1], (3, 1)), q0=np.zeros((2, 7)))
    with pytest.raises(ShapeError, match="orthonormal"):
        solve(c, np.diag([2.0, 1, 1, 1]))
    with pytest.raises(ShapeError, match="bottom row"):
        solve(c, np.ones((4, 4)))
    with pytest.raises(UnknownRobotError, match="unknown robot"):
        solve("pandaa", [0.4, 0, 0.5, 0, 0, 0, 1])
    with pytest.raises(NonFiniteError):
        solve(c, [0.4, np.inf, 0.5, 0, 0, 0, 1])


@HYP
@given(scale=st.floats(0.5, 1.5), method=st.sampled_from(["lm", "dls", "sdls"]))
def test_quaternion_norm_within_10_percent_is_normalised(scale, method):
    c = load_robot("planar3")
    target = fk_pose(c, np.array([0.3, 0.5, -0.2]))
    bad = target.copy()
    bad[3:] *= scale
    if 0.9 <= scale <= 1.1:
        from iklearn.kinematics.pose import as_poses

        np.testing.assert_allclose(as_poses(bad)[0], as_poses(target)[0], atol=1e-12)
        a = solve(c, bad, method=method, max_iterations=50, seed=1, q0=[0.25, 0.55, -0.2])
        assert a.success[0] and a.rotation_error[0] < 1e-5
    else:
        with pytest.raises(ShapeError, match="unit quaternion"):
            solve(c, bad, method=method)


@HYP
@given(i=st.integers(0, 4), j=st.integers(0, 6), bad=st.sampled_from([np.nan, np.inf, -np.inf]))
def test_non_finite_anywhere_is_refused(i, j, bad):
    c = load_robot("panda")
    q = np.zeros((5, 7))
    q[i, j] = bad
    with pytest.raises(NonFiniteError, match=r"\(%d, %d\)" % (i, j)):
        fk(c, q)
    P = np.tile([0.4, 0.0, 0.5, 0.0, 0.0, 0.0, 1.0], (5, 1))
    P[i, j] = bad
    with pytest.raises(NonFiniteError):
        solve(c, P)


@HYP
@given(method=st.sampled_from(["lm", "dls", "sdls"]), robot=st.sampled_from(["panda", "planar2", "arm5"]))
def test_empty_batch(method, robot):
    c = load_robot(robot)
    res = solve(c, np.zeros((0, 7)), method=method)
    assert res.q.shape == (0, c.dof) and res.success.shape == (0,) and res.success_rate == 0.0
    assert fk(c, np.zeros((0, c.dof))).shape == (0, 4, 4)


def _limits_at_equality(joint, frac, method):
    c = load_robot("panda")
    v = c.lower[joint] + frac * (c.upper[joint] - c.lower[joint])
    lo, hi = c.lower.copy(), c.upper.copy()
    lo[joint] = hi[joint] = v
    locked = c.with_limits(lo, hi)
    q = np.random.default_rng(joint).uniform(locked.finite_lower, locked.finite_upper, (3, 7))
    res = solve(locked, fk(locked, q), q0=np.clip(q + 0.03, lo, hi), method=method, max_iterations=200,
                tol_position=1e-5, tol_rotation=1e-4)
    assert locked.within_limits(res.q).all()
    np.testing.assert_array_equal(res.q[:, joint], v)
    assert res.success.mean() >= 2 / 3


@HYP
@given(joint=st.integers(0, 6), frac=st.floats(0, 1), method=st.sampled_from(["dls", "sdls"]))
def test_limits_at_equality(joint, frac, method):
    """A joint whose lower and upper limits are equal stays exactly there, and FK(IK(x)) = x still holds."""
    _limits_at_equality(joint, frac, method)


def test_limits_at_equality_lm():
    _limits_at_equality(0, 0.0, "lm")


# ----------------------------------------------------------------------------------------------- CLI


@pytest.fixture
def files(tmp_path):
    good = tmp_path / "poses.csv"
    good.write_text("x,y,z,qx,qy,qz,qw\n0.4,0,0.5,1,0,0,0\n")
    (tmp_path / "missing.csv").write_text("x,y,z,qx,qy,qz\n0.4,0,0.5,1,0,0\n")
    (tmp_path / "nan.csv").write_text("x,y,z,qx,qy,qz,qw\n0.4,nan,0.5,1,0,0,0\n")
    (tmp_path / "text.csv").write_text("x,y,z,qx,qy,qz,qw\n0.4,abc,0.5,1,0,0,0\n")
    (tmp_path / "quat.csv").write_text("x,y,z,qx,qy,qz,qw\n0.4,0,0.5,2,0,0,0\n")
    (tmp_path / "empty.csv").write_text("")
    (tmp_path / "q.csv").write_text("q0,q1\n0.1,0.2\n")
    (tmp_path / "broken.urdf").write_text("<robot name='x'><link name='a'>")
    (tmp_path / "outdir").mkdir()
    return tmp_path


CASES = {
    # id: (argv with {d} for the temp dir, expected fragment of the message)
    "nan-q": ("fk --robot panda --q nan,0,0,-1,0,1,0", "NaN"),
    "text-q": ("fk --robot panda --q a,b", "comma-separated"),
    "wrong-dof-q": ("fk --robot panda --q 0.1,0.2", "7 joints"),
    "no-input": ("fk --robot panda", "exactly one of"),
    "two-inputs": ("fk --robot panda --pose ready --q 0,0,0,-1,0,1,0", "exactly one of"),
    "unknown-pose": ("fk --robot panda --pose dance", "no named pose 'dance'"),
    "q-csv-wrong-columns": ("fk --robot panda --input {d}/q.csv", "lacks column(s) q2"),
    "unknown-robot": ("solve --robot pandaa --targets {d}/poses.csv --out {d}/s.csv", "unknown robot 'pandaa'"),
    "robots-unknown": ("robots pandaa", "unknown robot"),
    "broken-urdf": ("fk --robot {d}/broken.urdf --q 0", "not valid XML"),
    "missing-urdf": ("fk --robot {d}/none.urdf --q 0", "URDF file not found"),
    "no-tip-link": ("fk --robot {urdf} --base base_link --tip hand --q 0,0,0,0,0", "tip link 'hand' not found"),
    "no-base-link": ("fk --robot {urdf} --base foot --tip tool_link --q 0,0,0,0,0", "base link 'foot' not found"),
    "tip-above-base": ("fk --robot {urdf} --base tool_link --tip base_link --q 0,0,0,0,0", "not below"),
    "missing-columns": ("solve --robot panda --targets {d}/missing.csv --out {d}/s.csv", "lacks column(s) qw"),
    "nan-csv": ("solve --robot panda --targets {d}/nan.csv --out {d}/s.csv", "NaN or inf"),
    "text-csv": ("solve --robot panda --targets {d}/text.csv --out {d}/s.csv", "expected numbers"),
    "empty-csv": ("solve --robot panda --targets {d}/empty.csv --out {d}/s.csv", "is empty"),
    "no-csv": ("solve --robot panda --targets {d}/none.csv --out {d}/s.csv", "not found"),
    "non-unit-quaternion": ("solve --robot panda --targets {d}/quat.csv --out {d}/s.csv", "unit quaternion"),
    "out-dir-missing": ("solve --robot panda --targets {d}/poses.csv --out {d}/no/s.csv", "does not exist"),
    "out-is-dir": ("solve --robot panda --targets {d}/poses.csv --out {d}/outdir", "is a directory"),
    "fk-out-dir-missing": ("fk --robot panda --pose ready --out {d}/no/p.csv", "does not exist"),
    "unknown-method": ("solve --robot panda --targets {d}/poses.csv --out {d}/s.csv --method magic",
                       "unknown IK method"),
    "bad-tolerance": ("solve --robot panda --targets {d}/poses.csv --out {d}/s.csv --tol-position -1",
                      "--tol-position must be a finite number > 0"),
}


def test_cli_unknown_option_is_a_usage_error(cli):
    code, out, err = cli("solve", "--robot", "panda", "--bogus", "1")
    assert code == 2 and "No such option" in err and "Traceback" not in out + err


@pytest.mark.parametrize("case", sorted(CASES))
def test_cli_user_mistakes_give_one_line_and_exit_2(cli, case, files):
    from iklearn.robot.catalogue import URDF_DIR

    argv, fragment = CASES[case]
    args = argv.format(d=files, urdf=URDF_DIR / "arm5.urdf").split()
    code, out, err = cli(*args)
    assert code == 2, (out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ") and fragment in lines[0], lines[0]
    assert "Traceback" not in out + err
    assert not (files / "s.csv").exists()


def test_unwritable_output_directory(cli, files):
    import os

    ro = files / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        if os.access(ro, os.W_OK):  # running as root: permissions are not enforced
            pytest.skip("directory permissions are not enforced for this user")
        code, _, err = cli("solve", "--robot", "panda", "--targets",
                               str(files / "poses.csv"), "--out", str(ro / "s.csv"))
        assert code == 2 and "not writable" in err and len(err.strip().splitlines()) == 1
    finally:
        ro.chmod(0o700)


def test_output_path_error_is_an_oserror_too():
    from iklearn._io import check_writable

    with pytest.raises(OutputPathError):
        check_writable("/no/such/dir/file.csv")
    with pytest.raises(DataFormatError):
        from iklearn.data.csvio import read_poses_csv

        read_poses_csv("/no/such/file.csv")
    assert issubclass(OutputPathError, OSError) and issubclass(LinkNotFoundError, IKLearnError)
    assert issubclass(URDFError, ValueError)


def test_console_entry_point_in_a_subprocess(tmp_path):
    """The installed entry point, in a fresh interpreter: exit code 2, one line on stderr, no traceback."""
    code = textwrap.dedent("""
        import sys
        from iklearn.cli import main
        sys.argv = ["iklearn", "fk", "--robot", "no_such_robot", "--q", "0"]
        main()
    """)
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert p.returncode == 2
    assert p.stderr.strip().splitlines() == [p.stderr.strip()] and "unknown robot 'no_such_robot'" in p.stderr
    assert "Traceback" not in p.stdout + p.stderr
