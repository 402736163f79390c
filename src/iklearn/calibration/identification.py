"""Residuals, the identification Jacobian, and the choice of identifiable parameters (see ``parameters``).

Residual of one measurement: ``[p_model - p_meas; rotvec(R_model R_meas^T)]`` (m, rad, base frame), divided
by the measurement noise (``position_sigma``, ``rotation_sigma``) so position and rotation rows weigh alike.
A correction of frame ``i`` along ``d`` (its coordinates) moves the tool like a virtual joint at that frame:
a translation gives ``[R_i d; 0]``, a rotation ``[(R_i d) x (p_tip - o_i); R_i d]``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from iklearn.calibration.parameters import ErrorParameter, frames
from iklearn.robot.chain import Chain


def pose_residuals(T_model: np.ndarray, T_meas: np.ndarray) -> np.ndarray:
    """``(N, 6)``: position difference (m) and world-frame rotation vector of ``R_model R_meas^T`` (rad)."""
    from scipy.spatial.transform import Rotation

    r = np.empty((T_model.shape[0], 6))
    r[:, :3] = T_model[:, :3, 3] - T_meas[:, :3, 3]
    dR = T_model[:, :3, :3] @ np.swapaxes(T_meas[:, :3, :3], 1, 2)
    r[:, 3:] = Rotation.from_matrix(dR).as_rotvec() if len(dR) else np.zeros((0, 3))
    return r


def identification_jacobian(chain: Chain, params: list[ErrorParameter], Q: np.ndarray) -> np.ndarray:
    """``(N, 6, P)``: derivative of the tool pose (linear rows first, base frame) with respect to each
    parameter's correction, at configurations ``Q`` ``(N, dof)``."""
    F = frames(chain, Q)
    p_tip = F[:, -1, :3, 3]
    J = np.zeros((Q.shape[0], 6, len(params)))
    for k, p in enumerate(params):
        A = F[:, p.frame]
        w = A[:, :3, :3] @ np.asarray(p.direction)
        if p.kind == "t":
            J[:, :3, k] = w
        else:
            J[:, :3, k] = np.cross(w, p_tip - A[:, :3, 3])
            J[:, 3:, k] = w
    return J


def weigh(J_or_r: np.ndarray, position_sigma: float, rotation_sigma: float) -> np.ndarray:
    """Rows ``(N, 6, ...)`` divided by the noise: position rows by ``position_sigma``, rotation rows by
    ``rotation_sigma``; flattened to ``(6 N, ...)``."""
    a = np.array(J_or_r, float)
    a[:, :3] /= position_sigma
    a[:, 3:] /= rotation_sigma
    return a.reshape(-1, *a.shape[2:])


@dataclass(frozen=True)
class Selection:
    """Which candidates the columns can tell apart.

    kept : indices of the kept candidates, in preference order
    dropped : index -> indices of the kept candidates that absorb it (largest share first; empty when the
        candidate moves the tool not at all)
    """

    kept: list[int]
    dropped: dict[int, list[int]]


def select_parameters(J: np.ndarray, order: list[int] | None = None, tol: float = 1e-6) -> Selection:
    """Greedy choice of independent columns of ``J`` ``(M, P)`` in ``order`` (default ``0..P-1``).

    A column is kept when the part of it outside the span of the columns kept before it is larger than
    ``tol`` times its norm (Gram-Schmidt, orthogonalised twice); the relative test makes the choice
    independent of the parameters' units.
    """
    M, P = J.shape
    order = list(range(P)) if order is None else list(order)
    if M > P:  # the test depends on the columns' inner products only: R of J = QR has the same, in P rows
        J = np.linalg.qr(J, mode="r")
        M = P
    basis = np.empty((M, 0))
    kept: list[int] = []
    rejected: list[int] = []
    for k in order:
        c = J[:, k]
        nc = float(np.linalg.norm(c))
        r = c - basis @ (basis.T @ c)
        r = r - basis @ (basis.T @ r)
        nr = float(np.linalg.norm(r))
        if nc == 0.0 or nr <= tol * nc:
            rejected.append(k)
            continue
        basis = np.concatenate([basis, (r / nr)[:, None]], axis=1)
        kept.append(k)
    dropped: dict[int, list[int]] = {}
    if rejected and kept:
        Jk = J[:, kept]
        coef, *_ = np.linalg.lstsq(Jk, J[:, rejected], rcond=None)
        share = np.abs(coef) * np.linalg.norm(Jk, axis=0)[:, None]
        for j, k in enumerate(rejected):
            total = float(np.linalg.norm(J[:, k]))
            big = [kept[i] for i in np.argsort(-share[:, j]) if total > 0 and share[i, j] > 0.1 * total]
            dropped[k] = big[:3]
    else:
        dropped = {k: [] for k in rejected}
    return Selection(kept, dropped)


def generic_configurations(chain: Chain, n: int = 64, seed: int = 0) -> np.ndarray:
    """``(n, dof)`` configurations uniform in the (finite) joint limits: data that excite every parameter the
    kinematics allow, for the structural choice of identifiable parameters."""
    rng = np.random.default_rng([seed, 19])
    return rng.uniform(chain.finite_lower, chain.finite_upper, (n, chain.dof))
