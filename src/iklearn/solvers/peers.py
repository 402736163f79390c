"""Adapters to other IK solvers (TRAC-IK, OptIK, PyBullet) behind the same ``solve(targets, q0)`` interface.

Each adapter exports the chain with :func:`~iklearn.robot.urdf_export.to_urdf` (so built-in DH robots work
too), solves the targets one by one from the given seeds, and scores the answers with *our* forward
kinematics and :func:`~iklearn.kinematics.pose_error`, so every solver is judged by the same yardstick:
``success`` = position error <= ``tol_position``, rotation error <= ``tol_rotation`` and inside the limits.
A peer that returns nothing for a target leaves the seed in ``q`` (and its errors) with ``success=False``.

Known traps handled here (see ``/work/shared/REFERENCE.md``): pytracik misreads joint limits from URDFs with
``<safety_controller>`` tags, so the limits are set explicitly, and it wants float64 arrays; OptIK's default
tolerances stop near 5e-4 m, so ``tol_f`` is tightened and the other stopping rules switched off; PyBullet's
IK ignores joint limits unless they are passed.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from typing import Iterator

import numpy as np

from iklearn._validate import check_number, check_seed
from iklearn.errors import require
from iklearn.kinematics import fk, matrix_to_pose7, pose_error
from iklearn.robot.chain import Chain
from iklearn.robot.urdf_export import to_urdf
from iklearn.solvers.base import IKSolver, prepare
from iklearn.solvers.result import IKResult


@contextlib.contextmanager
def quiet_c_output() -> Iterator[None]:
    """Send what C code prints on fds 1 and 2 to the null device: pybullet prints its build banner (and the
    URDF importer's warnings) with printf, into the command's output. C's buffers are flushed before the fds
    are restored, or the text would come out later anyway. Python exceptions pass through unchanged."""
    import ctypes

    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    saved = [os.dup(1), os.dup(2)]
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 1)
            os.dup2(null.fileno(), 2)
        yield
    finally:
        try:
            ctypes.CDLL(None).fflush(None)
        except (OSError, AttributeError):  # pragma: no cover - no C library to flush
            pass
        for fd, old in zip((1, 2), saved):
            os.dup2(old, fd)
            os.close(old)


class _URDFPeer(IKSolver):
    """Common part: URDF export to a temporary file, per-target loop, scoring with our FK."""

    def __init__(self, chain: Chain, *, tol_position: float, tol_rotation: float, seed: int) -> None:
        super().__init__(chain)
        self.tol_position = float(tol_position)
        self.tol_rotation = float(tol_rotation)
        self.seed = check_seed(seed)
        fd, self._urdf_path = tempfile.mkstemp(suffix=".urdf", prefix="iklearn_")
        with os.fdopen(fd, "w") as f:
            f.write(to_urdf(chain))

    def __del__(self) -> None:
        try:
            os.unlink(self._urdf_path)
        except (OSError, AttributeError):
            pass

    def _solve_one(self, T: np.ndarray, p7: np.ndarray, q0: np.ndarray) -> np.ndarray | None:
        raise NotImplementedError

    def solve(self, targets, q0=None) -> IKResult:
        """Solve ``targets`` ``(N, 7)`` / ``(N, 4, 4)`` one by one from seeds ``q0`` ``(N, dof)`` (random if None)."""
        T, Q0, _ = prepare(self.chain, targets, q0, (self.seed, 1))
        N = T.shape[0]
        P7 = matrix_to_pose7(T) if N else np.zeros((0, 7))
        q = Q0.copy()
        got = np.zeros(N, bool)
        for i in range(N):
            sol = self._solve_one(T[i], P7[i], Q0[i])
            if sol is not None:
                q[i] = sol
                got[i] = True
        return self._score(T, q, got)

    def _score(self, T: np.ndarray, q: np.ndarray, got: np.ndarray) -> IKResult:
        N = T.shape[0]
        if N == 0:
            return IKResult(q, np.zeros(0, bool), np.zeros(0), np.zeros(0), np.zeros(0, np.int64))
        pe, re = pose_error(fk(self.chain, q), T)
        ok = got & (pe <= self.tol_position) & (re <= self.tol_rotation) & self.chain.within_limits(q, 1e-9)
        return IKResult(q, ok, pe, re, np.full(N, -1, np.int64))


class TracIK(_URDFPeer):
    """TRAC-IK (KDL Newton with random jumps raced against SQP) through ``pytracik``.

    Parameters
    ----------
    chain : Chain
    timeout : float, s
        Time budget per target (TRAC-IK's own).
    epsilon : float
        TRAC-IK's convergence threshold on each twist component (m and rad).
    solve_type : {"Speed", "Distance", "Manip1", "Manip2"}
    tol_position, tol_rotation : float, m and rad
        Tolerances used to score ``success`` with our FK.
    """

    name = "trac-ik"

    def __init__(self, chain: Chain, *, timeout: float = 0.02, epsilon: float = 1e-5, solve_type: str = "Speed",
                 tol_position: float = 1e-4, tol_rotation: float = 1e-3, seed: int = 0) -> None:
        super().__init__(chain, tol_position=tol_position, tol_rotation=tol_rotation, seed=seed)
        pt = require("pytracik", "peers")
        self.timeout = check_number(timeout, "timeout", low=0.0, low_open=True)
        self.epsilon = float(epsilon)
        self.solve_type = solve_type
        with open(self._urdf_path) as f:
            text = f.read()
        self._pt = pt
        self._ik = pt.TRAC_IK(chain.base_link, chain.tip_link, text, self.timeout, self.epsilon,
                              getattr(pt.SolveType, solve_type))
        if pt.get_num_joints(self._ik) != chain.dof:
            from iklearn.errors import ModelMismatchError

            raise ModelMismatchError(f"TRAC-IK sees {pt.get_num_joints(self._ik)} joints, the chain {chain.dof}")
        # pytracik misreads limits of URDFs with <safety_controller>: always set them ourselves
        lo = np.array(pt.get_joint_lower_bounds(self._ik), float)
        hi = np.array(pt.get_joint_upper_bounds(self._ik), float)
        fin = np.isfinite(chain.lower) & np.isfinite(chain.upper)
        lo[fin], hi[fin] = chain.lower[fin], chain.upper[fin]
        pt.set_joint_limits(self._ik, [float(v) for v in lo], [float(v) for v in hi])

    def _solve_one(self, T, p7, q0):
        r = self._pt.ik(self._ik, np.ascontiguousarray(q0, dtype=np.float64), *(float(v) for v in p7))
        return np.asarray(r[1:], float) if r[0] >= 0 else None


class OptIK(_URDFPeer):
    """OptIK (``optik-py``, Rust; SLSQP-style optimisation with restarts).

    ``tol_f`` is the squared-error stopping tolerance; the gradient and step stopping rules are switched off
    (``-1``) because OptIK's defaults stop near 5e-4 m, which would make a 1e-4 m benchmark meaningless.
    """

    name = "optik"

    def __init__(self, chain: Chain, *, max_time: float = 0.02, tol_f: float = 1e-12,
                 solution_mode: str = "speed", tol_position: float = 1e-4, tol_rotation: float = 1e-3,
                 seed: int = 0) -> None:
        super().__init__(chain, tol_position=tol_position, tol_rotation=tol_rotation, seed=seed)
        optik = require("optik", "peers")
        self.max_time = check_number(max_time, "max_time", low=0.0, low_open=True)
        self.tol_f = float(tol_f)
        self._robot = optik.Robot.from_urdf_file(self._urdf_path, chain.base_link, chain.tip_link)
        self._robot.set_parallelism(1)
        self._config = optik.SolverConfig(solution_mode=solution_mode, max_time=self.max_time, tol_f=self.tol_f,
                                          tol_df=-1.0, tol_dx=-1.0)

    def _solve_one(self, T, p7, q0):
        r = self._robot.ik(self._config, np.ascontiguousarray(T), np.ascontiguousarray(q0, dtype=np.float64))
        return None if r is None else np.asarray(r[0], float)


class PyBulletIK(_URDFPeer):
    """PyBullet's damped-least-squares IK (null-space variant, with the joint limits passed in).

    Starts from the seed (joint states reset to it), ``max_iterations`` iterations per call. The null-space
    term pulls towards ``rest_pose`` when given, else towards the seed; it also keeps the solution from
    converging exactly (the residual settles where the pull balances the task).

    PyBullet's selectively damped least squares (``solver=IK_SDLS``) is not offered: with the null-space
    arguments Bullet silently runs this DLS instead ("Nullspace task only works with DLS now"), and without
    them pybullet 3.2 crashes the process (segmentation fault, on the Panda and on PyBullet's own KUKA).
    """

    name = "pybullet"

    def __init__(self, chain: Chain, *, max_iterations: int = 100, residual_threshold: float = 1e-6,
                 rest_pose=None, tol_position: float = 1e-4, tol_rotation: float = 1e-3, seed: int = 0) -> None:
        super().__init__(chain, tol_position=tol_position, tol_rotation=tol_rotation, seed=seed)
        with quiet_c_output():  # the build banner at import, the URDF importer's warnings
            p = require("pybullet", "peers")
            self._cid = p.connect(p.DIRECT)
            self._body = p.loadURDF(self._urdf_path, useFixedBase=True, physicsClientId=self._cid)
        self._p = p
        self.max_iterations = int(max_iterations)
        self.residual_threshold = float(residual_threshold)
        self.rest_pose = None if rest_pose is None else np.asarray(rest_pose, float)
        if self.rest_pose is not None and (self.rest_pose.shape != (chain.dof,) or not np.isfinite(self.rest_pose).all()):
            from iklearn.errors import IKLearnError

            raise IKLearnError(f"rest_pose must be {chain.dof} finite joint values, got shape {self.rest_pose.shape}")
        names = {}
        for j in range(p.getNumJoints(self._body, physicsClientId=self._cid)):
            info = p.getJointInfo(self._body, j, physicsClientId=self._cid)
            names[info[1].decode()] = j
            if info[12].decode() == chain.tip_link:
                self._ee = j
        self._joints = [names[n] for n in chain.joint_names]
        lo, hi = chain.finite_lower, chain.finite_upper
        self._limits = dict(lowerLimits=list(lo), upperLimits=list(hi), jointRanges=list(hi - lo))

    def __del__(self) -> None:
        try:
            self._p.disconnect(physicsClientId=self._cid)
        except Exception:  # noqa: BLE001 - interpreter shutdown or already disconnected
            pass
        super().__del__()

    def _solve_one(self, T, p7, q0):
        p = self._p
        for j, v in zip(self._joints, q0):
            p.resetJointState(self._body, j, float(v), physicsClientId=self._cid)
        sol = p.calculateInverseKinematics(
            self._body, self._ee, list(p7[:3]), list(p7[3:]),
            restPoses=list(q0 if self.rest_pose is None else self.rest_pose), **self._limits,
            maxNumIterations=self.max_iterations, residualThreshold=self.residual_threshold,
            physicsClientId=self._cid,
        )
        return np.asarray(sol[: self.chain.dof], float)


PEERS = {"tracik": TracIK, "optik": OptIK, "pybullet": PyBulletIK}


def available_peers() -> list[str]:
    """Names (keys of :data:`PEERS`) of the peers whose Python package imports here."""
    import importlib.util

    mods = {"tracik": "pytracik", "optik": "optik", "pybullet": "pybullet"}
    return [k for k, m in mods.items() if importlib.util.find_spec(m) is not None]
