"""Checks on trained JacobianNets for paper 004: inference speed (one pose per call and batched) and the
input robustness of the scaler (rounded constant columns, rounded features, another arm family)."""

from __future__ import annotations

import time

import numpy as np

from iklearn.errors import InputDomainError


def _one_thread(fn):
    """Run ``fn()`` with torch on one thread (the CPU time is then what the work costs one core)."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return fn()
    finally:
        torch.set_num_threads(threads)


def inference_speed(model, X: np.ndarray, n_single: int = 2000, repeats: int = 3) -> dict:
    """Gated inference (``model.predict``) on one thread.

    Batched: the whole ``X`` per call, best of ``repeats``: wall and CPU microseconds per sample and samples per
    second. Single: one pose per call (``X[i:i+1]``) for ``n_single`` poses after 20 warm-up calls: median and
    90th percentile wall microseconds per call.
    """

    def measure() -> dict:
        wall = cpu = np.inf
        for _ in range(repeats):
            t0, c0 = time.perf_counter(), time.process_time()
            model.predict(X)
            wall, cpu = min(wall, time.perf_counter() - t0), min(cpu, time.process_time() - c0)
        rows = X[np.arange(n_single) % len(X)]
        for i in range(20):
            model.predict(rows[i:i + 1])
        per = np.empty(n_single)
        for i in range(n_single):
            t0 = time.perf_counter()
            model.predict(rows[i:i + 1])
            per[i] = time.perf_counter() - t0
        return dict(batch=len(X), batched_us=1e6 * wall / len(X), batched_cpu_us=1e6 * cpu / len(X),
                    throughput_per_s=len(X) / wall, single_median_us=1e6 * float(np.median(per)),
                    single_p90_us=1e6 * float(np.quantile(per, 0.9)), n_single=n_single)

    return _one_thread(measure)


def rounding_robustness(model, X: np.ndarray, y: np.ndarray, const_cols, decimals: int = 4) -> dict:
    """Confidence for exact features against the same features written to ``decimals`` decimals: only the
    constant columns rounded (the alphas, as M3's files write pi/2), then every column; and whether a value of
    another arm family in a constant column is refused.

    ``y``: reachable labels (for the MCC of each input). Returns max absolute confidence differences, the number
    of changed decisions at the model's threshold, the MCCs and ``refused`` (bool).
    """
    from sklearn.metrics import matthews_corrcoef

    c = np.asarray(const_cols)
    p0 = model.predict_confidence(X)
    Xa = X.copy()
    Xa[:, c] = np.round(Xa[:, c], decimals)
    Xr = np.round(X, decimals)
    pa, pr = model.predict_confidence(Xa), model.predict_confidence(Xr)
    thr = model.threshold
    other = X[:1].copy()
    k = c[np.argmax(np.abs(other[0, c]))]  # a non-zero constant column (an alpha): flip its sign
    other[0, k] = -other[0, k]
    try:
        model.predict_confidence(other)
        refused = False
    except InputDomainError:
        refused = True
    return dict(n=len(X), decimals=decimals, max_input_change_const=float(np.abs(Xa - X).max()),
                max_dconf_const=float(np.abs(pa - p0).max()),
                changed_const=int(np.sum((pa >= thr) != (p0 >= thr))),
                max_dconf_all=float(np.abs(pr - p0).max()), changed_all=int(np.sum((pr >= thr) != (p0 >= thr))),
                mcc_exact=float(matthews_corrcoef(y, p0 >= thr)),
                mcc_rounded_all=float(matthews_corrcoef(y, pr >= thr)), refused_other_family=refused,
                other_family_column=int(k))
