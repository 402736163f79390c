"""Per-call options: locked joints, joint limits by name, acceptance callback, free tool axis, weights and
per-axis tolerances; each bad value raises a clear IKLearnError."""

from __future__ import annotations

import numpy as np
import pytest

import iklearn
from iklearn.errors import IKLearnError
from iklearn.kinematics import fk, pose_error
from iklearn.robot import load_robot
from iklearn.solvers._task_kernel import _task_error, make_task


def _rot(axis, a):
    k = np.asarray(axis, float) / np.linalg.norm(axis)
    K = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    return np.eye(3) + np.sin(a) * K + (1 - np.cos(a)) * K @ K


def _sample(chain, n, seed, **fixed):
    rng = np.random.default_rng(seed)
    q = rng.uniform(chain.finite_lower, chain.finite_upper, (n, chain.dof))
    for name, v in fixed.items():
        q[:, chain.joint_names.index(name)] = v
    return q


def test_locked_joint_stays_put():
    c = load_robot("panda")
    T = fk(c, _sample(c, 20, 0, panda_joint3=0.3))  # reachable with joint 3 at 0.3
    r = iklearn.solve(c, T, lock={"panda_joint3": 0.3})
    assert r.success.all()
    assert (r.q[:, 2] == 0.3).all()
    s = iklearn.solve_set(c, T[:2], n_solutions=3, lock={"panda_joint3": 0.3})
    assert (s.q[:, :, 2][s.valid] == 0.3).all()


def test_per_call_limits_are_respected():
    c = load_robot("panda")
    q = _sample(c, 30, 1)
    q[:, 0] = np.clip(q[:, 0], -0.4, 0.4)
    r = iklearn.solve(c, fk(c, q), limits={"panda_joint1": (-0.5, 0.5)})
    assert r.success.all()
    assert (np.abs(r.q[:, 0]) <= 0.5).all()
    assert c.lower[0] < -2.8  # the robot itself is unchanged


def test_accept_callback_is_obeyed_and_refusals_counted():
    c = load_robot("ur5")
    T = fk(c, _sample(c, 10, 2))
    seen = []

    def elbow_up(q):
        seen.append(q.copy())
        return bool(q[2] < 0)

    r = iklearn.solve(c, T, accept=elbow_up)
    assert r.success.all() and (r.q[:, 2] < 0).all()
    assert r.rejected.sum() == sum(q[2] >= 0 for q in seen) and r.rejected.sum() > 0
    never = iklearn.solve(c, T[:2], accept=lambda q: False, max_iterations=200)
    assert not never.success.any() and (never.rejected > 0).all()
    plain = iklearn.solve(c, T)
    assert (plain.rejected == 0).all()


def test_free_axis_error_ignores_only_that_axis():
    rng = np.random.default_rng(3)
    Tt = np.eye(4)
    Tt[:3, :3] = _rot(rng.normal(size=3), 1.1)
    w = np.ones(6)
    for k, axis in enumerate("xyz"):
        wk = w.copy()
        wk[3 + k] = 0.0
        task = make_task(True, k)
        T = Tt.copy()
        T[:3, :3] = Tt[:3, :3] @ _rot(np.eye(3)[k], 0.9)  # spin about the tool's own axis k: no error
        E, pe, re = _task_error(Tt, T, np.empty(6), wk, task)
        assert E < 1e-20 and re < 1e-10, axis
        for other in (j for j in range(3) if j != k):  # tilt about another tool axis: the full angle
            T[:3, :3] = Tt[:3, :3] @ _rot(np.eye(3)[other], 0.25)
            E, pe, re = _task_error(Tt, T, np.empty(6), wk, task)
            assert abs(re - 0.25) < 1e-12 and abs(E - 0.25**2) < 1e-12, axis
        T[:3, :3] = Tt[:3, :3] @ _rot(np.eye(3)[(k + 1) % 3], np.pi)  # axis reversed: pi, not 0
        assert abs(_task_error(Tt, T, np.empty(6), wk, task)[2] - np.pi) < 1e-9


def test_free_axis_solves_targets_spun_about_the_tool_axis():
    c = load_robot("panda")
    T = fk(c, _sample(c, 25, 4))
    rng = np.random.default_rng(5)
    Ts = T.copy()
    for i in range(len(T)):  # a random spin about the tool z axis: same tool axis, other rotation
        Ts[i, :3, :3] = T[i, :3, :3] @ _rot([0, 0, 1], rng.uniform(-np.pi, np.pi))
    r = iklearn.solve(c, Ts, free_axis="z")
    assert r.success.all()
    F = fk(c, r.q)
    pe, _ = pose_error(F, Ts)
    assert (pe <= 1e-6).all()
    a, b = F[:, :3, 2], Ts[:, :3, 2]
    angle = np.arctan2(np.linalg.norm(np.cross(a, b), axis=1), np.einsum("ni,ni->n", a, b))
    assert (angle <= 1e-5).all()
    np.testing.assert_allclose(r.rotation_error, angle, atol=1e-12)  # the error reported is the tool axis's


def test_weights_free_an_axis_and_per_axis_tolerances_decide_success():
    c = load_robot("ur5")
    q = _sample(c, 15, 6)
    T = fk(c, q)
    shifted = T.copy()
    shifted[:, :3, 3] += 0.2 * T[:, :3, 2]  # 20 cm along the tool z axis
    # z (target frame) weighted 0: that offset is ignored, the rest must match
    r = iklearn.solve(c, shifted, weights=[1, 1, 0, 1, 1, 1])
    assert r.success.all()
    F = fk(c, r.q)
    d = np.einsum("nji,nj->ni", shifted[:, :3, :3], F[:, :3, 3] - shifted[:, :3, 3])  # error in target frame
    assert (np.abs(d[:, :2]) <= 1e-6).all() and (np.abs(d[:, 2]) > 1e-3).any()
    np.testing.assert_allclose(r.position_error, np.linalg.norm(d[:, :2], axis=1), atol=1e-12)
    # a loose tolerance along z: solved within 5 mm there, 1e-6 m across
    tol = [1e-6, 1e-6, 5e-3, 1e-5, 1e-5, 1e-5]
    near = T.copy()
    near[:, :3, 3] += 0.004 * T[:, :3, 2]
    r2 = iklearn.solve(c, near, tolerances=tol, q0=q)
    assert r2.success.all() and (r2.iterations == 0).all()  # the original configuration is within the box
    assert not iklearn.solve(c, near, tolerances=[1e-6] * 3 + [1e-5] * 3, q0=q, max_iterations=1).success.any()


@pytest.mark.parametrize("kw,match", [
    ({"lock": {"nope": 0.1}}, "no joint 'nope'"),
    ({"lock": {"panda_joint4": 0.5}}, "outside its limits"),
    ({"lock": {"panda_joint1": "a"}}, "needs a number"),
    ({"limits": {"panda_joint1": (0.5, -0.5)}}, "lower <= upper"),
    ({"limits": {"panda_joint1": (-5.0, 0.5)}}, "outside its limits"),
    ({"limits": {"panda_joint1": 0.5}}, r"needs \(lower, upper\)"),
    ({"limits": {"panda_joint1": (np.nan, 0.5)}}, "finite"),
    ({"weights": [1, 1, 1]}, "weights must be 6 numbers"),
    ({"weights": [1, 1, 1, -1, 1, 1]}, ">= 0"),
    ({"weights": [0] * 6}, "at least one > 0"),
    ({"tolerances": [1e-3] * 5 + [0.0]}, "tolerances must be > 0"),
    ({"free_axis": "w"}, "free_axis must be one of x, y, z"),
    ({"weights": [1] * 6, "position_only": True}, "either weights or position_only"),
    ({"accept": 3}, "accept must be a function"),
    ({"time_budget": -1.0}, "time_budget"),
])
def test_bad_option_values_raise_clear_errors(kw, match):
    c = load_robot("panda")
    with pytest.raises(IKLearnError, match=match):
        iklearn.solve(c, fk(c, c.pose("ready")), **kw)


def test_analytic_refuses_locked_joints():
    c = load_robot("ur5")
    with pytest.raises(IKLearnError, match="cannot lock"):
        iklearn.solve(c, fk(c, np.zeros(6)), method="analytic", lock={c.joint_names[0]: 0.0})
