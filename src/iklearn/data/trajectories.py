"""Test trajectories for IK tracking: figure eight, circle and spiral, in a plane or in 3D.

A curve lives in a plane spanned by two orthonormal axes ``(u, v)`` through ``center`` (normal
``n = u x v``); the spiral also rises along ``n``. Orientation profiles, applied to a base rotation ``R0``:

- ``'constant'``: ``R = R0`` all along;
- ``'tangent'``: yaw follows the direction of travel, ``R = Rot(n, heading) R0`` with ``heading`` the angle of
  the tangent from ``u`` (unwrapped, so it is continuous);
- ``'tilt'``: sinusoidal tilt about ``u``, ``R = Rot(u, A sin(2 pi k s)) R0`` (``A = tilt_amplitude`` rad,
  ``k = tilt_cycles``, ``s`` in [0, 1) the curve parameter).

Closed curves (eight, circle) sample ``s = i / n`` (the start point is not repeated); the spiral is open and
samples ``s = i / (n - 1)``. Times are ``duration * s``. Units: metres, radians, seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.spatial.transform import Rotation

from iklearn._io import atomic_path
from iklearn.data.sampling import DataArgumentError, check_size
from iklearn.errors import DataFormatError
from iklearn.kinematics.pose import encode, matrix_to_pose7

PLANES = {"xy": ((1, 0, 0), (0, 1, 0)), "xz": ((1, 0, 0), (0, 0, 1)), "yz": ((0, 1, 0), (0, 0, 1))}
PROFILES = ("constant", "tangent", "tilt")
CSV_COLUMNS = ("t", "x", "y", "z", "qx", "qy", "qz", "qw")


@dataclass(frozen=True, eq=False)
class Trajectory:
    """A timed sequence of end-effector poses.

    Attributes
    ----------
    name : str
    times : (T,) seconds, increasing
    poses : (T, 4, 4) homogeneous poses in the robot base frame (m)
    """

    name: str
    times: np.ndarray
    poses: np.ndarray

    def __post_init__(self) -> None:
        t = np.asarray(self.times, float)
        P = np.asarray(self.poses, float)
        if t.ndim != 1 or P.shape != (t.shape[0], 4, 4):
            raise DataArgumentError(f"trajectory needs times (T,) and poses (T, 4, 4), got {t.shape}, {P.shape}")
        object.__setattr__(self, "times", t)
        object.__setattr__(self, "poses", P)

    def __len__(self) -> int:
        return self.times.shape[0]

    @property
    def positions(self) -> np.ndarray:
        """(T, 3) positions (m)."""
        return self.poses[:, :3, 3].copy()

    @property
    def pose7(self) -> np.ndarray:
        """(T, 7) ``[x, y, z, qx, qy, qz, qw]``."""
        return matrix_to_pose7(self.poses)

    def encode(self, kind: str = "quat") -> np.ndarray:
        """Poses as feature rows (see :func:`iklearn.kinematics.encode`, e.g. ``'planar'`` -> (T, 3))."""
        return encode(self.poses, kind)

    def save_csv(self, path: str | Path) -> Path:
        """Write ``t,x,y,z,qx,qy,qz,qw`` rows (atomically), with the name in a ``# name=`` comment line."""
        rows = np.column_stack([self.times, self.pose7])
        with atomic_path(path) as tmp:
            with open(tmp, "w", encoding="utf-8") as f:
                f.write(f"# name={self.name}\n")
                f.write(",".join(CSV_COLUMNS) + "\n")
                np.savetxt(f, rows, delimiter=",", fmt="%.17g")
        return Path(path)


def load_csv(path: str | Path, name: str | None = None) -> Trajectory:
    """Read a trajectory written by :meth:`Trajectory.save_csv` (or any CSV with those 8 columns).

    Also accepts position-only files with columns ``t,x,y,z`` (identity orientation).
    """
    p = Path(path)
    if not p.is_file():
        raise DataFormatError(f"trajectory file {p} does not exist")
    lines = p.read_text(encoding="utf-8").splitlines()
    for ln in lines:
        if ln.startswith("# name=") and name is None:
            name = ln[len("# name="):].strip()
    body = [ln for ln in lines if ln.strip() and not ln.startswith("#")]
    if not body:
        raise DataFormatError(f"{p}: empty trajectory file")
    header = [h.strip() for h in body[0].split(",")]
    if tuple(header) not in (CSV_COLUMNS, CSV_COLUMNS[:4]):
        raise DataFormatError(f"{p}: expected columns {','.join(CSV_COLUMNS)} (or t,x,y,z), got {','.join(header)}")
    try:
        a = np.loadtxt(body[1:], delimiter=",", ndmin=2)
    except ValueError as exc:
        raise DataFormatError(f"{p}: not numeric CSV: {exc}") from None
    if a.shape[0] == 0 or a.shape[1] != len(header) or not np.isfinite(a).all():
        raise DataFormatError(f"{p}: rows must hold {len(header)} finite numbers")
    T = np.tile(np.eye(4), (a.shape[0], 1, 1))
    T[:, :3, 3] = a[:, 1:4]
    if len(header) == 8:
        n = np.linalg.norm(a[:, 4:8], axis=1)
        if (np.abs(n - 1) > 0.1).any():
            raise DataFormatError(f"{p}: quaternions are not unit length")
        T[:, :3, :3] = Rotation.from_quat(a[:, 4:8]).as_matrix()
    return Trajectory(name or p.stem, a[:, 0], T)


# ---------------------------------------------------------------------------------------------- helpers
def _axes(plane, normal) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Orthonormal (u, v, n) from a plane name, a pair of axes, or a normal vector."""
    if normal is not None:
        n = np.asarray(normal, float).reshape(3)
        if not np.isfinite(n).all() or np.linalg.norm(n) < 1e-12:
            raise DataArgumentError(f"plane normal must be a finite non-zero 3-vector, got {normal!r}")
        n = n / np.linalg.norm(n)
        # u: the world axis least aligned with n, projected into the plane (deterministic)
        e = np.eye(3)[int(np.argmin(np.abs(n)))]
        u = e - n * (e @ n)
        u /= np.linalg.norm(u)
        return u, np.cross(n, u), n
    if isinstance(plane, str):
        if plane not in PLANES:
            raise DataArgumentError(f"unknown plane {plane!r}; expected one of {', '.join(PLANES)} or two axes")
        plane = PLANES[plane]
    a = np.asarray(plane, float)
    if a.shape != (2, 3) or not np.isfinite(a).all():
        raise DataArgumentError("plane must be 'xy', 'xz', 'yz' or two 3-vectors (u, v)")
    u = a[0] / np.linalg.norm(a[0])
    v = a[1] - u * (a[1] @ u)
    if np.linalg.norm(v) < 1e-9:
        raise DataArgumentError("plane axes u and v must not be parallel")
    v /= np.linalg.norm(v)
    return u, v, np.cross(u, v)


def _base_rotation(rotation) -> np.ndarray:
    if rotation is None:
        return np.eye(3)
    R = np.asarray(rotation, float)
    if R.shape == ():
        return Rotation.from_euler("z", float(R)).as_matrix()  # a scalar is a yaw about the base z
    if R.shape != (3, 3) or np.abs(R.T @ R - np.eye(3)).max() > 1e-6 or np.linalg.det(R) < 0:
        raise DataArgumentError("rotation must be a yaw angle (rad) or a proper 3x3 rotation matrix")
    return R


def _assemble(name, s, duration, points, tangents, u, n, rotation, orientation, tilt_amplitude, tilt_cycles):
    if orientation not in PROFILES:
        raise DataArgumentError(f"unknown orientation profile {orientation!r}; expected one of {', '.join(PROFILES)}")
    if not (np.isfinite(duration) and duration > 0):
        raise DataArgumentError(f"duration must be > 0 s, got {duration!r}")
    R0 = _base_rotation(rotation)
    T = np.tile(np.eye(4), (len(s), 1, 1))
    T[:, :3, 3] = points
    if orientation == "constant":
        T[:, :3, :3] = R0
    elif orientation == "tangent":
        v = np.cross(n, u)
        heading = np.unwrap(np.arctan2(tangents @ v, tangents @ u))
        T[:, :3, :3] = Rotation.from_rotvec(heading[:, None] * n).as_matrix() @ R0
    else:
        ang = tilt_amplitude * np.sin(2 * np.pi * tilt_cycles * s)
        T[:, :3, :3] = Rotation.from_rotvec(ang[:, None] * u).as_matrix() @ R0
    return Trajectory(name, duration * s, T)


def _param(n: int, closed: bool) -> np.ndarray:
    n = check_size(n, "n")
    if closed:
        return np.arange(n) / n
    return np.linspace(0.0, 1.0, n) if n > 1 else np.zeros(1)


def _center(center) -> np.ndarray:
    c = np.asarray(center, float).reshape(-1)
    if c.shape == (2,):
        c = np.append(c, 0.0)
    if c.shape != (3,) or not np.isfinite(c).all():
        raise DataArgumentError(f"center must be (x, y) or (x, y, z), got {center!r}")
    return c


def _positive(x, name):
    a = np.atleast_1d(np.asarray(x, float))
    if not np.isfinite(a).all() or (a <= 0).any():
        raise DataArgumentError(f"{name} must be > 0, got {x!r}")
    return a


# ---------------------------------------------------------------------------------------------- curves
def eight(center=(0.0, 0.0, 0.0), size=(1.0, 0.5), *, n: int = 200, duration: float = 10.0, cycles: float = 1,
          plane="xy", normal=None, rotation=None, orientation: str = "constant", tilt_amplitude: float = 0.2,
          tilt_cycles: float = 1.0, name: str = "eight") -> Trajectory:
    """Figure eight (lemniscate of Gerono) ``c + a sin(th) u + b sin(2 th) v``, ``th = 2 pi cycles s``.

    Parameters
    ----------
    center : (3,) or (2,) m
    size : (a, b) or scalar, m: half-width along ``u`` and half-height along ``v``
    n : number of points; duration : s; cycles : laps of the eight
    plane : 'xy' | 'xz' | 'yz' | ((u), (v)); normal : (3,) overrides ``plane``
    rotation : yaw (rad) or (3, 3) base orientation ``R0``; orientation : 'constant' | 'tangent' | 'tilt'

    Returns
    -------
    Trajectory with ``n`` poses.
    """
    a, b = np.broadcast_to(_positive(size, "size"), (2,))
    u, v, nn = _axes(plane, normal)
    s = _param(n, closed=True)
    th = 2 * np.pi * cycles * s
    pts = _center(center) + np.outer(a * np.sin(th), u) + np.outer(b * np.sin(2 * th), v)
    tan = np.outer(a * np.cos(th), u) + np.outer(2 * b * np.cos(2 * th), v)
    return _assemble(name, s, duration, pts, tan, u, nn, rotation, orientation, tilt_amplitude, tilt_cycles)


def circle(center=(0.0, 0.0, 0.0), radius: float = 1.0, *, n: int = 200, duration: float = 10.0,
           cycles: float = 1, plane="xy", normal=None, rotation=None, orientation: str = "constant",
           tilt_amplitude: float = 0.2, tilt_cycles: float = 1.0, phase: float = 0.0,
           name: str = "circle") -> Trajectory:
    """Circle ``c + r (cos th u + sin th v)``, ``th = phase + 2 pi cycles s`` (counter-clockwise about n).

    Parameters as in :func:`eight`; ``radius`` in m, ``phase`` (rad) the start angle from ``u``.
    """
    r = float(_positive(radius, "radius")[0])
    u, v, nn = _axes(plane, normal)
    s = _param(n, closed=True)
    th = phase + 2 * np.pi * cycles * s
    pts = _center(center) + r * (np.outer(np.cos(th), u) + np.outer(np.sin(th), v))
    tan = np.outer(-np.sin(th), u) + np.outer(np.cos(th), v)
    return _assemble(name, s, duration, pts, tan, u, nn, rotation, orientation, tilt_amplitude, tilt_cycles)


def spiral(center=(0.0, 0.0, 0.0), radius: float = 1.0, height: float = 1.0, *, n: int = 200,
           duration: float = 10.0, cycles: float = 2, plane="xy", normal=None, rotation=None,
           orientation: str = "constant", tilt_amplitude: float = 0.2, tilt_cycles: float = 1.0,
           phase: float = 0.0, name: str = "spiral") -> Trajectory:
    """Helix ``c + r (cos th u + sin th v) + height s n``: ``cycles`` turns rising ``height`` m along n.

    ``center`` is the centre of the bottom turn; ``height`` may be negative (descending). Open curve:
    the first point is at ``s = 0`` and the last at ``s = 1``. Other parameters as in :func:`circle`.
    """
    r = float(_positive(radius, "radius")[0])
    if not np.isfinite(height):
        raise DataArgumentError(f"height must be finite, got {height!r}")
    u, v, nn = _axes(plane, normal)
    s = _param(n, closed=False)
    th = phase + 2 * np.pi * cycles * s
    pts = _center(center) + r * (np.outer(np.cos(th), u) + np.outer(np.sin(th), v)) + np.outer(height * s, nn)
    tan = np.outer(-np.sin(th), u) + np.outer(np.cos(th), v)
    return _assemble(name, s, duration, pts, tan, u, nn, rotation, orientation, tilt_amplitude, tilt_cycles)


# ---------------------------------------------------------------------------------------------- paper 003
#: Our reading of the CRiSP (paper 003) test trajectories; the paper gives only part of these numbers.
CRISP_TRAJECTORIES: dict[str, str] = {
    "planar_eight": "planar5: eight centred (0, 1) m, half-sizes 2 x 1 m, yaw following the tangent",
    "planar_circle": "planar5: circle centred (0, 6) m, radius 2.5 m (top at 8.5 m of the 10 m reach), yaw 0",
    "S": "panda_grasp: spiral, radius 3 cm, 6 turns about the base y axis, y 0.42 -> 0.48 -> 0.42 m, centre "
         "(0, 0.45, 0.044) m, tool pointing down",
    "C0": "panda_grasp: circle, radius 3 cm, in the vertical plane y = 0.55 m about (0, 0.55, 0.044) m, tool down",
    "C-pi/4": "panda_grasp: the C0 circle with the tool tilted -pi/4 about the base -y axis (the paper's world z)",
    "C+pi/4": "panda_grasp: the C0 circle with the tool tilted +pi/4 about the base -y axis (the paper's world z)",
}
_ALIASES = {"eight": "planar_eight", "circle": "planar_circle", "spiral": "S", "s": "S", "c0": "C0",
            "c-pi/4": "C-pi/4", "c+pi/4": "C+pi/4", "cpi/4": "C+pi/4"}
#: Robot each CRiSP trajectory is meant for (built-in name; Panda poses are of PyBullet's grasp target).
CRISP_ROBOT = {"planar_eight": "planar5", "planar_circle": "planar5", "S": "panda_grasp", "C0": "panda_grasp",
               "C-pi/4": "panda_grasp", "C+pi/4": "panda_grasp"}

#: The paper's world frame is PyBullet's y-up frame with the Panda base turned by -pi/2 about x
#: (quaternion [-0.7071, 0, 0, 0.7071] in the authors' code): world = PAPER_WORLD @ base.
PAPER_WORLD = Rotation.from_euler("x", -np.pi / 2).as_matrix()
#: Centres of the circle and of the spiral in the paper's world frame (m): [0, 4.4, -55] cm and [0, 4.4, -45] cm.
CIRCLE_CENTER_WORLD = np.array([0.0, 0.044, -0.55])
SPIRAL_CENTER_WORLD = np.array([0.0, 0.044, -0.45])


def paper_world_to_base(p_world: np.ndarray, R_world: np.ndarray | None = None):
    """Positions ``(..., 3)`` (and rotations ``(..., 3, 3)``) from the paper's world frame to the Panda base frame."""
    p = np.asarray(p_world, float) @ PAPER_WORLD  # = PAPER_WORLD.T @ p for each row
    if R_world is None:
        return p
    return p, PAPER_WORLD.T @ np.asarray(R_world, float)


def crisp_orientation(yaw: float) -> np.ndarray:
    """Tool orientation (3, 3) in the base frame for the paper's world Euler angles ``(pi/2, 0, yaw)``:
    yaw 0 points the tool down; +-pi/4 tilt it about the world z axis (the base -y axis)."""
    Rw = Rotation.from_euler("xyz", [np.pi / 2, 0.0, yaw]).as_matrix()  # PyBullet's getQuaternionFromEuler
    return paper_world_to_base(np.zeros(3), Rw)[1]


def crisp_trajectory(name: str, n: int = 100, duration: float = 10.0) -> Trajectory:
    """The test trajectories of paper 003 (CRiSP), as we read them.

    Names: ``'planar_eight'``, ``'planar_circle'`` (5-DoF planar arm, pose (x, y, yaw)); ``'S'``,
    ``'C0'``, ``'C-pi/4'``, ``'C+pi/4'`` (Panda grasp target, robot ``panda_grasp``, base frame).
    See :data:`CRISP_TRAJECTORIES`.

    Readings where the paper is vague (Sec. 4.2), filled from the authors' released code
    (github.com/gmmarconi/CRiSP-for-Misspecified-Robot-Model, ``generate_trajectory`` and ``panda_demo.py``):

    - The circle centre "[0.0, 4.4, -55] cm" is in PyBullet's y-up world frame, where the Panda base is turned
      by -pi/2 about x: in the base frame it is (0, 0.55, 0.044) m and the circle (radius 3 cm, in the world
      x-y plane) lies in the vertical plane y = 0.55 m. The tool is PyBullet's ``panda_grasptarget``.
    - Orientations are world Euler angles ``(pi/2, 0, yaw)``: yaw 0 (C0) points the tool down; the training
      orientations +-pi/4 "with respect to the z axis of the world" turn it about the world z axis, i.e. tilt
      the tool by 45 degrees about the base -y axis.
    - The spiral (radius 3 cm, "height" 6 cm along the world z axis = the base -y axis) is centred at world
      (0, 0.044, -0.45) m, makes 6 turns, and goes from y = 0.42 to 0.48 m over its first half and back;
      the tool points down.
    - The planar eight is "well within the workspace" and the circle "closer to the boundary": we place
      the eight where uniform joint samples are densest and the circle's top 1.5 m from the 10 m reach;
      every point of both was checked reachable inside the joint limits with the LM solver.
    """
    key = _ALIASES.get(str(name).lower(), name)
    if key not in CRISP_TRAJECTORIES:
        raise DataArgumentError(f"unknown CRiSP trajectory {name!r}; expected one of {', '.join(CRISP_TRAJECTORIES)}")
    if key == "planar_eight":
        return eight((0.0, 1.0), (2.0, 1.0), n=n, duration=duration, orientation="tangent", name=key)
    if key == "planar_circle":
        return circle((0.0, 6.0), 2.5, n=n, duration=duration, rotation=0.0, name=key)
    if key == "S":
        s = _param(n, closed=False)
        th = 2 * np.pi * 6 * s
        cw = SPIRAL_CENTER_WORLD
        zw = np.where(s <= 0.5, cw[2] + 0.03 - 0.12 * s, cw[2] - 0.09 + 0.12 * s)  # -0.42 -> -0.48 -> -0.42
        pw = np.stack([cw[0] + 0.03 * np.cos(th), cw[1] + 0.03 * np.sin(th), zw], 1)
        tan = np.stack([-np.sin(th), np.zeros_like(th), np.cos(th)], 1)
        u, nn = np.array([1.0, 0, 0]), np.array([0, -1.0, 0])
        return _assemble(key, s, duration, paper_world_to_base(pw), tan, u, nn, crisp_orientation(0.0),
                         "constant", 0.0, 1.0)
    yaw = {"C0": 0.0, "C-pi/4": -np.pi / 4, "C+pi/4": np.pi / 4}[key]
    center = paper_world_to_base(CIRCLE_CENTER_WORLD)
    return circle(center, 0.03, n=n, duration=duration, plane=((1, 0, 0), (0, 0, 1)),
                  rotation=crisp_orientation(yaw), name=key)
