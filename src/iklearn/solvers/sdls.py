"""Selectively damped least squares IK (Buss & Kim 2005), batched with numpy.

With the SVD ``J = sum_i sigma_i u_i v_i^T`` and the (clamped) task error ``e``, each singular direction gets
its own bound on the joint change, from how far a unit end-effector move along ``u_i`` would swing the
joints::

    alpha_i = u_i . e
    N_i     = sum_l ||u_i[l]||                             (l: the 3-row blocks, position and rotation)
    M_i     = sigma_i^-1 sum_j |v_ji| sum_l ||J[l, j]||
    gamma_i = min(1, N_i / M_i) * gamma_max
    phi_i   = ClampMaxAbs(sigma_i^-1 alpha_i v_i, gamma_i)
    dq      = ClampMaxAbs(sum_i phi_i, gamma_max)

``ClampMaxAbs(w, d)`` scales ``w`` so that ``max_j |w_j| <= d``. Every step is taken (there is no line search,
as in the paper); the joints are then clamped to their limits, and the best configuration visited is returned.
"""

from __future__ import annotations

import numpy as np

from iklearn.errors import IKLearnError
from iklearn.robot.chain import Chain
from iklearn.solvers.dls import DampedLeastSquares, clamp_error


def clamp_max_abs(w: np.ndarray, d) -> np.ndarray:
    """Scale each row of ``w`` ``(..., n)`` so its largest absolute entry is at most ``d`` (``(...)`` or scalar)."""
    m = np.abs(w).max(axis=-1, initial=0.0)
    d = np.asarray(d, float)
    f = np.where(m > d, d / np.maximum(m, 1e-300), 1.0)
    return w * f[..., None]


def sdls_step(J: np.ndarray, e: np.ndarray, gamma_max: float = np.pi / 4, block: int = 3) -> np.ndarray:
    """One selectively damped step for a batch.

    Parameters
    ----------
    J : (N, m, dof) Jacobians; ``m`` a multiple of ``block`` (3: position, 6: position and rotation)
    e : (N, m) task errors (already clamped)
    gamma_max : float, rad
        Largest change of any joint in one step.

    Returns
    -------
    (N, dof) joint steps.
    """
    N, m, n = J.shape
    L = m // block
    U, s, Vt = np.linalg.svd(J, full_matrices=False)  # (N,m,k), (N,k), (N,k,n)
    rho = np.linalg.norm(J.reshape(N, L, block, n), axis=2).sum(axis=1)  # (N, n): sum_l ||J[l, j]||
    alpha = np.einsum("nmk,nm->nk", U, e)
    Ni = np.linalg.norm(U.reshape(N, L, block, -1), axis=2).sum(axis=1)  # (N, k)
    eps = 1e-12 * np.maximum(s[:, :1], 1e-300)
    ok = s > eps
    s_safe = np.where(ok, s, 1.0)
    Mi = np.einsum("nkj,nj->nk", np.abs(Vt), rho) / s_safe
    gamma = np.minimum(1.0, Ni / np.maximum(Mi, 1e-300)) * gamma_max
    phi = (alpha / s_safe)[..., None] * Vt  # (N, k, n)
    phi = clamp_max_abs(phi, gamma)
    phi[~ok] = 0.0
    return clamp_max_abs(phi.sum(axis=1), gamma_max)


class SelectivelyDampedLeastSquares(DampedLeastSquares):
    """Selectively damped least-squares IK (Buss & Kim 2005), clamped to the joint limits.

    Parameters
    ----------
    chain : Chain
    tol_position : float, m
    tol_rotation : float, rad (ignored when ``position_only``)
    max_iterations : int
    gamma_max : float, rad
        Largest joint change per step (the paper's pi/4).
    max_step_position : float, m
    max_step_rotation : float, rad
        Error clamping (``D_max``) before each step.
    position_only : bool
    restarts : int
        Extra random-start tries for unsolved targets (0: the paper's single start).
    seed : int
        Seed of random initial configurations when ``q0`` is not given.
    """

    name = "iklearn-sdls"

    def __init__(
        self,
        chain: Chain,
        *,
        tol_position: float = 1e-6,
        tol_rotation: float = 1e-5,
        max_iterations: int = 500,
        gamma_max: float = np.pi / 4,
        max_step_position: float = 0.2,
        max_step_rotation: float = 0.5,
        position_only: bool = False,
        restarts: int = 0,
        seed: int = 0,
    ) -> None:
        if not gamma_max > 0:
            raise IKLearnError("gamma_max must be positive")
        super().__init__(
            chain, tol_position=tol_position, tol_rotation=tol_rotation, max_iterations=max_iterations,
            adaptive=False, max_step_position=max_step_position, max_step_rotation=max_step_rotation,
            position_only=position_only, restarts=restarts, seed=seed,
        )
        self.gamma_max = float(gamma_max)

    def _step(self, J: np.ndarray, e: np.ndarray, lam: np.ndarray) -> np.ndarray:
        e = clamp_error(e, self.max_step_position, self.max_step_rotation)
        return sdls_step(J, e, self.gamma_max)
