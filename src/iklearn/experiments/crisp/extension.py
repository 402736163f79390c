"""Paper 003, our extensions: where learning starts to matter, and what the large-n approximation costs.

* Learning curve: CRiSP-FK on prefixes of the circle training set (200 ... n points), with noise-free poses and
  with measurement noise on the training and validation poses (0.1 mm and 0.5 mrad per axis, joints exact),
  without bias and with a 1-degree joint bias; sigma and lambda grid-searched again at every size; errors of
  the true FK (kinematic, no simulation) on C0, C-pi/4 and C+pi/4. Without bias and noise the model's pose of
  each training configuration equals its training pose, so the FK loss makes CRiSP-FK an exact IK towards a
  kernel-ridge estimate of the target itself: small data already does well, and only noise or bias leave
  something for more data to fix.
* Weights: the exact ``(K + n lam I)`` Cholesky against the top-k local sub-system used at large n.
"""

from __future__ import annotations

import time

import numpy as np

from iklearn.data.trajectories import crisp_trajectory
from iklearn.evaluation.record import Timer
from iklearn.experiments.crisp.data import ROBOT, noisy, panda_set, score
from iklearn.experiments.crisp.protocol import PANDA_FIXED, grid_search
from iklearn.kinematics.fk import fk
from iklearn.kinematics.pose import pose_error
from iklearn.robot import load_robot

CURVE_TRAJ = ("C0", "C-pi/4", "C+pi/4")
NOISE = {"clean": (0.0, 0.0), "noisy": (1e-4, 5e-4)}


def learning_curve(cfg: dict, seed: int, fitted: dict, progress=None) -> dict:
    """Kinematic position/rotation RMSE against the number of training points; see the module docstring."""
    from iklearn.estimators.crisp import CRiSP

    ch = load_robot(ROBOT)
    lab = cfg["labels"][0]
    X, Y = fitted["sets"][f"{lab}/C"]
    Xv, _ = panda_set("C", cfg["n_val_curve"], lab, seed + 2000)
    trajs = {nm: crisp_trajectory(nm, n=cfg["n_traj"]).poses for nm in CURVE_TRAJ}
    biases = {"none": ch, "joint 1 deg": ch.perturbed(joint_offsets=np.deg2rad(1.0))}
    sizes = [n for n in cfg["curve"] if n <= len(X)]
    out = {"sizes": sizes, "labels": lab, "noise": {k: list(v) for k, v in NOISE.items()}, "rows": []}
    task = progress.add_task("CRiSP learning curve", total=len(sizes) * len(NOISE)) if progress else None
    for noise, (ps, rs) in NOISE.items():
        Xn = noisy(X, ps, rs, seed) if ps > 0 else X
        Xvn = noisy(Xv, ps, rs, seed + 1) if ps > 0 else Xv
        for n in sizes:
            best, rows = grid_search(Xn[:n], Y[:n], Xvn, ch, cfg["curve_sigmas"], cfg["curve_lams"], PANDA_FIXED)
            base = CRiSP(robot=ch, **best, optimizer="lm", **PANDA_FIXED).fit(Xn[:n], Y[:n])
            for bname, model in biases.items():
                est = base.with_model(model)
                errs = {nm: score(ch, est.predict(P, sequential=True), P) for nm, P in trajs.items()}
                pe = np.concatenate([e["pos"] for e in errs.values()])
                re = np.concatenate([e["rot"] for e in errs.values()])
                out["rows"].append({"noise": noise, "n": n, "bias": bname, **best,
                                    "pos_rmse": float(np.sqrt(np.mean(pe**2))),
                                    "rot_rmse": float(np.sqrt(np.mean(re**2))),
                                    "per_traj_pos_rmse": {nm: e["pos_rmse"] for nm, e in errs.items()},
                                    "val_pos_rmse": min(rows, key=lambda r: r["loss"])["pos_rmse"]})
            if progress is not None:
                progress.update(task, advance=1)
    return out


def weights_comparison(cfg: dict, seed: int, fitted: dict) -> dict:
    """Exact and top-k weights on the same circle-set subset (small enough for exact), grid-searched
    hyperparameters of the circle set; kinematic errors on C0 / C+pi/4, validation loss, times."""
    from iklearn.estimators.crisp import CRiSP

    ch = load_robot(ROBOT)
    lab = cfg["labels"][0]
    X, Y = fitted["sets"][f"{lab}/C"]
    n = min(cfg["n_cmp"], len(X))
    Xv, _ = panda_set("C", min(cfg["n_val"], 1000), lab, seed + 1000)
    best = fitted["best"][f"{lab}/C"]
    trajs = {nm: crisp_trajectory(nm, n=cfg["n_traj"]).poses for nm in ("C0", "C+pi/4")}
    out = {"n": n, **best}
    for approx in ("exact", "local"):
        with Timer() as tf:
            est = CRiSP(robot=ch, **best, **PANDA_FIXED, approximation=approx).fit(X[:n], Y[:n])
        t0 = time.perf_counter()
        errs = {nm: score(ch, est.predict(P, sequential=True), P)["pos_rmse"] for nm, P in trajs.items()}
        tp = (time.perf_counter() - t0) / sum(len(P) for P in trajs.values())
        est.optimizer = "lm"
        pe, re = pose_error(fk(ch, est.predict(Xv)), Xv)
        out[approx] = {"fit_s": tf.s, "predict_s_per_point": tp, "pos_rmse": errs,
                       "val_pos_rmse": float(np.sqrt(np.mean(pe**2))), "val_rot_rmse": float(np.sqrt(np.mean(re**2)))}
    return out
