"""Dataset generation speed: Panda samples with pose, Jacobian and manipulability metrics per minute.

Target (issue 3): >= 1,000,000 samples per minute on 2 cores. Each sample is a uniform configuration inside
the limits, its tip pose (numba ``fk_jac_batch``), its 6x7 world Jacobian and the metrics from its singular
values (batched ``np.linalg.svd``). Three measurements: the in-memory pipeline (``generate_dataset`` without
``out``), a stage breakdown of one chunk, and the same run written to Parquet (zstd).

    python benchmarks/bench_data.py [--n 1000000] [--chunk 100000] [--threads 2] [--out results/bench_data.json]

Set ``--threads`` before numba/numpy start (it sets NUMBA_NUM_THREADS / OMP / OPENBLAS threads).
A warm-up run compiles the kernels first, so no timing includes compilation.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--chunk", type=int, default=100_000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=Path("results/bench_data.json"))
    args = ap.parse_args(argv)
    for var in ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)

    import numpy as np

    from iklearn.data.dataset import compute_samples, generate_dataset
    from iklearn.data.sampling import sample_joints
    from iklearn.kinematics import _kernels as K
    from iklearn.kinematics.metrics import manipulability
    from iklearn.kinematics.pose import matrix_to_pose7
    from iklearn.robot import load_robot

    chain = load_robot("panda")
    generate_dataset(chain, 2000, seed=args.seed, chunk_size=1000)  # warm-up: numba compilation

    # stage breakdown on one chunk
    q = sample_joints(chain, args.chunk, seed=args.seed)
    T = np.empty((args.chunk, 4, 4))
    J = np.empty((args.chunk, 6, 7))
    stages = {}
    t = time.perf_counter()
    q = sample_joints(chain, args.chunk, seed=args.seed)
    stages["sample"] = time.perf_counter() - t
    t = time.perf_counter()
    K.fk_jac_batch(q, chain.joint_types, chain.fixed, chain.axes, chain.tip, T, J, False)
    stages["fk_jacobian"] = time.perf_counter() - t
    t = time.perf_counter()
    matrix_to_pose7(T)
    stages["pose7"] = time.perf_counter() - t
    t = time.perf_counter()
    manipulability(J)
    stages["svd_metrics"] = time.perf_counter() - t
    t = time.perf_counter()
    compute_samples(chain, q)
    stages["compute_samples"] = time.perf_counter() - t

    t = time.perf_counter()
    ds = generate_dataset(chain, args.n, seed=args.seed, chunk_size=args.chunk, labels=("conditioning",))
    mem_s = time.perf_counter() - t
    assert len(ds) == args.n
    del ds
    with tempfile.TemporaryDirectory() as d:
        t = time.perf_counter()
        generate_dataset(chain, args.n, seed=args.seed, chunk_size=args.chunk, labels=("conditioning",),
                         out=Path(d) / "panda.parquet")
        file_s = time.perf_counter() - t
        size_mb = (Path(d) / "panda.parquet").stat().st_size / 2**20

    rec = {
        "robot": "panda", "n": args.n, "chunk_size": args.chunk, "threads": args.threads,
        "in_memory_s": mem_s, "in_memory_per_minute": args.n / mem_s * 60,
        "with_parquet_s": file_s, "with_parquet_per_minute": args.n / file_s * 60, "parquet_mb": size_mb,
        "stages_per_chunk_s": stages, "target_per_minute": 1_000_000,
        "met": args.n / mem_s * 60 >= 1_000_000,
        "machine": {"python": sys.version.split()[0], "platform": platform.platform(),
                    "cpus": os.cpu_count(), "numpy": np.__version__},
    }
    print(f"Panda dataset generation, {args.n:,} samples, chunks of {args.chunk:,}, {args.threads} threads")
    print(f"{'stage (one chunk)':<28}{'seconds':>10}")
    for k, v in stages.items():
        print(f"{k:<28}{v:>10.3f}")
    print(f"{'in memory':<28}{mem_s:>10.2f} s   {rec['in_memory_per_minute']:>14,.0f} samples/min")
    print(f"{'with Parquet file':<28}{file_s:>10.2f} s   {rec['with_parquet_per_minute']:>14,.0f} samples/min"
          f"   ({size_mb:.0f} MiB)")
    print(f"target >= 1,000,000 samples/min: {'met' if rec['met'] else 'NOT met'}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(rec, indent=2))
    return rec


if __name__ == "__main__":
    main()
