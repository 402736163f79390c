"""LWPR estimator: learning accuracy, exact incremental linear fit, receptive-field creation and pruning,
confidence bounds, multiple outputs, save/load, input validation."""

from __future__ import annotations

import numpy as np
import pytest

from iklearn.errors import ModelMismatchError, NonFiniteError, NotFittedError, ShapeError
from iklearn.estimators.lwpr import LWPR


def _nmse(y, yp):
    return float(np.mean((y - yp) ** 2) / np.var(y))


def test_learns_1d_function():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (1000, 1))
    f = lambda x: np.sin(3 * x[:, 0]) + 0.5 * x[:, 0]  # noqa: E731
    Y = f(X) + 0.05 * rng.standard_normal(1000)
    m = LWPR(init_D=50.0)
    for _ in range(5):
        p = rng.permutation(1000)
        m.partial_fit(X[p], Y[p])
    Xt = np.linspace(-0.95, 0.95, 300)[:, None]
    nmse = _nmse(f(Xt), m.predict(Xt)[:, 0])
    assert nmse < 0.01  # measured ~1e-3; the noise alone is nMSE 0.008 of the data
    assert m.n_receptive_fields_[0] >= 3


def test_learns_2d_cross_function():
    """The reference library's 2-D test (cross function, 500 noisy points, 20 epochs; its nMSE ~0.02-0.05)."""
    rng = np.random.default_rng(0)

    def cross(X):
        return np.maximum.reduce([np.exp(-10 * X[:, 0] ** 2), np.exp(-50 * X[:, 1] ** 2),
                                  1.25 * np.exp(-5 * (X[:, 0] ** 2 + X[:, 1] ** 2))])

    X = rng.uniform(-1, 1, (500, 2))
    Y = cross(X) + 0.1 * rng.standard_normal(500)
    m = LWPR(init_D=25.0, init_alpha=250.0, w_gen=0.2, diag_only=False, meta=True, meta_rate=250.0)
    for _ in range(20):
        p = rng.permutation(500)
        m.partial_fit(X[p], Y[p])
    g = np.linspace(-1, 1, 41)
    G = np.array(np.meshgrid(g, g)).reshape(2, -1).T
    nmse = _nmse(cross(G), m.predict(G)[:, 0])
    assert nmse < 0.08  # measured 0.047; predicting the mean gives 1.0
    # the distance metric was learned (no longer the initial 25 I) and stays positive definite
    D = m.receptive_field_metrics(0)
    assert not np.allclose(D, 25.0 * np.eye(2))
    assert np.all(np.linalg.eigvalsh(D) > 0)


def test_incremental_linear_function_is_exact():
    """1-D: every local model is an exact weighted linear regression, so a linear target is reproduced
    to rounding; several outputs at once (one sub-model each). (With a negative slope the projection u
    flips from its initial +1 to -1 after the first samples, and the statistics gathered before the flip
    leave a 4e-4 relative error that fades with the forgetting factor, as in the reference library.)"""
    rng = np.random.default_rng(1)
    X = rng.uniform(-1, 1, (2000, 1))
    Y = np.column_stack([1.5 * X[:, 0] + 0.2, 0.7 * X[:, 0] - 0.4])
    m = LWPR(init_D=4.0)
    for x, y in zip(X, Y):  # one sample at a time
        m.partial_fit(x, y)
    Xt = np.linspace(-0.9, 0.9, 50)[:, None]
    np.testing.assert_allclose(m.predict(Xt), np.column_stack([1.5 * Xt[:, 0] + 0.2, 0.7 * Xt[:, 0] - 0.4]),
                               atol=1e-9)


def test_incremental_linear_function_multi_input_is_close():
    """d > 1: the incremental PLS directions move while their statistics accumulate, so the fit is close,
    not exact (measured max error 0.005 on outputs of size ~2)."""
    rng = np.random.default_rng(1)
    A = np.array([[1.5, -2.0], [0.3, 0.7]])
    X = rng.uniform(-1, 1, (3000, 2))
    m = LWPR(init_D=4.0, update_D=False).partial_fit(X, X @ A.T + 0.1)
    Xt = rng.uniform(-0.8, 0.8, (200, 2))
    np.testing.assert_allclose(m.predict(Xt), Xt @ A.T + 0.1, atol=0.02)


def test_receptive_fields_created_where_no_field_is_active():
    m = LWPR(init_D=100.0, update_D=False, w_gen=0.1)
    m.partial_fit([[0.0]], [[0.0]])
    assert m.n_receptive_fields_[0] == 1
    # w = exp(-0.5 * 100 * 0.1^2) = 0.61 > w_gen: no new field
    m.partial_fit([[0.1]], [[0.0]])
    assert m.n_receptive_fields_[0] == 1
    # w = exp(-0.5 * 100 * 0.3^2) = 0.011 < w_gen: a new field centred on the sample
    m.partial_fit([[0.3]], [[0.0]])
    assert m.n_receptive_fields_[0] == 2
    np.testing.assert_allclose(np.sort(m.receptive_field_centers(0)[:, 0]), [0.0, 0.3])


def test_receptive_fields_pruned_where_two_overlap():
    # a sample where the two most active fields both exceed w_prune removes one of them
    m = LWPR(init_D=100.0, update_D=False, w_gen=0.1, w_prune=0.5)
    m.partial_fit([[0.0]], [[0.0]])
    m.partial_fit([[0.25]], [[0.0]])  # w = 0.04 < w_gen: created
    assert m.n_receptive_fields_[0] == 2
    m.partial_fit([[0.125]], [[0.0]])  # both at w = exp(-0.5*100*0.0156) = 0.46 < 0.5: kept
    assert m.n_receptive_fields_[0] == 2 and m.n_pruned_[0] == 0
    m2 = LWPR(init_D=100.0, update_D=False, w_gen=0.1, w_prune=0.4)
    m2.partial_fit([[0.0]], [[0.0]])
    m2.partial_fit([[0.25]], [[0.0]])
    m2.partial_fit([[0.125]], [[0.0]])  # both at 0.46 > 0.4: one pruned
    assert m2.n_receptive_fields_[0] == 1 and m2.n_pruned_[0] == 1


def test_confidence_grows_away_from_data():
    rng = np.random.default_rng(2)
    X = rng.uniform(-1, 1, (2000, 1))
    Y = np.sin(2 * X[:, 0]) + 0.05 * rng.standard_normal(2000)
    m = LWPR(init_D=25.0).partial_fit(X, Y)
    xs = np.array([[0.0], [1.1], [1.3], [1.5]])
    conf = m.predict_info(xs)["confidence"]
    c = conf[:, 0]
    assert np.all(np.diff(c) > 0), c
    assert c[0] < 0.2
    far = m.predict_info([[10.0]])["confidence"]
    assert np.isinf(far[0, 0])  # no trustworthy field active at all


def test_multiple_outputs_match_separate_models():
    rng = np.random.default_rng(3)
    X = rng.uniform(-1, 1, (1500, 2))
    Y = np.column_stack([np.sin(2 * X[:, 0]) * X[:, 1], X[:, 0] ** 2 - X[:, 1]])
    both = LWPR().partial_fit(X, Y)
    one = LWPR().partial_fit(X, Y[:, 1])
    Xt = rng.uniform(-0.8, 0.8, (100, 2))
    # one independent sub-model per output: output 1 of the joint model is exactly the separate model
    np.testing.assert_allclose(both.predict(Xt)[:, 1], one.predict(Xt)[:, 0], rtol=0, atol=1e-12)
    assert _nmse(Y[:100], both.predict(X[:100])) < 0.05


def test_save_load_roundtrip(tmp_path):
    rng = np.random.default_rng(4)
    X = rng.uniform(-1, 1, (500, 2))
    Y = np.column_stack([X[:, 0] * X[:, 1], np.cos(X[:, 0])])
    m = LWPR(norm_in=[2.0, 1.0], meta=True).partial_fit(X, Y)
    p = m.save(tmp_path / "m.npz")
    m2 = LWPR.load(p)
    Xt = rng.uniform(-1, 1, (50, 2))
    np.testing.assert_array_equal(m.predict(Xt), m2.predict(Xt))
    # both keep learning identically
    m.partial_fit(X[:100], Y[:100])
    m2.partial_fit(X[:100], Y[:100])
    np.testing.assert_array_equal(m.predict(Xt), m2.predict(Xt))
    with pytest.raises(ModelMismatchError):
        LWPR.load(tmp_path / "missing.npz")


def test_bad_inputs():
    m = LWPR().partial_fit(np.zeros((3, 2)), np.zeros((3, 1)))
    with pytest.raises(ShapeError):
        m.predict(np.zeros((2, 3)))
    with pytest.raises(NonFiniteError):
        m.partial_fit([[np.nan, 0.0]], [[0.0]])
    with pytest.raises(NotFittedError):  # an IKLearnError (and a RuntimeError, as before)
        LWPR().predict([[0.0]])
    assert LWPR(w_gen=0.3).get_params()["w_gen"] == 0.3



def test_init_projections():
    """New fields start with init_projections PLS projections (2 by default) and still fit a linear map."""
    rng = np.random.default_rng(0)
    a = np.array([1.0, -2.0, 0.5, 3.0, -1.0])
    sc = np.array([1.0, 0.5, 1.0, 0.5, 1.0])
    X = rng.normal(size=(5000, 5)) * sc
    Y = X @ a + 1.0 * rng.standard_normal(5000)
    Xt = rng.normal(size=(1000, 5)) * sc
    for ip in (2, 5):
        m = LWPR(init_D=1e-6, update_D=False, init_projections=ip)
        m.partial_fit(X[:1], Y[:1])
        assert m.n_projections()[0] == ip
        m.partial_fit(X[1:], Y[1:])
        assert m.n_projections()[0] >= ip
        assert _nmse(Xt @ a, m.predict(Xt)[:, 0]) < 0.02  # measured 0.004 / 0.006; the noise is nMSE 0.06
