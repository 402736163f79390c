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
