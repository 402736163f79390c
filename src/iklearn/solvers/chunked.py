"""IK for large batches of targets in chunks, in this process or as tasks on a Ray cluster.

Chunk ``k`` (targets ``[k * chunk_size, (k + 1) * chunk_size)``) is one call of :func:`iklearn.solvers.solve`
with the seed ``seed + k``, so the answers depend on the targets, the options, ``seed`` and ``chunk_size``
only: not on the engine, the number of workers or the order in which chunks finish. A batch of at most
``chunk_size`` targets gets exactly the answers of one ``solve`` call. Results come back in input order.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np

from iklearn._engine import check_engine, map_tasks
from iklearn.errors import IKLearnError, ShapeError
from iklearn.kinematics.pose import as_poses
from iklearn.robot.catalogue import load_robot
from iklearn.robot.chain import Chain
from iklearn.solvers import solve
from iklearn.solvers.result import IKResult


def _solve_chunk(args: tuple) -> IKResult:
    """One chunk: ``args = (chain, targets, q0, seed, options)`` (a Ray task's body)."""
    chain, targets, q0, seed, options = args
    # arrays arriving through Ray's object store are read-only: copy them, so numba sees the same argument
    # types as in a local call and reuses its compiled (cached) kernels instead of compiling new ones
    return solve(chain, np.array(targets), q0=None if q0 is None else np.array(q0), seed=seed, **options)


def solve_chunked(
    robot: Chain | str | Path,
    targets,
    *,
    q0=None,
    seed: int = 0,
    chunk_size: int = 10_000,
    engine: str = "local",
    address: str | None = None,
    base_link: str | None = None,
    tip_link: str | None = None,
    callback: Callable[[int, int], None] | None = None,
    **options,
) -> IKResult:
    """Solve ``targets`` ``(N, 7)`` / ``(N, 4, 4)`` chunk by chunk; the result has the targets' order.

    Parameters
    ----------
    robot, targets, q0, seed, base_link, tip_link, **options : as for :func:`iklearn.solvers.solve`
        (``method``, ``position_only``, tolerances, ...); ``q0`` may be ``(N, dof)`` or one ``(dof,)`` seed.
    chunk_size : targets per call of ``solve`` (per task with ``engine='ray'``)
    engine : ``'local'`` (this process) or ``'ray'`` (chunks as Ray tasks; needs ``iklearn[distributed]``)
    address : Ray cluster to join (``'auto'`` or ``HOST:PORT``); None starts a local Ray instance
    callback : called as ``callback(chunks_done, n_chunks)`` as chunks finish

    Returns
    -------
    IKResult of batch size N
    """
    engine, address = check_engine(engine, address)
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, (int, np.integer)) or chunk_size < 1:
        raise IKLearnError(f"chunk size (--chunk-size) must be a positive integer, got {chunk_size!r}")
    chain = robot if isinstance(robot, Chain) else load_robot(robot, base_link, tip_link)
    solve(chain, np.empty((0, 7)), seed=seed, **options)  # bad options fail here, before any task starts
    _, single = as_poses(targets)
    T = np.asarray(targets, dtype=np.float64)
    if single:
        T = T[None]
    n = T.shape[0]
    Q0 = None if q0 is None else np.asarray(q0, dtype=np.float64)
    per_row = Q0 is not None and Q0.ndim == 2
    if per_row and Q0.shape[0] != n:
        raise ShapeError(f"q0 has {Q0.shape[0]} rows but there are {n} targets; give one seed or one per target")
    spans = [(k, k * chunk_size, min(n, (k + 1) * chunk_size)) for k in range(-(-n // chunk_size))]
    items = [(chain, T[a:b], Q0[a:b] if per_row else Q0, int(seed) + k, options) for k, a, b in spans]
    results: list[IKResult | None] = [None] * len(items)
    for done, (i, res) in enumerate(map_tasks(_solve_chunk, items, engine=engine, address=address), start=1):
        results[i] = res
        if callback is not None:
            callback(done, len(items))
    if not results:
        return IKResult(np.empty((0, chain.dof)), np.empty(0, bool), np.empty(0), np.empty(0), np.empty(0, np.int64))
    return IKResult.concatenate(results)
