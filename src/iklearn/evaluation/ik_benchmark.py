"""The IK benchmark: our solver beside TRAC-IK, OptIK and PyBullet on the same targets, in the same run.

Targets are the FK of configurations drawn uniformly inside the joint limits (so they are reachable),
seeds are drawn uniformly inside the limits too. Every solver is scored with our FK and
:func:`~iklearn.kinematics.pose_error`; success needs the configuration inside the limits.

Timing: each target is solved by one call per solver (``solve(T[i], q0[i])``), the solvers interleaved
target by target so that a busy shared CPU slows them all alike; then all targets go to each solver in
batched calls (ours runs them in parallel; the peers loop), ``BATCH_SLICES`` consecutive slices of the
targets, the solvers interleaved slice by slice for the same reason. Times are ``time.perf_counter``
wall-clock, after a warm-up (numba compilation, URDF parsing).
"""

from __future__ import annotations

import os
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Sequence

import numpy as np

from iklearn._validate import check_number, check_seed
from iklearn.errors import IKLearnError
from iklearn.kinematics import fk
from iklearn.robot import load_robot
from iklearn.robot.chain import Chain
from iklearn.solvers.base import IKSolver
from iklearn.solvers.result import IKResult

#: bytes held per target and solver (the per-target results and times), for the size check before a run
BYTES_PER_TARGET = 1200

#: (position m, rotation rad) success thresholds reported by the benchmark.
THRESHOLDS = ((1e-4, 1e-3), (1e-3, 1e-2))
SOLVER_NAMES = ("ours", "tracik", "optik", "pybullet")
#: The batched timing calls each solver on this many consecutive slices of the targets, interleaved.
BATCH_SLICES = 10


@dataclass
class SolverStats:
    """Figures of one solver on one robot. Success rates are fractions in [0, 1]; times in seconds."""

    solver: str
    n: int
    success_1e4: float
    success_1e3: float
    median_time_s: float
    p95_time_s: float
    median_cpu_time_s: float
    batch_time_s: float
    batch_cpu_time_s: float
    throughput_per_s: float
    batch_success_1e4: float
    median_position_error: float
    median_rotation_error: float


@dataclass
class IKBenchmarkResult:
    """What :func:`run_ik_benchmark` returns; ``to_dict`` is what goes into the JSON file."""

    robot: str
    dof: int
    n: int
    seed: int
    stats: list[SolverStats] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)

    def get(self, solver: str) -> SolverStats | None:
        """The stats of ``solver`` (``'ours'``, ``'tracik'``, ...) or None if it did not run."""
        return next((s for s in self.stats if s.solver == solver), None)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def rows(self) -> list[list[Any]]:
        """Table rows: solver, success at both thresholds (%), median / p95 ms, throughput /s, speed-ups. The last
        compares the CPU time of the batched calls (all threads; TRAC-IK runs two too): on a machine loaded
        beyond its cores, a parallel batch waits on descheduled threads (here: a 200-target slice taking 917 ms
        of wall-clock for 6 ms of CPU at load 15), which the wall-clock ratio takes in and the CPU ratio not."""
        ref = self.get("tracik")
        out = []
        for s in self.stats:
            out.append([
                s.solver, round(100 * s.success_1e4, 2), round(100 * s.success_1e3, 2),
                round(1e3 * s.median_time_s, 4), round(1e3 * s.p95_time_s, 4), round(1e3 * s.median_cpu_time_s, 4),
                round(s.throughput_per_s, 1),
                round(ref.median_time_s / s.median_time_s, 2) if ref else None,
                round(s.throughput_per_s / ref.throughput_per_s, 2) if ref else None,
                round(ref.batch_cpu_time_s / s.batch_cpu_time_s, 2) if ref and s.batch_cpu_time_s > 0 else None,
            ])
        return out

    COLUMNS = ["solver", "success % (1e-4 m, 1e-3 rad)", "success % (1e-3 m, 1e-2 rad)", "median ms / target",
               "p95 ms / target", "median CPU ms / target", "batched targets / s", "single speed-up vs TRAC-IK", "batch speed-up vs TRAC-IK",
               "batch CPU speed-up vs TRAC-IK"]


def make_solver(name: str, chain: Chain, *, seed: int = 0, peer_timeout: float = 0.02) -> IKSolver:
    """One benchmark solver by name: ``ours`` (:class:`LevenbergMarquardt`), ``tracik``, ``optik``, ``pybullet``."""
    if name == "ours":
        from iklearn.solvers.lm import LevenbergMarquardt

        # default settings, but an iteration budget of the same order as the peers' time budget
        # (about 1 us per iteration: 10,000 iterations ~ 10 ms < the peers' 20 ms); it only matters for the
        # rare target (~1 in 10,000 on the Panda) whose in-limit solutions have tiny basins
        return LevenbergMarquardt(chain, seed=seed, max_iterations=max(2000, int(peer_timeout * 5e5)))
    from iklearn.solvers import peers

    if name == "tracik":
        return peers.TracIK(chain, timeout=peer_timeout, seed=seed)
    if name == "optik":
        return peers.OptIK(chain, max_time=peer_timeout, seed=seed)
    if name == "pybullet":
        return peers.PyBulletIK(chain, seed=seed)
    raise IKLearnError(f"unknown solver '{name}'; expected one of {', '.join(SOLVER_NAMES)}")


def benchmark_targets(chain: Chain, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``(T (n,4,4), q0 (n,dof))``: FK of uniform configurations inside the limits, and uniform seeds."""
    rng = np.random.default_rng(seed)
    lo, hi = chain.finite_lower, chain.finite_upper
    q_true = rng.uniform(lo, hi, (n, chain.dof))
    q0 = rng.uniform(lo, hi, (n, chain.dof))
    return fk(chain, q_true), q0


def _success(chain: Chain, r: IKResult, tol_p: float, tol_r: float) -> np.ndarray:
    return (r.position_error <= tol_p) & (r.rotation_error <= tol_r) & chain.within_limits(r.q, 1e-9)


def run_ik_benchmark(
    robot: str | Chain,
    n: int = 1000,
    *,
    seed: int = 0,
    solvers: Sequence[str] = ("ours", "tracik", "optik"),
    base_link: str | None = None,
    tip_link: str | None = None,
    peer_timeout: float = 0.02,
    progress=None,
) -> IKBenchmarkResult:
    """Run the IK benchmark on ``n`` random reachable targets of ``robot`` (name, URDF path or Chain).

    Parameters
    ----------
    solvers : names among ``ours, tracik, optik, pybullet``; a peer whose package is missing raises
        :class:`~iklearn.errors.MissingExtraError` (filter with :func:`iklearn.solvers.peers.available_peers`).
    peer_timeout : s, the per-target time budget given to TRAC-IK and OptIK.
    progress : a rich ``Progress`` (or None).

    Returns
    -------
    IKBenchmarkResult
    """
    n = check_number(n, "n", low=1, integer=True)
    seed = check_seed(seed)
    peer_timeout = check_number(peer_timeout, "peer_timeout", low=0.0, low_open=True)
    chain = robot if isinstance(robot, Chain) else load_robot(robot, base_link, tip_link)
    T, q0 = benchmark_targets(chain, n, seed)
    names = list(dict.fromkeys(solvers))
    built = {nm: make_solver(nm, chain, seed=seed, peer_timeout=peer_timeout) for nm in names}
    for s in built.values():  # warm-up: compilation / cache loading of the serial and parallel paths
        s.solve(T[:2], q0[:2])
        s.solve(T[:32], q0[:32])
        s.solve(T[0], q0[0])
    times = {nm: np.empty(n) for nm in names}
    cpu = {nm: np.empty(n) for nm in names}
    parts: dict[str, list[IKResult]] = {nm: [] for nm in names}
    task = progress.add_task(f"IK bench {chain.name}", total=2 * n) if progress is not None else None
    clock = time.perf_counter
    cpu_clock = time.process_time  # all threads of this process: TRAC-IK's two threads count, others' load not
    for i in range(n):
        Ti, qi = T[i], q0[i]
        for nm in names:
            s = built[nm]
            c0 = cpu_clock()
            t0 = clock()
            r = s.solve(Ti, qi)
            times[nm][i] = clock() - t0
            cpu[nm][i] = cpu_clock() - c0
            parts[nm].append(r)
        if task is not None and (i % 50 == 49 or i == n - 1):
            progress.update(task, advance=min(50, i % 50 + 1))
    # batched calls: every solver's targets in BATCH_SLICES consecutive slices, the solvers interleaved slice
    # by slice, so that a burst of load on a shared machine falls on all of them alike (one 0.2 s call of ours
    # beside seconds of a peer's loop was at the mercy of whatever ran in those 0.2 s)
    tb = dict.fromkeys(names, 0.0)
    cb = dict.fromkeys(names, 0.0)
    rbs: dict[str, list[IKResult]] = {nm: [] for nm in names}
    for sl in np.array_split(np.arange(n), min(BATCH_SLICES, n)):
        for nm in names:
            c0 = cpu_clock()
            t0 = clock()
            rbs[nm].append(built[nm].solve(T[sl], q0[sl]))
            tb[nm] += clock() - t0
            cb[nm] += cpu_clock() - c0
    stats = []
    for nm in names:
        rb = IKResult.concatenate(rbs[nm])
        r = IKResult.concatenate(parts[nm])
        stats.append(SolverStats(
            solver=nm, n=n,
            success_1e4=float(_success(chain, r, *THRESHOLDS[0]).mean()),
            success_1e3=float(_success(chain, r, *THRESHOLDS[1]).mean()),
            median_time_s=float(np.median(times[nm])), p95_time_s=float(np.percentile(times[nm], 95)),
            median_cpu_time_s=float(np.median(cpu[nm])),
            batch_time_s=tb[nm], batch_cpu_time_s=cb[nm], throughput_per_s=n / tb[nm],
            batch_success_1e4=float(_success(chain, rb, *THRESHOLDS[0]).mean()),
            median_position_error=float(np.median(r.position_error)),
            median_rotation_error=float(np.median(r.rotation_error)),
        ))
        if task is not None:
            progress.update(task, advance=n / len(names))
    settings = {"solvers": names, "peer_timeout_s": peer_timeout, "thresholds": THRESHOLDS,
                "ours": _describe(built.get("ours")), "targets": "FK of uniform q inside the limits",
                "seeds": "uniform inside the limits", "threading": _threading_note(), "timing": "time.perf_counter wall-clock (and time.process_time CPU), interleaved, after warm-up", "batch": f"{BATCH_SLICES} slices per solver, interleaved"}
    return IKBenchmarkResult(robot=chain.name, dof=chain.dof, n=n, seed=seed, stats=stats, settings=settings)


def _describe(s: IKSolver | None) -> dict[str, Any]:
    if s is None:
        return {}
    keys = ("tol_position", "tol_rotation", "max_iterations", "iterations_per_try", "stall_window", "stall_ratio")
    return {k: getattr(s, k) for k in keys if hasattr(s, k)}


def _threading_note() -> str:
    try:
        import numba

        layer = numba.threading_layer()
    except (ImportError, ValueError):
        layer = "not initialised"
    return f"numba threading layer {layer}, OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', 'unset')}"
