"""Paper 003, planar 5-DoF arm: Table 1 (NN, CRiSP-R, CRiSP-FK on the eight and the circle) and the planar
error-against-bias comparison of Fig. 4 (CRiSP-FK against a numerical solver given the biased model).

Kinematic errors (true FK of the predicted joints); the numerical baseline is our SDLS with restarts.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from iklearn.data.trajectories import crisp_trajectory
from iklearn.estimators.mlp import MLPIK
from iklearn.evaluation.plotting import plt
from iklearn.evaluation.record import ExperimentResult, Table, save_json
from iklearn.experiments.crisp.data import planar_data, score, track
from iklearn.experiments.crisp.protocol import biased
from iklearn.kinematics.fk import fk
from iklearn.robot import load_robot
from iklearn.solvers.sdls import SelectivelyDampedLeastSquares

PLANAR_KW = dict(sigma=2.0, lam=1e-12, position_unit=1.0, n_starts=5, approximation="exact")

# published Table 1 (planar): pos cm, orn rad, "mean +- std"
_T1 = {"planar_eight": {"NN": ("88 +- 24", "0.04 +- 0.01"), "CRiSP-R": ("80 +- 14", "0.07 +- 0.07"),
                        "CRiSP-FK": ("0.05 +- 0.04", "0.03 +- 0.03")},
       "planar_circle": {"NN": ("81 +- 10", "0.05 +- 0.01"), "CRiSP-R": ("54 +- 14", "0.02 +- 0.02"),
                         "CRiSP-FK": ("0.04 +- 0.01", "0.03 +- 0.01")}}


def pm(s: dict, scale: float, key: str = "pos", digits: int = 3) -> str:
    """``'rmse +- sd'`` of a score record, scaled."""
    return f"{s[key + '_rmse'] * scale:.{digits}g} +- {s[key + '_std'] * scale:.{digits}g}"


def run_planar(cfg: dict, seed: int, out: Path, res: ExperimentResult, progress=None) -> dict:
    from iklearn.estimators.crisp import CRiSP

    ch = load_robot("planar5")
    T, Y = planar_data(cfg["n_planar"], seed)
    trajs = {nm: crisp_trajectory(nm, n=cfg["n_traj_planar"]).poses for nm in ("planar_eight", "planar_circle")}
    models = {
        "NN": MLPIK(robot=ch, max_iter=cfg["mlp_epochs"], random_state=seed).fit(T, Y),
        "CRiSP-R": CRiSP(robot=ch, loss="radial", **PLANAR_KW).fit(T, Y),
        "CRiSP-FK": CRiSP(robot=ch, **PLANAR_KW).fit(T, Y),
    }
    data, rows, preds = {}, [], {}
    for nm, P in trajs.items():
        for m, est in models.items():
            Q = est.predict(P) if m == "NN" else est.predict(P, sequential=True)
            preds[(nm, m)] = Q
            s = data[f"{nm}/{m}"] = score(ch, Q, P)
            pub = _T1[nm][m]
            rows.append([nm, m, pm(s, 100, digits=2), pub[0], pm(s, 1, "rot", 2), pub[1]])
    res.tables.append(Table("Table 1: planar 5-DoF, RMSE +- std along the trajectory (our | paper)",
                            ["trajectory", "method", "pos cm (ours)", "pos cm (paper)", "orn rad (ours)",
                             "orn rad (paper)"], rows, note=f"{cfg['n_planar']} uniform training configurations"))
    # Fig. 4: CRiSP-FK vs SDLS on the planar arm under bias
    rng = np.random.default_rng(seed)
    bias, base = {}, models["CRiSP-FK"]
    for kind, values in (("joint", cfg["planar_joint"]), ("link", [v * 1e3 for v in cfg["planar_link"]])):
        for b in values:
            model, signs = biased(ch, kind, b, rng)
            if signs is not None:
                bias[f"link/{b}/signs"] = signs.tolist()  # equal signs on the planar arm = pure scaling: cancels
            est = base.with_model(model)  # same kernel system, biased loss
            sd = SelectivelyDampedLeastSquares(model, restarts=5, seed=seed)
            for nm, P in trajs.items():
                Qc = est.predict(P, sequential=True)
                Qs = track(sd, P, Qc[0])
                bias[f"{kind}/{b}/{nm}"] = {"CRiSP-FK": score(ch, Qc, P), "SDLS": score(ch, Qs, P)}
    data["bias"] = bias
    save_json(out / "planar.json", data)
    res.data.append("planar.json")
    rows = [[k.rsplit("/", 1)[0].replace("/", " ") + (" deg" if k.startswith("joint") else " mm"), k.rsplit("/", 1)[1],
             pm(v["CRiSP-FK"], 100, digits=2), pm(v["SDLS"], 100, digits=2)] for k, v in bias.items()
            if not k.endswith("signs")]
    res.tables.append(Table("Fig. 4 (planar): position RMSE (cm) under model bias, CRiSP-FK vs SDLS (biased model)",
                            ["bias", "trajectory", "CRiSP-FK", "SDLS"], rows,
                            note="paper: SDLS degrades sharply with bias, CRiSP-FK stays robust up to 10 deg / ~2 cm"))
    _plot_planar(out, trajs, preds, res)
    _plot_planar_bias(out, bias, cfg, res)
    return data


def _plot_planar(out: Path, trajs: dict, preds: dict, res: ExperimentResult) -> None:
    ch = load_robot("planar5")
    pl = plt()
    fig, axes = pl.subplots(1, 2, figsize=(11, 5))
    for ax, (nm, P) in zip(axes, trajs.items()):
        ax.plot(P[:, 0, 3], P[:, 1, 3], "k-", lw=3, alpha=0.3, label="target")
        for m, st in (("NN", "r."), ("CRiSP-R", "b."), ("CRiSP-FK", "g-")):
            Tq = fk(ch, preds[(nm, m)])
            ax.plot(Tq[:, 0, 3], Tq[:, 1, 3], st, ms=4, label=m)
        ax.set_title(f"{nm} (true FK of the predictions)")
        ax.set_xlabel("x (m)")
        ax.set_ylabel("y (m)")
        ax.axis("equal")
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "planar_tracks.png", dpi=110)
    pl.close(fig)
    res.figures.append("planar_tracks.png")


def _plot_planar_bias(out: Path, bias: dict, cfg: dict, res: ExperimentResult) -> None:
    pl = plt()
    fig, axes = pl.subplots(1, 2, figsize=(11, 4.5))
    for ax, kind, vals, unit in ((axes[0], "joint", cfg["planar_joint"], "deg"),
                                 (axes[1], "link", [v * 1e3 for v in cfg["planar_link"]], "mm")):
        for nm, c in (("planar_eight", "C0"), ("planar_circle", "C1")):
            for m, ls in (("CRiSP-FK", "-o"), ("SDLS", "--x")):
                ax.semilogy(vals, [max(bias[f"{kind}/{b}/{nm}"][m]["pos_rmse"] * 100, 1e-6) for b in vals], ls,
                            color=c, label=f"{m} {nm}")
        ax.set_xlabel(f"{kind} bias ({unit})")
        ax.set_ylabel("position RMSE (cm), true FK")
        ax.grid(True, which="both", alpha=0.3)
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out / "planar_error_vs_bias.png", dpi=110)
    pl.close(fig)
    res.figures.append("planar_error_vs_bias.png")


