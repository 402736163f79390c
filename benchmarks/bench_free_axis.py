"""Free tool axis: targets given with a random rotation about the tool's z axis are solved with
``free_axis='z'`` wherever full-pose IK of the same targets with their original rotation is solved.

For each robot: ``--n`` targets = FK of configurations uniform inside the limits (reachable as given); full-pose
IK of them (``iklearn.solve``); the same targets turned by a uniform random angle about their own z axis, solved
with ``free_axis='z'`` (and, for reference, as full poses: a turned target is in general not reachable as a
full pose). Success: the solver's tolerances (1e-6 m; 1e-5 rad on the tool axis for ``free_axis``), checked
again here with our FK. Usage::

    python benchmarks/bench_free_axis.py [--robots panda,ur5,z1] [--n 2000] [--out results]
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
    from iklearn.kinematics import fk, pose_error

    from _arms import load_arm

    c = load_arm(robot)
    rng = np.random.default_rng(seed)
    T = fk(c, rng.uniform(c.finite_lower, c.finite_upper, (n, c.dof)))
    a = rng.uniform(-np.pi, np.pi, n)
    Rz = np.zeros((n, 3, 3))
    Rz[:, 0, 0], Rz[:, 0, 1], Rz[:, 1, 0], Rz[:, 1, 1], Rz[:, 2, 2] = np.cos(a), -np.sin(a), np.sin(a), np.cos(a), 1
    Ts = T.copy()
    Ts[:, :3, :3] = T[:, :3, :3] @ Rz
    iklearn.solve(c, T[:20], seed=seed)
    iklearn.solve(c, Ts[:20], free_axis="z", seed=seed)
    t0 = time.perf_counter()
    full = iklearn.solve(c, T, seed=seed)
    t_full = time.perf_counter() - t0
    t0 = time.perf_counter()
    free = iklearn.solve(c, Ts, free_axis="z", seed=seed)
    t_free = time.perf_counter() - t0
    spun_full = iklearn.solve(c, Ts, seed=seed, max_iterations=500)
    F = fk(c, free.q)
    pe, _ = pose_error(F, Ts)
    zt, z = Ts[:, :3, 2], F[:, :3, 2]
    ang = np.arctan2(np.linalg.norm(np.cross(z, zt), axis=1), np.einsum("ni,ni->n", z, zt))
    checked = free.success & (pe <= 1e-6) & (ang <= 1e-5) & c.within_limits(free.q, 1e-9)
    both = full.success
    return {"robot": c.name, "dof": c.dof, "n": n, "full_pose_success": float(full.success.mean()),
            "free_axis_success": float(checked.mean()),
            "free_axis_success_where_full_pose_solved": float(checked[both].mean()) if both.any() else None,
            "turned_targets_as_full_poses_success": float(spun_full.success.mean()),
            "time_per_target_full_s": t_full / n, "time_per_target_free_axis_s": t_free / n}


def main() -> None:
    from iklearn.evaluation.record import machine_info, save_json

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--robots", default="panda,ur5,z1")
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=Path("results"))
    a = ap.parse_args()
    results = {}
    for robot in a.robots.split(","):
        r = run(robot, a.n, a.seed)
        results[robot] = r
        print(f"{r['robot']} ({r['dof']} DOF), {a.n} targets: full pose {100 * r['full_pose_success']:.2f} %; "
              f"turned about tool z, free_axis='z': {100 * r['free_axis_success']:.2f} % "
              f"({100 * r['free_axis_success_where_full_pose_solved']:.2f} % where the full pose was solved; "
              f"as full poses {100 * r['turned_targets_as_full_poses_success']:.1f} %); "
              f"{1e3 * r['time_per_target_free_axis_s']:.3f} ms per target batched "
              f"(full pose {1e3 * r['time_per_target_full_s']:.3f} ms)")
    path = save_json(a.out / "bench_free_axis.json", {"machine": machine_info(), "load_average_1_5_15min": os.getloadavg(),
                                       "seed": a.seed, "results": results})
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
