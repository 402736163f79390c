"""numba loop of paper 000's Algorithm 1 as written: one pass from one start (see :mod:`.algorithm1`).

Per iteration (line numbers of Algorithm 1):

* 9-13: FK (one FK evaluation = one iteration), error ``e = [p_t - p; log(R_t R^T)]``; return on success.
* convergence test of the EI / UCB profiles (``while not converged``): ``patience`` iterations in a row in
  which neither ``pos_new <= thr_p * pos_old`` nor ``rot_new <= thr_r * rot_old`` ends the pass.
* 15-17: Jacobian, sensitivity ``s`` (:func:`.sensitivity.sensitivity_one`), ``GP.add(q, s)``.
* 19 GetWeights: for each joint, the slope of the acquisition cost ``a(q)`` of the GP (central differences,
  ``+-probe``) along the joint's descent direction (sign of ``(J^T e)_i``); ``w_i = 1 / (1 + eta max(0,
  uphill_i))``: a joint whose descent heads up the predicted-sensitivity surface moves less.
  ``a`` = GP mean (plain), ``mean - beta std`` (UCB: optimistic bound, uncertain regions look good),
  ``-EI`` below the lowest sensitivity seen in this solve (EI).
* 20-21: ``lambda = s * damping``; weighted DLS ``dq = W J^T (J W J^T + lambda^2 I)^-1 e``.
* 23-24: ``q <- clip(q + lr dq + momentum v)`` (``v`` = the previous applied step).

Every step is taken (no line search, no trust region): Algorithm 1 has none.
"""

from __future__ import annotations

import math

import numpy as np

from iklearn._jit import njit
from iklearn.estimators.gp_ik.gp import gp_add, gp_predict_one
from iklearn.estimators.gp_ik.sensitivity import sensitivity_one
from iklearn.kinematics._kernels import fk_frames, jacobian_from_frames
from iklearn.solvers._lm_kernel import _cholesky_solve
from iklearn.solvers._task_kernel import _error

ACQ_NONE, ACQ_EI, ACQ_UCB = 0, 1, 2
_INV_SQRT_2PI = 0.3989422804014327


@njit(cache=True)
def _acq_cost(mode, gX, gL, galpha, ng, x, ils, sv, nv, pm, beta, s_best, vbuf):
    """Acquisition cost of configuration ``x`` (lower = more attractive), in sensitivity units."""
    m, sd = gp_predict_one(gX, gL, galpha, ng, x, ils, sv, nv, pm, vbuf)
    if mode == ACQ_UCB:
        return m - beta * sd
    if mode == ACQ_EI:
        sd = max(sd, 1e-12)
        z = (s_best - m) / sd
        return -((s_best - m) * 0.5 * (1.0 + math.erf(z / math.sqrt(2.0))) + sd * _INV_SQRT_2PI * math.exp(-0.5 * z * z))
    return m


@njit(cache=True)
def algorithm1_pass(Tt, q0, types, fixed, axes, tip, lo, hi, w_ref, swts,
                    gX, gy, gL, galpha, gmeta, ils, sv, nv, pm,
                    mode, use_gp, lr, momentum, thr_p, thr_r, patience, beta, eta, probe,
                    tol_p, tol_r, budget, damping, q_out, trace):
    """One pass of Algorithm 1 from ``q0`` ``(dof,)`` with at most ``budget`` FK evaluations.

    ``thr_p``/``thr_r`` = inf switch the convergence test off (plain GP-IK). ``trace`` ``(budget, 3 + dof)``
    receives ``[pos_err, rot_err, sensitivity (NaN where not computed), q]`` per FK evaluation. Writes the
    best configuration into ``q_out``; returns ``(success, pos_err, rot_err, fk_evaluations, converged)``
    of that configuration (``converged``: the pass ended by the convergence test).
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
    y = np.empty(6)
    ones = np.ones(6)
    w = np.empty(n)
    v = np.zeros(n)
    q = np.empty(n)
    xp = np.empty(n)
    vbuf = np.empty(gX.shape[0])
    for i in range(n):
        q[i] = min(max(q0[i], lo[i]), hi[i])
        q_out[i] = q[i]
    best_f, best_pe, best_re = np.inf, np.inf, np.inf
    prev_pe, prev_re = np.inf, np.inf
    s_best = np.inf
    stall = 0
    n_fk = 0
    while True:
        fk_frames(q, types, fixed, axes, tip, T, P, Z, tmp, R)
        _, pe, re = _error(Tt, T, e, ones)
        trace[n_fk, 0] = pe
        trace[n_fk, 1] = re
        trace[n_fk, 2] = np.nan
        for i in range(n):
            trace[n_fk, 3 + i] = q[i]
        n_fk += 1
        f = pe / tol_p + re / tol_r
        if f < best_f:
            best_f, best_pe, best_re = f, pe, re
            for i in range(n):
                q_out[i] = q[i]
        if pe < tol_p and re < tol_r:
            return True, pe, re, n_fk, False
        if n_fk >= budget:
            return False, best_pe, best_re, n_fk, False
        if pe <= thr_p * prev_pe or re <= thr_r * prev_re:
            stall = 0
        else:
            stall += 1
            if stall >= patience:
                return False, best_pe, best_re, n_fk, True
        prev_pe, prev_re = pe, re
        # sensitivity analysis and GP update (lines 15-17)
        jacobian_from_frames(types, T, P, Z, J, False)
        s = sensitivity_one(J, q, lo, hi, w_ref, swts)
        trace[n_fk - 1, 2] = s
        if use_gp:
            gp_add(gX, gy, gL, galpha, gmeta, q, s, ils, sv, nv, pm)
            s_best = min(s_best, s)
        # GetWeights (line 19)
        ng = gmeta[0]
        for i in range(n):
            w[i] = 1.0
            if use_gp and eta > 0.0:
                g = 0.0
                for r in range(6):
                    g += J[r, i] * e[r]
                xp[:] = q
                xp[i] = q[i] + probe
                ap = _acq_cost(mode, gX, gL, galpha, ng, xp, ils, sv, nv, pm, beta, s_best, vbuf)
                xp[i] = q[i] - probe
                am = _acq_cost(mode, gX, gL, galpha, ng, xp, ils, sv, nv, pm, beta, s_best, vbuf)
                slope = (ap - am) / (2.0 * probe)
                uphill = slope if g > 0.0 else -slope
                w[i] = 1.0 / (1.0 + eta * max(uphill, 0.0))
        # damped least squares with lambda = sensitivity x damping factor (lines 20-21)
        lam = s * damping
        for a in range(6):
            for b in range(a + 1):
                acc = 0.0
                for i in range(n):
                    acc += J[a, i] * w[i] * J[b, i]
                A[a, b] = acc
                A[b, a] = acc
            A[a, a] += lam * lam
        if not _cholesky_solve(A, e, y, 6):  # singular and undamped (s = 0 never happens in practice)
            return False, best_pe, best_re, n_fk, False
        # update and clamp (lines 23-24)
        for i in range(n):
            acc = 0.0
            for r in range(6):
                acc += J[r, i] * y[r]
            qn = min(max(q[i] + lr * w[i] * acc + momentum * v[i], lo[i]), hi[i])
            v[i] = qn - q[i]
            q[i] = qn
