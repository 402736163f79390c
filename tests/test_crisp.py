"""CRiSP (paper 003): kernel weights against scikit-learn, gradients against finite differences, limits,
approximations against the exact solver, misspecified-model robustness, persistence; the MLP baseline."""

from __future__ import annotations

import numpy as np
import pytest

from iklearn.errors import IKLearnError, ModelMismatchError
from iklearn.estimators.crisp import _kernels as ck
from iklearn.estimators.crisp import CRiSP
from iklearn.estimators.mlp import MLPIK
from iklearn.kinematics.fk import fk
from iklearn.kinematics.pose import pose_error
from iklearn.robot import load_robot


@pytest.fixture(scope="module")
def planar():
    ch = load_robot("planar5")
    rng = np.random.default_rng(0)
    Y = rng.uniform(ch.finite_lower, ch.finite_upper, (1500, 5))
    return ch, fk(ch, Y), Y


@pytest.fixture(scope="module")
def panda():
    ch = load_robot("panda")
    rng = np.random.default_rng(1)
    q0 = ch.pose("ready")
    Y = ch.clip(q0 + rng.uniform(-0.15, 0.15, (700, 7)))
    return ch, fk(ch, Y), Y


@pytest.mark.parametrize("kernel,skl", [("linear", {"kernel": "linear"}), ("gaussian", None)])
def test_weights_match_sklearn_kernel_ridge(planar, kernel, skl):
    from sklearn.kernel_ridge import KernelRidge

    ch, T, Y = planar
    T, Y = T[:300], Y[:300]
    lam, sigma = 1e-3, 3.0
    est = CRiSP(robot=ch, kernel=kernel, sigma=sigma, lam=lam, position_unit=1.0, approximation="exact").fit(T, Y)
    skl = skl or {"kernel": "rbf", "gamma": 1.0 / sigma**2}
    krr = KernelRidge(alpha=len(T) * lam, **skl).fit(est.Xf_, Y)
    Tq = fk(ch, np.random.default_rng(5).uniform(ch.finite_lower, ch.finite_upper, (20, 5)))
    A = est.alpha(Tq)  # (20, 300) weights alpha(x) = (K + n lam I)^-1 k_x
    Xq = ck.pose_features(Tq, 1.0, 1.0)
    np.testing.assert_allclose(A @ Y, krr.predict(Xq), rtol=1e-6, atol=1e-6)
    # the exact moments alpha^T F are the same kernel ridge fit of the loss features
    np.testing.assert_allclose(np.stack([est.weights_.moments(x) for x in Xq]), A @ est.F_, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("loss", ["fk", "radial"])
def test_analytic_gradient_matches_finite_differences(panda, loss):
    ch, T, Y = panda
    est = CRiSP(robot=ch.perturbed(joint_offsets=0.01), loss=loss, sigma=1.0, lam=1e-6).fit(T, Y)
    est._make_buffers()
    rng = np.random.default_rng(2)
    for _ in range(5):
        xf = ck.pose_features(T[rng.integers(len(T))][None], 0.01, 1.0)[0]
        idx, a = est.weights_.support(xf)
        mom = a @ est.F_[idx]
        q = ch.clip(ch.pose("ready") + rng.uniform(-0.3, 0.3, 7))
        f, g = est.objective(q, mom, idx, a)
        eps = 1e-6
        gn = np.array([(est.objective(q + eps * e, mom, idx, a)[0] - est.objective(q - eps * e, mom, idx, a)[0])
                       / (2 * eps) for e in np.eye(7)])
        np.testing.assert_allclose(g, gn, rtol=1e-5, atol=1e-7 * max(1.0, np.abs(g).max()))
        # the FK objective is the weighted sum it claims to be
        if loss == "fk":
            Tq = fk(ch.perturbed(joint_offsets=0.01), q)
            Tm = fk(est.robot, est.y_[idx])
            d = ((Tm[:, :3, 3] - Tq[:3, 3]) ** 2).sum(1) + 0.5 * ((Tm[:, :3, :3] - Tq[:3, :3]) ** 2).sum((1, 2))
            assert f == pytest.approx(a @ d, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("approximation", ["exact", "nystrom", "local"])
def test_predictions_inside_joint_limits(panda, approximation):
    ch, T, Y = panda
    est = CRiSP(robot=ch, sigma=1.0, approximation=approximation, n_components=200, n_neighbors=50).fit(T, Y)
    rng = np.random.default_rng(3)
    far = fk(ch, rng.uniform(ch.finite_lower, ch.finite_upper, (4, 7)))  # far from the data, often odd weights
    Tq = np.concatenate([T[:4], far])
    bad_start = ch.finite_upper + 1.0  # outside the limits: must be clipped before optimising
    for Q in (est.predict(Tq), est.predict(Tq, q0=bad_start), est.predict(Tq, sequential=True)):
        assert Q.shape == (8, 7)
        assert ch.within_limits(Q, tol=0.0).all()
    radial = CRiSP(robot=ch, loss="radial", sigma=1.0, approximation=approximation, n_components=200,
                   n_neighbors=50).fit(T, Y)
    assert ch.within_limits(radial.predict(Tq), tol=0.0).all()


def test_approximations_agree_with_exact_when_complete(panda):
    ch, T, Y = panda
    T, Y = T[:200], Y[:200]
    kw = dict(robot=ch, sigma=2.0, lam=1e-6)
    exact = CRiSP(**kw, approximation="exact").fit(T, Y)
    nys = CRiSP(**kw, approximation="nystrom", n_components=200, n_neighbors=200).fit(T, Y)
    loc = CRiSP(**kw, approximation="local", n_neighbors=200).fit(T, Y)
    xf = exact.Xf_[7] + 0.01
    m = exact.weights_.moments(xf)
    np.testing.assert_allclose(nys.weights_.moments(xf), m, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(loc.weights_.moments(xf), m, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("approximation", ["local", "exact"])
def test_lm_optimizer_reaches_the_lbfgsb_minimum(panda, approximation):
    """The batched LM minimises the same FK objective as L-BFGS-B: same poses from the same start, and the
    batched local weights equal the per-query ones."""
    ch, T, Y = panda
    model = ch.perturbed(joint_offsets=np.deg2rad(0.5))  # a biased model: the minimum is not the target
    kw = dict(robot=model, sigma=1.5, lam=1e-6, approximation=approximation, n_neighbors=80)
    a = CRiSP(**kw).fit(T[:500], Y[:500])
    b = CRiSP(**kw, optimizer="lm").fit(T[:500], Y[:500])
    Tq = T[500:530]
    Xq = ck.pose_features(Tq, 0.01, 1.0)
    mom, best = b.weights_.batch(Xq)
    np.testing.assert_allclose(mom, np.stack([a.weights_.moments(x) for x in Xq]), rtol=1e-7, atol=1e-9)
    if approximation == "local":  # the start: the largest weight
        assert all(best[i] == a.weights_.support(x)[0][np.argmax(a.weights_.support(x)[1])] for i, x in
                   enumerate(Xq))
    q0 = Y[500:530] + 0.02
    Qa, Qb = a.predict(Tq, q0=q0), b.predict(Tq, q0=q0)
    assert ch.within_limits(Qb, tol=0.0).all()
    dp, dr = pose_error(fk(model, Qa), fk(model, Qb))
    assert dp.max() < 1e-6 and dr.max() < 1e-5
    a._make_buffers()
    fa = [a.objective(q, m)[0] for q, m in zip(Qa, mom)]
    fb = [a.objective(q, m)[0] for q, m in zip(Qb, mom)]
    np.testing.assert_allclose(fb, fa, rtol=1e-6, atol=1e-12)
    # sequential (trajectory) predictions take the per-point path
    seq = [fk(model, e.predict(Tq, sequential=True)) for e in (a, b)]
    assert pose_error(*seq)[0].max() < 1e-5
    with pytest.raises(IKLearnError):
        CRiSP(robot=ch, optimizer="newton").fit(T[:10], Y[:10])


def test_crisp_fk_tracks_and_beats_radial_and_nn(planar):
    ch, T, Y = planar
    P = fk(ch, np.random.default_rng(4).uniform(ch.finite_lower, ch.finite_upper, (10, 5)))
    P = P[np.linalg.norm(P[:, :2, 3], axis=1) < 7.0]  # interior poses
    fkest = CRiSP(robot=ch, sigma=2.0, lam=1e-12, position_unit=1.0, n_starts=3).fit(T, Y)
    pe_fk = pose_error(fk(ch, fkest.predict(P)), P)[0]
    pe_r = pose_error(fk(ch, CRiSP(robot=ch, loss="radial", sigma=2.0, lam=1e-12, position_unit=1.0)
                         .fit(T, Y).predict(P)), P)[0]
    # L-BFGS-B from one start can end in a local minimum on a rare pose: judge the median
    assert np.median(pe_fk) < 0.01  # 1 cm on a 10 m arm with 1,500 samples
    assert np.median(pe_fk) < 0.05 * np.median(pe_r)


def test_robust_to_misspecified_model_where_solver_is_not(panda):
    """Data from the true robot, loss with a 1-degree joint bias: CRiSP-FK stays accurate on the TRUE robot;
    a numerical solver given the same biased model is off by the bias."""
    from iklearn.solvers.lm import LevenbergMarquardt

    ch, T, Y = panda
    biased = ch.perturbed(joint_offsets=np.deg2rad(1.0))
    est = CRiSP(robot=ch, sigma=1.5, lam=1e-9).fit(T, Y).with_model(biased)
    Tq = fk(ch, ch.clip(ch.pose("ready") + np.random.default_rng(6).uniform(-0.1, 0.1, (6, 7))))
    pe_c = pose_error(fk(ch, est.predict(Tq)), Tq)[0]
    pe_n = pose_error(fk(ch, LevenbergMarquardt(biased, nearest=True).solve(Tq, q0=ch.pose("ready")).q), Tq)[0]
    assert np.median(pe_n) > 5e-3
    assert np.median(pe_c) < 0.2 * np.median(pe_n)
    refit = CRiSP(robot=biased, sigma=1.5, lam=1e-9).fit(T, Y)
    np.testing.assert_allclose(refit.predict(Tq[:2]), est.predict(Tq[:2]), atol=1e-6)


def test_save_load_roundtrip_and_refusals(panda, tmp_path):
    ch, T, Y = panda
    est = CRiSP(robot=ch, sigma=1.0, approximation="local", n_neighbors=60).fit(T[:300], Y[:300])
    path = tmp_path / "crisp.npz"
    est.save(path)
    back = CRiSP.load(path)
    assert back.n_neighbors == 60 and back.approximation == "local"
    np.testing.assert_allclose(back.predict(T[300:305]), est.predict(T[300:305]), atol=1e-9)
    with pytest.raises(ModelMismatchError):
        CRiSP.load(path, robot=load_robot("iiwa14"))
    with pytest.raises(ModelMismatchError):
        MLPIK.load(path)


def test_bad_inputs():
    ch = load_robot("planar5")
    with pytest.raises(IKLearnError):
        CRiSP(robot=ch).predict(np.eye(4))  # not fitted
    with pytest.raises(IKLearnError):
        CRiSP(robot=ch, loss="nope").fit(np.eye(4)[None], np.zeros((1, 5)))
    with pytest.raises(IKLearnError):
        CRiSP(robot=ch).fit(np.tile(np.eye(4), (3, 1, 1)), np.zeros((2, 5)))
    with pytest.raises(IKLearnError):
        CRiSP(robot=ch).fit(np.tile(np.eye(4), (2, 1, 1)), np.full((2, 5), np.nan))


def test_mlp_baseline_clips_learns_and_roundtrips(panda, tmp_path):
    ch, T, Y = panda  # one branch around 'ready': nearly a function, so regression can learn it
    m = MLPIK(robot=ch, hidden=(32, 32), max_iter=60, random_state=0).fit(T[:600], Y[:600])
    Q = m.predict(T[600:])
    assert ch.within_limits(Q, tol=0.0).all()
    rmse = np.sqrt(np.mean((Q - Y[600:]) ** 2))
    trivial = np.sqrt(np.mean((Y[:600].mean(0) - Y[600:]) ** 2))
    assert rmse < 0.5 * trivial
    m.save(tmp_path / "mlp.npz")
    np.testing.assert_array_equal(MLPIK.load(tmp_path / "mlp.npz").predict(T[600:]), Q)
    with pytest.raises(ModelMismatchError):
        MLPIK.load(tmp_path / "mlp.npz", robot=load_robot("iiwa14"))
