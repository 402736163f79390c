"""Paths: lines, circles and figure eights at 1 mm steps, followed by ``iklearn.solve_path`` and by TRAC-IK in
Distance mode with chained seeds, on the same paths in the same run, jumps counted the same way.

For each robot (default Panda, UR5 and the 6-DOF Unitree Z1): start configurations are the robot's ``ready``
pose (if it has one) and random ones inside the middle 60 % of every joint range with an inverse condition
number >= 0.05; from each start, a 10 cm line, a circle of radius 5 cm and a 10 x 5 cm figure eight, each in a
random plane through the start's tool point, orientation held at the start's, sampled at 1 mm steps.
Ours: ``iklearn.solve_path(robot, poses, q0=start)`` (LM restarting near the seed, jumps re-tracked and
flagged). TRAC-IK: ``solve_type='Distance'`` (the solution nearest the seed within its time budget), each row
seeded by the previous row's answer (by the last solved one after a failure). Both are scored by
:func:`iklearn.solvers.path.path_steps` (a joint step above max(50 rad/m x Cartesian step, 1e-3 rad) is a
discontinuity) and by our FK at 1e-4 m / 1e-3 rad inside the limits. Usage::

    python benchmarks/bench_paths.py [--robots panda,ur5,z1] [--starts 3] [--tracik-timeout 0.02] [--out results]
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import iklearn  # noqa: F401  (sets OMP_WAIT_POLICY before any OpenMP runtime loads)


def _starts(chain, k: int, rng):
    import numpy as np

    from iklearn.kinematics import jacobian, manipulability

    out = [chain.pose("ready")] if "ready" in chain.named_poses else []
    lo, hi = chain.finite_lower, chain.finite_upper
    while len(out) < k:
        q = lo + (0.2 + 0.6 * rng.random(chain.dof)) * (hi - lo)
        if manipulability(jacobian(chain, q)).inverse_condition[0] >= 0.05:
            out.append(q)
    return out[:k]


def _paths(T0, rng):
    """Three paths starting at the pose T0 (4, 4), each in a random plane, at about 1 mm steps."""
    import numpy as np

    from iklearn.data import trajectories as tr

    def plane():
        u = rng.normal(size=3)
        u /= np.linalg.norm(u)
        v = rng.normal(size=3)
        v -= u * (u @ v)
        return u, v / np.linalg.norm(v)

    def with_rotation(P):
        P = P.copy()
        P[:, :3, :3] = T0[:3, :3]
        return P

    p0 = T0[:3, 3]
    u, _ = plane()
    line = np.repeat(T0[None], 100, axis=0)
    line[:, :3, 3] = p0 + np.outer(np.arange(1, 101) * 1e-3, u)
    u, v = plane()
    r = 0.05
    circle = tr.circle(p0 - r * u, r, n=int(round(2 * np.pi * r / 1e-3)), plane=(u, v)).poses
    u, v = plane()
    e = tr.eight(p0, (0.05, 0.025), n=4000, plane=(u, v)).poses  # resample to 1 mm arc length
    d = np.r_[0, np.cumsum(np.linalg.norm(np.diff(e[:, :3, 3], axis=0), axis=1))]
    eight = e[np.searchsorted(d, np.arange(0, d[-1], 1e-3))]
    return {"line": line, "circle": with_rotation(circle), "eight": with_rotation(eight)}


def _tracik_path(solver, P, q0):
    import numpy as np

    q = np.empty((len(P), len(q0)))
    prev = q0
    for i in range(len(P)):
        r = solver.solve(P[i], prev)
        q[i] = r.q[0]
        if r.success[0]:
            prev = r.q[0]
    return q


def run(robot: str, starts: int, seed: int, tracik_timeout: float) -> dict:
    import numpy as np

    import iklearn
    from iklearn.kinematics import fk, pose_error
    from iklearn.solvers.path import path_steps
    from iklearn.solvers.peers import available_peers

    from _arms import load_arm

    chain = load_arm(robot)
    rng = np.random.default_rng(seed)
    peer = None
    if "tracik" in available_peers():
        from iklearn.solvers.peers import TracIK

        peer = TracIK(chain, timeout=tracik_timeout, solve_type="Distance", seed=seed)
    rows = []
    for si, q0 in enumerate(_starts(chain, starts, rng)):
        for kind, P in _paths(fk(chain, q0), rng).items():
            iklearn.solve_path(chain, P[:3], q0=q0)  # warm-up (compilation, solver cache)
            t0 = time.perf_counter()
            r = iklearn.solve_path(chain, P, q0=q0)
            t_ours = time.perf_counter() - t0
            entry = {"start": si, "path": kind, "rows": len(P)}
            pe, re = pose_error(fk(chain, r.q), P)
            ok = (pe <= 1e-4) & (re <= 1e-3) & chain.within_limits(r.q, 1e-9)
            js, cs, flag = path_steps(r.q, P, q0, chain=chain)
            entry["ours"] = {
                "solved": int(ok.sum()), "discontinuities": int(flag.sum()), "flagged": int(r.discontinuity.sum()),
                "unflagged": int((flag & ~r.discontinuity).sum()),
                "reasons": {k: int((r.reason[r.discontinuity] == k).sum()) for k in set(r.reason[r.discontinuity])},
                "steps_over_0.1_rad": int((js > 0.1).sum()), "max_joint_step": float(js.max()),
                "median_joint_step": float(np.median(js)), "time_per_row_s": t_ours / len(P),
            }
            if peer is not None:
                t0 = time.perf_counter()
                qp = _tracik_path(peer, P, q0)
                t_peer = time.perf_counter() - t0
                pe, re = pose_error(fk(chain, qp), P)
                okp = (pe <= 1e-4) & (re <= 1e-3) & chain.within_limits(qp, 1e-9)
                js, cs, flag = path_steps(qp, P, q0, chain=chain)
                entry["tracik_distance"] = {
                    "solved": int(okp.sum()), "discontinuities": int(flag.sum()),
                    "steps_over_0.1_rad": int((js > 0.1).sum()), "max_joint_step": float(js.max()),
                    "median_joint_step": float(np.median(js)), "time_per_row_s": t_peer / len(P),
                }
            rows.append(entry)
    return {"robot": chain.name, "dof": chain.dof, "paths": rows,
            "settings": {"starts": starts, "seed": seed, "tracik_timeout_s": tracik_timeout, "step_m": 1e-3,
                         "max_joint_rate_rad_per_m": 50.0, "min_jump_rad": 1e-3}}


def main() -> None:
    from rich.console import Console
    from rich.table import Table

    from iklearn.evaluation.record import machine_info, save_json

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--robots", default="panda,ur5,z1")
    ap.add_argument("--starts", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--tracik-timeout", type=float, default=0.02, help="TRAC-IK's budget per row (s)")
    ap.add_argument("--out", type=Path, default=Path("results"))
    a = ap.parse_args()
    con = Console(width=200)
    results = {}
    for robot in a.robots.split(","):
        res = run(robot, a.starts, a.seed, a.tracik_timeout)
        results[robot] = res
        t = Table(title=f"{res['robot']} ({res['dof']} DOF): paths at 1 mm steps, ours vs TRAC-IK Distance "
                        "(chained seeds)")
        for c in ("start", "path", "rows", "solved ours / TRAC", "jumps ours (flagged, unflagged) / TRAC",
                  "reasons (ours)", "max joint step rad ours / TRAC", "ms per row ours / TRAC"):
            t.add_column(c)
        for e in res["paths"]:
            o, p = e["ours"], e.get("tracik_distance")
            pv = (lambda k, f="{}": "-" if p is None else f.format(p[k]))
            t.add_row(str(e["start"]), e["path"], str(e["rows"]), f"{o['solved']} / {pv('solved')}",
                      f"{o['discontinuities']} ({o['flagged']}, {o['unflagged']}) / {pv('discontinuities')}",
                      ", ".join(f"{k} {v}" for k, v in o["reasons"].items()) or "-",
                      f"{o['max_joint_step']:.4f} / {pv('max_joint_step', '{:.4f}')}",
                      f"{1e3 * o['time_per_row_s']:.3f} / "
                      + ("-" if p is None else f"{1e3 * p['time_per_row_s']:.3f}"))
        con.print(t)
        tot = {k: sum(e["ours"][k] for e in res["paths"]) for k in ("solved", "discontinuities", "unflagged")}
        rows = sum(e["rows"] for e in res["paths"])
        line = (f"{res['robot']}: ours solved {tot['solved']}/{rows} rows, {tot['discontinuities']} discontinuities "
                f"({tot['unflagged']} unflagged)")
        if all("tracik_distance" in e for e in res["paths"]):
            tp = {k: sum(e["tracik_distance"][k] for e in res["paths"]) for k in ("solved", "discontinuities")}
            line += f"; TRAC-IK Distance solved {tp['solved']}/{rows}, {tp['discontinuities']} discontinuities"
        con.print(line)
    path = save_json(a.out / "bench_paths.json", {"machine": machine_info(), "load_average_1_5_15min": os.getloadavg(),
                                       "results": results})
    con.print(f"wrote {path}")


if __name__ == "__main__":
    main()
