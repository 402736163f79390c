"""LWPR update speed on velocity IK of a planar 2-link arm ((xdot, theta) -> thetadot).

The problem of the reference C library's benchmark: 4 inputs, 2 outputs, 200,000 sequential updates, no
meta learning; the C library needs 30-39 microseconds per update on a 2-core machine like ours (nMSE 0.03-0.05).
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

L1, L2 = 1.0, 1.0  # link lengths (m)


def planar2_velocity_ik_data(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Inputs (n, 4) = (xdot, ydot, theta1, theta2), targets (n, 2) = thetadot, with xdot = J(theta) thetadot.

    theta1 ~ U[-pi/2, pi/2], theta2 ~ U[0.3, 2.5] rad (away from the stretched singularity),
    thetadot ~ U[-1, 1] rad/s.
    """
    rng = np.random.default_rng(seed)
    th = np.column_stack([rng.uniform(-np.pi / 2, np.pi / 2, n), rng.uniform(0.3, 2.5, n)])
    dth = rng.uniform(-1.0, 1.0, (n, 2))
    s1, c1 = np.sin(th[:, 0]), np.cos(th[:, 0])
    s12, c12 = np.sin(th.sum(1)), np.cos(th.sum(1))
    xd = -(L1 * s1 + L2 * s12) * dth[:, 0] - L2 * s12 * dth[:, 1]
    yd = (L1 * c1 + L2 * c12) * dth[:, 0] + L2 * c12 * dth[:, 1]
    return np.column_stack([xd, yd, th]), dth


def make_model():
    from iklearn.estimators.lwpr import LWPR

    # xdot in m/s, theta in rad: scale the velocity inputs up (paper 002: relevant inputs get large variance)
    return LWPR(init_D=[0.0, 0.0, 25.0, 25.0], init_alpha=50.0, norm_in=[0.5, 0.5, 1.0, 1.0], meta=False)


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
           "reference_c_us_per_update": "30-39", "machine": platform.platform(), "processor": platform.processor()}
    rec["met"] = bool(rec["updates_per_s"] >= 25_000 and rec["nmse_test"] <= 0.05)
    print(f"{'updates':>9} {'s':>7} {'us/update':>10} {'updates/s':>10} {'nMSE':>7} {'RFs':>9} {'met':>4}")
    print(f"{a.n:9d} {dt:7.2f} {rec['us_per_update']:10.1f} {rec['updates_per_s']:10.0f} {rec['nmse_test']:7.4f} "
          f"{str(rec['n_receptive_fields']):>9} {str(rec['met']):>4}")
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(rec, indent=2))
    return rec


if __name__ == "__main__":
    main()
