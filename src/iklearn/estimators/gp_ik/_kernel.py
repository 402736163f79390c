"""numba inner loop of the Jacobian-guided GP-IK solver (paper 000, Algorithm 1): one descent pass.

Each iteration (the step policy is documented in :mod:`.solver`):

1. FK and Jacobian (:func:`iklearn.solvers._lm_kernel.fk_frames`, ``jacobian_from_frames``), world-frame
   error ``e = [p_t - p; log(R_t R^T)]`` (``_error``); return on success.
2. Sensitivity ``s`` (:func:`.sensitivity.sensitivity_one`), added to the persistent GP (:func:`.gp.gp_add`).
3. Progress check against the acquisition's thresholds: ``patience`` iterations in a row without progress
   end the pass (the caller restarts / moves on / switches).
4. Joint weights from the GP mean's slope and the limits; damping ``lambda = mu * max(s, s_floor)``;
   weighted DLS ``dq = W J^T (J W J^T + lambda I)^-1 e_c`` (``e_c`` = error clamped to ``max_step``).
5. Candidates ``clip(q + a_c dq + beta v)``; the acquisition (none / EI / UCB) picks one from its true pose
   error and the GP's predicted sensitivity there; accepted only if its true error is lower (then
   ``mu *= 0.3``, else ``mu *= 10`` and ``q`` stays): Levenberg-Marquardt trust control, so ``mu`` shrinks
   to ~0 near the solution and the step becomes Gauss-Newton (quadratic convergence).
"""

from __future__ import annotations

import math

import numpy as np

from iklearn._jit import njit
from iklearn.estimators.gp_ik.gp import gp_add, gp_mean, gp_predict_one
from iklearn.estimators.gp_ik.sensitivity import sensitivity_one
from iklearn.kinematics._kernels import jacobian_from_frames
from iklearn.solvers._lm_kernel import _cholesky_solve, fk_frames
from iklearn.solvers._task_kernel import _error

MODE_NONE, MODE_EI, MODE_UCB = 0, 1, 2
_INV_SQRT_2PI = 0.3989422804014327


@njit(cache=True)
def _ncdf(z):
    return 0.5 * (1.0 + math.erf(z / np.sqrt(2.0)))


@njit(cache=True)
def gp_pass(Tt, q0, types, fixed, axes, tip, lo, hi, w_ref, swts,
            gX, gy, gL, galpha, gmeta, ils, sv, nv, pm,
            mode, scales, momentum, thr_p, thr_r, patience, kappa, ucb_beta, eta, probe, margin,
            tol_p, tol_r, max_iters, max_step_p, max_step_r, rho, mu0, s_floor, q_out, trace):
    """Run one pass from ``q0`` for at most ``max_iters`` iterations (Jacobian evaluations).

    ``trace`` ``(max_iters, 3 + dof)`` receives ``[pos_err, rot_err, sensitivity, q]`` per iteration.
    Writes the best configuration into ``q_out``; returns ``(success, pos_err, rot_err, iterations,
    stalled, fk_evaluations)`` of that configuration. ``margin <= 0`` switches the limit slowdown off.
    """
    n = q0.shape[0]
    T = np.empty((4, 4))
    P = np.empty((n, 3))
    Z = np.empty((n, 3))
    tmp = np.empty((4, 4))
    R = np.empty((3, 3))
    J = np.empty((6, n))
    A = np.empty((6, 6))
    e = np.empty(6)
    ec = np.empty(6)
    ecand = np.empty(6)
    y = np.empty(6)
    ones = np.ones(6)
    w = np.empty(n)
    dq = np.empty(n)
    v = np.zeros(n)
    q = np.empty(n)
    qp = np.empty(n)
    nc = scales.shape[0]
    Qc = np.empty((nc, n))
    Tc = np.empty((nc, 4, 4))
    Pc = np.empty((nc, n, 3))
    Zc = np.empty((nc, n, 3))
    fc = np.empty(nc)
    vbuf = np.empty(gX.shape[0])
    for i in range(n):
        q[i] = min(max(q0[i], lo[i]), hi[i])
        q_out[i] = q[i]
    fk_frames(q, types, fixed, axes, tip, T, P, Z, tmp, R)
    n_fk = 1
    _, pe, re = _error(Tt, T, e, ones)
    f = pe + rho * re
    best_f, best_pe, best_re = f, pe, re
    mu = mu0
    prev_pe, prev_re = pe, re
    stall = 0
    it = 0
    while True:
        if pe < tol_p and re < tol_r:
            return True, pe, re, it, False, n_fk
        if it >= max_iters:
            return False, best_pe, best_re, it, False, n_fk
        jacobian_from_frames(types, T, P, Z, J, False)
        s = sensitivity_one(J, q, lo, hi, w_ref, swts)
        if kappa > 0.0 or eta > 0.0:  # the GP is switched off when nothing reads it
            gp_add(gX, gy, gL, galpha, gmeta, q, s, ils, sv, nv, pm)
        trace[it, 0] = pe
        trace[it, 1] = re
        trace[it, 2] = s
        for i in range(n):
            trace[it, 3 + i] = q[i]
        it += 1
        if mode != MODE_NONE and it > 1:
            if pe <= thr_p * prev_pe or re <= thr_r * prev_re:
                stall = 0
            else:
                stall += 1
            if stall >= patience:
                return False, best_pe, best_re, it, True, n_fk
        prev_pe, prev_re = pe, re
        # clamp the task-space error: far targets take several steps
        npos = np.sqrt(e[0] * e[0] + e[1] * e[1] + e[2] * e[2])
        nrot = np.sqrt(e[3] * e[3] + e[4] * e[4] + e[5] * e[5])
        cp = max_step_p / npos if npos > max_step_p else 1.0
        cr = max_step_r / nrot if nrot > max_step_r else 1.0
        for r in range(3):
            ec[r] = e[r] * cp
            ec[3 + r] = e[3 + r] * cr
        # GetWeights: slope of the GP mean (central differences) and room to the limit along J^T e
        ng = gmeta[0]
        for i in range(n):
            g = 0.0
            for r in range(6):
                g += J[r, i] * e[r]
            qp[:] = q
            qp[i] = q[i] + probe
            mp = gp_mean(gX, galpha, ng, qp, ils, sv, pm)
            qp[i] = q[i] - probe
            mm = gp_mean(gX, galpha, ng, qp, ils, sv, pm)
            wi = 1.0 / (1.0 + eta * abs(mp - mm) / (2.0 * probe))
            if margin > 0.0:
                room = hi[i] - q[i] if g > 0.0 else q[i] - lo[i]
                wi *= min(max(room / margin, 0.1), 1.0)
            w[i] = wi
        # lambda = sensitivity x damping factor (mu adapted by accept / reject)
        lam = mu * max(s, s_floor)
        for a in range(6):
            for b in range(a + 1):
                acc = 0.0
                for i in range(n):
                    acc += J[a, i] * w[i] * J[b, i]
                A[a, b] = acc
                A[b, a] = acc
            A[a, a] += lam
        if not _cholesky_solve(A, ec, y, 6):
            mu *= 10.0
            continue
        for i in range(n):
            acc = 0.0
            for r in range(6):
                acc += J[r, i] * y[r]
            dq[i] = w[i] * acc
        # candidates and their true errors
        for c in range(nc):
            for i in range(n):
                Qc[c, i] = min(max(q[i] + scales[c] * dq[i] + momentum * v[i], lo[i]), hi[i])
            fk_frames(Qc[c], types, fixed, axes, tip, Tc[c], Pc[c], Zc[c], tmp, R)
            n_fk += 1
            _, pc, rc = _error(Tt, Tc[c], ecand, ones)
            fc[c] = pc + rho * rc
        pick = 0
        if mode == MODE_NONE:
            pick = 0
        else:
            # cost ~ N(f_c (1 + kappa mu_c), (f_c kappa sigma_c)^2): predicted-sensitive candidates cost more
            best_score = -1e300
            f_ref = f * (1.0 + kappa * gp_mean(gX, galpha, ng, q, ils, sv, pm))
            for c in range(nc):
                m_c, sd_c = gp_predict_one(gX, gL, galpha, ng, Qc[c], ils, sv, nv, pm, vbuf)
                mean = fc[c] * (1.0 + kappa * m_c)
                std = max(fc[c] * kappa * sd_c, 1e-15)
                if mode == MODE_UCB:
                    score = -(mean - ucb_beta * std)
                else:
                    z = (f_ref - mean) / std
                    score = (f_ref - mean) * _ncdf(z) + std * _INV_SQRT_2PI * np.exp(-0.5 * z * z)
                    if score < 1e-15:
                        score = -mean  # nothing expected to improve: lowest mean (always < 0 < any EI)
                if score > best_score:
                    best_score = score
                    pick = c
        if fc[pick] < f:
            for i in range(n):
                v[i] = Qc[pick, i] - q[i]
                q[i] = Qc[pick, i]
            T[:, :] = Tc[pick]
            P[:, :] = Pc[pick]
            Z[:, :] = Zc[pick]
            mu = max(mu * 0.3, 1e-12)
        else:
            v[:] = 0.0
            mu = min(mu * 10.0, 1e12)
        _, pe, re = _error(Tt, T, e, ones)
        f = pe + rho * re
        if f < best_f:
            best_f, best_pe, best_re = f, pe, re
            for i in range(n):
                q_out[i] = q[i]
