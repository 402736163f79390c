"""``iklearn train`` from Python: train one method for any robot from a data file or generated data.

>>> model = iklearn.train("ml-ik", "my_arm.urdf", base_link="base", tip_link="tool0", n=100_000)
>>> model.save("model.npz")
>>> res = iklearn.load_model("model.npz", robot=chain).solve(targets, gate=True)

Data: ``data`` is a dataset directory written by ``iklearn data generate`` (its reachable rows; for ml-ik also
its conditioning labels and unreachable poses), or a measured CSV / Parquet file with columns
``q0..q{n-1}, x, y, z, qx, qy, qz, qw`` (and ``t``, seconds, for a recorded motion; rows with empty / NaN cells
are skipped). ``n`` instead generates data from the robot model: ml-ik a dataset with labels; crisp poses of
uniform configurations (the model itself, without the bias a real robot has); lwpr a "motor babbling"
motion about mid-range sampled every 10 ms (:func:`babbling_motion`).
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from iklearn.errors import DataFormatError, IKLearnError
from iklearn.estimators.learned import METHODS, LearnedIK
from iklearn.robot.chain import Chain

BABBLING_DT = 0.01
#: fewest usable rows each method trains from (ml-ik: 10 per solution cluster of its regressor; crisp and lwpr:
#: a few kernel centres / motion steps), checked before anything is generated or trained
MIN_ROWS = {"ml-ik": 40, "crisp": 10, "lwpr": 10}


def babbling_motion(chain: Chain, n: int, seed: int = 0, *, spread: float = 0.4, amplitude: float = 0.15,
                    hold: float = 3.0) -> tuple[np.ndarray, np.ndarray]:
    """``(times (n,) s, q (n, dof))``: motor babbling about the middle of the joint ranges, sampled every
    :data:`BABBLING_DT` s, as in the LWPR experiment (:func:`iklearn.experiments.lwpr_sim.babble`): every
    ``hold`` s a new mean posture within ``spread`` rad of mid-range, approached with a 1 s time constant,
    while each joint oscillates with ``amplitude`` rad at 0.3-1 Hz (tool speeds of a few tenths of m/s)."""
    rng = np.random.default_rng([seed, 53])
    dof, dt = chain.dof, BABBLING_DT
    lo_j, hi_j = chain.finite_lower, chain.finite_upper
    centre = 0.5 * (lo_j + hi_j)
    lo, hi = np.maximum(lo_j, centre - spread), np.minimum(hi_j, centre + spread)
    f, ph = rng.uniform(0.3, 1.0, dof), rng.uniform(0, 2 * np.pi, dof)
    per_hold = int(round(hold / dt))
    q = np.empty((n, dof))
    theta, mu = centre.copy(), centre.copy()
    for i in range(n):
        if i % per_hold == 0:
            mu = rng.uniform(lo, hi)
        q[i] = theta
        cmd = (mu - theta) + amplitude * 2 * np.pi * f * np.cos(2 * np.pi * f * i * dt + ph)
        theta = np.clip(theta + cmd * dt, lo_j, hi_j)
    return np.arange(n) * dt, q


def training_data(method: str, chain: Chain, *, data=None, n: int | None = None, seed: int = 0,
                  progress=None) -> dict:
    """Arrays for :meth:`LearnedIK.fit`: ``X`` (N, 4, 4), ``y`` (N, dof) and, where known, ``labels``,
    ``unreachable``, ``times``; plus ``source`` (what was read or generated) and ``skipped`` rows."""
    from iklearn.kinematics import fk

    if (data is None) == (n is None):
        raise IKLearnError("give either data (a file or dataset directory) or n (samples to generate)")
    if method not in METHODS:
        raise IKLearnError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    need = MIN_ROWS[method]
    if n is not None:
        if int(n) < need:
            raise IKLearnError(f"{method} needs at least {need} samples to train, got n={n}")
        n = int(n)
        if method == "ml-ik":
            from iklearn.data.dataset import generate_dataset
            from iklearn.kinematics import pose7_to_matrix

            ds = generate_dataset(chain, n, seed=seed, labels=("conditioning",), progress=progress)
            return {"X": pose7_to_matrix(ds.pose), "y": ds.q, "labels": ds.labels["conditioning"],
                    "source": f"{n} generated samples (seed {seed})", "skipped": 0}
        if method == "crisp":
            q = np.random.default_rng([seed, 59]).uniform(chain.finite_lower, chain.finite_upper, (n, chain.dof))
            return {"X": fk(chain, q), "y": q, "source": f"{n} configurations of the model itself", "skipped": 0}
        t, q = babbling_motion(chain, n, seed)
        return {"X": fk(chain, q), "y": q, "times": t, "source": f"{n} samples of babbling motion", "skipped": 0}
    from pathlib import Path

    p = Path(data)
    if p.is_dir():
        from iklearn.data.dataset import load_dataset
        from iklearn.kinematics import pose7_to_matrix

        ds = load_dataset(p)
        if len(ds) < need:
            raise DataFormatError(f"{p} has {len(ds)} samples; {method} needs at least {need}")
        if ds.chain.fingerprint() != chain.fingerprint():
            raise DataFormatError(f"{p} was generated for robot '{ds.chain.name}', whose kinematics differ from "
                                  f"'{chain.name}'")
        out = {"X": pose7_to_matrix(ds.pose), "y": ds.q, "source": f"{p} ({len(ds)} samples)", "skipped": 0}
        if method == "ml-ik":
            if "conditioning" in ds.labels:
                out["labels"] = ds.labels["conditioning"]
            if len(ds.unreachable):
                out["unreachable"] = ds.unreachable
        return out
    from iklearn.data.measured import read_measurements

    m = read_measurements(p, chain.dof)
    if len(m) < need:
        skipped = f" ({m.skipped.size} rows skipped for empty/NaN/inf cells)" if m.skipped.size else ""
        raise DataFormatError(f"{p} has {len(m)} usable measurements{skipped}; {method} needs at least {need}")
    out = {"X": m.poses, "y": m.q, "source": f"{p} ({len(m)} rows)", "skipped": int(m.skipped.size)}
    if m.times is not None:
        out["times"] = m.times
    return out


def train(method: str, robot: Chain | str | os.PathLike, *, data: str | os.PathLike | None = None,
          n: int | None = None, base_link: str | None = None, tip_link: str | None = None, holdout: float = 0.1,
          params: dict | None = None, seed: int = 0, out: str | os.PathLike | None = None,
          progress: Any = None) -> LearnedIK:
    """Train ``method`` ('ml-ik', 'crisp' or 'lwpr') for ``robot`` (a Chain, built-in name or URDF path) and
    return the fitted :class:`LearnedIK` (written to ``out`` too when given); see the module docstring.

    ``data``: a measured CSV / Parquet file or a dataset directory (or give ``n`` samples to generate);
    ``progress``: an optional rich Progress (or anything with its ``add_task`` / ``update``).
    ``params``: hyperparameters per part (see :class:`LearnedIK`); ``model.summary_`` holds the held-out
    errors and ``model.summary_['data']`` what was trained on.
    """
    from iklearn.robot.catalogue import load_robot

    chain = load_robot(robot, base_link, tip_link)
    if out is not None:
        from iklearn._io import check_writable

        check_writable(out)
    d = training_data(method, chain, data=data, n=n, seed=seed, progress=progress)
    model = LearnedIK(robot=chain, method=method, params=params, holdout=holdout, random_state=seed)
    model.fit(d["X"], d["y"], labels=d.get("labels"), unreachable=d.get("unreachable"), times=d.get("times"),
              progress=progress)
    model.summary_["data"] = d["source"]
    model.summary_["skipped_rows"] = d["skipped"]
    if out is not None:
        model.save(out)
    return model


def load_model(path: str | os.PathLike, *, robot: Chain | str | os.PathLike | None = None,
               base_link: str | None = None, tip_link: str | None = None) -> LearnedIK:
    """Read a model written by :func:`train` / ``iklearn train``; refuses one made for another ``robot``."""
    from iklearn.robot.catalogue import load_robot

    chain = None if robot is None else load_robot(robot, base_link, tip_link)
    return LearnedIK.load(path, robot=chain)
