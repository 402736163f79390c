"""matplotlib for the report's figures: the Agg backend (no display), imported only when a figure is drawn."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from iklearn._io import atomic_path, check_writable
from iklearn.data.sampling import DataArgumentError
from iklearn.data.workspace import (
    _PLANES,
    METRICS,
    _check_bins,
    _check_plane,
    model_map,
    sample_workspace,
    sampled_map,
)
from iklearn.robot.chain import Chain


def plt() -> Any:
    """``matplotlib.pyplot`` with the Agg backend, or a MissingExtraError naming the ``plot`` extra."""
    from iklearn.errors import require

    mpl = require("matplotlib", "plot")
    mpl.use("Agg")
    import matplotlib.pyplot as pyplot

    return pyplot


def plot_workspace(chain: Chain, out: str | Path, *, n: int = 200_000, seed: int = 0, metric: str = "inverse_condition",
                   planes: tuple[str, ...] = ("xy", "xz"), bins: int = 80, model=None, model_input: str = "pose7",
                   orientation=(0.0, 0.0, 0.0, 1.0), cloud_points: int = 5000, progress=None) -> Path:
    """Write a PNG: per plane, the sampled reachability and ``metric`` slices (and the model's map beside
    them when ``model`` is given), plus a 3-D point cloud of sampled tips coloured by ``metric``.

    Returns the path written (atomically). Each slice passes through the mean sampled tip position (e.g. the
    'xy' slice at the mean tip height), where the workspace is widest.
    """

    if metric not in METRICS:
        raise DataArgumentError(f"unknown metric {metric!r}; expected one of {', '.join(METRICS)}")
    for p in planes:
        _check_plane(p)
    if not planes:
        raise DataArgumentError(f"planes is empty; expected some of {', '.join(_PLANES)}")
    bins = _check_bins(bins)
    check_writable(out)  # before the sampling, not after it
    S = sample_workspace(chain, n, seed, progress=progress)
    R = 1.05 * float(np.abs(S["position"]).max())
    pyplot = plt()
    ncol = 3 if model is not None else 2
    fig = pyplot.figure(figsize=(4.2 * ncol, 3.8 * (len(planes) + 1)))
    for i, plane in enumerate(planes):
        off = float(S["position"][:, _PLANES[plane][2]].mean())
        maps = [sampled_map(S, plane, off, bins=bins, half_width=R),
                sampled_map(S, plane, off, bins=bins, metric=metric, half_width=R)]
        if model is not None:
            maps.append(model_map(model, R, plane, off, bins=bins, orientation=orientation, model_input=model_input))
        for j, m in enumerate(maps):
            ax = fig.add_subplot(len(planes) + 1, ncol, i * ncol + j + 1)
            im = ax.imshow(m.values, origin="lower", extent=m.extent, cmap="viridis" if j != 0 else "Greys",
                           vmin=0 if j != 1 else None, vmax=1 if j != 1 else None)
            ax.set_title(f"{plane} slice at {off:+.2f} m: {m.label}", fontsize=8)
            ax.set_xlabel(f"{plane[0]} (m)")
            ax.set_ylabel(f"{plane[1]} (m)")
            fig.colorbar(im, ax=ax, fraction=0.046)
    ax = fig.add_subplot(len(planes) + 1, ncol, len(planes) * ncol + 1, projection="3d")
    k = min(cloud_points, S["position"].shape[0])
    P = S["position"][:k]
    sc = ax.scatter(P[:, 0], P[:, 1], P[:, 2], c=S[metric][:k], s=1, cmap="viridis")
    ax.set_title(f"{chain.name}: sampled tips, colour = {metric}", fontsize=8)
    fig.colorbar(sc, ax=ax, fraction=0.046)
    fig.tight_layout()
    with atomic_path(out) as tmp:
        fig.savefig(tmp, format="png", dpi=90)
    pyplot.close(fig)
    return Path(out)
