"""The CRiSP experiment's checkable claims and notes, built from one run's measurements only."""

from __future__ import annotations

import numpy as np

from iklearn.evaluation.record import Claim
from iklearn.experiments.crisp.data import CUBE_SIDE, REST
from iklearn.experiments.crisp.protocol import PANDA_FIXED, PANDA_TRAJ

#: Published Table 2: per trajectory (S, C0, C-pi/4, C+pi/4) (CRiSP-FK pos mm, SDLS pos mm, CRiSP-FK orn
#: 1e-4 rad, SDLS orn 1e-4 rad).
PUBLISHED = {
    ('joint', 0.0): [(0.739, 1.33, 32.2, 7.28), (0.602, 0.749, 9.4, 3.92),
                    (0.548, 0.762, 2.92, 6.97), (0.576, 3.58, 19.9, 27.9)],
    ('joint', 0.01): [(0.749, 1.42, 32.2, 7.46), (0.623, 1.05, 9.61, 4.08),
                    (0.56, 0.61, 2.99, 10), (0.575, 3.67, 19.9, 29.2)],
    ('joint', 0.1): [(1.17, 2.99, 40.4, 41.2), (1.01, 3.81, 20, 45.6),
                    (0.623, 2.93, 4.4, 49.6), (0.573, 5.75, 19.9, 54.3)],
    ('joint', 1.0): [(7.31, 27.9, 203, 403), (7.26, 31.7, 198, 462),
                    (1.8, 32.1, 32.8, 453), (0.56, 35.2, 21.1, 485)],
    ('joint', 3.0): [(21.2, 83.7, 611, 1180), (20.1, 95.4, 548, 1370),
                    (9.78, 97, 189, 1300), (0.592, 110, 25, 1470)],
    ('link', 0.1): [(0.943, 1.19, 24.3, 7.3), (0.807, 1.4, 9.39, 3.93),
                    (0.56, 1.202, 2.94, 6.98), (0.574, 4.27, 19.9, 27.9)],
    ('link', 1.0): [(3.28, 11.8, 24.4, 7.52), (4.0, 12.1, 9.44, 4.03),
                    (0.639, 8.86, 2.92, 7.03), (0.567, 10.4, 19.9, 27.7)],
    ('link', 10.0): [(30.5, 121, 24.4, 9.94), (37.8, 120, 9.37, 5.21),
                    (2.89, 90.0, 3.04, 7.43), (0.518, 93.1, 19.9, 25.9)],
    ('link', 30.0): [(88.3, 330, 24.3, 11.0), (115, 349, 9.77, 8.25),
                    (2.96, 286, 3.49, 7.37), (0.586, 296, 20.0, 21.8)],
}


def _nobias(t2: dict, m: str, what: str) -> dict:
    return {nm: t2["cells"][f"joint/0.0/{nm}"][m][what]["pos_rmse"] * 1e3 for nm in PANDA_TRAJ}


def _fmt(d: dict) -> str:
    return ", ".join(f"{k} {v:.3g} mm" for k, v in d.items())


def build(cfg: dict, fitted: dict, t2: dict, curve: dict) -> list[Claim]:
    """Paper-protocol claims (simulated Table 2, timing), then our extensions (kinematic rows, learning curve)."""
    claims = []
    pub0 = {nm: PUBLISHED[("joint", 0.0)][i][0] for i, nm in enumerate(PANDA_TRAJ)}
    for lab in cfg["labels"]:
        sim = _nobias(t2, f"CRiSP-FK/{lab}", "sim")
        above = [nm for nm in PANDA_TRAJ if sim[nm] > pub0[nm]]
        claims.append(Claim(
            f"crisp.table2.{lab}.nobias",
            f"Panda, no bias, simulated arm ({lab} labels): CRiSP-FK position RMSE, worst trajectory (reported, "
            "not judged at any size: with noise-free labels and the true robot as the model, g(y_i) = x_i, so the "
            "FK loss is exact IK towards a kernel-ridge interpolation of the target and the error is small by "
            "construction once a few hundred samples are near; the simulated arm adds only its tracking lag. "
            "Where learning matters: the noisy learning curve and the biased rows)", "paper", max(sim.values()),
            unit="mm", detail=_fmt(sim) + f"; above the published figure on {len(above)} of {len(PANDA_TRAJ)}"
            + (f" ({', '.join(above)})" if above else ""), published=_fmt(pub0), source="Table 2"))
        worse, cells = [], 0
        for (kind, b), pub in PUBLISHED.items():
            if b not in cfg[kind]:
                continue
            for i, nm in enumerate(PANDA_TRAJ):
                c = t2["cells"][f"{kind}/{b}/{nm}"]
                for key, j in (("pos", 0), ("rot", 2)):
                    if pub[i][j] < pub[i][j + 1]:  # the paper has CRiSP-FK below SDLS here
                        cells += 1
                        if not c[f"CRiSP-FK/{lab}"]["sim"][f"{key}_rmse"] < c["PyBullet IK"]["sim"][f"{key}_rmse"]:
                            worse.append(f"{kind} {b:g} {nm} {key}")
        claims.append(Claim(
            f"crisp.table2.{lab}.below-pybullet",
            f"Panda, simulated arm ({lab} labels): Table 2 cells (position and orientation RMSE) where the paper has "
            "CRiSP-FK below SDLS and ours is not below PyBullet's IK", "paper", len(worse), "<=", 0,
            detail=f"{cells - len(worse)}/{cells} reproduced"
            + (f"; not in: {', '.join(worse[:12])}" + (" ..." if len(worse) > 12 else "") if worse else ""),
            published=f"below in {cells} of these cells", source="Table 2"))
    pb = _nobias(t2, "PyBullet IK", "sim")
    pub_sd = {nm: PUBLISHED[("joint", 0.0)][i][1] for i, nm in enumerate(PANDA_TRAJ)}
    claims.append(Claim("crisp.table2.pybullet.nobias",
                        "Panda, no bias, simulated arm: PyBullet IK position RMSE, worst trajectory (reported)",
                        "paper", max(pb.values()), unit="mm", detail=_fmt(pb), published="SDLS " + _fmt(pub_sd),
                        source="Table 2"))
    lab0 = cfg["labels"][0]
    tp = float(np.median(t2["timing"]["predict_s_per_point"][f"{lab0}/C"])) * 1e3
    tm = fitted["timing"][f"{lab0}/C"]
    claims.append(Claim(
        "crisp.timing.predict",
        f"Prediction time per trajectory point, {tm['n']} training points ({tm['weights']} weights, L-BFGS-B, "
        "one thread)", "paper", tp, "<=", 700.0, unit="ms",
        detail=f"median over the bias settings; training {tm['fit_s']:.2f} s after {tm['data_s']:.1f} s of IK "
               "labelling (train + validation)", published="0.7 s per prediction (25,000 points)", source="Sec. 4.6"))
    for lab in cfg["labels"]:
        kin, sim = _nobias(t2, f"CRiSP-FK/{lab}", "kin"), _nobias(t2, f"CRiSP-FK/{lab}", "sim")
        claims.append(Claim(
            f"crisp.ext.kinematic.{lab}.nobias",
            f"Panda, no bias ({lab} labels): CRiSP-FK position RMSE through our FK, worst trajectory (kinematic "
            "only: the noise-free identity, not learning; reported)", "extension", max(kin.values()), unit="mm",
            detail=f"kinematic {_fmt(kin)}; simulated {_fmt(sim)}", extends=f"crisp.table2.{lab}.nobias",
            published=_fmt(pub0), source="Table 2"))
    rows = {(r["noise"], r["n"], r["bias"]): r for r in curve["rows"]}
    sizes = curve["sizes"]
    if sizes:
        lo, hi = sizes[0], sizes[-1]
        nz = [rows[("noisy", n, "none")]["pos_rmse"] * 1e3 for n in sizes]
        claims.append(Claim(
            "crisp.ext.curve.noisy",
            f"Learning curve, pose noise 0.1 mm / 0.5 mrad, no bias: position RMSE on the C trajectories with {hi} "
            "training points, below the noise's own 0.1 mm", "extension", nz[-1], "<=", 0.1, unit="mm",
            detail=", ".join(f"n={n}: {v:.4f}" for n, v in zip(sizes, nz))
            + f"; noise-free: n={lo} {rows[('clean', lo, 'none')]['pos_rmse'] * 1e3:.4f} mm",
            extends=f"crisp.table2.{lab0}.nobias"))
        bz = [rows[("noisy", n, "joint 1 deg")]["pos_rmse"] * 1e3 for n in sizes]
        claims.append(Claim(
            "crisp.ext.curve.bias",
            f"Learning curve, pose noise and 1-degree joint bias: position RMSE with {hi} training points "
            "(reported)", "extension", bz[-1], unit="mm",
            detail=", ".join(f"n={n}: {v:.3f}" for n, v in zip(sizes, bz)),
            extends=f"crisp.table2.{lab0}.below-pybullet",
            published="C0 7.26, C-pi/4 1.8, C+pi/4 0.56 mm at 35,000 points", source="Table 2, joint bias 1 deg"))
    return claims


def notes(cfg: dict, fitted: dict, t2: dict, pbc: dict, wts: dict) -> list[str]:
    """The run's notes: protocol choices (where the paper is silent) and checks measured in this run."""
    sim, agree = t2["sim"], fitted["agree"]
    best = "; ".join(f"{k}: sigma {v['sigma']:g}, lambda {v['lam']:g}" for k, v in fitted["best"].items())
    dt = sim["time_step_s"] * sim["steps_per_point"]
    out = [
        "Paper protocol (Table 2): trajectories, frames and the rest pose as in the authors' released code "
        "(the circle centre [0, 4.4, -55] cm is in PyBullet's y-up world with the Panda base turned -90 deg about x; "
        "tool = PyBullet's panda_grasptarget; training orientations +-pi/4 about the world z axis tilt the tool; the "
        f"spiral makes 6 turns and goes 6 cm out and back). Spiral set: a {CUBE_SIDE * 100:g} cm cube (size not "
        "given), orientations uniform on SO(3); unreachable poses redrawn.",
        "Joint labels (the paper does not say): 'branch' = our LM from the authors' rest pose "
        f"{np.round(REST, 3).tolist()} restarting near it first; 'random' = our LM from a uniformly random seed per "
        "pose. Training poses are the true FK of the labels (x_i = g(y_i)).",
        f"Grid search on {cfg['n_val']} separate validation poses per training set ({cfg['labels'][0]} labels; the "
        "other labelling reuses its choice: it labels the same pose draws, and with x_i = g(y_i) neither the kernel "
        "weights nor the FK loss see the joints, only the optimiser's start does), unbiased model, "
        f"sigma in {cfg['sigmas']}, lambda in {cfg['lams']} (features: positions / {PANDA_FIXED['position_unit']} m, "
        f"rotation-matrix entries x {PANDA_FIXED['rotation_unit']:.3g}; kernel exp(-d^2/sigma^2)); chosen: {best}. "
        "The chosen model is given every biased FK (the kernel weights depend on the poses only).",
        "Validation predictions use our batched LM on the same objective; L-BFGS-B (the paper's optimiser, used for "
        "every trajectory) reaches the same poses: " + "; ".join(
            f"{k}: {a['share_within_1um'] * 100:.1f} % of {a['n']} validation points within 1 um (median "
            f"{a['median_pos_m'] * 1e3:.2g} mm, max {a['max_pos_m'] * 1e3:.2g} mm / {a['max_rot_rad']:.2g} rad)"
            for k, a in agree.items()) + "; where they differ, the two optimisers ended in different local minima "
        "of a weight field spread over distant samples.",
        f"Simulation: PyBullet's franka_panda/panda.urdf (its masses and inertias), gravity on, POSITION_CONTROL "
        f"with default gains and the URDF's effort limits, {sim['time_step_s']:.4g} s steps; the arm is reset to the "
        f"first configuration, settles {sim['settle_steps']} steps, then each set-point is held {dt:.3g} s "
        f"({sim['steps_per_point']} steps; a trajectory lasts {sim['duration_s']:.3g} s, a timing the paper does not "
        "give) and the tool pose read at its end. Its kinematics match ours to "
        f"{t2['sim_vs_fk']['max_pos_m']:.1e} m / {t2['sim_vs_fk']['max_rot_rad']:.1e} rad (50 random configurations).",
        "Baseline: PyBullet's SDLS cannot be run here: calculateInverseKinematics(solver=IK_SDLS) crashes pybullet "
        "3.2 (segmentation fault) on the Panda, on our exported Panda and on PyBullet's KUKA; with joint limits, "
        "ranges and rest poses Bullet runs its null-space DLS whatever solver is asked ('Nullspace task only works "
        "with DLS now'). The authors' code calls it with those arguments and no solver (so DLS); we do the same "
        f"(official limits, rest pose above, residual 1e-5, {cfg['pb_iterations']} iterations, every point from the "
        "rest pose) on a URDF of the biased model. Its null-space pull keeps it from converging exactly.",
        "Joint bias: b on every joint with the same sign (the paper's b [1, ..., 1]; the authors' code draws a random "
        "sign per joint). Link bias: +-b on every non-zero link, random signs per repetition "
        f"({cfg['reps']} repetitions). Orientation loss: chordal 1/2 ||R - R_i||_F^2 instead of eq. 5's Euler-angle "
        "circle distance (smooth; same minimiser near the target).",
        "The authors' released code scores each configuration by setting the joints in PyBullet (resetJointState, "
        "no dynamics) and reports the mean per-point sum of absolute coordinate errors; here every row of Table 2 is "
        "the RMSE of the Euclidean error of the simulated, position-controlled arm.",
    ]
    if wts:
        out.append(f"Weights beyond 6,000 points: the top-{PANDA_FIXED['n_neighbors']} local sub-system of K + n lam I "
                   f"(the exact factor would take 9.8 GB at 35,000 points); on {wts['n']} points exact vs local "
                   f"validation position RMSE {wts['exact']['val_pos_rmse'] * 1e3:.4f} vs "
                   f"{wts['local']['val_pos_rmse'] * 1e3:.4f} mm.")
    if pbc:
        out.append("PyBullet IK iteration budget, 5 points of C0, unbiased: " + "; ".join(
            f"{k} iterations: {v['pos_rmse'] * 1e3:.4f} mm, {v['rot_rmse'] * 1e3:.3f} mrad, "
            f"{v['s_per_call'] * 1e3:.1f} ms per call" for k, v in pbc.items()) + " (the authors used 20,000).")
    return out
