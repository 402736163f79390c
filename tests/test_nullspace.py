"""Resolved-rate / null-space control (Liegeois): the task is untouched, the criterion decreases, tracking."""

from __future__ import annotations

import numpy as np
import pytest

from iklearn.errors import IKLearnError, ShapeError
from iklearn.kinematics import fk, jacobian
from iklearn.robot import load_robot
from iklearn.solvers.nullspace import (
    criterion_value,
    joint_limit_gradient,
    pinv,
    rmrc_step,
    track,
)


def test_plain_step_is_pseudo_inverse():
    c = load_robot("panda")
    Q = np.random.default_rng(0).uniform(c.finite_lower, c.finite_upper, (5, 7))
    xd = np.random.default_rng(1).normal(size=(5, 6))
    J = jacobian(c, Q)
    np.testing.assert_allclose(rmrc_step(c, Q, xd, position_only=False),
                               np.einsum("nij,nj->ni", np.linalg.pinv(J), xd), atol=1e-10)
    np.testing.assert_allclose(pinv(J, 0.05), np.linalg.solve(
        J @ J.transpose(0, 2, 1) + 0.0025 * np.eye(6), J).transpose(0, 2, 1), atol=1e-10)


@pytest.mark.parametrize("criterion", ["rest", "limits"])
def test_null_space_term_keeps_the_task_and_lowers_the_criterion(criterion):
    c = load_robot("snake24")
    q = np.random.default_rng(2).uniform(-1, 1, (4, 24))
    xd = np.random.default_rng(3).normal(size=(4, 3)) * 0.1
    rest = np.full(24, 0.2)
    qd0 = rmrc_step(c, q, xd)
    qd = rmrc_step(c, q, xd, alpha=2.0, criterion=criterion, q_rest=rest)
    J = jacobian(c, q)[:, :3]
    # the task velocity is exactly the commanded one, with or without the null-space motion
    np.testing.assert_allclose(np.einsum("nij,nj->ni", J, qd), xd, atol=1e-10)
    assert np.abs(qd - qd0).max() > 1e-3
    # with no task motion, a small step along the null-space motion lowers g
    qn = rmrc_step(c, q, np.zeros((4, 3)), alpha=1.0, criterion=criterion, q_rest=rest)
    g0 = criterion_value(c, q, criterion, rest)
    g1 = criterion_value(c, q + 1e-3 * qn, criterion, rest)
    assert (g1 < g0).all()


def test_joint_limit_gradient_matches_finite_differences():
    c = load_robot("panda")
    q = c.pose("ready")[None] + 0.1
    g = joint_limit_gradient(q, c.lower, c.upper)[0]
    h = 1e-6
    fd = [(criterion_value(c, q + h * e, "limits") - criterion_value(c, q - h * e, "limits"))[0] / (2 * h)
          for e in np.eye(7)]
    np.testing.assert_allclose(g, fd, atol=1e-9)


def test_track_figure_eight_position_with_rest_posture():
    c = load_robot("snake24")
    q0 = c.pose("bent")
    p0 = fk(c, q0)[:3, 3]
    t = np.linspace(0, 2 * np.pi, 300)
    traj = p0 + 0.05 * np.stack([np.sin(t), np.sin(t) * np.cos(t), np.zeros_like(t)], 1)
    plain = track(c, traj, q0, dt=0.01, gain=20.0)
    rest = track(c, traj, q0, dt=0.01, gain=20.0, alpha=2.0, criterion="rest", q_rest=np.zeros(24))
    for r in (plain, rest):
        assert r.q.shape == (300, 24) and r.qdot.shape == (300, 24)
        assert r.position_error.max() < 2e-3
        np.testing.assert_array_equal(r.rotation_error, 0.0)
    assert rest.criterion[-1] < 0.9 * rest.criterion[0]  # moved towards the rest posture
    rest_g = criterion_value(c, plain.q[-1:], "rest", np.zeros(24))[0]
    assert rest.criterion[-1] < rest_g


def test_track_full_pose_on_panda():
    c = load_robot("panda")
    q0 = c.pose("ready")
    T0 = fk(c, q0)
    traj = np.tile(T0, (200, 1, 1))
    s = np.linspace(0, np.pi, 200)
    traj[:, 0, 3] += 0.1 * np.sin(s)
    traj[:, 2, 3] += 0.05 * (1 - np.cos(s))
    r = track(c, traj, q0, dt=0.01, gain=20.0, alpha=1.0, criterion="limits")
    assert r.position_error.max() < 2e-3 and r.rotation_error.max() < 1e-3
    assert c.within_limits(r.q).all()


def test_callable_criterion_and_errors():
    c = load_robot("planar3")
    q = np.array([0.2, 0.4, -0.3])
    qd = rmrc_step(c, q, [0.0, 0.0, 0.0], alpha=1.0, criterion=lambda Q: Q)  # pull every joint to zero
    assert qd.shape == (3,) and qd @ q < 0
    with pytest.raises(IKLearnError, match="q_rest"):
        rmrc_step(c, q, [0, 0, 0], alpha=1.0, criterion="rest")
    with pytest.raises(IKLearnError, match="criterion"):
        rmrc_step(c, q, [0, 0, 0], alpha=1.0, criterion="manip")
    with pytest.raises(ShapeError):
        rmrc_step(c, q, [0, 0, 0, 0, 0, 0])  # position-only wants (N, 3)
    with pytest.raises(IKLearnError, match="dt"):
        track(c, np.zeros((3, 3)), q, dt=0)
