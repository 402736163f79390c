"""to_urdf: the exported URDF has the same FK and limits as the chain (read back by us and by Pinocchio)."""

from __future__ import annotations

import numpy as np
import pytest

from iklearn.kinematics import fk
from iklearn.robot import Chain, from_urdf, load_robot
from iklearn.robot.urdf_export import _rpy, to_urdf


@pytest.mark.parametrize("robot", ["panda", "panda_hand", "ur5", "iiwa14", "puma560", "arm5", "planar2", "snake24"])
def test_roundtrip_fk_and_limits(robot):
    c = load_robot(robot)
    c2 = from_urdf(to_urdf(c), c.base_link, c.tip_link)
    assert c2.joint_names == c.joint_names
    np.testing.assert_array_equal(c2.lower, c.lower)
    np.testing.assert_array_equal(c2.upper, c.upper)
    q = np.random.default_rng(0).uniform(c.finite_lower, c.finite_upper, (50, c.dof))
    np.testing.assert_allclose(fk(c2, q), fk(c, q), atol=1e-12)


def test_rpy_roundtrip_including_gimbal_lock():
    from scipy.spatial.transform import Rotation

    rng = np.random.default_rng(1)
    mats = list(Rotation.random(200, random_state=2).as_matrix())
    for pitch in (np.pi / 2, -np.pi / 2):
        for roll in rng.uniform(-np.pi, np.pi, 3):
            mats.append(Rotation.from_euler("xyz", [roll, pitch, 0.7]).as_matrix())
    for R in mats:
        r, p, y = _rpy(R)
        R2 = Rotation.from_euler("xyz", [r, p, y]).as_matrix()  # extrinsic xyz = Rz(y) Ry(p) Rx(r)
        np.testing.assert_allclose(R2, R, atol=1e-12)


def test_continuous_and_prismatic_joints():
    c = Chain(
        name="odd arm", joint_names=("j1", "j2", "j3"), joint_types=np.array([0, 1, 0]),
        fixed=np.tile(np.eye(4), (3, 1, 1)) + np.array([[[0, 0, 0, 0.1]] + [[0] * 4] * 3] * 3),
        axes=np.array([[0, 0, 1.0], [1, 0, 0], [0, 1, 0]]), tip=np.eye(4),
        lower=np.array([-np.inf, -0.2, -1.0]), upper=np.array([np.inf, 0.3, 1.0]),
    )
    text = to_urdf(c)
    assert 'type="continuous"' in text and 'type="prismatic"' in text
    c2 = from_urdf(text, c.base_link, c.tip_link)
    assert np.isinf(c2.lower[0]) and np.isinf(c2.upper[0])
    q = np.random.default_rng(3).uniform(c.finite_lower, c.finite_upper, (20, 3))
    np.testing.assert_allclose(fk(c2, q), fk(c, q), atol=1e-12)


def test_pinocchio_reads_the_export_with_the_same_fk(tmp_path):
    pin = pytest.importorskip("pinocchio")
    c = load_robot("iiwa14")
    path = tmp_path / "iiwa.urdf"
    path.write_text(to_urdf(c))
    model = pin.buildModelFromUrdf(str(path))
    data = model.createData()
    fid = model.getFrameId(c.tip_link)
    q = np.random.default_rng(4).uniform(c.finite_lower, c.finite_upper, (10, c.dof))
    for qi, Ti in zip(q, fk(c, q)):
        pin.framesForwardKinematics(model, data, qi)
        np.testing.assert_allclose(data.oMf[fid].homogeneous, Ti, atol=1e-9)
