"""DLS and SDLS solvers and ``iklearn.solvers.solve``: closed forms, FK(IK(x)) = x, limits, odd arms."""

from __future__ import annotations

import numpy as np
import pytest

from iklearn.errors import IKLearnError
from iklearn.kinematics import fk, fk_pose, jacobian
from iklearn.kinematics.pose import task_error
from iklearn.robot import load_robot
from iklearn.solvers import (
    DampedLeastSquares,
    IKResult,
    LevenbergMarquardt,
    SelectivelyDampedLeastSquares,
    solve,
)
from iklearn.solvers.dls import dls_step
from iklearn.solvers.sdls import clamp_max_abs, sdls_step

SOLVERS = [DampedLeastSquares, SelectivelyDampedLeastSquares]


def _targets(chain, n, seed):
    q = np.random.default_rng(seed).uniform(chain.finite_lower, chain.finite_upper, (n, chain.dof))
    return q, fk(chain, q)


def test_dls_step_formula():
    rng = np.random.default_rng(0)
    J = rng.normal(size=(4, 6, 7))
    e = rng.normal(size=(4, 6))
    w = rng.uniform(0.5, 2, 7)
    got = dls_step(J, e, 0.1, w)
    for i in range(4):
        Wi = np.diag(1 / w)
        want = Wi @ J[i].T @ np.linalg.solve(J[i] @ Wi @ J[i].T + 0.01 * np.eye(6), e[i])
        np.testing.assert_allclose(got[i], want, rtol=1e-10, atol=1e-12)


def test_sdls_step_is_pseudo_inverse_for_small_errors():
    """Far from singularities and for small errors no clamp is active: SDLS = J^+ e (Buss & Kim)."""
    c = load_robot("panda")
    J = jacobian(c, np.tile(c.pose("ready"), (3, 1)) + [[0.0], [0.1], [-0.2]])
    e = np.random.default_rng(1).normal(size=(3, 6)) * 1e-3
    np.testing.assert_allclose(sdls_step(J, e), np.einsum("nij,nj->ni", np.linalg.pinv(J), e), atol=1e-12)
    big = sdls_step(J, e * 1e4)
    assert np.abs(big).max() <= np.pi / 4 + 1e-12


def test_clamp_max_abs():
    w = np.array([[0.1, -2.0, 1.0], [0.1, 0.2, 0.0]])
    np.testing.assert_allclose(clamp_max_abs(w, 1.0), [[0.05, -1.0, 0.5], [0.1, 0.2, 0.0]])


def test_task_error_rotation_vector_against_scipy():
    from scipy.spatial.transform import Rotation

    rng = np.random.default_rng(21)
    rv = rng.normal(size=(200, 3))
    rv *= (rng.uniform(0, np.pi, 200) / np.linalg.norm(rv, axis=1))[:, None]
    rv[:5] *= 1e-9  # tiny angles
    rv[5:10] *= (np.pi - 1e-7) / np.linalg.norm(rv[5:10], axis=1)[:, None]  # nearly pi
    T = np.tile(np.eye(4), (200, 1, 1))
    T[:, :3, :3] = Rotation.random(200, random_state=1).as_matrix()
    Tt = T.copy()
    Tt[:, :3, :3] = Rotation.from_rotvec(rv).as_matrix() @ T[:, :3, :3]
    np.testing.assert_allclose(task_error(T, Tt)[:, 3:], rv, atol=1e-9)


def test_task_error_is_first_order_in_jacobian():
    c = load_robot("ur5")
    q = np.array([0.3, -1.0, 1.2, -0.5, 0.7, 0.1])
    dq = 1e-6 * np.random.default_rng(2).normal(size=6)
    e = task_error(fk(c, q)[None], fk(c, q + dq)[None])[0]
    np.testing.assert_allclose(e, jacobian(c, q) @ dq, atol=1e-11)


@pytest.mark.parametrize("cls", SOLVERS)
def test_planar2_matches_closed_form(cls):
    c = load_robot("planar2")
    rng = np.random.default_rng(3)
    r = rng.uniform(0.4, 1.6, 30)
    phi = rng.uniform(-np.pi, np.pi, 30)
    x, y = r * np.cos(phi), r * np.sin(phi)
    targets = np.zeros((30, 7))
    targets[:, 0], targets[:, 1], targets[:, 6] = x, y, 1.0
    res = cls(c, position_only=True, restarts=3, seed=0).solve(targets)
    assert res.success.all()
    c2 = (x**2 + y**2 - 1.0 - 0.49) / (2 * 0.7)
    for sign in (1, -1):
        q2 = sign * np.arccos(np.clip(c2, -1, 1))
        q1 = np.arctan2(y, x) - np.arctan2(0.7 * np.sin(q2), 1.0 + 0.7 * np.cos(q2))
        d = np.angle(np.exp(1j * (res.q - np.stack([q1, q2], 1))))
        ok = np.abs(d).max(axis=1) < 1e-5
        if sign == 1:
            up = ok
        else:
            assert (up | ok).all()  # every solution is one of the two analytic branches


@pytest.mark.parametrize("cls", SOLVERS)
def test_panda_full_pose_fk_of_ik_and_limits(cls):
    c = load_robot("panda")
    _, T = _targets(c, 40, seed=10)
    res = cls(c, tol_position=1e-5, tol_rotation=1e-4, restarts=6, seed=1).solve(T)
    assert isinstance(res, IKResult) and res.q.shape == (40, 7)
    assert res.success.mean() >= 0.8
    assert c.within_limits(res.q).all()
    s = res.success
    pe = np.linalg.norm(fk(c, res.q[s])[:, :3, 3] - T[s, :3, 3], axis=1)
    assert pe.max() <= 1e-5
    np.testing.assert_allclose(pe, res.position_error[s], atol=1e-12)
    assert (res.iterations > 0).all()


@pytest.mark.parametrize("cls", SOLVERS)
def test_seeded_near_solution_converges_fast(cls):
    c = load_robot("ur5")
    q, T = _targets(c, 20, seed=4)
    res = cls(c).solve(T, q0=q + 0.05)
    assert res.success.all()
    assert res.position_error.max() <= 1e-6 and res.rotation_error.max() <= 1e-5
    assert np.median(res.iterations) < 30


@pytest.mark.parametrize("cls", SOLVERS)
def test_batched_equals_looped(cls):
    c = load_robot("panda")
    q, T = _targets(c, 6, seed=5)
    q0 = np.random.default_rng(6).uniform(c.finite_lower, c.finite_upper, (6, 7))
    solver = cls(c, max_iterations=100)
    batch = solver.solve(T, q0)
    for i in range(6):
        one = solver.solve(T[i], q0[i])
        np.testing.assert_allclose(one.q[0], batch.q[i], atol=1e-9)
        assert one.iterations[0] == batch.iterations[i]


@pytest.mark.parametrize("cls", SOLVERS)
def test_redundant_snake_position_only(cls):
    c = load_robot("snake24")
    _, T = _targets(c, 10, seed=7)
    res = cls(c, position_only=True, tol_position=1e-5, restarts=2).solve(T, q0=np.zeros(24))
    assert res.success.mean() >= 0.9
    np.testing.assert_array_equal(res.rotation_error, 0.0)


@pytest.mark.parametrize("cls", SOLVERS + [LevenbergMarquardt])
def test_underactuated_arm5_least_squares_no_exception(cls):
    """A 5-DOF arm cannot reach a generic 6-D pose: the solver returns its least-squares best, success=False."""
    c = load_robot("arm5")
    q, T = _targets(c, 8, seed=8)
    T_bad = T.copy()
    R = np.array([[1, 0, 0], [0, np.cos(0.3), -np.sin(0.3)], [0, np.sin(0.3), np.cos(0.3)]])
    T_bad[:, :3, :3] = T[:, :3, :3] @ R  # roll the tool about an axis the arm cannot reach
    res = cls(c, max_iterations=100 if cls is LevenbergMarquardt else 300).solve(T_bad, q0=q)
    assert not res.success.any()
    assert np.isfinite(res.q).all() and c.within_limits(res.q).all()
    # starting at the exact position, it trades a little position for orientation: no worse than the start
    cost0 = 0.0 + 0.3**2
    assert (res.position_error**2 + res.rotation_error**2 <= cost0 + 1e-9).all()


@pytest.mark.parametrize("method", ["lm", "dls", "sdls"])
def test_solve_unreachable_returns_best_not_error(method):
    res = solve("panda", [[3.0, 0, 0.5, 0, 0, 0, 1], [0.4, 0.1, 0.5, 1, 0, 0, 0]], method=method,
                max_iterations=200, seed=0)
    assert not res.success[0] and res.position_error[0] > 1.5
    assert np.isfinite(res.q).all()


def test_solve_accepts_names_paths_and_chains(tmp_path):
    from iklearn.robot.catalogue import URDF_DIR

    c = load_robot("arm5")
    q, T = _targets(c, 5, seed=9)
    P = fk_pose(c, q)
    for robot in ("arm5", c, str(URDF_DIR / "arm5.urdf")):
        kw = {"base_link": "base_link", "tip_link": "tool_link"} if isinstance(robot, str) and "/" in robot else {}
        res = solve(robot, P, q0=q + 0.02, **kw)
        assert res.success.all()
    res = solve("arm5", P[0], method="dls", q0=q[0] + 0.02)
    assert len(res) == 1 and res.success[0]


def test_solve_rejects_unknown_method_and_option():
    with pytest.raises(IKLearnError, match="unknown IK method"):
        solve("planar2", [1, 0, 0, 0, 0, 0, 1], method="magic")
    with pytest.raises(IKLearnError, match="method 'dls'"):
        solve("planar2", [1, 0, 0, 0, 0, 0, 1], method="dls", bogus=3)
    with pytest.raises(IKLearnError):
        DampedLeastSquares(load_robot("planar2"), tol_position=0)
    with pytest.raises(IKLearnError):
        DampedLeastSquares(load_robot("planar2"), joint_weights=[1.0])


def test_same_seed_same_result():
    c = load_robot("panda")
    _, T = _targets(c, 5, seed=12)
    a = solve(c, T, method="sdls", seed=3, max_iterations=50)
    b = solve(c, T, method="sdls", seed=3, max_iterations=50)
    np.testing.assert_array_equal(a.q, b.q)


def test_fixed_damping_mode_runs():
    c = load_robot("ur5")
    q, T = _targets(c, 5, seed=13)
    res = DampedLeastSquares(c, adaptive=False, damping=0.01, tol_position=1e-5, tol_rotation=1e-4).solve(
        T, q0=q + 0.05)
    assert res.success.mean() >= 0.8
    pe0 = np.linalg.norm(fk(c, q + 0.05)[:, :3, 3] - T[:, :3, 3], axis=1)
    assert (res.position_error < pe0).all()
