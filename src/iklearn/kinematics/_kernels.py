"""numba kernels for forward kinematics and Jacobians (compiled once, cached on disk).

All kernels take the chain as plain arrays ``(types, fixed, axes, tip)`` (see :class:`iklearn.robot.Chain`)
and write into caller-provided buffers, so the solvers can run them in tight loops without allocating.
"""

from __future__ import annotations

import numpy as np

from iklearn._jit import njit, prange

REVOLUTE = 0


@njit(cache=True, inline="always")
def _rot_axis_angle(ax, ay, az, theta, R):
    """Rodrigues: R (3x3) = rotation by theta about the unit axis (ax, ay, az)."""
    c = np.cos(theta)
    s = np.sin(theta)
    t = 1.0 - c
    R[0, 0] = t * ax * ax + c
    R[0, 1] = t * ax * ay - s * az
    R[0, 2] = t * ax * az + s * ay
    R[1, 0] = t * ax * ay + s * az
    R[1, 1] = t * ay * ay + c
    R[1, 2] = t * ay * az - s * ax
    R[2, 0] = t * ax * az - s * ay
    R[2, 1] = t * ay * az + s * ax
    R[2, 2] = t * az * az + c


@njit(cache=True, inline="always")
def _mul44(A, B, out):
    """out = A @ B for homogeneous 4x4 transforms (bottom row assumed [0,0,0,1])."""
    for i in range(3):
        a0 = A[i, 0]
        a1 = A[i, 1]
        a2 = A[i, 2]
        for j in range(4):
            out[i, j] = a0 * B[0, j] + a1 * B[1, j] + a2 * B[2, j]
        out[i, 3] += A[i, 3]
    out[3, 0] = 0.0
    out[3, 1] = 0.0
    out[3, 2] = 0.0
    out[3, 3] = 1.0


@njit(cache=True)
def fk_frames(q, types, fixed, axes, tip, T, P, Z, tmp, R):
    """Tip pose and joint frames of one configuration.

    q (n,); writes T (4x4) tip pose, P (n,3) joint origins and Z (n,3) joint axes, both in the base frame.
    tmp (4x4) and R (3x3) are scratch buffers. Revolute joints about an axis of their frame (+-x, +-y, +-z:
    every DH joint and most URDF ones) take a short cut: rotating the frame mixes two columns instead of
    multiplying by a Rodrigues matrix (about a fifth of an LM iteration's time).
    """
    n = q.shape[0]
    for i in range(4):
        for j in range(4):
            T[i, j] = 1.0 if i == j else 0.0
    for k in range(n):
        _mul44(T, fixed[k], tmp)
        ax = axes[k, 0]
        ay = axes[k, 1]
        az = axes[k, 2]
        for i in range(3):
            P[k, i] = tmp[i, 3]
        # a revolute joint about a frame axis (+-x, +-y, +-z: every DH joint, most URDF ones)
        e = -1
        if types[k] == REVOLUTE:
            if ay == 0.0 and az == 0.0 and abs(ax) == 1.0:
                e = 0
            elif ax == 0.0 and az == 0.0 and abs(ay) == 1.0:
                e = 1
            elif ax == 0.0 and ay == 0.0 and abs(az) == 1.0:
                e = 2
        if e >= 0:
            sgn = ax + ay + az  # +-1
            c = np.cos(q[k])
            s = sgn * np.sin(q[k])
            a = (e + 1) % 3
            b = (e + 2) % 3
            for i in range(3):
                ta = tmp[i, a]
                tb = tmp[i, b]
                Z[k, i] = sgn * tmp[i, e]
                T[i, a] = c * ta + s * tb
                T[i, b] = c * tb - s * ta
                T[i, e] = tmp[i, e]
                T[i, 3] = tmp[i, 3]
            continue
        for i in range(3):
            Z[k, i] = tmp[i, 0] * ax + tmp[i, 1] * ay + tmp[i, 2] * az
        if types[k] == REVOLUTE:
            _rot_axis_angle(ax, ay, az, q[k], R)
            for i in range(3):
                t0 = tmp[i, 0]
                t1 = tmp[i, 1]
                t2 = tmp[i, 2]
                for j in range(3):
                    T[i, j] = t0 * R[0, j] + t1 * R[1, j] + t2 * R[2, j]
                T[i, 3] = tmp[i, 3]
        else:
            for i in range(3):
                for j in range(3):
                    T[i, j] = tmp[i, j]
                T[i, 3] = tmp[i, 3] + Z[k, i] * q[k]
    _mul44(T, tip, tmp)
    for i in range(4):
        for j in range(4):
            T[i, j] = tmp[i, j]


@njit(cache=True)
def jacobian_from_frames(types, T, P, Z, J, tip_frame):
    """Geometric Jacobian J (6, n), linear rows first, from the frames written by :func:`fk_frames`.

    ``tip_frame`` False: both parts expressed in the base frame; True: in the tip frame (``R^T J``).
    """
    n = P.shape[0]
    px = T[0, 3]
    py = T[1, 3]
    pz = T[2, 3]
    for k in range(n):
        zx = Z[k, 0]
        zy = Z[k, 1]
        zz = Z[k, 2]
        if types[k] == REVOLUTE:
            dx = px - P[k, 0]
            dy = py - P[k, 1]
            dz = pz - P[k, 2]
            J[0, k] = zy * dz - zz * dy
            J[1, k] = zz * dx - zx * dz
            J[2, k] = zx * dy - zy * dx
            J[3, k] = zx
            J[4, k] = zy
            J[5, k] = zz
        else:
            J[0, k] = zx
            J[1, k] = zy
            J[2, k] = zz
            J[3, k] = 0.0
            J[4, k] = 0.0
            J[5, k] = 0.0
    if tip_frame:
        for k in range(n):
            for b in range(2):
                v0 = J[3 * b, k]
                v1 = J[3 * b + 1, k]
                v2 = J[3 * b + 2, k]
                for i in range(3):
                    J[3 * b + i, k] = T[0, i] * v0 + T[1, i] * v1 + T[2, i] * v2


@njit(cache=True, parallel=True)
def fk_batch(Q, types, fixed, axes, tip, out):
    """out (N,4,4) = FK of every row of Q (N, n)."""
    N, n = Q.shape
    for b in prange(N):
        P = np.empty((n, 3))
        Z = np.empty((n, 3))
        tmp = np.empty((4, 4))
        R = np.empty((3, 3))
        fk_frames(Q[b], types, fixed, axes, tip, out[b], P, Z, tmp, R)


@njit(cache=True, parallel=True)
def fk_jac_batch(Q, types, fixed, axes, tip, T_out, J_out, tip_frame):
    """T_out (N,4,4) poses and J_out (N,6,n) Jacobians of every row of Q (N, n)."""
    N, n = Q.shape
    for b in prange(N):
        P = np.empty((n, 3))
        Z = np.empty((n, 3))
        tmp = np.empty((4, 4))
        R = np.empty((3, 3))
        fk_frames(Q[b], types, fixed, axes, tip, T_out[b], P, Z, tmp, R)
        jacobian_from_frames(types, T_out[b], P, Z, J_out[b], tip_frame)


@njit(cache=True)
def fk_batch_serial(Q, types, fixed, axes, tip, out):
    """Serial :func:`fk_batch`: small batches pay no thread start-up (it dominates below ~64 rows)."""
    N, n = Q.shape
    P = np.empty((n, 3))
    Z = np.empty((n, 3))
    tmp = np.empty((4, 4))
    R = np.empty((3, 3))
    for b in range(N):
        fk_frames(Q[b], types, fixed, axes, tip, out[b], P, Z, tmp, R)


@njit(cache=True)
def fk_jac_batch_serial(Q, types, fixed, axes, tip, T_out, J_out, tip_frame):
    """Serial :func:`fk_jac_batch` for small batches."""
    N, n = Q.shape
    P = np.empty((n, 3))
    Z = np.empty((n, 3))
    tmp = np.empty((4, 4))
    R = np.empty((3, 3))
    for b in range(N):
        fk_frames(Q[b], types, fixed, axes, tip, T_out[b], P, Z, tmp, R)
        jacobian_from_frames(types, T_out[b], P, Z, J_out[b], tip_frame)


@njit(cache=True)
def quat_to_matrix(x, y, z, w, T):
    """Write the rotation of the (normalised) quaternion into T[:3,:3]."""
    nrm = np.sqrt(x * x + y * y + z * z + w * w)
    x /= nrm
    y /= nrm
    z /= nrm
    w /= nrm
    T[0, 0] = 1 - 2 * (y * y + z * z)
    T[0, 1] = 2 * (x * y - z * w)
    T[0, 2] = 2 * (x * z + y * w)
    T[1, 0] = 2 * (x * y + z * w)
    T[1, 1] = 1 - 2 * (x * x + z * z)
    T[1, 2] = 2 * (y * z - x * w)
    T[2, 0] = 2 * (x * z - y * w)
    T[2, 1] = 2 * (y * z + x * w)
    T[2, 2] = 1 - 2 * (x * x + y * y)
