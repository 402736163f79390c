"""Learned IK on a user's robot (issue 19): the ml-ik model's warm start and its reachability gate.

For each arm an ``iklearn.train('ml-ik', ...)`` model is trained from generated data (the same call as
``iklearn train ml-ik --robot ARM --n N``), then measured on targets it never saw:

* warm start: ``--targets`` random reachable targets (FK of uniform configurations), solved by
  Levenberg-Marquardt from a random seed, from the middle of the joint ranges (a free seed any user has) and
  from the model's prediction (``model.solve``, refinement on):
  median / mean LM iterations, success rate, time per target (the model's time includes its prediction);
* gate: ``--hard`` unreachable targets near the workspace boundary
  (:func:`iklearn.data.labels.hard_unreachable_poses`: positions inside the reach sphere, among the reachable
  ones, with orientations the arm cannot reach; drawn with another seed than the training set's): the share
  the classifier catches at P(unreachable) >= 0.5 and its time per target, beside the time LM spends failing
  on them; and the reachable targets above that it gates wrongly.

Timings are wall-clock on this (shared) machine, with the load average recorded beside them.

    nice -n 5 python benchmarks/bench_learned_ik.py [--robots panda,ur5] [--n-train 50000] [--targets 10000]
        [--hard 1000] [--time-budget 300] [--out results/bench_learned_ik.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path


def _it(r) -> dict:
    import numpy as np

    it = np.asarray(r.iterations)
    return {"median_iterations": float(np.median(it)), "mean_iterations": float(it.mean()),
            "p95_iterations": float(np.percentile(it, 95)), "success_rate": float(np.mean(r.success))}


def bench_arm(name: str, args) -> dict:
    import numpy as np

    import iklearn
    from iklearn.data.labels import HARD_KINDS, hard_unreachable_poses
    from iklearn.kinematics import fk, matrix_to_pose7
    from iklearn.solvers.lm import LevenbergMarquardt

    chain = iklearn.load_robot(name)
    tb = {"time_budget": args.time_budget} if args.time_budget else {}
    t0 = time.perf_counter()
    model = iklearn.train("ml-ik", chain, n=args.n_train, seed=args.seed,
                          params={"regressor": dict(tb), "classifier": dict(tb)})
    train_s = time.perf_counter() - t0
    print(f"[{name}] trained in {train_s:.0f} s: {model.summary_}", flush=True)

    rng = np.random.default_rng([args.seed, 1919])
    T = fk(chain, rng.uniform(chain.finite_lower, chain.finite_upper, (args.targets, chain.dof)))
    tol = dict(tol_position=1e-6, tol_rotation=1e-5)
    lm = LevenbergMarquardt(chain, seed=args.seed, **tol)
    lm.solve(T[:50])  # compile / warm caches before timing
    model.solve(T[:50])
    t0 = time.perf_counter()
    r_rand = lm.solve(T)
    t_rand = time.perf_counter() - t0
    mid = np.broadcast_to(0.5 * (chain.finite_lower + chain.finite_upper), (len(T), chain.dof)).copy()
    t0 = time.perf_counter()
    r_mid = lm.solve(T, q0=mid)
    t_mid = time.perf_counter() - t0
    t0 = time.perf_counter()
    r_model = model.solve(T, seed=args.seed, **tol)
    t_model = time.perf_counter() - t0
    warm = {
        "n_targets": args.targets,
        "random_seed": {**_it(r_rand), "ms_per_target": 1e3 * t_rand / args.targets},
        "mid_range_seed": {**_it(r_mid), "ms_per_target": 1e3 * t_mid / args.targets},
        "model_seed": {**_it(r_model), "ms_per_target": 1e3 * t_model / args.targets,
                       "predict_ms_per_target": 1e3 * r_model.predict_s / args.targets,
                       "refine_ms_per_target": 1e3 * r_model.refine_s / args.targets,
                       "warm_position_median_m": float(np.median(r_model.warm_position_error)),
                       "warm_rotation_median_rad": float(np.median(r_model.warm_rotation_error))},
    }
    print(f"[{name}] warm start: {json.dumps(warm)}", flush=True)

    t0 = time.perf_counter()
    H, kind = hard_unreachable_poses(chain, args.hard, matrix_to_pose7(T), seed=args.seed + 7)
    hard_s = time.perf_counter() - t0
    model.reachable_proba(H[:50])
    t0 = time.perf_counter()
    p_un = 1.0 - model.reachable_proba(H)
    t_cls = time.perf_counter() - t0
    caught = p_un >= 0.5
    t0 = time.perf_counter()
    r_fail = lm.solve(H)
    t_fail = time.perf_counter() - t0
    t0 = time.perf_counter()
    p_reach_ok = model.reachable_proba(T)
    t_cls_reach = time.perf_counter() - t0
    wrongly = int(np.sum(1.0 - p_reach_ok >= 0.5))
    gate = {
        "n_hard": int(len(H)), "hard_set_s": hard_s,
        "caught_share": float(caught.mean()),
        "caught_share_by_kind": {k: float(caught[kind == i].mean()) for i, k in enumerate(HARD_KINDS)},
        "classifier_ms_per_target": 1e3 * t_cls / len(H),
        "lm_failing_ms_per_target": 1e3 * t_fail / len(H),
        "lm_solved_hard": int(np.sum(r_fail.success)),
        "lm_iterations_on_hard_median": float(np.median(r_fail.iterations)),
        "reachable_wrongly_gated": wrongly, "reachable_checked": int(len(T)),
        "classifier_ms_per_reachable_target": 1e3 * t_cls_reach / len(T),
    }
    print(f"[{name}] gate: {json.dumps(gate)}", flush=True)
    return {"robot": name, "dof": chain.dof, "n_train": args.n_train, "train_s": train_s,
            "summary": model.summary_, "warm_start": warm, "gate": gate, "load_average": os.getloadavg()}


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--robots", default="panda,ur5")
    ap.add_argument("--n-train", type=int, default=50_000)
    ap.add_argument("--targets", type=int, default=10_000)
    ap.add_argument("--hard", type=int, default=1_000)
    ap.add_argument("--time-budget", type=float, default=300.0, help="s of training per network (0: none)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=Path("results/bench_learned_ik.json"))
    args = ap.parse_args(argv)
    res = {"command": "python benchmarks/bench_learned_ik.py " + " ".join(argv or sys.argv[1:]),
           "machine": {"python": platform.python_version(), "platform": platform.platform(),
                       "cpus": os.cpu_count()}, "arms": []}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    for name in args.robots.split(","):
        res["arms"].append(bench_arm(name.strip(), args))
        args.out.write_text(json.dumps(res, indent=2))  # each arm saved as soon as it is measured
    for a in res["arms"]:
        w, g = a["warm_start"], a["gate"]
        print(f"{a['robot']}: LM iterations median {w['random_seed']['median_iterations']:.0f} from a random seed "
              f"-> {w['model_seed']['median_iterations']:.0f} from the model's; time per target "
              f"{w['random_seed']['ms_per_target']:.3f} -> {w['model_seed']['ms_per_target']:.3f} ms (prediction "
              f"included); success {100 * w['random_seed']['success_rate']:.2f} % -> "
              f"{100 * w['model_seed']['success_rate']:.2f} %")
        print(f"{a['robot']}: gate catches {100 * g['caught_share']:.1f} % of {g['n_hard']} hard unreachable "
              f"targets at {g['classifier_ms_per_target']:.4f} ms each (LM fails in "
              f"{g['lm_failing_ms_per_target']:.2f} ms each); {g['reachable_wrongly_gated']} of "
              f"{g['reachable_checked']} reachable targets wrongly gated")
    return res


if __name__ == "__main__":
    main()
