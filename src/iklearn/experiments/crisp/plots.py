"""Figures of the CRiSP experiment's Panda part (each saved under ``out`` and listed in the result)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from iklearn.evaluation.plotting import plt
from iklearn.evaluation.record import ExperimentResult

COLORS = {"S": "C0", "C0": "C1", "C-pi/4": "C2", "C+pi/4": "C3"}


def _save(fig, out: Path, name: str, res: ExperimentResult) -> None:
    fig.tight_layout()
    fig.savefig(out / name, dpi=110)
    plt().close(fig)
    res.figures.append(name)


def error_vs_bias(out: Path, cells: dict, cfg: dict, methods: list[str], res: ExperimentResult) -> None:
    """Simulated position RMSE against joint and link bias, per trajectory and method (the paper's Fig. 4 for
    the Panda, from Table 2's rows)."""
    pl = plt()
    fig, axes = pl.subplots(1, 2, figsize=(12, 4.8))
    styles = ["-o", "-.s", "--x", ":d"]
    for ax, kind, unit in ((axes[0], "joint", "deg"), (axes[1], "link", "mm")):
        bs = [b for b in cfg[kind] if b > 0]
        for nm, c in COLORS.items():
            for m, ls in zip(methods, styles):
                ys = [cells[f"{kind}/{b}/{nm}"][m]["sim"]["pos_rmse"] * 1e3 for b in bs]
                ax.loglog(bs, ys, ls, color=c, ms=4, lw=1, label=f"{m} {nm}")
        ax.set_xlabel(f"{kind} bias ({unit})")
        ax.set_ylabel("position RMSE (mm), simulated arm")
        ax.grid(True, which="both", alpha=0.3)
    axes[0].legend(fontsize=6, ncol=2)
    _save(fig, out, "panda_error_vs_bias.png", res)


def tracks(out: Path, trajs: dict, examples: dict, chain, title: str, res: ExperimentResult) -> None:
    """Target and reached tool paths (our FK of each method's joints) in the base x-z plane."""
    from iklearn.kinematics.fk import fk

    pl = plt()
    fig, axes = pl.subplots(1, len(examples), figsize=(4 * len(examples), 4))
    for ax, (nm, Qs) in zip(np.atleast_1d(axes), examples.items()):
        P = np.asarray(trajs[nm])
        ax.plot(P[:, 0, 3] * 100, P[:, 2, 3] * 100, "k-", lw=3, alpha=0.3, label="target")
        for (m, Q), st in zip(Qs.items(), ("g.-", "c.-", "m.-", "r.-")):
            Tq = fk(chain, np.asarray(Q))
            ax.plot(Tq[:, 0, 3] * 100, Tq[:, 2, 3] * 100, st, ms=2, lw=0.7, label=m)
        ax.set_title(f"{nm}, {title}")
        ax.set_xlabel("x (cm)")
        ax.set_ylabel("z (cm)")
        ax.axis("equal")
        ax.legend(fontsize=7)
    _save(fig, out, "panda_tracks.png", res)


def learning_curve(out: Path, curve: dict, res: ExperimentResult) -> None:
    """Kinematic position RMSE against the number of training points (log-log)."""
    pl = plt()
    fig, ax = pl.subplots(figsize=(6.5, 4.5))
    for (noise, bias), st in zip([(nz, b) for nz in curve["noise"] for b in ("none", "joint 1 deg")],
                                 ("-o", "-s", "--o", "--s")):
        rows = [r for r in curve["rows"] if r["noise"] == noise and r["bias"] == bias]
        if rows:
            ax.loglog([r["n"] for r in rows], [max(r["pos_rmse"] * 1e3, 1e-7) for r in rows], st, ms=4,
                      label=f"{noise}, bias {bias}")
    ax.set_xlabel("training points")
    ax.set_ylabel("position RMSE (mm), our FK, C trajectories")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    _save(fig, out, "learning_curve.png", res)
