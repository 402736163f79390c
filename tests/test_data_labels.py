"""Conditioning labels and unreachable poses (iklearn.data.labels)."""

import numpy as np
import pytest

from iklearn.data.labels import conditioning_labels, unreachable_poses
from iklearn.data.sampling import DataArgumentError, sample_joints
from iklearn.kinematics import fk, fk_pose, jacobian, manipulability
from iklearn.robot import load_robot


def test_percentile_labels_match_definition():
    chain = load_robot("panda")
    q = sample_joints(chain, 2000, seed=1)
    ic = manipulability(jacobian(chain, q)).inverse_condition
    lab, (lo, hi) = conditioning_labels(ic)
    # recompute from the definition: 1/kappa = s_min / s_max of the SVD
    s = np.linalg.svd(jacobian(chain, q), compute_uv=False)
    ic2 = s[:, -1] / s[:, 0]
    np.testing.assert_allclose(ic, ic2, rtol=1e-10)
    np.testing.assert_allclose([lo, hi], np.percentile(ic2, [20, 80]))
    want = np.where(ic2 < lo, 1, np.where(ic2 < hi, 2, 3))
    np.testing.assert_array_equal(lab, want)
    np.testing.assert_allclose(np.bincount(lab, minlength=4)[1:] / 2000, [0.2, 0.6, 0.2], atol=0.001)


def test_fixed_thresholds_and_bad_input():
    lab, th = conditioning_labels(np.array([0.0, 0.05, 0.1, 0.5, 0.9]), thresholds=(0.1, 0.5))
    np.testing.assert_array_equal(lab, [1, 1, 2, 3, 3])
    assert th == (0.1, 0.5)
    for kw in (dict(thresholds=(0.5, 0.1)), dict(percentiles=(20, 20, 20)), dict(percentiles=(-10, 90, 20))):
        with pytest.raises(DataArgumentError):
            conditioning_labels(np.ones(3), **kw)
    with pytest.raises(DataArgumentError):
        conditioning_labels(np.array([]))
    with pytest.raises(DataArgumentError):
        conditioning_labels(np.array([np.nan, 1.0]))


def test_unreachable_poses_are_unreachable():
    from iklearn.solvers.lm import LevenbergMarquardt

    chain = load_robot("panda")
    P = fk_pose(chain, sample_joints(chain, 20000, seed=0))[:, :3]
    U = unreachable_poses(chain, 40, P, seed=0, restarts=4)
    assert U.shape == (40, 7)
    r = np.linalg.norm(U[:, :3], axis=1)
    rmax = np.linalg.norm(P, axis=1).max()
    assert (r[:20] <= rmax).all() and (r[20:] >= rmax).all()  # half inside, half outside the sphere
    # an independent solver (other seed, more restarts) fails on every one of them
    res = LevenbergMarquardt(chain, seed=123, max_iterations=2000, iterations_per_try=100).solve(U)
    assert not res.success.any()
    # while the same solver does reach poses of sampled configurations
    reach = LevenbergMarquardt(chain, seed=123).solve(fk(chain, sample_joints(chain, 20, seed=9)))
    assert reach.success.all()
    np.testing.assert_array_equal(U, unreachable_poses(chain, 40, P, seed=0, restarts=4))


def test_unreachable_bad_input():
    chain = load_robot("planar2")
    with pytest.raises(DataArgumentError):
        unreachable_poses(chain, 0, np.zeros((10, 3)))
    with pytest.raises(DataArgumentError):
        unreachable_poses(chain, 5, np.zeros((10, 2)))


def test_hard_unreachable_poses_sit_among_reachable_ones():
    from scipy.spatial import cKDTree

    from iklearn.data.labels import HARD_KINDS, hard_unreachable_poses
    from iklearn.solvers.analytic import URAnalyticIK

    ur5 = load_robot("ur5")
    P = fk_pose(ur5, sample_joints(ur5, 5000, seed=0))
    H, kind = hard_unreachable_poses(ur5, 300, P, seed=0)
    assert H.shape == (300, 7) and np.array_equal(np.bincount(kind), [100, 100, 100]) and len(HARD_KINDS) == 3
    assert not URAnalyticIK(ur5).solve(H).success.any()  # none has a closed-form solution
    gap = cKDTree(P[:, :3]).query(H[:, :3])[0]
    assert np.all(gap[kind == 2] == 0.0)  # 'orientation': exactly a reachable pose's position
    assert np.median(gap[kind < 2]) < 0.1  # closer than the 0.1 m margin of the easy unreachable poses
    c = 0.5 * (P[:, :3].max(0) + P[:, :3].min(0))
    r = np.linalg.norm(P[:, :3] - c, axis=1).max()
    d = np.linalg.norm(H[:, :3] - c, axis=1)
    assert (d[kind == 0] <= 0.97 * r).all() and ((d[kind == 1] >= 0.97 * r) & (d[kind == 1] <= 1.03 * r)).all()
    H2, _ = hard_unreachable_poses(ur5, 300, P, seed=0)
    np.testing.assert_array_equal(H, H2)
    # a robot without a closed form: LM with restarts decides
    panda = load_robot("panda")
    Hp, _ = hard_unreachable_poses(panda, 6, fk_pose(panda, sample_joints(panda, 2000, seed=0)), seed=0,
                                   restarts=2)
    assert Hp.shape == (6, 7)
    with pytest.raises(DataArgumentError):
        hard_unreachable_poses(ur5, 5, P[:, :3])


def test_sampled_label_posterior_is_calibrated():
    """P(class of the sampled configuration | pose) from all closed-form solutions weighted by 1 / |det J|.

    Calibration: the mean probability it gives the class actually sampled equals the mean of sum_c P(c)^2
    (both are the chance that two independent draws for the pose agree) and the Bayes rule's accuracy equals
    its expected accuracy. Weighting the solutions any other way (uniformly, or by |det J|) breaks both by
    about 0.1."""
    from iklearn.data.labels import sampled_label_posterior

    ur5 = load_robot("ur5")
    q = np.random.default_rng(0).uniform(ur5.finite_lower, ur5.finite_upper, (3000, 6))
    lab, thr = conditioning_labels(manipulability(jacobian(ur5, q)).inverse_condition)
    post = sampled_label_posterior(ur5, fk(ur5, q), thr)
    np.testing.assert_allclose(post.sum(1), 1.0)
    assert np.all(post[:, 0] == 0.0)
    assert abs(post[np.arange(3000), lab].mean() - (post ** 2).sum(1).mean()) < 0.02
    assert abs((post.argmax(1) == lab).mean() - post.max(1).mean()) < 0.02
    far = np.array([[2.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0]])
    np.testing.assert_array_equal(sampled_label_posterior(ur5, far, thr), [[1.0, 0.0, 0.0, 0.0]])


def test_conditioning_thresholds_come_from_training_rows():
    from iklearn.estimators.ml_ik.dataset import conditioning_dataset

    ur5 = load_robot("ur5")
    train = np.random.default_rng(0).uniform(size=500) < 0.6
    d = conditioning_dataset(ur5, 400, 100, seed=0, restarts=2, train=train)
    tr = train[:400]
    np.testing.assert_allclose(d.thresholds_paper, np.percentile(d.ic_sampled[tr], [20, 80]))
    np.testing.assert_allclose(d.thresholds_best, np.percentile(d.ic_best[tr], [20, 80]))
    assert not np.allclose(d.thresholds_paper, np.percentile(d.ic_sampled, [20, 80]))
    np.testing.assert_array_equal(d.label_paper[:400], conditioning_labels(d.ic_sampled, d.thresholds_paper)[0])
    with pytest.raises(Exception, match="train"):
        conditioning_dataset(ur5, 40, 10, seed=0, restarts=2, train=np.ones(7, bool))
