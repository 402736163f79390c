"""Small batches cost no more per target than single calls: (7,), (4, 4), (1, 7), (1, 4, 4), the README's
``iklearn.solve(robot, T[None])``, and batches of 10 and 100, on the same random targets and seeds.

Targets: FK of configurations uniform inside the limits; seeds uniform inside the limits (the same seed for
a target in every form). Each target is solved in every form, the forms interleaved target by target so that
a busy shared CPU slows them alike. Reported: the median time per target of each form and its ratio to the
``(7,)`` single call. Batches: each group of 10 / 100 consecutive targets is solved as one batch and as single
``(4, 4)`` calls (the same inputs, so exactly the same iterations) back to back, alternating which goes
first; the batch's total time is compared with the single calls' total (what a batch replaces).
``iklearn.solve(robot, T[None])`` draws its own random seed (as the README line does);
``iklearn.solve(..., q0=...)`` gets the same seed as the single call.

Targets (issue 18): (1, 7) and (1, 4, 4) medians within 1.3x of (7,); ``iklearn.solve(robot, T[None])`` within
1.5x; batches of 10 and 100 per-target cost <= single-call cost. Usage::

    python benchmarks/bench_small_batch.py [--robots panda,ur5] [--n 2000] [--out results]
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import iklearn  # noqa: F401  (sets OMP_WAIT_POLICY before any OpenMP runtime loads)


def run(robot: str, n: int, seed: int) -> dict:
    import numpy as np

    import iklearn
    from iklearn.kinematics import fk, matrix_to_pose7
    from iklearn.solvers.lm import LevenbergMarquardt

    chain = iklearn.load_robot(robot)
    rng = np.random.default_rng(seed)
    T = fk(chain, rng.uniform(chain.finite_lower, chain.finite_upper, (n, chain.dof)))
    P = matrix_to_pose7(T)
    Q0 = rng.uniform(chain.finite_lower, chain.finite_upper, (n, chain.dof))
    s = LevenbergMarquardt(chain, seed=seed)
    forms = {
        "(7,)": lambda i: s.solve(P[i], Q0[i]),
        "(4, 4)": lambda i: s.solve(T[i], Q0[i]),
        "(1, 7)": lambda i: s.solve(P[i: i + 1], Q0[i: i + 1]),
        "(1, 4, 4)": lambda i: s.solve(T[i: i + 1], Q0[i: i + 1]),
        "iklearn.solve(robot, T[None])": lambda i: iklearn.solve(chain, T[i][None], seed=seed),
        "iklearn.solve(robot, T[None], q0=q0)": lambda i: iklearn.solve(chain, T[i][None], q0=Q0[i], seed=seed),
    }
    for f in forms.values():  # warm-up: compilation / cache loading, solver caches
        f(0)
    s.solve(T[:100], Q0[:100])
    s.solve(T[:10], Q0[:10])
    clock = time.perf_counter
    times = {k: np.empty(n) for k in forms}
    for i in range(n):
        for k, f in forms.items():
            t0 = clock()
            f(i)
            times[k][i] = clock() - t0
    batch = {}
    for size in (10, 100):
        # each group of targets as one batch and as single calls, back to back (the order alternating), so a
        # change of load on the shared machine hits both alike
        tb, ts = [], []
        for g, a in enumerate(range(0, n - size + 1, size)):
            for first in ((True, False) if g % 2 == 0 else (False, True)):
                t0 = clock()
                if first:
                    its_b = s.solve(T[a: a + size], Q0[a: a + size]).iterations.sum()
                else:
                    its_s = sum(int(s.solve(T[i], Q0[i]).iterations[0]) for i in range(a, a + size))
                (tb if first else ts).append(clock() - t0)
            assert its_b == its_s  # the same work: a batch row gets exactly the answer of its single call
        tb, ts = np.array(tb) / size, np.array(ts) / size
        batch[size] = {"groups": len(tb), "mean_per_target_s": float(tb.mean()),
                       "single_mean_same_targets_s": float(ts.mean()),
                       "ratio_to_single_mean": float(tb.sum() / ts.sum()),
                       "groups_where_batch_cheaper": float((tb <= ts).mean())}
    ref = float(np.median(times["(7,)"]))
    singles = {k: {"median_s": float(np.median(v)), "mean_s": float(v.mean()),
                   "ratio_to_(7,)": float(np.median(v)) / ref} for k, v in times.items()}
    return {"robot": chain.name, "dof": chain.dof, "n": n, "seed": seed, "single": singles, "batch": batch}


def main() -> None:
    from rich.console import Console
    from rich.table import Table

    from iklearn.evaluation.record import machine_info, save_json

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--robots", default="panda,ur5")
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=Path("results"))
    a = ap.parse_args()
    con = Console(width=200)
    results = {}
    for robot in a.robots.split(","):
        r = run(robot, a.n, a.seed)
        results[robot] = r
        t = Table(title=f"{r['robot']} ({r['dof']} DOF): {a.n} random targets and seeds, time per target")
        for c in ("form", "median us", "ratio to (7,)", "target"):
            t.add_column(c)
        goals = {"(1, 7)": 1.3, "(1, 4, 4)": 1.3, "iklearn.solve(robot, T[None])": 1.5}
        for k, v in r["single"].items():
            g = goals.get(k)
            t.add_row(k, f"{1e6 * v['median_s']:.1f}", f"{v['ratio_to_(7,)']:.2f}",
                      "-" if g is None else f"<= {g} ({'met' if v['ratio_to_(7,)'] <= g else 'NOT met'})")
        for size, b in r["batch"].items():
            t.add_row(f"batch of {size}: mean per target", f"{1e6 * b['mean_per_target_s']:.1f}",
                      f"{b['ratio_to_single_mean']:.2f} of the single calls' mean "
                      f"({1e6 * b['single_mean_same_targets_s']:.1f} us)",
                      f"<= 1 ({'met' if b['ratio_to_single_mean'] <= 1 else 'NOT met'})")
        con.print(t)
    path = save_json(a.out / "bench_small_batch.json", {"machine": machine_info(), "load_average_1_5_15min": os.getloadavg(),
                                       "results": results})
    con.print(f"wrote {path}")


if __name__ == "__main__":
    main()
