"""numba kernels of the IK task error: what the solver drives to zero, and when it counts as solved.

Error: e = [p_target - p ; log(R_target R^T)] (world frame, m and rad), weighted by w (6,) (:func:`_error`).
A task in the target frame (:func:`make_task`: per-axis weights where a zero weight frees an axis, per-axis
tolerances, a free tool axis) rotates the error and the Jacobian into the target frame; a free tool axis
replaces the rotation error by the swing that turns the tool's axis onto the target's, so any rotation about
that axis costs nothing (drills, suction cups, welding torches).
"""

from __future__ import annotations

import numpy as np

from iklearn._jit import njit


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


# layout of the task array (float64): [0] 1 if the error is taken in the target frame, [1] free tool axis
# (0, 1, 2 for x, y, z; -1 none), [2] 1 if per-axis tolerances decide success, [3:9] those tolerances
TASK_SIZE = 9


def make_task(local: bool = False, free_axis: int = -1, tolerances=None) -> np.ndarray:
    """The ``task`` array of the kernels (see the layout above); ``tolerances`` (6,) or None."""
    t = np.zeros(TASK_SIZE)
    t[0] = 1.0 if (local or free_axis >= 0 or tolerances is not None) else 0.0
    t[1] = float(free_axis)
    if tolerances is not None:
        t[2] = 1.0
        t[3:9] = tolerances
    return t


@njit(cache=True)
def _swing_err(Tt, T, e, k):
    """e[3:6] = the rotation (world frame) that turns the tool's axis k onto the target's; returns its angle."""
    ax, ay, az = T[0, k], T[1, k], T[2, k]
    bx, by, bz = Tt[0, k], Tt[1, k], Tt[2, k]
    cx = ay * bz - az * by
    cy = az * bx - ax * bz
    cz = ax * by - ay * bx
    s = np.sqrt(cx * cx + cy * cy + cz * cz)
    c = ax * bx + ay * by + az * bz
    th = np.arctan2(s, c)
    if s > 1e-9:
        f = th / s
    elif c > 0.0:
        f = 1.0
    else:
        # opposite axes: turn by pi about any axis perpendicular to a (a x e_j, e_j least aligned with a)
        if abs(ax) <= abs(ay) and abs(ax) <= abs(az):
            cx, cy, cz = 0.0, az, -ay
        elif abs(ay) <= abs(az):
            cx, cy, cz = -az, 0.0, ax
        else:
            cx, cy, cz = ay, -ax, 0.0
        s = np.sqrt(cx * cx + cy * cy + cz * cz)
        f = th / s
    e[3] = cx * f
    e[4] = cy * f
    e[5] = cz * f
    return th


@njit(cache=True)
def _task_error(Tt, T, e, w, task):
    """Fill e (6,) with the task's error; return (weighted squared norm, position error, rotation error).

    World-frame tasks are :func:`_error`. Target-frame tasks express e in the target frame, and the errors
    returned are the norms over the axes whose weight is not zero (the free ones do not count).
    """
    if task[0] == 0.0:
        return _error(Tt, T, e, w)
    e[0] = Tt[0, 3] - T[0, 3]
    e[1] = Tt[1, 3] - T[1, 3]
    e[2] = Tt[2, 3] - T[2, 3]
    k = int(task[1])
    if k < 0:
        _log_rot_err(Tt, T, e)
    else:
        _swing_err(Tt, T, e, k)
    for blk in (0, 3):
        x, y, z = e[blk], e[blk + 1], e[blk + 2]
        for i in range(3):
            e[blk + i] = Tt[0, i] * x + Tt[1, i] * y + Tt[2, i] * z
    E = 0.0
    p2 = 0.0
    r2 = 0.0
    for i in range(6):
        E += w[i] * e[i] * e[i]
    for i in range(3):
        if w[i] > 0.0:
            p2 += e[i] * e[i]
        if w[i + 3] > 0.0:
            r2 += e[i + 3] * e[i + 3]
    return E, np.sqrt(p2), np.sqrt(r2)


@njit(cache=True)
def _task_jacobian(J, T, Tt, task):
    """Turn the world Jacobian J (6, n) into the task's: a free axis a projects rotations about a out
    (they do not move it); target-frame tasks rotate both blocks by R_t^T."""
    if task[0] == 0.0:
        return
    n = J.shape[1]
    k = int(task[1])
    if k >= 0:
        ax, ay, az = T[0, k], T[1, k], T[2, k]
        for c in range(n):
            d = ax * J[3, c] + ay * J[4, c] + az * J[5, c]
            J[3, c] -= ax * d
            J[4, c] -= ay * d
            J[5, c] -= az * d
    for c in range(n):
        for blk in (0, 3):
            x, y, z = J[blk, c], J[blk + 1, c], J[blk + 2, c]
            for i in range(3):
                J[blk + i, c] = Tt[0, i] * x + Tt[1, i] * y + Tt[2, i] * z


@njit(cache=True, inline="always")
def _done(e, pe, re, tol_p, tol_r, w, task):
    """Converged: per-axis tolerances on the weighted axes when the task has them, else the two norms."""
    if task[2] != 0.0:
        for i in range(6):
            if w[i] > 0.0 and abs(e[i]) > task[3 + i]:
                return False
        return True
    return pe <= tol_p and re <= tol_r
