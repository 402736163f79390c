"""numba kernels of LWPR: the whole update / prediction loop is compiled.

Receptive fields (RFs) live in preallocated arrays indexed ``[output, rf, field, ...]`` (one independent
sub-model per output dimension, as in the reference library); ``n_rfs[o]`` says how many slots of output
``o`` are in use. A batch update stops early (returns the number of samples done) when a sub-model is out of
slots, so the Python side can grow the arrays and call again: no allocation inside the hot loop.

The algorithm (incremental locally weighted PLS, projection addition, forgetting schedule, leave-one-out
distance-metric gradient with penalty and optional meta learning, confidence bounds) follows
Vijayakumar, D'Souza & Schaal (2005) and the LWPR library by Klanke, Vijayakumar & Schaal.

One file of ~450 lines on purpose: the kernels share one array layout and call each other inside the compiled
loop; split apart, one algorithm (and its numba cache) would be spread over files that only make sense together.
"""

from __future__ import annotations

import numpy as np

from iklearn._jit import njit

# scalar fields S[o, k, :]
S_BETA0, S_SUM_E2, S_SSP, S_TRUST, S_NREG = 0, 1, 2, 3, 4
NS = 5
# per-projection fields PV[o, k, :, r]
P_BETA, P_SS2, P_SSY, P_H, P_R, P_SUMW, P_SUMECV2, P_NDATA, P_LAM, P_S = 0, 1, 2, 3, 4, 5, 6, 7, 8, 9
NPV = 10
# per-projection input vectors PM[o, k, :, r, i]
M_SXY, M_SSX, M_U, M_P = 0, 1, 2, 3
NPM = 4
# input vectors XV[o, k, :, i]
X_C, X_MEAN, X_VAR = 0, 1, 2
NXV = 3
# metric matrices DM[o, k, :, i, j]
D_D, D_M, D_ALPHA, D_HM, D_BM = 0, 1, 2, 3, 4
NDM = 5
# hyperparameters, params[:]
(PR_WGEN, PR_WPRUNE, PR_PENALTY, PR_INITLAM, PR_FINLAM, PR_TAULAM, PR_ADDTH, PR_INITS2, PR_METARATE,
 PR_UPDATED, PR_DIAG, PR_META, PR_CUTOFF, PR_NTRUST, PR_INITNREG) = range(15)
NPARAMS = 15

UPDATE_CUTOFF = 0.001  # an RF is updated only where its activation exceeds this


@njit(cache=True)
def _sqdist(o, k, x, XV, DM, diag):
    d = x.shape[0]
    q = 0.0
    if diag:
        for i in range(d):
            dx = x[i] - XV[o, k, X_C, i]
            q += DM[o, k, D_D, i, i] * dx * dx
    else:
        for i in range(d):
            dxi = x[i] - XV[o, k, X_C, i]
            acc = 0.0
            for j in range(d):
                acc += DM[o, k, D_D, i, j] * (x[j] - XV[o, k, X_C, j])
            q += dxi * acc
    return q


@njit(cache=True)
def _init_rf(o, k, t, x, y, S, PV, PM, XV, DM, params, initD, initM, initA):
    """Fill slot k of output o with a fresh RF centred at x (metric copied from RF t when t >= 0)."""
    d = x.shape[0]
    S[o, k, :] = 0.0
    PV[o, k, :, :] = 0.0
    PM[o, k, :, :, :] = 0.0
    XV[o, k, :, :] = 0.0
    if t >= 0:
        for f in (D_D, D_M, D_ALPHA):
            DM[o, k, f] = DM[o, t, f]
    else:
        DM[o, k, D_D] = initD
        DM[o, k, D_M] = initM
        DM[o, k, D_ALPHA] = initA
    DM[o, k, D_HM, :, :] = 0.0
    for i in range(d):
        for j in range(d):
            DM[o, k, D_BM, i, j] = np.log(DM[o, k, D_ALPHA, i, j] + 1e-10) if j >= i else 0.0
    nreg = min(max(2, int(params[PR_INITNREG])), PV.shape[3])
    S[o, k, S_NREG] = nreg
    S[o, k, S_BETA0] = y
    for r in range(nreg):
        PV[o, k, P_SS2, r] = params[PR_INITS2]
        PV[o, k, P_SUMW, r] = 1e-10
        PV[o, k, P_NDATA, r] = 1e-10
        PV[o, k, P_LAM, r] = params[PR_INITLAM]
        PM[o, k, M_U, r, r] = 1.0
        PM[o, k, M_P, r, r] = 1.0
    for i in range(d):
        XV[o, k, X_C, i] = x[i]


@njit(cache=True)
def _copy_rf(o, src, dst, S, PV, PM, XV, DM):
    S[o, dst] = S[o, src]
    PV[o, dst] = PV[o, src]
    PM[o, dst] = PM[o, src]
    XV[o, dst] = XV[o, src]
    DM[o, dst] = DM[o, src]


@njit(cache=True)
def _project(o, k, xmz, nreg, PM, s, z):
    """s[r] = u_r . z_r with z_0 = xmz, z_{r+1} = z_r - p_r s_r (PLS projections of the centred input)."""
    d = xmz.shape[0]
    for i in range(d):
        z[i] = xmz[i]
    for r in range(nreg):
        acc = 0.0
        for i in range(d):
            acc += PM[o, k, M_U, r, i] * z[i]
        s[r] = acc
        for i in range(d):
            z[i] -= PM[o, k, M_P, r, i] * acc


@njit(cache=True)
def _update_rf(o, k, x, y, w, dwdq, ddwdqdq, S, PV, PM, XV, DM, params, xmz, xres, s, ecv, ytg, z, nrm):
    """One LWPR update of RF k (activation w); returns the RF's prediction after the update."""
    d = x.shape[0]
    nreg = int(S[o, k, S_NREG])
    last = nreg - 1
    # --- weighted means (forgetting with the first projection's lambda)
    swl = PV[o, k, P_SUMW, 0] * PV[o, k, P_LAM, 0]
    den = swl + w
    for i in range(d):
        m = (swl * XV[o, k, X_MEAN, i] + w * x[i]) / den
        XV[o, k, X_MEAN, i] = m
        XV[o, k, X_VAR, i] = (swl * XV[o, k, X_VAR, i] + w * (x[i] - m) ** 2) / den
        xmz[i] = x[i] - m
    beta0 = (swl * S[o, k, S_BETA0] + w * y) / den
    S[o, k, S_BETA0] = beta0
    ymz = y - beta0
    # --- PLS: projections with input residuals, residual targets per stage
    for i in range(d):
        z[i] = xmz[i]
    acc = 0.0
    for r in range(nreg):
        sr = 0.0
        for i in range(d):
            xres[r, i] = z[i]
            sr += PM[o, k, M_U, r, i] * z[i]
        s[r] = sr
        for i in range(d):
            z[i] -= PM[o, k, M_P, r, i] * sr
        ytg[r] = ymz - acc  # target of stage r: what the earlier stages left over
        acc += PV[o, k, P_BETA, r] * sr
        ecv[r] = ymz - acc
    ok = True
    for r in range(nreg):
        lam_slow = 0.9 + 0.1 * PV[o, k, P_LAM, r]
        nn = 0.0
        for i in range(d):
            v = PM[o, k, M_SXY, r, i] * lam_slow + w * ytg[r] * xres[r, i]
            PM[o, k, M_SXY, r, i] = v
            nn += v * v
        nrm[r] = np.sqrt(nn)
        if nrm[r] <= 1e-12:
            ok = False
    if ok:
        for r in range(nreg):
            for i in range(d):
                PM[o, k, M_U, r, i] = PM[o, k, M_SXY, r, i] / nrm[r]
    sum_s2 = 0.0
    for r in range(nreg):
        lam = PV[o, k, P_LAM, r]
        ss2 = lam * PV[o, k, P_SS2, r] + w * s[r] * s[r]
        PV[o, k, P_SS2, r] = ss2
        ssy = lam * PV[o, k, P_SSY, r] + w * ytg[r] * s[r]
        PV[o, k, P_SSY, r] = ssy
        PV[o, k, P_BETA, r] = ssy / ss2
        for i in range(d):
            v = lam * PM[o, k, M_SSX, r, i] + w * s[r] * xres[r, i]
            PM[o, k, M_SSX, r, i] = v
            PM[o, k, M_P, r, i] = v / ss2
        sum_s2 += s[r] * s[r] / ss2
    S[o, k, S_SSP] = PV[o, k, P_LAM, last] * S[o, k, S_SSP] + w * w * sum_s2
    # --- prediction after the update (newest projection silent until it has 2d samples)
    _project(o, k, xmz, nreg, PM, s, z)
    if PV[o, k, P_NDATA, last] <= 2 * d:
        s[last] = 0.0
    yp = 0.0
    for r in range(nreg):
        PV[o, k, P_S, r] = s[r]
        yp += PV[o, k, P_BETA, r] * s[r]
    e = ymz - yp
    if PV[o, k, P_NDATA, 0] * (1.0 - PV[o, k, P_LAM, 0]) > 0.1:
        for r in range(nreg):
            PV[o, k, P_SUMECV2, r] = PV[o, k, P_SUMECV2, r] * PV[o, k, P_LAM, r] + w * ecv[r] ** 2
        S[o, k, S_SUM_E2] = S[o, k, S_SUM_E2] * PV[o, k, P_LAM, last] + w * e * e
    if PV[o, k, P_NDATA, 0] > params[PR_NTRUST]:
        S[o, k, S_TRUST] = 1.0
    # --- distance metric
    if params[PR_UPDATED] > 0.5:
        _update_metric(o, k, x, w, dwdq, ddwdqdq, ecv[last], e, S, PV, PM, XV, DM, params, z)
    # --- add a projection while the last one still halves (add_threshold) the CV error
    if nreg < PV.shape[3]:
        mse_n = PV[o, k, P_SUMECV2, last] / PV[o, k, P_SUMW, last] + 1e-10
        mse_1 = PV[o, k, P_SUMECV2, last - 1] / PV[o, k, P_SUMW, last - 1] + 1e-10
        if (mse_n / mse_1 < params[PR_ADDTH] and PV[o, k, P_NDATA, last] / PV[o, k, P_NDATA, 0] > 0.99
                and PV[o, k, P_NDATA, last] * (1.0 - PV[o, k, P_LAM, last]) > 0.5):
            r = nreg
            PV[o, k, :, r] = 0.0
            PM[o, k, :, r, :] = 0.0
            PV[o, k, P_SS2, r] = params[PR_INITS2]
            PM[o, k, M_U, r, r] = 1.0
            PM[o, k, M_P, r, r] = 1.0
            PV[o, k, P_SUMW, r] = 1e-10
            PV[o, k, P_LAM, r] = params[PR_INITLAM]
            S[o, k, S_SSP] = 0.0
            nreg += 1
            S[o, k, S_NREG] = nreg
    # --- forgetting schedule: lambda -> final_lambda
    tau = params[PR_TAULAM]
    fin = params[PR_FINLAM]
    for r in range(nreg):
        lam = PV[o, k, P_LAM, r]
        PV[o, k, P_SUMW, r] = PV[o, k, P_SUMW, r] * lam + w
        PV[o, k, P_NDATA, r] = PV[o, k, P_NDATA, r] * lam + 1.0
        PV[o, k, P_LAM, r] = tau * lam + fin * (1.0 - tau)
    return yp + beta0


@njit(cache=True)
def _update_metric(o, k, x, w, dwdq, ddwdqdq, e_cv, e, S, PV, PM, XV, DM, params, dx):
    """Gradient step on M (D = M^T M) of the LOO-CV cost + penalty (meta-learned rates optional)."""
    d = x.shape[0]
    nreg = int(S[o, k, S_NREG])
    last = nreg - 1
    if not PV[o, k, P_NDATA, 0] > 0.1 / (1.0 - PV[o, k, P_LAM, 0]):
        return
    diag = params[PR_DIAG] > 0.5
    meta = params[PR_META] > 0.5
    penalty = params[PR_PENALTY] / d
    e2 = e * e
    ecv2 = e_cv * e_cv
    h = 0.0
    sPse = 0.0  # s' (Ps e)
    sum_PseH = 0.0
    sum_Ps2r = 0.0
    for r in range(nreg):
        okr = PV[o, k, P_NDATA, r] > 0.1 / (1.0 - PV[o, k, P_LAM, r])
        if okr:
            sr = PV[o, k, P_S, r]
            ps = sr / PV[o, k, P_SS2, r]
            h += w * sr * ps
            sPse += sr * ps * e
            sum_PseH += ps * e * PV[o, k, P_H, r]
            sum_Ps2r += ps * ps * PV[o, k, P_R, r]
    W = PV[o, k, P_SUMW, 0] * PV[o, k, P_LAM, 0] + w
    E = PV[o, k, P_SUMECV2, last]
    tm = min(1.0, (S[o, k, S_SUM_E2] / (E + 1e-10)) ** 4)  # damp while the CV statistics are unreliable
    dJ1dw = -E / W ** 2 + (ecv2 - 2.0 * sum_PseH - 2.0 * sum_Ps2r) / W
    dJ1J1dwdw = 0.0
    if meta:
        sum_H2 = 0.0
        for r in range(nreg):
            if PV[o, k, P_NDATA, r] > 0.1 / (1.0 - PV[o, k, P_LAM, r]):
                ps = PV[o, k, P_S, r] / PV[o, k, P_SS2, r]
                sum_H2 += (-ps * e / W - 2.0 * ps * sPse) * PV[o, k, P_H, r]
        dJ1J1dwdw = (-ecv2 / W ** 2 - 2.0 / W * sum_H2 + 2.0 / W * e2 * h / w
                     - (ecv2 - 2.0 * sum_PseH) / W ** 2 + E / W ** 3)
    for i in range(d):
        dx[i] = x[i] - XV[o, k, X_C, i]
    maxM = 0.0
    for i in range(d):
        for j in range(i, d):
            maxM = max(maxM, abs(DM[o, k, D_M, i, j]))
    for n in range(d):
        for m in range(n, d):
            if diag and m != n:
                continue
            # dw/dM_nm and d(penalty)/dM_nm for the upper-triangular factor M
            if diag:
                aux = 2.0 * DM[o, k, D_M, n, n]
                dwdM_raw = dx[n] * dx[n] * aux
                sum_aux = DM[o, k, D_D, n, n] * aux
                sum_aux1 = aux * aux
            else:
                mdx = 0.0
                md = 0.0
                sum_aux1 = 0.0
                for i in range(n, d):
                    mni = DM[o, k, D_M, n, i]
                    mdx += mni * dx[i]
                    md += DM[o, k, D_D, i, m] * mni
                    sum_aux1 += (4.0 if i == m else 2.0) * mni * mni
                dwdM_raw = 2.0 * dx[m] * mdx
                sum_aux = 2.0 * md
            dwdM = dwdq * dwdM_raw
            dJ2dM = 2.0 * penalty * sum_aux
            dJdM = dwdM * dJ1dw + w / W * dJ2dM
            if meta:
                ddJ2 = 2.0 * penalty * (2.0 * DM[o, k, D_D, m, m] + sum_aux1)
                ddw = ddwdqdq * dwdM_raw ** 2 + 2.0 * dwdq * dx[m] ** 2
                dJJ = ddw * dJ1dw + dwdM ** 2 * dJ1J1dwdw + w / W * ddJ2
                a = params[PR_METARATE] * tm * dJdM * DM[o, k, D_HM, n, m]
                a = min(0.1, max(-0.1, a))
                b = min(10.0, max(-10.0, DM[o, k, D_BM, n, m] - a))
                DM[o, k, D_BM, n, m] = b
                DM[o, k, D_ALPHA, n, m] = np.exp(b)
                f = max(0.0, 1.0 - DM[o, k, D_ALPHA, n, m] * dJJ * tm)
                DM[o, k, D_HM, n, m] = DM[o, k, D_HM, n, m] * f - DM[o, k, D_ALPHA, n, m] * dJdM * tm
            delta = DM[o, k, D_ALPHA, n, m] * dJdM * tm
            if delta > 0.1 * maxM:  # too large a step: halve the rate, skip this step
                DM[o, k, D_ALPHA, n, m] *= 0.5
            else:
                DM[o, k, D_M, n, m] -= delta
    # D = M^T M
    if diag:
        for i in range(d):
            DM[o, k, D_D, i, i] = DM[o, k, D_M, i, i] ** 2
    else:
        for i in range(d):
            for j in range(i, d):
                acc = 0.0
                for l in range(min(i, j) + 1):
                    acc += DM[o, k, D_M, l, i] * DM[o, k, D_M, l, j]
                DM[o, k, D_D, i, j] = acc
                DM[o, k, D_D, j, i] = acc
    # traces for the leave-one-out derivative (after the step)
    for r in range(nreg):
        if PV[o, k, P_NDATA, r] > 0.1 / (1.0 - PV[o, k, P_LAM, r]):
            sr = PV[o, k, P_S, r]
            lam = PV[o, k, P_LAM, r]
            PV[o, k, P_H, r] = lam * PV[o, k, P_H, r] + (w / (1.0 - h)) * sr * e_cv * tm
            PV[o, k, P_R, r] = lam * PV[o, k, P_R, r] + (w * w * ecv2 / (1.0 - h)) * sr * sr * tm


@njit(cache=True)
def update_batch(X, Y, S, PV, PM, XV, DM, n_rfs, params, initD, initM, initA, yp_out, n_pruned):
    """Sequential LWPR updates with the (normalised) samples X (N, d), Y (N, n_out).

    Writes each sample's pre-creation prediction into yp_out; returns how many samples were processed
    (fewer than N when a sub-model ran out of RF slots: grow the arrays and call again with the rest).
    """
    N, d = X.shape
    n_out = Y.shape[1]
    cap = S.shape[1]
    R = PV.shape[3]
    xmz = np.empty(d)
    xres = np.empty((R, d))
    s = np.empty(R)
    ecv = np.empty(R)
    ytg = np.empty(R)
    z = np.empty(d)
    nrm = np.empty(R)
    diag = params[PR_DIAG] > 0.5
    for t in range(N):
        for o in range(n_out):
            if n_rfs[o] >= cap:
                return t
        x = X[t]
        for o in range(n_out):
            y = Y[t, o]
            n = n_rfs[o]
            if n == 0:
                _init_rf(o, 0, -1, x, y, S, PV, PM, XV, DM, params, initD, initM, initA)
                n_rfs[o] = 1
                yp_out[t, o] = 0.0
                continue
            w1 = 0.0  # max activation
            w2 = 0.0  # second
            i1 = -1
            i2 = -1
            yp = 0.0
            sw = 0.0
            for k in range(n):
                w = np.exp(-0.5 * _sqdist(o, k, x, XV, DM, diag))
                if w > w1:
                    w2 = w1
                    i2 = i1
                    w1 = w
                    i1 = k
                elif w > w2:
                    w2 = w
                    i2 = k
                if w > UPDATE_CUTOFF:
                    ypk = _update_rf(o, k, x, y, w, -0.5 * w, 0.25 * w, S, PV, PM, XV, DM, params,
                                     xmz, xres, s, ecv, ytg, z, nrm)
                    if S[o, k, S_TRUST] > 0.5:
                        yp += w * ypk
                        sw += w
            yp_out[t, o] = yp / sw if sw > 0 else 0.0
            if w1 <= params[PR_WGEN]:
                tmpl = i1 if (w1 > 0.1 * params[PR_WGEN] and S[o, i1, S_TRUST] > 0.5) else -1
                _init_rf(o, n, tmpl, x, y, S, PV, PM, XV, DM, params, initD, initM, initA)
                n_rfs[o] = n + 1
            if w2 > params[PR_WPRUNE]:
                # prune the narrower of the two (larger trace of D)
                tr1 = 0.0
                tr2 = 0.0
                for i in range(d):
                    tr1 += DM[o, i1, D_D, i, i]
                    tr2 += DM[o, i2, D_D, i, i]
                victim = i2 if tr2 > tr1 else i1
                lastk = n_rfs[o] - 1
                if victim != lastk:
                    _copy_rf(o, lastk, victim, S, PV, PM, XV, DM)
                n_rfs[o] = lastk
                n_pruned[o] += 1
    return N


@njit(cache=True)
def predict_batch(X, S, PV, PM, XV, DM, n_rfs, diag, cutoff, yp_out, conf_out, maxw_out, ndata_out):
    """Predictions (N, n_out), confidence bounds, max activation and the data count of the most active RF."""
    N, d = X.shape
    n_out = yp_out.shape[1]
    R = PV.shape[3]
    s = np.empty(R)
    z = np.empty(d)
    xmz = np.empty(d)
    for t in range(N):
        x = X[t]
        for o in range(n_out):
            yp = 0.0
            sw = 0.0
            conf = 0.0
            swyy = 0.0
            maxw = 0.0
            nd = 0.0
            for k in range(n_rfs[o]):
                w = np.exp(-0.5 * _sqdist(o, k, x, XV, DM, diag))
                if w > maxw:
                    maxw = w
                    nd = PV[o, k, P_NDATA, 0]
                if w > cutoff and S[o, k, S_TRUST] > 0.5:
                    nreg = int(S[o, k, S_NREG])
                    last = nreg - 1
                    for i in range(d):
                        xmz[i] = x[i] - XV[o, k, X_MEAN, i]
                    _project(o, k, xmz, nreg, PM, s, z)
                    if PV[o, k, P_NDATA, last] <= 2 * d:
                        s[last] = 0.0
                    ypk = S[o, k, S_BETA0]
                    q = 0.0
                    for r in range(nreg):
                        ypk += PV[o, k, P_BETA, r] * s[r]
                        q += s[r] * s[r] / PV[o, k, P_SS2, r]
                    sigma2 = (PV[o, k, P_SUMECV2, last] / (PV[o, k, P_SUMW, last] - S[o, k, S_SSP])
                              * (1.0 + w * q))
                    conf += w * sigma2
                    swyy += w * ypk * ypk
                    yp += w * ypk
                    sw += w
            if sw > 0:
                yp /= sw
                conf_out[t, o] = np.sqrt(abs(conf + swyy - sw * yp * yp)) / sw
            else:
                yp = 0.0
                conf_out[t, o] = np.inf
            yp_out[t, o] = yp
            maxw_out[t, o] = maxw
            ndata_out[t, o] = nd
