"""numba kernel of the limit-respecting Levenberg-Marquardt IK solver with restarts.

Error: e = [p_target - p ; log(R_target R^T)] (world frame, m and rad), weighted by w (6,).
Step:  (J^T W J + lambda I) dq = J^T W e, q <- clip(q + dq, lower, upper); a step that does not reduce
       the weighted error is rejected and lambda grows; an accepted one shrinks lambda.
A try that has not converged after ``iters_per_try`` iterations, or whose lambda blows up, restarts from a
random configuration inside the limits (uniform, or around the seed when ``nearest``).
Random numbers come from a per-target splitmix64 stream, so batched and single calls agree bit for bit,
whatever the thread count.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange, uint64

from iklearn.kinematics._kernels import fk_frames, jacobian_from_frames


@njit(cache=True, inline="always")
def _splitmix(state):
    z = state + uint64(0x9E3779B97F4A7C15)
    x = z
    x = (x ^ (x >> uint64(30))) * uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> uint64(27))) * uint64(0x94D049BB133111EB)
    x = x ^ (x >> uint64(31))
    return z, x


@njit(cache=True, inline="always")
def _uniform(state):
    state, x = _splitmix(state)
    return state, (x >> uint64(11)) * (1.0 / 9007199254740992.0)


@njit(cache=True)
def _log_rot_err(Tt, T, e):
    """e[3:6] = log(R_t R^T) as a rotation vector (world frame); returns its angle."""
    # M = Rt @ R^T
    m00 = Tt[0, 0] * T[0, 0] + Tt[0, 1] * T[0, 1] + Tt[0, 2] * T[0, 2]
    m01 = Tt[0, 0] * T[1, 0] + Tt[0, 1] * T[1, 1] + Tt[0, 2] * T[1, 2]
    m02 = Tt[0, 0] * T[2, 0] + Tt[0, 1] * T[2, 1] + Tt[0, 2] * T[2, 2]
    m10 = Tt[1, 0] * T[0, 0] + Tt[1, 1] * T[0, 1] + Tt[1, 2] * T[0, 2]
    m11 = Tt[1, 0] * T[1, 0] + Tt[1, 1] * T[1, 1] + Tt[1, 2] * T[1, 2]
    m12 = Tt[1, 0] * T[2, 0] + Tt[1, 1] * T[2, 1] + Tt[1, 2] * T[2, 2]
    m20 = Tt[2, 0] * T[0, 0] + Tt[2, 1] * T[0, 1] + Tt[2, 2] * T[0, 2]
    m21 = Tt[2, 0] * T[1, 0] + Tt[2, 1] * T[1, 1] + Tt[2, 2] * T[1, 2]
    m22 = Tt[2, 0] * T[2, 0] + Tt[2, 1] * T[2, 1] + Tt[2, 2] * T[2, 2]
    vx = m21 - m12
    vy = m02 - m20
    vz = m10 - m01
    s = 0.5 * np.sqrt(vx * vx + vy * vy + vz * vz)
    c = 0.5 * (m00 + m11 + m22 - 1.0)
    th = np.arctan2(s, c)
    if s > 1e-6:
        f = th / (2.0 * s)
        e[3] = vx * f
        e[4] = vy * f
        e[5] = vz * f
    elif c > 0.0:
        e[3] = 0.5 * vx
        e[4] = 0.5 * vy
        e[5] = 0.5 * vz
    else:
        # angle near pi: axis from the diagonal of (M + I) / 2 = a a^T
        d0 = max(0.0, 0.5 * (m00 + 1.0))
        d1 = max(0.0, 0.5 * (m11 + 1.0))
        d2 = max(0.0, 0.5 * (m22 + 1.0))
        if d0 >= d1 and d0 >= d2:
            ax = np.sqrt(d0)
            ay = 0.25 * (m01 + m10) / ax
            az = 0.25 * (m02 + m20) / ax
        elif d1 >= d2:
            ay = np.sqrt(d1)
            ax = 0.25 * (m01 + m10) / ay
            az = 0.25 * (m12 + m21) / ay
        else:
            az = np.sqrt(d2)
            ax = 0.25 * (m02 + m20) / az
            ay = 0.25 * (m12 + m21) / az
        nrm = np.sqrt(ax * ax + ay * ay + az * az)
        e[3] = th * ax / nrm
        e[4] = th * ay / nrm
        e[5] = th * az / nrm
    return th


@njit(cache=True)
def _error(Tt, T, e, w):
    """Fill e (6,); return (weighted squared norm, position error, rotation error)."""
    e[0] = Tt[0, 3] - T[0, 3]
    e[1] = Tt[1, 3] - T[1, 3]
    e[2] = Tt[2, 3] - T[2, 3]
    th = _log_rot_err(Tt, T, e)
    pe = np.sqrt(e[0] * e[0] + e[1] * e[1] + e[2] * e[2])
    E = 0.0
    for i in range(6):
        E += w[i] * e[i] * e[i]
    return E, pe, th


@njit(cache=True)
def _cholesky_solve(A, b, x, n):
    """Solve A x = b in place for symmetric positive-definite A (n x n); A is overwritten. False if not SPD."""
    for j in range(n):
        s = A[j, j]
        for k in range(j):
            s -= A[j, k] * A[j, k]
        if s <= 0.0:
            return False
        d = np.sqrt(s)
        A[j, j] = d
        for i in range(j + 1, n):
            s = A[i, j]
            for k in range(j):
                s -= A[i, k] * A[j, k]
            A[i, j] = s / d
    for i in range(n):
        s = b[i]
        for k in range(i):
            s -= A[i, k] * x[k]
        x[i] = s / A[i, i]
    for i in range(n - 1, -1, -1):
        s = x[i]
        for k in range(i + 1, n):
            s -= A[k, i] * x[k]
        x[i] = s / A[i, i]
    return True


@njit(cache=True)
def lm_solve_one(
    Tt, q0, types, fixed, axes, tip, lower, upper, slo, shi, w, tol_p, tol_r,
    max_iters, iters_per_try, nearest, seed, q_out,
):
    """Solve one target Tt (4x4) from q0 (n,). Writes the best q into q_out.

    Returns (success, position error, rotation error, iterations).
    """
    n = q0.shape[0]
    T = np.empty((4, 4))
    P = np.empty((n, 3))
    Z = np.empty((n, 3))
    tmp = np.empty((4, 4))
    R = np.empty((3, 3))
    J = np.empty((6, n))
    A = np.empty((n, n))
    g = np.empty(n)
    dq = np.empty(n)
    q = np.empty(n)
    qn = np.empty(n)
    e = np.empty(6)
    en = np.empty(6)
    span = np.empty(n)
    for i in range(n):
        lo = lower[i]
        hi = upper[i]
        v = q0[i]
        if v < lo:
            v = lo
        if v > hi:
            v = hi
        q[i] = v
        span[i] = shi[i] - slo[i]
    state = uint64(seed) * uint64(0x2545F4914F6CDD1D) + uint64(0x632BE59BD9B4E019)

    fk_frames(q, types, fixed, axes, tip, T, P, Z, tmp, R)
    E, pe, re = _error(Tt, T, e, w)
    best_E = E
    best_pe = pe
    best_re = re
    for i in range(n):
        q_out[i] = q[i]
    if pe <= tol_p and re <= tol_r:
        return True, pe, re, 0

    lam = 1e-3
    it_try = 0
    tries = 0
    for it in range(1, max_iters + 1):
        jacobian_from_frames(types, T, P, Z, J, False)
        # A = J^T W J + lam I, g = J^T W e
        for a in range(n):
            s = 0.0
            for r in range(6):
                s += J[r, a] * w[r] * e[r]
            g[a] = s
            for b in range(a + 1):
                s = 0.0
                for r in range(6):
                    s += J[r, a] * w[r] * J[r, b]
                A[a, b] = s
                A[b, a] = s
            A[a, a] += lam
        ok = _cholesky_solve(A, g, dq, n)
        accepted = False
        if ok:
            for i in range(n):
                v = q[i] + dq[i]
                if v < lower[i]:
                    v = lower[i]
                elif v > upper[i]:
                    v = upper[i]
                qn[i] = v
            fk_frames(qn, types, fixed, axes, tip, tmp, P, Z, T, R)  # tmp holds the new pose
            En, pen, ren = _error(Tt, tmp, en, w)
            if En < E:
                accepted = True
                for i in range(n):
                    q[i] = qn[i]
                for i in range(6):
                    e[i] = en[i]
                for i in range(4):
                    for j in range(4):
                        T[i, j] = tmp[i, j]
                E = En
                pe = pen
                re = ren
                lam = max(lam * 0.3, 1e-12)
                if E < best_E:
                    best_E = E
                    best_pe = pe
                    best_re = re
                    for i in range(n):
                        q_out[i] = q[i]
                if pe <= tol_p and re <= tol_r:
                    return True, pe, re, it
        if not accepted:
            lam *= 10.0
            # P and Z were overwritten by the rejected trial: recompute the frames at q
            fk_frames(q, types, fixed, axes, tip, T, P, Z, tmp, R)
        it_try += 1
        if it_try >= iters_per_try or lam > 1e8:
            # restart
            tries += 1
            radius = 0.1 * tries
            for i in range(n):
                state, u = _uniform(state)
                if nearest and radius < 1.0:
                    v = q0[i] + (2.0 * u - 1.0) * radius * span[i]
                else:
                    v = slo[i] + u * span[i]
                if v < lower[i]:
                    v = lower[i]
                elif v > upper[i]:
                    v = upper[i]
                q[i] = v
            fk_frames(q, types, fixed, axes, tip, T, P, Z, tmp, R)
            E, pe, re = _error(Tt, T, e, w)
            lam = 1e-3
            it_try = 0
            if pe <= tol_p and re <= tol_r:
                for i in range(n):
                    q_out[i] = q[i]
                return True, pe, re, it
    return False, best_pe, best_re, max_iters


@njit(cache=True, parallel=True)
def lm_solve_batch(
    Tts, Q0, types, fixed, axes, tip, lower, upper, slo, shi, w, tol_p, tol_r,
    max_iters, iters_per_try, nearest, seeds, Q_out, succ, perr, rerr, iters,
):
    """Solve every target of Tts (N,4,4) from Q0 (N,n) in parallel; outputs are (N,...) buffers."""
    for b in prange(Tts.shape[0]):
        s, pe, re, it = lm_solve_one(
            Tts[b], Q0[b], types, fixed, axes, tip, lower, upper, slo, shi, w, tol_p, tol_r,
            max_iters, iters_per_try, nearest, seeds[b], Q_out[b],
        )
        succ[b] = s
        perr[b] = pe
        rerr[b] = re
        iters[b] = it
