"""Manipulability metrics of Jacobians ``(N, 6, dof)`` (or any ``(N, m, dof)``).

All are computed from the singular values, so they are zero-safe at exact singularities:
the inverse condition number and isotropy go to 0 and the condition number to ``inf``, never NaN.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from iklearn._validate import check_finite
from iklearn.errors import ShapeError


class Manipulability(NamedTuple):
    """Batched metrics, each ``(N,)``.

    yoshikawa : sqrt(det(J J^T)) = product of singular values
    condition : sigma_max / sigma_min (``inf`` at a singularity)
    inverse_condition : sigma_min / sigma_max in [0, 1]
    isotropy : (prod sigma)^(1/m) / sigma_max in [0, 1] (1 = isotropic)
    """

    yoshikawa: np.ndarray
    condition: np.ndarray
    inverse_condition: np.ndarray
    isotropy: np.ndarray


#: Jacobians per LAPACK call: one call holds the interpreter (and Ctrl-C) until it returns (~0.1 s here)
_SVD_SLICE = 16384


def _as_jacobians(J, name: str = "J") -> np.ndarray:
    """``J`` as a finite float64 ``(N, m, dof)`` array (a single ``(m, dof)`` becomes N = 1)."""
    try:
        a = np.asarray(J, dtype=np.float64)
    except (TypeError, ValueError):
        raise ShapeError(f"{name} must be numeric Jacobians (N, m, dof), got {type(J).__name__}") from None
    if a.ndim == 2:
        a = a[None]
    if a.ndim != 3 or 0 in a.shape[1:]:
        raise ShapeError(f"{name} must have shape (N, m, dof) or (m, dof), got {np.shape(J)}")
    check_finite(a, name)
    return a


def singular_values(J: np.ndarray) -> np.ndarray:
    """``(N, min(m, dof))`` singular values, descending, of Jacobians ``(N, m, dof)`` (or one ``(m, dof)``)."""
    J = _as_jacobians(J)
    s = np.empty((J.shape[0], min(J.shape[1:])))
    for lo in range(0, J.shape[0], _SVD_SLICE):
        s[lo:lo + _SVD_SLICE] = np.linalg.svd(J[lo:lo + _SVD_SLICE], compute_uv=False)
    return s


def manipulability(J: np.ndarray, rows: slice | None = None) -> Manipulability:
    """Yoshikawa manipulability, condition number, its inverse and isotropy of ``J`` ``(N, m, dof)``.

    ``rows`` selects a sub-Jacobian, e.g. ``slice(0, 3)`` for the positional part. NaN or inf in ``J``
    raises :class:`~iklearn.errors.NonFiniteError`.
    """
    J = _as_jacobians(J)
    if rows is not None:
        J = J[:, rows, :]
    s = singular_values(J)
    m = s.shape[1]
    smax = s[:, 0]
    smin = s[:, -1]
    yosh = np.prod(s, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        inv_cond = np.where(smax > 0, smin / np.where(smax > 0, smax, 1.0), 0.0)
        cond = np.where(smin > 0, smax / np.where(smin > 0, smin, 1.0), np.inf)
        iso = np.where(smax > 0, yosh ** (1.0 / m) / np.where(smax > 0, smax, 1.0), 0.0)
    return Manipulability(yosh, cond, inv_cond, iso)


def joint_limit_distance(q: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """``(N,)`` normalised distance to the nearest joint limit, in [0, 0.5]: 0 at a limit, 0.5 mid-range.

    Continuous joints (infinite limits) are ignored; a chain with none finite gives 0.5.
    """
    q = np.atleast_2d(np.asarray(q, float))
    lo = np.asarray(lower, float)
    hi = np.asarray(upper, float)
    fin = np.isfinite(lo) & np.isfinite(hi) & (hi > lo)
    if not fin.any():
        return np.full(q.shape[0], 0.5)
    rng = (hi - lo)[fin]
    d = np.minimum(q[:, fin] - lo[fin], hi[fin] - q[:, fin]) / rng
    return np.clip(d.min(axis=1), 0.0, 0.5)
