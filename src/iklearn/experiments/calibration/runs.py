"""One scenario run: calibrate through the files a user would have, then score every method on the true robot.

Methods (all scored with :func:`scenario.score` on the true robot, 0 measurements for the nominal model):

* nominal-model IK: LM on the nominal chain;
* calibrated-model IK: LM on the chain read back from the calibrated URDF that ``iklearn calibrate`` writes
  (the nominal model is written as ``nominal.urdf`` and the campaign as ``measured.csv`` first, and both are
  read back through the same readers as the CLI's);
* CRiSP-FK (paper 003) trained on the campaign with the nominal model in its loss, and the same weights
  with the calibrated model in the loss (``CRiSP.with_model``); kernel width and regularisation chosen per
  variant on a held-out tenth of the campaign, scored as a user would: execute the prediction on the robot
  and measure it (the tracker's noise included), then refit on the whole campaign.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from iklearn.experiments.calibration import scenario as S
from iklearn.kinematics.pose import pose_error

#: CRiSP settings of the Panda experiment (feature units); the L-BFGS-B objective minimised with our LM
CRISP_FIXED = dict(position_unit=0.05, rotation_unit=2**-0.5, n_neighbors=200, optimizer="lm")


def _timed(fn, *args, **kw):
    t0 = time.perf_counter()
    out = fn(*args, **kw)
    return out, time.perf_counter() - t0


def calibrate_files(work: Path, nominal, q: np.ndarray, measured: np.ndarray) -> dict:
    """Write ``nominal.urdf`` and ``measured.csv`` into ``work``, calibrate from them, write ``calibrated.urdf``
    and ``residuals.csv``, and load the calibrated URDF back; returns the result, the loaded chain, the time."""
    from iklearn.calibration import calibrate, write_calibrated_urdf, write_residuals_csv
    from iklearn.data.measured import read_measurements, write_measurements
    from iklearn.robot import from_urdf
    from iklearn.robot.urdf_export import to_urdf

    work.mkdir(parents=True, exist_ok=True)
    (work / "nominal.urdf").write_text(to_urdf(nominal))
    write_measurements(work / "measured.csv", q, measured)
    chain = from_urdf(work / "nominal.urdf", nominal.base_link, nominal.tip_link)
    m = read_measurements(work / "measured.csv", chain.dof)
    res, dt = _timed(calibrate, chain, m.q, m.poses, holdout=0.1)
    tip = write_calibrated_urdf(res, work / "calibrated.urdf", work / "nominal.urdf")
    write_residuals_csv(res, work / "residuals.csv", rows=m.rows)
    loaded = from_urdf(work / "calibrated.urdf", nominal.base_link, tip)
    return {"result": res, "chain": loaded, "fit_s": dt}


def _ik_scores(true, chain, targets) -> dict:
    r, dt = _timed(S.solve_from_ready, chain, targets)
    return {**S.score(true, r.q, targets), "success": float(r.success.mean()), "s_per_target": dt / len(targets)}


def crisp_grid(sc: dict, q: np.ndarray, X: np.ndarray, cal_chain, cfg: dict, seed: int) -> dict:
    """Hyperparameters per CRiSP variant by validation on a held-out tenth (execute and measure), then the
    variants refitted on all of ``(X, q)``; returns the grid rows, the choices and the fitted estimators."""
    from iklearn.estimators.crisp import CRiSP

    rng = np.random.default_rng([seed, 47])
    perm = rng.permutation(len(q))
    nv = max(len(q) // 10, 1)
    val, tr = perm[:nv], perm[nv:]
    rows, best = [], {}
    for sigma in cfg["sigmas"]:
        for lam in cfg["lams"]:
            est = CRiSP(robot=sc["nominal"], sigma=sigma, lam=lam, **CRISP_FIXED).fit(X[tr], q[tr])
            for variant, e in (("nominal", est), ("calibrated", est.with_model(cal_chain))):
                qv = e.predict(X[val])
                got = S.measure(sc["true"], qv, seed + 5)  # execute on the robot, measure with the tracker
                pe, re = pose_error(got, X[val])
                loss = float(np.mean((pe / S.NOISE[0]) ** 2 + (re / S.NOISE[1]) ** 2))
                rows.append({"variant": variant, "sigma": sigma, "lam": lam, "n_validation": int(nv),
                             "position_median": float(np.median(pe)), "rotation_median": float(np.median(re)),
                             "loss": loss})
                if variant not in best or loss < best[variant]["loss"]:
                    best[variant] = {"sigma": sigma, "lam": lam, "loss": loss}
    models = {}
    for variant, b in best.items():
        est = CRiSP(robot=sc["nominal"], sigma=b["sigma"], lam=b["lam"], **CRISP_FIXED).fit(X, q)
        models[variant] = est if variant == "nominal" else est.with_model(cal_chain)
    return {"rows": rows, "best": best, "models": models}


def _crisp_scores(est, true, targets) -> dict:
    q, dt = _timed(est.predict, targets)
    return {**S.score(true, q, targets), "s_per_target": dt / len(targets)}


def run_seed(cfg: dict, seed: int, work: Path, progress=None, task=None) -> dict:
    """The whole scenario for one true robot; per-target errors kept for the first figure."""
    sc = S.scenario(seed, cfg["n_measured"], cfg["n_test"])
    nominal, true, q, X, targets = sc["nominal"], sc["true"], sc["q"], sc["measured"], sc["targets"]
    cal = calibrate_files(work, nominal, q, X)
    res = cal["result"]

    def step():
        if progress is not None:
            progress.update(task, advance=1)

    methods = {"nominal-model IK": _ik_scores(true, nominal, targets),
               "calibrated-model IK": _ik_scores(true, cal["chain"], targets)}
    step()
    grid = crisp_grid(sc, q, X, cal["chain"], cfg, seed)
    methods["CRiSP-FK"] = _crisp_scores(grid["models"]["nominal"], true, targets)
    methods["CRiSP-FK, calibrated model"] = _crisp_scores(grid["models"]["calibrated"], true, targets)
    step()
    curve = learning_curve(cfg, sc, seed)
    step()
    ident = {"n_identified": len(res.parameters), "n_identifiable": res.meta["n_identifiable"],
             "n_candidates": len(res.parameters) + len(res.unidentifiable) + len(res.not_excited),
             "unidentifiable": res.unidentifiable, "not_excited": res.not_excited, "medians": res.medians(),
             "fit_s": cal["fit_s"], "n_evaluations": res.n_evaluations,
             "minimum_measurements": res.meta["minimum_measurements"],
             "parameters": [{"name": p.name, "value": float(v), "std": float(s)}
                            for p, v, s in zip(res.parameters, res.values, res.std)]}
    return {"seed": seed, "methods": methods, "grid": {"rows": grid["rows"], "best": grid["best"]},
            "identification": ident, "curve": curve}


def learning_curve(cfg: dict, sc: dict, seed: int) -> list[dict]:
    """Median tool errors on the true robot against the number of measurements (prefixes of the campaign,
    whose order is random): calibrated-model IK at every size, CRiSP-FK (both variants, hyperparameters
    chosen again at each size) at ``cfg['crisp_curve']`` sizes."""
    from iklearn.calibration import calibrate
    from iklearn.calibration.fit import CalibrationDataError

    true, q, X, targets = sc["true"], sc["q"], sc["measured"], sc["targets"]
    rows = []
    cal_at = {}
    for n in cfg["curve"]:
        try:
            res = calibrate(sc["nominal"], q[:n], X[:n])
        except CalibrationDataError as exc:
            rows.append({"n": n, "method": "calibrated-model IK", "error": str(exc)})
            continue
        cal_at[n] = res.chain
        rows.append({"n": n, "method": "calibrated-model IK",
                     **_summary(_ik_scores(true, res.chain, targets))})
    for n in cfg["crisp_curve"]:
        chain = cal_at.get(n)
        if chain is None:
            chain = calibrate(sc["nominal"], q[:n], X[:n]).chain
        grid = crisp_grid(sc, q[:n], X[:n], chain, cfg, seed)
        for variant, name in (("nominal", "CRiSP-FK"), ("calibrated", "CRiSP-FK, calibrated model")):
            rows.append({"n": n, "method": name, **grid["best"][variant],
                         **_summary(_crisp_scores(grid["models"][variant], true, targets))})
    return rows


def _summary(s: dict) -> dict:
    return {k: v for k, v in s.items() if not isinstance(v, np.ndarray)}
