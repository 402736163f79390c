"""CRiSP-FK speed and accuracy against training-set size and weight solver (Panda circle data, paper 003).

Usage: ``python benchmarks/bench_crisp.py [--sizes 5000,25000,35000] [--points 50] [--out results/bench_crisp.json]``

For each size: label the data (IK on the true robot), fit each weight solver that fits in memory (exact only
up to ``--max-exact``), track C0 and C+pi/4 sequentially, and report training time, prediction time per
trajectory point and position RMSE (true FK; model = true robot and a 1-degree joint bias).
Timings are single-threaded (BLAS limited to one thread, as ``predict`` does anyway).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="5000,25000,35000")
    ap.add_argument("--points", type=int, default=50)
    ap.add_argument("--max-exact", type=int, default=6000)
    ap.add_argument("--out", default="results/bench_crisp.json")
    args = ap.parse_args()

    from threadpoolctl import threadpool_limits

    from iklearn.data.trajectories import crisp_trajectory
    from iklearn.estimators.crisp import CRiSP
    from iklearn.evaluation.record import machine_info
    from iklearn.experiments.crisp import PANDA_FIXED
    from iklearn.experiments.crisp.data import panda_set, score
    from iklearn.robot import load_robot

    ch = load_robot("panda_grasp")
    biased = ch.perturbed(joint_offsets=np.deg2rad(1.0))
    trajs = {nm: crisp_trajectory(nm, n=args.points).poses for nm in ("C0", "C+pi/4")}
    rows = []
    for n in (int(s) for s in args.sizes.split(",")):
        t0 = time.perf_counter()
        T, Y = panda_set("C", n, "branch", 0)
        t_data = time.perf_counter() - t0
        solvers = [("local", {})] + ([("exact", {})] if n <= args.max_exact else []) + [
            ("nystrom", {"n_components": 2000})]
        for approx, kw in solvers:
            for label, model in (("none", ch), ("joint 1 deg", biased)):
                with threadpool_limits(1):
                    t0 = time.perf_counter()
                    est = CRiSP(robot=model, sigma=0.5, lam=1e-6, **{**PANDA_FIXED, **kw}, approximation=approx).fit(T, Y)
                    t_fit = time.perf_counter() - t0
                    errs, t_pred = {}, 0.0
                    for nm, P in trajs.items():
                        t0 = time.perf_counter()
                        Q = est.predict(P, sequential=True)
                        t_pred += time.perf_counter() - t0
                        errs[nm] = score(ch, Q, P)["pos_rmse"] * 1e3
                row = {"n": len(T), "weights": approx + (f" m={kw['n_components']}" if kw else ""), "bias": label,
                       "label_s": t_data, "fit_s": t_fit,
                       "predict_ms_per_point": t_pred / sum(len(P) for P in trajs.values()) * 1e3,
                       **{f"pos_mm_{k}": v for k, v in errs.items()}}
                rows.append(row)
                print(f"n={row['n']:6d} {row['weights']:14s} bias={label:12s} fit {t_fit:7.2f}s  "
                      f"predict {row['predict_ms_per_point']:6.2f} ms/pt  "
                      + "  ".join(f"{k} {v:.4f} mm" for k, v in errs.items()), flush=True)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"rows": rows, "machine": machine_info()}, indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
