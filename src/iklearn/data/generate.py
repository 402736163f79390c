"""Datasets of any size, streamed to a directory of Parquet parts by this process or by a Ray cluster.

Memory stays bounded whatever ``n``: the local engine holds the chunk being computed and the one being
written (by a writer thread, so encoding and checksumming overlap the next chunk's computation); the Ray
engine runs each chunk as a task that returns its encoded part, and the driver writes parts as they arrive.
Conditioning labels need the inverse condition numbers of every sample (8 bytes each) and unreachable poses
their positions (24 bytes each, plus a KD-tree); both are read back from the finished parts.

Rows depend only on ``(robot, sampler, seed, chunk_size)``: the engine, the number of workers, a killed
task (Ray re-runs it) and an interruption followed by ``resume`` change nothing, and the parts are
byte-identical (for one pyarrow version).
"""

from __future__ import annotations

import warnings
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from iklearn._engine import check_engine, map_tasks
from iklearn.data import storage
from iklearn.data.dataset import Dataset, Progress, check_request, compute_chunk
from iklearn.data.labels import conditioning_labels, unreachable_poses
from iklearn.data.parts import LABELS, UNREACHABLE, DatasetWarning, Manifest, PartialRun, check_output, iter_parts
from iklearn.robot.chain import Chain

_REQUEST_KEYS = ("robot_fingerprint", "seed", "sampler", "n", "chunk_size", "labels", "n_unreachable",
                 "percentiles", "thresholds")


def part_bytes(args: tuple) -> bytes:
    """Encoded Parquet part of one chunk; ``args = (chain, sampler, seed, start, count)`` (a Ray task's body)."""
    chain, sampler, seed, start, count = args
    return storage.encode_table(_part_columns(compute_chunk(chain, sampler, seed, start, count)))


def _part_columns(s: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return storage.sample_columns(s["q"], s["pose"], s["jacobian"], s)


def write_dataset(
    chain: Chain | str,
    n: int,
    out: str | Path,
    *,
    sampler: str = "uniform",
    seed: int = 0,
    labels: Sequence[str] = (),
    chunk_size: int = 100_000,
    thresholds: tuple[float, float] | None = None,
    percentiles: tuple[float, float, float] = (20, 60, 20),
    n_unreachable: int | None = None,
    resume: bool = False,
    fresh: bool = False,
    engine: str = "local",
    address: str | None = None,
    progress=None,
    callback: Callable[[int, int], None] | None = None,
) -> Manifest:
    """Generate a dataset chunk by chunk and stream it to the directory ``out`` (see :mod:`iklearn.data.parts`).

    Parameters are those of :func:`iklearn.data.dataset.generate_dataset`, plus:

    out : dataset directory; its parent must exist. An iklearn dataset already there is replaced when the
        new one is complete; anything else there is refused.
    resume : continue the unfinished run in ``<out>.partial/`` (same request), keeping the parts that pass
        their checksum and recomputing, with a :class:`~iklearn.data.parts.DatasetWarning`, the others
    fresh : discard such an unfinished run (with a warning). With neither, an unfinished run that holds
        finished parts is refused rather than silently discarded.
    engine : ``'local'`` (this process) or ``'ray'`` (chunks as Ray tasks; needs ``iklearn[distributed]``)
    address : Ray cluster to join (``'auto'`` or ``HOST:PORT``); None starts a local Ray instance

    Returns
    -------
    Manifest of the finished dataset (metadata and every file's rows and checksum).
    """
    chain, meta = check_request(chain, n, sampler, seed, labels, chunk_size, thresholds, percentiles, n_unreachable)
    engine, address = check_engine(engine, address)
    out = check_output(out)
    run = PartialRun(out, meta, {k: meta[k] for k in _REQUEST_KEYS}, resume=resume, fresh=fresh)
    n, chunk_size, n_unr = meta["n"], meta["chunk_size"], meta["n_unreachable"]
    n_chunks = run.manifest.n_chunks
    todo = [(k, k * chunk_size, min(chunk_size, n - k * chunk_size)) for k in range(n_chunks)
            if k not in run.manifest.parts]
    extra = ("conditioning" in meta["labels"]) + (1 if n_unr else 0)
    with Progress(progress, n_chunks + extra) as bar:

        def done(k: int) -> None:
            bar.advance()
            if callback is not None:
                callback(k, n_chunks)

        for k in sorted(run.manifest.parts):
            done(k)
        try:
            if engine == "local":
                _run_local(run, chain, sampler, seed, todo, done)
            else:
                _run_ray(run, chain, sampler, seed, todo, done, address)
        except BaseException:
            if run.manifest.parts:
                warnings.warn(f"stopped with {len(run.manifest.parts)} of {n_chunks} parts finished in {run.dir}; "
                              "run the same command with --resume to continue", DatasetWarning, stacklevel=2)
            else:
                run.discard()
            raise
        _labels(run, chain, thresholds, percentiles, bar)
    return run.finish()


def _run_local(run: PartialRun, chain, sampler, seed, todo, done) -> None:
    pending: Future | None = None
    with ThreadPoolExecutor(1, thread_name_prefix="iklearn-writer") as writer:
        for k, start, count in todo:
            cols = _part_columns(compute_chunk(chain, sampler, seed, start, count))
            if pending is not None:
                done(pending.result())
            pending = writer.submit(_write_part, run, k, cols, count)
        if pending is not None:
            done(pending.result())


def _write_part(run: PartialRun, k: int, cols: dict, count: int) -> int:
    run.add_part(k, storage.encode_table(cols), count)
    return k


def _run_ray(run: PartialRun, chain, sampler, seed, todo, done, address) -> None:
    items = [(chain, sampler, seed, start, count) for _, start, count in todo]
    for i, data in map_tasks(part_bytes, items, engine="ray", address=address):
        k, _, count = todo[i]
        run.add_part(k, data, count)
        done(k)


def _labels(run: PartialRun, chain: Chain, thresholds, percentiles, bar: Progress) -> None:
    """Conditioning labels (always recomputed: cheap) and unreachable poses (kept when resumed)."""
    m = run.manifest
    m.labels = None
    if "conditioning" in m.meta["labels"]:
        ic = np.concatenate([c["inverse_condition"] for c in iter_parts(run.dir, m, ["inverse_condition"])])
        lab, th = conditioning_labels(ic, thresholds, percentiles)
        m.meta["thresholds"] = list(th)
        m.labels = run.write(LABELS, storage.encode_table({"conditioning": lab}), len(lab))
        bar.advance()
    if m.meta["n_unreachable"]:
        if m.unreachable is None:
            cols = ["x", "y", "z"]
            pos = np.concatenate([np.column_stack([c[k] for k in cols]) for c in iter_parts(run.dir, m, cols)])
            unr = unreachable_poses(chain, m.meta["n_unreachable"], pos, seed=m.meta["seed"])
            del pos
            m.unreachable = run.write(UNREACHABLE, storage.encode_table(_pose_columns(unr)), len(unr))
        bar.advance()


def _pose_columns(P: np.ndarray) -> dict[str, np.ndarray]:
    return {c: P[:, i] for i, c in enumerate(storage.POSE_COLUMNS)}


def save_dataset(ds: Dataset, out: str | Path) -> Manifest:
    """Write an in-memory dataset as a dataset directory (parts of ``meta['chunk_size']`` rows)."""
    meta = {**ds.meta, "n": len(ds), "chunk_size": int(ds.meta.get("chunk_size") or 100_000)}
    meta = _jsonable(meta)
    meta.setdefault("labels", sorted(ds.labels))
    meta.setdefault("n_unreachable", len(ds.unreachable))
    out = check_output(out)
    request = {k: meta.get(k) for k in _REQUEST_KEYS}
    if meta.get("percentiles") is not None:  # thresholds computed from the data, as write_dataset records them
        request["thresholds"] = None
    run = PartialRun(out, meta, request)
    c = meta["chunk_size"]
    for k in range(run.manifest.n_chunks):
        r = slice(k * c, min((k + 1) * c, len(ds)))
        cols = storage.sample_columns(ds.q[r], ds.pose[r], ds.jacobian[r], {m: v[r] for m, v in ds.metrics.items()})
        run.add_part(k, storage.encode_table(cols), r.stop - r.start)
    if "conditioning" in ds.labels:
        run.manifest.labels = run.write(LABELS, storage.encode_table({"conditioning": ds.labels["conditioning"]}),
                                        len(ds))
    if len(ds.unreachable):
        run.manifest.unreachable = run.write(UNREACHABLE, storage.encode_table(_pose_columns(ds.unreachable)),
                                             len(ds.unreachable))
    return run.finish()


def _jsonable(meta: dict) -> dict:
    import json

    return json.loads(json.dumps(meta, default=lambda o: o.tolist() if hasattr(o, "tolist") else str(o)))
