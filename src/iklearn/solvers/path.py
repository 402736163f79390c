"""Paths: IK along a sequence of poses, each row seeded by the previous solution, with jumps flagged.

A *discontinuity* is a joint step out of proportion to the Cartesian step: ``max_j |q_i - q_{i-1}|`` (rad /
m) above ``max(max_joint_rate * d_i, min_jump)``, where ``d_i = |dp| + rotation_scale * dtheta`` (m) is the
step between the two target poses (between ``FK(q0)`` and the first pose for row 0). The same measure
scores any solver's answers (:func:`path_steps`), so a peer run with chained seeds is judged alike.

:func:`solve_path` keeps to the seed's branch (the solver should restart near the seed, e.g. LM with
``nearest=True``). When a row still jumps, it re-tracks the step through up to ``max_substeps`` interpolated
poses (position linear, rotation along the geodesic); if that crosses without a jump the row is kept
continuous, otherwise the jump is unavoidable on this path and the row says why: ``'limit'`` (a joint at a
limit of its range just before the jump), ``'singularity'`` (the Jacobian's inverse condition number below
``1e-3`` there) or ``'branch'`` (neither: the tracked solution ran out of its branch), or ``'unreachable'`` when
the row has no solution at all.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from iklearn._validate import as_batch
from iklearn.errors import IKLearnError
from iklearn.kinematics import fk, jacobian, manipulability, pose_error
from iklearn.kinematics.pose import rotation_angle
from iklearn.robot.chain import Chain
from iklearn.solvers.base import IKSolver, prepare
from iklearn.solvers.result import IKResult

#: Default ratio of joint step (rad) to Cartesian step (m) above which a step is a discontinuity.
MAX_JOINT_RATE = 50.0
#: Joint steps at or below this (rad / m) are never flagged, whatever the Cartesian step.
MIN_JUMP = 1e-3
#: m per rad: how much a rotation of the target counts in the Cartesian step.
ROTATION_SCALE = 0.1
REASONS = ("", "limit", "singularity", "branch", "unreachable")


@dataclass(frozen=True)
class PathResult:
    """IK along a path; every field has the number of path rows ``N`` first.

    q : (N, dof) configurations (rad / m)
    success, position_error, rotation_error, iterations : (N,) as in :class:`IKResult`
    joint_step : (N,) largest joint move from the previous row (from ``q0`` for row 0; 0 without ``q0``)
    cartesian_step : (N,) m, ``|dp| + rotation_scale * dtheta`` between consecutive target poses
    discontinuity : (N,) bool, the joint step is out of proportion to the Cartesian step
    reason : (N,) str, why a row is flagged or failed: '' (fine), 'limit', 'singularity', 'branch',
        'unreachable'
    """

    q: np.ndarray
    success: np.ndarray
    position_error: np.ndarray
    rotation_error: np.ndarray
    iterations: np.ndarray
    joint_step: np.ndarray
    cartesian_step: np.ndarray
    discontinuity: np.ndarray
    reason: np.ndarray

    def __len__(self) -> int:
        return int(self.q.shape[0])

    @property
    def discontinuities(self) -> np.ndarray:
        """Indices of the flagged rows."""
        return np.flatnonzero(self.discontinuity)

    @property
    def result(self) -> IKResult:
        """The per-row solutions as an :class:`IKResult`."""
        return IKResult(self.q, self.success, self.position_error, self.rotation_error, self.iterations)


def cartesian_steps(T: np.ndarray, T_start: np.ndarray | None, rotation_scale: float = ROTATION_SCALE) -> np.ndarray:
    """(N,) m: ``|dp| + rotation_scale * dtheta`` between consecutive poses of ``T`` (N, 4, 4); row 0 is
    measured from ``T_start`` (4, 4), or 0 when it is None."""
    prev = np.concatenate([T[:1] if T_start is None else T_start[None], T[:-1]])
    pe, re = pose_error(T, prev)
    return pe + rotation_scale * re


def path_steps(
    q: np.ndarray,
    T: np.ndarray,
    q0: np.ndarray | None = None,
    *,
    chain: Chain,
    max_joint_rate: float = MAX_JOINT_RATE,
    min_jump: float = MIN_JUMP,
    rotation_scale: float = ROTATION_SCALE,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Score a path's answers: ``(joint_step, cartesian_step, discontinuity)``, each (N,).

    ``q`` (N, dof) answers to the poses ``T`` (N, 4, 4); ``q0`` (dof,) the configuration before row 0.
    """
    q = np.asarray(q, float)
    prev = np.concatenate([q[:1] if q0 is None else np.asarray(q0, float)[None], q[:-1]])
    js = np.abs(q - prev).max(axis=1) if q.size else np.zeros(q.shape[0])
    cs = cartesian_steps(T, None if q0 is None else fk(chain, q0), rotation_scale)
    return js, cs, js > np.maximum(max_joint_rate * cs, min_jump)


def _interpolate(A: np.ndarray, B: np.ndarray, m: int) -> np.ndarray:
    """(m, 4, 4): poses from A (excluded) to B (included), position linear, rotation along the geodesic."""
    out = np.tile(np.eye(4), (m, 1, 1))
    s = np.arange(1, m + 1) / m
    out[:, :3, 3] = A[:3, 3] + s[:, None] * (B[:3, 3] - A[:3, 3])
    M = A[:3, :3].T @ B[:3, :3]  # relative rotation, in A's frame
    th = float(rotation_angle(np.eye(3), M))
    v = np.array([M[2, 1] - M[1, 2], M[0, 2] - M[2, 0], M[1, 0] - M[0, 1]])
    if th < 1e-12 or np.linalg.norm(v) < 1e-12:
        out[:, :3, :3] = A[:3, :3] if th < 1e-12 else B[:3, :3]
        return out
    k = v / np.linalg.norm(v)
    Kx = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    for j, sj in enumerate(s):
        a = sj * th
        out[j, :3, :3] = A[:3, :3] @ (np.eye(3) + np.sin(a) * Kx + (1 - np.cos(a)) * Kx @ Kx)
    return out


def _reason(chain: Chain, q: np.ndarray) -> str:
    """Why a jump starting at ``q`` is unavoidable: a joint on a limit, a singular Jacobian, or the branch."""
    lo, hi = chain.lower, chain.upper
    span = np.where(np.isfinite(hi - lo), hi - lo, np.inf)
    free = span > 0  # locked joints sit on both limits by design
    near = free & ((q - lo <= 1e-3 * span) | (hi - q <= 1e-3 * span))
    if near.any():
        return "limit"
    if manipulability(jacobian(chain, q)).inverse_condition[0] < 1e-3:
        return "singularity"
    return "branch"


def solve_path(
    solver: IKSolver,
    poses,
    q0=None,
    *,
    max_joint_rate: float = MAX_JOINT_RATE,
    min_jump: float = MIN_JUMP,
    rotation_scale: float = ROTATION_SCALE,
    max_substeps: int = 32,
) -> PathResult:
    """Follow ``poses`` with ``solver``, seeding each row by the previous solution.

    Parameters
    ----------
    solver : any :class:`IKSolver` (e.g. LM with ``nearest=True``, restarts drawn near the seed)
    poses : (N, 7) / (N, 4, 4) target poses along the path
    q0 : (dof,) configuration the path starts from; None solves row 0 from a random seed
    max_joint_rate : rad per m (> 0); a joint step above ``max_joint_rate`` times the Cartesian step (and
        above ``min_jump``) is a discontinuity
    min_jump : rad / m (>= 0), joint steps at or below it are never flagged
    rotation_scale : m per rad (>= 0), weight of the rotation in the Cartesian step
    max_substeps : >= 1; how finely a jumping row is re-tracked before the jump is declared unavoidable
        (1 switches re-tracking off)

    Returns
    -------
    PathResult
    """
    for name, v, lo in (("max_joint_rate", max_joint_rate, 0.0), ("min_jump", min_jump, None),
                        ("rotation_scale", rotation_scale, None)):
        if not np.isfinite(v) or v < 0 or (lo is not None and v <= lo):
            raise IKLearnError(f"{name} must be a finite number {'> 0' if lo is not None else '>= 0'}, got {v!r}")
    if int(max_substeps) != max_substeps or max_substeps < 1:
        raise IKLearnError(f"max_substeps must be a whole number >= 1, got {max_substeps!r}")
    chain = solver.chain
    T, _, _ = prepare(chain, poses, np.zeros(chain.dof), 0)
    N, n = T.shape[0], chain.dof
    if q0 is not None:
        q_start, _ = as_batch(q0, n, "q0 (start configuration)")
        if q_start.shape[0] != 1:
            raise IKLearnError(f"q0 must be one configuration ({n},) for a path, got {q_start.shape[0]} rows")
        q_prev = chain.clip(q_start[0])
    cs = cartesian_steps(T, None if q0 is None else fk(chain, q_prev), rotation_scale)
    q = np.empty((N, n))
    succ = np.zeros(N, bool)
    pe, re = np.empty(N), np.empty(N)
    iters = np.zeros(N, np.int64)
    js = np.zeros(N)
    flag = np.zeros(N, bool)
    reason = np.full(N, "", dtype=f"<U{max(len(r) for r in REASONS)}")
    for i in range(N):
        if i == 0 and q0 is None:
            r = solver.solve(T[0])
        else:
            r = solver.solve(T[i], q_prev)
            step = float(np.abs(r.q[0] - q_prev).max())
            limit = max(max_joint_rate * cs[i], min_jump)
            if (not r.success[0] or step > limit) and max_substeps > 1:
                rs, its, why = _retrack(solver, chain, q_prev, T[i], max_substeps, max_joint_rate, min_jump,
                                        rotation_scale)
                better = rs.success[0] and (not r.success[0] or float(np.abs(rs.q[0] - q_prev).max()) <= step)
                if better:
                    r = IKResult(rs.q, rs.success, rs.position_error, rs.rotation_error, rs.iterations + its)
                    step = float(np.abs(r.q[0] - q_prev).max())
                # continuous sub-steps: the row is continuous even if their floors add up past the limit
                flag[i] = step > limit and not (better and not why)
                reason[i] = why if flag[i] else ""
            else:
                flag[i] = step > limit
                if flag[i]:
                    reason[i] = _reason(chain, q_prev)
            js[i] = step
        q[i], succ[i], pe[i], re[i], iters[i] = r.q[0], r.success[0], r.position_error[0], r.rotation_error[0], \
            r.iterations[0]
        if not succ[i]:
            reason[i] = "unreachable"
        q_prev = q[i]
    return PathResult(q, succ, pe, re, iters, js, cs, flag, reason)


def _retrack(solver, chain, q_prev, T_target, m, max_joint_rate, min_jump, rotation_scale):
    """Track from ``q_prev`` to ``T_target`` through ``m`` interpolated poses.

    Returns ``(result at the target, iterations of the earlier sub-steps, reason)``; reason is '' when every
    sub-step was continuous, else the reason at the first sub-step that jumped (tracking then finishes at the
    target from where the jump landed).
    """
    A = fk(chain, q_prev)
    poses = _interpolate(A, T_target, m)
    cs = cartesian_steps(poses, A, rotation_scale)
    q = q_prev
    its = 0
    for k in range(m - 1):
        r = solver.solve(poses[k], q)
        its += int(r.iterations[0])
        if not r.success[0] or np.abs(r.q[0] - q).max() > max(max_joint_rate * cs[k], min_jump):
            return solver.solve(T_target, r.q[0] if r.success[0] else q), its, _reason(chain, q)
        q = r.q[0]
    r = solver.solve(T_target, q)
    jumped = not r.success[0] or np.abs(r.q[0] - q).max() > max(max_joint_rate * cs[-1], min_jump)
    return r, its, (_reason(chain, q) if jumped else "")
