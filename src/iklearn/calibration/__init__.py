"""Kinematic calibration: a corrected robot model from measured tool poses.

Layer: ``calibration`` sits between ``data`` and ``estimators`` (base < robot < kinematics < solvers < data <
calibration < estimators < evaluation < viewer < experiments < cli). It fits a robot model to measured data,
using the robot (chains, URDF writing), kinematics (FK) and data (measured-file readers) layers below it,
and SciPy's least squares; it needs no solver and no learned model, and nothing below it imports it.
Estimators, experiments and the CLI may use it (e.g. CRiSP with a calibrated model).

:func:`calibrate` -> :class:`CalibrationResult` (the calibrated :class:`~iklearn.robot.Chain`, the identified
parameters and the ones merged away, residuals per measurement before and after);
:func:`write_calibrated_urdf` writes the result into the user's URDF (or a fresh one).
"""

from iklearn.calibration.fit import CalibrationDataError, CalibrationResult, calibrate, minimum_measurements
from iklearn.calibration.output import write_calibrated_urdf, write_residuals_csv
from iklearn.calibration.parameters import ErrorParameter, apply_parameters, candidate_parameters

__all__ = ["calibrate", "CalibrationResult", "CalibrationDataError", "minimum_measurements",
           "write_calibrated_urdf", "write_residuals_csv", "ErrorParameter", "apply_parameters",
           "candidate_parameters"]
