"""Closed-form IK of the PUMA-like spherical-wrist arm family of paper 004 (M3's random manipulators).

The family: 6 revolute joints, standard DH, ``alpha = [pi/2, 0, -pi/2, pi/2, -pi/2, 0]`` (:data:`ALPHA`),
``d = [0, 0, d3, d4, 0, 0]``, ``a = [0, a2, a3, 0, 0, 0]``; one arm is ``[d3, d4, a2, a3]`` (m). The wrist
centre is the tip position (``d5 = d6 = 0``), so it fixes joints 1-3 (shoulder sign x elbow sign: 4 branches)
and the orientation fixes joints 4-6 (2 wrist branches): a reachable pose has up to 8 solutions
(:func:`analytic_ik`). Without joint limits a pose is reachable when the wrist centre lies in the annulus
``|a2 - L| <= rho <= a2 + L`` (``L = hypot(a3, d4)``) with ``x^2 + y^2 >= d3^2`` (:func:`reachable`).
Batched over arms: row ``i`` of every argument is one arm and one pose. Sampling such arms and their
datasets is :mod:`iklearn.data.random_manipulators`; the UR arms' closed form is :mod:`.analytic`.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from iklearn.kinematics.dh import dh_fk_jacobian
from iklearn.kinematics.pose import euler_xyz_to_matrix

ALPHA = np.array([np.pi / 2, 0.0, -np.pi / 2, np.pi / 2, -np.pi / 2, 0.0])


def dh_table(params: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(n, 4)`` ``[d3, d4, a2, a3]`` -> ``d, a, alpha`` each ``(n, 6)``."""
    p = np.atleast_2d(np.asarray(params, float))
    n = p.shape[0]
    d = np.zeros((n, 6))
    a = np.zeros((n, 6))
    d[:, 2], d[:, 3], a[:, 1], a[:, 2] = p[:, 0], p[:, 1], p[:, 2], p[:, 3]
    return d, a, np.tile(ALPHA, (n, 1))


def fk_jacobian(params: np.ndarray, q: np.ndarray, frame: Literal["world", "tip"] = "world"):
    """FK ``(n, 4, 4)`` and Jacobian ``(n, 6, 6)`` of arms ``params`` ``(n, 4)`` at ``q`` ``(n, 6)`` (rad);
    see :func:`iklearn.kinematics.dh.dh_fk_jacobian`."""
    return dh_fk_jacobian(*dh_table(params), q, frame)


def reachable(params: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """``(n,)`` bool: the tip position ``pos`` (n, >= 3; m) is reachable by arm ``params`` (n, 4), any
    orientation (the wrist centre is the tip): ``x^2 + y^2 >= d3^2`` and ``|a2 - L| <= rho <= a2 + L``."""
    return _shoulder(np.atleast_2d(np.asarray(params, float)), np.asarray(pos, float)[:, :3])[2]


def _shoulder(p: np.ndarray, pos: np.ndarray, eps: float = 1e-12):
    """``(u2, c3p, reachable)``: squared horizontal reach past the shoulder offset, the elbow cosine."""
    d3, d4, a2, a3 = p[:, 0], p[:, 1], p[:, 2], p[:, 3]
    L = np.hypot(a3, d4)
    u2 = pos[:, 0] ** 2 + pos[:, 1] ** 2 - d3**2
    c3p = (u2 + pos[:, 2] ** 2 - a2**2 - L**2) / np.maximum(2 * a2 * L, eps)
    return u2, c3p, (u2 >= 0) & (np.abs(c3p) <= 1.0)


def analytic_ik(params: np.ndarray, pose: np.ndarray, eps: float = 1e-12):
    """Closed-form IK, all 8 branches.

    Parameters
    ----------
    params : (n, 4) ``[d3, d4, a2, a3]`` (m)
    pose : (n, 6) ``[x, y, z, r, p, y]`` (m, rad; XYZ Euler) or (n, 4, 4) transforms

    Returns
    -------
    q : (n, 8, 6) joint angles wrapped to ``(-pi, pi]``; branch ``b`` = ``4*s + 2*e + w`` with ``s`` the
        shoulder (0: ``u >= 0``), ``e`` the elbow (0: ``sin(q3 + atan2(d4, a3)) >= 0``), ``w`` the wrist
        (0: ``sin q5 >= 0``). Branches of unreachable poses are NaN.
    reachable : (n,) bool -- the wrist centre is inside the arm's annulus (no joint limits).
    """
    p = np.atleast_2d(np.asarray(params, float))
    pose = np.asarray(pose, float)
    if pose.ndim == 3:
        pos, R = pose[:, :3, 3], pose[:, :3, :3]
    else:
        pos, R = pose[:, :3], euler_xyz_to_matrix(pose[:, 3:6])
    d3, d4, a2, a3 = p[:, 0], p[:, 1], p[:, 2], p[:, 3]
    n = p.shape[0]
    px, py, pz = pos[:, 0], pos[:, 1], pos[:, 2]
    L = np.hypot(a3, d4)
    phi = np.arctan2(d4, a3)
    u2, c3p, ok = _shoulder(p, pos, eps)
    u_abs = np.sqrt(np.maximum(u2, 0.0))
    s3p_abs = np.sqrt(np.maximum(1 - np.clip(c3p, -1, 1) ** 2, 0.0))
    q = np.full((n, 8, 6), np.nan)
    for s in range(2):
        u = u_abs if s == 0 else -u_abs
        q1 = np.arctan2(py, px) - np.arctan2(-d3, u)
        for e in range(2):
            s3p = s3p_abs if e == 0 else -s3p_abs
            q3p = np.arctan2(s3p, np.clip(c3p, -1, 1))
            q2 = np.arctan2(pz, u) - np.arctan2(L * s3p, a2 + L * np.cos(q3p))
            q3 = q3p - phi
            q123 = np.stack([q1, q2, q3, np.zeros(n), np.zeros(n), np.zeros(n)], axis=1)
            T3 = _fk3(p, q123)
            M = T3.transpose(0, 2, 1) @ R  # R36 = Rz(q4) Ry(-q5) Rz(q6)
            s5 = np.sqrt(np.maximum(1 - np.clip(M[:, 2, 2], -1, 1) ** 2, 0.0))
            for w in range(2):
                sg = 1.0 if w == 0 else -1.0
                q5 = np.arctan2(sg * s5, M[:, 2, 2])
                q4 = np.arctan2(-sg * M[:, 1, 2], -sg * M[:, 0, 2])
                q6 = np.arctan2(-sg * M[:, 2, 1], sg * M[:, 2, 0])
                sing = s5 < 1e-9  # wrist singular: only q4 + q6 matters; put it all in q6
                if np.any(sing):
                    q4 = np.where(sing, 0.0, q4)
                    q6 = np.where(sing, np.arctan2(M[:, 1, 0], M[:, 0, 0]), q6)
                b = 4 * s + 2 * e + w
                q[:, b] = np.stack([q1, q2, q3, q4, q5, q6], axis=1)
    q = _wrap(q)
    q[~ok] = np.nan
    return q, ok


def _wrap(q: np.ndarray) -> np.ndarray:
    return np.pi - np.mod(np.pi - q, 2 * np.pi)  # (-pi, pi]


def _fk3(params: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Rotation of frame 3 ``(n, 3, 3)`` (only joints 1-3 matter)."""
    T, _ = fk_jacobian(params, q[:, :6] * np.array([1, 1, 1, 0, 0, 0]), "world")
    # frame 3 = tip with q4..q6 = 0 minus the constant wrist twist Rx(pi/2) Rx(-pi/2) = I
    return T[:, :3, :3]
