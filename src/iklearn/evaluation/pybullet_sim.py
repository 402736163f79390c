"""Execute joint trajectories on a position-controlled arm simulated in PyBullet and read back the tool pose.

Used to score IK on a simulated robot rather than through our own forward kinematics: the arm is loaded from a
URDF (for the Panda, PyBullet's own ``franka_panda/panda.urdf`` with its masses and inertias), its joints are
driven by PyBullet's ``POSITION_CONTROL`` motors (default gains, the URDF's effort limits) under gravity, and
the tool link's pose is read with ``getLinkState`` after each set-point has been held for a fixed time.

Timing of a tracked trajectory (what the papers rarely state, so a parameter here): the arm starts at the
first configuration (joint states reset), holds it for ``settle_steps`` simulation steps, then each following
set-point is commanded for ``steps_per_point`` steps of ``time_step`` seconds; the pose recorded for point
``t`` is the one reached at the end of its interval (the first point's after settling).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

from iklearn.errors import IKLearnError, require
from iklearn.robot.chain import Chain
from iklearn.solvers.peers import quiet_c_output

#: The Panda in PyBullet's data package, with its tool frame (see the built-in robot ``panda_grasp``).
PANDA_URDF = "franka_panda/panda.urdf"
PANDA_TOOL = "panda_grasptarget"
PANDA_FINGERS = {"panda_finger_joint1": 0.02, "panda_finger_joint2": 0.02}


class PyBulletArm:
    """A fixed-base arm in a PyBullet DIRECT-mode world, driven joint by joint with position control.

    Parameters
    ----------
    urdf : str or Path
        URDF file (absolute, or relative to ``pybullet_data``).
    joint_names : sequence of str
        The controlled joints, in the order of the configurations passed to :meth:`track` / :meth:`poses`.
    tool_link : str
        Link whose frame is the tool pose (``getLinkState``'s link frame, not its centre of mass).
    held : dict name -> position, optional
        Other movable joints (e.g. fingers) held at a fixed position by their own motors.
    gravity : float, m/s^2
        Along the world (= base) -z axis; 0 switches gravity off.
    time_step : float, s
        Simulation step (PyBullet's default 1/240 s).
    forces : (dof,) N m or N, optional
        Motor force limits; default: the URDF's effort limits.
    """

    def __init__(self, urdf, joint_names, tool_link: str, *, held: dict | None = None, gravity: float = 9.81,
                 time_step: float = 1.0 / 240.0, forces=None) -> None:
        with quiet_c_output():  # pybullet's build banner at import and connect
            p = require("pybullet", "peers")
            self._cid = p.connect(p.DIRECT)
        self._p = p
        self.time_step = float(time_step)
        try:
            path = str(urdf)
            if not Path(path).is_absolute():
                import pybullet_data

                path = str(Path(pybullet_data.getDataPath()) / path)
            if not Path(path).is_file():
                raise IKLearnError(f"URDF file {path} does not exist")
            with quiet_c_output():
                self._body = p.loadURDF(path, useFixedBase=True, flags=p.URDF_USE_INERTIA_FROM_FILE,
                                        physicsClientId=self._cid)
            p.setGravity(0, 0, -float(gravity), physicsClientId=self._cid)
            p.setTimeStep(self.time_step, physicsClientId=self._cid)
            names, links, efforts = {}, {}, {}
            for j in range(p.getNumJoints(self._body, physicsClientId=self._cid)):
                info = p.getJointInfo(self._body, j, physicsClientId=self._cid)
                names[info[1].decode()] = j
                links[info[12].decode()] = j
                efforts[j] = float(info[10])
            missing = [n for n in list(joint_names) + list(held or {}) if n not in names]
            if missing:
                raise IKLearnError(f"joints {missing} are not in {path}")
            if tool_link not in links:
                raise IKLearnError(f"tool link {tool_link!r} is not in {path}")
            self.joints = [names[n] for n in joint_names]
            self.tool = links[tool_link]
            self.held = {names[n]: float(v) for n, v in (held or {}).items()}
            f = [efforts[j] if efforts[j] > 0 else 100.0 for j in self.joints] if forces is None else forces
            self.forces = [float(v) for v in np.broadcast_to(np.asarray(f, float), (len(self.joints),))]
        except BaseException:
            p.disconnect(physicsClientId=self._cid)
            raise

    # ------------------------------------------------------------------ constructors
    @classmethod
    def panda(cls, **kw) -> "PyBulletArm":
        """PyBullet's own Panda (``franka_panda/panda.urdf``), fingers held half open, tool = grasp target."""
        return cls(PANDA_URDF, [f"panda_joint{i}" for i in range(1, 8)], PANDA_TOOL, held=PANDA_FINGERS, **kw)

    @classmethod
    def from_chain(cls, chain: Chain, **kw) -> "PyBulletArm":
        """Any :class:`Chain`, exported with :func:`~iklearn.robot.urdf_export.to_urdf` (unit link masses)."""
        from iklearn.robot.urdf_export import to_urdf

        fd, path = tempfile.mkstemp(suffix=".urdf", prefix="iklearn_sim_")
        try:
            with os.fdopen(fd, "w") as f:
                f.write(to_urdf(chain))
            return cls(path, chain.joint_names, chain.tip_link, **kw)
        finally:
            os.unlink(path)

    def close(self) -> None:
        """Disconnect the PyBullet client (idempotent)."""
        if getattr(self, "_cid", None) is not None:
            try:
                self._p.disconnect(physicsClientId=self._cid)
            except Exception:  # noqa: BLE001 - already disconnected or interpreter shutdown
                pass
            self._cid = None

    def __del__(self) -> None:
        self.close()

    def __enter__(self) -> "PyBulletArm":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------------ state
    def _check(self, Q) -> np.ndarray:
        Q = np.atleast_2d(np.asarray(Q, float))
        if Q.ndim != 2 or Q.shape[1] != len(self.joints):
            raise IKLearnError(f"configurations must be (N, {len(self.joints)}), got {Q.shape}")
        if not np.isfinite(Q).all():
            raise IKLearnError("configurations contain NaN or inf")
        return Q

    def _reset(self, q: np.ndarray) -> None:
        p, c = self._p, self._cid
        for j, v in zip(self.joints, q):
            p.resetJointState(self._body, j, float(v), physicsClientId=c)
        for j, v in self.held.items():
            p.resetJointState(self._body, j, v, physicsClientId=c)

    def _tool_pose(self) -> np.ndarray:
        p = self._p
        st = p.getLinkState(self._body, self.tool, computeForwardKinematics=True, physicsClientId=self._cid)
        T = np.eye(4)
        T[:3, 3] = st[4]
        T[:3, :3] = np.asarray(p.getMatrixFromQuaternion(st[5]), float).reshape(3, 3)
        return T

    def joint_positions(self) -> np.ndarray:
        """Current positions ``(dof,)`` of the controlled joints."""
        states = self._p.getJointStates(self._body, self.joints, physicsClientId=self._cid)
        return np.array([s[0] for s in states])

    # ------------------------------------------------------------------ use
    def poses(self, Q) -> np.ndarray:
        """Tool poses ``(N, 4, 4)`` of configurations ``Q`` ``(N, dof)`` set kinematically (no dynamics)."""
        Q = self._check(Q)
        out = np.empty((Q.shape[0], 4, 4))
        for t, q in enumerate(Q):
            self._reset(q)
            out[t] = self._tool_pose()
        return out

    def track(self, Q, *, steps_per_point: int = 24, settle_steps: int = 240) -> np.ndarray:
        """Drive the arm through set-points ``Q`` ``(N, dof)`` with position control; tool poses ``(N, 4, 4)``.

        See the module docstring for the timing: point ``t`` is commanded for ``steps_per_point`` steps
        and its pose is read at the end of that interval.
        """
        Q = self._check(Q)
        if steps_per_point < 1 or settle_steps < 0:
            raise IKLearnError("steps_per_point must be >= 1 and settle_steps >= 0")
        p, c, b = self._p, self._cid, self._body
        self._reset(Q[0])  # also zeroes the velocities a previous run left
        if self.held:
            hj = list(self.held)
            p.setJointMotorControlArray(b, hj, p.POSITION_CONTROL, targetPositions=[self.held[j] for j in hj],
                                        physicsClientId=c)
        out = np.empty((Q.shape[0], 4, 4))
        for t, q in enumerate(Q):
            p.setJointMotorControlArray(b, self.joints, p.POSITION_CONTROL, targetPositions=[float(v) for v in q],
                                        forces=self.forces, physicsClientId=c)
            for _ in range(settle_steps if t == 0 else steps_per_point):
                p.stepSimulation(physicsClientId=c)
            out[t] = self._tool_pose()
        return out
