"""Workspace maps of any robot: reachability and manipulability/conditioning, from sampling or a model.

A map is a 2-D grid on a slab of the workspace (``plane`` 'xy', 'xz' or 'yz', at ``offset`` m along the third
axis, ``thickness`` m thick). From sampling, a cell's *reachability* is 1 when any sampled tip position falls
in it (positional reachability: any orientation), and its *metric* is the mean of a manipulability metric over
those samples. From a learned reachability model, the cell value is the model's probability at the cell
centre. :func:`iklearn.evaluation.plotting.plot_workspace` draws both side by side, plus a 3-D point cloud, as one PNG.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from iklearn._validate import check_number, check_seed
from iklearn.data.sampling import DataArgumentError, check_size
from iklearn.robot.chain import Chain

_PLANES = {"xy": (0, 1, 2), "xz": (0, 2, 1), "yz": (1, 2, 0)}
METRICS = ("yoshikawa", "inverse_condition", "isotropy", "condition")


@dataclass(frozen=True, eq=False)
class WorkspaceMap:
    """A gridded slice. ``values`` (bins, bins) indexed [row = second axis, col = first axis], NaN where
    nothing was sampled; ``extent`` (xmin, xmax, ymin, ymax) m of the two in-plane axes."""

    plane: str
    offset: float
    values: np.ndarray
    extent: tuple[float, float, float, float]
    label: str


def _check_plane(plane: str) -> tuple[int, int, int]:
    if plane not in _PLANES:
        raise DataArgumentError(f"unknown plane {plane!r}; expected one of {', '.join(_PLANES)}")
    return _PLANES[plane]


def _extent(chain: Chain, margin: float = 1.05) -> float:
    return margin * chain.reach()


#: bytes kept per workspace sample (position and four metrics, float64); the Jacobians are dropped chunk by chunk
SAMPLE_BYTES = 8 * (3 + len(METRICS))
#: configurations per chunk (a few hundred MB of transforms and Jacobians at a time)
CHUNK = 250_000
#: most cells per axis of a slice: more than a figure can show (and 1000^2 cells per map is already 8 MB)
MAX_BINS = 1000


def _check_bins(bins) -> int:
    return check_number(bins, "bins", low=2, high=MAX_BINS, integer=True)


def sample_workspace(chain: Chain, n: int = 200_000, seed: int = 0, sampler: str = "uniform",
                     progress=None) -> dict[str, np.ndarray]:
    """Sampled tip positions ``(n, 3)`` (key ``position``) and metrics ``(n,)`` (keys of :data:`METRICS`).

    Computed in chunks of :data:`CHUNK` configurations (the chunks of :func:`~iklearn.data.dataset.generate_dataset`
    with the same seed and sampler), keeping :data:`SAMPLE_BYTES` per sample. ``progress``: a rich
    ``Progress`` (or anything with its ``add_task`` / ``update``), advanced per chunk.
    """
    from iklearn.data.dataset import compute_samples
    from iklearn.data.sampling import scale_to_limits, unit_samples

    n = check_size(n)
    seed = check_seed(seed)
    out = {"position": np.empty((n, 3)), **{k: np.empty(n) for k in METRICS}}
    task = None if progress is None else progress.add_task("sampling the workspace", total=n)
    for start in range(0, n, CHUNK):
        count = min(CHUNK, n - start)
        d = compute_samples(chain, scale_to_limits(chain, unit_samples(chain.dof, count, sampler, seed, start)))
        out["position"][start:start + count] = d["pose"][:, :3]
        for k in METRICS:
            out[k][start:start + count] = d[k]
        if task is not None:
            progress.update(task, advance=count)
    return out


def sampled_map(samples: dict[str, np.ndarray], plane: str = "xz", offset: float = 0.0,
                thickness: float | None = None, bins: int = 80, metric: str | None = None,
                half_width: float | None = None) -> WorkspaceMap:
    """Grid a slab of sampled positions: reachability (``metric=None``) or the mean of ``metric`` per cell."""
    a, b, c = _check_plane(plane)
    P = samples["position"]
    bins = _check_bins(bins)
    R = half_width or 1.05 * float(np.abs(P).max())
    thickness = thickness or 2 * R / bins * 4  # a slab four cells thick
    slab = np.abs(P[:, c] - offset) <= thickness / 2
    edges = np.linspace(-R, R, bins + 1)
    cnt, _, _ = np.histogram2d(P[slab, b], P[slab, a], bins=[edges, edges])
    if metric is None:
        vals, label = (cnt > 0).astype(float), "reachable (sampled)"
    else:
        if metric not in METRICS:
            raise DataArgumentError(f"unknown metric {metric!r}; expected one of {', '.join(METRICS)}")
        s, _, _ = np.histogram2d(P[slab, b], P[slab, a], bins=[edges, edges], weights=samples[metric][slab])
        with np.errstate(invalid="ignore", divide="ignore"):
            vals = np.where(cnt > 0, s / np.maximum(cnt, 1), np.nan)
        label = f"mean {metric} (sampled)"
    return WorkspaceMap(plane, float(offset), vals, (-R, R, -R, R), label)


def reachability_probability(model, poses: np.ndarray) -> np.ndarray:
    """``(N,)`` probability of reachability from a callable ``poses -> (N,)`` or a classifier.

    A classifier's ``predict_proba`` gives ``1 - P(class 0)`` when its ``classes_`` contain 0 (0 =
    unreachable, as in :mod:`iklearn.data.labels`), else its last column.
    """
    if hasattr(model, "predict_proba"):
        p = np.asarray(model.predict_proba(poses), float)
        classes = list(getattr(model, "classes_", []))
        if p.ndim == 2 and 0 in classes:
            return 1.0 - p[:, classes.index(0)]
        return p[:, -1] if p.ndim == 2 else p
    if callable(model):
        return np.asarray(model(poses), float).reshape(-1)
    raise DataArgumentError("model must be callable (poses -> (N,) probability) or have predict_proba")


def slice_grid(half_width: float, plane: str = "xz", offset: float = 0.0, bins: int = 80) -> np.ndarray:
    """Cell centres ``(bins * bins, 3)`` (m) of a ``bins`` x ``bins`` grid on ``plane`` at ``offset``, spanning
    ``[-half_width, half_width]`` on both in-plane axes; row-major with the second in-plane axis slowest,
    so ``values.reshape(bins, bins)`` has the layout of :class:`WorkspaceMap`."""
    a, b, c = _check_plane(plane)
    edges = np.linspace(-half_width, half_width, _check_bins(bins) + 1)
    mid = 0.5 * (edges[1:] + edges[:-1])
    gb, ga = np.meshgrid(mid, mid, indexing="ij")
    P = np.zeros((gb.size, 3))
    P[:, a], P[:, b], P[:, c] = ga.ravel(), gb.ravel(), offset
    return P


def model_map(model: Callable | object, half_width: float, plane: str = "xz", offset: float = 0.0,
              bins: int = 80, orientation=(0.0, 0.0, 0.0, 1.0), model_input: str = "pose7") -> WorkspaceMap:
    """Grid of a learned model's reachability probability at the cell centres of a slice.

    ``model_input`` 'pose7' feeds ``(N, 7)`` poses with the fixed quaternion ``orientation``; 'position'
    feeds ``(N, 3)`` positions (compare this one with the sampled positional reachability).
    """
    P = slice_grid(half_width, plane, offset, bins)
    if model_input == "position":
        X = P
    elif model_input == "pose7":
        X = np.column_stack([P, np.tile(np.asarray(orientation, float), (P.shape[0], 1))])
    else:
        raise DataArgumentError(f"model_input must be 'pose7' or 'position', got {model_input!r}")
    prob = reachability_probability(model, X)
    if prob.shape != (P.shape[0],):
        raise DataArgumentError(f"model returned shape {prob.shape}; expected ({P.shape[0]},)")
    return WorkspaceMap(plane, float(offset), prob.reshape(bins, bins), (-half_width, half_width) * 2,
                        "reachability probability (model)")
