"""Small CSV readers and writers for poses, configurations and IK solutions (header row required).

Poses have the columns ``x,y,z,qx,qy,qz,qw`` (m, scalar-last quaternion); configurations ``q0..q{n-1}``
(rad / m). Extra columns are ignored; missing or repeated ones, non-numbers and NaN/inf raise
:class:`~iklearn.errors.DataFormatError`, naming the file line (1 = the header). A UTF-8 byte-order mark is
skipped. Writers are atomic (temp file + rename).
"""

from __future__ import annotations

import csv
import os
from pathlib import Path
from typing import Sequence

import numpy as np

from iklearn._io import atomic_path
from iklearn.errors import DataFormatError
from iklearn.kinematics.pose import POSE_COLUMNS


def csv_rows(p: Path, columns: Sequence[str]) -> list[tuple[int, list[str]]]:
    """The non-blank rows of CSV file ``p`` with their file line numbers, header first; an unreadable or
    empty file raises :class:`DataFormatError` naming the ``columns`` expected."""
    try:
        with open(p, newline="", encoding="utf-8-sig") as f:  # a byte-order mark (Excel) is not part of a name
            reader = csv.reader(f)
            rows = [(reader.line_num, r) for r in reader if any(c.strip() for c in r)]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise DataFormatError(f"cannot read CSV file {p}: {exc}") from None
    if not rows:
        raise DataFormatError(f"{p} is empty; expected a header row with columns {','.join(columns)}")
    return rows


def _read(path: str | os.PathLike, columns: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """``(data (N, len(columns)), file line of each row (N,))``; blank lines are skipped."""
    p = Path(path)
    if not p.is_file():
        raise DataFormatError(f"CSV file not found: {p}")
    rows = csv_rows(p, columns)
    idx = column_index(p, [h.strip() for h in rows[0][1]], columns)
    out = np.empty((len(rows) - 1, len(columns)))
    lines = np.array([ln for ln, _ in rows[1:]], dtype=np.int64)
    for r, (ln, row) in enumerate(rows[1:]):
        try:
            out[r] = [float(row[i]) for i in idx]
        except (ValueError, IndexError):
            raise DataFormatError(f"{p} line {ln}: expected numbers in columns {','.join(columns)}") from None
    if out.size and not np.isfinite(out).all():
        r = int(np.argwhere(~np.isfinite(out))[0, 0])
        raise DataFormatError(f"{p} line {lines[r]}: NaN or inf")
    return out, lines


def column_index(path: str | os.PathLike, header: Sequence[str], columns: Sequence[str],
                 expected: str = "expected") -> list[int]:
    """Where each of ``columns`` sits in ``header``; a missing or repeated column raises
    :class:`DataFormatError` (``expected`` begins the list of what the file needs)."""
    header = list(header)
    twice = sorted({c for c in columns if header.count(c) > 1})
    if twice:
        raise DataFormatError(f"{path}: column(s) {','.join(twice)} appear more than once in the header; "
                              "which one to read is ambiguous")
    missing = [c for c in columns if c not in header]
    if missing:
        raise DataFormatError(f"{path} lacks column(s) {','.join(missing)}; {expected} {','.join(columns)} "
                              f"(found {','.join(header) or 'none'})")
    return [header.index(c) for c in columns]


def read_poses_csv(path: str | os.PathLike) -> np.ndarray:
    """``(N, 7)`` poses ``[x, y, z, qx, qy, qz, qw]`` from a CSV with those column names.

    A quaternion whose norm is far from 1 is refused here, naming its file line (see
    :func:`iklearn.kinematics.pose.as_poses`)."""
    from iklearn._validate import QUATERNION_NORM, first_bad_quaternion

    P, lines = _read(path, POSE_COLUMNS)
    bad = first_bad_quaternion(P[:, 3:])
    if bad is not None:
        raise DataFormatError(f"{path} line {lines[bad[0]]}: {QUATERNION_NORM.format(norm=bad[1])}")
    return P


def read_configurations_csv(path: str | os.PathLike, dof: int) -> np.ndarray:
    """``(N, dof)`` configurations from a CSV with columns ``q0..q{dof-1}``."""
    return _read(path, [f"q{i}" for i in range(dof)])[0]


def write_csv(path: str | os.PathLike, columns: Sequence[str], data: np.ndarray, *, make_parents: bool = False) -> Path:
    """Write ``data`` ``(N, len(columns))`` under a header row, atomically; floats with 17 significant digits."""
    data = np.asarray(data)
    if data.ndim != 2 or data.shape[1] != len(columns):
        raise DataFormatError(f"expected {len(columns)} columns of data, got shape {data.shape}")
    with atomic_path(path, make_parents=make_parents) as tmp:
        with open(tmp, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(columns)
            for row in data:
                w.writerow([_fmt(v) for v in row])
    return Path(path)


def _fmt(v) -> str:
    if isinstance(v, str):
        return v
    if isinstance(v, (bool, np.bool_)):
        return "1" if v else "0"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    return repr(float(v))


def write_poses_csv(path: str | os.PathLike, poses: np.ndarray, **kw) -> Path:
    """Write ``(N, 7)`` poses with the columns ``x,y,z,qx,qy,qz,qw``."""
    return write_csv(path, POSE_COLUMNS, np.asarray(poses, float), **kw)


def write_solutions_csv(path: str | os.PathLike, result, **kw) -> Path:
    """Write an :class:`~iklearn.solvers.result.IKResult` as ``q0..q{n-1},success,position_error,rotation_error,iterations``."""
    q = np.asarray(result.q, float)
    cols = [f"q{i}" for i in range(q.shape[1])] + ["success", "position_error", "rotation_error", "iterations"]
    data = np.empty((q.shape[0], len(cols)), dtype=object)
    data[:, : q.shape[1]] = q
    data[:, -4] = np.asarray(result.success, bool)
    data[:, -3] = np.asarray(result.position_error, float)
    data[:, -2] = np.asarray(result.rotation_error, float)
    data[:, -1] = np.asarray(result.iterations, np.int64)
    return write_csv(path, cols, data, **kw)


def write_path_csv(path: str | os.PathLike, result, **kw) -> Path:
    """Write a :class:`~iklearn.solvers.path.PathResult`: the solution columns, then ``joint_step`` (rad / m),
    ``cartesian_step`` (m), ``discontinuity`` (0/1) and ``reason`` per row."""
    q = np.asarray(result.q, float)
    cols = [f"q{i}" for i in range(q.shape[1])] + ["success", "position_error", "rotation_error", "iterations",
                                                   "joint_step", "cartesian_step", "discontinuity", "reason"]
    data = np.empty((q.shape[0], len(cols)), dtype=object)
    data[:, : q.shape[1]] = q
    for j, (name, kind) in enumerate(zip(cols[q.shape[1]:], (bool, float, float, np.int64, float, float, bool, str))):
        data[:, q.shape[1] + j] = np.asarray(getattr(result, name)).astype(kind)
    return write_csv(path, cols, data, **kw)


def write_solution_set_csv(path: str | os.PathLike, sset, **kw) -> Path:
    """Write a :class:`~iklearn.solvers.sets.SolutionSet`, one row per solution found: ``target`` (row of the
    targets), ``solution`` (0 = best), ``q0..q{n-1}``, ``position_error``, ``rotation_error``, ``score``."""
    t, k = np.nonzero(np.asarray(sset.valid))
    q = np.asarray(sset.q, float)[t, k]
    cols = ["target", "solution"] + [f"q{i}" for i in range(q.shape[1])] + ["position_error", "rotation_error",
                                                                           "score"]
    data = np.empty((t.size, len(cols)), dtype=object)
    data[:, 0], data[:, 1] = t.astype(np.int64), k.astype(np.int64)
    data[:, 2: 2 + q.shape[1]] = q
    for j, name in enumerate(("position_error", "rotation_error", "score")):
        data[:, 2 + q.shape[1] + j] = np.asarray(getattr(sset, name), float)[t, k]
    return write_csv(path, cols, data, **kw)
