"""Pose encodings and pose errors.

Quaternions are ``[qx, qy, qz, qw]`` (scalar last); poses ``(N, 7)`` are ``[x, y, z, qx, qy, qz, qw]``.
Position error is the Euclidean distance (m); rotation error is the geodesic angle (rad) of
``R_target^T R``. :func:`pose_error` is the one function every solver, estimator, test and benchmark uses.
"""

from __future__ import annotations

import numpy as np

from iklearn._validate import QUATERNION_NORM, as_batch, check_finite, first_bad_quaternion
from iklearn.errors import ShapeError

#: column names of a pose row ``(7,)`` (files, tables): position (m), then the scalar-last unit quaternion
POSE_COLUMNS: tuple[str, ...] = ("x", "y", "z", "qx", "qy", "qz", "qw")


def _rotation():
    # SciPy's Rotation, imported on first use: scipy.spatial costs more to import than a small IK call
    from scipy.spatial.transform import Rotation

    return Rotation


def matrix_to_pose7(T: np.ndarray) -> np.ndarray:
    """``(..., 4, 4)`` transforms -> ``(..., 7)`` ``[x, y, z, qx, qy, qz, qw]`` with ``qw >= 0``."""
    T = np.asarray(T, float)
    shp = T.shape[:-2]
    T2 = T.reshape(-1, 4, 4)
    q = _rotation().from_matrix(T2[:, :3, :3]).as_quat()  # scalar last
    q[q[:, 3] < 0] *= -1.0
    return np.concatenate([T2[:, :3, 3], q], axis=1).reshape(*shp, 7)


def pose7_to_matrix(p: np.ndarray) -> np.ndarray:
    """``(..., 7)`` poses -> ``(..., 4, 4)``; quaternions are normalised (scipy refuses a zero one)."""
    p = np.asarray(p, float)
    shp = p.shape[:-1]
    p2 = p.reshape(-1, 7)
    T = np.zeros((p2.shape[0], 4, 4))
    T[:, 3, 3] = 1.0
    if p2.shape[0]:
        T[:, :3, :3] = quat_to_rotation(p2[:, 3:])
    T[:, :3, 3] = p2[:, :3]
    return T.reshape(*shp, 4, 4)


def as_poses(x, name: str = "targets") -> tuple[np.ndarray, bool]:
    """Validate poses given as ``(N, 7)`` ``[x,y,z,qx,qy,qz,qw]`` or ``(N, 4, 4)`` / ``(4, 4)`` matrices.

    Returns ``(N, 4, 4)`` homogeneous transforms. Quaternions are normalised; a quaternion whose norm is
    far from 1 (outside [0.9, 1.1]) or zero is refused, because it most likely means swapped columns.
    """
    try:
        a = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        raise ShapeError(f"{name} must be numeric poses (N, 7) or (N, 4, 4), got {type(x).__name__}") from None
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
    bad = first_bad_quaternion(p[:, 3:])
    if bad is not None:
        raise ShapeError(f"{name}[{bad[0]}]: {QUATERNION_NORM.format(norm=bad[1])}")
    return pose7_to_matrix(p), single


def rotation_to_quat(R: np.ndarray) -> np.ndarray:
    """``(..., 3, 3)`` -> ``(..., 4)`` scalar-last quaternions with ``qw >= 0``."""
    R = np.asarray(R, float)
    q = _rotation().from_matrix(R.reshape(-1, 3, 3)).as_quat()
    q[q[:, 3] < 0] *= -1.0
    return q.reshape(*R.shape[:-2], 4)


def quat_to_rotation(q: np.ndarray) -> np.ndarray:
    """``(..., 4)`` scalar-last quaternions (normalised here) -> ``(..., 3, 3)``.

    Written out in NumPy: importing scipy.spatial costs more than a small IK call, and every CSV of poses
    passes through here.
    """
    q = np.asarray(q, float)
    x, y, z, w = np.moveaxis(q / np.linalg.norm(q, axis=-1, keepdims=True), -1, 0)
    R = np.stack([1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w),
                  2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w),
                  2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)], axis=-1)
    return R.reshape(*q.shape[:-1], 3, 3)


def rotation_to_euler(R: np.ndarray, seq: str = "xyz") -> np.ndarray:
    """``(..., 3, 3)`` -> ``(..., 3)`` Euler angles (rad) in scipy's ``seq`` convention (lower = extrinsic)."""
    R = np.asarray(R, float)
    return _rotation().from_matrix(R.reshape(-1, 3, 3)).as_euler(seq).reshape(*R.shape[:-2], 3)


def euler_to_rotation(angles: np.ndarray, seq: str = "xyz") -> np.ndarray:
    """``(..., 3)`` Euler angles (rad) -> ``(..., 3, 3)``."""
    a = np.asarray(angles, float)
    return _rotation().from_euler(seq, a.reshape(-1, 3)).as_matrix().reshape(*a.shape[:-1], 3, 3)


def euler_xyz_to_matrix(e: np.ndarray) -> np.ndarray:
    """``(n, 3)`` intrinsic XYZ Euler angles (rad) -> ``(n, 3, 3)`` ``Rx(e0) Ry(e1) Rz(e2)``."""
    c, s = np.cos(e), np.sin(e)
    c0, c1, c2 = c[:, 0], c[:, 1], c[:, 2]
    s0, s1, s2 = s[:, 0], s[:, 1], s[:, 2]
    R = np.empty((e.shape[0], 3, 3))
    R[:, 0, 0] = c1 * c2
    R[:, 0, 1] = -c1 * s2
    R[:, 0, 2] = s1
    R[:, 1, 0] = c0 * s2 + s0 * s1 * c2
    R[:, 1, 1] = c0 * c2 - s0 * s1 * s2
    R[:, 1, 2] = -s0 * c1
    R[:, 2, 0] = s0 * s2 - c0 * s1 * c2
    R[:, 2, 1] = s0 * c2 + c0 * s1 * s2
    R[:, 2, 2] = c0 * c1
    return R


def matrix_to_euler_xyz(R: np.ndarray) -> np.ndarray:
    """Inverse of :func:`euler_xyz_to_matrix`, angles wrapped to ``[0, 2 pi)``."""
    e1 = np.arcsin(np.clip(R[:, 0, 2], -1.0, 1.0))
    e0 = np.arctan2(-R[:, 1, 2], R[:, 2, 2])
    e2 = np.arctan2(-R[:, 0, 1], R[:, 0, 0])
    return np.mod(np.stack([e0, e1, e2], axis=1), 2 * np.pi)


def rotation_to_yaw(R: np.ndarray) -> np.ndarray:
    """``(..., 3, 3)`` -> ``(...)`` yaw (rad): heading of the x axis in the base x-y plane."""
    R = np.asarray(R, float)
    return np.arctan2(R[..., 1, 0], R[..., 0, 0])


ENCODINGS = ("quat", "matrix", "pose9", "euler", "yaw", "yaw_sincos", "position", "planar")


def encode(T: np.ndarray, kind: str = "quat") -> np.ndarray:
    """Encode ``(N, 4, 4)`` poses as feature rows: the one set of pose encodings every learned model uses.

    kinds: ``quat`` (N, 7) ``[x,y,z,qx,qy,qz,qw]`` with ``qw >= 0`` (q and -q are one rotation); ``matrix``
    (N, 12) position + row-major rotation (continuous in the rotation); ``pose9`` (N, 9) position + the first
    two columns of R (continuous, the rotation's 6D form); ``euler`` (N, 6) position + xyz Euler; ``yaw``
    (N, 4) ``[x, y, z, yaw]``; ``yaw_sincos`` (N, 5) ``[x, y, z, cos yaw, sin yaw]`` (no jump at yaw = +-pi);
    ``position`` (N, 3); ``planar`` (N, 3) ``[x, y, yaw]``.
    """
    T = np.asarray(T, float)
    p = T[:, :3, 3]
    R = T[:, :3, :3]
    if kind == "quat":
        return matrix_to_pose7(T)
    if kind == "matrix":
        return np.concatenate([p, R.reshape(-1, 9)], axis=1)
    if kind == "euler":
        return np.concatenate([p, rotation_to_euler(R)], axis=1)
    if kind == "pose9":
        return np.column_stack([p, R[:, :, 0], R[:, :, 1]])
    if kind == "yaw":
        return np.concatenate([p, rotation_to_yaw(R)[:, None]], axis=1)
    if kind == "yaw_sincos":
        yaw = rotation_to_yaw(R)
        return np.column_stack([p, np.cos(yaw), np.sin(yaw)])
    if kind == "position":
        return p.copy()
    if kind == "planar":
        return np.stack([p[:, 0], p[:, 1], rotation_to_yaw(R)], axis=1)
    from iklearn.errors import IKLearnError

    raise IKLearnError(f"unknown pose encoding '{kind}'; expected one of {', '.join(ENCODINGS)}")


def rotation_angle(R_a: np.ndarray, R_b: np.ndarray) -> np.ndarray:
    """Geodesic angle (rad) between rotations ``(..., 3, 3)``: the angle of ``R_a^T R_b``.

    Uses ``atan2(|vee(R - R^T)|/2, (tr R - 1)/2)``, accurate at both small and large angles.
    """
    M = np.einsum("...ji,...jk->...ik", R_a, R_b)
    s = 0.5 * np.sqrt(
        (M[..., 2, 1] - M[..., 1, 2]) ** 2 + (M[..., 0, 2] - M[..., 2, 0]) ** 2 + (M[..., 1, 0] - M[..., 0, 1]) ** 2
    )
    c = 0.5 * (M[..., 0, 0] + M[..., 1, 1] + M[..., 2, 2] - 1.0)
    return np.arctan2(s, c)


def as_transforms(x, name: str = "poses") -> np.ndarray:
    """Poses ``(..., 4, 4)`` as they are, or ``(..., 7)`` ``[x, y, z, qx, qy, qz, qw]`` as ``(..., 4, 4)``
    (quaternions normalised). Anything else raises :class:`~iklearn.errors.ShapeError`."""
    from iklearn.errors import ShapeError

    try:
        a = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        raise ShapeError(f"{name} must be numeric poses (..., 4, 4) or (..., 7), got {type(x).__name__}") from None
    if a.shape[-2:] == (4, 4):
        return a
    if a.ndim >= 1 and a.shape[-1] == 7:
        n = np.linalg.norm(a[..., 3:], axis=-1)
        if (n == 0).any():
            raise ShapeError(f"{name}: a quaternion (qx, qy, qz, qw) is zero; expected unit quaternions")
        return pose7_to_matrix(a)
    raise ShapeError(f"{name} must have shape (..., 4, 4) or (..., 7) [x, y, z, qx, qy, qz, qw], got {a.shape}")


def pose_error(T: np.ndarray, T_target: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Position error (m) and rotation error (rad) of poses ``T`` against ``T_target``.

    Each argument is ``(..., 4, 4)`` transforms or ``(..., 7)`` ``[x, y, z, qx, qy, qz, qw]`` poses (the two
    may be mixed; batch shapes broadcast). Position error is ``|p - p_target|``; rotation error the geodesic
    angle of ``R_target^T R``, in [0, pi]. Returns two arrays of the broadcast batch shape.
    """
    T = as_transforms(T, "T")
    T_target = as_transforms(T_target, "T_target")
    pos = np.linalg.norm(T[..., :3, 3] - T_target[..., :3, 3], axis=-1)
    rot = rotation_angle(T_target[..., :3, :3], T[..., :3, :3])
    return pos, rot


def task_error(T: np.ndarray, T_target: np.ndarray) -> np.ndarray:
    """``(N, 6)`` error ``[p_t - p ; log(R_t R^T)]`` of poses ``T`` against targets, both ``(N, 4, 4)``: the
    pose log map the differential solvers step along (:func:`pose_error` reduces the same difference to a
    distance and a geodesic angle).

    The rotation part is a rotation vector in the base frame (rad), so ``J_world @ dq`` predicts it.
    """
    e = np.empty((T.shape[0], 6))
    e[:, :3] = T_target[:, :3, 3] - T[:, :3, 3]
    if T.shape[0]:
        M = np.einsum("nij,nkj->nik", T_target[:, :3, :3], T[:, :3, :3])
        v = np.stack([M[:, 2, 1] - M[:, 1, 2], M[:, 0, 2] - M[:, 2, 0], M[:, 1, 0] - M[:, 0, 1]], axis=1)
        s = 0.5 * np.linalg.norm(v, axis=1)
        c = 0.5 * (np.trace(M, axis1=1, axis2=2) - 1.0)
        th = np.arctan2(s, c)
        # theta / (2 sin theta) -> 1/2 as theta -> 0; the closed form loses the axis near pi: scipy there
        f = np.where(s > 1e-6, th / (2.0 * np.maximum(s, 1e-300)), 0.5 + th**2 / 12.0)
        e[:, 3:] = v * f[:, None]
        far = c < -0.99
        if far.any():
            from scipy.spatial.transform import Rotation  # on first use: costly to import

            e[far, 3:] = Rotation.from_matrix(M[far]).as_rotvec()
    return e
