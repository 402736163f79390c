"""The built-in robots, each with named poses, and :func:`load_robot` (catalogue name or URDF path)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Callable

import numpy as np

from iklearn.errors import LinkNotFoundError, UnknownRobotError
from iklearn.robot.chain import Chain
from iklearn.robot.dh import from_dh
from iklearn.robot.urdf import from_urdf

PI = np.pi
URDF_DIR = Path(__file__).parent / "urdf"


def _tz(d: float) -> np.ndarray:
    T = np.eye(4)
    T[2, 3] = d
    return T


def panda() -> Chain:
    """Franka Emika Panda, modified DH (Craig); tip = flange ``panda_link8``."""
    return from_dh(
        a=[0, 0, 0, 0.0825, -0.0825, 0, 0.088],
        d=[0.333, 0, 0.316, 0, 0.384, 0, 0],
        alpha=[0, -PI / 2, PI / 2, PI / 2, -PI / 2, PI / 2, PI / 2],
        convention="modified",
        lower=[-2.8973, -1.7628, -2.8973, -3.0718, -2.8973, -0.0175, -2.8973],
        upper=[2.8973, 1.7628, 2.8973, -0.0698, 2.8973, 3.7525, 2.8973],
        tool=_tz(0.107),
        name="panda",
        joint_names=[f"panda_joint{i}" for i in range(1, 8)],
        named_poses={
            "home": [0, 0, 0, -0.0698, 0, 0, 0],
            "ready": [0, -PI / 4, 0, -3 * PI / 4, 0, PI / 2, PI / 4],
            "extended": [0, 0, 0, -0.0698, 0, 1.571, 0.785],
        },
    )._replace(base_link="panda_link0", tip_link="panda_link8")


def panda_hand() -> Chain:
    """Panda with the hand's TCP: 0.1034 m along the flange z axis, rotated -pi/4 about z."""
    c, s = np.cos(-PI / 4), np.sin(-PI / 4)
    tcp = np.array([[c, -s, 0, 0], [s, c, 0, 0], [0, 0, 1, 0.1034], [0, 0, 0, 1.0]])
    return panda().with_tool(tcp, tip_link="panda_hand_tcp")._replace(name="panda_hand")


def panda_grasp() -> Chain:
    """Panda whose tip is the grasp target of PyBullet's ``franka_panda/panda.urdf`` (``panda_grasptarget``):
    0.105 m along the flange z axis, rotated -pi/4 about z; the tool frame of paper 003's experiments.
    Official joint limits (PyBullet's URDF carries the wider hardware ones)."""
    c, s = np.cos(-PI / 4), np.sin(-PI / 4)
    tcp = np.array([[c, -s, 0, 0], [s, c, 0, 0], [0, 0, 1, 0.105], [0, 0, 0, 1.0]])
    return panda().with_tool(tcp, tip_link="panda_grasptarget")._replace(name="panda_grasp")


def ur5() -> Chain:
    """Universal Robots UR5, standard DH, limits +-2 pi."""
    return from_dh(
        a=[0, -0.425, -0.39225, 0, 0, 0],
        d=[0.089159, 0, 0, 0.10915, 0.09465, 0.0823],
        alpha=[PI / 2, 0, 0, PI / 2, -PI / 2, 0],
        lower=[-2 * PI] * 6,
        upper=[2 * PI] * 6,
        name="ur5",
        joint_names=[
            "shoulder_pan_joint", "shoulder_lift_joint", "elbow_joint",
            "wrist_1_joint", "wrist_2_joint", "wrist_3_joint",
        ],
        named_poses={"home": [0] * 6, "up": [0, -PI / 2, 0, -PI / 2, 0, 0], "ready": [0, -PI / 2, PI / 2, -PI / 2, -PI / 2, 0]},
    )


def puma560() -> Chain:
    """PUMA 560, standard DH."""
    lim = np.deg2rad([160, 110, 135, 266, 100, 266])
    return from_dh(
        a=[0, 0.4318, 0.0203, 0, 0, 0],
        d=[0.6718, 0, 0.15005, 0.4318, 0, 0],
        alpha=[PI / 2, 0, -PI / 2, PI / 2, -PI / 2, 0],
        lower=-lim,
        upper=lim,
        name="puma560",
        named_poses={"home": [0] * 6, "ready": [0, PI / 2, -PI / 2, 0, 0, 0], "stretch": [0, 0, -PI / 2, 0, 0, 0]},
    )


def iiwa14() -> Chain:
    """KUKA LBR iiwa 14 R820, standard DH, tip = flange."""
    lim = np.deg2rad([170, 120, 170, 120, 170, 120, 175])
    return from_dh(
        a=[0] * 7,
        d=[0.36, 0, 0.42, 0, 0.4, 0, 0.126],
        alpha=[-PI / 2, PI / 2, PI / 2, -PI / 2, -PI / 2, PI / 2, 0],
        lower=-lim,
        upper=lim,
        name="iiwa14",
        joint_names=[f"iiwa_joint_{i}" for i in range(1, 8)],
        named_poses={"home": [0] * 7, "ready": [0, PI / 6, 0, -PI / 2, 0, PI / 3, 0]},
    )


def arm4() -> Chain:
    """The 4-DOF arm of paper 001: z at 0.1 m, then y, x, z joints 0.2 m apart; tip = link-4 origin."""
    T = [_tz(0.1), _tz(0.2), _tz(0.2), _tz(0.2)]
    return Chain(
        name="arm4",
        joint_names=("joint1", "joint2", "joint3", "joint4"),
        joint_types=np.zeros(4, int),
        fixed=np.array(T),
        axes=np.array([[0, 0, 1], [0, 1, 0], [1, 0, 0], [0, 0, 1.0]]),
        tip=np.eye(4),
        lower=np.full(4, -PI),
        upper=np.full(4, PI),
        base_link="base",
        tip_link="link4",
        named_poses={"home": np.zeros(4), "bent": np.array([0.3, 0.6, -0.4, 0.2])},
    )


def _planar(name: str, lengths: list[float], lower, upper, poses: dict, along: str = "x") -> Chain:
    n = len(lengths)
    idx = 0 if along == "x" else 1
    fixed = np.tile(np.eye(4), (n, 1, 1))
    for i in range(1, n):
        fixed[i, idx, 3] = lengths[i - 1]
    tip = np.eye(4)
    tip[idx, 3] = lengths[-1]
    return Chain(
        name=name,
        joint_names=tuple(f"joint{i + 1}" for i in range(n)),
        joint_types=np.zeros(n, int),
        fixed=fixed,
        axes=np.tile([0, 0, 1.0], (n, 1)),
        tip=tip,
        lower=np.asarray(lower, float),
        upper=np.asarray(upper, float),
        base_link="base",
        tip_link="tip",
        named_poses=poses,
    )


def planar2() -> Chain:
    """Planar 2R arm, links 1.0 and 0.7 m along x at q = 0 (closed-form IK for tests)."""
    return _planar("planar2", [1.0, 0.7], [-PI, -PI], [PI, PI], {"home": [0, 0], "elbow": [0.5, 1.0]})


def planar3() -> Chain:
    """Planar 3R arm, links 1.0, 0.8, 0.5 m along x at q = 0."""
    return _planar("planar3", [1.0, 0.8, 0.5], [-PI] * 3, [PI] * 3, {"home": [0, 0, 0], "bent": [0.3, 0.8, -0.6]})


def planar5() -> Chain:
    """The 5-DoF planar arm of paper 003: links of 2 m along y at q = 0 (tip at (0, 10)); pose (x, y, yaw)."""
    return _planar(
        "planar5",
        [2.0] * 5,
        [0, -PI, -PI / 2, -PI, -PI / 2],
        [PI, 0, PI / 2, 0, PI / 2],
        {"home": [0] * 5, "bent": [PI / 2, -PI / 2, 0.3, -0.5, 0.2]},
        along="y",
    )


def snake24() -> Chain:
    """A long redundant chain for the LWPR experiments (002): 24 revolute joints, axes alternating z, y, x,
    links of 0.05 m along z; limits +-pi/2. 3D position tasks leave 21 redundant DOF."""
    n = 24
    fixed = np.tile(np.eye(4), (n, 1, 1))
    fixed[:, 2, 3] = 0.05
    fixed[0, 2, 3] = 0.1
    ax = np.array([[0, 0, 1.0], [0, 1.0, 0], [1.0, 0, 0]])
    bent = np.tile([0.0, 0.25, 0.1], n // 3)
    return Chain(
        name="snake24",
        joint_names=tuple(f"joint{i + 1}" for i in range(n)),
        joint_types=np.zeros(n, int),
        fixed=fixed,
        axes=ax[np.arange(n) % 3],
        tip=_tz(0.05),
        lower=np.full(n, -PI / 2),
        upper=np.full(n, PI / 2),
        base_link="base",
        tip_link="tip",
        named_poses={"home": np.zeros(n), "bent": bent},
    )


def arm5() -> Chain:
    """A 5-DOF arm (under-actuated for 6-D pose targets), from the URDF shipped with iklearn."""
    c = from_urdf(URDF_DIR / "arm5.urdf", "base_link", "tool_link", name="arm5")
    return c._replace(named_poses={"home": np.zeros(5), "ready": np.array([0.0, 0.4, 0.8, 0.4, 0.0])})


CATALOGUE: dict[str, Callable[[], Chain]] = {
    "panda": panda,
    "panda_hand": panda_hand,
    "panda_grasp": panda_grasp,
    "ur5": ur5,
    "puma560": puma560,
    "iiwa14": iiwa14,
    "arm4": arm4,
    "arm5": arm5,
    "planar2": planar2,
    "planar3": planar3,
    "planar5": planar5,
    "snake24": snake24,
}


@lru_cache(maxsize=None)
def _builtin(name: str) -> Chain:
    return CATALOGUE[name]()


def list_robots() -> list[str]:
    """Names of the built-in robots."""
    return sorted(CATALOGUE)


def load_robot(name_or_path: str | Path, base_link: str | None = None, tip_link: str | None = None) -> Chain:
    """A built-in robot by name, or a URDF file by path (with optional base and tip links).

    Raises :class:`~iklearn.errors.UnknownRobotError` for a name that is neither, and
    :class:`~iklearn.errors.LinkNotFoundError` for base or tip links other than a built-in robot's own.
    """
    if isinstance(name_or_path, Chain):
        return name_or_path
    s = str(name_or_path)
    if s in CATALOGUE:
        c = _builtin(s)
        if base_link in (None, c.base_link) and tip_link in (None, c.tip_link):
            return c
        raise LinkNotFoundError(
            f"'{s}' is a built-in robot with the fixed chain {c.base_link} -> {c.tip_link}; other base and tip "
            "links (--base/--tip, base_link=/tip_link=) can be chosen in a URDF file only"
        )
    if s.lower().endswith((".urdf", ".xml")) or Path(s).is_file():
        return from_urdf(s, base_link, tip_link)
    raise UnknownRobotError(f"unknown robot '{s}'; built-in robots: {', '.join(list_robots())}, or a URDF path")
