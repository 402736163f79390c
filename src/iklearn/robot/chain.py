"""The immutable serial chain every other module works on."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Mapping

import numpy as np

from iklearn.errors import IKLearnError, ShapeError

REVOLUTE = 0
PRISMATIC = 1


def _frozen(a, shape=None) -> np.ndarray:
    a = np.array(a, dtype=np.float64, copy=True)
    if shape is not None and a.shape != shape:
        raise ShapeError(f"expected shape {shape}, got {a.shape}")
    a.setflags(write=False)
    return a


def joint_motion(axis: np.ndarray, joint_type: int, value: float) -> np.ndarray:
    """4x4 motion ``M_i`` of one joint: rotation by ``value`` rad about the unit ``axis`` (``REVOLUTE``) or
    translation by ``value`` m along it (``PRISMATIC``)."""
    T = np.eye(4)
    axis = np.asarray(axis, float)
    if joint_type == PRISMATIC:
        T[:3, 3] = axis * value
    else:
        # SciPy imported on first use: scipy.spatial costs more to import than loading a robot
        from scipy.spatial.transform import Rotation

        T[:3, :3] = Rotation.from_rotvec(axis * value).as_matrix()
    return T


@dataclass(frozen=True, eq=False)
class Chain:
    """A serial chain of 1-DOF joints (revolute or prismatic).

    The pose of the tip in the base frame is::

        T(q) = F[0] @ M_0(q_0) @ F[1] @ M_1(q_1) @ ... @ F[n-1] @ M_{n-1}(q_{n-1}) @ tip

    where ``F[i]`` (4x4) is the fixed transform from the previous joint frame (or the base) to joint ``i``'s
    frame, and ``M_i`` rotates about (revolute) or translates along (prismatic) the unit ``axes[i]``
    expressed in joint ``i``'s frame. Units: metres and radians.

    Attributes
    ----------
    name : str
    joint_names : tuple[str, ...]
    joint_types : (dof,) int array, 0 revolute, 1 prismatic
    fixed : (dof, 4, 4) fixed transforms ``F``
    axes : (dof, 3) unit joint axes in the joint frames
    tip : (4, 4) fixed transform from the last joint frame to the tip (tool) frame
    lower, upper : (dof,) joint limits (rad or m); continuous joints use +-inf
    base_link, tip_link : names of the frames the chain runs between
    named_poses : mapping name -> (dof,) configuration
    """

    name: str
    joint_names: tuple[str, ...]
    joint_types: np.ndarray
    fixed: np.ndarray
    axes: np.ndarray
    tip: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    base_link: str = "base"
    tip_link: str = "tip"
    named_poses: Mapping[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = len(self.joint_names)
        if n == 0:
            raise IKLearnError(f"robot '{self.name}' has no movable joints between its base and tip")
        set_ = object.__setattr__
        set_(self, "joint_names", tuple(str(j) for j in self.joint_names))
        types = np.array(self.joint_types, dtype=np.int64, copy=True)
        if types.shape != (n,) or not np.isin(types, (REVOLUTE, PRISMATIC)).all():
            raise ShapeError(f"joint_types must be ({n},) of 0 (revolute) / 1 (prismatic)")
        types.setflags(write=False)
        set_(self, "joint_types", types)
        set_(self, "fixed", _frozen(self.fixed, (n, 4, 4)))
        axes = np.array(self.axes, dtype=np.float64, copy=True)
        if axes.shape != (n, 3):
            raise ShapeError(f"axes must be ({n}, 3), got {axes.shape}")
        norms = np.linalg.norm(axes, axis=1)
        if (norms < 1e-12).any():
            raise IKLearnError(f"robot '{self.name}': joint axis of zero length")
        axes = axes / norms[:, None]
        axes.setflags(write=False)
        set_(self, "axes", axes)
        set_(self, "tip", _frozen(self.tip, (4, 4)))
        lo, hi = _frozen(self.lower, (n,)), _frozen(self.upper, (n,))
        if (lo > hi).any():
            i = int(np.argmax(lo > hi))
            raise IKLearnError(f"joint '{self.joint_names[i]}': lower limit {lo[i]} > upper limit {hi[i]}")
        set_(self, "lower", lo)
        set_(self, "upper", hi)
        poses = {k: _frozen(v, (n,)) for k, v in dict(self.named_poses).items()}
        set_(self, "named_poses", poses)

    # ----------------------------------------------------------------- basic facts
    @property
    def dof(self) -> int:
        """Number of movable joints."""
        return len(self.joint_names)

    @property
    def finite_lower(self) -> np.ndarray:
        """Lower limits with continuous joints mapped to -pi (for sampling and clamping)."""
        return np.where(np.isfinite(self.lower), self.lower, -np.pi)

    @property
    def finite_upper(self) -> np.ndarray:
        """Upper limits with continuous joints mapped to +pi."""
        return np.where(np.isfinite(self.upper), self.upper, np.pi)

    def within_limits(self, q: np.ndarray, tol: float = 1e-9) -> np.ndarray:
        """``(N,)`` bool: each configuration of ``q`` ``(N, dof)`` lies inside the limits (+- tol)."""
        q = np.atleast_2d(q)
        return ((q >= self.lower - tol) & (q <= self.upper + tol)).all(axis=1)

    def clip(self, q: np.ndarray) -> np.ndarray:
        """Clamp ``q`` ``(..., dof)`` into the joint limits."""
        return np.clip(q, self.lower, self.upper)

    def reach(self) -> float:
        """An upper bound (m) on the distance from the base origin to the tip: sum of link offsets.

        Prismatic joints contribute their largest finite travel.
        """
        r = float(np.linalg.norm(self.fixed[0, :3, 3]))
        for i in range(1, self.dof):
            r += float(np.linalg.norm(self.fixed[i, :3, 3]))
        r += float(np.linalg.norm(self.tip[:3, 3]))
        pris = self.joint_types == PRISMATIC
        if pris.any():
            r += float(np.sum(np.maximum(np.abs(self.finite_lower), np.abs(self.finite_upper))[pris]))
        return r

    def pose(self, name: str) -> np.ndarray:
        """A named configuration ``(dof,)``, e.g. ``'home'`` or ``'ready'``."""
        try:
            return np.array(self.named_poses[name])
        except KeyError:
            raise IKLearnError(
                f"robot '{self.name}' has no named pose '{name}'; known: {sorted(self.named_poses)}"
            ) from None

    # ----------------------------------------------------------------- derived chains
    def with_tool(self, tool: np.ndarray, tip_link: str | None = None) -> "Chain":
        """A copy whose tip is moved by the fixed ``tool`` (4x4) transform, given in the current tip frame."""
        return self._replace(tip=self.tip @ np.asarray(tool, float), tip_link=tip_link or f"{self.tip_link}+tool")

    def with_limits(self, lower: np.ndarray, upper: np.ndarray) -> "Chain":
        """A copy with other joint limits."""
        return self._replace(lower=lower, upper=upper)

    def perturbed(
        self,
        joint_offsets: np.ndarray | float = 0.0,
        link_scale: np.ndarray | float | None = None,
        link_delta: np.ndarray | float = 0.0,
    ) -> "Chain":
        """A misspecified copy of this robot (for model-bias studies).

        Parameters
        ----------
        joint_offsets : (dof,) or scalar, rad (m for prismatic)
            Added to every joint's zero: the perturbed robot at ``q`` moves as this one at ``q + offset``.
        link_scale : (dof+1,) or scalar, optional
            Multiplies the translation of each fixed transform (``fixed[0..dof-1]`` then ``tip``).
        link_delta : (dof+1,) or scalar, m
            Lengthens each non-zero link translation by this many metres along its own direction
            (zero-length links stay zero).
        """
        n = self.dof
        off = np.broadcast_to(np.asarray(joint_offsets, float), (n,))
        fixed = np.array(self.fixed)
        tip = np.array(self.tip)
        trans = np.concatenate([fixed[:, :3, 3], tip[None, :3, 3]])
        if link_scale is not None:
            trans = trans * np.broadcast_to(np.asarray(link_scale, float), (n + 1,))[:, None]
        delta = np.broadcast_to(np.asarray(link_delta, float), (n + 1,))
        lengths = np.linalg.norm(trans, axis=1)
        nz = lengths > 1e-12
        trans[nz] *= ((lengths[nz] + delta[nz]) / lengths[nz])[:, None]
        fixed[:, :3, 3] = trans[:n]
        tip[:3, 3] = trans[n]
        # an offset of joint i is a motion M_i(off_i) applied before M_i(q_i); fold it into the frame that
        # follows joint i (fixed[i+1] or tip) from the left, which commutes with M_i for the same axis.
        for i in range(n):
            if off[i] != 0.0:
                M = joint_motion(self.axes[i], int(self.joint_types[i]), off[i])
                if i + 1 < n:
                    fixed[i + 1] = M @ fixed[i + 1]
                else:
                    tip = M @ tip
        return self._replace(fixed=fixed, tip=tip, name=f"{self.name}~perturbed")

    def _replace(self, **changes) -> "Chain":
        kw = {f: getattr(self, f) for f in self.__dataclass_fields__}
        kw.update(changes)
        return Chain(**kw)

    # ----------------------------------------------------------------- identity and serialisation
    def to_dict(self) -> dict:
        """A JSON-serialisable description (round-trips through :meth:`from_dict`)."""
        return {
            "name": self.name,
            "joint_names": list(self.joint_names),
            "joint_types": self.joint_types.tolist(),
            "fixed": self.fixed.tolist(),
            "axes": self.axes.tolist(),
            "tip": self.tip.tolist(),
            "lower": [float(x) for x in self.lower],
            "upper": [float(x) for x in self.upper],
            "base_link": self.base_link,
            "tip_link": self.tip_link,
            "named_poses": {k: v.tolist() for k, v in self.named_poses.items()},
        }

    @classmethod
    def from_dict(cls, d: Mapping) -> "Chain":
        """Inverse of :meth:`to_dict`."""
        try:
            return cls(
                name=d["name"],
                joint_names=tuple(d["joint_names"]),
                joint_types=np.asarray(d["joint_types"]),
                fixed=np.asarray(d["fixed"], float),
                axes=np.asarray(d["axes"], float),
                tip=np.asarray(d["tip"], float),
                lower=np.asarray(d["lower"], float),
                upper=np.asarray(d["upper"], float),
                base_link=d.get("base_link", "base"),
                tip_link=d.get("tip_link", "tip"),
                named_poses={k: np.asarray(v, float) for k, v in d.get("named_poses", {}).items()},
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise IKLearnError(f"invalid robot description: {exc}") from exc

    def fingerprint(self) -> str:
        """A short hash of the kinematic model (geometry and limits, not names): equal robots, equal hash."""
        h = hashlib.sha256()
        for a in (self.joint_types, self.fixed, self.axes, self.tip, self.lower, self.upper):
            h.update(np.round(np.asarray(a, float), 12).tobytes())
        return h.hexdigest()[:16]

    def __repr__(self) -> str:
        return f"Chain(name={self.name!r}, dof={self.dof}, base={self.base_link!r}, tip={self.tip_link!r})"

    def summary(self) -> str:
        """A human-readable table of the joints."""
        lines = [f"{self.name}: {self.dof} joints, {self.base_link} -> {self.tip_link}"]
        for i, nm in enumerate(self.joint_names):
            kind = "revolute" if self.joint_types[i] == REVOLUTE else "prismatic"
            lines.append(f"  {i}: {nm:<20s} {kind:<9s} [{self.lower[i]: .4f}, {self.upper[i]: .4f}]")
        return "\n".join(lines)
