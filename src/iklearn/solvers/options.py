"""Validation of the per-call IK options: task weights and tolerances, a free tool axis, locked joints and
joint limits by name.

Each checker takes the option's name as the caller spells it (``weights`` in Python, ``--weights`` at the
command line), so the message names what the user typed, and raises :class:`~iklearn.errors.IKLearnError`.
"""

from __future__ import annotations

import dataclasses
from typing import Mapping

import numpy as np

from iklearn.errors import IKLearnError
from iklearn.robot.chain import Chain

#: Order of the six task axes (target frame): three positions (m), three rotations (rad).
AXES = ("x", "y", "z", "rx", "ry", "rz")
FREE_AXES = ("x", "y", "z")


def _six(x, name: str) -> np.ndarray:
    try:
        a = np.asarray(x, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        raise IKLearnError(f"{name} must be 6 numbers ({', '.join(AXES)}), got {x!r}") from None
    if a.shape != (6,):
        raise IKLearnError(f"{name} must be 6 numbers ({', '.join(AXES)}), got {a.size}")
    if np.isnan(a).any():
        raise IKLearnError(f"{name} contains NaN")
    return a


def as_weights(x, name: str = "weights") -> np.ndarray:
    """Six finite, non-negative weights ``[x, y, z, rx, ry, rz]`` (target frame), not all zero."""
    w = _six(x, name)
    if not np.isfinite(w).all() or (w < 0).any() or not (w > 0).any():
        raise IKLearnError(f"{name} must be finite and >= 0 with at least one > 0 (0 frees an axis), got "
                           f"{', '.join(f'{v:g}' for v in w)}")
    return w


def as_tolerances(x, name: str = "tolerances") -> np.ndarray:
    """Six positive per-axis tolerances ``[x, y, z, rx, ry, rz]`` (m, rad; ``inf`` = no bound)."""
    t = _six(x, name)
    if (t <= 0).any():
        raise IKLearnError(f"{name} must be > 0 (m for x, y, z; rad for rx, ry, rz; inf for no bound), got "
                           f"{', '.join(f'{v:g}' for v in t)}")
    return t


def as_free_axis(x, name: str = "free_axis") -> int:
    """``'x'``, ``'y'`` or ``'z'`` (a tool axis about which any rotation is accepted) -> 0, 1 or 2."""
    key = str(x).strip().lower()
    if key not in FREE_AXES:
        raise IKLearnError(f"{name} must be one of x, y, z (a tool axis), got {x!r}")
    return FREE_AXES.index(key)


def _joint(chain: Chain, joint: str, name: str) -> int:
    try:
        return chain.joint_names.index(str(joint))
    except ValueError:
        raise IKLearnError(f"{name}: robot '{chain.name}' has no joint {joint!r}; its joints are "
                           f"{', '.join(chain.joint_names)}") from None


def restrict_joints(
    chain: Chain,
    lock: Mapping[str, float] | None = None,
    limits: Mapping[str, tuple[float, float]] | None = None,
    *,
    lock_name: str = "lock",
    limits_name: str = "limits",
) -> Chain:
    """The chain with some joints locked and some joint ranges narrowed, by URDF joint name.

    Parameters
    ----------
    lock : ``{joint name: value}`` (rad / m); a locked joint never moves (its limits become ``[value, value]``)
    limits : ``{joint name: (lower, upper)}`` (rad / m), inside the robot's own limits
    lock_name, limits_name : how the caller spells the options, for error messages

    Returns
    -------
    Chain
        A new chain with the same kinematics and name; the original is unchanged.
    """
    if not lock and not limits:
        return chain
    lo, hi = chain.lower.copy(), chain.upper.copy()
    for joint, rng in dict(limits or {}).items():
        i = _joint(chain, joint, limits_name)
        try:
            a, b = (float(v) for v in rng)
        except (TypeError, ValueError):
            raise IKLearnError(f"{limits_name}: joint {joint!r} needs (lower, upper), got {rng!r}") from None
        if not (np.isfinite(a) and np.isfinite(b)) or a > b:
            raise IKLearnError(f"{limits_name}: joint {joint!r} needs finite lower <= upper, got {a:g}:{b:g}")
        if a < chain.lower[i] - 1e-12 or b > chain.upper[i] + 1e-12:
            raise IKLearnError(f"{limits_name}: {a:g}:{b:g} for joint {joint!r} lies outside its limits "
                               f"{chain.lower[i]:g}:{chain.upper[i]:g}")
        lo[i], hi[i] = a, b
    for joint, value in dict(lock or {}).items():
        i = _joint(chain, joint, lock_name)
        try:
            v = float(value)
        except (TypeError, ValueError):
            raise IKLearnError(f"{lock_name}: joint {joint!r} needs a number, got {value!r}") from None
        if not np.isfinite(v) or v < lo[i] - 1e-12 or v > hi[i] + 1e-12:
            raise IKLearnError(f"{lock_name}: value {v:g} for joint {joint!r} lies outside its limits "
                               f"{lo[i]:g}:{hi[i]:g}")
        lo[i] = hi[i] = v
    return dataclasses.replace(chain, lower=lo, upper=hi)
