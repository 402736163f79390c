"""Paper 000's Algorithm 1 as written: the DLS step against numpy, the GP's effect, the paper's limits."""

from __future__ import annotations

import numpy as np
import pytest

from iklearn.estimators.gp_ik import GPIK, Trace, reference_manipulability, sensitivity
from iklearn.estimators.gp_ik.algorithm1 import PAPER_PROFILES, Algorithm1
from iklearn.kinematics import fk, jacobian, pose_error
from iklearn.kinematics.pose import task_error
from iklearn.robot import load_robot


@pytest.fixture(scope="module")
def panda():
    return load_robot("panda")


@pytest.fixture(scope="module")
def case(panda):
    """A fixed target far enough from the mid-range start to need tens of iterations."""
    q_goal = np.array([0.9, 0.4, -0.5, -1.9, 0.3, 2.2, 0.4])
    return fk(panda, q_goal), 0.5 * (panda.finite_lower + panda.finite_upper)


def _trace(solver, T, q0) -> Trace:
    traces: list[Trace] = []
    solver.solve(T[None], q0=q0[None], traces=traces)
    return traces[0]


def test_first_step_is_sensitivity_damped_dls(panda, case):
    """Iterate 1 = clip(q0 + J^T (J J^T + (s d)^2 I)^-1 e): the GP holds one point, so all weights are 1."""
    T, q0 = case
    d = 0.1
    tr = _trace(Algorithm1(panda, acquisition="none", damping=d), T, q0)
    J = jacobian(panda, q0[None])[0]
    s = sensitivity(J[None], q0[None], panda.finite_lower, panda.finite_upper,
                    w_ref=reference_manipulability(panda, seed=0))[0]
    e = task_error(fk(panda, q0[None]), T[None])[0]
    dq = J.T @ np.linalg.solve(J @ J.T + (s * d) ** 2 * np.eye(6), e)
    np.testing.assert_allclose(tr.q[1], np.clip(q0 + dq, panda.finite_lower, panda.finite_upper), atol=1e-9)
    assert tr.sensitivity[0] == pytest.approx(s, abs=1e-7)


@pytest.mark.parametrize("acq", ["none", "ei", "ucb"])
def test_switching_the_gp_off_changes_the_iterates(panda, case, acq):
    T, q0 = case
    on = _trace(Algorithm1(panda, acquisition=acq), T, q0)
    again = _trace(Algorithm1(panda, acquisition=acq), T, q0)
    off = _trace(Algorithm1(panda, acquisition=acq, use_gp=False), T, q0)
    np.testing.assert_array_equal(on.q, again.q)  # deterministic: any difference below is the GP's
    np.testing.assert_allclose(on.q[1], off.q[1], atol=1e-12)  # one GP point: symmetric, zero slope
    n = min(len(on.q), len(off.q))
    assert n > 2
    assert np.abs(np.array(on.q[:n]) - np.array(off.q[:n])).max() > 1e-9  # round-off is ~1e-15


def test_switching_the_gp_off_changes_the_extension_iterates(panda, case):
    T, q0 = case
    kw = dict(acquisition="ucb", n_memory=64, seed=0)
    on = _trace(GPIK(panda, **kw), T, q0)
    off = _trace(GPIK(panda, kappa=0.0, eta=0.0, **kw), T, q0)
    n = min(len(on.q), len(off.q))
    assert n > 1 and np.abs(np.array(on.q[:n]) - np.array(off.q[:n])).max() > 1e-6


@pytest.mark.parametrize("acq", ["none", "ei", "ucb"])
def test_paper_limits_hold(panda, acq):
    """Inside the joint limits at every FK evaluation, the 200-evaluation cap, true errors in the trace."""
    rng = np.random.default_rng(3)
    T = fk(panda, rng.uniform(panda.finite_lower, panda.finite_upper, (6, 7)))
    q0 = rng.uniform(panda.finite_lower - 1.0, panda.finite_upper + 1.0, (6, 7))  # clamped first (line 24)
    traces: list[Trace] = []
    r = Algorithm1(panda, acquisition=acq, seed=1).solve(T, q0=q0, traces=traces)
    assert (r.iterations <= 200).all() and (r.iterations >= 1).all()
    for i, tr in enumerate(traces):
        assert len(tr.q) == r.iterations[i]  # one trace row per FK evaluation
        Q = np.array(tr.q)
        assert panda.within_limits(Q, tol=0.0).all()
        pe, re = pose_error(fk(panda, Q), np.repeat(T[i:i + 1], len(Q), 0))
        np.testing.assert_allclose(pe, tr.position_error, atol=1e-12)
        np.testing.assert_allclose(re, tr.rotation_error, atol=1e-9)
    pe, re = pose_error(fk(panda, r.q), T)
    np.testing.assert_allclose(pe, r.position_error, atol=1e-12)
    assert (r.success == ((pe < 1e-3) & (re < 1e-2))).all()


def test_profiles_follow_the_paper():
    """Sec. III-B: EI 0.99 / 0.98, lr 0.5, 5 attempts; UCB 0.85 / 0.80, lr 1.5, momentum 0.3, one pass."""
    ei, ucb, plain = PAPER_PROFILES["ei"], PAPER_PROFILES["ucb"], PAPER_PROFILES["none"]
    assert (ei.thresholds, ei.learning_rate, ei.momentum, ei.attempts) == ((0.99, 0.98), 0.5, 0.0, 5)
    assert (ucb.thresholds, ucb.learning_rate, ucb.momentum, ucb.attempts) == ((0.85, 0.80), 1.5, 0.3, 1)
    assert plain.thresholds is None and plain.attempts == 1


def test_ei_restarts_only_after_convergence_and_within_the_cap(panda):
    """A target out of reach: plain GP-IK runs to the cap in one pass; EI restarts, at most 5 attempts."""
    T = np.eye(4)
    T[:3, 3] = [2.0, 0.0, 0.5]  # 2 m away: no configuration reaches it
    q0 = 0.5 * (panda.finite_lower + panda.finite_upper)
    out = {}
    for acq in ("none", "ei", "ucb"):
        s = Algorithm1(panda, acquisition=acq)
        r = s.solve(T[None], q0=q0[None])
        assert not r.success[0] and r.iterations[0] <= 200
        out[acq] = (int(r.iterations[0]), int(s.attempts_[0]))
    assert out["none"] == (200, 1)  # no convergence test: runs to the cap
    assert out["ucb"][0] < 200 and out["ucb"][1] == 1  # single pass, early termination
    assert 2 <= out["ei"][1] <= 5  # converged without success -> restarts


def test_rejects_bad_settings(panda):
    from iklearn.errors import IKLearnError

    with pytest.raises(IKLearnError):
        Algorithm1(panda, acquisition="hybrid")
    with pytest.raises(IKLearnError):
        Algorithm1(panda, max_iterations=0)


def test_same_call_same_answer_and_batch_equals_single_calls(panda):
    """No hidden state: Algorithm 1 initialises its GP per solve and draws restarts from a fixed stream."""
    rng = np.random.default_rng(8)
    T = fk(panda, rng.uniform(panda.finite_lower, panda.finite_upper, (4, 7)))
    q0 = rng.uniform(panda.finite_lower, panda.finite_upper, (4, 7))
    s = Algorithm1(panda, acquisition="ei", seed=2)
    a, b = s.solve(T, q0=q0), s.solve(T, q0=q0)
    np.testing.assert_array_equal(a.q, b.q)
    singles = [s.solve(T[i:i + 1], q0=q0[i:i + 1]) for i in range(4)]
    np.testing.assert_array_equal(a.q, np.concatenate([r.q for r in singles]))
    np.testing.assert_array_equal(a.iterations, [r.iterations[0] for r in singles])
