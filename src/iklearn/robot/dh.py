"""Chains from Denavit-Hartenberg tables (standard and modified/Craig conventions)."""

from __future__ import annotations

from typing import Literal, Mapping, Sequence

import numpy as np

from iklearn.errors import ShapeError
from iklearn.robot.chain import PRISMATIC, REVOLUTE, Chain


def _rx(a: float) -> np.ndarray:
    c, s = np.cos(a), np.sin(a)
    return np.array([[1, 0, 0, 0], [0, c, -s, 0], [0, s, c, 0], [0, 0, 0, 1.0]])


def _rz(a: float) -> np.ndarray:
    c, s = np.cos(a), np.sin(a)
    return np.array([[c, -s, 0, 0], [s, c, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1.0]])


def _tx(a: float) -> np.ndarray:
    T = np.eye(4)
    T[0, 3] = a
    return T


def _tz(d: float) -> np.ndarray:
    T = np.eye(4)
    T[2, 3] = d
    return T


def from_dh(
    a: Sequence[float],
    d: Sequence[float],
    alpha: Sequence[float],
    *,
    theta_offset: Sequence[float] | None = None,
    convention: Literal["standard", "modified"] = "standard",
    joint_types: Sequence[str] | None = None,
    lower: Sequence[float] | None = None,
    upper: Sequence[float] | None = None,
    tool: np.ndarray | None = None,
    base: np.ndarray | None = None,
    name: str = "dh_robot",
    joint_names: Sequence[str] | None = None,
    named_poses: Mapping[str, Sequence[float]] | None = None,
) -> Chain:
    """Build a :class:`Chain` from a DH table.

    Standard DH (Denavit-Hartenberg 1955), link ``i``: ``Rz(theta_i) Tz(d_i) Tx(a_i) Rx(alpha_i)``.
    Modified DH (Craig 1986), link ``i``: ``Rx(alpha_{i-1}) Tx(a_{i-1}) Rz(theta_i) Tz(d_i)``; here the
    ``i``-th row holds ``(a_{i-1}, d_i, alpha_{i-1})`` as in the usual tables.

    For a revolute joint ``theta_i = q_i + theta_offset_i``; for a prismatic one ``d_i = q_i + d_i``.

    Parameters
    ----------
    a, d, alpha : (dof,) link lengths (m), offsets (m), twists (rad)
    theta_offset : (dof,) rad, default zeros
    joint_types : (dof,) of ``'R'`` / ``'P'``, default all revolute
    lower, upper : (dof,) limits, default ``-pi, pi`` (``-inf, inf`` is allowed)
    tool : (4, 4) transform from the last DH frame to the tool frame
    base : (4, 4) transform from the world to the DH base frame
    """
    a_ = np.asarray(a, float)
    n = a_.shape[0]
    d_ = np.asarray(d, float)
    al = np.asarray(alpha, float)
    off = np.zeros(n) if theta_offset is None else np.asarray(theta_offset, float)
    for nm, arr in (("d", d_), ("alpha", al), ("theta_offset", off)):
        if arr.shape != (n,):
            raise ShapeError(f"DH column '{nm}' has shape {arr.shape}; expected ({n},) like 'a'")
    kinds = ["R"] * n if joint_types is None else [str(t).upper() for t in joint_types]
    if len(kinds) != n or not set(kinds) <= {"R", "P"}:
        raise ShapeError(f"joint_types must be {n} entries of 'R' or 'P'")
    types = np.array([REVOLUTE if k == "R" else PRISMATIC for k in kinds])
    lo = np.full(n, -np.pi) if lower is None else np.asarray(lower, float)
    hi = np.full(n, np.pi) if upper is None else np.asarray(upper, float)

    fixed = np.zeros((n, 4, 4))
    z = np.array([0.0, 0.0, 1.0])
    pre = np.eye(4) if base is None else np.asarray(base, float)
    if convention == "standard":
        # joint motion first, then the constant part; the constant part of link i precedes joint i+1
        for i in range(n):
            fixed[i] = pre
            # Rz(q) and Tz(q) commute with Rz(off) Tz(d), so one constant part serves both joint types
            pre = _rz(off[i]) @ _tz(d_[i]) @ _tx(a_[i]) @ _rx(al[i])
        tip = pre
    elif convention == "modified":
        for i in range(n):
            fixed[i] = pre @ _rx(al[i]) @ _tx(a_[i]) @ _rz(off[i]) @ _tz(d_[i])
            pre = np.eye(4)
        tip = np.eye(4)
    else:
        raise ShapeError(f"convention must be 'standard' or 'modified', got {convention!r}")
    if tool is not None:
        tip = tip @ np.asarray(tool, float)
    names = tuple(joint_names) if joint_names is not None else tuple(f"joint{i + 1}" for i in range(n))
    return Chain(
        name=name,
        joint_names=names,
        joint_types=types,
        fixed=fixed,
        axes=np.tile(z, (n, 1)),
        tip=tip,
        lower=lo,
        upper=hi,
        base_link="base",
        tip_link="tool" if tool is not None else f"link{n}",
        named_poses={k: np.asarray(v, float) for k, v in (named_poses or {}).items()},
    )
