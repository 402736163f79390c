"""Uses of a trained JacobianNet (paper 004): a manipulator's workspace from the confidence net, and
resolved-rate control that uses the estimated world-frame Jacobian (the paper's figure 12)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

import numpy as np

from iklearn.data import random_manipulators as rm
from iklearn.errors import IKLearnError, require
from iklearn.kinematics.pose import euler_xyz_to_matrix, matrix_to_euler_xyz
from iklearn.solvers import spherical_wrist as sw
from iklearn.solvers.lm import LevenbergMarquardt

# a PUMA 560 without the shoulder height (d3, d4, a2, a3 within the M3 ranges)
PUMA_LIKE = np.array([0.15005, 0.4318, 0.4318, 0.0203])


def _pose_rows(params, P, euler):
    n = len(P)
    return np.tile(params, (n, 1)), np.hstack([P, np.tile(euler, (n, 1))])


def workspace(model, layout: str = "kine", params: np.ndarray = PUMA_LIKE, n_grid: int = 40,
              euler=(0.3, 1.1, 2.0), seed: int = 0) -> dict:
    """Constant-orientation workspace on an ``n_grid^3`` grid of ``[-0.4, 0.4]^3`` from the confidence net and
    from the closed-form IK, with the time each took (and our numerical IK's time, extrapolated from 20 points)."""
    g = np.linspace(-0.4, 0.4, n_grid)
    P = np.stack(np.meshgrid(g, g, g, indexing="ij"), -1).reshape(-1, 3)
    prm, pose = _pose_rows(np.asarray(params, float), P, np.asarray(euler, float))
    t0 = time.perf_counter()
    X = rm.features(prm, pose, layout)  # type: ignore[arg-type]
    net = model.predict_reachable(X)
    t_net = time.perf_counter() - t0
    t0 = time.perf_counter()
    _, truth = sw.analytic_ik(prm, pose)
    t_ana = time.perf_counter() - t0
    ch = rm.to_chain(params)
    R = euler_xyz_to_matrix(pose[:1, 3:])[0]
    idx = np.random.default_rng(seed).choice(len(P), 20, replace=False)
    T = np.tile(np.eye(4), (20, 1, 1))
    T[:, :3, :3], T[:, :3, 3] = R, P[idx]
    lm = LevenbergMarquardt(ch, max_iterations=500, seed=seed)
    lm.solve(T[:1])
    t0 = time.perf_counter()
    for i in range(20):
        lm.solve(T[i:i + 1])
    t_num = (time.perf_counter() - t0) / 20 * len(P)
    return {"P": P, "net": net, "truth": truth, "grid": g,
            "data": {"n": int(len(P)), "agreement": float(np.mean(net == truth)), "t_net": t_net,
                     "t_analytic": t_ana, "t_numerical_est": t_num, "params": np.asarray(params).tolist(),
                     "euler": list(euler), "reachable_truth": float(truth.mean()),
                     "reachable_net": float(net.mean())}}


def plot_workspace(ws: dict, path: Path) -> str:
    mpl = _plt()
    g, P = ws["grid"], ws["P"]
    k = int(np.argmin(np.abs(g - 0.0)))
    sl = np.isclose(P[:, 1], g[k])
    fig, axes = mpl.subplots(1, 2, figsize=(8, 4))
    d = ws["data"]
    for ax, key, title in ((axes[0], "truth", f"closed-form IK ({d['t_analytic'] * 1e3:.1f} ms)"),
                           (axes[1], "net", f"confidence net ({d['t_net'] * 1e3:.1f} ms)")):
        m = ws[key][sl]
        ax.scatter(P[sl, 0][m], P[sl, 2][m], s=6, c="C0")
        ax.scatter(P[sl, 0][~m], P[sl, 2][~m], s=6, c="0.85")
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("x (m)")
        ax.set_aspect("equal")
    axes[0].set_ylabel(f"z (m), slice y = {g[k]:.2f}")
    fig.suptitle(f"reachable (blue), agreement {d['agreement']:.3f} over {d['n']} grid points", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    mpl.close(fig)
    return path.name


def resolved_rate(model, layout: str = "kine", params: np.ndarray = PUMA_LIKE, steps: int = 400,
                  dt: float = 0.01, gain: float = 5.0, centre=(0.25, 0.1, 0.05), radius: float = 0.1,
                  euler=(0.3, 1.1, 2.0), branch: rm.Branch = "ikine6s") -> dict:
    """Track a circle (constant orientation) with ``qdot = J^+ (v_des + gain * error)``, once with the net's
    world-frame Jacobian (pose -> features -> estimation head) and once with the exact one.

    Starts on ``branch``, the IK branch of the net's training labels (the net maps a pose to the Jacobian of
    that branch's solution only; another branch has another Jacobian). Returns errors (m) per step.
    """
    params = np.asarray(params, float)
    R_des = euler_xyz_to_matrix(np.asarray(euler, float)[None])[0]
    t = np.arange(steps + 1) * dt
    w = 2 * np.pi / (steps * dt)
    c = np.asarray(centre, float)
    p_des = c + radius * np.stack([np.cos(w * t), np.zeros_like(t), np.sin(w * t)], 1)
    v_des = radius * w * np.stack([-np.sin(w * t), np.zeros_like(t), np.cos(w * t)], 1)
    q_all, _ = sw.analytic_ik(params[None], np.hstack([p_des[:1], np.asarray(euler, float)[None]]))
    q_start, ok = rm.select_branch(q_all, branch)
    if not ok[0]:
        raise IKLearnError(f"the circle's start pose has no {branch!r} IK solution on this arm")
    out = {"t": t.tolist(), "p_des": p_des.tolist(), "branch": branch}
    for mode in ("est", "exact"):
        q = q_start[0].copy()
        err, path = [], []
        for k in range(steps + 1):
            T, Jx = sw.fk_jacobian(params[None], q[None], "world")
            p, R = T[0, :3, 3], T[0, :3, :3]
            err.append(float(np.linalg.norm(p_des[k] - p)))
            path.append(p.tolist())
            if mode == "est":
                pose = np.hstack([p, matrix_to_euler_xyz(R[None])[0]])[None]
                J = model.predict_jacobian(rm.features(params[None], pose, layout))[0]  # type: ignore[arg-type]
            else:
                J = Jx[0]
            Re = R_des @ R.T
            e_w = 0.5 * np.array([Re[2, 1] - Re[1, 2], Re[0, 2] - Re[2, 0], Re[1, 0] - Re[0, 1]])
            twist = np.hstack([v_des[k] + gain * (p_des[k] - p), gain * e_w])
            q = q + dt * np.linalg.lstsq(J, twist, rcond=1e-3)[0]
        out[f"err_{mode}"] = err
        out[f"path_{mode}"] = path
        out[f"max_err_{mode}"] = float(max(err))
        out[f"mean_err_{mode}"] = float(np.mean(err))
    return out


def plot_resolved_rate(rr: dict, path: Path) -> str:
    mpl = _plt()
    fig, axes = mpl.subplots(1, 2, figsize=(9, 3.8))
    pd, pe, px = (np.array(rr[k]) for k in ("p_des", "path_est", "path_exact"))
    axes[0].plot(pd[:, 0], pd[:, 2], "k--", label="desired")
    axes[0].plot(pe[:, 0], pe[:, 2], "C1", label="estimated J (net)")
    axes[0].plot(px[:, 0], px[:, 2], "C0:", label="exact J")
    axes[0].set_xlabel("x (m)")
    axes[0].set_ylabel("z (m)")
    axes[0].set_aspect("equal")
    axes[0].legend(fontsize=7)
    axes[1].semilogy(rr["t"], np.maximum(rr["err_est"], 1e-9), "C1", label="estimated J")
    axes[1].semilogy(rr["t"], np.maximum(rr["err_exact"], 1e-9), "C0", label="exact J")
    axes[1].set_xlabel("t (s)")
    axes[1].set_ylabel("position error (m)")
    axes[1].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    mpl.close(fig)
    return path.name


def compare_optimisers(make: Callable, conf, est, names=("adam", "adamax", "nadam", "rmsprop", "adagrad", "sgd",
                                                        "adadelta")) -> dict:
    """Figures 6-7: the cycle schedule trained with each optimiser; validation curves per phase."""
    out = {}
    for name in names:
        m = make(optimizer=name).fit(conf.X, conf.reachable, est.X, est.J)
        out[name] = {"phase": m.history_.phase, "val_loss": m.history_.val_loss, "train_loss": m.history_.train_loss}
    return out


def plot_optimisers(opt: dict, path: Path) -> str:
    mpl = _plt()
    fig, axes = mpl.subplots(1, 2, figsize=(9, 3.8))
    for name, c in opt.items():
        ph = np.array(c["phase"])
        for ax, phase in ((axes[0], "confidence"), (axes[1], "estimation")):
            sel = ph == phase if phase == "confidence" else np.isin(ph, ["pretrain", "estimation"])
            ax.plot(np.array(c["train_loss"])[sel], label=name)
    axes[0].set_title("confidence (BCE), fig. 6", fontsize=9)
    axes[1].set_title("estimation (scaled MSE), fig. 7", fontsize=9)
    for ax in axes:
        ax.set_yscale("log")
        ax.set_xlabel("epoch of the phase")
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    mpl.close(fig)
    return path.name


def _plt():
    mpl = require("matplotlib", "plot")
    mpl.use("Agg")
    import matplotlib.pyplot as pyplot

    return pyplot
