"""Solution sets: how often ``iklearn.solve_set`` finds K distinct valid solutions and what it costs per target,
beside TRAC-IK restarted from random seeds under the same rule; on the UR5, the set found by restarts against
the closed form's valid solutions.

Panda: ``--n`` random targets (FK of configurations uniform inside the limits), K = 8, ``min_distance`` 0.5 rad,
ranked nearest to the ready pose. Ours: one ``solve_set`` call over the batch (restarts: attempt 0 from the
seed, then uniform configurations, at most 10 K attempts per target). TRAC-IK (Speed mode, 20 ms budget) gets the
same seeds, the same number of attempts and the same distinctness rule (its answers checked with our FK at
1e-6 m / 1e-5 rad, as ours). UR5: K = 8, ``min_distance`` 0.1 rad; ``method='lm'`` (restarts) against the
closed form's valid solutions deduplicated by the same rule: the share of targets where the two sets are
equal (as many members, each within 0.01 rad of one of the other's: LM stops at 1e-6 m, which near a
singular branch leaves the joints up to ~1e-3 rad off the exact solution). Usage::

    python benchmarks/bench_solutions.py [--n 300] [--n-peer 60] [--out results]
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import iklearn  # noqa: F401  (sets OMP_WAIT_POLICY before any OpenMP runtime loads)


def _peer_sets(peer, chain, T, q0, K, min_distance, attempts, seed):
    """TRAC-IK restarted like ours: attempt 0 from q0, then uniform seeds; distinct valid answers kept."""
    import numpy as np

    from iklearn.kinematics import fk, pose_error
    from iklearn.solvers.sets import joint_distance

    rng = np.random.default_rng(seed)
    counts = np.zeros(len(T), int)
    for i in range(len(T)):
        kept = []
        for j in range(attempts):
            start = q0 if j == 0 else rng.uniform(chain.finite_lower, chain.finite_upper)
            r = peer.solve(T[i], start)
            pe, re = pose_error(fk(chain, r.q[0]), T[i])
            if r.success[0] and pe <= 1e-6 and re <= 1e-5 and chain.within_limits(r.q, 1e-9)[0]:
                if not kept or (joint_distance(chain, np.array(kept), r.q[0]) >= min_distance).all():
                    kept.append(r.q[0])
                    if len(kept) == K:
                        break
        counts[i] = len(kept)
    return counts


def main() -> None:
    import numpy as np

    import iklearn
    from iklearn.evaluation.record import machine_info, save_json
    from iklearn.kinematics import fk
    from iklearn.solvers.analytic import UR_PARAMETERS, ur_ik_all
    from iklearn.solvers.peers import available_peers
    from iklearn.solvers.sets import joint_distance

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=300)
    ap.add_argument("--n-peer", type=int, default=60, help="targets given to TRAC-IK (the first of the n)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=Path("results"))
    a = ap.parse_args()
    out = {}
    rng = np.random.default_rng(a.seed)

    # Panda, K = 8, 0.5 rad
    c = iklearn.load_robot("panda")
    T = fk(c, rng.uniform(c.finite_lower, c.finite_upper, (a.n, 7)))
    q0 = c.pose("ready")
    K, md = 8, 0.5
    iklearn.solve_set(c, T[:2], n_solutions=K, min_distance=md, q0=q0, seed=a.seed)  # warm-up
    t0 = time.perf_counter()
    S = iklearn.solve_set(c, T, n_solutions=K, min_distance=md, q0=q0, seed=a.seed)
    dt = time.perf_counter() - t0
    t0 = time.perf_counter()
    for i in range(min(a.n, 50)):  # one target per call, as a user asking for one pose
        iklearn.solve_set(c, T[i], n_solutions=K, min_distance=md, q0=q0, seed=a.seed)
    dt1 = (time.perf_counter() - t0) / min(a.n, 50)
    panda = {"n": a.n, "K": K, "min_distance": md, "share_with_K": float((S.count == K).mean()),
             "mean_count": float(S.count.mean()), "count_histogram": np.bincount(S.count, minlength=K + 1).tolist(),
             "time_per_target_batch_s": dt / a.n, "time_per_target_single_call_s": dt1}
    print(f"Panda K={K}, min_distance {md} rad, {a.n} random targets: {100 * panda['share_with_K']:.1f} % with {K} "
          f"distinct valid solutions (mean {panda['mean_count']:.2f}; histogram {panda['count_histogram']}); "
          f"{1e3 * panda['time_per_target_batch_s']:.2f} ms per target in a batch, "
          f"{1e3 * dt1:.2f} ms in one-target calls")
    m = min(a.n_peer, a.n)
    if "tracik" in available_peers() and m > 0:
        from iklearn.solvers.peers import TracIK

        peer = TracIK(c, timeout=0.02, seed=a.seed)
        t0 = time.perf_counter()
        pc = _peer_sets(peer, c, T[:m], q0, K, md, 10 * K, a.seed)
        dtp = (time.perf_counter() - t0) / m
        panda["tracik_restarts"] = {"n": m, "share_with_K": float((pc == K).mean()), "mean_count": float(pc.mean()),
                                    "time_per_target_s": dtp}
        print(f"  TRAC-IK restarted the same way, first {m} targets: {100 * (pc == K).mean():.1f} % with {K} "
              f"(ours on the same targets {100 * (S.count[:m] == K).mean():.1f} %), {1e3 * dtp:.2f} ms per target "
              f"({dtp / (dt / a.n):.1f}x ours)")
    out["panda"] = panda

    # UR5: restarts against the closed form
    u = iklearn.load_robot("ur5")
    Tu = fk(u, rng.uniform(u.finite_lower, u.finite_upper, (a.n, 6)))
    md = 0.1
    iklearn.solve_set(u, Tu[:2], n_solutions=8, min_distance=md, method="lm")
    t0 = time.perf_counter()
    L = iklearn.solve_set(u, Tu, n_solutions=8, min_distance=md, method="lm", seed=a.seed)
    dtl = time.perf_counter() - t0
    t0 = time.perf_counter()
    A = iklearn.solve_set(u, Tu, n_solutions=8, min_distance=md)  # 'auto': the closed form
    dta = time.perf_counter() - t0
    qcf, valid = ur_ik_all(Tu, UR_PARAMETERS["ur5"])
    equal = np.zeros(a.n, bool)
    for i in range(a.n):
        ref = A.solutions(i)
        got = L.solutions(i)
        equal[i] = len(ref) == len(got) and (
            len(ref) == 0 or (joint_distance(u, got[:, None], ref[None]).min(axis=1) < 1e-2).all())
    ur5 = {"n": a.n, "K": 8, "min_distance": md, "share_equal_to_closed_form": float(equal.mean()),
           "closed_form_valid_raw_mean": float(valid.sum(1).mean()), "closed_form_set_mean": float(A.count.mean()),
           "lm_set_mean": float(L.count.mean()), "time_per_target_lm_s": dtl / a.n,
           "time_per_target_closed_form_s": dta / a.n}
    print(f"UR5 K=8, min_distance {md} rad, {a.n} random targets: restarts (lm) found the closed form's set on "
          f"{100 * ur5['share_equal_to_closed_form']:.1f} % of targets (mean {ur5['lm_set_mean']:.2f} vs "
          f"{ur5['closed_form_set_mean']:.2f} solutions; {ur5['closed_form_valid_raw_mean']:.2f} valid branches "
          f"before deduplication); {1e3 * dtl / a.n:.2f} ms per target (closed form {1e3 * dta / a.n:.3f} ms)")
    out["ur5"] = ur5
    path = save_json(a.out / "bench_solutions.json", {"machine": machine_info(), "load_average_1_5_15min": os.getloadavg(),
                                       "seed": a.seed, "results": out})
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
