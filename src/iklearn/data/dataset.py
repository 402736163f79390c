"""Datasets of (q, pose, Jacobian, manipulability metrics, labels) for any robot, generated in chunks.

Chunk ``k`` covers samples ``[k * chunk_size, (k + 1) * chunk_size)`` and its random numbers depend only on
``(seed, sampler, k * chunk_size)`` (see :func:`iklearn.data.sampling.unit_samples`), so chunks are
independent: the rows are the same whichever process or cluster node computes a chunk, and whether a run
was interrupted and resumed. :func:`generate_dataset` returns the dataset in memory; datasets of any size
are streamed to disk by :func:`iklearn.data.generate.write_dataset` (a directory of Parquet parts, see
:mod:`iklearn.data.parts`), which ``generate_dataset(..., out=...)`` uses too. :func:`load_dataset` reads
such a directory, checking every file's checksum, or a single-file dataset of format 1.

About 350 lines on purpose: the Dataset record, the per-chunk computation and the in-memory generator share
one column layout (the reader and writer of parts live in parts.py / generate.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from iklearn import __version__
from iklearn.data import parts as P, storage
from iklearn.data.labels import UNREACHABLE, conditioning_labels, unreachable_poses
from iklearn.data.sampling import DataArgumentError, check_method, check_size, scale_to_limits, unit_samples
from iklearn.errors import DataFormatError
from iklearn.kinematics import _kernels as K
from iklearn.kinematics.metrics import manipulability
from iklearn.kinematics.pose import matrix_to_pose7, pose7_to_matrix
from iklearn.robot import load_robot
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
        return pose7_to_matrix(self.pose)

    def classification_data(self) -> tuple[np.ndarray, np.ndarray]:
        """Poses ``(N + M, 7)`` and 4-class labels ``(N + M,)`` (0 unreachable, 1-3 conditioning) of 001."""
        if "conditioning" not in self.labels:
            raise DataArgumentError("dataset has no 'conditioning' labels; generate it with labels=('conditioning', ...)")
        y = np.concatenate([self.labels["conditioning"], np.full(len(self.unreachable), UNREACHABLE, np.int8)])
        return np.concatenate([self.pose, self.unreachable]), y

    def save(self, path: str | Path) -> Path:
        """Write the dataset as a directory of Parquet parts with checksums (see :mod:`iklearn.data.parts`).

        An iklearn dataset already at ``path`` is replaced once the new one is complete.
        """
        from iklearn.data.generate import save_dataset

        save_dataset(self, path)
        return Path(path)


# ------------------------------------------------------------------------------------------- computing
def compute_samples(chain: Chain, q: np.ndarray) -> dict[str, np.ndarray]:
    """Poses, Jacobians and metrics of configurations ``q`` ``(N, dof)`` (numba FK+Jacobian, batched SVD)."""
    q = np.ascontiguousarray(q, dtype=np.float64)
    T = np.empty((q.shape[0], 4, 4))
    J = np.empty((q.shape[0], 6, chain.dof))
    K.fk_jac_batch(q, chain.joint_types, chain.fixed, chain.axes, chain.tip, T, J, False)
    m = manipulability(J)
    return {"q": q, "pose": matrix_to_pose7(T), "jacobian": J, **m._asdict()}


def compute_chunk(chain: Chain, sampler: str, seed: int, start: int, count: int) -> dict[str, np.ndarray]:
    """Samples ``[start, start + count)`` of the stream ``(sampler, seed)``: see :func:`compute_samples`."""
    return compute_samples(chain, scale_to_limits(chain, unit_samples(chain.dof, count, sampler, seed, start)))


# ------------------------------------------------------------------------------------------- generation
def check_request(
    chain: Chain | str,
    n: int,
    sampler: str,
    seed: int,
    labels: Sequence[str],
    chunk_size: int,
    thresholds: tuple[float, float] | None,
    percentiles: tuple[float, float, float],
    n_unreachable: int | None,
) -> tuple[Chain, dict]:
    """Validate a dataset request; return the chain and the dataset's metadata (provenance and sizes)."""
    if isinstance(chain, str):
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

    meta = {
        "iklearn_version": __version__, "robot": chain.to_dict(), "robot_fingerprint": chain.fingerprint(),
        "seed": int(seed), "sampler": sampler, "n": n, "chunk_size": chunk_size, "labels": list(labels),
        "n_unreachable": n_unr, "percentiles": [float(p) for p in percentiles] if thresholds is None else None,
        "thresholds": None if thresholds is None else [float(t) for t in thresholds], "jacobian_frame": "world",
    }
    return chain, meta


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
    fresh: bool = False,
    thresholds: tuple[float, float] | None = None,
    percentiles: tuple[float, float, float] = (20, 60, 20),
    n_unreachable: int | None = None,
    callback: Callable[[int, int], None] | None = None,
) -> Dataset:
    """Sample ``n`` configurations and compute poses, Jacobians, metrics and labels, chunk by chunk, in memory.

    Parameters
    ----------
    chain : Chain or robot name
    n : int, > 0
    sampler : {'uniform', 'lhs', 'sobol'}
    seed : int; same seed, same data (and byte-identical files)
    labels : kinds among ``'conditioning'`` (classes 1-3 on the inverse condition number) and
        ``'unreachable'`` (``n_unreachable`` poses of class 0, default ``n // 4``)
    chunk_size : samples per chunk (memory per chunk ~ (13 + 7 dof) * 8 bytes * chunk_size)
    out : dataset directory, optional: the run is streamed there by
        :func:`~iklearn.data.generate.write_dataset` (with ``resume`` / ``fresh``) and read back. For datasets
        larger than memory call ``write_dataset`` itself.
    progress : None/False (silent), True (a rich progress bar) or a ``rich.progress.Progress``
    resume, fresh : what to do with an earlier unfinished run of ``out`` (see ``write_dataset``)
    thresholds, percentiles : see :func:`iklearn.data.labels.conditioning_labels`
    callback : called as ``callback(chunk_index, n_chunks)`` after each chunk is done (and saved)

    Returns
    -------
    Dataset
    """
    if out is not None:
        from iklearn.data.generate import write_dataset

        write_dataset(chain, n, out, sampler=sampler, seed=seed, labels=labels, chunk_size=chunk_size,
                      progress=progress, resume=resume, fresh=fresh, thresholds=thresholds,
                      percentiles=percentiles, n_unreachable=n_unreachable, callback=callback)
        return load_dataset(out)
    chain, meta = check_request(chain, n, sampler, seed, labels, chunk_size, thresholds, percentiles, n_unreachable)
    n, chunk_size, n_unr = meta["n"], meta["chunk_size"], meta["n_unreachable"]
    n_chunks = -(-n // chunk_size)
    parts: list[dict[str, np.ndarray]] = []
    with Progress(progress, n_chunks + (1 if n_unr else 0)) as bar:
        for k in range(n_chunks):
            start = k * chunk_size
            parts.append(compute_chunk(chain, sampler, seed, start, min(chunk_size, n - start)))
            bar.advance()
            if callback is not None:
                callback(k, n_chunks)
        data = {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}
        del parts
        lab: dict[str, np.ndarray] = {}
        if "conditioning" in meta["labels"]:
            lab["conditioning"], th = conditioning_labels(data["inverse_condition"], thresholds, percentiles)
            meta["thresholds"] = list(th)
        unr = np.empty((0, 7))
        if n_unr:
            unr = unreachable_poses(chain, n_unr, data["pose"][:, :3], seed=seed)
            bar.advance()
    metrics = {k: data[k] for k in storage.METRIC_COLUMNS}
    return Dataset(chain, data["q"], data["pose"], data["jacobian"], metrics, lab, unr, meta)


# ------------------------------------------------------------------------------------------- reading
def load_dataset(path: str | Path) -> Dataset:
    """Read a dataset: a directory written by :func:`~iklearn.data.generate.write_dataset` /
    :meth:`Dataset.save` (every file checked against the manifest's SHA-256 first), or a single Parquet file
    of format 1 (iklearn <= 0.1's ``Dataset.save``).

    Raises :class:`~iklearn.errors.DataFormatError` for a missing path, a damaged or foreign file (naming it),
    an unfinished run or a newer format version. Memory: the whole dataset (about (13 + 7 dof) * 8 bytes per
    sample); :func:`iklearn.data.parts.iter_parts` reads a directory part by part.
    """
    p = Path(path)
    if not p.is_dir():
        return _load_file(p)
    m = P.read_manifest(p)
    chain = _chain(m.meta, p)
    dof, n = chain.dof, sum(r.rows for r in m.parts.values())
    q, pose, J = np.empty((n, dof)), np.empty((n, 7)), np.empty((n, 6, dof))
    metrics = {c: np.empty(n) for c in storage.METRIC_COLUMNS}
    i = 0
    for k in sorted(m.parts):
        cols = P.read_columns(p, m.parts[k])
        try:
            rows = _columns_to_samples(cols, dof)
        except (KeyError, ValueError) as exc:
            raise DataFormatError(f"{p / m.parts[k].file}: missing or malformed column: {exc}") from None
        j = i + m.parts[k].rows
        q[i:j], pose[i:j], J[i:j] = rows[0], rows[1], rows[2]
        for c in metrics:
            metrics[c][i:j] = rows[3][c]
        i = j
    lab = {}
    if m.labels is not None:
        lab["conditioning"] = np.asarray(P.read_columns(p, m.labels, ["conditioning"])["conditioning"], np.int8)
    unr = np.empty((0, 7))
    if m.unreachable is not None:
        cols = P.read_columns(p, m.unreachable, list(storage.POSE_COLUMNS))
        unr = np.column_stack([cols[c] for c in storage.POSE_COLUMNS])
    return Dataset(chain, q, pose, J, metrics, lab, unr, m.meta)


def describe_dataset(path: str | Path) -> dict:
    """What ``iklearn data info`` prints: ``meta``, ``n``, ``n_unreachable``, ``metrics`` (name -> (min, median,
    max) over finite values), ``classes`` (counts of classes 0-3, or None).

    A directory is read part by part, metric columns only (every file checked): 32 bytes per sample.
    """
    p = Path(path)
    if not p.is_dir():
        ds = _load_file(p)
        meta, n, n_unr, metrics, lab = ds.meta, len(ds), len(ds.unreachable), ds.metrics, ds.labels.get("conditioning")
    else:
        m = P.read_manifest(p)
        meta, n = m.meta, sum(r.rows for r in m.parts.values())
        n_unr = 0
        if m.unreachable is not None:
            P.read_file(p, m.unreachable)  # checked, though only its size is shown
            n_unr = m.unreachable.rows
        cols = list(storage.METRIC_COLUMNS)
        chunks = list(P.iter_parts(p, m, cols))
        metrics = {c: np.concatenate([ch[c] for ch in chunks]) for c in cols}
        del chunks
        lab = None if m.labels is None else P.read_columns(p, m.labels, ["conditioning"])["conditioning"]
    ranges = {}
    for k, v in metrics.items():
        fin = v[np.isfinite(v)]
        if fin.size:
            ranges[k] = (float(fin.min()), float(np.median(fin)), float(fin.max()))
    classes = None
    if lab is not None:
        classes = np.bincount(np.asarray(lab, np.int64), minlength=4)
        classes[0] = n_unr
        classes = [int(c) for c in classes]
    return {"meta": meta, "n": n, "n_unreachable": n_unr, "metrics": ranges, "classes": classes}


def read_dataset(path: str | Path) -> Dataset:
    """Alias of :func:`load_dataset`."""
    return load_dataset(path)


def _chain(meta: dict, where: Path) -> Chain:
    try:
        return Chain.from_dict(meta["robot"])
    except (KeyError, ValueError, TypeError) as exc:
        raise DataFormatError(f"{where}: iklearn dataset with a missing or malformed robot: {exc}") from None


def _columns_to_samples(cols: dict, dof: int, rows=slice(None)):
    q = np.column_stack([cols[c] for c in storage.q_columns(dof)])[rows]
    pose = np.column_stack([cols[c] for c in storage.POSE_COLUMNS])[rows]
    J = np.column_stack([cols[c] for c in storage.jacobian_columns(dof)])[rows].reshape(-1, 6, dof)
    metrics = {c: np.asarray(cols[c], float)[rows] for c in storage.METRIC_COLUMNS}
    return np.ascontiguousarray(q), pose, np.ascontiguousarray(J), metrics


def _load_file(path: Path) -> Dataset:
    """A single-file dataset (format 1): reachable rows then unreachable ones, told apart by ``reachable``."""
    cols, meta = storage.read_table(path)
    chain = _chain(meta, path)
    try:
        reach = np.asarray(cols["reachable"], bool)
        q, pose, J, metrics = _columns_to_samples(cols, chain.dof, reach)
        unr = np.column_stack([cols[c] for c in storage.POSE_COLUMNS])[~reach]
    except (KeyError, ValueError) as exc:
        raise DataFormatError(f"{path}: iklearn dataset with missing or malformed column/field: {exc}") from None
    lab = {k: np.asarray(cols[k], np.int8)[reach] for k in ("conditioning",) if k in cols}
    return Dataset(chain, q, pose, J, metrics, lab, unr, meta)


# ------------------------------------------------------------------------------------------- helpers
class Progress:
    """Adapter: None/False -> silent; True -> own rich bar; a rich Progress -> a task on it."""

    def __init__(self, progress, total: int, description: str = "generating dataset") -> None:
        self._own = progress is True
        self._p = None
        if progress is True:
            from rich.progress import Progress as RichProgress

            self._p = RichProgress(transient=True)
        elif progress not in (None, False):
            self._p = progress
        self._total = total
        self._description = description

    def __enter__(self) -> "Progress":
        if self._p is not None:
            if self._own:
                self._p.start()
            self._task = self._p.add_task(self._description, total=self._total)
        return self

    def advance(self, steps: int = 1) -> None:
        if self._p is not None:
            self._p.update(self._task, advance=steps)

    def __exit__(self, *exc) -> None:
        if self._p is not None and self._own:
            self._p.stop()
