"""The kinematic error model of a serial chain and which of its parameters data can identify.

Error model: every fixed transform of the chain (``F[0..dof-1]``, the joint origins, and the tool transform
``tip``) is corrected on the right by a small rigid motion ``D(t, w) = [Rot(w), t; 0, 1]``, ``t`` (m) and ``w``
(rad, rotation vector) expressed in that frame::

    T(q) = F[0] D_0 M_0(q_0) F[1] D_1 M_1(q_1) ... F[n-1] D_{n-1} M_{n-1}(q_{n-1}) tip D_tip

That is 6 (dof + 1) candidate parameters. In joint ``i``'s frame they are written in a basis ``(u, v, a)``
with ``a`` the joint axis (``x, y, z`` for a joint about z): the rotation about ``a`` of a revolute joint
(the translation along ``a`` of a prismatic one) is the joint's **zero offset**. Not all are identifiable
from tool poses: the two motions that commute with a joint's own motion (rotation about and translation
along its axis) can be moved past it into the next frame, so of every joint's six only four are independent
of the next frame's (``4 R + 2 P + 6`` in all, Everett & Hollerbach). :func:`select_parameters` finds them
numerically from the identification Jacobian: it walks the candidates in a fixed preference order (zero
offset first, then the origin's translations and tilts, joint by joint from the base) and keeps a candidate
only when its column is not (to ``tol``) a combination of those already kept; each dropped candidate is
reported with the kept parameters that absorb it. The same test on the user's own measurements finds the
parameters the data do not excite (e.g. a joint that never moved).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from iklearn.robot.chain import PRISMATIC, Chain

_E = np.eye(3)
_AXIS_NAMES = ("x", "y", "z")


@dataclass(frozen=True)
class ErrorParameter:
    """One candidate error parameter.

    frame : 0..dof-1 for joint ``frame``'s origin, ``dof`` for the tool (tip) transform
    kind : ``'t'`` (translation, m) or ``'r'`` (rotation, rad)
    direction : (3,) unit vector in that frame's coordinates
    name : e.g. ``'panda_joint2.offset'``, ``'panda_joint2.t_x'``, ``'tip.r_z'``
    """

    frame: int
    kind: str
    direction: tuple[float, float, float]
    name: str


def _basis(axis: np.ndarray) -> tuple[list[np.ndarray], list[str]]:
    """``(u, v, a)`` orthonormal with ``a`` = axis, and their names (coordinate names when they are axes)."""
    a = np.asarray(axis, float) / np.linalg.norm(axis)
    e = _E[int(np.argmin(np.abs(a)))]
    u = e - (e @ a) * a
    u /= np.linalg.norm(u)
    v = np.cross(a, u)
    names = []
    for w, fallback in ((u, "u"), (v, "v"), (a, "a")):
        k = int(np.argmax(np.abs(w)))
        names.append(("-" if w[k] < 0 else "") + _AXIS_NAMES[k] if abs(abs(w[k]) - 1) < 1e-12 else fallback)
    return [u, v, a], names


def candidate_parameters(chain: Chain) -> list[ErrorParameter]:
    """All ``6 (dof + 1)`` candidates in preference order (see the module docstring)."""
    out = []
    for i, jn in enumerate(chain.joint_names):
        (u, v, a), (nu, nv, na) = _basis(chain.axes[i])
        prismatic = chain.joint_types[i] == PRISMATIC
        offset = ("t", a) if prismatic else ("r", a)
        other = ("r", a) if prismatic else ("t", a)
        items = [(offset[0], offset[1], f"{jn}.offset"),
                 ("t", u, f"{jn}.t_{nu}"), ("t", v, f"{jn}.t_{nv}"),
                 ("r", u, f"{jn}.r_{nu}"), ("r", v, f"{jn}.r_{nv}"),
                 (other[0], other[1], f"{jn}.{other[0]}_{na}")]
        out += [ErrorParameter(i, k, tuple(float(x) for x in d), nm) for k, d, nm in items]
    n = chain.dof
    out += [ErrorParameter(n, "t", tuple(_E[k]), f"tip.t_{_AXIS_NAMES[k]}") for k in range(3)]
    out += [ErrorParameter(n, "r", tuple(_E[k]), f"tip.r_{_AXIS_NAMES[k]}") for k in range(3)]
    return out


def _rotvec_matrix(w: np.ndarray) -> np.ndarray:
    """Rodrigues: (3, 3) rotation of the rotation vector ``w`` (rad)."""
    th = float(np.linalg.norm(w))
    if th < 1e-15:
        return np.eye(3)
    k = w / th
    K = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    return np.eye(3) + np.sin(th) * K + (1 - np.cos(th)) * K @ K


def corrections(chain: Chain, params: list[ErrorParameter], x: np.ndarray) -> np.ndarray:
    """``(dof + 1, 4, 4)`` corrections ``D_i`` of the parameter values ``x`` (``(len(params),)``)."""
    n = chain.dof
    t = np.zeros((n + 1, 3))
    w = np.zeros((n + 1, 3))
    for p, val in zip(params, np.asarray(x, float)):
        (t if p.kind == "t" else w)[p.frame] += val * np.asarray(p.direction)
    D = np.tile(np.eye(4), (n + 1, 1, 1))
    for i in range(n + 1):
        D[i, :3, :3] = _rotvec_matrix(w[i])
        D[i, :3, 3] = t[i]
    return D


def apply_parameters(chain: Chain, params: list[ErrorParameter], x: np.ndarray, name: str | None = None) -> Chain:
    """The chain with the corrections of ``x`` applied (``F[i] D_i`` and ``tip D_tip``); same joints and limits."""
    D = corrections(chain, params, x)
    fixed = chain.fixed @ D[:-1]
    return chain._replace(fixed=fixed, tip=chain.tip @ D[-1], name=name or chain.name)


def frames(chain: Chain, Q: np.ndarray) -> np.ndarray:
    """``(N, dof + 1, 4, 4)`` base-frame poses of the frames the corrections act in: joint ``i``'s frame
    after ``F[i]`` (before its motion), and the tool frame last (the tip pose)."""
    N, n = Q.shape[0], chain.dof
    out = np.empty((N, n + 1, 4, 4))
    T = np.tile(np.eye(4), (N, 1, 1))
    for i in range(n):
        A = T @ chain.fixed[i]
        out[:, i] = A
        T = A @ _motions(chain, Q, i)
    out[:, n] = T @ chain.tip
    return out


def _motions(chain: Chain, Q: np.ndarray, i: int) -> np.ndarray:
    """``(N, 4, 4)`` motions ``M_i(q_i)`` of joint ``i`` for every row of ``Q``."""
    N = Q.shape[0]
    a = chain.axes[i]
    M = np.tile(np.eye(4), (N, 1, 1))
    if chain.joint_types[i] == PRISMATIC:
        M[:, :3, 3] = Q[:, i, None] * a
        return M
    K = np.array([[0, -a[2], a[1]], [a[2], 0, -a[0]], [-a[1], a[0], 0]])
    s, c = np.sin(Q[:, i])[:, None, None], np.cos(Q[:, i])[:, None, None]
    M[:, :3, :3] = np.eye(3) + s * K + (1 - c) * (K @ K)
    return M
