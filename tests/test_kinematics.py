"""FK and Jacobians: finite differences (both frames), batched = looped, closed forms, DH conventions."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from iklearn.kinematics import fk, fk_and_jacobian, fk_pose, jacobian, matrix_to_pose7, pose7_to_matrix, pose_error
from iklearn.robot import from_dh, from_urdf, load_robot

CONTINUOUS_URDF = """<robot name="cont">
  <link name="base"/><link name="a"/><link name="b"/><link name="c"/><link name="tool"/>
  <joint name="j1" type="continuous"><parent link="base"/><child link="a"/>
    <origin xyz="0 0 0.2" rpy="0.1 0 0"/><axis xyz="0 0 1"/></joint>
  <joint name="j2" type="revolute"><parent link="a"/><child link="b"/>
    <origin xyz="0.1 0 0.3" rpy="0 0.3 0"/><axis xyz="0 1 1"/><limit lower="-2" upper="2"/></joint>
  <joint name="j3" type="continuous"><parent link="b"/><child link="c"/>
    <origin xyz="0.25 0.05 0" rpy="0 0 -0.4"/><axis xyz="1 0 0"/></joint>
  <joint name="fix" type="fixed"><parent link="c"/><child link="tool"/>
    <origin xyz="0.1 0 0" rpy="0.2 0.1 0.3"/></joint>
</robot>"""


def prismatic_chain():
    return from_dh(
        a=[0.1, 0.3, 0.0, 0.05], d=[0.2, 0.0, 0.1, 0.0], alpha=[np.pi / 2, 0.0, -np.pi / 2, 0.3],
        joint_types=["R", "P", "R", "P"], lower=[-3, -0.2, -3, 0.0], upper=[3, 0.5, 3, 0.4],
        tool=np.array([[1, 0, 0, 0.02], [0, 1, 0, 0], [0, 0, 1, 0.1], [0, 0, 0, 1.0]]), name="rprp",
    )


CHAINS = {
    "panda": lambda: load_robot("panda"),
    "ur5": lambda: load_robot("ur5"),
    "arm5": lambda: load_robot("arm5"),
    "snake24": lambda: load_robot("snake24"),
    "prismatic": prismatic_chain,
    "continuous-urdf": lambda: from_urdf(CONTINUOUS_URDF),
}


def fd_jacobian(chain, q, frame, h=1e-6):
    """Central differences: d p / dq and the rotation vector of R(q+h) R(q-h)^T / 2h (world or tip frame)."""
    J = np.zeros((6, chain.dof))
    for k in range(chain.dof):
        dq = np.zeros(chain.dof)
        dq[k] = h
        Tp, Tm = fk(chain, q + dq), fk(chain, q - dq)
        if frame == "world":
            J[:3, k] = (Tp[:3, 3] - Tm[:3, 3]) / (2 * h)
            J[3:, k] = Rotation.from_matrix(Tp[:3, :3] @ Tm[:3, :3].T).as_rotvec() / (2 * h)
        else:
            R = fk(chain, q)[:3, :3]
            J[:3, k] = R.T @ (Tp[:3, 3] - Tm[:3, 3]) / (2 * h)
            J[3:, k] = Rotation.from_matrix(Tm[:3, :3].T @ Tp[:3, :3]).as_rotvec() / (2 * h)
    return J


@pytest.mark.parametrize("name", sorted(CHAINS))
@pytest.mark.parametrize("frame", ["world", "tip"])
def test_jacobian_equals_finite_differences(name, frame):
    chain = CHAINS[name]()
    rng = np.random.default_rng(11)
    for q in rng.uniform(chain.finite_lower, chain.finite_upper, (5, chain.dof)):
        np.testing.assert_allclose(jacobian(chain, q, frame), fd_jacobian(chain, q, frame), atol=2e-8, rtol=0)


@pytest.mark.parametrize("name", sorted(CHAINS))
def test_batched_equals_looped(name):
    chain = CHAINS[name]()
    Q = np.random.default_rng(5).uniform(chain.finite_lower, chain.finite_upper, (17, chain.dof))
    T, J = fk_and_jacobian(chain, Q, "world")
    _, Jt = fk_and_jacobian(chain, Q, "tip")
    for i, q in enumerate(Q):
        Ti, Ji = fk_and_jacobian(chain, q, "world")
        np.testing.assert_array_equal(T[i], Ti)
        np.testing.assert_array_equal(J[i], Ji)
        np.testing.assert_allclose(Jt[i], jacobian(chain, q, "tip"), atol=1e-15)
        np.testing.assert_allclose(fk(chain, q), Ti, atol=1e-15)
    assert T.shape == (17, 4, 4) and J.shape == (17, 6, chain.dof)
    # the tip Jacobian is the world one rotated into the tip frame
    R = T[:, :3, :3]
    np.testing.assert_allclose(Jt[:, :3], np.einsum("nji,njk->nik", R, J[:, :3]), atol=1e-12)
    np.testing.assert_allclose(Jt[:, 3:], np.einsum("nji,njk->nik", R, J[:, 3:]), atol=1e-12)


def test_parallel_kernel_equals_serial():
    """Large batches go through the parallel kernels; they must agree with row-by-row calls."""
    from iklearn.kinematics.fk import SERIAL_BELOW

    chain = load_robot("panda")
    Q = np.random.default_rng(8).uniform(chain.finite_lower, chain.finite_upper, (SERIAL_BELOW + 1, 7))
    T, J = fk_and_jacobian(chain, Q, "tip")
    T2 = fk(chain, Q)
    for i in (0, 37, SERIAL_BELOW):
        Ti, Ji = fk_and_jacobian(chain, Q[i], "tip")
        np.testing.assert_array_equal(T[i], Ti)
        np.testing.assert_array_equal(T2[i], Ti)
        np.testing.assert_array_equal(J[i], Ji)


def test_planar2_fk_formula():
    chain = load_robot("planar2")
    Q = np.random.default_rng(0).uniform(-np.pi, np.pi, (50, 2))
    T = fk(chain, Q)
    x = 1.0 * np.cos(Q[:, 0]) + 0.7 * np.cos(Q.sum(1))
    y = 1.0 * np.sin(Q[:, 0]) + 0.7 * np.sin(Q.sum(1))
    np.testing.assert_allclose(T[:, 0, 3], x, atol=1e-14)
    np.testing.assert_allclose(T[:, 1, 3], y, atol=1e-14)
    np.testing.assert_allclose(T[:, 2, 3], 0.0, atol=1e-14)
    yaw = np.arctan2(T[:, 1, 0], T[:, 0, 0])
    np.testing.assert_allclose(np.angle(np.exp(1j * (yaw - Q.sum(1)))), 0.0, atol=1e-12)


def test_planar5_home_tip_at_0_10():
    np.testing.assert_allclose(fk(load_robot("planar5"), np.zeros(5))[:3, 3], [0, 10, 0], atol=1e-12)


def test_dh_standard_equals_shifted_modified():
    """Standard link i = Rz Tz Tx(a_i) Rx(alpha_i); the same robot in modified DH takes (a, alpha) one row later
    and ends with the last Tx(a_n) Rx(alpha_n) as its tool."""
    a = np.array([0.0, 0.4318, 0.0203, 0.0, 0.0, 0.05])
    d = np.array([0.6718, 0.0, 0.15005, 0.4318, 0.0, 0.1])
    al = np.array([np.pi / 2, 0.0, -np.pi / 2, np.pi / 2, -np.pi / 2, 0.2])
    off = np.array([0.1, -0.2, 0.0, 0.3, 0.0, 0.0])
    std = from_dh(a, d, al, theta_offset=off, convention="standard")
    c, s = np.cos(al[-1]), np.sin(al[-1])
    tool = np.array([[1, 0, 0, a[-1]], [0, c, -s, 0], [0, s, c, 0], [0, 0, 0, 1.0]])
    mod = from_dh(np.r_[0, a[:-1]], d, np.r_[0, al[:-1]], theta_offset=off, convention="modified", tool=tool)
    Q = np.random.default_rng(2).uniform(-np.pi, np.pi, (30, 6))
    np.testing.assert_allclose(fk(std, Q), fk(mod, Q), atol=1e-12)
    np.testing.assert_allclose(jacobian(std, Q), jacobian(mod, Q), atol=1e-12)


def test_dh_standard_single_link_formula():
    a, d, al, th = 0.3, 0.2, 0.7, 0.4
    T = fk(from_dh([a], [d], [al]), [th])
    ct, st, ca, sa = np.cos(th), np.sin(th), np.cos(al), np.sin(al)
    want = np.array([[ct, -st * ca, st * sa, a * ct], [st, ct * ca, -ct * sa, a * st], [0, sa, ca, d], [0, 0, 0, 1]])
    np.testing.assert_allclose(T, want, atol=1e-15)


def test_dh_modified_single_link_formula():
    a, d, al, th = 0.3, 0.2, 0.7, 0.4
    T = fk(from_dh([a], [d], [al], convention="modified"), [th])
    ct, st, ca, sa = np.cos(th), np.sin(th), np.cos(al), np.sin(al)
    want = np.array([[ct, -st, 0, a], [st * ca, ct * ca, -sa, -sa * d], [st * sa, ct * sa, ca, ca * d], [0, 0, 0, 1]])
    np.testing.assert_allclose(T, want, atol=1e-15)


def test_pose7_round_trip_and_pose_error():
    chain = load_robot("ur5")
    Q = np.random.default_rng(9).uniform(-3, 3, (40, 6))
    T = fk(chain, Q)
    P = fk_pose(chain, Q)
    assert (P[:, 6] >= 0).all()
    np.testing.assert_allclose(np.linalg.norm(P[:, 3:], axis=1), 1.0, atol=1e-12)
    np.testing.assert_allclose(pose7_to_matrix(P), T, atol=1e-12)
    np.testing.assert_allclose(matrix_to_pose7(T), P, atol=1e-15)
    pe, re = pose_error(T, T)
    np.testing.assert_allclose(pe, 0, atol=1e-15)
    np.testing.assert_allclose(re, 0, atol=1e-7)
    # a known offset: 3 cm along x and 0.2 rad about z, and an angle near pi
    T2 = T.copy()
    T2[:, 0, 3] += 0.03
    Rz = Rotation.from_euler("z", [[0.2], [np.pi - 1e-9]]).as_matrix()
    T2[:2, :3, :3] = T[:2, :3, :3] @ Rz
    pe, re = pose_error(T2[:2], T[:2])
    np.testing.assert_allclose(pe, 0.03, atol=1e-12)
    np.testing.assert_allclose(re, [0.2, np.pi - 1e-9], atol=1e-9)


def test_empty_batch_shapes():
    chain = load_robot("panda")
    assert fk(chain, np.zeros((0, 7))).shape == (0, 4, 4)
    T, J = fk_and_jacobian(chain, np.zeros((0, 7)))
    assert T.shape == (0, 4, 4) and J.shape == (0, 6, 7)
