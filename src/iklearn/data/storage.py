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

from iklearn.errors import DataFormatError

FORMAT = "iklearn-dataset"
FORMAT_VERSION = 1
META_KEY = b"iklearn"
POSE_COLUMNS = ("x", "y", "z", "qx", "qy", "qz", "qw")
METRIC_COLUMNS = ("yoshikawa", "condition", "inverse_condition", "isotropy")


def q_columns(dof: int) -> list[str]:
    return [f"q{i}" for i in range(dof)]


def jacobian_columns(dof: int) -> list[str]:
    return [f"J{r}_{c}" for r in range(6) for c in range(dof)]


def write_table(path: str | Path, columns: dict[str, np.ndarray], meta: dict) -> Path:
    """Write ``columns`` (name -> (N,) array) and ``meta`` (JSON-able) to ``path`` atomically."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from iklearn._io import atomic_path

    meta = {"format": FORMAT, "format_version": FORMAT_VERSION, **meta}
    table = pa.table({k: pa.array(np.ascontiguousarray(v)) for k, v in columns.items()})
    table = table.replace_schema_metadata({META_KEY: json.dumps(meta, sort_keys=True).encode()})
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp, compression="zstd", row_group_size=256 * 1024)
    return Path(path)


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
