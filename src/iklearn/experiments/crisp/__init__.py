"""Paper 003: CRiSP structured-prediction IK, robust to misspecified robot models.

First table: Table 2 on the paper's protocol (``protocol``): the Panda's joint trajectories from CRiSP-FK
(sigma and lambda grid-searched on a separate validation set; two readings of how the training joints were
labelled) and from PyBullet's IK, both given the biased model, executed on a position-controlled Panda
simulated in PyBullet and scored with the simulated tool pose, beside the published numbers. Then our
extensions (``extension``): the same joints scored kinematically, a learning curve with measurement noise,
the cost of the large-n weights, and the planar Table 1 / Fig. 4 (``planar``).
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from iklearn.errors import IKLearnError
from iklearn.evaluation.record import ExperimentResult, Table, machine_info, save_json
from iklearn.experiments.crisp import claims as _claims
from iklearn.experiments.crisp import plots
from iklearn.experiments.crisp.data import CUBE_SIDE, REST, ROBOT
from iklearn.experiments.crisp.planar import PLANAR_KW, pm, run_planar
from iklearn.experiments.crisp.protocol import PANDA_FIXED, PANDA_TRAJ
from iklearn.robot import load_robot

NAME = "crisp"
TITLE = "Paper 003: CRiSP structured prediction IK under misspecified robot models"

_COMMON = dict(joint=[0.0, 0.01, 0.1, 1.0, 3.0], link=[0.1, 1.0, 10.0, 30.0], duration_s=20.0,
               planar_joint=[0.0, 1.0, 3.0, 10.0], planar_link=[0.005, 0.01, 0.02], example=("joint", 0.1, 0))
SIZES = {
    "tiny": dict(_COMMON, labels=("branch", "random"), n_train=400, n_val=100, sigmas=[0.5, 1.0], lams=[1e-6],
                 n_agree=10, n_traj=6, joint=[0.0, 1.0], link=[10.0], reps=1, settle_steps=60, pb_iterations=100,
                 duration_s=0.6,
                 curve=[100, 400], curve_sigmas=[1.0], curve_lams=[1e-6], n_val_curve=60, n_cmp=300,
                 n_planar=300, n_traj_planar=4, mlp_epochs=3, planar_joint=[3.0], planar_link=[],
                 example=("joint", 1.0, 0), pb_check=False),
    "quick": dict(_COMMON, labels=("branch",), n_train=5000, n_val=1000, sigmas=[0.5, 1.0], lams=[1e-6],
                  n_agree=50, n_traj=30, reps=1, settle_steps=240, pb_iterations=1000, curve=[200, 1000, 5000],
                  curve_sigmas=[0.5, 1.0], curve_lams=[1e-6, 1e-3], n_val_curve=300, n_cmp=2000, n_planar=5000,
                  n_traj_planar=40, mlp_epochs=40, pb_check=True),
    "full": dict(_COMMON, labels=("branch", "random"), n_train=35000, n_val=10000, sigmas=[0.25, 0.5, 1.0, 2.0],
                 lams=[1e-9, 1e-6], n_agree=500, n_traj=200, reps=3, settle_steps=240, pb_iterations=1000,
                 curve=[200, 1000, 5000, 20000, 35000], curve_sigmas=[0.25, 1.0],
                 curve_lams=[1e-9, 1e-6, 1e-3], n_val_curve=1000, n_cmp=6000, n_planar=10000, n_traj_planar=100,
                 mlp_epochs=200, pb_check=True),
}


def _setting_label(kind: str, b: float) -> str:
    return f"{kind} {b:g} {'deg' if kind == 'joint' else 'mm'}"


def _table2(cfg: dict, t2: dict, res: ExperimentResult) -> None:
    """Table 2 on the paper's protocol (simulated), then its kinematic-only twin (extension)."""
    labels = cfg["labels"]
    settings = [("joint", b) for b in cfg["joint"]] + [("link", b) for b in cfg["link"]]
    for what, key, scale, unit, col in (("Pos", "pos", 1e3, "mm", 0), ("Orn", "rot", 1e4, "1e-4 rad", 2)):
        rows = []
        for kind, b in settings:
            for i, nm in enumerate(PANDA_TRAJ):
                c = t2["cells"][f"{kind}/{b}/{nm}"]
                pub = _claims.PUBLISHED.get((kind, b), [(None,) * 4] * 4)[i]
                rows.append([_setting_label(kind, b), nm]
                            + [pm(c[f"CRiSP-FK/{lab}"]["sim"], scale, key) for lab in labels]
                            + [pub[col], pm(c["PyBullet IK"]["sim"], scale, key), pub[col + 1]])
        res.tables.append(Table(
            f"Table 2 ({what}. RMSE, {unit}), paper protocol: Panda simulated in PyBullet, CRiSP-FK vs PyBullet IK "
            "with the biased model",
            ["bias", "trajectory"] + [f"CRiSP-FK ({lab} labels)" for lab in labels]
            + ["CRiSP-FK (paper)", "PyBullet IK", "SDLS (paper)"], rows,
            note="RMSE +- sd along the trajectory of the simulated tool pose (link bias: pooled over "
                 f"{cfg['reps']} random sign draws). PyBullet IK = calculateInverseKinematics with limits, ranges "
                 "and rest pose, which Bullet runs as null-space DLS (its SDLS cannot be run; see the notes)."))
    rows = []
    for kind, b in settings:
        for nm in PANDA_TRAJ:
            c = t2["cells"][f"{kind}/{b}/{nm}"]
            rows.append([_setting_label(kind, b), nm] + [pm(c[f"CRiSP-FK/{lab}"]["kin"], 1e3) for lab in labels]
                        + [pm(c["PyBullet IK"]["kin"], 1e3), pm(c["LM (iklearn)"]["kin"], 1e3),
                           pm(c["LM (iklearn)"]["sim"], 1e3)])
    res.tables.append(Table(
        "Table 2, kinematic only (extension): position RMSE (mm) of the same joints through our FK, no simulation",
        ["bias", "trajectory"] + [f"CRiSP-FK ({lab})" for lab in labels]
        + ["PyBullet IK", "LM (iklearn, converged)", "LM (iklearn), simulated"], rows,
        note="Without bias or noise the model's pose of each training configuration is its training pose, so "
             "CRiSP-FK here is an exact IK towards a kernel-ridge estimate of the target: see the learning curve."))


def _grid_table(cfg: dict, fitted: dict) -> Table:
    rows = []
    for key, grid in fitted["grid"].items():
        best = fitted["best"][key]
        for r in grid:
            rows.append([key, r["sigma"], r["lam"], f"{r['pos_rmse'] * 1e3:.4f}", f"{r['rot_rmse'] * 1e3:.4f}",
                         f"{r['loss']:.3g}", "chosen" if (r["sigma"], r["lam"]) == (best["sigma"], best["lam"])
                         else ""])
    return Table(
        f"Grid search (paper protocol): {cfg['n_val']} validation poses per labelling/set, unbiased model",
        ["labels/set", "sigma", "lambda", "val pos RMSE mm", "val rot RMSE mrad", "val loss", ""], rows,
        note=f"{cfg['n_train']} training points; independent predictions; loss = mean(|dp|^2 + theta^2) in m, rad")


def _curve_table(curve: dict) -> Table:
    rows = [[r["noise"], r["n"], r["bias"], r["sigma"], r["lam"], f"{r['pos_rmse'] * 1e3:.4f}",
             f"{r['rot_rmse'] * 1e4:.3f}"] for r in curve["rows"]]
    return Table(
        "Learning curve (extension): CRiSP-FK on C0, C-pi/4, C+pi/4 against training-set size, kinematic errors",
        ["poses", "n train", "model bias", "sigma", "lambda", "pos RMSE mm", "orn RMSE 1e-4 rad"], rows,
        note="noisy: 0.1 mm and 0.5 mrad (per axis) on every training and validation pose, joints exact; "
             "sigma, lambda grid-searched at every size")


def _weights_table(w: dict) -> Table:
    rows = [[a, w["n"], f"{w[a]['pos_rmse']['C0'] * 1e3:.4f}", f"{w[a]['pos_rmse']['C+pi/4'] * 1e3:.4f}",
             f"{w[a]['val_pos_rmse'] * 1e3:.4f}", f"{w[a]['fit_s']:.2f}", f"{w[a]['predict_s_per_point'] * 1e3:.2f}"]
            for a in ("exact", "local")]
    return Table(
        "Weights: exact Cholesky vs top-200 local sub-system on the same circle-set subset (kinematic errors)",
        ["weights", "n train", "C0 mm", "C+pi/4 mm", "validation pos mm", "fit s", "predict ms/pt"], rows,
        note="exact keeps the n x n factor (9.8 GB at n = 35,000), so the runs above use the local weights beyond "
             "6,000 points")


PARTS = ("table2", "extensions", "planar")


def run(out: Path, size: str = "quick", seed: int = 0, progress=None, parts=PARTS) -> ExperimentResult:
    """Run the CRiSP experiment at ``size`` ('tiny', 'quick', 'full'); writes tables, figures and data to ``out``.

    ``parts``: which of :data:`PARTS` to run (the CLI runs all). ``'table2'`` (data, grid search, the simulated
    Table 2 and its kinematic twin) always runs; ``'extensions'`` adds the learning curve and the weights
    comparison, ``'planar'`` the planar Table 1 / Fig. 4. A subset is recorded in the result's command."""
    from threadpoolctl import threadpool_limits

    from iklearn.experiments.crisp.extension import learning_curve, weights_comparison
    from iklearn.experiments.crisp.protocol import fit_models, pybullet_iterations_check, run_table2

    cfg = SIZES[size]
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    bad = set(parts) - set(PARTS)
    if bad:
        raise IKLearnError(f"parts must be among {PARTS}, got {sorted(bad)}")
    command = f"iklearn reproduce crisp --{size} --seed {seed}"
    if set(parts) != set(PARTS):
        command = (f"python -c \"from iklearn.experiments import crisp; crisp.run(OUT, '{size}', seed={seed}, "
                   f"parts={tuple(p for p in PARTS if p in parts)!r})\"")
    res = ExperimentResult(NAME, TITLE, size, seed, command=command)
    t0 = time.perf_counter()
    stages: dict[str, dict[str, float]] = {}  # wall and CPU seconds per stage, to size larger runs

    def stage(name, f, *a):
        w, c = time.perf_counter(), time.process_time()
        r = f(*a)
        stages[name] = {"wall_s": time.perf_counter() - w, "cpu_s": time.process_time() - c}
        return r

    with threadpool_limits(1):  # many tiny BLAS calls: threads only add contention
        fitted = stage("data+grid search", fit_models, cfg, seed, progress)
        t2 = stage("table 2 (simulated)", run_table2, cfg, seed, fitted, progress)
        pbc = (stage("pybullet iterations", pybullet_iterations_check, np.asarray(t2["trajs"]["C0"])[:5])
               if cfg["pb_check"] else {})
        curve, wts = {"sizes": [], "noise": {}, "rows": []}, {}
        if "extensions" in parts:
            curve = stage("learning curve", learning_curve, cfg, seed, fitted, progress)
            wts = stage("weights", weights_comparison, cfg, seed, fitted)
        if "planar" in parts:
            stage("planar", run_planar, cfg, seed, out, res, progress)
    planar_tables, res.tables = res.tables, []
    _table2(cfg, t2, res)  # paper protocol (pos, orn), then the kinematic twin (extension)
    res.tables.insert(2, _grid_table(cfg, fitted))
    res.tables += ([_curve_table(curve), _weights_table(wts)] if wts else []) + planar_tables
    methods = [f"CRiSP-FK/{lab}" for lab in cfg["labels"]] + ["PyBullet IK"]
    ex = cfg["example"]

    def figures():
        plots.error_vs_bias(out, t2["cells"], cfg, methods, res)
        plots.tracks(out, t2["trajs"], t2["examples"], load_robot(ROBOT), _setting_label(ex[0], ex[1]), res)
        if curve["rows"]:
            plots.learning_curve(out, curve, res)

    stage("panda figures", figures)
    save_json(out / "panda.json", {k: v for k, v in t2.items() if k != "examples"}
              | {"grid": fitted["grid"], "best": fitted["best"], "agree": fitted["agree"],
                 "fit_timing": fitted["timing"], "pybullet_iterations": pbc, "stages": stages})
    res.data.append("panda.json")
    if wts:
        save_json(out / "learning_curve.json", curve)
        save_json(out / "weights.json", wts)
        res.data += ["learning_curve.json", "weights.json"]
    res.claims = _claims.build(cfg, fitted, t2, curve)
    res.notes += _claims.notes(cfg, fitted, t2, pbc, wts)
    if "planar" in parts:
        res.notes.append(f"Planar part: {PLANAR_KW} (fixed, not grid-searched), our SDLS as the baseline, kinematic "
                         "errors.")
    if set(parts) != set(PARTS):
        res.notes.append(f"Parts run: {', '.join(p for p in PARTS if p in parts)} (not: "
                         f"{', '.join(p for p in PARTS if p not in parts)}).")
    res.notes.append(f"Machine: {machine_info()}")
    res.wall_time_s = time.perf_counter() - t0
    res.save(out)
    return res


__all__ = ["NAME", "TITLE", "SIZES", "PARTS", "run", "PANDA_FIXED", "PANDA_TRAJ", "REST", "CUBE_SIDE"]
