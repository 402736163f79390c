"""The PyBullet arm simulator: its kinematics against ours, position-controlled tracking, bad inputs; the
built-in ``panda_grasp`` against PyBullet's own Panda URDF; PyBullet's IK with a rest pose."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pybullet")

from iklearn.errors import IKLearnError  # noqa: E402
from iklearn.evaluation.pybullet_sim import PyBulletArm  # noqa: E402
from iklearn.kinematics import fk, pose_error  # noqa: E402
from iklearn.robot import load_robot  # noqa: E402


@pytest.fixture(scope="module")
def arm():
    a = PyBulletArm.panda()
    yield a
    a.close()


def test_panda_grasp_is_pybullets_panda(arm):
    """Our built-in robot and PyBullet's URDF, set kinematically, give the same tool pose."""
    ch = load_robot("panda_grasp")
    Q = np.random.default_rng(0).uniform(ch.finite_lower, ch.finite_upper, (40, 7))
    dp, dr = pose_error(arm.poses(Q), fk(ch, Q))
    assert dp.max() < 1e-6 and dr.max() < 1e-5
    import os

    import pybullet_data

    from iklearn.robot import from_urdf

    u = from_urdf(os.path.join(pybullet_data.getDataPath(), "franka_panda/panda.urdf"), "panda_link0",
                  "panda_grasptarget")
    np.testing.assert_allclose(fk(u, Q), fk(ch, Q), atol=1e-9)


def test_position_control_tracks_with_a_lag_that_shrinks_with_time(arm):
    ch = load_robot("panda_grasp")
    q0 = np.array([0.98, 0.458, 0.31, -2.24, -0.30, 2.66, 2.32])
    # hold one configuration: the arm settles onto it (gravity on, motors hold it)
    P = arm.track(np.tile(q0, (3, 1)), steps_per_point=120, settle_steps=240)
    assert pose_error(P, fk(ch, q0[None]))[0].max() < 1e-4
    # a moving set-point: the simulated pose lags our FK of the set-points, less when each is held longer
    Q = q0 + np.linspace(0, 0.3, 30)[:, None] * np.array([1, -0.5, 0.5, 0.5, 0, 0.5, 1])
    errs = [pose_error(arm.track(Q, steps_per_point=k, settle_steps=240), fk(ch, Q))[0][1:].mean() for k in (4, 48)]
    assert errs[0] > 1e-4 and errs[1] < 0.2 * errs[0]
    np.testing.assert_allclose(arm.joint_positions(), Q[-1], atol=1e-3)
    # the same command gives the same answer (the state is reset)
    np.testing.assert_allclose(arm.track(Q[:5], steps_per_point=4), arm.track(Q[:5], steps_per_point=4), atol=1e-12)


def test_from_chain_and_bad_inputs(arm):
    ch = load_robot("planar3")
    with PyBulletArm.from_chain(ch, gravity=0.0) as a:
        Q = np.random.default_rng(1).uniform(ch.finite_lower, ch.finite_upper, (5, 3))
        assert pose_error(a.poses(Q), fk(ch, Q))[0].max() < 1e-6
    with pytest.raises(IKLearnError):
        arm.track(np.zeros((3, 6)))
    with pytest.raises(IKLearnError):
        arm.poses(np.full((1, 7), np.nan))
    with pytest.raises(IKLearnError):
        arm.track(np.zeros((2, 7)), steps_per_point=0)
    with pytest.raises(IKLearnError):
        PyBulletArm("franka_panda/panda.urdf", ["panda_joint1", "nope"], "panda_grasptarget")
    with pytest.raises(IKLearnError):
        PyBulletArm("franka_panda/panda.urdf", ["panda_joint1"], "no_link")
    with pytest.raises(IKLearnError):
        PyBulletArm("does/not/exist.urdf", ["j"], "t")


def test_pybullet_ik_pulls_towards_its_rest_pose():
    """With a rest pose, PyBullet's null-space DLS stays near it and in the limits, but does not converge exactly
    (the pull balances the task); without, it starts from the seed."""
    from iklearn.solvers.peers import PyBulletIK

    ch = load_robot("panda_grasp")
    rest = np.array([0.98, 0.458, 0.31, -2.24, -0.30, 2.66, 2.32])
    T = fk(ch, (rest + np.array([0.1, 0.05, -0.05, 0.1, 0.0, -0.05, 0.1]))[None])
    r = PyBulletIK(ch, max_iterations=500, residual_threshold=1e-5, rest_pose=rest).solve(T, q0=rest)
    assert ch.within_limits(r.q).all()
    assert 1e-6 < r.position_error[0] < 5e-3
    with pytest.raises(IKLearnError):
        PyBulletIK(ch, rest_pose=np.zeros(3))
