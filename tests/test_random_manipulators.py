"""M3 random manipulators: closed-form IK, batched Jacobians, feature layouts, labels."""

import numpy as np
import pytest

from iklearn.data import random_manipulators as rm
from iklearn.kinematics.pose import euler_xyz_to_matrix
from iklearn.solvers import spherical_wrist as sw
from iklearn.kinematics import fk, jacobian, pose_error


def _arms_poses(n=400, seed=0):
    rng = np.random.default_rng(seed)
    return rm.sample_dh(n, rng), rm.sample_poses(n, rng)


def test_all_eight_branches_reach_the_pose():
    prm, pose = _arms_poses()
    q, ok = sw.analytic_ik(prm, pose)
    assert 0.2 < ok.mean() < 0.8
    R = euler_xyz_to_matrix(pose[:, 3:])
    for b in range(8):
        T, _ = sw.fk_jacobian(prm[ok], q[ok, b])
        assert np.abs(T[:, :3, 3] - pose[ok, :3]).max() < 1e-9
        assert np.abs(T[:, :3, :3] - R[ok]).max() < 1e-9
    assert np.isnan(q[~ok]).all()
    # the 8 branches are distinct solutions
    d = np.abs(q[ok][:, :, None, :] - q[ok][:, None, :, :]).sum(-1)
    assert (d[:, ~np.eye(8, dtype=bool)] > 1e-6).mean() > 0.99


def test_batched_fk_jacobian_matches_chain():
    prm, _ = _arms_poses(5)
    rng = np.random.default_rng(1)
    Q = rng.uniform(-np.pi, np.pi, (5, 6))
    for frame in ("world", "tip"):
        T, J = sw.fk_jacobian(prm, Q, frame)
        for i in range(5):
            ch = rm.to_chain(prm[i])
            np.testing.assert_allclose(T[i], fk(ch, Q[i]), atol=1e-12)
            np.testing.assert_allclose(J[i], jacobian(ch, Q[i], frame), atol=1e-12)


def test_reachability_agrees_with_numerical_lm():
    from iklearn.solvers.lm import LevenbergMarquardt

    prm, pose = _arms_poses(12, seed=3)
    _, ok = sw.analytic_ik(prm, pose)
    R = euler_xyz_to_matrix(pose[:, 3:])
    for i in range(12):
        T = np.eye(4)
        T[:3, :3], T[:3, 3] = R[i], pose[i, :3]
        ch = rm.to_chain(prm[i])
        res = LevenbergMarquardt(ch, max_iterations=3000, seed=i).solve(T[None])
        assert bool(res.success[0]) == bool(ok[i])
        if ok[i]:  # FK(IK(x)) = x through the numerical solver too
            pe, re = pose_error(fk(ch, res.q[0]), T)
            assert pe < 1e-5 and re < 1e-4


def test_feature_layouts():
    ds = rm.make_dataset(300, layout="kine", seed=0)
    assert ds.X.shape == (300, rm.N_KINE)
    np.testing.assert_array_equal(ds.X[:, [2, 3, 7, 8]], ds.params)  # d3, d4, a2, a3
    const = [0, 1, 4, 5, 6, 9, 10, 11, *range(12, 18)]
    assert np.ptp(ds.X[:, const], axis=0).max() == 0  # table II's constant columns
    np.testing.assert_allclose(ds.X[0, 12:18], sw.ALPHA)
    np.testing.assert_array_equal(ds.X[:, 18:24], ds.pose)
    dy = rm.make_dataset(300, layout="dyna", seed=0)
    assert dy.X.shape == (300, rm.N_DYNA)
    np.testing.assert_array_equal(dy.X[:, :18], ds.X[:, :18])
    np.testing.assert_array_equal(dy.X[:, 90:96], dy.pose)
    ranges = {(18, 24): (0, 10), (24, 42): (-0.05, 0.05), (42, 60): (0, 1), (60, 66): (0, 0.005),
              (78, 84): (-50, 50), (84, 90): (0, 5e-4)}
    for (a, b), (lo, hi) in ranges.items():
        assert dy.X[:, a:b].min() >= lo and dy.X[:, a:b].max() <= hi
    assert dy.X[:, 66:78:2].min() >= 0 and dy.X[:, 67:78:2].max() <= 0  # Coulomb friction pairs
    assert np.all(ds.X[:, 18:21] >= -0.4) and np.all(ds.X[:, 18:21] <= 0.4)
    assert np.all(ds.X[:, 21:24] >= 0) and np.all(ds.X[:, 21:24] < 2 * np.pi)


@pytest.mark.parametrize("branch", ["ikine6s", "canonical", "random"])
def test_labels_are_the_jacobian_at_the_chosen_solution(branch):
    ds = rm.make_dataset(200, frame="world", branch=branch, only_reachable=True, seed=2)
    assert ds.reachable.all() and np.isfinite(ds.J).all()
    for i in range(0, 200, 40):
        ch = rm.to_chain(ds.params[i])
        np.testing.assert_allclose(ds.J[i].reshape(6, 6), jacobian(ch, ds.q[i], "world"), atol=1e-12)
        T = fk(ch, ds.q[i])
        np.testing.assert_allclose(T[:3, 3], ds.pose[i, :3], atol=1e-9)


def test_canonical_branch_is_deterministic_and_random_branch_varies():
    prm, pose = _arms_poses(500, seed=5)
    q_all, ok = sw.analytic_ik(prm, pose)
    qc, _ = rm.select_branch(q_all, "canonical")
    np.testing.assert_array_equal(qc[ok], q_all[ok, 0])
    qs, _ = rm.select_branch(q_all, "random", np.random.default_rng(0))
    same = np.all(np.isclose(qs[ok], qc[ok]), axis=1)
    assert 0.05 < same.mean() < 0.3  # about 1 in 8
    # limits exclude some branches: the chosen solution respects them
    lo, hi = np.full(6, -2.5), np.full(6, 2.5)
    ql, okl = rm.select_branch(q_all, "canonical", lower=lo, upper=hi)
    assert okl.sum() < ok.sum() and np.all((ql[okl] >= lo) & (ql[okl] <= hi))


def test_held_out_arm_split_and_determinism():
    a = rm.make_dataset(500, sampler="uniform", n_arms=20, seed=7)
    b = rm.make_dataset(500, sampler="uniform", n_arms=20, seed=7)
    np.testing.assert_array_equal(a.X, b.X)
    assert len(np.unique(a.arm)) == 20
    for k in range(20):
        rows = a.params[a.arm == k]
        assert np.ptp(rows, axis=0).max() == 0


def _rtb_ikine6s_default(prm, T):
    """Robotics Toolbox 10's ``ikine6s(T)`` (its 'puma' case, default configuration ``sol = [1 1 1]``, as
    released before the 2021 configuration fix), written out independently of :func:`sw.analytic_ik`."""
    d3, d4, a2, a3 = prm
    px, py, pz = T[:3, 3]
    r = np.hypot(px, py)
    t1 = np.arctan2(py, px) + np.arcsin(d3 / r)
    v114 = px * np.cos(t1) + py * np.sin(t1)
    r = np.hypot(v114, pz)
    psi = np.arccos((a2**2 - d4**2 - a3**2 + v114**2 + pz**2) / (2 * a2 * r))
    t2 = np.arctan2(pz, v114) + psi  # n2 = +1
    num = np.cos(t2) * v114 + np.sin(t2) * pz - a2
    den = np.cos(t2) * pz - np.sin(t2) * v114
    t3 = np.arctan2(a3, d4) - np.arctan2(num, den)
    d, a, al = sw.dh_table(np.asarray(prm)[None])
    T13 = np.eye(4)
    for i, th in enumerate((t1, t2, t3)):
        ct, st, ca, sa = np.cos(th), np.sin(th), np.cos(al[0, i]), np.sin(al[0, i])
        T13 = T13 @ np.array([[ct, -st * ca, st * sa, a[0, i] * ct], [st, ct * ca, -ct * sa, a[0, i] * st],
                              [0, sa, ca, d[0, i]], [0, 0, 0, 1]])
    Td4 = np.eye(4)
    Td4[2, 3] = d4
    R = (np.linalg.inv(Td4) @ np.linalg.inv(T13) @ T)[:3, :3]
    phi = np.arctan2(R[1, 2], R[0, 2])  # tr2eul without 'flip'
    sp, cp = np.sin(phi), np.cos(phi)
    theta = np.arctan2(cp * R[0, 2] + sp * R[1, 2], R[2, 2])
    psi6 = np.arctan2(-sp * R[0, 0] + cp * R[1, 0], -sp * R[0, 1] + cp * R[1, 1])
    return np.array([t1, t2, t3, phi, -theta, psi6])  # alpha4 > 0: theta5 = -theta5


def test_ikine6s_label_is_rtb_default_configuration():
    prm, pose = _arms_poses(300, seed=8)
    q_all, ok = sw.analytic_ik(prm, pose)
    q, ok6 = rm.select_branch(q_all, "ikine6s")
    np.testing.assert_array_equal(ok6, ok)
    R = euler_xyz_to_matrix(pose[:, 3:])
    for i in np.nonzero(ok)[0][:60]:
        T = np.eye(4)
        T[:3, :3], T[:3, 3] = R[i], pose[i, :3]
        ref = _rtb_ikine6s_default(prm[i], T)
        np.testing.assert_allclose(np.angle(np.exp(1j * (q[i] - ref))), 0, atol=1e-8)


def test_m3_sampler_keeps_a_quarter_of_unreachable_draws():
    rng = np.random.default_rng(3)
    prm, pose = rm.sample_m3(20000, rng)
    share = sw.reachable(prm, pose).mean()
    assert 0.59 < share < 0.63  # M3's data: about 62 %
    prm1, pose1 = rm.sample_m3(20000, rng, keep_unreachable=1.0)  # keep every draw: a plain uniform draw
    assert 0.40 < sw.reachable(prm1, pose1).mean() < 0.44
    # the arms are drawn uniformly either way: the sampler conditions poses, not arms
    assert abs(prm.mean() - 0.25) < 0.005 and abs(prm1.mean() - 0.25) < 0.005
    ds = rm.make_dataset(400, only_reachable=True, seed=4)
    assert ds.reachable.all() and len(np.unique(ds.params[:, 0])) == 400
    with pytest.raises(ValueError, match="sampler='uniform'"):
        rm.make_dataset(10, n_arms=2)
