"""Solution sets: up to K distinct IK solutions per target, ranked by a chosen criterion.

A numerical solver finds them by restarts: attempt 0 starts from the seed, the others from configurations
drawn uniformly inside the limits (one seeded stream per attempt; of :data:`CANDIDATES` draws the one
farthest from the solutions already found), all targets of a batch in one batched call per attempt; a solution joins a target's set when it lies at least ``min_distance`` from every member.
A closed-form solver (:class:`~iklearn.solvers.analytic.URAnalyticIK`) gives all its solutions at once.
Solutions that differ by whole turns of a joint whose range spans 2 pi are the same pose reached the same
way, so they count as one (the distance between joint values wraps for those joints).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from iklearn.errors import IKLearnError
from iklearn.kinematics import fk, jacobian, joint_limit_distance, manipulability, pose_error
from iklearn.robot.chain import Chain
from iklearn.solvers._prep_kernel import draw_seeds
from iklearn.solvers.base import IKSolver, prepare

#: Uniform draws per restart of which the one farthest from the solutions found so far is used.
CANDIDATES = 8

Rank = Literal["nearest", "manipulability", "limits"]
RANKS = ("nearest", "manipulability", "limits")


@dataclass(frozen=True)
class SolutionSet:
    """Up to ``K`` distinct valid solutions per target, best first; every field is batched over targets.

    q : (N, K, dof) configurations (rad / m), NaN in the slots beyond ``count``
    valid : (N, K) bool, the slot holds a solution (within the solver's tolerances and the limits)
    position_error : (N, K) m, NaN where not valid
    rotation_error : (N, K) rad, NaN where not valid
    score : (N, K) the ranking value, NaN where not valid: joint distance to the seed (rad, smaller first) for
        ``'nearest'``; Yoshikawa manipulability (larger first) for ``'manipulability'``; normalised distance to
        the nearest joint limit in [0, 0.5] (larger first) for ``'limits'``
    rank : the criterion used
    min_distance : rad / m, the smallest joint distance between two members of a set
    """

    q: np.ndarray
    valid: np.ndarray
    position_error: np.ndarray
    rotation_error: np.ndarray
    score: np.ndarray
    rank: str
    min_distance: float

    def __len__(self) -> int:
        return int(self.q.shape[0])

    @property
    def count(self) -> np.ndarray:
        """(N,) int: solutions found per target."""
        return self.valid.sum(axis=1)

    def solutions(self, i: int) -> np.ndarray:
        """``(count[i], dof)``: the solutions of target ``i``, best first."""
        return self.q[i][self.valid[i]]


def joint_distance(chain: Chain, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Euclidean joint distance ``(...)`` between ``a`` and ``b`` ``(..., dof)``, wrapping revolute joints
    whose range spans 2 pi (q and q + 2 pi are the same solution of such a joint)."""
    d = np.asarray(a, float) - np.asarray(b, float)
    wrap = (chain.joint_types == 0) & (chain.upper - chain.lower >= 2 * np.pi)
    if wrap.any():
        d = np.where(wrap, (d + np.pi) % (2 * np.pi) - np.pi, d)
    return np.sqrt((d * d).sum(axis=-1))


def _scores(chain: Chain, q: np.ndarray, valid: np.ndarray, ref: np.ndarray, rank: str) -> np.ndarray:
    """(N, K) ranking values (smaller is better for 'nearest', larger for the others), NaN where invalid."""
    N, K, n = q.shape
    out = np.full((N, K), np.nan)
    if not valid.any():
        return out
    qv = q[valid]
    if rank == "nearest":
        out[valid] = joint_distance(chain, qv, np.broadcast_to(ref[:, None], q.shape)[valid])
    elif rank == "manipulability":
        out[valid] = manipulability(jacobian(chain, qv)).yoshikawa
    else:
        out[valid] = joint_limit_distance(qv, chain.lower, chain.upper)
    return out


def _candidates_closed_form(solver, T: np.ndarray):
    """All closed-form solutions ``(N, M, dof)`` with validity and errors."""
    q, valid = solver.solve_all(T)
    N, M, n = q.shape
    pe, re = pose_error(fk(solver.chain, np.nan_to_num(q).reshape(-1, n)).reshape(N, M, 4, 4), T[:, None])
    valid &= (pe <= solver.tol_position) & (re <= solver.tol_rotation)
    return q, valid, pe, re


def solve_set(
    solver: IKSolver,
    targets,
    q0=None,
    *,
    n_solutions: int = 8,
    min_distance: float = 0.5,
    rank: Rank = "nearest",
    max_attempts: int | None = None,
    seed: int = 0,
) -> SolutionSet:
    """Up to ``n_solutions`` distinct solutions of each target with ``solver``.

    Parameters
    ----------
    solver : any :class:`IKSolver`; one with ``solve_all`` (closed form) gives all its solutions directly
    targets : (N, 7) / (N, 4, 4) poses, or one (7,) / (4, 4)
    q0 : (N, dof) or (dof,) seeds: the first attempt starts there and ``'nearest'`` ranks by the distance to
        it; None ranks by the distance to the middle of the joint ranges
    n_solutions : K >= 1
    min_distance : rad / m, > 0; two members of a set are at least this far apart (joint distance,
        :func:`joint_distance`)
    rank : 'nearest', 'manipulability' or 'limits' (see :class:`SolutionSet`)
    max_attempts : restarts per target (default ``10 * n_solutions``); a target stops once its set is full
    seed : seed of the restart configurations

    Returns
    -------
    SolutionSet
    """
    if int(n_solutions) != n_solutions or n_solutions < 1:
        raise IKLearnError(f"n_solutions must be a whole number >= 1, got {n_solutions!r}")
    if not (np.isfinite(min_distance) and min_distance > 0):
        raise IKLearnError(f"min_distance must be a positive number (rad), got {min_distance!r}")
    if rank not in RANKS:
        raise IKLearnError(f"rank must be one of {', '.join(RANKS)}, got {rank!r}")
    K = int(n_solutions)
    attempts = 10 * K if max_attempts is None else int(max_attempts)
    if attempts < 1:
        raise IKLearnError(f"max_attempts must be >= 1, got {max_attempts!r}")
    chain = solver.chain
    T, Q0, _ = prepare(chain, targets, q0, seed)
    N, n = T.shape[0], chain.dof
    ref = Q0 if q0 is not None else np.broadcast_to(0.5 * (chain.finite_lower + chain.finite_upper), (N, n))
    q = np.full((N, K, n), np.nan)
    pe = np.full((N, K), np.nan)
    re = np.full((N, K), np.nan)
    count = np.zeros(N, np.int64)

    def offer(rows: np.ndarray, qc: np.ndarray, ok: np.ndarray, pc: np.ndarray, rc: np.ndarray) -> None:
        # add each successful candidate to its target's set unless a member lies within min_distance
        for i, qi, oki, pi, ri in zip(rows, qc, ok, pc, rc):
            if not oki or count[i] >= K:
                continue
            c = count[i]
            if c and (joint_distance(chain, q[i, :c], qi) < min_distance).any():
                continue
            q[i, c], pe[i, c], re[i, c] = qi, pi, ri
            count[i] += 1

    if hasattr(solver, "solve_all"):
        qa, va, pa, ra = _candidates_closed_form(solver, T)
        for m in np.argsort(_best_first(_scores(chain, qa, va, ref, rank), rank), axis=1, kind="stable").T:
            rows = np.arange(N)
            offer(rows, qa[rows, m], va[rows, m], pa[rows, m], ra[rows, m])
    else:
        lo, hi = chain.finite_lower, chain.finite_upper
        for j in range(attempts):
            rows = np.flatnonzero(count < K)
            if rows.size == 0:
                break
            if j == 0:
                starts = np.ascontiguousarray(Q0[rows])
            else:
                # of CANDIDATES uniform draws, start from the one farthest from the solutions found so far, so
                # attempts explore the branches not yet found rather than fall back into the found ones
                cand = np.empty((rows.size * CANDIDATES, n))
                draw_seeds(lo, hi, (int(seed) * 7919 + j) & 0x7FFFFFFFFFFFFFFF, cand)
                cand = cand.reshape(rows.size, CANDIDATES, n)
                members = q[rows]  # (rows, K, n), NaN beyond count
                d = joint_distance(chain, cand[:, :, None, :], members[:, None, :, :])  # (rows, C, K)
                far = np.where(np.isnan(d), np.inf, d).min(axis=2)
                starts = np.ascontiguousarray(cand[np.arange(rows.size), far.argmax(axis=1)])
            # a fresh restart stream per attempt, or the solver's own restarts would retrace the same path
            kw = {"restart_seed": int(seed) * 7919 + j} if getattr(solver, "takes_restart_seed", False) else {}
            r = solver.solve(T[rows], starts, **kw)
            ok = r.success & chain.within_limits(r.q, 1e-9)
            offer(rows, r.q, ok, r.position_error, r.rotation_error)
    valid = np.arange(K)[None, :] < count[:, None]
    score = _scores(chain, q, valid, ref, rank)
    order = np.argsort(_best_first(score, rank), axis=1, kind="stable")
    take = lambda a: np.take_along_axis(a, order if a.ndim == 2 else order[..., None], axis=1)  # noqa: E731
    return SolutionSet(take(q), take(valid), take(pe), take(re), take(score), rank, float(min_distance))


def _best_first(score: np.ndarray, rank: str) -> np.ndarray:
    """Sort keys: ascending = best first, NaN (invalid) last."""
    key = score if rank == "nearest" else -score
    return np.where(np.isnan(key), np.inf, key)
