"""Batched forward kinematics and geometric Jacobians of many standard-DH arms at once, one arm per row.

Where :func:`iklearn.kinematics.fk` evaluates one :class:`~iklearn.robot.Chain` at many configurations, this
evaluates a different arm on every row (random manipulators, paper 004) without building a Chain per arm.
Standard DH: ``A_i = Rz(theta_i) Tz(d_i) Tx(a_i) Rx(alpha_i)``, all joints revolute, ``theta_i = q_i``.
"""

from __future__ import annotations

from typing import Literal

import numpy as np


def dh_fk_jacobian(d: np.ndarray, a: np.ndarray, alpha: np.ndarray, q: np.ndarray,
                   frame: Literal["world", "tip"] = "world") -> tuple[np.ndarray, np.ndarray]:
    """FK and geometric Jacobian of ``n`` revolute standard-DH arms, one per row.

    Parameters
    ----------
    d, a : (n, dof) link offsets and lengths (m)
    alpha : (n, dof) link twists (rad)
    q : (n, dof) joint angles (rad)
    frame : 'world' or 'tip' (``R^T`` applied to both blocks, as :func:`iklearn.kinematics.jacobian`)

    Returns
    -------
    T : (n, 4, 4) tip poses; J : (n, 6, dof) Jacobians, linear rows first.
    """
    n, dof = q.shape
    T = np.tile(np.eye(4), (n, 1, 1))
    P = np.zeros((n, dof, 3))
    Z = np.zeros((n, dof, 3))
    for i in range(dof):
        P[:, i] = T[:, :3, 3]
        Z[:, i] = T[:, :3, 2]
        ct, st = np.cos(q[:, i]), np.sin(q[:, i])
        ca, sa = np.cos(alpha[:, i]), np.sin(alpha[:, i])
        A = np.zeros((n, 4, 4))
        A[:, 0, 0], A[:, 0, 1], A[:, 0, 2], A[:, 0, 3] = ct, -st * ca, st * sa, a[:, i] * ct
        A[:, 1, 0], A[:, 1, 1], A[:, 1, 2], A[:, 1, 3] = st, ct * ca, -ct * sa, a[:, i] * st
        A[:, 2, 1], A[:, 2, 2], A[:, 2, 3] = sa, ca, d[:, i]
        A[:, 3, 3] = 1.0
        T = T @ A
    J = np.empty((n, 6, dof))
    J[:, :3, :] = np.cross(Z, T[:, None, :3, 3] - P).transpose(0, 2, 1)
    J[:, 3:, :] = Z.transpose(0, 2, 1)
    if frame == "tip":
        Rt = T[:, :3, :3].transpose(0, 2, 1)
        J = np.concatenate([Rt @ J[:, :3], Rt @ J[:, 3:]], axis=1)
    return T, J
