"""Issue 2: our Levenberg-Marquardt IK beside TRAC-IK, OptIK and PyBullet (success, latency, throughput).

Sizes: ``tiny`` (Panda, 30 targets: a smoke test), ``quick`` (Panda 1,000 targets, UR5 / iiwa14 / arm5
300 each: about a minute), ``full`` (Panda 10,000, the others 2,000 each).
"""

from __future__ import annotations

import time
from pathlib import Path

from iklearn.evaluation.ik_benchmark import IKBenchmarkResult, run_ik_benchmark
from iklearn.evaluation.plotting import plt
from iklearn.evaluation.record import Claim, ExperimentResult, Table, machine_info, save_json
from iklearn.solvers.peers import available_peers

NAME = "ik-bench"
TITLE = "Issue 2: fast limit-respecting numerical IK vs TRAC-IK, OptIK and PyBullet"

_SIZES = {
    "tiny": {"panda": 30},
    "quick": {"panda": 1000, "ur5": 300, "iiwa14": 300, "arm5": 300},
    "full": {"panda": 10000, "ur5": 2000, "iiwa14": 2000, "arm5": 2000},
}
# published (REFERENCE.md, Panda, 1,000 targets, 1e-3 m / 1e-2 rad, 2-core machine)
_PUBLISHED = {"tracik": "99.7 %, 0.89 ms (20 ms budget)", "optik": "100 %, 0.53 ms", "pybullet": "5 % in limits, 1.4 ms"}


def _solvers() -> list[str]:
    return ["ours"] + available_peers()


def run(out: Path, size: str = "quick", seed: int = 0, progress=None) -> ExperimentResult:
    """Run the benchmark on each robot of the size, write tables, claims, a figure and the JSON figures."""
    t_start = time.perf_counter()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    res = ExperimentResult(name=NAME, title=TITLE, size=size, seed=seed,
                           command=f"iklearn reproduce {NAME} --{size} --seed {seed}")
    solvers = _solvers()
    results: dict[str, IKBenchmarkResult] = {}
    for robot, n in _SIZES[size].items():
        results[robot] = run_ik_benchmark(robot, n, seed=seed, solvers=solvers, progress=progress)
    save_json(out / "bench_ik.json", {"machine": machine_info(), "results": {k: v.to_dict() for k, v in results.items()}})
    res.data.append("bench_ik.json")
    for robot, r in results.items():
        pub = "published (REFERENCE.md, Panda, 1e-3 m): " + "; ".join(f"{k}: {v}" for k, v in _PUBLISHED.items())
        res.tables.append(Table(title=f"{robot} ({r.dof} DOF), {r.n} random reachable targets, random seeds",
                                columns=list(IKBenchmarkResult.COLUMNS), rows=r.rows(), note=pub if robot == "panda" else ""))
    res.claims.extend(_claims(results))
    res.figures.append(_figure(out, results))
    missing = {"tracik", "optik", "pybullet"} - set(solvers)
    if missing:
        res.notes.append(f"peers not installed here, not measured: {', '.join(sorted(missing))}")
    res.notes.append("Times are wall-clock on a shared machine; the solvers are interleaved target by target, so "
                     "compare the ratios. Peers run one target per call, also in the 'batched' column.")
    res.wall_time_s = time.perf_counter() - t_start
    res.save(out)
    return res


def _pct(x: float) -> str:
    return f"{100 * x:.2f} %"


def _claims(results: dict[str, IKBenchmarkResult]) -> list[Claim]:
    """Our solver against the peers measured in the same run (no paper: every claim is ours, 'extension')."""
    claims = []
    for robot, r in results.items():
        o = r.get("ours")
        peers = [s for s in r.stats if s.solver in ("tracik", "optik")]
        floor = 99.9 if robot == "panda" else 99.5
        claims.append(Claim(
            f"ik-bench.{robot}.success", f"{robot}: success at 1e-4 m / 1e-3 rad, in limits (n={r.n})", "extension",
            100 * o.success_1e4, ">=", floor, unit="%",
            detail="peers " + (", ".join(f"{s.solver} {_pct(s.success_1e4)}" for s in peers) or "not run")))
        if peers:
            claims.append(Claim(
                f"ik-bench.{robot}.success-vs-peers",
                f"{robot}: our success minus the best peer's (TRAC-IK, OptIK), percentage points", "extension",
                100 * (o.success_1e4 - max(s.success_1e4 for s in peers)), ">=", 0.0, unit="pp"))
    p = results["panda"]
    ours, tr, op = p.get("ours"), p.get("tracik"), p.get("optik")
    if tr is not None:
        claims.append(Claim(
            "ik-bench.panda.median-speedup-tracik", "Panda single-target median time: TRAC-IK's over ours",
            "extension", tr.median_time_s / ours.median_time_s, ">=", 5.0, unit="x",
            detail=f"ours {1e3 * ours.median_time_s:.3f} ms, TRAC-IK {1e3 * tr.median_time_s:.3f} ms",
            published=f"TRAC-IK {_PUBLISHED['tracik']}", source="REFERENCE.md peer table"))
        claims.append(Claim(
            "ik-bench.panda.throughput-ratio-tracik", "Panda batched throughput (all targets in one call) over "
            "TRAC-IK's", "extension", ours.throughput_per_s / tr.throughput_per_s, ">=", 20.0, unit="x",
            detail=f"{ours.throughput_per_s:.0f} /s vs {tr.throughput_per_s:.0f} /s"))
    if op is not None:
        claims.append(Claim(
            "ik-bench.panda.median-speedup-optik", "Panda single-target median time: OptIK's over ours",
            "extension", op.median_time_s / ours.median_time_s, ">", 1.0, unit="x",
            detail=f"OptIK {1e3 * op.median_time_s:.3f} ms"))
    return claims


def _figure(out: Path, results: dict[str, IKBenchmarkResult]) -> str:
    pyplot = plt()
    fig, axes = pyplot.subplots(1, 2, figsize=(11, 4))
    robots = list(results)
    names = [s.solver for s in results[robots[0]].stats]
    width = 0.8 / max(1, len(names))
    for k, nm in enumerate(names):
        xs = [i + k * width for i in range(len(robots))]
        med = [1e3 * (results[r].get(nm).median_time_s if results[r].get(nm) else float("nan")) for r in robots]
        suc = [100 * (results[r].get(nm).success_1e4 if results[r].get(nm) else float("nan")) for r in robots]
        axes[0].bar(xs, med, width, label=nm)
        axes[1].bar(xs, suc, width, label=nm)
    for ax, lab in zip(axes, ("median time per target (ms, log)", "success % at 1e-4 m / 1e-3 rad")):
        ax.set_xticks([i + 0.4 - width / 2 for i in range(len(robots))], robots)
        ax.set_ylabel(lab)
    axes[0].set_yscale("log")
    axes[1].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "ik_bench.png", dpi=110)
    pyplot.close(fig)
    return "ik_bench.png"
