"""Parquet storage of datasets: flat float64 columns plus one JSON metadata entry.

Columns: ``q0..q{d-1}`` joints; ``x,y,z,qx,qy,qz,qw`` pose; ``J{r}_{c}`` Jacobian (world frame, linear rows
first); ``yoshikawa, condition, inverse_condition, isotropy`` metrics; ``reachable`` (bool); ``conditioning``
(int8, classes of :mod:`iklearn.data.labels`) when labelled. Unreachable rows carry NaN joints/Jacobian/metrics.
The schema metadata key ``iklearn`` holds JSON: format name and version, iklearn version, robot definition
(``Chain.to_dict``) and fingerprint, seed, sampler, sizes, label kinds and thresholds.

Files are written atomically (temp file + rename): a reader never sees a truncated file.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from iklearn._io import write_bytes_atomic
from iklearn.errors import DataFormatError
from iklearn.kinematics.pose import POSE_COLUMNS

FORMAT = "iklearn-dataset"
FORMAT_VERSION = 1
META_KEY = b"iklearn"
METRIC_COLUMNS = ("yoshikawa", "condition", "inverse_condition", "isotropy")


def q_columns(dof: int) -> list[str]:
    return [f"q{i}" for i in range(dof)]


def jacobian_columns(dof: int) -> list[str]:
    return [f"J{r}_{c}" for r in range(6) for c in range(dof)]


def encode_table(columns: dict[str, np.ndarray], meta: dict | None = None) -> bytes:
    """Parquet bytes of ``columns`` (name -> (N,) array), with ``meta`` (JSON-able) under the ``iklearn`` key.

    Floating-point columns are written without dictionary encoding and with byte-stream-split + zstd: on
    random float64 samples a dictionary never pays (it made files 4 % larger than raw), and this encoding
    writes a 100,000-sample Panda chunk about 5x faster than pyarrow's defaults, 22 % smaller than raw.
    The same columns always give the same bytes (for one pyarrow version).
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({k: pa.array(np.ascontiguousarray(v)) for k, v in columns.items()})
    if meta is not None:
        table = table.replace_schema_metadata({META_KEY: json.dumps(meta, sort_keys=True).encode()})
    split = {k: "BYTE_STREAM_SPLIT" for k, v in columns.items() if np.asarray(v).dtype.kind == "f"}
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd", row_group_size=256 * 1024, use_dictionary=False,
                   column_encoding=split)
    return sink.getvalue().to_pybytes()


def decode_table(data: bytes, columns: list[str] | None = None) -> dict[str, np.ndarray]:
    """Columns (name -> (N,) array) of Parquet ``data``, all or the ``columns`` named."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pq.read_table(pa.BufferReader(data), columns=columns)
    return {name: table.column(name).to_numpy() for name in table.column_names}


def sample_columns(q: np.ndarray, pose: np.ndarray, jacobian: np.ndarray, metrics: dict) -> dict[str, np.ndarray]:
    """Flat columns of samples: ``q`` (N, dof), ``pose`` (N, 7), ``jacobian`` (N, 6, dof), ``metrics`` name -> (N,)."""
    n, dof = q.shape
    cols = {c: q[:, i] for i, c in enumerate(q_columns(dof))}
    cols.update({c: pose[:, i] for i, c in enumerate(POSE_COLUMNS)})
    Jf = jacobian.reshape(n, 6 * dof)
    cols.update({c: Jf[:, i] for i, c in enumerate(jacobian_columns(dof))})
    cols.update({c: metrics[c] for c in METRIC_COLUMNS})
    return cols


def write_table(path: str | Path, columns: dict[str, np.ndarray], meta: dict) -> Path:
    """Write ``columns`` (name -> (N,) array) and ``meta`` (JSON-able) to one Parquet file atomically."""
    return write_bytes_atomic(path, encode_table(columns, {"format": FORMAT, "format_version": FORMAT_VERSION, **meta}))


def read_meta(path: str | Path) -> dict:
    """The ``iklearn`` metadata of a dataset file, checked for format and version (no data read)."""
    import pyarrow.parquet as pq

    p = Path(path)
    if not p.is_file():
        raise DataFormatError(f"dataset file {p} does not exist")
    try:
        schema = pq.read_schema(p)
    except Exception as exc:  # pyarrow raises ArrowInvalid / OSError variants for non-Parquet input
        raise DataFormatError(f"{p} is not a Parquet file ({exc.__class__.__name__})") from None
    raw = (schema.metadata or {}).get(META_KEY)
    if raw is None:
        raise DataFormatError(f"{p} is a Parquet file but not an iklearn dataset (no '{META_KEY.decode()}' metadata)")
    try:
        meta = json.loads(raw)
    except ValueError:
        raise DataFormatError(f"{p}: corrupt iklearn metadata") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise DataFormatError(f"{p} is not an iklearn dataset (format {meta.get('format') if isinstance(meta, dict) else '?'})")
    version = meta.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise DataFormatError(
            f"{p} has dataset format version {version}, newer than this iklearn reads ({FORMAT_VERSION}); "
            "upgrade iklearn"
        )
    return meta


def read_table(path: str | Path) -> tuple[dict[str, np.ndarray], dict]:
    """Read a file written by :func:`write_table`: (name -> (N,) array, metadata)."""
    import pyarrow.parquet as pq

    meta = read_meta(path)
    try:
        table = pq.read_table(path)
    except Exception as exc:
        raise DataFormatError(f"{path}: cannot read Parquet data ({exc})") from None
    cols = {name: table.column(name).to_numpy() for name in table.column_names}
    return cols, meta
