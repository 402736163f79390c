"""Shape and finiteness checks for public entry points (never ``assert`` on user input)."""

from __future__ import annotations

import numpy as np

from iklearn.errors import NonFiniteError, ShapeError


def as_batch(x, width: int | None, name: str, *, allow_empty: bool = True) -> tuple[np.ndarray, bool]:
    """Return ``x`` as a C-contiguous float64 ``(N, width)`` array and whether it was a single row.

    A 1-D input of length ``width`` is promoted to ``(1, width)``; ``single`` tells the caller to squeeze.
    """
    try:
        a = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ShapeError(f"{name} must be numeric, got {type(x).__name__}") from exc
    single = a.ndim == 1
    if single:
        a = a[None, :]
    if a.ndim != 2 or (width is not None and a.shape[1] != width):
        want = f"(N, {width}) or ({width},)" if width is not None else "(N, k)"
        raise ShapeError(f"{name} must have shape {want}, got {tuple(np.shape(x))}")
    if not allow_empty and a.shape[0] == 0:
        raise ShapeError(f"{name} is empty; expected at least one row")
    check_finite(a, name)
    return np.ascontiguousarray(a), single


def check_finite(a: np.ndarray, name: str) -> None:
    """Raise :class:`NonFiniteError` naming the first bad row if ``a`` holds NaN or inf."""
    if a.size and not np.isfinite(a).all():
        bad = np.argwhere(~np.isfinite(a))[0]
        raise NonFiniteError(f"{name} contains NaN or inf (first at index {tuple(int(i) for i in bad)})")


def as_poses(x, name: str = "targets") -> tuple[np.ndarray, bool]:
    """Validate poses given as ``(N, 7)`` ``[x,y,z,qx,qy,qz,qw]`` or ``(N, 4, 4)`` / ``(4, 4)`` matrices.

    Returns ``(N, 4, 4)`` homogeneous transforms. Quaternions are normalised; a quaternion whose norm is
    far from 1 (outside [0.9, 1.1]) or zero is refused, because it most likely means swapped columns.
    """
    from iklearn.kinematics.pose import pose7_to_matrix

    a = np.asarray(x, dtype=np.float64)
    if a.ndim in (2, 3) and a.shape[-2:] == (4, 4):
        single = a.ndim == 2
        m = a[None] if single else a
        check_finite(m, name)
        if not np.allclose(m[:, 3, :], [0, 0, 0, 1], atol=1e-9):
            raise ShapeError(f"{name}: bottom row of a 4x4 pose must be [0, 0, 0, 1]")
        R = m[:, :3, :3]
        err = np.abs(np.einsum("nji,njk->nik", R, R) - np.eye(3)).max(initial=0.0)
        if err > 1e-6:
            raise ShapeError(f"{name}: rotation block is not orthonormal (max |R^T R - I| = {err:.2e})")
        return np.ascontiguousarray(m), single
    p, single = as_batch(x, 7, name)
    n = np.linalg.norm(p[:, 3:], axis=1)
    bad = np.flatnonzero((n < 0.9) | (n > 1.1))
    if bad.size:
        raise ShapeError(
            f"{name}: quaternion (qx,qy,qz,qw) of row {int(bad[0])} has norm {n[bad[0]]:.3g}; "
            "expected a unit quaternion (norms within 10% of 1 are normalised)"
        )
    return pose7_to_matrix(p), single
