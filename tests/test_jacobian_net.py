"""JacobianNet: training lowers both losses, the gate skips the estimation head, save/load round trip."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from iklearn.data import random_manipulators as rm  # noqa: E402
from iklearn.errors import InputDomainError, ModelMismatchError, NonFiniteError, ShapeError  # noqa: E402
from iklearn.estimators.jacobian_net import JacobianNet  # noqa: E402
from iklearn.kinematics.pose import euler_xyz_to_matrix  # noqa: E402


@pytest.fixture(scope="module")
def fitted():
    conf = rm.make_dataset(1500, seed=11)
    est = rm.make_dataset(1000, seed=12, only_reachable=True)
    m = JacobianNet(encoder=(48, 48), confidence=(32,), estimation=(48,), batch_size=64, lr=1e-2,
                    pretrain_epochs=8, confidence_epochs=6, n_cycles=1, epochs_per_phase=2, n_threads=1,
                    random_state=0).fit(conf.X, conf.reachable, est.X, est.J)
    return m, conf, est


def _held_out_losses(m, conf, est):
    pc = np.clip(m.predict_confidence(conf.X), 1e-7, 1 - 1e-7)
    y = conf.reachable
    bce = -np.mean(y * np.log(pc) + (1 - y) * np.log(1 - pc))
    mse = np.mean((m.scalers_.y(m.predict_jacobian(est.X).reshape(len(est.X), -1)) - m.scalers_.y(est.J)) ** 2)
    return bce, mse


def test_training_lowers_both_losses(fitted):
    m, conf, est = fitted
    h = m.history_
    ph = np.array(h.phase)
    assert list(ph[:8]) == ["pretrain"] * 8 and list(ph[8:14]) == ["confidence"] * 6
    assert list(ph[14:]) == ["estimation"] * 2 + ["confidence"] * 4  # one cycle: est, conf, conf
    # untrained net (same initialisation and scalers, no epochs) against the trained one, on held-out arms
    kw = {k: getattr(m, k) for k in m._PARAMS}
    kw.update(pretrain_epochs=0, confidence_epochs=0, n_cycles=0)
    m0 = JacobianNet(**kw).fit(conf.X, conf.reachable, est.X, est.J)
    b0, e0 = _held_out_losses(m0, conf, est)  # on the (tiny) training set: training lowers both losses
    b1, e1 = _held_out_losses(m, conf, est)
    assert b1 < 0.8 * b0 and e1 < 0.9 * e0
    # on held-out arms: better than the untrained net and than the base rate
    conf_te = rm.make_dataset(1000, seed=21)
    est_te = rm.make_dataset(600, seed=22, only_reachable=True)
    b0, e0 = _held_out_losses(m0, conf_te, est_te)
    b1, e1 = _held_out_losses(m, conf_te, est_te)
    assert b1 < 0.8 * b0 and e1 < e0
    p = conf.reachable.mean()
    assert b1 < 0.9 * -(p * np.log(p) + (1 - p) * np.log(1 - p))


def test_gate_skips_estimation_head_when_confidence_is_low(fitted):
    m, conf, _ = fitted
    X = conf.X[:300]
    rows = []
    hook = m._inference_net().estimation.register_forward_hook(lambda mod, inp, out: rows.append(inp[0].shape[0]))
    try:
        m.threshold = 0.5
        g = m.predict(X)
        assert 0 < g.accepted.sum() < len(X)
        assert rows == [int(g.accepted.sum())]  # the head saw only the accepted rows
        np.testing.assert_allclose(g.confidence, m.predict_confidence(X), atol=1e-6)
        assert np.isnan(g.jacobian[~g.accepted]).all() and np.isfinite(g.jacobian[g.accepted]).all()
        np.testing.assert_allclose(g.jacobian[g.accepted], m.predict_jacobian(X)[g.accepted], atol=1e-5)
        rows.clear()
        m.threshold = 1.01  # nothing passes: the estimation head never runs
        g = m.predict(X)
        assert rows == [] and not g.accepted.any() and np.isnan(g.jacobian).all()
    finally:
        hook.remove()
        m.threshold = 0.5


def test_scalers_follow_the_paper(fitted):
    m, conf, est = fitted
    xs = m.scalers_.x(np.vstack([conf.X, est.X]))
    var = np.ptp(conf.X, axis=0) > 0
    np.testing.assert_allclose(xs[:, var].mean(0), 0, atol=1e-4)
    np.testing.assert_allclose(xs[:, var].std(0), 1, atol=1e-3)
    ys = m.scalers_.y(est.J)
    jv = np.ptp(est.J, axis=0) > 1e-12
    np.testing.assert_allclose(ys[:, jv].min(0), -1, atol=1e-5)
    np.testing.assert_allclose(ys[:, jv].max(0), 1, atol=1e-5)
    np.testing.assert_allclose(m.scalers_.y_inverse(ys), est.J, atol=1e-5)


def test_save_load_round_trip(fitted, tmp_path):
    m, conf, _ = fitted
    path = m.save(tmp_path / "jn.npz")
    m2 = JacobianNet.load(path)
    X = conf.X[:50]
    np.testing.assert_allclose(m2.predict_confidence(X), m.predict_confidence(X), atol=1e-6)
    np.testing.assert_allclose(m2.predict_jacobian(X), m.predict_jacobian(X), atol=1e-6)
    assert list(m2.encoder) == list(m.encoder) and m2.threshold == m.threshold
    from iklearn.estimators._io import save_model

    save_model(tmp_path / "other.npz", "not_jacobian_net", {"a": np.zeros(1)}, {})
    with pytest.raises(ModelMismatchError):
        JacobianNet.load(tmp_path / "other.npz")
    with np.load(path, allow_pickle=False) as z:  # no pickled objects in the file
        assert all(z[k].dtype != object for k in z.files)


def test_bad_input_shape(fitted):
    m, _, _ = fitted
    with pytest.raises(ShapeError):
        m.predict_confidence(np.zeros((3, 5)))
    X = m.scalers_.x_mean[None].repeat(2, 0)
    X[1, 19] = np.nan
    with pytest.raises(NonFiniteError):
        m.predict_confidence(X)


@pytest.mark.parametrize("recipe", ["paper", "ours"])
def test_constant_columns_ignore_rounding_and_refuse_other_values(tmp_path, recipe):
    """The full-size recipes (the paper row's and our final model's: architecture, batch, lift, scaler) on a
    small training set. With the full size's 495,000 rows the alpha columns have a standard deviation of ~1e-11
    (the summation error of their mean); they must still be constant, so that pi/2 written 1.5708 (as M3's data
    files write it) gives the same predictions as the exact value."""
    from iklearn.estimators.jacobian_net.model import Scalers
    from iklearn.experiments.jacobian_net import SIZES, _net

    conf = rm.make_dataset(1500, seed=11)
    est = rm.make_dataset(1000, seed=12, only_reachable=True)
    big = np.tile(np.vstack([conf.X, est.X]), (198, 1))  # the full size's 495,000 rows
    alpha = [12, 14, 15, 16]  # the non-zero alpha columns
    assert big.std(axis=0)[alpha].min() > 1e-12  # what scaled them by their noise before
    assert Scalers.fit(big, est.J).x_const[alpha].all()
    rng = np.random.default_rng(0)
    noisy = [d.X + np.where(d.X == d.X[:1], 1.0, 0.0) * np.where(np.isin(np.arange(24), alpha),
                                                                  rng.normal(0, 2e-11, d.X.shape), 0.0)
             for d in (conf, est)]
    # a small training set needs more steps than the full size's batches give it: batches of 128
    m = _net(SIZES["full"], 0, recipe, pretrain_epochs=2, confidence_epochs=2, n_cycles=1, epochs_per_phase=1,
             n_threads=1, batch_size=128).fit(noisy[0], conf.reachable, noisy[1], est.J)
    assert list(m.encoder) == [384, 384, 384]  # the full size's widths
    assert m.scalers_.x_const[alpha].all() and np.count_nonzero(m.scalers_.x_const) == 14  # table II's 14
    m = JacobianNet.load(m.save(tmp_path / "m.npz"))
    te = rm.make_dataset(2000, seed=13)
    p0 = m.predict_confidence(te.X)
    assert 0.05 < np.mean(p0 >= m.threshold) < 0.95  # a model that separates, not a constant answer
    written = te.X.copy()  # the alphas as people write pi/2
    written[:, alpha] = np.where(np.isclose(np.abs(written[:, alpha]), np.pi / 2),
                                 np.sign(written[:, alpha]) * 1.5708, written[:, alpha])
    rounded = te.X.copy()  # every constant column written to 4 decimals
    rounded[:, 12:18] = np.round(rounded[:, 12:18], 4)
    for X in (written, rounded):
        assert np.abs(X - te.X).max() > 1e-6
        np.testing.assert_allclose(m.predict_confidence(X), p0, rtol=0, atol=1e-6)
        np.testing.assert_allclose(m.predict_jacobian(X), m.predict_jacobian(te.X), rtol=0, atol=1e-6)
        np.testing.assert_array_equal(m.predict(X).accepted, p0 >= m.threshold)  # no decision flips
    # every feature written to 4 decimals (positions, angles, lengths too): a change of the inputs by at most
    # 5e-5 moves the confidence by little; a decision may flip only where the exact confidence is that close
    # to the threshold
    p_all = m.predict_confidence(np.round(te.X, 4))
    d = np.abs(p_all - p0)
    assert d.max() < 1e-2
    flips = (p_all >= m.threshold) != (p0 >= m.threshold)
    assert np.all(np.abs(p0[flips] - m.threshold) <= d[flips])
    other = te.X.copy()
    other[7, 12] = -np.pi / 2  # another arm family: refused, not silently mispredicted
    with pytest.raises(InputDomainError, match="column 12"):
        m.predict(other)


def test_lift_and_skip_keep_the_input_layout(tmp_path):
    conf = rm.make_dataset(800, seed=31)
    est = rm.make_dataset(500, seed=32, only_reachable=True)
    m = JacobianNet(encoder=(32,), confidence=(16,), estimation=(32,), batch_size=128, lift="quad", skip=True,
                    lr_decay=True, pretrain="estimation", pretrain_epochs=2, confidence_epochs=2, n_cycles=1,
                    epochs_per_phase=1, n_threads=1, random_state=0).fit(conf.X, conf.reachable, est.X, est.J)
    assert m.lift_cols_ == [2, 3, 7, 8, 18, 19, 20]  # d3, d4, a2, a3 and the position
    X = conf.X[:40]
    lift = m.net_.encoder[0]
    with torch.no_grad():
        extra = lift.extra(torch.from_numpy(m.scalers_.x(X))).numpy()
    v = X[:, m.lift_cols_]
    iu = np.triu_indices(7)
    expect = np.hstack([np.sin(X[:, 21:]), np.cos(X[:, 21:]), v[:, iu[0]] * v[:, iu[1]]])
    np.testing.assert_allclose(extra, expect, atol=1e-5)
    m2 = JacobianNet.load(m.save(tmp_path / "lift.npz"))
    assert m2.lift == "quad" and m2.skip
    np.testing.assert_allclose(m2.predict_confidence(X), m.predict_confidence(X), atol=1e-6)
    np.testing.assert_allclose(m2.predict_jacobian(X), m.predict_jacobian(X), atol=1e-6)
    g = m.predict(X)  # the gate uses the same (skip) confidence path
    np.testing.assert_allclose(g.confidence, m.predict_confidence(X), atol=1e-6)


def test_fit_confidence_trains_only_the_confidence_head(fitted):
    import copy

    m0, conf, _ = fitted
    m = copy.deepcopy(m0)
    enc = [p.detach().clone() for p in m.net_.encoder.parameters()]
    est = [p.detach().clone() for p in m.net_.estimation.parameters()]
    more = rm.make_dataset(3000, seed=41)
    n_hist = len(m.history_.phase)
    m.fit_confidence(more.X, more.reachable, epochs=3)
    assert m.history_.phase[n_hist:] == ["confidence"] * 3
    assert all(torch.equal(a, b) for a, b in zip(enc, m.net_.encoder.parameters()))
    assert all(torch.equal(a, b) for a, b in zip(est, m.net_.estimation.parameters()))
    te = rm.make_dataset(1000, seed=21)
    pc0 = np.clip(m0.predict_confidence(te.X), 1e-7, 1 - 1e-7)
    pc1 = np.clip(m.predict_confidence(te.X), 1e-7, 1 - 1e-7)
    y = te.reachable

    def bce(p):
        return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))

    assert bce(pc1) < bce(pc0)  # 3000 more labels help the held-out arms


def test_geo_lift_encodes_the_wrist_centre_rule():
    from iklearn.estimators.jacobian_net.model import geo_features

    d = rm.make_dataset(4000, seed=51)
    g = geo_features(d.X)  # [r_xy, rho, L, a2 + L, |a2 - L|, |p_w|]
    rule = (g[:, 0] >= d.X[:, 2]) & (g[:, 1] >= g[:, 4]) & (g[:, 1] <= g[:, 3])
    assert np.array_equal(rule, d.reachable)  # the closed-form IK's test, from the columns alone
    X = d.X.copy()
    X[:, 5] = 0.1  # a tool offset d6 moves the wrist centre back along the tool z axis
    R = euler_xyz_to_matrix(X[:, 21:])
    pw = X[:, 18:21] - 0.1 * R[:, :, 2]
    np.testing.assert_allclose(geo_features(X)[:, 5], np.linalg.norm(pw, axis=1), atol=1e-12)
    np.testing.assert_allclose(geo_features(torch.from_numpy(X), torch).numpy(), geo_features(X), atol=1e-12)
    est = rm.make_dataset(300, seed=52, only_reachable=True)
    m = JacobianNet(encoder=(16,), confidence=(8,), estimation=(16,), batch_size=128, lift="geo", skip=True,
                    pretrain_epochs=1, confidence_epochs=1, n_cycles=0, n_threads=1).fit(
                        d.X[:500], d.reachable[:500], est.X, est.J)
    with torch.no_grad():
        extra = m.net_.encoder[0].extra(torch.from_numpy(m.scalers_.x(d.X[:40]))).numpy()
    np.testing.assert_allclose(extra[:, -6:], g[:40], atol=1e-5)


def test_mcc_interval_covers_the_point_and_shrinks_with_n():
    from sklearn.metrics import matthews_corrcoef

    from iklearn.experiments.jacobian_net_baselines import best_threshold, mcc_interval

    rng = np.random.default_rng(0)
    widths = []
    for n in (2000, 20000):
        y = rng.random(n) < 0.42
        p = y ^ (rng.random(n) < 0.01)
        lo, hi = mcc_interval(y, p, n_boot=500)
        assert lo < matthews_corrcoef(y, p) < hi
        widths.append(hi - lo)
    assert widths[1] < 0.5 * widths[0]  # ~ 1 / sqrt(n)
    conf = np.clip(y + rng.normal(0, 0.2, len(y)) - 0.2, 0, 1)  # biased scores: the best cut is below 0.5
    assert best_threshold(y, conf) < 0.5


def test_folded_inference_equals_the_trained_net_and_follows_retraining():
    import torch

    from iklearn.estimators.jacobian_net.model import fold_batchnorm

    conf = rm.make_dataset(600, seed=11)
    est = rm.make_dataset(400, seed=12, only_reachable=True)
    m = JacobianNet(encoder=(32, 32), confidence=(16,), estimation=(32,), pretrain_epochs=2, confidence_epochs=1,
                    n_cycles=1, epochs_per_phase=1, batch_size=64, dropout=0.1, random_state=0)
    m.fit(conf.X, conf.reachable, est.X, est.J)
    x = m._check(conf.X[:50])
    m.net_.eval()
    with torch.inference_mode():
        ref_c, ref_e = m.net_(x)
        f_c, f_e = fold_batchnorm(m.net_)(x)
    assert not any(isinstance(l, torch.nn.BatchNorm1d) for l in fold_batchnorm(m.net_).modules())
    np.testing.assert_allclose(f_c.numpy(), ref_c.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(f_e.numpy(), ref_e.numpy(), rtol=1e-4, atol=1e-5)
    p0 = m.predict_confidence(conf.X[:50])
    np.testing.assert_allclose(p0, torch.sigmoid(ref_c[:, 0]).numpy(), atol=1e-5)
    m.fit_confidence(conf.X, conf.reachable, epochs=1)  # new weights: the folded copy must follow
    m.net_.eval()
    with torch.inference_mode():
        ref2 = torch.sigmoid(m.net_.conf_logits(x)[:, 0]).numpy()
    assert np.abs(ref2 - p0).max() > 1e-4
    np.testing.assert_allclose(m.predict_confidence(conf.X[:50]), ref2, atol=1e-5)
