"""numba kernels that validate and convert targets and draw random seeds, so a small IK call spends its time
solving rather than in Python-level array checks (a scipy quaternion conversion alone costs more than a
Panda solve).

Each checker returns the index of the first bad row, or -1; the caller then takes the general (NumPy) path,
which raises the proper error message. Random numbers come from splitmix64, one stream per row derived from
``(seed, row)``, so row ``i`` of a batch gets the same draw as a single call would, whatever the thread count.
"""

from __future__ import annotations

import numpy as np

from iklearn._jit import njit, uint64
from iklearn.kinematics._kernels import quat_to_matrix


@njit(cache=True, inline="always")
def splitmix(state):
    """One splitmix64 step: returns ``(new state, 64-bit output)``."""
    z = state + uint64(0x9E3779B97F4A7C15)
    x = z
    x = (x ^ (x >> uint64(30))) * uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> uint64(27))) * uint64(0x94D049BB133111EB)
    x = x ^ (x >> uint64(31))
    return z, x


@njit(cache=True, inline="always")
def uniform(state):
    """A float in [0, 1) from the stream: returns ``(new state, value)``."""
    state, x = splitmix(state)
    return state, (x >> uint64(11)) * (1.0 / 9007199254740992.0)


@njit(cache=True)
def draw_seeds(lo, hi, seed, Q):
    """Fill ``Q`` (N, n) with configurations uniform in ``[lo, hi]``; row ``b`` from the stream ``(seed, b)``."""
    for b in range(Q.shape[0]):
        state = uint64(seed) * uint64(0x2545F4914F6CDD1D) + uint64(b) * uint64(0x9E3779B97F4A7C15) + uint64(0x1C5EED)
        for j in range(Q.shape[1]):
            state, u = uniform(state)
            Q[b, j] = lo[j] + u * (hi[j] - lo[j])


@njit(cache=True)
def first_nonfinite_row(Q):
    """Index of the first row of ``Q`` (N, n) holding NaN or inf, or -1."""
    for b in range(Q.shape[0]):
        for j in range(Q.shape[1]):
            if not np.isfinite(Q[b, j]):
                return b
    return -1


@njit(cache=True)
def poses7_to_matrices(X, T):
    """Check ``X`` (N, 7) ``[x, y, z, qx, qy, qz, qw]`` (finite, quaternion norm in [0.9, 1.1]) and write
    ``T`` (N, 4, 4) with the quaternions normalised. Returns the first bad row or -1."""
    for b in range(X.shape[0]):
        for i in range(7):
            if not np.isfinite(X[b, i]):
                return b
        nrm = np.sqrt(X[b, 3] ** 2 + X[b, 4] ** 2 + X[b, 5] ** 2 + X[b, 6] ** 2)
        if nrm < 0.9 or nrm > 1.1:
            return b
        quat_to_matrix(X[b, 3], X[b, 4], X[b, 5], X[b, 6], T[b])
        T[b, 0, 3] = X[b, 0]
        T[b, 1, 3] = X[b, 1]
        T[b, 2, 3] = X[b, 2]
        T[b, 3, 0] = 0.0
        T[b, 3, 1] = 0.0
        T[b, 3, 2] = 0.0
        T[b, 3, 3] = 1.0
    return -1


@njit(cache=True)
def check_matrices(X):
    """Check ``X`` (N, 4, 4): finite, bottom row [0, 0, 0, 1], orthonormal rotation (to 1e-6), as
    :func:`iklearn.kinematics.pose.as_poses` does. Returns the first bad row or -1."""
    for b in range(X.shape[0]):
        for i in range(4):
            for j in range(4):
                if not np.isfinite(X[b, i, j]):
                    return b
        if (abs(X[b, 3, 0]) > 1e-9 or abs(X[b, 3, 1]) > 1e-9 or abs(X[b, 3, 2]) > 1e-9
                or abs(X[b, 3, 3] - 1.0) > 1e-9):
            return b
        for i in range(3):
            for j in range(3):
                s = 0.0
                for k in range(3):
                    s += X[b, k, i] * X[b, k, j]
                if abs(s - (1.0 if i == j else 0.0)) > 1e-6:
                    return b
    return -1
