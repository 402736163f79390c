"""Kernels, the pose feature map and the kernel-ridge weight solvers used by :mod:`iklearn.estimators.crisp`.

Three ways to get the CRiSP weights ``alpha(x) = (K + n*lambda*I)^-1 k_x``:

* :class:`ExactWeights` - dense Cholesky of the full ``n x n`` system (the paper's algorithm; memory ``8 n^2`` bytes);
* :class:`NystromWeights` - ``K ~ K_nm K_mm^-1 K_mn`` on ``m`` random landmarks, solved with Woodbury
  (memory ``O(n m)`` during training, ``O(m^2)`` kept);
* :class:`LocalWeights` - the system restricted to the ``k`` nearest training points in feature space (a
  principal sub-matrix of the same ``K + n*lambda*I``), i.e. the "top-k weights" approximation.

Each solver answers two questions for one query ``x``: ``moments(kx_features)`` = ``alpha(x)^T F`` for a fixed
per-sample feature table ``F`` (``(n, c)``, given at fit time), and ``support(x)`` = the indices and weights of
the (approximately) largest ``alpha_i(x)``.
"""

from __future__ import annotations

import copy

import numpy as np
from scipy.linalg import cho_factor, cho_solve, solve_triangular
from scipy.spatial import cKDTree

from iklearn._jit import njit
from iklearn.errors import IKLearnError
from iklearn.estimators.crisp._batch import local_moments
from iklearn.kinematics._kernels import fk_frames, jacobian_from_frames
from iklearn.kinematics.pose import encode

KERNELS = ("gaussian", "laplacian", "linear")


def pose_features(T: np.ndarray, position_unit: float, rotation_unit: float) -> np.ndarray:
    """Feature map of poses ``(N, 4, 4)`` -> ``(N, 12)``: ``[p / position_unit, vec(R) * rotation_unit]``.

    ``vec(R)`` (the 9 rotation-matrix entries) is continuous and free of the quaternion sign ambiguity;
    ``||vec(R_a) - vec(R_b)||^2 = 4 (1 - cos theta)`` so both parts are distances in the same spirit.
    """
    out = encode(T, "matrix")
    out[:, :3] /= position_unit
    out[:, 3:] *= rotation_unit
    return out


def kernel_matrix(A: np.ndarray, B: np.ndarray, kind: str, sigma: float) -> np.ndarray:
    """``k(a_i, b_j)`` for ``A (n, d)``, ``B (m, d)``: gaussian ``exp(-|a-b|^2/sigma^2)``, laplacian
    ``exp(-|a-b|/sigma)``, linear ``a.b`` (the paper's definitions)."""
    if kind == "linear":
        return A @ B.T
    d2 = np.einsum("ij,ij->i", A, A)[:, None] + np.einsum("ij,ij->i", B, B)[None, :] - 2.0 * (A @ B.T)
    np.maximum(d2, 0.0, out=d2)
    if kind == "gaussian":
        return np.exp(-d2 / sigma**2)
    if kind == "laplacian":
        return np.exp(-np.sqrt(d2) / sigma)
    raise IKLearnError(f"unknown kernel {kind!r}; expected one of {KERNELS}")


def _chol(M: np.ndarray, what: str):
    try:
        return cho_factor(M, lower=True, overwrite_a=True, check_finite=False)
    except np.linalg.LinAlgError:
        raise IKLearnError(
            f"{what} is not positive definite; increase the regularisation (lam) or use another kernel"
        ) from None


class ExactWeights:
    """Dense ``(K + n lam I)`` Cholesky; ``alpha(x) = A k_x`` with ``A`` applied by two triangular solves."""

    def __init__(self, Xf, F, kind, sigma, reg, n_support=None):
        self.Xf, self.kind, self.sigma = Xf, kind, sigma
        K = kernel_matrix(Xf, Xf, kind, sigma)
        K[np.diag_indices_from(K)] += reg
        self.cho = _chol(K, "K + n*lam*I")
        self.W = cho_solve(self.cho, F, check_finite=False)  # (n, c): alpha(x)^T F = k_x^T W
        self.n_support = n_support

    def moments(self, xf: np.ndarray) -> np.ndarray:
        return kernel_matrix(xf[None], self.Xf, self.kind, self.sigma)[0] @ self.W

    def with_features(self, F: np.ndarray) -> "ExactWeights":
        """A copy for another feature table, reusing the factorisation."""
        new = copy.copy(self)
        new.W = cho_solve(self.cho, F, check_finite=False)
        return new

    def batch(self, Xq: np.ndarray, block: int = 2048) -> tuple[np.ndarray, np.ndarray]:
        """Moments ``(m, c)`` of many queries, and per query the training point with the largest kernel value
        (the start; the largest weight would cost ``O(n^2)`` per query)."""
        mom = np.empty((Xq.shape[0], self.W.shape[1]))
        best = np.empty(Xq.shape[0], np.int64)
        for s in range(0, Xq.shape[0], block):
            Kq = kernel_matrix(Xq[s : s + block], self.Xf, self.kind, self.sigma)
            mom[s : s + block] = Kq @ self.W
            best[s : s + block] = np.argmax(Kq, axis=1)
        return mom, best

    def alpha(self, xf: np.ndarray) -> np.ndarray:
        """Full weight vector ``(n,)`` (costs ``O(n^2)``)."""
        return cho_solve(self.cho, kernel_matrix(self.Xf, xf[None], self.kind, self.sigma)[:, 0], check_finite=False)

    def support(self, xf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        a = self.alpha(xf)
        if self.n_support is None or self.n_support >= a.size:
            return np.arange(a.size), a
        idx = np.argpartition(-np.abs(a), self.n_support - 1)[: self.n_support]
        return idx, a[idx]


class NystromWeights:
    """Nystrom approximation on ``m`` landmarks: ``Phi = K_nm L_m^-T``, ``alpha(x) = Phi C^-1 phi(x)`` with
    ``C = Phi^T Phi + n lam I_m`` and ``phi(x) = L_m^-1 k_m(x)`` (Woodbury identity)."""

    def __init__(self, Xf, F, kind, sigma, reg, n_components, n_support, rng, block=4096):
        n = Xf.shape[0]
        m = min(int(n_components), n)
        self.Xf, self.kind, self.sigma = Xf, kind, sigma
        self.landmarks = Xf[np.sort(rng.choice(n, m, replace=False))]
        Kmm = kernel_matrix(self.landmarks, self.landmarks, kind, sigma)
        Kmm[np.diag_indices_from(Kmm)] += 1e-10 * max(1.0, float(np.trace(Kmm)) / m)
        self.Lm = _chol(Kmm, "K_mm")[0]
        self.block = block
        C = np.zeros((m, m))
        for s in range(0, n, block):  # Phi never held whole: O(block * m) memory
            Phi = self._phi(Xf[s : s + block])
            C += Phi.T @ Phi
        C[np.diag_indices_from(C)] += reg
        self.cho = _chol(C, "Phi^T Phi + n*lam*I")
        self._set_features(F)
        self.n_support = n_support
        self.tree = cKDTree(Xf)

    def _set_features(self, F: np.ndarray) -> None:
        PtF = np.zeros((self.cho[0].shape[0], F.shape[1]))
        for s in range(0, F.shape[0], self.block):
            PtF += self._phi(self.Xf[s : s + self.block]).T @ F[s : s + self.block]
        G = cho_solve(self.cho, PtF, check_finite=False)  # (m, c): moments = phi(x)^T G
        self.Gk = solve_triangular(self.Lm, G, lower=True, trans="T")  # = k_m(x)^T Gk, no solve per query

    def with_features(self, F: np.ndarray) -> "NystromWeights":
        new = copy.copy(self)
        new._set_features(F)
        return new

    def _phi(self, Z: np.ndarray) -> np.ndarray:
        """Rows ``L_m^-1 k_m(z)`` for ``Z (b, d)`` -> ``(b, m)``."""
        return solve_triangular(self.Lm, kernel_matrix(self.landmarks, Z, self.kind, self.sigma), lower=True).T

    def moments(self, xf: np.ndarray) -> np.ndarray:
        return kernel_matrix(xf[None], self.landmarks, self.kind, self.sigma)[0] @ self.Gk

    def batch(self, Xq: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Moments ``(m, c)`` of many queries and their nearest training points (the starts)."""
        mom = kernel_matrix(Xq, self.landmarks, self.kind, self.sigma) @ self.Gk
        return mom, np.atleast_1d(self.tree.query(Xq, k=1)[1]).astype(np.int64)

    def support(self, xf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        k = min(self.n_support, self.Xf.shape[0])
        _, idx = self.tree.query(xf, k=k)
        idx = np.atleast_1d(idx)
        v = cho_solve(self.cho, self._phi(xf[None])[0], check_finite=False)
        # alpha_S = Phi_S v = K_Sm (L_m^-T v): one triangular solve with a vector, not with k rows
        u = solve_triangular(self.Lm, v, lower=True, trans="T")
        return idx, kernel_matrix(self.Xf[idx], self.landmarks, self.kind, self.sigma) @ u


class LocalWeights:
    """Top-k weights: ``alpha_S = (K_SS + n lam I)^-1 k_S`` on the ``k`` nearest training points ``S``."""

    def __init__(self, Xf, F, kind, sigma, reg, n_neighbors):
        self.Xf, self.F, self.kind, self.sigma, self.reg = Xf, F, kind, sigma, reg
        self.k = min(int(n_neighbors), Xf.shape[0])
        self.tree = cKDTree(Xf)

    def support(self, xf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        _, idx = self.tree.query(xf, k=self.k)
        idx = np.atleast_1d(idx)
        XS = self.Xf[idx]
        KS = kernel_matrix(XS, XS, self.kind, self.sigma)
        KS[np.diag_indices_from(KS)] += self.reg
        kS = kernel_matrix(XS, xf[None], self.kind, self.sigma)[:, 0]
        return idx, cho_solve(_chol(KS, "local K + n*lam*I"), kS, check_finite=False)

    def moments(self, xf: np.ndarray) -> np.ndarray:
        idx, a = self.support(xf)
        return a @ self.F[idx]

    def batch(self, Xq: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Moments ``(m, c)`` of many queries and their largest-weight training points, in parallel (numba)."""
        if self.kind not in ("gaussian", "laplacian"):
            raise IKLearnError("batched local weights need a gaussian or laplacian kernel")
        idx = self.tree.query(Xq, k=self.k)[1].reshape(Xq.shape[0], self.k).astype(np.int64)
        mom = np.empty((Xq.shape[0], self.F.shape[1]))
        best = np.empty(Xq.shape[0], np.int64)
        local_moments(np.ascontiguousarray(Xq), idx, self.Xf, np.ascontiguousarray(self.F), float(self.sigma),
                      float(self.reg), self.kind == "laplacian", mom, best)
        return mom, best

    def with_features(self, F: np.ndarray) -> "LocalWeights":
        new = copy.copy(self)
        new.F = F
        return new


@njit(cache=True)
def fk_loss_and_grad(q, types, fixed, axes, tip, mom, wp, wo, T, P, Z, tmp, R, J, g):
    """CRiSP-FK objective ``sum_i alpha_i Delta(q, y_i)`` from the moments ``mom = alpha^T F`` (14,), and its
    gradient written into ``g`` (dof,). Serial (one configuration): called inside L-BFGS-B.

    ``f = w_p (s|p|^2 - 2 p.P + c) + w_o (3 s - tr(R^T M))``; with ``B = M R^T`` and ``v = (B12-B21, B20-B02,
    B01-B10)``, ``d tr(R^T M)/dq_j = -v . w_j`` for the world-frame angular Jacobian column ``w_j``.
    """
    fk_frames(q, types, fixed, axes, tip, T, P, Z, tmp, R)
    jacobian_from_frames(types, T, P, Z, J, False)
    s = mom[0]
    f = wp * mom[13] + wo * 3.0 * s
    gp = np.empty(3)
    for i in range(3):
        p = T[i, 3]
        f += wp * (s * p * p - 2.0 * p * mom[1 + i])
        gp[i] = wp * 2.0 * (s * p - mom[1 + i])
    B = np.zeros((3, 3))
    for i in range(3):
        for j in range(3):
            f -= wo * T[i, j] * mom[4 + 3 * i + j]
            for k in range(3):
                B[i, j] += mom[4 + 3 * i + k] * T[j, k]
    v0 = wo * (B[1, 2] - B[2, 1])
    v1 = wo * (B[2, 0] - B[0, 2])
    v2 = wo * (B[0, 1] - B[1, 0])
    for k in range(q.shape[0]):
        g[k] = gp[0] * J[0, k] + gp[1] * J[1, k] + gp[2] * J[2, k] + v0 * J[3, k] + v1 * J[4, k] + v2 * J[5, k]
    return f
