"""Resolved-rate motion control with null-space optimisation (Liegeois 1977).

The velocity law (paper 002, eq. 5) is::

    qdot = J^+ xdot - alpha (I - J^+ J) grad g(q)

``g`` is a secondary criterion to *minimise* inside the null space of the task (the same law as
``J^+ xdot + alpha (I - J^+ J) grad H`` with ``H = -g``). Two criteria are provided:

* rest posture: ``g = 1/2 sum_i w_i (q_i - q_rest_i)^2``;
* joint-limit avoidance (Liegeois' own): ``g = 1/(2n) sum_i ((q_i - mid_i) / (upper_i - lower_i))^2``.

:func:`track` follows a Cartesian trajectory (position or full pose) with the proportional correction
``xdot = xdot_d + K (x_d - x)`` and integrates ``q`` with explicit Euler steps, clamped to the joint limits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Literal

import numpy as np

from iklearn._validate import as_batch, check_finite
from iklearn.errors import IKLearnError, ShapeError
from iklearn.kinematics.fk import fk, fk_and_jacobian
from iklearn.kinematics.pose import as_poses, pose_error, task_error
from iklearn.robot.chain import Chain

Criterion = Literal["none", "rest", "limits"]


def rest_posture_gradient(q: np.ndarray, q_rest: np.ndarray, weights: np.ndarray | float = 1.0) -> np.ndarray:
    """Gradient ``(N, dof)`` of ``g = 1/2 sum w_i (q_i - q_rest_i)^2``."""
    return np.asarray(weights, float) * (np.atleast_2d(q) - np.asarray(q_rest, float))


def joint_limit_gradient(q: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """Gradient ``(N, dof)`` of Liegeois' ``g = 1/(2n) sum ((q_i - mid_i) / range_i)^2``.

    Joints without finite limits contribute nothing.
    """
    q = np.atleast_2d(q)
    lo, hi = np.asarray(lower, float), np.asarray(upper, float)
    fin = np.isfinite(lo) & np.isfinite(hi) & (hi > lo)
    rng = np.where(fin, hi - lo, 1.0)
    mid = np.where(fin, 0.5 * (lo + hi), 0.0)
    return np.where(fin, (q - mid) / rng**2, 0.0) / q.shape[1]


def _criterion_gradient(chain: Chain, q: np.ndarray, criterion, q_rest, weights) -> np.ndarray:
    if callable(criterion):
        return np.asarray(criterion(q), float).reshape(q.shape)
    if criterion == "none":
        return np.zeros_like(q)
    if criterion == "rest":
        if q_rest is None:
            raise IKLearnError("criterion 'rest' needs q_rest (a (dof,) posture)")
        return rest_posture_gradient(q, q_rest, weights)
    if criterion == "limits":
        return joint_limit_gradient(q, chain.lower, chain.upper)
    raise IKLearnError(f"criterion must be 'none', 'rest', 'limits' or a callable, got {criterion!r}")


def pinv(J: np.ndarray, damping: float = 0.0, rcond: float = 1e-10) -> np.ndarray:
    """(Damped) pseudo-inverse ``(N, dof, m)`` of ``J`` ``(N, m, dof)`` (or ``(dof, m)`` of one ``(m, dof)``).

    ``damping = 0`` gives the Moore-Penrose inverse (SVD, singular values below ``rcond`` relative to the
    largest dropped); otherwise ``J^T (J J^T + damping^2 I)^-1``.
    """
    if damping > 0:
        Jb = J if J.ndim == 3 else J[None]
        A = np.einsum("nij,nkj->nik", Jb, Jb) + damping**2 * np.eye(Jb.shape[1])
        Jd = np.einsum("nij,njk->nik", Jb.transpose(0, 2, 1), np.linalg.inv(A))
        return Jd if J.ndim == 3 else Jd[0]
    return np.linalg.pinv(J, rcond=rcond)


def nullspace_rate(J: np.ndarray, xdot: np.ndarray, grad: np.ndarray, alpha: float, *, damping: float = 0.0,
                   rcond: float = 1e-10) -> np.ndarray:
    """The Liegeois law ``qdot = J^+ xdot - alpha (I - J^+ J) grad g`` for given Jacobians.

    ``J`` ``(m, dof)`` with ``xdot`` ``(m,)`` and ``grad`` ``(dof,)``, or a batch ``(N, m, dof)``, ``(N, m)``,
    ``(N, dof)``; ``damping`` and ``rcond`` as in :func:`pinv`. The projector ``I - J^+ J`` is applied
    without forming it. Returns ``(dof,)`` or ``(N, dof)`` joint velocities.
    """
    Jp = pinv(J, damping, rcond)
    if J.ndim == 2:
        return Jp @ xdot - alpha * (grad - Jp @ (J @ grad))
    qd = np.einsum("nij,nj->ni", Jp, xdot)
    if alpha != 0.0:
        qd -= alpha * (grad - np.einsum("nij,nj->ni", Jp, np.einsum("nij,nj->ni", J, grad)))
    return qd


def rmrc_step(
    chain: Chain,
    q: np.ndarray,
    xdot: np.ndarray,
    *,
    alpha: float = 0.0,
    criterion: Criterion | Callable[[np.ndarray], np.ndarray] = "none",
    q_rest: np.ndarray | None = None,
    weights: np.ndarray | float = 1.0,
    position_only: bool = True,
    damping: float = 0.0,
) -> np.ndarray:
    """Joint velocities of the Liegeois law ``qdot = J^+ xdot - alpha (I - J^+ J) grad g(q)``.

    Parameters
    ----------
    chain : Chain
    q : (N, dof) or (dof,) configurations (rad / m)
    xdot : (N, 3) (position only) or (N, 6) ``[v; w]`` world-frame task velocities (m/s, rad/s)
    alpha : float
        Null-space gain (>= 0 decreases ``g``).
    criterion : 'none', 'rest', 'limits', or a callable ``q (N, dof) -> grad g (N, dof)``
    q_rest : (dof,) rest posture for ``'rest'``
    weights : (dof,) or float, joint weights of the rest-posture criterion
    position_only : bool
        Use the 3 linear rows of the Jacobian (``xdot`` (N, 3)).
    damping : float
        0: exact pseudo-inverse; > 0: damped (robust at singularities, biased elsewhere).

    Returns
    -------
    (N, dof) or (dof,) joint velocities.
    """
    Q, single = as_batch(q, chain.dof, "q")
    m = 3 if position_only else 6
    X, _ = as_batch(xdot, m, "xdot")
    if X.shape[0] != Q.shape[0]:
        raise ShapeError(f"xdot has {X.shape[0]} rows but q has {Q.shape[0]}")
    _, J = fk_and_jacobian(chain, Q, "world")
    qd = _law(chain, Q, J[:, :m], X, alpha, criterion, q_rest, weights, damping)
    return qd[0] if single else qd


def _law(chain, Q, J, X, alpha, criterion, q_rest, weights, damping):
    if alpha == 0.0 or criterion == "none":
        return nullspace_rate(J, X, np.zeros_like(Q), 0.0, damping=damping)
    return nullspace_rate(J, X, _criterion_gradient(chain, Q, criterion, q_rest, weights), alpha, damping=damping)


@dataclass(frozen=True)
class TrackingResult:
    """Joint trajectory and tracking errors of :func:`track`.

    q : (T, dof) configuration at each trajectory sample (after the step towards it)
    qdot : (T, dof) joint velocity commanded at each step (rad/s)
    position_error : (T,) m, distance of FK(q) to the desired position
    rotation_error : (T,) rad (zeros when position only)
    criterion : (T,) value of ``g(q)`` (NaN for a callable criterion)
    """

    q: np.ndarray
    qdot: np.ndarray
    position_error: np.ndarray
    rotation_error: np.ndarray
    criterion: np.ndarray


def track(
    chain: Chain,
    trajectory: np.ndarray,
    q0: np.ndarray,
    *,
    dt: float = 0.01,
    velocities: np.ndarray | None = None,
    gain: float = 10.0,
    alpha: float = 0.0,
    criterion: Criterion | Callable[[np.ndarray], np.ndarray] = "none",
    q_rest: np.ndarray | None = None,
    weights: np.ndarray | float = 1.0,
    damping: float = 0.0,
    clamp_limits: bool = True,
) -> TrackingResult:
    """Follow a Cartesian trajectory with resolved-rate control plus null-space optimisation.

    Parameters
    ----------
    chain : Chain
    trajectory : (T, 3) positions (position-only tracking), or (T, 7) / (T, 4, 4) poses (full pose)
    q0 : (dof,) start configuration
    dt : float, s, time between samples
    velocities : (T, 3) or (T, 6), optional desired task velocities; default finite differences of the
        trajectory (world frame; angular part as rotation vectors per ``dt``)
    gain : float, 1/s
        Proportional correction ``K`` of the task error.
    alpha, criterion, q_rest, weights, damping : see :func:`rmrc_step`
    clamp_limits : bool
        Clamp ``q`` into the joint limits after each step.

    Returns
    -------
    TrackingResult
    """
    if dt <= 0:
        raise IKLearnError("dt must be positive")
    traj = np.asarray(trajectory, float)
    if traj.ndim == 2 and traj.shape[1] == 3:
        position_only = True
        check_finite(traj, "trajectory")
        Td = np.tile(np.eye(4), (traj.shape[0], 1, 1))
        Td[:, :3, 3] = traj
    else:
        position_only = False
        Td, _ = as_poses(traj, "trajectory")
    m = 3 if position_only else 6
    n_t = Td.shape[0]
    q, _ = as_batch(q0, chain.dof, "q0")
    if q.shape[0] != 1:
        raise ShapeError("q0 must be one configuration (dof,)")
    q = chain.clip(q) if clamp_limits else q.copy()
    if velocities is None:
        V = np.zeros((n_t, 6))
        if n_t > 1:
            V[1:] = task_error(Td[:-1], Td[1:]) / dt  # [p_next - p_prev; log(R_next R_prev^T)]
        V = V[:, :m]
    else:
        V, _ = as_batch(velocities, m, "velocities")
        if V.shape[0] != n_t:
            raise ShapeError(f"velocities has {V.shape[0]} rows, the trajectory {n_t}")
    out_q = np.empty((n_t, chain.dof))
    out_qd = np.empty((n_t, chain.dof))
    for t in range(n_t):
        T, J = fk_and_jacobian(chain, q, "world")
        e = task_error(T, Td[t : t + 1])[:, :m]
        qd = _law(chain, q, J[:, :m], V[t : t + 1] + gain * e, alpha, criterion, q_rest, weights, damping)
        q = q + dt * qd
        if clamp_limits:
            q = chain.clip(q)
        out_q[t], out_qd[t] = q[0], qd[0]
    pe, re = pose_error(fk(chain, out_q), Td)
    if position_only:
        re = np.zeros_like(pe)
    return TrackingResult(out_q, out_qd, pe, re, criterion_value(chain, out_q, criterion, q_rest, weights))


def criterion_value(chain: Chain, q: np.ndarray, criterion, q_rest=None, weights=1.0) -> np.ndarray:
    """``(N,)`` value of a named criterion ``g`` at ``q`` (NaN for a callable, 0 for ``'none'``)."""
    q = np.atleast_2d(q)
    if callable(criterion):
        return np.full(q.shape[0], np.nan)
    if criterion == "rest":
        w = np.broadcast_to(np.asarray(weights, float), (q.shape[1],))
        return 0.5 * np.sum(w * (q - np.asarray(q_rest, float)) ** 2, axis=1)
    if criterion == "limits":
        lo, hi = chain.lower, chain.upper
        fin = np.isfinite(lo) & np.isfinite(hi) & (hi > lo)
        z = np.where(fin, (q - np.where(fin, 0.5 * (lo + hi), 0)) / np.where(fin, hi - lo, 1.0), 0.0)
        return 0.5 * np.sum(z**2, axis=1) / q.shape[1]
    return np.zeros(q.shape[0])
