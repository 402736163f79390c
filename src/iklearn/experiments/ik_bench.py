"""Issue 2: our Levenberg-Marquardt IK beside TRAC-IK, OptIK and PyBullet (success, latency, throughput).

Sizes: ``tiny`` (Panda, 30 targets: a smoke test), ``quick`` (Panda 1,000 targets, UR5 / iiwa14 / arm5
300 each: about a minute), ``full`` (Panda 10,000, the others 2,000 each).
"""

from __future__ import annotations

import time
from pathlib import Path

from iklearn.evaluation.ik_benchmark import IKBenchmarkResult, run_ik_benchmark
from iklearn.experiments.base import Claim, ExperimentResult, Table, machine_info, plt, save_json

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
    from iklearn.solvers.peers import available_peers

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
    claims = []
    p = results["panda"]
    ours = p.get("ours")
    peers = [s for s in p.stats if s.solver in ("tracik", "optik")]
    claims.append(Claim(
        what=f"Panda success at 1e-4 m / 1e-3 rad, in limits (n={p.n})",
        ours=_pct(ours.success_1e4) + "; peers " + ", ".join(f"{s.solver} {_pct(s.success_1e4)}" for s in peers),
        target=">= 99.9 % and not below TRAC-IK or OptIK",
        met=ours.success_1e4 >= 0.999 and all(ours.success_1e4 >= s.success_1e4 for s in peers)))
    tr, op = p.get("tracik"), p.get("optik")
    if tr is not None and op is not None:
        claims.append(Claim(
            what="Panda single-target median time",
            ours=f"{1e3 * ours.median_time_s:.3f} ms; TRAC-IK {1e3 * tr.median_time_s:.3f} ms "
                 f"(x{tr.median_time_s / ours.median_time_s:.1f}), OptIK {1e3 * op.median_time_s:.3f} ms",
            target="<= 1/5 of TRAC-IK's and below OptIK's", published=f"TRAC-IK {_PUBLISHED['tracik']}",
            met=ours.median_time_s <= tr.median_time_s / 5 and ours.median_time_s < op.median_time_s))
    if tr is not None:
        claims.append(Claim(
            what="Panda batched throughput (all targets in one call)",
            ours=f"{ours.throughput_per_s:.0f} /s vs TRAC-IK {tr.throughput_per_s:.0f} /s "
                 f"(x{ours.throughput_per_s / tr.throughput_per_s:.1f})",
            target=">= 20x TRAC-IK", met=ours.throughput_per_s >= 20 * tr.throughput_per_s))
    for robot in ("ur5", "iiwa14", "arm5"):
        if robot not in results:
            continue
        r = results[robot]
        o = r.get("ours")
        ps = [s for s in r.stats if s.solver in ("tracik", "optik")]
        claims.append(Claim(
            what=f"{robot} success at 1e-4 m / 1e-3 rad (n={r.n})",
            ours=_pct(o.success_1e4) + "; peers " + ", ".join(f"{s.solver} {_pct(s.success_1e4)}" for s in ps),
            target=">= 99.5 % and not below the peers",
            met=o.success_1e4 >= 0.995 and all(o.success_1e4 >= s.success_1e4 for s in ps)))
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
