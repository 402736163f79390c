"""LWPR update speed on velocity IK of a planar 2-link arm ((xdot, theta) -> thetadot).

The problem of the reference C library's benchmark: 4 inputs, 2 outputs, 200,000 sequential updates, no
meta learning; the C library needs 30-39 microseconds per update on a 2-core machine like ours
(nMSE 0.03-0.05).
Target: >= 25,000 updates per second at an nMSE no worse than 0.05.

    python benchmarks/bench_lwpr.py [--n 200000] [--seed 0] [--out results/bench_lwpr.json]

Prints a table and writes a JSON record (timings include no compilation: a warm-up run compiles first).
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np

from iklearn.experiments.lwpr_sim import planar2_lwpr as make_model
from iklearn.experiments.lwpr_sim import planar2_velocity_ik_data


def nmse(y: np.ndarray, yp: np.ndarray) -> float:
    return float(np.mean(np.mean((y - yp) ** 2, axis=0) / np.var(y, axis=0)))


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=200_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=Path("results/bench_lwpr.json"))
    a = ap.parse_args(argv)
    X, Y = planar2_velocity_ik_data(a.n, a.seed)
    Xt, Yt = planar2_velocity_ik_data(20_000, a.seed + 1)
    make_model().partial_fit(X[:200], Y[:200]).predict(Xt[:10])  # compile (cached on disk)
    m = make_model()
    t0 = time.perf_counter()
    m.partial_fit(X, Y)
    dt = time.perf_counter() - t0
    t1 = time.perf_counter()
    yp = m.predict(Xt)
    dtp = time.perf_counter() - t1
    rec = {"n_updates": a.n, "seconds": dt, "us_per_update": 1e6 * dt / a.n, "updates_per_s": a.n / dt,
           "nmse_test": nmse(Yt, yp), "n_receptive_fields": m.n_receptive_fields_.tolist(),
           "us_per_prediction": 1e6 * dtp / len(Xt), "target_updates_per_s": 25_000, "target_nmse": 0.05,
           "reference_c_us_per_update": "30-39", "machine": platform.platform(),
           "processor": platform.processor()}
    rec["met"] = bool(rec["updates_per_s"] >= 25_000 and rec["nmse_test"] <= 0.05)
    print(f"{'updates':>9} {'s':>7} {'us/update':>10} {'updates/s':>10} {'nMSE':>7} {'RFs':>9} {'met':>4}")
    print(f"{a.n:9d} {dt:7.2f} {rec['us_per_update']:10.1f} {rec['updates_per_s']:10.0f} "
          f"{rec['nmse_test']:7.4f} "
          f"{str(rec['n_receptive_fields']):>9} {str(rec['met']):>4}")
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(rec, indent=2))
    return rec


if __name__ == "__main__":
    main()
