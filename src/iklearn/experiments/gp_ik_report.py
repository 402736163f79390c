"""Tables, claims, notes and the convergence figure of the GP-IK experiment (paper 000), from one run's data.

Every figure in here is computed from the run's results; published numbers carry their source.
"""

from __future__ import annotations

import numpy as np

from iklearn.evaluation.plotting import plt
from iklearn.evaluation.record import Claim, Table, save_json

TOL_P = 1e-3
PUB_II = {"none": (93.33, 39.07, 3.04, 1.56), "ei": (100.0, 200.0, 2.87, 6.79), "ucb": (93.30, 19.07, 2.27, 1.40)}
PUB_I = {"none": (57.14, 289.29, 155.7, 0.3945), "ei": (57.14, 200.0, 93.5, 0.2769),
         "ucb": (57.14, 69.29, 142.5, 0.3228)}
ACQ = {"none": "plain GP-IK", "ei": "EI", "ucb": "UCB", "hybrid": "hybrid UCB->EI"}
BASE = {"lm": "our LM, random restarts from the caller's seed (no memory)", "dls": "plain DLS (fixed damping)",
        "trac-ik": "TRAC-IK (5 ms, its default)", "trac-ik-20ms": "TRAC-IK (20 ms)"}
PAPER_ACQ = ("none", "ei", "ucb")  # Algorithm 1 as written (paper protocol)
EXT_ACQ = ("ei", "ucb", "hybrid")  # our extension
HARD = ("near_singularity", "extended_reach")
REPS = 10  # TRAC-IK repeats per challenging pose (see gp_ik._trac_repeats)


def _summary(d: dict) -> dict:
    """Means over the targets of one solver's results; ``n`` = number of targets."""
    jac = d["jacobians"]  # NaN for solvers that do not report them
    return {"success_rate": float(d["success"].mean() * 100), "n": int(d["success"].size),
            "mean_iterations": float(d["iterations"].mean()),
            "mean_jacobians": float(jac.mean()) if np.isfinite(jac).all() else None,
            "mean_position_error_mm": float(d["position_error"].mean() * 1e3),
            "mean_rotation_error_rad": float(d["rotation_error"].mean()),
            "median_time_ms": float(np.median(d["time_s"]) * 1e3), "mean_time_ms": float(d["time_s"].mean() * 1e3)}


def _r(x, nd=2):
    return None if x is None or not np.isfinite(x) else round(float(x), nd)


def report(res, out, cases, reach, case_res, rand_res, trac, traces, n) -> None:
    """Fill ``res`` (tables, claims, notes, figure) and write the data files under ``out``."""
    cs = {k: _summary(d) for k, d in case_res.items()}
    rs = {k: _summary(d) for k, d in rand_res.items()}
    names = list(case_res)
    per_case = [{"case": c.name, "group": c.group, "target_position": c.target[:3, 3],
                 **{f"{k}_{f}": float(case_res[k][f][i]) for k in names
                    for f in ("success", "iterations", "position_error", "rotation_error")}}
                for i, c in enumerate(cases)]
    res.data += [str(save_json(out / "cases.json", {"summary": cs, "per_case": per_case, "reachability": reach}).name),
                 str(save_json(out / "random.json", {"n": n, "summary": rs}).name),
                 str(save_json(out / "trac_ik_repeats.json", trac).name),
                 str(save_json(out / "traces.json", traces).name)]
    _paper_tables(res, cs, rs, n)
    _extension_tables(res, cs, rs, n)
    hard = _hard_table(res, cases, reach, case_res, trac)
    _claims(res, cs, rs, hard, trac, n)
    _notes(res, cs, rs, reach, n)
    _plot(res, out, traces)


def _paper_tables(res, cs, rs, n) -> None:
    cols = ["method", "success % (ours)", "success % (paper)", "iterations = FK evals (ours)", "iterations (paper)",
            "pos. error mm (ours)", "pos. error mm (paper)", "orient. error rad (ours)", "orient. error rad (paper)"]

    def rows(summ, pub):
        out = []
        for suffix, tag in (("", ""), ("-nogp", ", GP off")):
            for a in PAPER_ACQ:
                s, p = summ[f"paper-{a}{suffix}"], pub[a] if not suffix else (None,) * 4
                out.append([ACQ[a] + tag, _r(s["success_rate"]), p[0], _r(s["mean_iterations"]), p[1],
                            _r(s["mean_position_error_mm"], 3), p[2], _r(s["mean_rotation_error_rad"], 4), p[3]])
        return out

    res.tables.append(Table(
        "Table II on the paper's protocol: Algorithm 1 as written, all 6 + 24 Franka cases", cols, rows(cs, PUB_II),
        note="One start (the middle of the joint ranges), a GP per solve, the EI / UCB settings of Sec. III-B, a "
             "cap of 200 FK evaluations; success = position < 1e-3 m and orientation < 1e-2 rad; errors are means "
             "over all 30 cases, failures included. 'GP off' rows: the same solver without the GP (unit joint "
             "weights), our ablation. The paper's orientation errors are printed as published (its text gives "
             "EI's as 6.79e-6 rad)."))
    res.tables.append(Table(
        f"Table I on the paper's protocol: Algorithm 1 as written, {n} random Panda targets", cols, rows(rs, PUB_I),
        note=f"The paper does not say which robot or targets its Table I used; ours = {n} random Panda poses (FK "
             "of uniform configurations) from uniform random starts, so the published column is context, "
             "not the same data."))


def _extension_tables(res, cs, rs, n) -> None:
    cols = ["solver", "cases success %", "cases FK evals", "cases Jacobians", f"{n} random: success %",
            "random: FK evals", "random: median ms/solve"]

    def row(k, label):
        return [label, _r(cs[k]["success_rate"]), _r(cs[k]["mean_iterations"]), _r(cs[k]["mean_jacobians"]),
                _r(rs[k]["success_rate"]), _r(rs[k]["mean_iterations"]), _r(rs[k]["median_time_ms"], 3)]

    rows = []
    for a in EXT_ACQ:
        if a != "hybrid":
            rows.append(row(f"paper-{a}", f"{ACQ[a]}: Algorithm 1 as written (paper protocol)"))
        rows += [row(f"ext-{a}-lm", f"{ACQ[a]}: plain LM from the start memory"),
                 row(f"ext-{a}-nogp", f"{ACQ[a]}: + sensitivity damping, limit slowdown, candidate steps (GP off)"),
                 row(f"ext-{a}", f"{ACQ[a]}: + the GP (our full extension)")]
    rows.append(row("lm", BASE["lm"]))
    res.tables.append(Table(
        "Our extension and what each part buys (same run)", cols, rows,
        note="Extension = LM trust control on the true pose error, candidate steps scored by the acquisition, and "
             "starts chosen from a memory (a seeded Sobol set of 2,048 configurations with precomputed FK, plus "
             "every target solved earlier in the run; the memory's FK is not counted), budget 400 Jacobians. "
             "'Plain LM from the start memory': the same starts and stall rules, a plain LM step. FK evals count "
             "the start and every trial step; our LM counts iterations (one trial FK each)."))
    base = [k for k in BASE if k in cs]
    res.tables.append(Table(
        "Baselines on the same targets", ["solver", "cases success %", f"{n} random: success %",
                                          "random: median ms/solve", "random: mean ms/solve"],
        [[BASE[k], _r(cs[k]["success_rate"]), _r(rs[k]["success_rate"]), _r(rs[k]["median_time_ms"], 3),
          _r(rs[k]["mean_time_ms"], 3)] for k in base],
        note="Same start as Algorithm 1 (mid-range for the cases, uniform random for the random targets). "
             "TRAC-IK via pytracik (KDL + SQP race), scored with our FK." + (
                 "" if "trac-ik" in cs else " pytracik is not installed here: no TRAC-IK rows.")))


def _hard_table(res, cases, reach, case_res, trac) -> dict:
    """The two poses of Sec. III-B named with positions: per-solver outcome. Returns {case: {solver: ok}}."""
    idx = {c.name: i for i, c in enumerate(cases)}
    keys = [k for k in ("paper-none", "paper-ei", "paper-ucb", "ext-ucb", "trac-ik", "trac-ik-20ms") if k in case_res]
    out, rows = {}, []
    for name in HARD:
        i = idx[name]
        out[name] = {k: bool(case_res[k]["success"][i]) for k in keys}
        cell = [("ok" if out[name][k] else "fail") + f" ({case_res[k]['position_error'][i] * 1e3:.3g} mm, "
                f"{case_res[k]['rotation_error'][i]:.2g} rad)" for k in keys]
        r = reach.get(name)
        reps = [f"{trac[name][k]} / {REPS}" if k in trac.get(name, {}) else "-" for k in ("trac-ik", "trac-ik-20ms")]
        rows.append([name, str(np.round(cases[i].target[:3, 3], 3).tolist()),
                     "-" if r is None else ("yes" if r[0] else "no"), *cell, *reps])
    res.tables.append(Table(
        "The two challenging poses the paper names (Sec. III-B)",
        ["case", "position m", "reachable", *keys, f"TRAC-IK 5 ms: solved of {REPS}",
         f"TRAC-IK 20 ms: solved of {REPS}"], rows,
        note="The paper gives positions only; the orientation is the gripper-down one of the 'ready' pose. "
             "'reachable': our LM found a solution within 200 restarts. Cells: outcome (position, orientation "
             f"error) in the scored run; the last two columns: {REPS} more TRAC-IK solves from the same start "
             "(its budget is wall-clock time and its restarts random, so one solve on a shared CPU says little)."))
    return out


def _claims(res, cs, rs, hard, trac, n) -> None:
    src2, src1 = "Table II", "Table I"
    for a in PAPER_ACQ:
        k, p2, p1 = f"paper-{a}", PUB_II[a], PUB_I[a]
        res.claims.append(Claim(
            f"gp-ik.table2.{a}.success", f"{ACQ[a]}, Algorithm 1 as written: success on all 30 Franka cases",
            "paper", cs[k]["success_rate"], ">=", p2[0], unit="%", judged_at="quick", published=f"{p2[0]} %",
            source=src2, detail=f"{round(cs[k]['success_rate'] * 30 / 100)} of 30"))
        judged = p2[1] < 200  # the cap is 200: "<= 200" could not fail
        res.claims.append(Claim(
            f"gp-ik.table2.{a}.iterations", f"{ACQ[a]}, Algorithm 1 as written: mean FK evaluations on the 30 cases"
            + ("" if judged else " (reported: the paper's 200 is the cap, so '<= 200' cannot fail)"),
            "paper", cs[k]["mean_iterations"], "<=" if judged else None, p2[1] if judged else None,
            judged_at="quick", published=str(p2[1]), source=src2))
        res.claims.append(Claim(
            f"gp-ik.table2.{a}.position_error", f"{ACQ[a]}, Algorithm 1 as written: mean position error, 30 cases",
            "paper", cs[k]["mean_position_error_mm"], "<=", p2[2], unit="mm", judged_at="quick",
            published=f"{p2[2]} mm", source=src2))
        res.claims.append(Claim(
            f"gp-ik.table1.{a}.success", f"{ACQ[a]}, Algorithm 1 as written: success on {n} random Panda targets "
            "(the paper's Table I data are not stated)", "paper", rs[k]["success_rate"], ">=", p1[0], unit="%",
            published=f"{p1[0]} %", source=src1))
        res.claims.append(Claim(
            f"gp-ik.table2.{a}.nogp.success", f"{ACQ[a]}, Algorithm 1 with the GP off: success on the 30 cases",
            "extension", cs[f"{k}-nogp"]["success_rate"], unit="%", extends=f"gp-ik.table2.{a}.success",
            detail=f"mean {cs[f'{k}-nogp']['mean_iterations']:.1f} FK evals"))
    for name, pos in zip(HARD, ("[0.554, 0.0, 0.521] m", "[-0.310, 0.0, 0.589] m")):
        slug = name.replace("_", "-")
        t = trac.get(name, {})
        res.claims.append(Claim(
            f"gp-ik.{slug}.tracik-fails", f"TRAC-IK (20 ms budget) fails the {name.replace('_', ' ')} pose {pos}: "
            f"share of {REPS} solves that succeed", "paper",
            None if "trac-ik-20ms" not in t else 100.0 * t["trac-ik-20ms"] / REPS, "<=", 0.0, unit="%",
            judged_at="quick",
            published="TRAC-IK failed after exhausting its iteration budget" if name == HARD[0]
            else "'similarly' to the near-singular case (read: TRAC-IK struggled, GP-IK converged)",
            source="Sec. III-B", detail="pytracik not installed" if not t else
            f"5 ms budget (its default): {t['trac-ik']} of {REPS} solved; 20 ms used for the judgement because "
            "a 5 ms wall-clock budget also fails easy poses on a shared CPU"))
        both = [hard[name][f"paper-{a}"] for a in ("ei", "ucb")]
        res.claims.append(Claim(
            f"gp-ik.{slug}.gp-converges", f"EI and UCB (Algorithm 1 as written) both solve the {name.replace('_', ' ')}"
            " pose", "paper", 100.0 * np.mean(both), ">=", 100.0, unit="%", judged_at="quick",
            published="both GP variants successfully converged" if name == HARD[0] else "'similarly'",
            source="Sec. III-B", detail=f"EI {'ok' if both[0] else 'fail'}, UCB {'ok' if both[1] else 'fail'}"))
    for a in EXT_ACQ:
        base = "ucb" if a == "hybrid" else a
        k = f"ext-{a}"
        res.claims.append(Claim(
            f"gp-ik.ext.{a}.success", f"{ACQ[a]}, our extension (LM step, start memory, GP): success on the 30 cases",
            "extension", cs[k]["success_rate"], ">=", PUB_II[base][0], unit="%", judged_at="quick",
            published=f"{ACQ[base]} {PUB_II[base][0]} %", source=src2, extends=f"gp-ik.table2.{base}.success",
            detail=f"GP off {cs[k + '-nogp']['success_rate']:.1f} %, plain LM from the same starts "
                   f"{cs[k + '-lm']['success_rate']:.1f} %"))
        judged = PUB_II[base][1] < 200
        res.claims.append(Claim(
            f"gp-ik.ext.{a}.iterations", f"{ACQ[a]}, our extension: mean FK evaluations on the 30 cases",
            "extension", cs[k]["mean_iterations"], "<=" if judged else None, PUB_II[base][1] if judged else None,
            judged_at="quick", published=f"{ACQ[base]} {PUB_II[base][1]}", source=src2,
            extends=f"gp-ik.table2.{base}.iterations",
            detail=f"{cs[k]['mean_jacobians']:.1f} Jacobians; GP off {cs[k + '-nogp']['mean_iterations']:.1f}, "
                   f"plain LM {cs[k + '-lm']['mean_iterations']:.1f} FK evals"))
        res.claims.append(Claim(
            f"gp-ik.ext.{a}.random.success", f"{ACQ[a]}, our extension: success on {n} random Panda targets",
            "extension", rs[k]["success_rate"], unit="%", extends=f"gp-ik.table1.{base}.success",
            detail=f"GP off {rs[k + '-nogp']['success_rate']:.1f} %, plain LM from the same starts "
                   f"{rs[k + '-lm']['success_rate']:.1f} %"))
    for k in BASE:
        res.claims.append(Claim(
            f"gp-ik.baseline.{k.replace('-', '')}.success", f"{BASE[k]}: success on the 30 cases (same run)",
            "extension", cs[k]["success_rate"] if k in cs else None, unit="%",
            detail=f"{n} random targets: {rs[k]['success_rate']:.1f} %" if k in rs else "pytracik not installed"))


def _notes(res, cs, rs, reach, n) -> None:
    def c30(k):
        return round(cs[k]["success_rate"] * 30 / 100)

    gp_delta = max(abs(c30(f"paper-{a}") - c30(f"paper-{a}-nogp")) for a in PAPER_ACQ)
    res.notes += [
        "Which part solves the cases (this run, 30 cases): Algorithm 1 as written solves "
        + ", ".join(f"{c30('paper-' + a)} ({ACQ[a]})" for a in PAPER_ACQ)
        + f"; switching its GP off changes that by at most {gp_delta} case(s). Our extension solves "
        + ", ".join(f"{c30('ext-' + a)} ({ACQ[a]})" for a in EXT_ACQ)
        + "; with its GP off " + ", ".join(f"{c30('ext-' + a + '-nogp')}" for a in EXT_ACQ)
        + "; plain LM from the same starts " + ", ".join(f"{c30('ext-' + a + '-lm')}" for a in EXT_ACQ)
        + f"; our LM with random restarts and no memory {c30('lm')}. On {n} random targets: Algorithm 1 "
        + ", ".join(f"{rs['paper-' + a]['success_rate']:.1f} %" for a in PAPER_ACQ)
        + ", extension " + ", ".join(f"{rs['ext-' + a]['success_rate']:.1f} %" for a in EXT_ACQ)
        + ", plain LM from the same starts "
        + ", ".join(f"{rs['ext-' + a + '-lm']['success_rate']:.1f} %" for a in EXT_ACQ) + ". "
        + _which_part(c30),
        f"Reachability of the position-only cases (LM, 200 restarts, 1e-4 m / 1e-3 rad): {reach}.",
        "Algorithm 1 stops at the success tolerance (line 11), so its EI does not always run to the 200 cap as "
        "the paper's EI did; the paper's EI must have refined past the tolerance (its orientation error "
        "6.79e-6 rad), which Algorithm 1 as printed does not do.",
        "The paper's Table I mean for plain GP-IK (289.29 iterations) exceeds 200, so its cap for that method "
        "was larger and is not stated; every method here has the 200 cap.",
        "Choices the paper leaves open (sensitivity weights, GP hyperparameters, GetWeights, how EI / UCB enter, "
        "the damping factor, what a threshold is, where a restart starts) are documented in "
        "iklearn/estimators/gp_ik/algorithm1.py and sensitivity.py; the extension's in solver.py.",
    ]


def _which_part(c30) -> str:
    """The conclusion the counts of this run support, in words."""
    ext = {a: c30(f"ext-{a}") for a in EXT_ACQ}
    gp = max(abs(ext[a] - c30(f"ext-{a}-nogp")) for a in EXT_ACQ)
    step = max(ext[a] - c30(f"ext-{a}-lm") for a in EXT_ACQ)
    memory = max(c30(f"ext-{a}-lm") for a in EXT_ACQ) - c30("lm")
    out = [f"In the extension the GP changes the successes by at most {gp} case(s)"]
    out.append("plain LM from the same starts solves as many cases as the full extension" if step <= 0 else
               f"its step (sensitivity damping, candidates) adds up to {step} case(s) over plain LM from the same starts")
    out.append("and our LM with random restarts and no start memory as many again: on these cases the solving is "
               "done by LM with restarts, not by the GP" if memory <= 0 else
               f"and the start memory adds {memory} case(s) over random restarts")
    return "; ".join(out) + "."


def _plot(res, out, traces) -> None:
    pyplot = plt()
    fig, axes = pyplot.subplots(1, len(traces), figsize=(4 * len(traces), 3.4), sharey=True)
    style = {"paper-none": ("plain GP-IK (Alg. 1)", "-"), "paper-ei": ("EI (Alg. 1)", "-"),
             "paper-ucb": ("UCB (Alg. 1)", "-"), "ext-ucb": ("UCB, our extension", "--")}
    for ax, (case, tr) in zip(np.atleast_1d(axes), traces.items()):
        for k, d in tr.items():
            ax.semilogy(np.maximum(d["position_error"], 1e-7), style[k][1], label=style[k][0])
        ax.axhline(TOL_P, color="k", lw=0.8, ls=":")
        ax.set_title(case)
        ax.set_xlabel("iteration (paper: FK evaluation; ours: Jacobian)")
    np.atleast_1d(axes)[0].set_ylabel("position error (m)")
    np.atleast_1d(axes)[0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out / "convergence.png", dpi=120)
    pyplot.close(fig)
    res.figures.append("convergence.png")
