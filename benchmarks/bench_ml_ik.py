"""Inference speed of the paper-001 networks: clustered MLP regressor (arm4) and conditioning classifier (UR5).

Target (issue 4): < 0.1 ms per sample for the regressor's batched prediction (paper: 0.70 ms). The timing
covers everything ``predict`` does: pose features, the 4 cluster networks (256-256-256, run together as one
batched matmul chain, ``torch.baddbmm`` per layer), decoding, the FK of every cluster's answer and the choice
of the closest. Weights come from a short fit (timing does not depend on
them); each measurement is the median of ``--repeats`` runs after a warm-up.

    python benchmarks/bench_ml_ik.py [--n 20000] [--threads 2] [--repeats 5] [--out results/bench_ml_ik.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path


def _median_time(fn, repeats: int) -> float:
    import numpy as np

    fn()
    ts = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return float(np.median(ts))


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=20_000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=Path("results/bench_ml_ik.json"))
    args = ap.parse_args(argv)
    for var in ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)

    import numpy as np

    from iklearn.data.sampling import sample_joints
    from iklearn.estimators.ml_ik.classifier import ConditioningClassifier
    from iklearn.estimators.ml_ik.regressor import ClusteredMLPRegressor
    from iklearn.kinematics import fk
    from iklearn.robot import load_robot

    arm, ur5 = load_robot("arm4"), load_robot("ur5")
    q = sample_joints(arm, 4000, "lhs", seed=args.seed)
    reg = ClusteredMLPRegressor(arm, cluster_joints=(1, 2), features="xyz_yaw_sincos", max_epochs=1,
                                n_threads=args.threads, random_state=args.seed).fit(fk(arm, q), q)
    T = fk(arm, sample_joints(arm, args.n, "uniform", seed=args.seed + 1))
    t_reg = _median_time(lambda: reg.predict(T), args.repeats)
    qu = sample_joints(ur5, 4000, "uniform", seed=args.seed)
    clf = ConditioningClassifier(ur5, max_epochs=1, n_threads=args.threads,
                                 random_state=args.seed).fit(fk(ur5, qu), np.arange(4000) % 4)
    Tu = fk(ur5, sample_joints(ur5, args.n, "uniform", seed=args.seed + 1))
    t_clf = _median_time(lambda: clf.predict_proba(Tu), args.repeats)
    res = {
        "n": args.n, "threads": args.threads,
        "regressor_ms_per_sample": 1e3 * t_reg / args.n,
        "classifier_ms_per_sample": 1e3 * t_clf / args.n,
        "target_regressor_ms": 0.1, "published_regressor_ms": 0.70,
        "machine": {"python": platform.python_version(), "platform": platform.platform(),
                    "cpus": os.cpu_count()},
    }
    print(f"regressor (4 x 256-256-256 + FK selection), batch of {args.n}: "
          f"{res['regressor_ms_per_sample']:.4f} ms/sample (target < 0.1, paper 0.70)")
    print(f"classifier (5 x 256), batch of {args.n}: {res['classifier_ms_per_sample']:.4f} ms/sample")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(res, indent=2))
    return res


if __name__ == "__main__":
    main()
