"""Datasets of (q, pose, Jacobian, manipulability metrics, labels) for any robot, generated in chunks.

Chunk ``k`` covers samples ``[k * chunk_size, (k + 1) * chunk_size)`` and its random numbers depend only on
``(seed, sampler, k * chunk_size)`` (see :func:`iklearn.data.sampling.unit_samples`), so chunks are
independent: an interrupted run resumes from the chunks already saved and gives the same data as an
uninterrupted one. With ``out``, each finished chunk is saved atomically in the sidecar directory
``<out>.partial/``; the final Parquet file is written atomically (temp + rename) and the sidecar removed.
An interruption therefore leaves the previous complete file (if any) and a resumable partial directory,
never a truncated Parquet file.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from iklearn.data import storage
from iklearn.data.labels import UNREACHABLE, conditioning_labels, unreachable_poses
from iklearn.data.sampling import DataArgumentError, check_method, check_size, scale_to_limits, unit_samples
from iklearn.errors import DataFormatError
from iklearn.robot.chain import Chain

LABEL_KINDS: tuple[str, ...] = ("conditioning", "unreachable")


@dataclass(frozen=True, eq=False)
class Dataset:
    """Reachable samples of one robot, plus optional labels and unreachable poses.

    Attributes
    ----------
    chain : Chain
    q : (N, dof) joint values (rad / m)
    pose : (N, 7) tip poses ``[x, y, z, qx, qy, qz, qw]`` (m)
    jacobian : (N, 6, dof) world-frame geometric Jacobians, linear rows first
    metrics : name -> (N,): ``yoshikawa``, ``condition``, ``inverse_condition``, ``isotropy``
    labels : name -> (N,) int8; ``conditioning`` in {1, 2, 3} (see :mod:`iklearn.data.labels`)
    unreachable : (M, 7) poses the robot cannot reach (class 0), possibly M = 0
    meta : provenance (seed, sampler, thresholds, iklearn version, ...)
    """

    chain: Chain
    q: np.ndarray
    pose: np.ndarray
    jacobian: np.ndarray
    metrics: dict[str, np.ndarray]
    labels: dict[str, np.ndarray] = field(default_factory=dict)
    unreachable: np.ndarray = field(default_factory=lambda: np.empty((0, 7)))
    meta: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return self.q.shape[0]

    @property
    def thresholds(self) -> tuple[float, float] | None:
        """The conditioning thresholds ``(t_low, t_high)`` on the inverse condition number, if labelled."""
        t = self.meta.get("thresholds")
        return None if t is None else (float(t[0]), float(t[1]))

    def poses_matrix(self) -> np.ndarray:
        """(N, 4, 4) tip poses."""
        from iklearn.kinematics.pose import pose7_to_matrix

        return pose7_to_matrix(self.pose)

    def classification_data(self) -> tuple[np.ndarray, np.ndarray]:
        """Poses ``(N + M, 7)`` and 4-class labels ``(N + M,)`` (0 unreachable, 1-3 conditioning) of 001."""
        if "conditioning" not in self.labels:
            raise DataArgumentError("dataset has no 'conditioning' labels; generate it with labels=('conditioning', ...)")
        y = np.concatenate([self.labels["conditioning"], np.full(len(self.unreachable), UNREACHABLE, np.int8)])
        return np.concatenate([self.pose, self.unreachable]), y

    def save(self, path: str | Path) -> Path:
        """Write the dataset to Parquet atomically (see :mod:`iklearn.data.storage`)."""
        return storage.write_table(path, _to_columns(self), _jsonable(self.meta))


# ------------------------------------------------------------------------------------------- computing
def compute_samples(chain: Chain, q: np.ndarray) -> dict[str, np.ndarray]:
    """Poses, Jacobians and metrics of configurations ``q`` ``(N, dof)`` (numba FK+Jacobian, batched SVD)."""
    from iklearn.kinematics import _kernels as K
    from iklearn.kinematics.metrics import manipulability
    from iklearn.kinematics.pose import matrix_to_pose7

    q = np.ascontiguousarray(q, dtype=np.float64)
    T = np.empty((q.shape[0], 4, 4))
    J = np.empty((q.shape[0], 6, chain.dof))
    K.fk_jac_batch(q, chain.joint_types, chain.fixed, chain.axes, chain.tip, T, J, False)
    m = manipulability(J)
    return {"q": q, "pose": matrix_to_pose7(T), "jacobian": J, **m._asdict()}


def _chunk(chain: Chain, sampler: str, seed: int, start: int, count: int) -> dict[str, np.ndarray]:
    return compute_samples(chain, scale_to_limits(chain, unit_samples(chain.dof, count, sampler, seed, start)))


# ------------------------------------------------------------------------------------------- generation
def generate_dataset(
    chain: Chain | str,
    n: int,
    *,
    sampler: str = "uniform",
    seed: int = 0,
    labels: Sequence[str] = (),
    chunk_size: int = 100_000,
    out: str | Path | None = None,
    progress=None,
    resume: bool = False,
    thresholds: tuple[float, float] | None = None,
    percentiles: tuple[float, float, float] = (20, 60, 20),
    n_unreachable: int | None = None,
    callback: Callable[[int, int], None] | None = None,
) -> Dataset:
    """Sample ``n`` configurations and compute poses, Jacobians, metrics and labels, chunk by chunk.

    Parameters
    ----------
    chain : Chain or robot name
    n : int, > 0
    sampler : {'uniform', 'lhs', 'sobol'}
    seed : int; same seed, same data (and byte-identical files)
    labels : kinds among ``'conditioning'`` (classes 1-3 on the inverse condition number) and
        ``'unreachable'`` (``n_unreachable`` poses of class 0, default ``n // 4``)
    chunk_size : samples per chunk (memory per chunk ~ (13 + 7 dof) * 8 bytes * chunk_size)
    out : Parquet path, optional; written atomically. Its directory must exist.
    progress : None/False (silent), True (a rich progress bar) or a ``rich.progress.Progress``
    resume : continue from ``<out>.partial/`` if it holds chunks of the same request
        (without it, a stale partial directory is discarded)
    thresholds, percentiles : see :func:`iklearn.data.labels.conditioning_labels`
    callback : called as ``callback(chunk_index, n_chunks)`` after each chunk is done (and saved)

    Returns
    -------
    Dataset
    """
    if isinstance(chain, str):
        from iklearn.robot import load_robot

        chain = load_robot(chain)
    n = check_size(n)
    chunk_size = check_size(chunk_size, "chunk_size")
    check_method(sampler)
    labels = tuple(labels)
    bad = [k for k in labels if k not in LABEL_KINDS]
    if bad:
        raise DataArgumentError(f"unknown label kind(s) {bad}; expected some of {', '.join(LABEL_KINDS)}")
    n_unr = 0
    if "unreachable" in labels:
        n_unr = check_size(max(1, n // 4) if n_unreachable is None else n_unreachable, "n_unreachable")
    from iklearn import __version__

    meta = {
        "iklearn_version": __version__, "robot": chain.to_dict(), "robot_fingerprint": chain.fingerprint(),
        "seed": int(seed), "sampler": sampler, "n": n, "chunk_size": chunk_size, "labels": list(labels),
        "n_unreachable": n_unr, "percentiles": [float(p) for p in percentiles] if thresholds is None else None,
        "thresholds": None, "jacobian_frame": "world",
    }
    partial = None
    if out is not None:
        from iklearn._io import check_writable

        out = check_writable(out)
        partial = _open_partial(Path(str(out) + ".partial"), meta, resume)

    n_chunks = -(-n // chunk_size)
    parts: list[dict[str, np.ndarray]] = []
    with _Progress(progress, n_chunks + (1 if n_unr else 0)) as bar:
        for k in range(n_chunks):
            start = k * chunk_size
            count = min(chunk_size, n - start)
            f = None if partial is None else partial / f"chunk_{k:06d}.npz"
            part = _load_chunk(f, count, chain.dof) if (f is not None and f.exists()) else None
            if part is None:
                part = _chunk(chain, sampler, seed, start, count)
                if f is not None:
                    _save_npz(f, part)
            parts.append(part)
            bar.advance()
            if callback is not None:
                callback(k, n_chunks)
        data = {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}
        del parts
        lab: dict[str, np.ndarray] = {}
        if "conditioning" in labels:
            lab["conditioning"], th = conditioning_labels(data["inverse_condition"], thresholds, percentiles)
            meta["thresholds"] = list(th)
        unr = np.empty((0, 7))
        if n_unr:
            f = None if partial is None else partial / "unreachable.npz"
            cached = _load_chunk(f, n_unr, None) if (f is not None and f.exists()) else None
            if cached is None:
                unr = unreachable_poses(chain, n_unr, data["pose"][:, :3], seed=seed)
                if f is not None:
                    _save_npz(f, {"pose": unr})
            else:
                unr = cached["pose"]
            bar.advance()
    metrics = {k: data[k] for k in storage.METRIC_COLUMNS}
    ds = Dataset(chain, data["q"], data["pose"], data["jacobian"], metrics, lab, unr, meta)
    if out is not None:
        ds.save(out)
        shutil.rmtree(partial, ignore_errors=True)
    return ds


def read_dataset(path: str | Path) -> Dataset:
    """Read a dataset file written by :func:`generate_dataset` / :meth:`Dataset.save`.

    Raises :class:`~iklearn.errors.DataFormatError` for a missing file, a non-Parquet file, a Parquet file
    from elsewhere or a newer format version.
    """
    cols, meta = storage.read_table(path)
    try:
        chain = Chain.from_dict(meta["robot"])
        dof = chain.dof
        reach = np.asarray(cols["reachable"], bool)
        q = np.column_stack([cols[c] for c in storage.q_columns(dof)])[reach]
        pose_all = np.column_stack([cols[c] for c in storage.POSE_COLUMNS])
        J = np.column_stack([cols[c] for c in storage.jacobian_columns(dof)])[reach].reshape(-1, 6, dof)
        metrics = {c: np.asarray(cols[c], float)[reach] for c in storage.METRIC_COLUMNS}
    except (KeyError, ValueError) as exc:
        raise DataFormatError(f"{path}: iklearn dataset with missing or malformed column/field: {exc}") from None
    lab = {k: np.asarray(cols[k], np.int8)[reach] for k in ("conditioning",) if k in cols}
    return Dataset(chain, np.ascontiguousarray(q), pose_all[reach], np.ascontiguousarray(J), metrics, lab,
                   pose_all[~reach], meta)


# ------------------------------------------------------------------------------------------- helpers
def _to_columns(ds: Dataset) -> dict[str, np.ndarray]:
    dof, n, m = ds.chain.dof, len(ds), len(ds.unreachable)

    def pad(a):  # reachable rows then NaN rows for the unreachable poses
        return np.concatenate([np.asarray(a, float), np.full((m,) + a.shape[1:], np.nan)]) if m else a

    cols: dict[str, np.ndarray] = {}
    Q = pad(ds.q)
    cols.update({c: Q[:, i] for i, c in enumerate(storage.q_columns(dof))})
    P = np.concatenate([ds.pose, ds.unreachable]) if m else ds.pose
    cols.update({c: P[:, i] for i, c in enumerate(storage.POSE_COLUMNS)})
    Jf = pad(ds.jacobian.reshape(n, 6 * dof))
    cols.update({c: Jf[:, i] for i, c in enumerate(storage.jacobian_columns(dof))})
    cols.update({c: pad(ds.metrics[c]) for c in storage.METRIC_COLUMNS})
    cols["reachable"] = np.concatenate([np.ones(n, bool), np.zeros(m, bool)])
    if "conditioning" in ds.labels:
        cols["conditioning"] = np.concatenate([ds.labels["conditioning"], np.full(m, UNREACHABLE, np.int8)])
    return cols


def _jsonable(meta: dict) -> dict:
    return json.loads(json.dumps(meta, default=lambda o: o.tolist() if hasattr(o, "tolist") else str(o)))


def _open_partial(partial: Path, meta: dict, resume: bool) -> Path:
    """Prepare ``<out>.partial/``: keep it when resuming the same request, else start it afresh."""
    key = {k: meta[k] for k in ("robot_fingerprint", "seed", "sampler", "n", "chunk_size", "n_unreachable")}
    manifest = partial / "manifest.json"
    if partial.exists():
        old = None
        if manifest.exists():
            try:
                old = json.loads(manifest.read_text())
            except ValueError:
                old = None
        if resume and old is not None and old != key:
            raise DataFormatError(
                f"{partial} holds a partial run of another request ({old}); delete it or run without resume"
            )
        if not resume or old is None:
            _clear_partial(partial)
    partial.mkdir(exist_ok=True)
    if not manifest.exists():
        from iklearn._io import write_text_atomic

        write_text_atomic(manifest, json.dumps(key, sort_keys=True))
    return partial


def _clear_partial(partial: Path) -> None:
    """Remove only the files this module writes there, then the directory if empty."""
    if not partial.is_dir():
        raise DataFormatError(f"{partial} exists and is not a directory")
    for f in list(partial.glob("chunk_*.npz")) + [partial / "unreachable.npz", partial / "manifest.json"]:
        f.unlink(missing_ok=True)
    try:
        partial.rmdir()
    except OSError:
        raise DataFormatError(f"{partial} holds files iklearn did not write; remove it yourself") from None


def _save_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    from iklearn._io import atomic_path

    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            np.savez(fh, **arrays)


def _load_chunk(path: Path | None, count: int, dof: int | None) -> dict[str, np.ndarray] | None:
    """A saved chunk, or None when unreadable or of the wrong size (it is then recomputed)."""
    try:
        with np.load(path, allow_pickle=False) as z:
            d = {k: z[k] for k in z.files}
    except (OSError, ValueError):
        return None
    first = d.get("q" if dof is not None else "pose")
    if first is None or first.shape[0] != count:
        return None
    return d


class _Progress:
    """Adapter: None/False -> silent; True -> own rich bar; a rich Progress -> a task on it."""

    def __init__(self, progress, total: int) -> None:
        self._own = progress is True
        self._p = None
        if progress is True:
            from rich.progress import Progress

            self._p = Progress(transient=True)
        elif progress not in (None, False):
            self._p = progress
        self._total = total

    def __enter__(self) -> "_Progress":
        if self._p is not None:
            if self._own:
                self._p.start()
            self._task = self._p.add_task("generating dataset", total=self._total)
        return self

    def advance(self) -> None:
        if self._p is not None:
            self._p.update(self._task, advance=1)

    def __exit__(self, *exc) -> None:
        if self._p is not None and self._own:
            self._p.stop()
