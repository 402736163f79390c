"""Speed/accuracy of the GP-IK variants (paper 000) beside plain DLS and TRAC-IK on random Panda targets.

Usage: ``python benchmarks/bench_gp_ik.py [N] [SEED]`` (default 1000 targets, about 2 minutes on a loaded
2-core machine); prints a table and writes
``results/bench_gp_ik.json``. Success = position < 1e-3 m and orientation < 1e-2 rad, inside the limits.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

from iklearn.evaluation.record import machine_info, save_json
from iklearn.experiments.gp_ik import LABEL, _run_set, _single_thread, _solvers, _summary
from iklearn.kinematics import fk
from iklearn.robot import load_robot


def main(n: int = 1000, seed: int = 0) -> dict:
    t_start = time.perf_counter()
    chain = load_robot("panda")
    rng = np.random.default_rng(seed)
    T = fk(chain, rng.uniform(chain.finite_lower, chain.finite_upper, (n, chain.dof)))
    Q0 = rng.uniform(chain.finite_lower, chain.finite_upper, (n, chain.dof))
    with _single_thread():
        solvers = _solvers(chain, seed)
        for s in solvers.values():  # compile / warm up
            s.solve(T[:1], q0=Q0[:1])
        res = _run_set(chain, solvers, T, Q0)
    summ = {k: _summary({f: v for f, v in d.items() if f != "q"}) for k, d in res.items()}
    print(f"{'solver':18s} {'success %':>10s} {'mean iters':>11s} {'median ms':>10s} {'mean ms':>9s}")
    for k, s in summ.items():
        print(f"{LABEL[k]:18s} {s['success_rate']:10.1f} {s['mean_iterations']:11.1f} "
              f"{s['median_time_ms']:10.2f} {s['mean_time_ms']:9.2f}")
    wall = time.perf_counter() - t_start
    print(f"wall time {wall:.1f} s (solvers interleaved target by target)")
    save_json(Path("results") / "bench_gp_ik.json",
              {"n": n, "seed": seed, "summary": summ, "wall_time_s": wall, "machine": machine_info()})
    return summ


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
