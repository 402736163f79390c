"""FK and both Jacobians against Pinocchio on real URDF robots, to 1e-9.

world Jacobian = Pinocchio LOCAL_WORLD_ALIGNED (expressed in our base frame), tip Jacobian = LOCAL.
URDFs come from the installed ``example-robot-data`` wheel and ``pybullet_data``; missing ones skip.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
from pathlib import Path

import numpy as np
import pytest

from iklearn.kinematics import fk, fk_and_jacobian
from iklearn.robot import from_urdf, load_robot

pin = pytest.importorskip("pinocchio", reason="pinocchio (pin) is not installed: pip install 'iklearn[oracle]'")

TOL = 1e-9


def _erd(rel: str) -> Path:
    try:
        dist = importlib.metadata.distribution("example-robot-data")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("example-robot-data is not installed: pip install 'iklearn[oracle]'")
    p = Path(str(dist.locate_file(f"cmeel.prefix/share/example-robot-data/robots/{rel}")))
    if not p.is_file():
        pytest.skip(f"{rel} not found in the example-robot-data wheel")
    return p


def _pybullet(rel: str) -> Path:
    spec = importlib.util.find_spec("pybullet_data")
    if spec is None or spec.origin is None:
        pytest.skip("pybullet_data is not installed")
    p = Path(spec.origin).parent / rel
    if not p.is_file():
        pytest.skip(f"{rel} not found in pybullet_data")
    return p


CASES = {
    # id: (locator, relative path, base link, tip link)
    "panda-link8": (_erd, "panda_description/urdf/panda.urdf", "panda_link0", "panda_link8"),
    "panda-tcp": (_erd, "panda_description/urdf/panda.urdf", "panda_link0", "panda_hand_tcp"),
    "ur5-tool0": (_erd, "ur_description/urdf/ur5_robot.urdf", "world", "tool0"),
    "ur5-mid": (_erd, "ur_description/urdf/ur5_robot.urdf", "shoulder_link", "wrist_2_link"),
    "kinova-continuous": (_erd, "kinova_description/robots/kinova.urdf", "base", "j2s6s200_end_effector"),
    "z1": (_erd, "z1_description/urdf/z1.urdf", "world", "link06"),
    "so100-xy-axes": (_erd, "so_arm_description/urdf/so100.urdf", "base", "gripper"),
    "pendulum-continuous": (
        _erd, "double_pendulum_description/urdf/double_pendulum_continuous.urdf", "base_link", "link2"),
    "kuka-iiwa": (_pybullet, "kuka_iiwa/model.urdf", "lbr_iiwa_link_0", "lbr_iiwa_link_7"),
}


def _pin_eval(model, data, chain, q, base, tip):
    """Pinocchio's T_base^-1 T_tip and the two Jacobians, columns in our joint order."""
    qp = pin.neutral(model)
    cols = []
    for name, v in zip(chain.joint_names, q):
        j = model.joints[model.getJointId(name)]
        if j.nq == 2:  # continuous joint: (cos, sin)
            qp[j.idx_q], qp[j.idx_q + 1] = np.cos(v), np.sin(v)
        else:
            qp[j.idx_q] = v
        cols.append(j.idx_v)
    pin.computeJointJacobians(model, data, qp)
    pin.updateFramePlacements(model, data)
    fb, ft = model.getFrameId(base, pin.BODY), model.getFrameId(tip, pin.BODY)
    Tb, Tt = data.oMf[fb].homogeneous, data.oMf[ft].homogeneous
    Rb = Tb[:3, :3]
    Jw = pin.getFrameJacobian(model, data, ft, pin.LOCAL_WORLD_ALIGNED)[:, cols]
    Jw = np.vstack([Rb.T @ Jw[:3], Rb.T @ Jw[3:]])
    Jt = pin.getFrameJacobian(model, data, ft, pin.LOCAL)[:, cols]
    return np.linalg.solve(Tb, Tt), Jw, Jt


@pytest.mark.parametrize("case", sorted(CASES))
def test_fk_and_jacobians_match_pinocchio(case):
    locate, rel, base, tip = CASES[case]
    path = locate(rel)
    chain = from_urdf(path, base, tip)
    model = pin.buildModelFromUrdf(str(path))
    data = model.createData()
    rng = np.random.default_rng(7)
    Q = rng.uniform(chain.finite_lower, chain.finite_upper, (20, chain.dof))
    T, Jw = fk_and_jacobian(chain, Q, "world")
    _, Jt = fk_and_jacobian(chain, Q, "tip")
    for i, q in enumerate(Q):
        Tp, Jwp, Jtp = _pin_eval(model, data, chain, q, base, tip)
        np.testing.assert_allclose(T[i], Tp, atol=TOL, rtol=0)
        np.testing.assert_allclose(Jw[i], Jwp, atol=TOL, rtol=0)
        np.testing.assert_allclose(Jt[i], Jtp, atol=TOL, rtol=0)


def test_continuous_joints_parsed_as_unlimited():
    chain = from_urdf(_erd("kinova_description/robots/kinova.urdf"), "base", "j2s6s200_end_effector")
    assert np.isinf(chain.lower).sum() >= 3 and np.isinf(chain.upper).sum() >= 3


def test_builtin_panda_equals_urdf_panda_link8():
    urdf = from_urdf(_erd("panda_description/urdf/panda.urdf"), "panda_link0", "panda_link8")
    ours = load_robot("panda")
    np.testing.assert_allclose(ours.lower, urdf.lower, atol=1e-4)
    np.testing.assert_allclose(ours.upper, urdf.upper, atol=1e-4)
    rng = np.random.default_rng(3)
    Q = rng.uniform(ours.finite_lower, ours.finite_upper, (200, 7))
    np.testing.assert_allclose(fk(ours, Q), fk(urdf, Q), atol=1e-9, rtol=0)
    for frame in ("world", "tip"):
        np.testing.assert_allclose(fk_and_jacobian(ours, Q, frame)[1], fk_and_jacobian(urdf, Q, frame)[1],
                                   atol=1e-9, rtol=0)


def test_builtin_panda_hand_equals_urdf_tcp():
    urdf = from_urdf(_erd("panda_description/urdf/panda.urdf"), "panda_link0", "panda_hand_tcp")
    ours = load_robot("panda_hand")
    Q = np.random.default_rng(4).uniform(ours.finite_lower, ours.finite_upper, (50, 7))
    np.testing.assert_allclose(fk(ours, Q), fk(urdf, Q), atol=1e-9, rtol=0)
