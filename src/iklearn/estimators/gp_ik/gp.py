"""A small online Gaussian process (Matern 5/2) with incremental Cholesky updates and a sliding window.

Paper 000 models the Jacobian sensitivity over configuration space with a GP (Matern kernel, nu = 2.5)
that is "continuously updated as new configurations are explored". The solver adds one point per
iteration, so refactorising the kernel matrix each time (O(n^3)) would dominate; instead:

* adding a point extends the lower Cholesky factor ``L`` of ``K + noise I`` by one row (O(n^2));
* once ``max_size`` points are held, the oldest one is dropped and ``L`` is repaired by a rank-one
  Cholesky update of the trailing block (O(n^2)), which keeps the cost per iteration bounded.

Hyperparameters are fixed (no marginal-likelihood optimisation online: the paper gives none, and
re-optimising every iteration would be slow and non-deterministic). Predictions equal scikit-learn's
``GaussianProcessRegressor(kernel=ConstantKernel(signal_variance) * Matern(length_scale, nu=2.5)
+ WhiteKernel(noise_variance), optimizer=None)`` fitted to ``y - prior_mean`` (checked in the tests);
like scikit-learn, the predicted standard deviation includes the white-noise term.
"""

from __future__ import annotations

import numpy as np
from numba import njit

_SQRT5 = np.sqrt(5.0)


@njit(cache=True)
def _forward(L, B):
    """Solve ``L X = B`` for lower-triangular ``L`` ``(n, n)``, ``B`` ``(n, m)``.

    A plain loop: for the small factors used here it beats a BLAS call, which on a shared machine can
    spend milliseconds waking threads.
    """
    n, m = B.shape
    X = np.empty((n, m))
    for j in range(m):
        for i in range(n):
            acc = B[i, j]
            for k in range(i):
                acc -= L[i, k] * X[k, j]
            X[i, j] = acc / L[i, i]
    return X


@njit(cache=True)
def _backward_t(L, b):
    """Solve ``L^T x = b`` for lower-triangular ``L`` ``(n, n)``, ``b`` ``(n,)``."""
    n = b.size
    x = np.empty(n)
    for i in range(n - 1, -1, -1):
        acc = b[i]
        for k in range(i + 1, n):
            acc -= L[k, i] * x[k]
        x[i] = acc / L[i, i]
    return x


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
    """Cholesky factor of ``K[1:, 1:]`` from the factor ``L`` of ``K`` (rank-one update, O(n^2)).

    With ``L = [[l11, 0], [l21, L22]]``: ``K[1:, 1:] = L22 L22^T + l21 l21^T``.
    """
    M = L[1:, 1:].copy()
    x = L[1:, 0].copy()
    n = M.shape[0]
    for k in range(n):
        r = np.hypot(M[k, k], x[k])
        c = r / M[k, k]
        s = x[k] / M[k, k]
        M[k, k] = r
        if k + 1 < n:
            M[k + 1:, k] = (M[k + 1:, k] + s * x[k + 1:]) / c
            x[k + 1:] = c * x[k + 1:] - s * M[k + 1:, k]
    return M


class OnlineGP:
    """Sequential GP regression with a Matern 5/2 kernel and a bounded window of points.

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

    def __init__(self, *, length_scale: float | np.ndarray = 0.8, signal_variance: float = 0.05,
                 noise_variance: float = 1e-4, prior_mean: float = 0.0, max_size: int = 64) -> None:
        if max_size < 1:
            raise ValueError("max_size must be at least 1")
        self.length_scale = length_scale
        self.signal_variance = float(signal_variance)
        self.noise_variance = float(noise_variance)
        self.prior_mean = float(prior_mean)
        self.max_size = int(max_size)
        self.reset()

    def reset(self) -> None:
        """Forget every point (the prior)."""
        self.X_: np.ndarray | None = None
        self.y_ = np.empty(0)
        self.L_ = np.empty((0, 0))
        self._alpha: np.ndarray | None = None

    @property
    def n_points(self) -> int:
        return int(self.y_.size)

    def _k(self, A: np.ndarray, B: np.ndarray) -> np.ndarray:
        return matern52(A, B, self.length_scale, self.signal_variance)

    def add(self, x: np.ndarray, y: float) -> None:
        """Add one observation ``y`` at ``x`` ``(d,)``: O(n^2) Cholesky extension (+ window drop)."""
        x = np.asarray(x, float).reshape(1, -1)
        if self.X_ is not None and self.n_points >= self.max_size:
            self.L_ = chol_drop_first(self.L_)
            self.X_ = self.X_[1:]
            self.y_ = self.y_[1:]
        n = self.n_points
        c = self.signal_variance + self.noise_variance
        if n == 0:
            self.X_ = x.copy()
            self.L_ = np.array([[np.sqrt(c)]])
        else:
            k = self._k(self.X_, x)[:, 0]
            l_row = _forward(self.L_, k[:, None])[:, 0]
            # noise_variance > 0 keeps this positive; the floor guards against round-off on repeated points
            d = np.sqrt(max(c - l_row @ l_row, 1e-12 * c))
            L = np.zeros((n + 1, n + 1))
            L[:n, :n] = self.L_
            L[n, :n] = l_row
            L[n, n] = d
            self.L_ = L
            self.X_ = np.vstack([self.X_, x])
        self.y_ = np.append(self.y_, float(y))
        self._alpha = None

    def fit(self, X: np.ndarray, y: np.ndarray) -> "OnlineGP":
        """Reset, then add the rows of ``X`` ``(n, d)`` with targets ``y`` ``(n,)`` one by one."""
        self.reset()
        for xi, yi in zip(np.asarray(X, float), np.asarray(y, float)):
            self.add(xi, yi)
        return self

    def predict(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Posterior mean and standard deviation ``(m,)`` at the rows of ``X`` ``(m, d)``."""
        X = np.atleast_2d(np.asarray(X, float))
        prior_var = self.signal_variance + self.noise_variance
        if self.n_points == 0:
            return np.full(X.shape[0], self.prior_mean), np.full(X.shape[0], np.sqrt(prior_var))
        if self._alpha is None:
            z = _forward(self.L_, (self.y_ - self.prior_mean)[:, None])[:, 0]
            self._alpha = _backward_t(self.L_, z)
        Ks = self._k(X, self.X_)
        mean = self.prior_mean + Ks @ self._alpha
        V = _forward(self.L_, np.ascontiguousarray(Ks.T))
        var = np.maximum(prior_var - (V * V).sum(0), 0.0)
        return mean, np.sqrt(var)
