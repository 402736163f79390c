"""Kernels start without numba (:mod:`iklearn._jit`): interpreted kernels give the compiled answers, a one-shot
CLI solve of a few targets never imports numba, and what the interpreted tier cannot solve goes to the
compiled kernels with the same result as a compiled call."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np

from iklearn import _jit
from iklearn.kinematics import fk
from iklearn.robot import load_robot

_COMPARE = r"""
import json, sys
import numpy as np
from iklearn import _jit
from iklearn.robot import load_robot
from iklearn.solvers.lm import LevenbergMarquardt
out = {}
arms = ["panda", "ur5", "arm5", "iiwa14"]
runs = {}
with _jit.interpreted():  # nothing compiled yet in this process: every kernel runs as Python
    from iklearn.kinematics import fk
    for name in arms:
        robot = load_robot(name)
        rng = np.random.default_rng(1)
        T = fk(robot, rng.uniform(robot.finite_lower, robot.finite_upper, (6, robot.dof)))
        T[-1, :3, 3] = [3.0, 0.0, 0.5]  # unreachable: restarts until the budget ends
        solver = LevenbergMarquardt(robot, max_iterations=400)
        runs[name] = (solver, T, solver.solve(T))
out["numba_before"] = "numba" in sys.modules
for name, (solver, T, a) in runs.items():
    b = LevenbergMarquardt(solver.chain, max_iterations=400).solve(T)  # compiled
    out[name] = dict(success_a=a.success.tolist(), success_b=b.success.tolist(),
                     iters_equal=bool((a.iterations == b.iterations).all()),
                     dq=float(np.abs(a.q - b.q).max()),
                     dpe=float(np.abs(a.position_error - b.position_error)[b.success].max()))
out["numba_after"] = "numba" in sys.modules
print(json.dumps(out))
"""


def test_interpreted_kernels_give_the_compiled_answers():
    """In a fresh process: the same solves interpreted (before numba loads), then compiled."""
    r = subprocess.run([sys.executable, "-c", _COMPARE], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout.splitlines()[-1])
    assert out["numba_before"] is False and out["numba_after"] is True
    for name in ("panda", "ur5", "arm5", "iiwa14"):
        o = out[name]
        assert o["success_b"] == [True] * 5 + [False], name
        assert o["success_a"] == o["success_b"], name
        assert o["iters_equal"], name
        assert o["dq"] <= 1e-12, name
        assert o["dpe"] <= 1e-12, name


def test_kernels_are_dispatchers_once_numba_is_loaded():
    import numba

    from iklearn.kinematics import _kernels as K
    from iklearn.solvers import lm

    fk(load_robot("panda"), np.zeros(7))  # loads numba here if nothing did yet
    assert isinstance(K.fk_frames, numba.core.registry.CPUDispatcher)
    assert isinstance(lm.lm_solve_batch_serial, numba.core.registry.CPUDispatcher)
    assert _jit.prange is numba.prange


def test_interpreted_block_is_per_thread_and_nests():
    assert getattr(_jit._local, "depth", 0) == 0
    with _jit.interpreted():
        with _jit.interpreted():
            assert _jit._local.depth == 2
        with _jit.interpreted(False):
            assert _jit._local.depth == 1
    assert _jit._local.depth == 0


def test_small_call_needs_permission_and_no_numba(monkeypatch):
    monkeypatch.setattr(_jit, "_allowed", False)
    assert not _jit.small_call(1)
    monkeypatch.setattr(_jit, "_allowed", True)
    assert _jit.small_call(1) == (_jit._numba is None)
    assert not _jit.small_call(_jit.INTERPRETED_MAX_TARGETS + 1)


_FRESH = r"""
import json, sys
import numpy as np
from iklearn import _jit
from iklearn.robot import load_robot
from iklearn.solvers.lm import LevenbergMarquardt
robot = load_robot("panda")
rng = np.random.default_rng(5)
Q = rng.uniform(robot.finite_lower, robot.finite_upper, (3, robot.dof))
from iklearn.kinematics._kernels import fk_batch_serial
T = np.empty((4, 4, 4))
with _jit.interpreted():
    fk_batch_serial(np.vstack([Q, Q[:1]]), robot.joint_types, robot.fixed, robot.axes, robot.tip, T)
T[3, :3, 3] = [3.0, 0.0, 0.5]  # unreachable
_jit.allow_interpreted()
solver = LevenbergMarquardt(robot)
first = solver.solve(T[:3])
out = {"numba_after_reachable": "numba" in sys.modules}
tiered = solver.solve(T)  # the unreachable one goes on compiled
out["numba_after_unreachable"] = "numba" in sys.modules
_jit.allow_interpreted(False)
compiled = solver.solve(T)
out["first_success"] = first.success.tolist()
out["same"] = bool((tiered.q == compiled.q).all() and (tiered.success == compiled.success).all()
                   and (tiered.iterations == compiled.iterations).all())
out["success"] = tiered.success.tolist()
print(json.dumps(out))
"""


def test_a_fresh_process_solves_a_few_targets_without_numba_and_hands_the_rest_on():
    r = subprocess.run([sys.executable, "-c", _FRESH], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout.splitlines()[-1])
    assert out["first_success"] == [True, True, True]
    assert out["numba_after_reachable"] is False
    assert out["numba_after_unreachable"] is True
    assert out["success"] == [True, True, True, False]
    assert out["same"] is True


def test_one_target_cli_solve_does_not_import_numba(tmp_path):
    (tmp_path / "t.csv").write_text("x,y,z,qx,qy,qz,qw\n0.4,0.1,0.5,1,0,0,0\n")
    code = ("import sys\nfrom iklearn.cli import main\n"
            f"sys.argv = ['iklearn', 'solve', '--robot', 'panda', '--targets', {str(tmp_path / 't.csv')!r}, "
            f"'--out', {str(tmp_path / 'o.csv')!r}]\n"
            "try:\n    main()\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
            "print('numba' in sys.modules)\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().splitlines()[-1] == "False"
    rows = (tmp_path / "o.csv").read_text().splitlines()
    assert rows[1].split(",")[7] == "1"  # solved
