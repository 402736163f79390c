"""Shared pieces of the numerical solvers: target/seed validation and the solver interface."""

from __future__ import annotations

import contextlib
import time
from abc import ABC, abstractmethod
from contextvars import ContextVar
from typing import Callable, Iterator, Sequence

import numpy as np

from iklearn._validate import as_batch
from iklearn.kinematics.pose import as_poses
from iklearn.robot.chain import Chain
from iklearn.solvers.result import IKResult


def stream_seed(*parts: int) -> int:
    """One seed of a splitmix stream (:func:`iklearn.solvers._prep_kernel.draw_seeds`) from integer parts, e.g.
    ``(seed, row)``: each part folds in as ``s -> (s * 1_000_003 + part) mod 2**63``. The one derivation
    every solver uses, so streams of different parts never coincide with a user's ``default_rng(k)``."""
    s = 0
    for v in parts:
        s = (s * 1_000_003 + int(v)) % (1 << 63)
    return s


def prepare(chain: Chain, targets, q0, rng_seed: int | Sequence[int] | None) -> tuple[np.ndarray, np.ndarray, bool]:
    """Validate targets ``(N, 7)`` / ``(N, 4, 4)`` and seeds ``(N, dof)`` / ``(dof,)`` / None.

    Returns ``(T (N,4,4), Q0 (N,dof), single)``; missing seeds are drawn uniformly inside the limits.
    """
    T, single = as_poses(targets)
    N = T.shape[0]
    if q0 is None:
        # a splitmix stream of our own (seed, row): never coincides with a user's default_rng(k) targets, and
        # costs microseconds where creating a NumPy generator costs ~80 us
        from iklearn.solvers._prep_kernel import draw_seeds

        seed = stream_seed(*np.atleast_1d(rng_seed if rng_seed is not None else 0).tolist())
        Q0 = np.empty((N, chain.dof))
        draw_seeds(chain.finite_lower, chain.finite_upper, seed, Q0)
    else:
        Q0, _ = as_batch(q0, chain.dof, "q0 (seed)")
        if Q0.shape[0] == 1 and N != 1:
            Q0 = np.repeat(Q0, N, axis=0)
        elif Q0.shape[0] != N:
            from iklearn.errors import ShapeError

            raise ShapeError(f"q0 has {Q0.shape[0]} rows but there are {N} targets; give one seed or one per target")
    return T, np.ascontiguousarray(Q0), single


class IKSolver(ABC):
    """Interface of every IK solver (ours and the peers' adapters)."""

    name: str = "solver"

    def __init__(self, chain: Chain) -> None:
        self.chain = chain

    @abstractmethod
    def solve(self, targets, q0=None) -> IKResult:
        """Solve ``targets`` (``(N, 7)`` or ``(N, 4, 4)``) from seeds ``q0`` (``(N, dof)``; random if None)."""


#: Wall time (s) one compiled batch call is allowed to hold the interpreter: a Ctrl-C, or a progress update,
#: waits for the running call to return, so :func:`run_in_chunks` sizes slices to about this long.
CHUNK_SECONDS = 0.1

_batch_progress: ContextVar[Callable[[int, int], None] | None] = ContextVar("iklearn_batch_progress", default=None)


@contextlib.contextmanager
def batch_progress(callback: Callable[[int, int], None]) -> Iterator[None]:
    """Within the block, batched solves call ``callback(done, total)`` after each chunk of targets."""
    token = _batch_progress.set(callback)
    try:
        yield
    finally:
        _batch_progress.reset(token)


def run_in_chunks(n: int, step: Callable[[int, int], None], *, first: int = 128) -> None:
    """Call ``step(lo, hi)`` on consecutive slices that cover ``range(n)``, each about ``CHUNK_SECONDS`` long.

    A compiled (numba) batch kernel holds the interpreter for its whole call, so Ctrl-C would wait until a
    batch of any size ends; slices return control often. The first slice has ``first`` targets; later ones
    are sized from the measured rate (growing at most 4x a slice). ``step`` must give the same answers
    whatever the slicing (per-target work, no cross-target state). A batch of at most ``first`` targets is
    one call.
    """
    report = _batch_progress.get()
    lo, size = 0, max(1, int(first))
    while lo < n:
        hi = min(n, lo + size)
        t0 = time.perf_counter()
        step(lo, hi)
        dt = time.perf_counter() - t0
        rate = (hi - lo) / max(dt, 1e-9)
        lo = hi
        if report is not None:
            report(lo, n)
        size = max(1, min(4 * size, int(rate * CHUNK_SECONDS)))
