"""Batched numba kernels for CRiSP-FK: top-k kernel-ridge weights and a projected Levenberg-Marquardt minimiser.

Why a second minimiser. With the chordal orientation term, the CRiSP-FK objective (``model.py``) is, for
``s = sum_i alpha_i > 0``, ``c = sum_i alpha_i p~_i / s`` and ``C = sum_i alpha_i R~_i / s``::

    F(q) = s * ( w_p ||p~(q) - c||^2 + (w_o / 2) ||R~(q) - C||_F^2 ) + const

a weighted nonlinear least-squares problem in ``q``. Projected LM on that residual minimises the same
function as L-BFGS-B (the paper's optimiser) from the same start, tens of times faster and for a whole batch
at once; the experiment uses it where thousands of predictions are scored (validation grid search, learning
curves) and checks on a subset that both optimisers reach the same poses.
"""

from __future__ import annotations

import numpy as np

from iklearn._jit import njit, prange
from iklearn.kinematics._kernels import fk_frames, jacobian_from_frames


@njit(cache=True, parallel=True)
def local_moments(Xq, idx, Xf, F, sigma, reg, laplacian, mom_out, best_out):
    """Top-k weights for queries ``Xq`` (m, d) on their neighbours ``idx`` (m, k) of ``Xf`` (n, d).

    ``alpha_S = (K_SS + reg I)^-1 k_S`` (Gaussian ``exp(-d^2/sigma^2)`` or Laplacian ``exp(-d/sigma)``);
    writes ``mom_out[i] = alpha_S^T F[S]`` (m, c) and ``best_out[i]`` = the training index of the largest weight.
    """
    m, k = idx.shape
    d = Xf.shape[1]
    for i in prange(m):
        S = idx[i]
        K = np.empty((k, k))
        kv = np.empty(k)
        for a in range(k):
            xa = Xf[S[a]]
            for b in range(a, k):
                xb = Xf[S[b]]
                s2 = 0.0
                for t in range(d):
                    diff = xa[t] - xb[t]
                    s2 += diff * diff
                v = np.exp(-np.sqrt(s2) / sigma) if laplacian else np.exp(-s2 / (sigma * sigma))
                K[a, b] = v
                K[b, a] = v
            K[a, a] += reg
            s2 = 0.0
            for t in range(d):
                diff = xa[t] - Xq[i, t]
                s2 += diff * diff
            kv[a] = np.exp(-np.sqrt(s2) / sigma) if laplacian else np.exp(-s2 / (sigma * sigma))
        L = np.linalg.cholesky(K)
        # forward then backward substitution: alpha = L^-T L^-1 kv
        z = np.empty(k)
        for a in range(k):
            acc = kv[a]
            for b in range(a):
                acc -= L[a, b] * z[b]
            z[a] = acc / L[a, a]
        al = np.empty(k)
        for a in range(k - 1, -1, -1):
            acc = z[a]
            for b in range(a + 1, k):
                acc -= L[b, a] * al[b]
            al[a] = acc / L[a, a]
        c = F.shape[1]
        for j in range(c):
            acc = 0.0
            for a in range(k):
                acc += al[a] * F[S[a], j]
            mom_out[i, j] = acc
        best = 0
        for a in range(1, k):
            if al[a] > al[best]:
                best = a
        best_out[i] = S[best]


@njit(cache=True)
def _residual(q, types, fixed, axes, tip, c, C, sp, so, T, P, Z, tmp, R, J, r, Jr):
    """Residual ``[sp (p - c); so vec(R - C)]`` (12,) and its Jacobian (12, dof) at ``q``; returns ``|r|^2``."""
    fk_frames(q, types, fixed, axes, tip, T, P, Z, tmp, R)
    jacobian_from_frames(types, T, P, Z, J, False)
    n = q.shape[0]
    cost = 0.0
    for a in range(3):
        r[a] = sp * (T[a, 3] - c[a])
        for j in range(n):
            Jr[a, j] = sp * J[a, j]
    for a in range(3):
        for b in range(3):
            v = so * (T[a, b] - C[a, b])
            r[3 + 3 * a + b] = v
    for j in range(n):
        if types[j] != 0:  # prismatic: no rotation
            for a in range(9):
                Jr[3 + a, j] = 0.0
            continue
        w0, w1, w2 = J[3, j], J[4, j], J[5, j]
        for b in range(3):  # column b of [w]x R = w x R[:, b]
            x0, x1, x2 = T[0, b], T[1, b], T[2, b]
            Jr[3 + 0 * 3 + b, j] = so * (w1 * x2 - w2 * x1)
            Jr[3 + 1 * 3 + b, j] = so * (w2 * x0 - w0 * x2)
            Jr[3 + 2 * 3 + b, j] = so * (w0 * x1 - w1 * x0)
    for a in range(12):
        cost += r[a] * r[a]
    return cost


@njit(cache=True)
def lm_fk_one(q0, mom, types, fixed, axes, tip, lo, hi, wp, wo, max_iter, q_out):
    """Minimise the CRiSP-FK objective of moments ``mom`` (14,) over the box ``[lo, hi]`` from ``q0``."""
    n = q0.shape[0]
    for j in range(n):
        q_out[j] = min(max(q0[j], lo[j]), hi[j])
    s = mom[0]
    if not s > 1e-12:  # the least-squares form needs s > 0; leave the start
        return 0
    c = np.empty(3)
    C = np.empty((3, 3))
    for a in range(3):
        c[a] = mom[1 + a] / s
        for b in range(3):
            C[a, b] = mom[4 + 3 * a + b] / s
    sp = np.sqrt(wp)
    so = np.sqrt(0.5 * wo)
    T, tmp, R = np.empty((4, 4)), np.empty((4, 4)), np.empty((3, 3))
    P, Z, J = np.empty((n, 3)), np.empty((n, 3)), np.empty((6, n))
    r, Jr = np.empty(12), np.empty((12, n))
    r2, Jr2 = np.empty(12), np.empty((12, n))
    qn = np.empty(n)
    cost = _residual(q_out, types, fixed, axes, tip, c, C, sp, so, T, P, Z, tmp, R, J, r, Jr)
    mu = 1e-3
    it = 0
    step = 1.0
    rel = 1.0
    while it < max_iter:
        it += 1
        A = Jr.T @ Jr
        g = Jr.T @ r
        gmax = 0.0
        for j in range(n):
            # a joint on a bound that the gradient pushes outwards is frozen for this step (active set)
            if (q_out[j] <= lo[j] and g[j] > 0) or (q_out[j] >= hi[j] and g[j] < 0):
                for t in range(n):
                    A[j, t] = 0.0
                    A[t, j] = 0.0
                A[j, j] = 1.0
                g[j] = 0.0
            gmax = max(gmax, abs(g[j]))
        if gmax < 1e-14:
            break
        accepted = False
        while mu < 1e10:
            M = A.copy()
            for j in range(n):
                M[j, j] += mu * (1.0 + A[j, j])
            dq = np.linalg.solve(M, -g)
            step = 0.0
            for j in range(n):
                qn[j] = min(max(q_out[j] + dq[j], lo[j]), hi[j])
                step = max(step, abs(qn[j] - q_out[j]))
            new = _residual(qn, types, fixed, axes, tip, c, C, sp, so, T, P, Z, tmp, R, J, r2, Jr2)
            if new < cost:
                accepted = True
                q_out[:] = qn
                r[:] = r2
                Jr[:, :] = Jr2
                rel = (cost - new) / max(cost, 1e-300)
                cost = new
                mu = max(mu / 3.0, 1e-12)
                break
            mu *= 4.0
        if not accepted or step < 1e-13 or rel < 1e-14:
            break
    return it


@njit(cache=True, parallel=True)
def lm_fk_batch(Q0, moms, types, fixed, axes, tip, lo, hi, wp, wo, max_iter, Q_out):
    """:func:`lm_fk_one` for every row of ``Q0`` (m, dof) / ``moms`` (m, 14), in parallel."""
    for i in prange(Q0.shape[0]):
        lm_fk_one(Q0[i], moms[i], types, fixed, axes, tip, lo, hi, wp, wo, max_iter, Q_out[i])
