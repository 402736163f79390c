"""Data sets, joint labels, baselines and scoring for the CRiSP experiment (paper 003); see ``crisp.py``.

Our reading of Sec. 4.2 of the paper, with what it leaves open filled from the authors' released code
(github.com/gmmarconi/CRiSP-for-Misspecified-Robot-Model) where that code says it, else chosen here:

* planar 5-DoF: ``n`` joint configurations uniform in the limits, poses from the true FK (many configurations
  per pose: the data are not a function, which is what defeats the NN and CRiSP-R);
* Panda (tool = PyBullet's ``panda_grasptarget``, robot ``panda_grasp``; frames: see
  :func:`iklearn.data.trajectories.crisp_trajectory`):
  - circle set "C": poses uniform in the solid torus of tube radius 1 cm around the 3 cm circle (authors'
    ``generate_noisy_circumference_samples``), half with each training orientation, world yaw +pi/4 / -pi/4;
  - spiral set "S": poses uniform in a cube around the spiral's centre (side 10 cm: the paper says only "a
    larger region"), orientations uniform on SO(3) ("no longer constrained"); poses no IK solution reaches
    inside the joint limits are dropped and drawn again;
  - joint labels: the paper does not say how the joints of a sampled pose were obtained. Two labellings:
    ``'branch'`` solves every pose from one configuration (the authors' rest pose, which PyBullet's IK
    also pulls towards) with our LM, restarting near it first (one consistent branch where one exists);
    ``'random'`` solves every pose from its own uniformly random configuration;
  - the training pose of a sample is the pose its joints reach on the true robot, ``x_i = g(y_i)`` (Sec. 2);
    optional measurement noise (an extension) is added to ``x_i`` only: joint encoders are exact.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial.transform import Rotation

from iklearn.data.trajectories import CIRCLE_CENTER_WORLD, SPIRAL_CENTER_WORLD, crisp_orientation, paper_world_to_base
from iklearn.kinematics.fk import fk
from iklearn.kinematics.pose import pose_error
from iklearn.robot import load_robot
from iklearn.robot.chain import Chain
from iklearn.solvers.lm import LevenbergMarquardt
from iklearn.solvers.peers import PyBulletIK

ROBOT = "panda_grasp"
#: The authors' Panda rest configuration (``PandaSimForwardKin.rest_configuration``), near the circle's centre.
REST = np.array([0.98, 0.458, 0.31, -2.24, -0.30, 2.66, 2.32])
LABELS = ("branch", "random")
CUBE_SIDE = 0.10


def planar_data(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``(T (n,4,4), Y (n,5))``: uniform joints of the planar 5-DoF arm and their poses."""
    ch = load_robot("planar5")
    rng = np.random.default_rng(seed)
    Y = rng.uniform(ch.finite_lower, ch.finite_upper, (n, ch.dof))
    return fk(ch, Y), Y


def circle_poses(n: int, rng: np.random.Generator) -> np.ndarray:
    """``(n, 4, 4)`` poses in the 1 cm solid torus around the circle; orientations world yaw +pi/4 then -pi/4."""
    th, ph = rng.uniform(0, 2 * np.pi, n), rng.uniform(0, 2 * np.pi, n)
    r = 0.01 * np.sqrt(rng.uniform(0, 1, n))  # as the authors sample the tube's cross-section
    c = CIRCLE_CENTER_WORLD
    pw = np.stack([c[0] + (0.03 + r * np.cos(ph)) * np.cos(th), c[1] + (0.03 + r * np.cos(ph)) * np.sin(th),
                   c[2] + r * np.sin(ph)], 1)
    T = np.tile(np.eye(4), (n, 1, 1))
    T[:, :3, 3] = paper_world_to_base(pw)
    half = (n + 1) // 2
    T[:half, :3, :3] = crisp_orientation(np.pi / 4)
    T[half:, :3, :3] = crisp_orientation(-np.pi / 4)
    return T


def cube_poses(n: int, rng: np.random.Generator, side: float = CUBE_SIDE) -> np.ndarray:
    """``(n, 4, 4)`` poses uniform in a cube of ``side`` m around the spiral's centre, orientations uniform on SO(3)."""
    T = np.tile(np.eye(4), (n, 1, 1))
    T[:, :3, 3] = paper_world_to_base(SPIRAL_CENTER_WORLD) + rng.uniform(-side / 2, side / 2, (n, 3))
    T[:, :3, :3] = Rotation.random(n, random_state=rng).as_matrix()
    return T


def label(chain: Chain, T: np.ndarray, how: str, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Joint labels of poses ``T`` by IK on ``chain`` (see the module docstring); ``(kept index, Y)``."""
    n = T.shape[0]
    if how == "branch":
        q0 = np.tile(REST, (n, 1))
    elif how == "random":
        q0 = np.random.default_rng([seed, 7]).uniform(chain.finite_lower, chain.finite_upper, (n, chain.dof))
    else:
        raise ValueError(f"labels must be one of {LABELS}, got {how!r}")
    r = LevenbergMarquardt(chain, nearest=(how == "branch"), seed=seed, max_iterations=1000).solve(T, q0=q0)
    ok = np.flatnonzero(r.success & chain.within_limits(r.q))
    return ok, r.q[ok]


def panda_set(kind: str, n: int, how: str, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``(X (n,4,4), Y (n,7))``: ``n`` labelled samples of set ``kind`` ('C' or 'S'), ``X = g(Y)`` (true FK)."""
    ch = load_robot(ROBOT)
    rng = np.random.default_rng([seed, 0 if kind == "C" else 1])
    Ys, have, rnd = [], 0, 0
    while have < n:
        m = int((n - have) * 1.15) + 16  # about 8 % of the cube's poses are out of reach
        T = circle_poses(m, rng) if kind == "C" else cube_poses(m, rng)
        _, Y = label(ch, T, how, seed * 1000 + rnd)
        Ys.append(Y)
        have += len(Y)
        rnd += 1
    Y = np.concatenate(Ys)[:n]
    Y = Y[rng.permutation(len(Y))]  # random order: any prefix is a random subset (learning curves)
    return fk(ch, Y), Y


def noisy(X: np.ndarray, pos_sd: float, rot_sd: float, seed: int) -> np.ndarray:
    """Poses ``X`` (N,4,4) with Gaussian measurement noise: ``pos_sd`` m per axis, ``rot_sd`` rad per axis
    of a rotation vector applied in the world frame."""
    rng = np.random.default_rng([seed, 11])
    out = X.copy()
    out[:, :3, 3] += rng.normal(0.0, pos_sd, (len(X), 3))
    out[:, :3, :3] = Rotation.from_rotvec(rng.normal(0.0, rot_sd, (len(X), 3))).as_matrix() @ X[:, :3, :3]
    return out


def track(solver, poses: np.ndarray, q_start: np.ndarray) -> np.ndarray:
    """Follow a trajectory with a numerical solver: each point seeded with the previous solution."""
    out = np.empty((poses.shape[0], q_start.shape[0]))
    q = q_start
    for t in range(poses.shape[0]):
        q = out[t] = solver.solve(poses[t : t + 1], q0=q[None]).q[0]
    return out


def pybullet_ik(model: Chain, rest=None, max_iterations: int = 1000):
    """PyBullet's IK on ``model`` as the paper's baseline is called in the authors' code: official limits,
    joint ranges and a rest pose (so Bullet runs its null-space DLS; see ``PyBulletIK``), residual 1e-5."""
    return PyBulletIK(model, max_iterations=max_iterations, residual_threshold=1e-5,
                      rest_pose=REST if rest is None else rest)


def score_poses(P: np.ndarray, targets: np.ndarray) -> dict:
    """Errors of reached poses ``P`` against ``targets`` (both (N,4,4)): RMSE and sd along the trajectory."""
    pe, re = pose_error(P, targets)
    return {"pos_rmse": float(np.sqrt(np.mean(pe**2))), "pos_std": float(np.std(pe)),
            "rot_rmse": float(np.sqrt(np.mean(re**2))), "rot_std": float(np.std(re)),
            "pos": pe.tolist(), "rot": re.tolist()}


def score(chain: Chain, Q: np.ndarray, poses: np.ndarray) -> dict:
    """Kinematic errors of ``Q`` on the TRUE robot ``chain`` (our FK, no simulation), as :func:`score_poses`."""
    return {**score_poses(fk(chain, Q), poses), "in_limits": bool(chain.within_limits(Q).all())}
