"""The Chain: immutability, limits, serialisation, derived chains (perturbed, with_tool), catalogue."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from iklearn.errors import IKLearnError, UnknownRobotError
from iklearn.kinematics import fk
from iklearn.robot import Chain, list_robots, load_robot


@pytest.mark.parametrize("name", list_robots())
def test_catalogue_robots_load_and_round_trip(name):
    c = load_robot(name)
    assert c.dof == len(c.joint_names) == c.lower.shape[0]
    c2 = Chain.from_dict(c.to_dict())
    assert c2.fingerprint() == c.fingerprint()
    Q = np.random.default_rng(0).uniform(c.finite_lower, c.finite_upper, (10, c.dof))
    np.testing.assert_array_equal(fk(c, Q), fk(c2, Q))
    for pname, q in c.named_poses.items():
        assert c.within_limits(q).all(), pname
    # reach bounds the distance from the base to the tip
    assert (np.linalg.norm(fk(c, Q)[:, :3, 3], axis=1) <= c.reach() + 1e-12).all()


def test_chain_is_frozen():
    c = load_robot("panda")
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.name = "x"
    with pytest.raises(ValueError):
        c.lower[0] = 0.0
    with pytest.raises(ValueError):
        c.fixed[0, 0, 0] = 2.0


def test_clip_and_within_limits():
    c = load_robot("panda")
    q = np.array([[0, 0, 0, 0.5, 0, 0, 0], c.pose("ready")])
    assert c.within_limits(q).tolist() == [False, True]
    assert c.within_limits(c.clip(q)).all()
    np.testing.assert_array_equal(c.clip(q)[0, 3], c.upper[3])


def test_limits_at_equality_allowed_and_lower_above_upper_refused():
    c = load_robot("planar2")
    fixed_joint = c.with_limits([0.3, -np.pi], [0.3, np.pi])
    assert fixed_joint.within_limits([0.3, 1.0]).all()
    assert fixed_joint.clip(np.array([1.0, 0.0]))[0] == 0.3
    with pytest.raises(IKLearnError, match="lower limit"):
        c.with_limits([0.5, 0], [0.4, 1])


def test_named_pose_unknown():
    with pytest.raises(IKLearnError, match="no named pose"):
        load_robot("panda").pose("nope")


def test_unknown_robot():
    with pytest.raises(UnknownRobotError, match="unknown robot 'pumba'"):
        load_robot("pumba")


def test_with_tool_moves_the_tip():
    c = load_robot("ur5")
    tool = np.eye(4)
    tool[:3, 3] = [0.01, 0.02, 0.15]
    ct = c.with_tool(tool)
    Q = np.random.default_rng(1).uniform(-3, 3, (10, 6))
    np.testing.assert_allclose(fk(ct, Q), fk(c, Q) @ tool, atol=1e-14)


def test_perturbed_joint_offsets():
    """The perturbed robot at q moves as the original at q + offset."""
    c = load_robot("panda")
    off = np.deg2rad([1, -2, 0.5, 3, -1, 2, 0.7])
    p = c.perturbed(joint_offsets=off)
    Q = np.random.default_rng(2).uniform(c.finite_lower, c.finite_upper, (20, 7))
    np.testing.assert_allclose(fk(p, Q), fk(c, Q + off), atol=1e-12)
    assert p.fingerprint() != c.fingerprint()
    np.testing.assert_array_equal(p.lower, c.lower)


def test_perturbed_joint_offsets_prismatic():
    from iklearn.robot import from_dh

    c = from_dh([0.1, 0.2], [0.0, 0.1], [0.3, 0.0], joint_types=["P", "R"], lower=[0, -3], upper=[1, 3])
    p = c.perturbed(joint_offsets=[0.05, 0.1])
    Q = np.random.default_rng(3).uniform(c.finite_lower, c.finite_upper, (10, 2))
    np.testing.assert_allclose(fk(p, Q), fk(c, Q + [0.05, 0.1]), atol=1e-12)


def test_perturbed_link_scale_and_delta_on_planar2():
    c = load_robot("planar2")
    Q = np.random.default_rng(4).uniform(-3, 3, (20, 2))

    def tip(l1, l2):
        return np.stack([l1 * np.cos(Q[:, 0]) + l2 * np.cos(Q.sum(1)),
                         l1 * np.sin(Q[:, 0]) + l2 * np.sin(Q.sum(1))], 1)

    np.testing.assert_allclose(fk(c.perturbed(link_scale=1.1), Q)[:, :2, 3], tip(1.1, 0.77), atol=1e-12)
    # link_delta lengthens the non-zero links only (the base offset fixed[0] is zero and stays zero)
    p = c.perturbed(link_delta=0.02)
    np.testing.assert_array_equal(p.fixed[0], c.fixed[0])
    np.testing.assert_allclose(fk(p, Q)[:, :2, 3], tip(1.02, 0.72), atol=1e-12)
    # the default perturbation is the identity
    np.testing.assert_allclose(fk(c.perturbed(), Q), fk(c, Q), atol=0)


def test_summary_and_repr():
    c = load_robot("panda")
    assert "panda_joint7" in c.summary()
    assert "dof=7" in repr(c)
