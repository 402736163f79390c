"""numba kernel of the limit-respecting Levenberg-Marquardt IK solver with restarts.

Error: the task's e (:mod:`iklearn.solvers._task_kernel`; by default [p_target - p ; log(R_target R^T)] in
       the world frame, m and rad), weighted by w (6,), with its Jacobian J.
Step:  (J^T W J + lambda I + mu W_l) dq = J^T W e + mu W_l (q_mid - q), q <- clip(q + dq, lower, upper);
       a step that does not reduce the weighted error is rejected and lambda grows (x10); an accepted one
       shrinks it (x0.3; x0.1 when the arm has fewer free joints than the task has rows, see LAM_DOWN).
       mu = mid_weight * min(E, 1) pulls joints towards mid-range and fades to zero with the error E, so it
       biases nothing at convergence; it acts on even-numbered tries only, as the pull keeps some tries out of
       the basin of a solution near a limit (Unitree Z1: 7 of 20,000 random targets failed with the pull on
       every try, none with it on alternate tries; mean iterations 46 -> 37).
Joints on a limit that the step pushes outwards are frozen and the step re-solved without them (active
set); revolute joints whose range spans 2 pi wrap instead of clamping.
A try restarts from a random configuration inside the limits (uniform, or around the seed when ``nearest``)
after ``iters_per_try`` iterations, when lambda blows up, or when it stalls (the error did not halve over
``stall_window`` iterations, or an accepted step cut it by less than a fifth (a half on such over-determined
tasks) while it is still above 1e-4: a try at a local minimum or pinned on a limit, the common way a try fails
on 5-DOF arms whose 6-D targets leave local minima of nonzero error, no longer runs a second window there;
3,000 random targets: mean iterations SO-100 23.0 -> 19.2, arm5 21.9 -> 18.5, Unitree Z1 36.4 -> 32.7, Panda
23.2 -> 22.2, UR5 and iiwa14 unchanged, all solved). Every fourth try starts within 10 % of each joint range
of the best configuration so far instead: a try that stalled close to a solution by a joint limit gets a
second chance (3,000 random targets, default settings: failures PUMA 560 8 -> 3, Unitree Z1 2 -> 1; mean
iterations Z1 30 -> 27.5, PUMA 41 -> 39, the other arms within +-1). The normal equations are rebuilt only
when q moved (a rejected step changes lambda alone).
Random numbers come from a splitmix64 stream seeded per call, so batched and single calls agree bit for
bit, whatever the thread count.
Joints with ``lower == upper`` are locked: they never move.
"""

from __future__ import annotations

import numpy as np

from iklearn._jit import njit, prange, uint64
from iklearn.kinematics._kernels import fk_frames, jacobian_from_frames
from iklearn.solvers._prep_kernel import uniform as _uniform
from iklearn.solvers._task_kernel import _done, _task_error, _task_jacobian

# Initial damping of every try (J^T W J of arm-sized robots has entries ~0.1-1). Measured on 3,000 random
# Panda / iiwa14 / arm5 targets: 0.1 needs 20-25 % fewer iterations on average than 1e-3 (large first steps
# from a random start overshoot, get rejected, and cost a full FK each).
LAM0 = 0.1
# An accepted step that leaves more than ``step_stall`` of the error, with the error still above STEP_STALL_E
# (weighted, m^2 and rad^2), ends the try (see the module notes); an accepted step multiplies lambda by
# ``lam_down``. Both come from the caller: STEP_STALL / LAM_DOWN when the arm has at least as many free joints
# as the task has weighted rows, the *_OVERDETERMINED values when it has fewer (a 5-DOF arm on 6-D targets).
# There J^T W J is full rank, so small damping (Gauss-Newton steps) is safe, and a try in a local minimum of
# nonzero error is the usual failure, which a stricter crawl test ends sooner; with redundant joints J^T W J is
# singular, lambda sizes the null-space part of the step, and both changes cost iterations. Mean iterations,
# 3,000 random targets (bench_ik's solver), chosen on seed 0, seed 1 shown: SO-100 17.8 -> 15.1, arm5 18.5 ->
# 15.8, arm4 10.8 -> 9.1 (the same values on 6- and 7-DOF arms: Panda 20.0 -> 23.4, UR5 13.7 -> 17.2, snake24
# 7.8 -> 11.0). Converging tries cut the error by far more per step; tries that crawl along a valley close to a
# solution (seen on the Z1) are below the floor.
STEP_STALL, LAM_DOWN = 0.8, 0.3
STEP_STALL_OVERDETERMINED, LAM_DOWN_OVERDETERMINED = 0.5, 0.1
STEP_STALL_E = 1e-4


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
def _randomise(q, q0, lower, upper, slo, span, state, nearest, tries):
    """Draw a restart configuration into q; returns the new RNG state."""
    radius = 0.1 * tries
    for i in range(q.shape[0]):
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
    return state


@njit(cache=True)
def lm_solve_one(
    Tt, q0, types, fixed, axes, tip, lower, upper, slo, shi, w, tol_p, tol_r,
    max_iters, iters_per_try, nearest, seed, q_out, stall_window, stall_ratio, mid_weight, step_stall, lam_down,
    task,
):
    """Solve one target Tt (4x4) from q0 (n,). Writes the best q into q_out.

    Each iteration: damped normal equations on the joints that are free (a joint sitting on a limit that
    the step would push further out is frozen and the system re-solved without it, the active-set idea,
    so the other joints keep making progress); a revolute joint whose range spans 2 pi wraps around instead
    of being clamped. A try restarts early when, over ``stall_window`` iterations, the weighted squared error
    has not dropped below ``stall_ratio`` times its value at the start of the window (a try stuck against
    a limit or in a local minimum rarely recovers; a new random start is cheaper).

    Returns (success, position error, rotation error, iterations).
    """
    n = q0.shape[0]
    T = np.empty((4, 4))
    Tn = np.empty((4, 4))
    P = np.empty((n, 3))
    Z = np.empty((n, 3))
    Pn = np.empty((n, 3))
    Zn = np.empty((n, 3))
    tmp = np.empty((4, 4))
    R = np.empty((3, 3))
    J = np.empty((6, n))
    A = np.empty((n, n))
    A0 = np.empty((n, n))
    g = np.empty(n)
    g0 = np.empty(n)
    dq = np.empty(n)
    q = np.empty(n)
    qn = np.empty(n)
    e = np.empty(6)
    en = np.empty(6)
    span = np.empty(n)
    mid = np.empty(n)
    wl = np.empty(n)
    wrap = np.empty(n, np.bool_)
    frozen = np.empty(n, np.bool_)
    locked = np.empty(n, np.bool_)
    two_pi = 2.0 * np.pi
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
        mid[i] = 0.5 * (slo[i] + shi[i])
        # a joint with lower == upper has no range: no pull (avoids a division by zero)
        wl[i] = 4.0 / (span[i] * span[i]) if span[i] > 0.0 else 0.0
        wrap[i] = types[i] == 0 and hi - lo >= two_pi
        locked[i] = lo == hi  # a locked joint never moves
    state = uint64(seed) * uint64(0x2545F4914F6CDD1D) + uint64(0x632BE59BD9B4E019)

    fk_frames(q, types, fixed, axes, tip, T, P, Z, tmp, R)
    E, pe, re = _task_error(Tt, T, e, w, task)
    best_E = E
    best_pe = pe
    best_re = re
    for i in range(n):
        q_out[i] = q[i]
    if _done(e, pe, re, tol_p, tol_r, w, task):
        return True, pe, re, 0

    lam = LAM0
    it_try = 0
    tries = 0
    E_win = E
    fresh = True  # q changed since the normal equations were built (a rejected step leaves them valid)
    mu = 0.0
    crawl = False
    for it in range(1, max_iters + 1):
        if fresh:
            jacobian_from_frames(types, T, P, Z, J, False)
            _task_jacobian(J, T, Tt, task)
            # pull towards the middle of the ranges, fading with the error: no bias at convergence (alternate tries)
            mu = mid_weight * min(E, 1.0) if tries % 2 == 0 else 0.0
            # A0 = J^T W J, g0 = J^T W e
            for a in range(n):
                s = 0.0
                for r in range(6):
                    s += J[r, a] * w[r] * e[r]
                g0[a] = s
                if not wrap[a]:
                    g0[a] += mu * wl[a] * (mid[a] - q[a])
                for b in range(a + 1):
                    s = 0.0
                    for r in range(6):
                        s += J[r, a] * w[r] * J[r, b]
                    A0[a, b] = s
                    A0[b, a] = s
            fresh = False
        for a in range(n):
            g[a] = g0[a]
            frozen[a] = locked[a]
        ok = True
        for rep in range(2):
            for a in range(n):
                for b in range(n):
                    A[a, b] = 0.0 if (frozen[a] or frozen[b]) else A0[a, b]
                A[a, a] = 1.0 if frozen[a] else A0[a, a] + lam + (0.0 if wrap[a] else mu * wl[a])
                if frozen[a]:
                    g[a] = 0.0
            ok = _cholesky_solve(A, g, dq, n)
            if not ok:
                break
            # freeze the joints on a limit that the step pushes outwards, then solve again without them
            more = False
            for i in range(n):
                if not frozen[i] and not wrap[i]:
                    if (q[i] <= lower[i] and dq[i] < 0.0) or (q[i] >= upper[i] and dq[i] > 0.0):
                        frozen[i] = True
                        more = True
            if not more:
                break
        accepted = False
        if ok:
            for i in range(n):
                v = q[i] + dq[i]
                if wrap[i]:
                    if v < lower[i]:
                        v += two_pi
                    elif v > upper[i]:
                        v -= two_pi
                if v < lower[i]:
                    v = lower[i]
                elif v > upper[i]:
                    v = upper[i]
                qn[i] = v
            fk_frames(qn, types, fixed, axes, tip, Tn, Pn, Zn, tmp, R)
            En, pen, ren = _task_error(Tt, Tn, en, w, task)
            if En < E:
                accepted = True
                crawl = En > step_stall * E and En > STEP_STALL_E
                q, qn = qn, q
                e, en = en, e
                T, Tn = Tn, T
                P, Pn = Pn, P
                Z, Zn = Zn, Z
                E = En
                pe = pen
                re = ren
                lam = max(lam * lam_down, 1e-12)
                fresh = True
                if E < best_E:
                    best_E = E
                    best_pe = pe
                    best_re = re
                    for i in range(n):
                        q_out[i] = q[i]
                if _done(e, pe, re, tol_p, tol_r, w, task):
                    return True, pe, re, it
        if not accepted:
            lam *= 10.0
        it_try += 1
        stalled = stall_window > 0 and accepted and crawl
        if stall_window > 0 and it_try % stall_window == 0:
            stalled = stalled or E > stall_ratio * E_win
            E_win = E
        if it_try >= iters_per_try or lam > 1e8 or stalled:
            tries += 1
            if not nearest and tries % 4 == 3:  # every fourth try: near the best so far (see the notes above)
                state = _randomise(q, q_out, lower, upper, slo, span, state, True, 1)
            else:
                state = _randomise(q, q0, lower, upper, slo, span, state, nearest, tries)
            fk_frames(q, types, fixed, axes, tip, T, P, Z, tmp, R)
            E, pe, re = _task_error(Tt, T, e, w, task)
            E_win = E
            fresh = True
            lam = LAM0
            it_try = 0
            if _done(e, pe, re, tol_p, tol_r, w, task):
                for i in range(n):
                    q_out[i] = q[i]
                return True, pe, re, it
    return False, best_pe, best_re, max_iters


@njit(cache=True, parallel=True)
def lm_solve_batch(
    Tts, Q0, types, fixed, axes, tip, lower, upper, slo, shi, w, tol_p, tol_r,
    max_iters, iters_per_try, nearest, seeds, Q_out, succ, perr, rerr, iters, stall_window, stall_ratio, mid_weight,
    step_stall, lam_down, task,
):
    """Solve every target of Tts (N,4,4) from Q0 (N,n) in parallel; outputs are (N,...) buffers."""
    for b in prange(Tts.shape[0]):
        s, pe, re, it = lm_solve_one(
            Tts[b], Q0[b], types, fixed, axes, tip, lower, upper, slo, shi, w, tol_p, tol_r,
            max_iters, iters_per_try, nearest, seeds[b], Q_out[b], stall_window, stall_ratio, mid_weight,
            step_stall, lam_down, task,
        )
        succ[b] = s
        perr[b] = pe
        rerr[b] = re
        iters[b] = it


@njit(cache=True)
def lm_solve_batch_serial(
    Tts, Q0, types, fixed, axes, tip, lower, upper, slo, shi, w, tol_p, tol_r,
    max_iters, iters_per_try, nearest, seeds, Q_out, succ, perr, rerr, iters, stall_window, stall_ratio, mid_weight,
    step_stall, lam_down, task,
):
    """Serial :func:`lm_solve_batch`: small batches pay no thread start-up."""
    for b in range(Tts.shape[0]):
        s, pe, re, it = lm_solve_one(
            Tts[b], Q0[b], types, fixed, axes, tip, lower, upper, slo, shi, w, tol_p, tol_r,
            max_iters, iters_per_try, nearest, seeds[b], Q_out[b], stall_window, stall_ratio, mid_weight,
            step_stall, lam_down, task,
        )
        succ[b] = s
        perr[b] = pe
        rerr[b] = re
        iters[b] = it
