"""IK with an acceptance test: restart until the user's ``accept(q)`` (e.g. a collision check) says yes."""

from __future__ import annotations

import time
from typing import Callable

import numpy as np

from iklearn.errors import IKLearnError
from iklearn.solvers._prep_kernel import draw_seeds
from iklearn.solvers.base import IKSolver, prepare, stream_seed
from iklearn.solvers.result import IKResult

#: Attempts per target when no time budget is given.
MAX_ATTEMPTS = 100


def solve_accepted(
    solver: IKSolver,
    targets,
    q0,
    accept: Callable[[np.ndarray], bool],
    *,
    time_budget: float | None = None,
    max_attempts: int = MAX_ATTEMPTS,
    seed: int = 0,
) -> IKResult:
    """Solve each target until ``accept(q)`` returns True for a solution.

    Attempt 0 of a target starts from its seed, the others from configurations drawn uniformly inside the
    limits (a seeded stream per target and attempt). A valid solution that ``accept`` refuses counts in
    ``IKResult.rejected``; a target whose solutions were all refused keeps the last one with
    ``success=False``. The loop ends at ``max_attempts`` per target or, when ``time_budget`` (s, the whole
    call) is given, when it runs out.
    """
    if not callable(accept):
        raise IKLearnError(f"accept must be a function q -> bool, got {type(accept).__name__}")
    chain = solver.chain
    T, Q0, _ = prepare(chain, targets, q0, seed)
    N, n = T.shape[0], chain.dof
    deadline = None if time_budget is None else time.perf_counter() + float(time_budget)
    out = []
    rejected = np.zeros(N, np.int64)
    start = np.empty((1, n))

    for i in range(N):
        best = None
        used = 0
        for j in range(max_attempts):
            if j:
                draw_seeds(chain.finite_lower, chain.finite_upper, stream_seed(seed, i * 7919 + j), start)
            kw = {"restart_seed": int(seed) * 7919 + i * 104729 + j} if getattr(solver, "takes_restart_seed", False) else {}
            r = solver.solve(T[i], Q0[i] if j == 0 else start[0], **kw)
            used += int(r.iterations[0])
            if r.success[0]:
                if bool(accept(r.q[0].copy())):
                    best = r
                    break
                rejected[i] += 1
                best = IKResult(r.q, np.zeros(1, bool), r.position_error, r.rotation_error, r.iterations)
            elif best is None:
                best = r
            if deadline is not None and time.perf_counter() > deadline:
                break
        out.append(IKResult(best.q, best.success, best.position_error, best.rotation_error,
                            np.array([used], np.int64)))
    if not out:
        return IKResult(np.zeros((0, n)), np.zeros(0, bool), np.zeros(0), np.zeros(0), np.zeros(0, np.int64),
                        rejected)
    r = IKResult.concatenate(out)
    return IKResult(r.q, r.success, r.position_error, r.rotation_error, r.iterations, rejected)
