"""How an arm is drawn in a viser scene: from the URDF's visual meshes, or as capsules between joint frames.

Both drawers put the chain's base frame at their root node and move with :meth:`set_q` (the chain's joint
values, ``(dof,)`` rad / m). Meshes come from a URDF with visual geometry (viser's ``ViserUrdf``, on yourdfpy
and trimesh); the built-in Panda and UR5 take theirs from the ``example-robot-data`` package where it is
installed. A mesh URDF is used only when its forward kinematics from base to tip agree with the chain's
(:func:`mesh_urdf_for` checks), so the drawn arm is the one the solver moves.
"""

from __future__ import annotations

import importlib.metadata
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from iklearn.kinematics import fk
from iklearn.kinematics.pose import rotation_to_quat
from iklearn.robot.chain import Chain, joint_motion

#: Built-in robots whose kinematics equal a URDF of example-robot-data: (file, base link, tip link).
ERD_VISUALS = {
    "panda": ("panda_description/urdf/panda.urdf", "panda_link0", "panda_link8"),
    "panda_hand": ("panda_description/urdf/panda.urdf", "panda_link0", "panda_hand_tcp"),
    "ur5": ("ur_description/urdf/ur5_robot.urdf", "base", "tool0"),
}
#: Largest base-to-tip disagreement (m, and entries of the rotation matrix) for a URDF's meshes to be used.
MESH_FK_TOL = 1e-6


def wxyz(R: np.ndarray) -> np.ndarray:
    """viser's scalar-first quaternion of a rotation matrix ``(3, 3)``."""
    x, y, z, w = rotation_to_quat(R)
    return np.array([w, x, y, z])


def _erd_file(rel: str) -> Path | None:
    try:
        dist = importlib.metadata.distribution("example-robot-data")
    except importlib.metadata.PackageNotFoundError:
        return None
    p = Path(str(dist.locate_file(f"cmeel.prefix/share/example-robot-data/robots/{rel}")))
    return p if p.is_file() else None


@dataclass(frozen=True)
class MeshSource:
    """A URDF with visual meshes and the links the chain runs between in it."""

    urdf: Path
    base_link: str
    tip_link: str


def _load_urdf(path: Path, meshes: bool):
    from functools import partial

    import yourdfpy

    return yourdfpy.URDF.load(path, build_scene_graph=True, load_meshes=meshes,
                              filename_handler=partial(yourdfpy.filename_handler_magic, dir=path.parent))


def _urdf_cfg(urdf, chain: Chain, q: np.ndarray) -> np.ndarray:
    """The URDF's actuated-joint vector for the chain's ``q``: chain joints by name, the others at 0 clipped
    into their limits (e.g. the Panda's fingers)."""
    by_name = dict(zip(chain.joint_names, q))
    cfg = np.zeros(len(urdf.actuated_joint_names))
    for i, (name, joint) in enumerate(zip(urdf.actuated_joint_names, urdf.actuated_joints)):
        if name in by_name:
            cfg[i] = by_name[name]
        elif joint.limit is not None and joint.limit.lower is not None and joint.limit.upper is not None:
            cfg[i] = np.clip(0.0, joint.limit.lower, joint.limit.upper)
    return cfg


def mesh_urdf_for(chain: Chain, urdf: str | os.PathLike | None = None, n_checks: int = 5) -> MeshSource | None:
    """The URDF whose meshes draw ``chain``, or None (draw capsules).

    ``urdf`` is the file the chain was read from (base and tip links as in the chain); without it, a built-in
    robot of :data:`ERD_VISUALS` takes example-robot-data's file when that package is installed. The URDF
    is kept only when it has visual meshes, names every chain joint, and its base-to-tip transform equals
    the chain's forward kinematics (within :data:`MESH_FK_TOL`) at ``n_checks`` random configurations.
    """
    if urdf is not None:
        src = MeshSource(Path(urdf), chain.base_link, chain.tip_link)
    elif chain.name in ERD_VISUALS:
        rel, base, tip = ERD_VISUALS[chain.name]
        path = _erd_file(rel)
        if path is None:
            return None
        src = MeshSource(path, base, tip)
    else:
        return None
    try:
        u = _load_urdf(src.urdf, meshes=False)
    except Exception:  # yourdfpy raises many kinds on a file it cannot use; then draw capsules
        return None
    if not any(link.visuals for link in u.robot.links) or not set(chain.joint_names) <= set(u.actuated_joint_names):
        return None
    if src.base_link not in u.link_map or src.tip_link not in u.link_map:
        return None
    rng = np.random.default_rng(0)
    for _ in range(n_checks):
        q = rng.uniform(chain.finite_lower, chain.finite_upper)
        u.update_cfg(_urdf_cfg(u, chain, q))
        if np.abs(u.get_transform(src.tip_link, src.base_link) - fk(chain, q)).max() > MESH_FK_TOL:
            return None
    return src


class _Arm:
    """What both drawers share: a root scene node whose visibility is the arm's."""

    root = None

    @property
    def visible(self) -> bool:
        return bool(self.root.visible)

    @visible.setter
    def visible(self, v: bool) -> None:
        self.root.visible = bool(v)


class MeshArm(_Arm):
    """The arm drawn from a URDF's visual meshes, under scene node ``root`` (the chain's base frame).

    ``color`` (RGB 0-1, optional) with ``opacity`` draws every mesh in one colour (ghost arms).
    """

    def __init__(self, server, chain: Chain, source: MeshSource, root: str, *, color=None, opacity: float = 1.0,
                 urdf=None) -> None:
        from viser.extras import ViserUrdf

        self.chain = chain
        self.urdf = urdf if urdf is not None else _load_urdf(source.urdf, meshes=True)
        self.root = server.scene.add_frame(root, show_axes=False)
        # the URDF's root link sits where the chain's base link sees it
        self.urdf.update_cfg(_urdf_cfg(self.urdf, chain, np.zeros(chain.dof)))
        T_base_root = np.linalg.inv(self.urdf.get_transform(source.base_link, self.urdf.base_link))
        offset = server.scene.add_frame(f"{root}/urdf_root", show_axes=False,
                                        wxyz=wxyz(T_base_root[:3, :3]), position=T_base_root[:3, 3])
        override = None if color is None else (*map(float, color), float(opacity))
        self._viser = ViserUrdf(server, self.urdf, root_node_name=offset.name, mesh_color_override=override)
        self._nodes = [self.root, offset]

    def set_q(self, q: np.ndarray) -> None:
        """Move to the chain's joint values ``q`` ``(dof,)``."""
        self._viser.update_cfg(_urdf_cfg(self.urdf, self.chain, np.asarray(q, float)))


    def remove(self) -> None:
        self._viser.remove()
        for n in reversed(self._nodes):
            n.remove()


def capsule_radius(chain: Chain) -> float:
    """Link radius (m) that reads well at the robot's size: 2.5 % of its reach, at least 5 mm."""
    return max(0.005, 0.025 * chain.reach())


class CapsuleArm(_Arm):
    """The arm drawn from its kinematics: one scene frame per joint (nested, so a move sets ``dof`` local
    transforms), a capsule from each joint origin to the next, and a short wide cylinder along each joint's
    axis. Colours are RGB 0-255."""

    LINK = (190, 195, 205)
    JOINT = (70, 120, 200)

    def __init__(self, server, chain: Chain, root: str, *, color=None, opacity: float = 1.0,
                 radius: float | None = None) -> None:
        self.chain = chain
        r = radius if radius is not None else capsule_radius(chain)
        link = tuple(int(c) for c in (color if color is not None else self.LINK))
        joint = tuple(int(c) for c in (color if color is not None else self.JOINT))
        op = None if opacity >= 1.0 else float(opacity)
        scene = server.scene
        self.root = scene.add_frame(root, show_axes=False)
        self._frames = []
        parent = root
        offsets = [chain.fixed[k, :3, 3] for k in range(chain.dof)] + [chain.tip[:3, 3]]
        self._add_link(scene, parent, np.zeros(3), offsets[0], r, link, op)
        for k in range(chain.dof):
            parent = f"{parent}/j{k}"
            frame = scene.add_frame(parent, show_axes=False)
            self._frames.append(frame)
            self._add_joint(scene, parent, chain.axes[k], int(chain.joint_types[k]), r, joint, op)
            self._add_link(scene, parent, np.zeros(3), offsets[k + 1], r, link, op)
        self.set_q(np.clip(np.zeros(chain.dof), chain.lower, chain.upper))

    @staticmethod
    def _add_link(scene, parent: str, a: np.ndarray, b: np.ndarray, r: float, color, opacity) -> None:
        d = b - a
        length = float(np.linalg.norm(d))
        scene.add_icosphere(f"{parent}/ball", radius=0.8 * r, color=color, opacity=opacity, position=a)
        if length < 1e-9:
            return
        scene.add_cylinder(f"{parent}/link", radius=0.8 * r, height=length, color=color, opacity=opacity,
                           wxyz=wxyz(_z_to(d / length)), position=(a + b) / 2)

    @staticmethod
    def _add_joint(scene, parent: str, axis: np.ndarray, kind: int, r: float, color, opacity) -> None:
        h, rad = (2.6 * r, 1.15 * r) if kind == 0 else (3.5 * r, 0.6 * r)
        scene.add_cylinder(f"{parent}/joint", radius=rad, height=h, color=color, opacity=opacity,
                           wxyz=wxyz(_z_to(axis)))

    def set_q(self, q: np.ndarray) -> None:
        """Move to joint values ``q`` ``(dof,)``: frame ``k`` gets ``fixed[k] @ motion_k(q_k)``."""
        c = self.chain
        for k, frame in enumerate(self._frames):
            L = c.fixed[k] @ joint_motion(c.axes[k], int(c.joint_types[k]), float(q[k]))
            frame.wxyz = wxyz(L[:3, :3])
            frame.position = L[:3, 3]


    def remove(self) -> None:
        self.root.remove()


def _z_to(d: np.ndarray) -> np.ndarray:
    """A rotation ``(3, 3)`` taking the z axis to the unit vector ``d``."""
    z = np.array([0.0, 0.0, 1.0])
    v = np.cross(z, d)
    s, c = float(np.linalg.norm(v)), float(np.dot(z, d))
    if s < 1e-12:
        return np.eye(3) if c > 0 else np.diag([1.0, -1.0, -1.0])
    from scipy.spatial.transform import Rotation

    return Rotation.from_rotvec(v / s * np.arctan2(s, c)).as_matrix()


def make_arm(server, chain: Chain, root: str, source: MeshSource | None, *, color=None, opacity: float = 1.0,
             urdf=None):
    """A :class:`MeshArm` when ``source`` is given, else a :class:`CapsuleArm`. ``color`` is RGB 0-1."""
    if source is not None:
        return MeshArm(server, chain, source, root, color=color, opacity=opacity, urdf=urdf)
    rgb = None if color is None else tuple(int(round(255 * c)) for c in color)
    return CapsuleArm(server, chain, root, color=rgb, opacity=opacity)
