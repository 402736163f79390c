"""Paper 000: Jacobian-guided active learning for Gaussian-process IK (``iklearn reproduce gp-ik``).

Runs plain GP-IK, EI, UCB and the UCB->EI hybrid (:class:`iklearn.estimators.gp_ik.GPIK`) beside a plain
fixed-damping DLS and TRAC-IK on the 6 + 24 Franka cases (:mod:`.gp_ik_cases`) and on random Panda targets,
and writes Table I/II beside the published numbers, per-case results and convergence plots.
Success everywhere = position error < 1e-3 m and orientation error < 1e-2 rad (the paper's criterion),
scored with our FK by :func:`iklearn.kinematics.pose_error`, inside the joint limits. Solvers run interleaved
target by target (timings comparable on a shared CPU); each GP-IK solver keeps its GP and start memory across
the targets of the run, in order: cases first, then the random targets (active learning across solves).
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

import numpy as np

from iklearn.evaluation.record import Claim, ExperimentResult, Progress, Size, Table, Timer, machine_info, save_json
from iklearn.evaluation.plotting import plt
from iklearn.experiments.gp_ik_cases import all_cases, reachability, seed_configuration

NAME = "gp-ik"
TITLE = "Paper 000: Jacobian-guided active learning for GP-IK"
TOL_P, TOL_R = 1e-3, 1e-2
N_RANDOM = {"tiny": 10, "quick": 100, "full": 1000}
PUBLISHED_II = {"none": (93.33, 39.07, 3.04, 1.56), "ei": (100.0, 200.0, 2.87, 6.79), "ucb": (93.30, 19.07, 2.27, 1.40)}
PUBLISHED_I = {"none": (57.14, 289.29, 155.7, 0.3945), "ei": (57.14, 200.0, 93.5, 0.2769),
               "ucb": (57.14, 69.29, 142.5, 0.3228)}
LABEL = {"none": "plain GP-IK", "ei": "EI", "ucb": "UCB", "hybrid": "hybrid UCB->EI", "dls": "plain DLS",
         "trac-ik": "TRAC-IK", "ei-nogp": "EI, GP off", "ucb-nogp": "UCB, GP off"}


def _single_thread():
    """BLAS threads only add wake-up latency on the tiny matrices here (and the machine is shared)."""
    try:
        from threadpoolctl import threadpool_limits

        return threadpool_limits(1)
    except ImportError:  # pragma: no cover - threadpoolctl ships with scikit-learn
        return contextlib.nullcontext()


def _solvers(chain, seed: int) -> dict:
    from iklearn.estimators.gp_ik import GPIK

    s = {a: GPIK(chain, acquisition=a, tol_position=TOL_P, tol_rotation=TOL_R, seed=seed)
         for a in ("none", "ei", "ucb", "hybrid")}
    # ablation: the learned GP switched off (no slope weighting, no predicted sensitivity in the costs);
    # the measured sensitivity still scales the damping
    for a in ("ei", "ucb"):
        s[f"{a}-nogp"] = GPIK(chain, acquisition=a, tol_position=TOL_P, tol_rotation=TOL_R, kappa=0.0, eta=0.0,
                              seed=seed)
    try:
        from iklearn.solvers.dls import DampedLeastSquares

        # the classic baseline: fixed damping, every step taken, one start, same budget as plain GP-IK
        s["dls"] = DampedLeastSquares(chain, tol_position=TOL_P, tol_rotation=TOL_R, max_iterations=400,
                                      damping=0.05, adaptive=False, seed=seed)
    except ImportError:  # pragma: no cover - written in parallel
        pass
    try:
        from iklearn.solvers.peers import TracIK

        s["trac-ik"] = TracIK(chain, timeout=0.02, tol_position=TOL_P, tol_rotation=TOL_R, seed=seed)
    except Exception:  # noqa: BLE001 - pytracik missing or adapter absent: TRAC-IK parts are skipped
        pass
    return s


def _score(chain, res, T):
    """Success by the paper's criterion, recomputed with our FK (solvers' own flags may use other tolerances)."""
    from iklearn.kinematics import fk, pose_error

    pe, re = pose_error(fk(chain, res.q), T)
    ok = (pe < TOL_P) & (re < TOL_R) & chain.within_limits(res.q)
    return ok, pe, re


def _run_set(chain, solvers: dict, T: np.ndarray, Q0: np.ndarray) -> dict:
    """Solve every target with every solver, interleaved target by target (fair timings on a shared CPU)."""
    from iklearn.solvers.result import IKResult

    times: dict[str, list[float]] = {k: [] for k in solvers}
    res: dict[str, list] = {k: [] for k in solvers}
    for i in range(len(T)):
        for name, s in solvers.items():
            t0 = time.perf_counter()
            res[name].append(s.solve(T[i:i + 1], q0=Q0[i:i + 1]))
            times[name].append(time.perf_counter() - t0)
    out = {}
    for name in solvers:
        r = IKResult.concatenate(res[name])
        ok, pe, re = _score(chain, r, T)
        out[name] = {"success": ok, "position_error": pe, "rotation_error": re,
                     "iterations": r.iterations.astype(float), "time_s": np.array(times[name]), "q": r.q}
    return out


def _summary(d: dict) -> dict:
    return {"success_rate": float(d["success"].mean() * 100), "mean_iterations": float(d["iterations"].mean()),
            "mean_position_error_mm": float(d["position_error"].mean() * 1e3),
            "mean_rotation_error_rad": float(d["rotation_error"].mean()),
            "median_time_ms": float(np.median(d["time_s"]) * 1e3), "mean_time_ms": float(d["time_s"].mean() * 1e3)}


def run(out: Path, size: Size = "quick", seed: int = 0, progress: Progress | None = None) -> ExperimentResult:
    from iklearn.kinematics import fk
    from iklearn.robot import load_robot

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    res = ExperimentResult(NAME, TITLE, size, seed, command=f"iklearn reproduce gp-ik --{size} --seed {seed}")
    chain = load_robot("panda")
    with Timer() as wall, _single_thread():
        solvers = _solvers(chain, seed)
        # warm-up (numba compile / cache load) outside the timings
        for s in solvers.values():
            s.solve(fk(chain, chain.pose("ready"))[None], q0=seed_configuration(chain)[None])
        cases = all_cases(chain, seed=0)
        T = np.stack([c.target for c in cases])
        Q0 = np.repeat(seed_configuration(chain)[None], len(cases), 0)
        reach = {c.name: reachability(chain, c.target, seed=seed) for c in cases if c.q_source is None}
        task = progress.add_task("gp-ik: 6+24 cases", total=1) if progress else None
        case_res = _run_set(chain, solvers, T, Q0)
        if progress:
            progress.update(task, advance=1)
        reachable = np.array([c.q_source is not None or reach[c.name][0] for c in cases])
        # random targets: FK of uniform configurations, random seeds (both seeded)
        n = N_RANDOM[size]
        rng = np.random.default_rng(seed + 1000)
        Qr = rng.uniform(chain.finite_lower, chain.finite_upper, (n, chain.dof))
        Tr = fk(chain, Qr)
        Q0r = rng.uniform(chain.finite_lower, chain.finite_upper, (n, chain.dof))
        task = progress.add_task(f"gp-ik: {n} random targets", total=1) if progress else None
        rand_res = _run_set(chain, solvers, Tr, Q0r)
        if progress:
            progress.update(task, advance=1)
        # convergence traces of the challenging cases
        from iklearn.estimators.gp_ik import Trace

        # (fresh solvers: the run's ones remember these cases' solutions and would start on them)
        from iklearn.estimators.gp_ik import GPIK

        fresh = {a: GPIK(chain, acquisition=a, tol_position=TOL_P, tol_rotation=TOL_R, seed=seed)
                 for a in ("none", "ei", "ucb", "hybrid")}
        traces: dict[str, dict[str, dict]] = {}
        for c in [c for c in cases if c.group == "challenging"] + [cases[6]]:
            traces[c.name] = {}
            for a, s in fresh.items():
                tl: list[Trace] = []
                s.solve(c.target[None], q0=Q0[:1], traces=tl)
                traces[c.name][a] = {k: v for k, v in tl[0].__dict__.items() if k != "q"}
    res.wall_time_s = wall.s
    _report(res, out, chain, cases, reachable, reach, case_res, rand_res, traces, n)
    res.notes.append(f"machine: {machine_info()}")
    res.save(out)
    return res


def _report(res, out, chain, cases, reachable, reach, case_res, rand_res, traces, n) -> None:
    names = list(case_res)
    cs = {k: _summary({f: v[reachable] for f, v in d.items() if f != "q"}) for k, d in case_res.items()}
    rs = {k: _summary({f: v for f, v in d.items() if f != "q"}) for k, d in rand_res.items()}
    per_case = [{"case": c.name, "group": c.group, "target_position": c.target[:3, 3], "reachable": bool(r),
                 **{f"{k}_success": bool(case_res[k]["success"][i]) for k in names},
                 **{f"{k}_iterations": float(case_res[k]["iterations"][i]) for k in names},
                 **{f"{k}_position_error": float(case_res[k]["position_error"][i]) for k in names}}
                for i, (c, r) in enumerate(zip(cases, reachable))]
    res.data += [str(save_json(out / "cases.json", {"summary": cs, "per_case": per_case, "reachability": reach}).name),
                 str(save_json(out / "random.json", {"n": n, "summary": rs}).name),
                 str(save_json(out / "traces.json", traces).name)]
    cols = ["method", "success % (ours)", "success % (paper)", "iterations (ours)", "iterations (paper)",
            "pos. error mm (ours)", "pos. error mm (paper)", "orient. error rad (ours)", "orient. error rad (paper)"]

    def rows(summ, pub):
        out_rows = []
        for k in ("none", "ei", "ucb", "hybrid"):
            p = pub.get(k, (None,) * 4)
            s = summ[k]
            out_rows.append([LABEL[k], round(s["success_rate"], 2), p[0], round(s["mean_iterations"], 2), p[1],
                             round(s["mean_position_error_mm"], 4), p[2], round(s["mean_rotation_error_rad"], 5), p[3]])
        return out_rows

    res.tables.append(Table("Table I (general case): ours on random Panda targets from random seeds", cols,
                            rows(rs, PUBLISHED_I),
                            note=f"The paper does not say which robot or targets Table I used; ours = {n} random "
                                 "Panda poses (FK of uniform configurations), uniform random seeds."))
    res.tables.append(Table("Table II (Franka): the 6 + 24 cases, reachable ones (caller's seed: mid-range)", cols,
                            rows(cs, PUBLISHED_II),
                            note="Success: position < 1e-3 m and orientation < 1e-2 rad; errors are means over "
                                 "all cases, failures included (the paper's 'orientation error 6.79' for EI is "
                                 "printed as is: its text says 6.79e-6 rad)."))
    comp_cols = ["method", "6+24 success %", "6+24 mean iterations", f"{n} random: success %",
                 "random: median ms/solve", "random: mean ms/solve"]
    res.tables.append(Table("GP guidance vs plain DLS and TRAC-IK (same run)", comp_cols,
                            [[LABEL[k], round(cs[k]["success_rate"], 2), round(cs[k]["mean_iterations"], 2),
                              round(rs[k]["success_rate"], 2), round(rs[k]["median_time_ms"], 3),
                              round(rs[k]["mean_time_ms"], 3)] for k in names],
                            note="TRAC-IK: pytracik, 20 ms budget, iterations not reported (-1). Plain DLS: "
                                 "fixed damping 0.05, error clamping, 400 iterations, no restarts. 'GP off' = "
                                 "the same solver with kappa = eta = 0 (ablation of the learned GP)."))
    hard = [i for i, c in enumerate(cases) if c.name in ("near_singularity", "extended_reach")]
    for k in ("ei", "ucb"):
        res.claims.append(Claim(
            f"gp-ik.table2.{k}.success", f"{LABEL[k]}: success on the reachable cases of the 6 + 24 set (our solver)",
            "extension", cs[k]["success_rate"], ">=", 100.0, unit="%",
            detail=f"of {int(reachable.sum())} reachable; near-singular / extended reach: "
                   + " / ".join("ok" if case_res[k]["success"][i] else "fail" for i in hard),
            published="EI 100 %, UCB 93.3 %", source="Table II"))
    res.claims.append(Claim("gp-ik.table2.ucb.iterations", "UCB mean iterations on the 6 + 24 cases (our solver)",
                            "extension", cs["ucb"]["mean_iterations"], "<=", 19.07,
                            published="19.07", source="Table II"))
    for k in ("dls", "trac-ik"):
        res.claims.append(Claim(f"gp-ik.table2.{k.replace('-', '')}.success",
                                f"Same cases with {LABEL[k]} in the same run", "extension",
                                cs[k]["success_rate"] if k in cs else None, unit="%"))
    for k in names:
        res.claims.append(Claim(f"gp-ik.table1.{k.replace('-', '')}.success",
                                f"{n} random Panda targets: {LABEL[k]} success", "extension",
                                rs[k]["success_rate"], unit="%",
                                detail=f"median {rs[k]['median_time_ms']:.2f} ms per solve"))
    for a in ("ei", "ucb"):
        if f"{a}-nogp" in cs:
            g, o = f"{a}-nogp", a
            res.notes.append(
                f"GP ablation ({LABEL[a]}): with the GP {cs[o]['success_rate']:.1f} % / {cs[o]['mean_iterations']:.2f} it "
                f"(cases), {rs[o]['success_rate']:.1f} % / {rs[o]['mean_iterations']:.2f} it (random); GP off "
                f"{cs[g]['success_rate']:.1f} % / {cs[g]['mean_iterations']:.2f} it, {rs[g]['success_rate']:.1f} % / "
                f"{rs[g]['mean_iterations']:.2f} it. Most of the gain over plain GP-IK comes from the LM-quality step "
                "and the acquisition-chosen starts, not from the learned sensitivity model.")
    unreach = [c.name for c, r in zip(cases, reachable) if not r]
    res.notes += [
        f"Reachability of the position-only cases (exhaustive LM, 200 restarts): {reach}; unreachable: {unreach or 'none'}.",
        "Seeds: the caller's seed is the mid-range configuration for the 6 + 24 cases and a uniform random one for "
        "the random targets. Plain GP-IK and plain DLS start from it; EI / UCB / hybrid choose their starts by "
        "acquisition among it, a seeded Sobol set of 2048 configurations (FK precomputed) and the solutions of the "
        "targets solved before in the same run (the GP and this memory persist across targets: active learning "
        "across solves). The paper does not say where its solves start; this is our reading.",
        "Iterations count every Jacobian evaluation over all starts of a solve.",
        "Our EI stops at the tolerance (Algorithm 1, line 11) instead of always running to the cap as the paper's did.",
        "Choices the paper leaves open (sensitivity weights, GP hyperparameters, acquisition over candidate steps, "
        "threshold meaning) are documented in iklearn/estimators/gp_ik/{sensitivity,gp,solver}.py.",
    ]
    _plot(res, out, traces)


def _plot(res, out, traces) -> None:
    pyplot = plt()
    fig, axes = pyplot.subplots(1, len(traces), figsize=(4 * len(traces), 3.4), sharey=True)
    for ax, (case, tr) in zip(np.atleast_1d(axes), traces.items()):
        for a, d in tr.items():
            ax.semilogy(np.maximum(d["position_error"], 1e-7), label=LABEL[a])
        ax.axhline(TOL_P, color="k", lw=0.8, ls="--")
        ax.set_title(case)
        ax.set_xlabel("iteration")
    np.atleast_1d(axes)[0].set_ylabel("position error (m)")
    np.atleast_1d(axes)[0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out / "convergence.png", dpi=120)
    pyplot.close(fig)
    res.figures.append("convergence.png")
