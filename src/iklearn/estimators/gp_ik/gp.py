"""A small online Gaussian process (Matern 5/2) with incremental Cholesky updates and a sliding window.

Paper 000 models the Jacobian sensitivity over configuration space with a GP (Matern kernel, nu = 2.5)
that is "continuously updated as new configurations are explored". The solver adds one point per
iteration, so refactorising the kernel matrix each time (O(n^3)) would dominate; instead:

* adding a point extends the lower Cholesky factor ``L`` of ``K + noise I`` by one row (O(n^2));
* once ``max_size`` points are held, the oldest one is dropped and ``L`` is repaired by a rank-one
  Cholesky update of the trailing block (O(n^2)), which keeps the cost per iteration bounded.

The state lives in preallocated arrays (``X (W, d)``, ``y (W,)``, ``L (W, W)``, ``alpha (W,)``, count in
``meta[0]``) updated by numba kernels (:func:`gp_add`, :func:`gp_mean`, :func:`gp_predict_one`), so the
solver's numba loop (:mod:`._kernel`) updates and queries the very same GP that :class:`OnlineGP` exposes.

Hyperparameters are fixed (no marginal-likelihood optimisation online: the paper gives none, and
re-optimising every iteration would be slow and non-deterministic). Predictions equal scikit-learn's
``GaussianProcessRegressor(kernel=ConstantKernel(signal_variance) * Matern(length_scale, nu=2.5)
+ WhiteKernel(noise_variance), optimizer=None)`` fitted to ``y - prior_mean`` (checked in the tests);
like scikit-learn, the predicted standard deviation includes the white-noise term.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from iklearn._jit import njit
from iklearn.errors import NotFittedError
from iklearn.estimators._io import load_model, save_model
from iklearn.robot.chain import Chain

_KIND = "gp_ik.online_gp"

_SQRT5 = np.sqrt(5.0)


@njit(cache=True, inline="always")
def _k(a, b, ils, sv):
    """Matern 5/2 covariance of two points ``(d,)``; ``ils`` = 1 / length scales ``(d,)``."""
    d2 = 0.0
    for i in range(a.shape[0]):
        t = (a[i] - b[i]) * ils[i]
        d2 += t * t
    r = np.sqrt(5.0 * d2)
    return sv * (1.0 + r + r * r / 3.0) * np.exp(-r)


@njit(cache=True)
def _chol_drop_first_inplace(L, n):
    """Replace ``L[:n-1, :n-1]`` by the factor of ``K[1:n, 1:n]`` given the factor ``L[:n, :n]`` of ``K``.

    With ``L = [[l11, 0], [l21, L22]]``: ``K[1:, 1:] = L22 L22^T + l21 l21^T`` (rank-one update, O(n^2)),
    done on the trailing block in place, then shifted up-left by one.
    """
    x = np.empty(n - 1)
    for i in range(1, n):
        x[i - 1] = L[i, 0]
    for k in range(n - 1):
        m = L[k + 1, k + 1]
        r = np.hypot(m, x[k])
        c = r / m
        s = x[k] / m
        L[k + 1, k + 1] = r
        for i in range(k + 1, n - 1):
            L[i + 1, k + 1] = (L[i + 1, k + 1] + s * x[i]) / c
            x[i] = c * x[i] - s * L[i + 1, k + 1]
    for i in range(1, n):
        for j in range(1, i + 1):
            L[i - 1, j - 1] = L[i, j]


@njit(cache=True)
def _refresh_alpha(y, L, alpha, n, prior_mean):
    """``alpha = (L L^T)^-1 (y - prior_mean)`` over the first ``n`` points."""
    for i in range(n):
        acc = y[i] - prior_mean
        for k in range(i):
            acc -= L[i, k] * alpha[k]
        alpha[i] = acc / L[i, i]
    for i in range(n - 1, -1, -1):
        acc = alpha[i]
        for k in range(i + 1, n):
            acc -= L[k, i] * alpha[k]
        alpha[i] = acc / L[i, i]


@njit(cache=True)
def gp_add(X, y, L, alpha, meta, x, yv, ils, sv, nv, prior_mean):
    """Add one observation ``yv`` at ``x`` ``(d,)`` (O(W^2)); drop the oldest point when the window is full."""
    W = X.shape[0]
    n = meta[0]
    if n >= W:
        _chol_drop_first_inplace(L, n)
        for i in range(1, n):
            X[i - 1, :] = X[i, :]
            y[i - 1] = y[i]
        n -= 1
    c = sv + nv
    ss = 0.0
    for i in range(n):
        acc = _k(X[i], x, ils, sv)
        for j in range(i):
            acc -= L[i, j] * L[n, j]
        li = acc / L[i, i]
        L[n, i] = li
        ss += li * li
    # noise_variance > 0 keeps this positive; the floor guards against round-off on repeated points
    L[n, n] = np.sqrt(max(c - ss, 1e-12 * c))
    for i in range(n):
        L[i, n] = 0.0
    X[n, :] = x
    y[n] = yv
    meta[0] = n + 1
    _refresh_alpha(y, L, alpha, n + 1, prior_mean)


@njit(cache=True)
def gp_mean(X, alpha, n, x, ils, sv, prior_mean):
    """Posterior mean at ``x`` ``(d,)`` (O(W))."""
    m = prior_mean
    for i in range(n):
        m += _k(X[i], x, ils, sv) * alpha[i]
    return m


@njit(cache=True)
def gp_predict_one(X, L, alpha, n, x, ils, sv, nv, prior_mean, v):
    """Posterior mean and standard deviation at ``x`` ``(d,)``; ``v`` ``(W,)`` is scratch (O(W^2))."""
    m = prior_mean
    ss = 0.0
    for i in range(n):
        ki = _k(X[i], x, ils, sv)
        m += ki * alpha[i]
        acc = ki
        for j in range(i):
            acc -= L[i, j] * v[j]
        v[i] = acc / L[i, i]
        ss += v[i] * v[i]
    return m, np.sqrt(max(sv + nv - ss, 0.0))


@njit(cache=True)
def gp_predict(X, L, alpha, n, Xs, ils, sv, nv, prior_mean):
    """Posterior mean and standard deviation ``(m,)`` at the rows of ``Xs`` ``(m, d)``."""
    mean = np.empty(Xs.shape[0])
    std = np.empty(Xs.shape[0])
    v = np.empty(max(n, 1))
    for j in range(Xs.shape[0]):
        mean[j], std[j] = gp_predict_one(X, L, alpha, n, Xs[j], ils, sv, nv, prior_mean, v)
    return mean, std


def matern52(A: np.ndarray, B: np.ndarray, length_scale: float | np.ndarray, signal_variance: float) -> np.ndarray:
    """Matern 5/2 covariance ``(n, m)`` between rows of ``A`` ``(n, d)`` and ``B`` ``(m, d)``.

    ``k(r) = s2 (1 + sqrt5 r + 5 r^2 / 3) exp(-sqrt5 r)``, ``r = ||(a - b) / length_scale||``.
    """
    A = np.asarray(A, float) / length_scale
    B = np.asarray(B, float) / length_scale
    d2 = (A * A).sum(1)[:, None] + (B * B).sum(1)[None, :] - 2.0 * A @ B.T
    r = np.sqrt(np.maximum(d2, 0.0)) * _SQRT5
    return signal_variance * (1.0 + r + r * r / 3.0) * np.exp(-r)


def chol_drop_first(L: np.ndarray) -> np.ndarray:
    """Cholesky factor of ``K[1:, 1:]`` from the factor ``L`` ``(n, n)`` of ``K`` (rank-one update, O(n^2))."""
    M = np.array(L, float, copy=True)
    n = M.shape[0]
    _chol_drop_first_inplace(M, n)
    return np.tril(M[: n - 1, : n - 1])


class OnlineGP:
    """Sequential GP regression with a Matern 5/2 kernel and a bounded window of points.

    The learned estimator of GP-IK (:class:`~iklearn.estimators.gp_ik.GPIK` owns one). It follows the
    estimator contract of :mod:`iklearn.estimators`: before :meth:`fit`, :meth:`add` or :meth:`allocate` it
    has no input dimension and :meth:`predict` raises :class:`~iklearn.errors.NotFittedError`; once sized,
    a GP holding no points predicts its prior.

    Parameters
    ----------
    length_scale : float or (d,) array
        Kernel length scale, in the units of the inputs (rad for joint configurations).
    signal_variance : float
        Prior variance of the latent function (constant kernel).
    noise_variance : float
        Observation noise variance (white kernel); also regularises the Cholesky factor.
    prior_mean : float
        Constant prior mean subtracted from the targets.
    max_size : int
        Window size: beyond it the oldest point is dropped.
    """

    _X: np.ndarray | None = None  # no buffers (and no input dimension) until add / allocate / fit

    def __init__(self, *, length_scale: float | np.ndarray = 0.8, signal_variance: float = 0.05,
                 noise_variance: float = 1e-4, prior_mean: float = 0.0, max_size: int = 64) -> None:
        self.length_scale = length_scale
        self.signal_variance = signal_variance
        self.noise_variance = noise_variance
        self.prior_mean = prior_mean
        self.max_size = max_size

    def reset(self) -> None:
        """Forget every point and the input dimension; the buffers are sized again on the next :meth:`add`."""
        self._X = None

    def allocate(self, d: int) -> None:
        """Size the buffers for ``d``-dimensional inputs, holding no points (before a numba loop adds them)."""
        self._alloc(int(d))

    def _alloc(self, d: int) -> None:
        if int(self.max_size) < 1:
            raise ValueError("max_size must be at least 1")
        W = int(self.max_size)
        self._X = np.zeros((W, d))
        self._y = np.zeros(W)
        self._L = np.zeros((W, W))
        self._alpha = np.zeros(W)
        self._meta = np.zeros(1, np.int64)
        self._ils = np.ascontiguousarray(np.broadcast_to(1.0 / np.asarray(self.length_scale, float), (d,)))

    @property
    def n_points(self) -> int:
        return 0 if self._X is None else int(self._meta[0])

    @property
    def X_(self) -> np.ndarray | None:
        return None if self._X is None else self._X[: self.n_points].copy()

    @property
    def y_(self) -> np.ndarray:
        return np.empty(0) if self._X is None else self._y[: self.n_points].copy()

    @property
    def L_(self) -> np.ndarray:
        n = self.n_points
        return np.empty((0, 0)) if self._X is None else np.tril(self._L[:n, :n])

    def state(self) -> tuple:
        """The arrays and constants the numba kernels take: ``(X, y, L, alpha, meta, ils, sv, nv, prior_mean)``."""
        return (self._X, self._y, self._L, self._alpha, self._meta, self._ils, float(self.signal_variance),
                float(self.noise_variance), float(self.prior_mean))

    def add(self, x: np.ndarray, y: float) -> None:
        """Add one observation ``y`` at ``x`` ``(d,)``: O(n^2) Cholesky extension (+ window drop)."""
        x = np.ascontiguousarray(x, float).reshape(-1)
        if self._X is None:
            self._alloc(x.size)
        gp_add(*self.state()[:5], x, float(y), *self.state()[5:])

    def fit(self, X: np.ndarray, y: np.ndarray) -> "OnlineGP":
        """Reset, then add the rows of ``X`` ``(n, d)`` with targets ``y`` ``(n,)`` one by one."""
        self.reset()
        for xi, yi in zip(np.asarray(X, float), np.asarray(y, float)):
            self.add(xi, yi)
        return self

    def predict(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Posterior mean and standard deviation ``(m,)`` at the rows of ``X`` ``(m, d)``."""
        self._check_fitted()
        X = np.ascontiguousarray(np.atleast_2d(np.asarray(X, float)))
        if self.n_points == 0:
            prior_var = float(self.signal_variance) + float(self.noise_variance)
            return np.full(X.shape[0], float(self.prior_mean)), np.full(X.shape[0], np.sqrt(prior_var))
        return gp_predict(self._X, self._L, self._alpha, self.n_points, X, *self.state()[5:])

    def _check_fitted(self) -> None:
        if self._X is None:
            raise NotFittedError("this OnlineGP has no data and no input dimension yet; call fit(), add() or "
                                 "allocate() first, or OnlineGP.load(path)")

    # ------------------------------------------------------------------ persistence
    _PARAMS = ("signal_variance", "noise_variance", "prior_mean", "max_size")

    def save(self, path: str | os.PathLike) -> Path:
        """Write the GP's whole state (its window buffers as they are, so a loaded GP predicts and keeps
        learning to the bit as this one) to ``path`` (npz + JSON, no pickle)."""
        self._check_fitted()
        meta = {k: getattr(self, k) for k in self._PARAMS}
        arrays = {"X": self._X, "y": self._y, "L": self._L, "alpha": self._alpha, "meta": self._meta,
                  "length_scale": np.asarray(self.length_scale, float)}
        return save_model(path, _KIND, arrays, meta)

    @classmethod
    def load(cls, path: str | os.PathLike, *, robot: Chain | None = None) -> "OnlineGP":
        """Read a GP written by :meth:`save` (robot-free: ``robot`` is accepted and unused)."""
        arrays, meta, _ = load_model(path, _KIND)
        ls = arrays["length_scale"]
        gp = cls(length_scale=float(ls) if ls.ndim == 0 else ls, **meta)
        gp._alloc(arrays["X"].shape[1])
        for name in ("X", "y", "L", "alpha", "meta"):
            getattr(gp, "_" + name)[...] = arrays[name]
        return gp
