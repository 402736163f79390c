"""IK benchmark on Panda, UR5, iiwa14, arm5, Unitree Z1 and SO-100: ours vs TRAC-IK, OptIK (and PyBullet), same
targets, same run (z1 and so100 come from example-robot-data, see ``_arms.py``).

Writes ``results/bench_ik_<robot>.json`` and prints one table per robot. Usage::

    python benchmarks/bench_ik.py [--n 10000] [--n-other 2000] [--seed 0] [--pybullet]

Timings are wall-clock (``time.perf_counter``) with the solvers interleaved target by target; on a shared
machine compare ratios, not absolute numbers. The JSON records the machine and library versions.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import iklearn  # noqa: F401  (sets OMP_WAIT_POLICY before any OpenMP runtime loads)


def main() -> None:
    from rich.console import Console
    from rich.table import Table

    from iklearn.evaluation.ik_benchmark import IKBenchmarkResult, run_ik_benchmark
    from iklearn.evaluation.record import machine_info, save_json
    from iklearn.solvers.peers import available_peers

    from _arms import load_arm

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10000, help="Panda targets")
    ap.add_argument("--n-other", type=int, default=2000, help="targets for the other robots")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--pybullet", action="store_true", help="also run PyBullet's DLS")
    ap.add_argument("--robots", default="panda,ur5,iiwa14,arm5,z1,so100")
    ap.add_argument("--out", type=Path, default=Path("results"))
    a = ap.parse_args()
    solvers = ["ours"] + [p for p in available_peers() if p != "pybullet" or a.pybullet]
    con = Console()
    for robot in a.robots.split(","):
        n = a.n if robot == "panda" else a.n_other
        res = run_ik_benchmark(load_arm(robot), n, seed=a.seed, solvers=solvers)
        t = Table(title=f"{res.robot} ({res.dof} DOF), {n} targets")
        for c in IKBenchmarkResult.COLUMNS:
            t.add_column(c)
        for row in res.rows():
            t.add_row(*["-" if x is None else str(x) for x in row])
        con.print(t)
        path = save_json(a.out / f"bench_ik_{robot}.json", {"machine": machine_info(), "result": res.to_dict()})
        con.print(f"wrote {path}")


if __name__ == "__main__":
    main()
