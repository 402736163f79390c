"""Files a calibration leaves: the calibrated URDF and the residuals per measurement."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from iklearn.calibration.fit import CalibrationResult


def calibrated_urdf(result: CalibrationResult, source: str | os.PathLike | None = None) -> tuple[str, str]:
    """``(urdf_text, tip_link)`` of the calibrated chain.

    With ``source`` (the nominal URDF, a path or its text) the corrections are written into that file and
    everything else in it is kept (:func:`iklearn.robot.urdf_update.update_urdf`); without it (a built-in
    robot) a URDF of the chain alone is written (:func:`iklearn.robot.urdf_export.to_urdf`).
    """
    if source is not None:
        from iklearn.robot.urdf_update import update_urdf

        return update_urdf(source, result.chain)
    from iklearn.robot.urdf_export import to_urdf

    return to_urdf(result.chain), result.chain.tip_link


def write_calibrated_urdf(result: CalibrationResult, path: str | os.PathLike,
                          source: str | os.PathLike | None = None) -> str:
    """Write :func:`calibrated_urdf` to ``path`` atomically; returns the tip link to load it with."""
    from iklearn._io import write_text_atomic

    text, tip = calibrated_urdf(result, source)
    write_text_atomic(path, text)
    return tip


RESIDUAL_COLUMNS = ("row", "holdout", "position_before", "rotation_before", "position_after", "rotation_after")


def write_residuals_csv(result: CalibrationResult, path: str | os.PathLike, rows: np.ndarray | None = None) -> Path:
    """One line per measurement: its data-row index in the measured file (``rows``, default 0..N-1), whether it
    was held out, and its position (m) / rotation (rad) residual before and after calibration."""
    from iklearn.data.csvio import write_csv

    n = len(result.holdout)
    r = np.arange(n) if rows is None else np.asarray(rows)
    data = np.empty((n, len(RESIDUAL_COLUMNS)), dtype=object)
    data[:, 0] = r.astype(np.int64)
    data[:, 1] = result.holdout
    data[:, 2:4] = result.residual_before
    data[:, 4:6] = result.residual_after
    return write_csv(path, RESIDUAL_COLUMNS, data)
