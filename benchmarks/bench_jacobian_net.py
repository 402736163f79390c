"""JacobianNet speed: gated inference on CPU, one pose per call and batched, beside the numerical and
closed-form routes.

Target (issue 8): <= 20 microseconds per sample, batched, on a 2-core CPU. The network has the widths the
experiment uses (weights from a short fit: timing does not depend on accuracy). Also times dataset
generation (M3's sampler, closed-form IK + Jacobians, vectorised) and the numerical route (our LM IK +
Jacobian, one arm at a time).

    python benchmarks/bench_jacobian_net.py [--n 20000] [--threads 2] [--model PATH]
        [--out results/bench_jacobian_net.json]

``--model``: time a saved, trained model (e.g. ``jacobian_net_tip.npz`` from ``iklearn reproduce
jacobian-net``) instead of the short fit; the gate then rejects the unreachable rows as it would in use.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=20000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--model", type=Path, default=None)
    ap.add_argument("--out", type=Path, default=Path("results/bench_jacobian_net.json"))
    args = ap.parse_args(argv)
    for var in ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)
    import numpy as np
    import torch

    from iklearn.data import random_manipulators as rm
    from iklearn.estimators.jacobian_net import JacobianNet
    from iklearn.experiments.jacobian_net import METHOD, SIZES, WIDTHS
    from iklearn.experiments.jacobian_net_baselines import numerical_route_time
    from iklearn.experiments.jacobian_net_checks import inference_speed

    torch.set_num_threads(args.threads)
    t0 = time.perf_counter()
    big = rm.make_dataset(100_000, seed=5)
    t_gen = time.perf_counter() - t0
    conf = rm.make_dataset(2000, seed=1)
    est = rm.make_dataset(2000, seed=2, only_reachable=True)
    widths = WIDTHS[SIZES["full"]["widths"]]  # the network the full-size experiment trains
    if args.model is not None:
        m = JacobianNet.load(args.model)
        widths = {k: list(getattr(m, k)) for k in ("encoder", "confidence", "estimation")}
    else:
        m = JacobianNet(**widths, **METHOD, pretrain_epochs=1, confidence_epochs=1, n_cycles=0).fit(
            conf.X, conf.reachable, est.X, est.J)
    torch.set_num_threads(args.threads)  # fit() sets the estimator's own thread count
    te = rm.make_dataset(args.n, seed=3)
    res = {}
    for name, fn in (("gated", lambda X: m.predict(X)), ("confidence_only", m.predict_confidence),
                     ("ungated_both", lambda X: (m.predict_confidence(X), m.predict_jacobian(X)))):
        fn(te.X[:1000])
        best = min(_timed(fn, te.X) for _ in range(5))
        res[name + "_us_per_sample"] = 1e6 * best / args.n
    one = inference_speed(m, te.X, n_single=2000)  # one thread
    res.update(single_pose_median_us=one["single_median_us"], single_pose_p90_us=one["single_p90_us"])
    t_num, t_ana = numerical_route_time(te, n=100)
    res.update(numerical_route_ms_per_sample=t_num * 1e3, closed_form_route_us_per_sample=t_ana * 1e6,
               dataset_samples_per_s=100_000 / t_gen, n=args.n, threads=args.threads,
               widths=widths, method=METHOD, model=str(args.model),
               machine=platform.platform(), torch=torch.__version__,
               cpus=os.cpu_count(), reachable_fraction=float(big.reachable.mean()))
    for k, v in res.items():
        print(f"{k:40s} {v}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(res, indent=2, default=str))
    return res


def _timed(fn, X) -> float:
    t0 = time.perf_counter()
    fn(X)
    return time.perf_counter() - t0


if __name__ == "__main__":
    main()
