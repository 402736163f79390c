"""Paper 000 (Jacobian-guided GP-IK): sensitivity metric, online GP against scikit-learn, solver limits."""

from __future__ import annotations

import numpy as np
import pytest

from iklearn.estimators.gp_ik import GPIK, OnlineGP, sensitivity
from iklearn.estimators.gp_ik.gp import chol_drop_first, matern52
from iklearn.kinematics import fk, jacobian, pose_error
from iklearn.robot import load_robot


@pytest.fixture(scope="module")
def panda():
    return load_robot("panda")


# -- sensitivity ------------------------------------------------------------------------------------------
def test_sensitivity_zero_safe_at_exact_singularities(panda):
    lo, hi = panda.finite_lower, panda.finite_upper
    q = 0.5 * (lo + hi)
    for J in (np.zeros((6, 7)), np.tile(np.arange(1.0, 8.0), (6, 1))):  # rank 0 and rank 1
        s = sensitivity(J, q, lo, hi)
        assert np.isfinite(s).all() and 0.0 <= s[0] <= 1.0
    # stretched arm (q2 = q4 = 0: elbow singular) is more sensitive than the ready pose
    q_sing = np.zeros(7)
    s_sing = sensitivity(jacobian(panda, q_sing), q_sing, np.full(7, -4.0), np.full(7, 4.0))
    s_ready = sensitivity(jacobian(panda, panda.pose("ready")), panda.pose("ready"), np.full(7, -4.0), np.full(7, 4.0))
    assert np.isfinite(s_sing).all() and s_sing[0] > s_ready[0] + 0.1


def test_sensitivity_joint_limit_term(panda):
    J = jacobian(panda, panda.pose("ready"))
    at_limit = panda.pose("ready").copy()
    at_limit[0] = panda.upper[0]
    lo, hi = panda.lower, panda.upper
    w = {"condition": 0.0, "manipulability": 0.0, "isotropy": 0.0, "limits": 1.0}
    assert sensitivity(J, at_limit, lo, hi, weights=w)[0] == pytest.approx(1.0)
    assert sensitivity(J, 0.5 * (lo + hi), lo, hi, weights=w)[0] == pytest.approx(0.0)


# -- online GP against scikit-learn ------------------------------------------------------------------------
def _sklearn_gp(X, y, ls, sv, nv):
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel

    k = ConstantKernel(sv) * Matern(length_scale=ls, nu=2.5) + WhiteKernel(nv)
    return GaussianProcessRegressor(kernel=k, optimizer=None, normalize_y=False).fit(X, y)


@pytest.mark.parametrize("window", [64, 9])
def test_online_gp_matches_sklearn(window):
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (15, 7))
    y = np.sin(X.sum(1)) + 0.5
    Xs = rng.uniform(-1, 1, (6, 7))
    ls, sv, nv, pm = 0.8, 0.05, 1e-4, 0.5
    gp = OnlineGP(length_scale=ls, signal_variance=sv, noise_variance=nv, prior_mean=pm, max_size=window)
    gp.fit(X, y)
    keep = slice(max(0, 15 - window), 15)  # the sliding window holds the newest points
    ref = _sklearn_gp(X[keep], y[keep] - pm, ls, sv, nv)
    m_ref, s_ref = ref.predict(Xs, return_std=True)
    m, s = gp.predict(Xs)
    np.testing.assert_allclose(m, m_ref + pm, atol=1e-8)
    np.testing.assert_allclose(s, s_ref, atol=1e-8)
    # the incrementally maintained factor equals a fresh Cholesky of the window's kernel matrix
    K = matern52(X[keep], X[keep], ls, sv) + nv * np.eye(X[keep].shape[0])
    np.testing.assert_allclose(gp.L_, np.linalg.cholesky(K), atol=1e-10)


def test_chol_drop_first():
    rng = np.random.default_rng(1)
    A = rng.normal(size=(8, 8))
    K = A @ A.T + 8 * np.eye(8)
    np.testing.assert_allclose(chol_drop_first(np.linalg.cholesky(K)), np.linalg.cholesky(K[1:, 1:]), atol=1e-12)


def test_gp_prior_without_points():
    from iklearn.errors import NotFittedError

    gp = OnlineGP(prior_mean=0.5, signal_variance=0.04, noise_variance=0.0)
    with pytest.raises(NotFittedError):  # no input dimension yet
        gp.predict(np.zeros((3, 7)))
    gp.allocate(7)
    m, s = gp.predict(np.zeros((3, 7)))
    np.testing.assert_allclose(m, 0.5)
    np.testing.assert_allclose(s, 0.2)


# -- solver --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("acq", ["none", "ei", "ucb", "hybrid"])
def test_solver_never_leaves_joint_limits(panda, acq):
    from iklearn.estimators.gp_ik import Trace

    rng = np.random.default_rng(3)
    T = fk(panda, rng.uniform(panda.finite_lower, panda.finite_upper, (3, 7)))
    # seeds outside the limits are clamped first (Algorithm 1, line 24)
    q0 = rng.uniform(panda.finite_lower - 1.0, panda.finite_upper + 1.0, (3, 7))
    s = GPIK(panda, acquisition=acq, max_iterations=60, n_memory=256, seed=1)
    traces: list[Trace] = []
    r = s.solve(T, q0=q0, traces=traces)
    visited = np.array([q for tr in traces for q in tr.q])  # every configuration a Jacobian was taken at
    assert len(visited) > 3 and len(visited) == s.jacobians_.sum()
    # iterations are FK evaluations: at least one per Jacobian, plus the start's
    assert (r.iterations >= s.jacobians_ + 1).all()
    assert panda.within_limits(visited, tol=0.0).all()
    assert panda.within_limits(r.q, tol=0.0).all()
    # the trace's errors are the true errors at the visited configurations
    pe, re = pose_error(fk(panda, np.array(traces[0].q)), np.repeat(T[:1], len(traces[0].q), 0))
    np.testing.assert_allclose(pe, traces[0].position_error, atol=1e-12)
    np.testing.assert_allclose(re, traces[0].rotation_error, atol=1e-9)


def test_kernel_sensitivity_matches_numpy(panda):
    from iklearn.estimators.gp_ik.sensitivity import DEFAULT_WEIGHTS, sensitivity_one

    rng = np.random.default_rng(5)
    Q = rng.uniform(panda.finite_lower, panda.finite_upper, (20, 7))
    Q[0] = [0.0, 0.0, 0.0, -0.0698, 0.0, 0.0, 0.0]  # near the stretched singularity
    J = jacobian(panda, Q)
    lo, hi = panda.finite_lower, panda.finite_upper
    w = np.array(list(DEFAULT_WEIGHTS.values()))
    ref = sensitivity(J, Q, lo, hi, w_ref=0.03)
    got = [sensitivity_one(np.ascontiguousarray(J[i]), Q[i], lo, hi, 0.03, w) for i in range(20)]
    np.testing.assert_allclose(got, ref, atol=1e-7)
    assert np.isfinite(sensitivity_one(np.zeros((6, 7)), Q[1], lo, hi, 0.03, w))


def test_memory_and_gp_persist_across_targets(panda):
    """Active learning across solves: the GP keeps learning and solved targets become starts."""
    rng = np.random.default_rng(6)
    T = fk(panda, rng.uniform(panda.finite_lower, panda.finite_upper, (4, 7)))
    s = GPIK(panda, acquisition="ucb", n_memory=256, seed=0)
    r1 = s.solve(T)
    n_gp = s.gp_.n_points
    assert n_gp == min(s.gp_.max_size, s.gp_.max_size // 2 + int(s.jacobians_.sum()))
    assert s._n_mem == 256 + int(r1.success.sum())
    # the same targets again: each one's own remembered solution is the nearest start -> immediate success
    r2 = s.solve(T)
    assert r2.success[r1.success].all()
    assert (s.jacobians_[r1.success] <= 1).all()


@pytest.mark.parametrize("acq", ["none", "ei", "ucb", "hybrid"])
def test_solver_converges_near_solution(panda, acq):
    rng = np.random.default_rng(4)
    Q = np.clip(rng.uniform(panda.finite_lower, panda.finite_upper, (4, 7)) * 0.6, panda.lower, panda.upper)
    T = fk(panda, Q)
    q0 = np.clip(Q + rng.normal(0, 0.3, Q.shape), panda.lower, panda.upper)
    r = GPIK(panda, acquisition=acq, seed=0).solve(T, q0=q0)
    pe, re = pose_error(fk(panda, r.q), T)
    assert r.success.all()
    assert (pe < 1e-3).all() and (re < 1e-2).all()
    np.testing.assert_allclose(pe, r.position_error, atol=1e-12)


def test_solver_rejects_unknown_acquisition(panda):
    from iklearn.errors import IKLearnError

    with pytest.raises(IKLearnError):
        GPIK(panda, acquisition="pi")
