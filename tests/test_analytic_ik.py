"""Closed-form UR IK: every solution reproduces the pose, the sampled configuration is among them, and no
numerical solver finds a solution it missed."""

import numpy as np
import pytest

from iklearn.errors import IKLearnError, ModelMismatchError
from iklearn.kinematics import fk, fk_pose, jacobian, manipulability, pose_error
from iklearn.robot import from_dh, load_robot
from iklearn.solvers.analytic import UR_PARAMETERS, URAnalyticIK, ur_ik_all
from iklearn.solvers.lm import LevenbergMarquardt


def _wrap(d):
    return (d + np.pi) % (2 * np.pi) - np.pi


@pytest.mark.parametrize("name", sorted(UR_PARAMETERS))
def test_all_solutions_reproduce_the_pose_and_include_the_sample(name):
    p = UR_PARAMETERS[name]
    a, d, alpha = p.dh()
    chain = from_dh(a=a, d=d, alpha=alpha, lower=[-2 * np.pi] * 6, upper=[2 * np.pi] * 6, name=name)
    q = np.random.default_rng(3).uniform(-np.pi, np.pi, (500, 6))
    T = fk(chain, q)
    qa, valid = ur_ik_all(T, p)
    assert qa.shape == (500, 8, 6) and valid.shape == (500, 8)
    assert valid.sum(1).min() >= 2  # the sampled configuration and its wrist flip at least
    n_all = valid.sum()
    pe, re = pose_error(fk(chain, qa[valid]), np.repeat(T, valid.sum(1), axis=0))
    assert pe.max() < 1e-9 and re.max() < 1e-8
    assert np.all(np.nanmin(np.abs(_wrap(qa - q[:, None])).max(-1), axis=1) < 1e-7)
    # the solutions are distinct configurations
    for i in range(20):
        s = qa[i][valid[i]]
        dd = np.abs(_wrap(s[:, None] - s[None])).max(-1) + np.eye(len(s))
        assert dd.min() > 1e-6
    assert n_all > 6 * 500  # most random poses have all eight


def test_numerical_ik_finds_nothing_better_conditioned():
    ur5 = load_robot("ur5")
    q = np.random.default_rng(5).uniform(-np.pi, np.pi, (200, 6))
    T = fk(ur5, q)
    qa, valid = URAnalyticIK(ur5).solve_all(T)
    ic = np.where(valid, manipulability(jacobian(ur5, np.nan_to_num(qa).reshape(-1, 6))).inverse_condition
                  .reshape(200, 8), 0).max(1)
    lm = LevenbergMarquardt(ur5, tol_position=1e-9, tol_rotation=1e-9, seed=0)
    for _ in range(6):
        r = lm.solve(T)
        icr = manipulability(jacobian(ur5, r.q)).inverse_condition
        assert np.all(icr[r.success] <= ic[r.success] + 1e-6)


def test_solver_nearest_to_seed_within_limits_and_unreachable():
    ur5 = load_robot("ur5")
    s = URAnalyticIK(ur5)
    q = np.random.default_rng(7).uniform(-np.pi, np.pi, (50, 6))
    r = s.solve(fk_pose(ur5, q), q0=q + 0.01)
    assert r.success.all() and r.position_error.max() < 1e-9
    assert np.abs(r.q - q).max() < 1e-7  # the seed's own branch, and the same 2 pi turn
    assert ur5.within_limits(r.q).all()
    far = np.eye(4)
    far[:3, 3] = [2.0, 0, 0]
    r = s.solve(far)
    assert not r.success[0] and r.position_error[0] > 1.0
    qa, valid = s.solve_all(far)
    assert not valid.any() and np.isnan(qa).all()


def test_refuses_other_arms_and_bad_poses():
    with pytest.raises(IKLearnError, match="no UR DH table"):
        URAnalyticIK(load_robot("puma560"))
    with pytest.raises(ModelMismatchError, match="does not match"):  # another arm, whatever the offsets
        URAnalyticIK(load_robot("puma560"), UR_PARAMETERS["ur5"])
    with pytest.raises(ModelMismatchError, match="does not match"):  # a UR5 with a joint offset
        a, d, alpha = UR_PARAMETERS["ur5"].dh()
        URAnalyticIK(from_dh(a=a, d=d, alpha=alpha, theta_offset=[0, 0.3, 0, 0, 0, 0], name="ur5"))
    with pytest.raises(IKLearnError):
        ur_ik_all(np.full((3, 7), np.nan), UR_PARAMETERS["ur5"])


def test_through_solve():
    import iklearn

    ur5 = load_robot("ur5")
    q = np.random.default_rng(9).uniform(-np.pi, np.pi, (20, 6))
    P = fk_pose(ur5, q)
    r = iklearn.solve("ur5", P, method="analytic")
    assert r.success.all() and r.position_error.max() < 1e-9
    with pytest.raises(IKLearnError, match="position-only"):
        iklearn.solve("ur5", P, method="analytic", position_only=True)


def _stock_ur5_urdf():
    import importlib.metadata
    from pathlib import Path

    try:
        dist = importlib.metadata.distribution("example-robot-data")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("example-robot-data is not installed: pip install 'iklearn[oracle]'")
    p = Path(str(dist.locate_file("cmeel.prefix/share/example-robot-data/robots/ur_description/urdf/ur5_robot.urdf")))
    if not p.is_file():
        pytest.skip("ur5_robot.urdf not found in the example-robot-data wheel")
    return p


def test_fixed_base_and_tool_offsets_are_fitted():
    """The closed form takes a UR arm mounted with any fixed base and tool transforms: the built-in UR5 with a
    tool, and the stock ur5_robot.urdf from base_link to tool0 (its base is the DH base turned by pi)."""
    from scipy.spatial.transform import Rotation

    base = np.eye(4)
    base[:3, :3] = Rotation.from_euler("xyz", [0.2, -0.4, 2.0]).as_matrix()
    base[:3, 3] = [0.3, -0.1, 0.7]
    tool = np.eye(4)
    tool[:3, :3] = Rotation.from_euler("zyx", [0.5, 0.1, -1.0]).as_matrix()
    tool[:3, 3] = [0.0, 0.02, 0.15]
    a, d, alpha = UR_PARAMETERS["ur5"].dh()
    mounted = from_dh(a=a, d=d, alpha=alpha, base=base, tool=tool, lower=[-2 * np.pi] * 6, upper=[2 * np.pi] * 6,
                      name="ur5")
    for chain in (mounted, load_robot(_stock_ur5_urdf(), "base_link", "tool0")):
        s = URAnalyticIK(chain)
        q = np.random.default_rng(11).uniform(-np.pi, np.pi, (100, 6))
        r = s.solve(fk(chain, q), q0=q + 0.01)
        assert r.success.all() and r.position_error.max() < 1e-9 and r.rotation_error.max() < 1e-8
        assert np.abs(_wrap(r.q - q)).max() < 1e-7
        qa, valid = s.solve_all(fk(chain, q))
        pe, re = pose_error(fk(chain, qa[valid]), np.repeat(fk(chain, q), valid.sum(1), axis=0))
        assert valid.sum(1).min() >= 2 and pe.max() < 1e-9 and re.max() < 1e-8
