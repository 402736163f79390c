"""Paths: chained seeds keep to the branch, steps are reported, unavoidable jumps are flagged with a reason."""

from __future__ import annotations

import numpy as np
import pytest

import iklearn
from iklearn.errors import IKLearnError
from iklearn.kinematics import fk, pose_error
from iklearn.robot import load_robot
from iklearn.solvers.path import cartesian_steps, path_steps


def _line(T0, direction, n, step=1e-3):
    P = np.repeat(T0[None], n, axis=0)
    P[:, :3, 3] += np.outer(np.arange(1, n + 1) * step, direction)
    return P


def test_panda_line_is_followed_without_jumps_and_steps_are_reported():
    c = load_robot("panda")
    q0 = c.pose("ready")
    P = _line(fk(c, q0), [0.0, 1.0, -0.5] / np.sqrt(1.25), 150)
    r = iklearn.solve_path(c, P, q0=q0)
    assert len(r) == 150 and r.success.all() and not r.discontinuity.any()
    assert (r.reason == "").all() and r.discontinuities.size == 0
    pe, re = pose_error(fk(c, r.q), P)
    assert (pe <= 1e-6).all() and (re <= 1e-5).all()
    prev = np.vstack([q0, r.q[:-1]])
    np.testing.assert_allclose(r.joint_step, np.abs(r.q - prev).max(axis=1), atol=0)
    np.testing.assert_allclose(r.cartesian_step, 1e-3, atol=1e-9)  # 1 mm steps, no rotation
    assert r.joint_step.max() < 0.02  # small steps: the seed's branch
    js, cs, flag = path_steps(r.q, P, q0, chain=c)  # the scoring function agrees with the record
    np.testing.assert_array_equal(js, r.joint_step) and np.testing.assert_array_equal(flag, r.discontinuity)


def test_forced_wrap_of_a_joint_is_flagged_as_a_limit():
    # planar 2R arm, position only, a full circle about the base: joint 1 must jump from +pi to -pi
    c = load_robot("planar2")
    th = np.linspace(0.0, 2 * np.pi, 400)
    P = np.tile(np.eye(4), (400, 1, 1))
    P[:, 0, 3], P[:, 1, 3] = 1.2 * np.cos(th), 1.2 * np.sin(th)
    q0 = iklearn.solve(c, P[0], position_only=True, q0=np.array([-0.5, 1.2])).q[0]
    r = iklearn.solve_path(c, P, q0=q0, position_only=True)
    assert r.success.all()
    assert r.discontinuity.sum() == 1
    i = int(r.discontinuities[0])
    assert r.joint_step[i] > 5.0 and r.reason[i] == "limit"
    assert r.q[i - 1, 0] > 3.1 and r.q[i, 0] < -3.1  # where joint 1 runs out of range
    assert np.abs(np.delete(r.joint_step, i)).max() < 0.05


def test_no_q0_solves_row_0_from_a_random_seed_and_reports_no_step():
    c = load_robot("ur5")
    q = np.array([0.3, -1.2, 1.4, -1.0, 1.3, 0.2])
    r = iklearn.solve_path(c, _line(fk(c, q), [1.0, 0.0, 0.0], 20))
    assert r.success.all() and r.joint_step[0] == 0.0 and r.cartesian_step[0] == 0.0
    assert not r.discontinuity.any()


def test_same_call_gives_the_same_path():
    c = load_robot("iiwa14")
    q0 = np.full(7, 0.3)
    P = _line(fk(c, q0), [0.0, 0.0, 1.0], 30)
    a, b = iklearn.solve_path(c, P, q0=q0), iklearn.solve_path(c, P, q0=q0)
    assert np.array_equal(a.q, b.q)


def test_cartesian_step_counts_rotation_with_its_scale():
    T = np.tile(np.eye(4), (2, 1, 1))
    a = 0.2
    T[1, :3, :3] = [[np.cos(a), -np.sin(a), 0], [np.sin(a), np.cos(a), 0], [0, 0, 1]]
    T[1, 0, 3] = 0.003
    np.testing.assert_allclose(cartesian_steps(T, None, 0.1), [0.0, 0.003 + 0.1 * a])


@pytest.mark.parametrize("kw,match", [
    ({"max_joint_rate": 0.0}, "max_joint_rate"), ({"max_joint_rate": np.inf}, "max_joint_rate"),
    ({"min_jump": -1.0}, "min_jump"), ({"rotation_scale": -0.1}, "rotation_scale"),
    ({"max_substeps": 0}, "max_substeps"), ({"q0": np.zeros((2, 7))}, "q0"),
])
def test_bad_path_options_raise(kw, match):
    c = load_robot("panda")
    P = _line(fk(c, c.pose("ready")), [1.0, 0, 0], 3)
    with pytest.raises(IKLearnError, match=match):
        iklearn.solve_path(c, P, **({"q0": c.pose("ready")} | kw))
