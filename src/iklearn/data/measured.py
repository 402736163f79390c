"""Measured ``(q, pose)`` data from a real robot: joint readings and the tool pose a tracker measured.

Files: CSV (header row) or Parquet with the columns ``q0..q{n-1}, x, y, z, qx, qy, qz, qw`` (rad / m, m,
scalar-last quaternion), in any order, an optional ``t`` (s, a recorded motion's time stamps), extra columns
ignored; or a dataset directory written by
``iklearn data generate`` (its reachable rows). Rows with an empty, NaN or inf cell are **skipped and counted**
(a tracker that lost the marker leaves such rows); a file with no usable row, a missing column, a cell that is
not a number, a repeated column, or a quaternion whose norm is far from 1 (a column mix-up) is refused with
:class:`~iklearn.errors.DataFormatError` naming the file and line (1 = the header). A byte-order mark is skipped.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from iklearn.errors import DataFormatError

POSE_COLUMNS = ("x", "y", "z", "qx", "qy", "qz", "qw")


@dataclass(frozen=True, eq=False)
class Measurements:
    """Usable rows of a measured file.

    Attributes
    ----------
    q : (N, dof) joint readings (rad / m)
    poses : (N, 4, 4) measured tool poses in the measurement frame (m)
    rows : (N,) int, the file's data-row index (0 = first row after the header) of each usable row
    skipped : (K,) int, data-row indices skipped for an empty / NaN / inf cell
    source : the file read
    times : (N,) s, the optional ``t`` column (a recorded motion), else None
    """

    q: np.ndarray
    poses: np.ndarray
    rows: np.ndarray
    skipped: np.ndarray
    source: str
    times: np.ndarray | None = None

    def __len__(self) -> int:
        return int(self.q.shape[0])

    def subset(self, index) -> "Measurements":
        """The rows ``index`` (an index array or a boolean mask over the usable rows)."""
        return Measurements(self.q[index], self.poses[index], self.rows[index], self.skipped, self.source,
                            None if self.times is None else self.times[index])


def measured_columns(dof: int) -> list[str]:
    """``['q0', ..., 'q{dof-1}', 'x', 'y', 'z', 'qx', 'qy', 'qz', 'qw']``."""
    return [f"q{i}" for i in range(dof)] + list(POSE_COLUMNS)


def _read_csv(p: Path, columns: list[str], optional=("t",)) -> tuple[np.ndarray, np.ndarray]:
    """``(data (N, len(columns)), file line of each row (N,))``; empty cells read as NaN."""
    from iklearn.data.csvio import column_index, csv_rows

    rows = csv_rows(p, columns)
    header = [h.strip() for h in rows[0][1]]
    idx = column_index(p, header, columns, "measured data needs")
    columns = columns + [c for c in optional if c in header]
    idx += [header.index(c) for c in optional if c in header]
    out = np.empty((len(rows) - 1, len(columns)))
    for r, (ln, row) in enumerate(rows[1:]):
        for j, i in enumerate(idx):
            cell = row[i].strip() if i < len(row) else ""
            try:
                out[r, j] = float(cell) if cell else np.nan
            except ValueError:
                raise DataFormatError(f"{p} line {ln}, column {columns[j]}: {cell!r} is not a number") from None
    return out, np.array([ln for ln, _ in rows[1:]], dtype=np.int64)


def _read_parquet(p: Path, columns: list[str], optional=("t",)) -> np.ndarray:
    import pyarrow.parquet as pq

    from iklearn.data.csvio import column_index

    try:
        names = pq.read_schema(p).names
    except Exception as exc:  # pyarrow raises ArrowInvalid / OSError variants for non-Parquet input
        raise DataFormatError(f"{p} is not a Parquet file ({exc.__class__.__name__})") from None
    column_index(p, names, columns, "measured data needs")
    columns = columns + [c for c in optional if c in names]
    try:
        table = pq.read_table(p, columns=columns)
        return np.column_stack([np.asarray(table.column(c).to_numpy(zero_copy_only=False), float)
                                for c in columns]) if table.num_rows else np.empty((0, len(columns)))
    except (ValueError, TypeError) as exc:
        raise DataFormatError(f"{p}: columns {','.join(columns)} must be numbers ({exc})") from None
    except Exception as exc:
        raise DataFormatError(f"{p}: cannot read Parquet data ({exc.__class__.__name__})") from None


def read_measurements(path: str | os.PathLike, dof: int) -> Measurements:
    """Read measured ``(q, pose)`` rows of a ``dof``-joint robot from CSV, Parquet or a dataset directory.

    Returns
    -------
    Measurements
        The usable rows; ``skipped`` lists the rows dropped for a missing / NaN / inf cell.
    """
    from iklearn.kinematics.pose import pose7_to_matrix

    p = Path(path)
    columns = measured_columns(dof)
    lines = None  # file line of each data row (CSV only)
    if p.is_dir():
        from iklearn.data.dataset import load_dataset

        ds = load_dataset(p)
        if ds.chain.dof != dof:
            raise DataFormatError(f"{p} holds data of a {ds.chain.dof}-joint robot; this robot has {dof} joints")
        data = np.concatenate([ds.q, ds.pose], axis=1)
    elif not p.is_file():
        raise DataFormatError(f"measured data file not found: {p}")
    elif p.suffix.lower() in (".parquet", ".pq"):
        data = _read_parquet(p, columns)
    else:
        data, lines = _read_csv(p, columns)
    ok = np.isfinite(data).all(axis=1)
    skipped = np.flatnonzero(~ok)
    rows = np.flatnonzero(ok)
    if rows.size == 0:
        raise DataFormatError(f"{p} has no usable row ({len(data)} data rows, {skipped.size} with empty/NaN/inf "
                              "cells); measured data needs " + ",".join(columns))
    good = data[rows]
    norm = np.linalg.norm(good[:, dof + 3: dof + 7], axis=1)
    bad = np.flatnonzero((norm < 0.9) | (norm > 1.1))
    if bad.size:
        from iklearn._validate import QUATERNION_NORM

        r = int(rows[bad[0]])
        where = f"line {lines[r]}" if lines is not None else f"row {r} (0 = the first data row)"
        raise DataFormatError(f"{p} {where}: {QUATERNION_NORM.format(norm=norm[bad[0]])}")
    times = good[:, dof + 7] if good.shape[1] > dof + 7 else None
    return Measurements(np.ascontiguousarray(good[:, :dof]), pose7_to_matrix(good[:, dof: dof + 7]), rows, skipped,
                        str(p), times)


def write_measurements(path: str | os.PathLike, q: np.ndarray, poses: np.ndarray) -> Path:
    """Write ``q`` (N, dof) and ``poses`` ((N, 7) or (N, 4, 4)) as a measured-data CSV (atomic)."""
    from iklearn.data.csvio import write_csv
    from iklearn.kinematics.pose import matrix_to_pose7

    P = np.asarray(poses, float)
    if P.ndim == 3:
        P = matrix_to_pose7(P)
    q = np.asarray(q, float)
    return write_csv(path, measured_columns(q.shape[1]), np.concatenate([q, P], axis=1))
