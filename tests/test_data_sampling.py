"""Joint sampling and trajectories (iklearn.data.sampling / .trajectories)."""

import numpy as np
import pytest

from iklearn.data.sampling import DataArgumentError, sample_joints
from iklearn.data import trajectories as tr
from iklearn.errors import DataFormatError, IKLearnError
from iklearn.robot import load_robot


@pytest.fixture(scope="module")
def panda():
    return load_robot("panda")


@pytest.mark.parametrize("method", ["uniform", "lhs", "sobol"])
def test_sampling_inside_limits_seeded(panda, method):
    q = sample_joints(panda, 257, method, seed=3)
    assert q.shape == (257, 7)
    assert panda.within_limits(q).all()
    np.testing.assert_array_equal(q, sample_joints(panda, 257, method, seed=3))
    assert not np.array_equal(q, sample_joints(panda, 257, method, seed=4))


def test_lhs_is_stratified(panda):
    n = 50
    q = sample_joints(panda, n, "lhs", seed=0)
    u = (q - panda.lower) / (panda.upper - panda.lower)
    # a Latin hypercube puts exactly one point in each of the n strata of every coordinate
    for j in range(panda.dof):
        assert np.array_equal(np.sort(np.floor(u[:, j] * n).astype(int)), np.arange(n))


def test_sobol_covers_better_than_uniform(panda):
    from scipy.stats import qmc

    lo, hi = panda.lower, panda.upper
    d = {m: qmc.discrepancy((sample_joints(panda, 512, m, seed=1) - lo) / (hi - lo)) for m in ("uniform", "sobol")}
    assert d["sobol"] < d["uniform"]


@pytest.mark.parametrize("n", [0, -5, 2.5, "10"])
def test_bad_sizes(panda, n):
    with pytest.raises(IKLearnError):
        sample_joints(panda, n)


def test_unknown_method(panda):
    with pytest.raises(DataArgumentError, match="sampler"):
        sample_joints(panda, 10, "grid")


def test_trajectory_shapes_and_geometry():
    c = tr.circle((1, 2, 3), 0.5, n=64, plane="xz", duration=4.0)
    assert len(c) == 64 and c.poses.shape == (64, 4, 4) and c.pose7.shape == (64, 7)
    assert c.times[0] == 0 and c.times[-1] < 4.0 and np.all(np.diff(c.times) > 0)
    np.testing.assert_allclose(np.linalg.norm(c.positions - [1, 2, 3], axis=1), 0.5)
    np.testing.assert_allclose(c.positions[:, 1], 2.0)  # in the x-z plane
    e = tr.eight((0, 0, 0), (2.0, 1.0), n=100, normal=(1, 1, 0))
    assert e.positions.shape == (100, 3)
    np.testing.assert_allclose(e.positions @ np.array([1, 1, 0]) / np.sqrt(2), 0, atol=1e-12)
    ext = np.ptp(e.positions, axis=0)
    assert np.isclose(np.linalg.norm(e.positions, axis=1).max(), 2.0, rtol=1e-2) and ext.max() > 0
    s = tr.spiral((0, 0, 0), 0.03, 0.06, n=101, cycles=2)
    assert len(s) == 101
    np.testing.assert_allclose(s.positions[[0, -1], 2], [0, 0.06])
    np.testing.assert_allclose(np.hypot(*s.positions[:, :2].T), 0.03)


def test_orientation_profiles():
    R = tr.circle(n=40, orientation="constant", rotation=0.3).poses[:, :3, :3]
    assert np.allclose(R, R[0])
    t = tr.circle(n=40, orientation="tangent")  # in the x-y plane the tip x axis follows the tangent
    tangent = np.gradient(t.positions, axis=0)
    tangent /= np.linalg.norm(tangent, axis=1, keepdims=True)
    assert np.all(np.einsum("ni,ni->n", t.poses[:, :3, 0], tangent)[1:-1] > 0.99)
    w = tr.eight(n=40, orientation="tilt", tilt_amplitude=0.3).poses[:, :3, :3]
    ang = np.arccos(np.clip(w[:, 2, 2], -1, 1))
    assert np.isclose(ang.max(), 0.3, atol=0.01)


def test_csv_round_trip(tmp_path):
    t = tr.spiral((0.1, 0.2, 0.3), 0.05, 0.1, n=30, orientation="tilt")
    p = t.save_csv(tmp_path / "s.csv")
    u = tr.load_csv(p)
    assert u.name == t.name
    np.testing.assert_allclose(u.poses, t.poses, atol=1e-12)
    np.testing.assert_allclose(u.times, t.times)


def test_csv_bad(tmp_path):
    (tmp_path / "b.csv").write_text("a,b\n1,2\n")
    with pytest.raises(DataFormatError):
        tr.load_csv(tmp_path / "b.csv")
    with pytest.raises(DataFormatError):
        tr.load_csv(tmp_path / "missing.csv")


@pytest.mark.parametrize("kw", [dict(n=0), dict(radius=-1), dict(orientation="wobble"), dict(plane="ab"),
                                dict(normal=(0, 0, 0)), dict(duration=0)])
def test_trajectory_bad_input(kw):
    with pytest.raises(DataArgumentError):
        tr.circle(**kw)


@pytest.mark.parametrize("name", list(tr.CRISP_TRAJECTORIES))
def test_crisp_trajectories_reachable(name):
    from iklearn.kinematics import pose_error
    from iklearn.solvers.lm import LevenbergMarquardt

    t = tr.crisp_trajectory(name, n=24)
    assert len(t) == 24
    chain = load_robot(tr.CRISP_ROBOT[name])
    res = LevenbergMarquardt(chain, seed=0, max_iterations=3000).solve(t.poses)
    assert res.success.all()
    from iklearn.kinematics import fk

    pos, rot = pose_error(fk(chain, res.q), t.poses)
    assert pos.max() < 1e-5 and rot.max() < 1e-4 and chain.within_limits(res.q).all()


def test_crisp_parameters():
    """The paper's world [0, 4.4, -55] cm (y up, Panda base turned -90 deg about x) is (0, 0.55, 0.044) m in
    the base frame; the circle lies in the vertical plane y = 0.55; C0 points the tool down, C+-pi/4 tilt it."""
    c0, cp, cm = (tr.crisp_trajectory(k) for k in ("C0", "C+pi/4", "C-pi/4"))
    for c in (c0, cp, cm):
        np.testing.assert_allclose(np.linalg.norm(c.positions - [0, 0.55, 0.044], axis=1), 0.03)
        np.testing.assert_allclose(c.positions[:, 1], 0.55)
    assert np.allclose(c0.poses[:, :3, 2], [0, 0, -1])  # tool points down
    tilt = lambda c: np.degrees(np.arccos(-c.poses[0, 2, 2]))  # noqa: E731 - angle of the tool axis from down
    assert tilt(cp) == pytest.approx(45) and tilt(cm) == pytest.approx(45)
    assert cp.poses[0, 0, 2] == pytest.approx(-cm.poses[0, 0, 2]) and cp.poses[0, 1, 2] == pytest.approx(0)
    s = tr.crisp_trajectory("S", n=201)
    assert s.positions[:, 1].min() == pytest.approx(0.42) and s.positions[100, 1] == pytest.approx(0.48)
    np.testing.assert_allclose(np.hypot(s.positions[:, 0], s.positions[:, 2] - 0.044), 0.03)
    # the world-to-base map is a rotation that takes the world up axis (y) to the base z axis
    np.testing.assert_allclose(tr.paper_world_to_base(np.array([0.0, 1.0, 0.0])), [0, 0, 1], atol=1e-12)
    with pytest.raises(DataArgumentError):
        tr.crisp_trajectory("zigzag")
