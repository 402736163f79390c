"""Levenberg-Marquardt IK: FK(IK(x)) = x, limits, unreachable targets, determinism, batched = single calls."""

from __future__ import annotations

import numpy as np
import pytest

from iklearn.errors import NonFiniteError, ShapeError
from iklearn.kinematics import fk, matrix_to_pose7, pose_error
from iklearn.robot import load_robot
from iklearn.solvers.lm import LevenbergMarquardt


def _targets(chain, n, seed):
    rng = np.random.default_rng(seed)
    q = rng.uniform(chain.finite_lower, chain.finite_upper, (n, chain.dof))
    q0 = rng.uniform(chain.finite_lower, chain.finite_upper, (n, chain.dof))
    return fk(chain, q), q0


@pytest.mark.parametrize("robot,n", [("panda", 200), ("ur5", 100), ("iiwa14", 100), ("arm5", 100), ("planar2", 50)])
def test_fk_of_ik_reaches_reachable_targets(robot, n):
    c = load_robot(robot)
    T, q0 = _targets(c, n, 1)
    tol_r = 1e-5
    if robot == "planar2":  # planar: orientation is tied to position, ask for position only
        s = LevenbergMarquardt(c, position_only=True)
    else:
        s = LevenbergMarquardt(c)
    r = s.solve(T, q0)
    assert r.success.all(), f"{robot}: {r.success.mean():.3f}"
    pe, re = pose_error(fk(c, r.q), T)
    # the reported errors are the true ones (checked with the public FK)
    np.testing.assert_allclose(pe, r.position_error, atol=1e-12)
    assert (pe <= 1e-6).all()
    if robot != "planar2":
        np.testing.assert_allclose(re, r.rotation_error, atol=1e-9)
        assert (re <= tol_r).all()
    assert c.within_limits(r.q, 0.0).all()


def test_pose7_and_matrix_targets_agree_and_batch_equals_single_calls():
    c = load_robot("panda")
    T, q0 = _targets(c, 40, 2)
    P = matrix_to_pose7(T)
    rb = LevenbergMarquardt(c, seed=3).solve(P, q0)
    for i in range(40):
        ri = LevenbergMarquardt(c, seed=3).solve(P[i], q0[i])
        assert np.array_equal(ri.q[0], rb.q[i])
        assert ri.iterations[0] == rb.iterations[i]
    rm = LevenbergMarquardt(c, seed=3).solve(T, q0)
    for i in range(0, 40, 7):
        assert np.array_equal(LevenbergMarquardt(c, seed=3).solve(T[i], q0[i]).q[0], rm.q[i])
    assert rm.success.all() and rb.success.all()


def test_deterministic_same_seed_same_result():
    c = load_robot("iiwa14")
    T, _ = _targets(c, 30, 4)
    a = LevenbergMarquardt(c, seed=7).solve(T)  # random initial seeds drawn from the solver's seed
    b = LevenbergMarquardt(c, seed=7).solve(T)
    assert np.array_equal(a.q, b.q) and np.array_equal(a.iterations, b.iterations)
    d = LevenbergMarquardt(c, seed=8).solve(T)
    assert not np.array_equal(a.q, d.q)


def test_same_solver_called_twice_gives_the_same_answer():
    # issue 17: no hidden state between calls (random initial seeds and restart streams depend on the seed only)
    c = load_robot("panda")
    T, q0 = _targets(c, 20, 11)
    s = LevenbergMarquardt(c, seed=5, iterations_per_try=5)  # short tries: restarts happen on most targets
    for args in ((T,), (T, q0), (T[3], q0[3]), (T[:1],)):
        a, b = s.solve(*args), s.solve(*args)
        assert np.array_equal(a.q, b.q) and np.array_equal(a.iterations, b.iterations)
    assert s.solve(T, q0).iterations.max() > 5  # the restarts were exercised


def test_unreachable_target_returns_best_q_without_exception():
    c = load_robot("panda")
    T = np.eye(4)
    T[:3, 3] = [3.0, 0.0, 0.5]  # far beyond the ~1.2 m reach
    r = LevenbergMarquardt(c, max_iterations=300).solve(T, np.zeros(7) + 0.1)
    assert not r.success[0]
    assert c.within_limits(r.q).all()
    pe, _ = pose_error(fk(c, r.q[0]), T)
    assert abs(pe - r.position_error[0]) < 1e-12
    assert 1.5 < r.position_error[0] < 2.2  # the best q points towards the target
    assert r.iterations[0] == 300


def test_position_only_ignores_orientation():
    c = load_robot("panda")
    T, q0 = _targets(c, 50, 5)
    rng = np.random.default_rng(0)
    # scramble the orientations: position-only must not care
    for i in range(50):
        Q, _ = np.linalg.qr(rng.normal(size=(3, 3)))
        T[i, :3, :3] = Q * np.sign(np.linalg.det(Q))
    r = LevenbergMarquardt(c, position_only=True).solve(T, q0)
    assert r.success.all()
    pe, _ = pose_error(fk(c, r.q), T)
    assert (pe <= 1e-6).all()
    assert (r.rotation_error > 1e-3).any()  # orientation was really free


def test_nearest_stays_close_to_the_seed():
    c = load_robot("panda")
    rng = np.random.default_rng(6)
    q = rng.uniform(c.finite_lower + 0.3, c.finite_upper - 0.3, (30, 7))
    q0 = np.clip(q + rng.normal(0, 0.05, q.shape), c.lower, c.upper)
    r = LevenbergMarquardt(c, nearest=True).solve(fk(c, q), q0)
    assert r.success.all()
    assert np.median(np.abs(r.q - q0).max(axis=1)) < 0.3


def test_time_budget_path_and_stall_option():
    c = load_robot("ur5")
    T, q0 = _targets(c, 40, 8)
    r = LevenbergMarquardt(c, time_budget=5.0).solve(T, q0)
    assert r.success.all() and c.within_limits(r.q).all()
    r2 = LevenbergMarquardt(c, stall_window=0).solve(T, q0)  # stall detection off: still correct
    assert r2.success.all()


def test_wrapping_joint_reaches_target_across_its_limit():
    # UR5 joints span +-2 pi, so they wrap instead of clamping; the answer must still lie inside the limits
    c = load_robot("ur5")
    q = np.array([6.0, -1.0, 1.0, -1.0, 1.0, 0.5])
    r = LevenbergMarquardt(c).solve(fk(c, q), np.array([-6.2, -1.0, 1.0, -1.0, 1.0, 0.5]))
    assert r.success[0] and c.within_limits(r.q).all()


def test_bad_inputs_raise_clear_errors():
    c = load_robot("panda")
    s = LevenbergMarquardt(c)
    with pytest.raises(NonFiniteError):
        s.solve(np.array([0.3, 0, 0.5, 0, 0, 0, np.nan]), np.zeros(7))
    with pytest.raises(ShapeError):
        s.solve(np.array([0.3, 0, 0.5, 0, 0, 0, 5.0]), np.zeros(7))  # not a unit quaternion
    with pytest.raises(ShapeError):
        s.solve(np.eye(4) * 2, np.zeros(7))
    with pytest.raises(ShapeError):
        s.solve(np.array([0.3, 0, 0.5, 0, 0, 0, 1.0]), np.zeros(6))
    with pytest.raises(NonFiniteError):
        s.solve(np.array([0.3, 0, 0.5, 0, 0, 0, 1.0]), np.full(7, np.inf))
    r = s.solve(np.zeros((0, 7)))
    assert len(r) == 0


@pytest.mark.parametrize("robot", ["panda", "ur5", "arm4", "arm5", "snake24", "signed-axes"])
def test_kernel_fk_shortcut_matches_the_generic_kernel(robot):
    # joints about a frame axis take a short cut in fk_frames; tilting every axis by 1e-13 forces the generic
    # Rodrigues path, whose frames must agree to rounding
    from iklearn.kinematics import _kernels as K
    from iklearn.robot import Chain

    if robot == "signed-axes":  # +-x, +-y, +-z, a prismatic joint and a tilted axis
        ax = np.array([[1, 0, 0], [0, -1, 0], [0, 0, -1], [-1, 0, 0], [0, 1, 0], [1, 1, 0], [0.3, 0.2, 0.9]], float)
        c = Chain(name="signed", joint_names=tuple("abcdefg"), joint_types=np.array([0, 0, 0, 0, 0, 1, 0]),
                  fixed=np.tile(np.eye(4), (7, 1, 1)) + np.eye(4, k=3) * 0.1, axes=ax, tip=np.eye(4),
                  lower=-np.ones(7), upper=np.ones(7))
    else:
        c = load_robot(robot)
    tilted = Chain(name="tilted", joint_names=c.joint_names, joint_types=c.joint_types, fixed=c.fixed,
                   axes=c.axes + 1e-13, tip=c.tip, lower=c.lower, upper=c.upper)
    n = c.dof
    for q in np.random.default_rng(9).uniform(c.finite_lower, c.finite_upper, (5, n)):
        outs = []
        for ch in (c, tilted):
            T, P, Z = np.empty((4, 4)), np.empty((n, 3)), np.empty((n, 3))
            K.fk_frames(q, ch.joint_types, ch.fixed, ch.axes, ch.tip, T, P, Z, np.empty((4, 4)), np.empty((3, 3)))
            outs.append((T, P, Z))
        for a, b in zip(*outs):
            np.testing.assert_allclose(a, b, atol=1e-11)


def test_serial_and_parallel_batches_agree():
    from iklearn.solvers.lm import SERIAL_BELOW

    c = load_robot("arm5")
    T, q0 = _targets(c, SERIAL_BELOW + 4, 10)
    big = LevenbergMarquardt(c, seed=1).solve(T, q0)  # parallel kernel
    small = LevenbergMarquardt(c, seed=1).solve(T[:5], q0[:5])  # serial kernel
    assert np.array_equal(big.q[:5], small.q) and np.array_equal(big.iterations[:5], small.iterations)


@pytest.mark.parametrize("name, kwargs, over", [
    ("arm5", {}, True),  # 5 joints, 6-D targets, full column rank
    ("arm4", {}, True),
    ("planar5", {}, False),  # 5 joints but a rank-3 Jacobian: redundant in the plane
    ("ur5", {}, False),  # square
    ("panda", {}, False),  # redundant
    ("arm5", {"position_only": True}, False),  # 5 joints, 3 rows
    ("arm5", {"free_axis": "z"}, False),  # 5 joints, 5 rows
])
def test_overdetermined_tasks_get_their_own_stall_and_damping(name, kwargs, over):
    from iklearn.solvers._lm_kernel import (LAM_DOWN, LAM_DOWN_OVERDETERMINED, STEP_STALL,
                                            STEP_STALL_OVERDETERMINED)

    opts = LevenbergMarquardt(load_robot(name), **kwargs)._options()
    assert opts[-2:] == ((STEP_STALL_OVERDETERMINED, LAM_DOWN_OVERDETERMINED) if over else (STEP_STALL, LAM_DOWN))


def test_overdetermined_settings_change_the_iterates_and_still_solve():
    """The over-determined options are what the kernel uses (switching them back changes the iterations)."""
    robot = load_robot("arm5")
    rng = np.random.default_rng(4)
    T = fk(robot, rng.uniform(robot.finite_lower, robot.finite_upper, (200, robot.dof)))
    s = LevenbergMarquardt(robot)
    r = s.solve(T)
    assert r.success.all()
    s._opts = s._options()[:3] + (0.8, 0.3)
    r2 = s.solve(T)
    assert r2.success.all()
    assert not np.array_equal(r.iterations, r2.iterations)
