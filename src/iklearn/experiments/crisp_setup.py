"""Data sets, trajectory tracking and scoring for the CRiSP experiment (paper 003); see ``crisp.py``.

Our reading of Sec. 4.2 of the paper:

* planar 5-DoF: ``n`` joint configurations uniform in the limits, poses from the true FK (many configurations
  per pose: the data are not a function, which is what defeats the NN and CRiSP-R);
* Panda circles: poses uniform in a solid torus (tube radius 1 cm) around the 3 cm circle, tool pointing down
  and turned by +-pi/4 about the world z axis (C0, the unturned orientation, is out of sample);
  the joints of each pose come from our LM solver on the TRUE robot, seeded from one nominal configuration
  with ``nearest=True`` (as a robot would be driven there: one consistent branch of the redundancy);
* Panda spiral: poses uniform in a larger cylinder (radius 5 cm, 10 cm high) around the spiral with
  orientations no longer fixed: the down orientation perturbed by a random rotation of up to 0.2 rad
  (the paper does not give the spread), same IK labelling.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial.transform import Rotation

from iklearn.kinematics.fk import fk
from iklearn.kinematics.pose import pose_error
from iklearn.robot import load_robot
from iklearn.robot.chain import Chain

CENTER = np.array([0.0, 0.44, 0.55])
DOWN = Rotation.from_euler("x", np.pi).as_matrix()


def planar_data(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``(T (n,4,4), Y (n,5))``: uniform joints of the planar 5-DoF arm and their poses."""
    ch = load_robot("planar5")
    rng = np.random.default_rng(seed)
    Y = rng.uniform(ch.finite_lower, ch.finite_upper, (n, ch.dof))
    return fk(ch, Y), Y


def nominal(chain: Chain, T: np.ndarray) -> np.ndarray:
    """A configuration reaching pose ``T`` (4,4), found from the 'ready' pose (the data sets' seed)."""
    from iklearn.solvers.lm import LevenbergMarquardt

    r = LevenbergMarquardt(chain, nearest=True, seed=0).solve(T[None], q0=chain.pose("ready")[None])
    return r.q[0]


def _label(chain: Chain, T: np.ndarray, seed_q: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    from iklearn.solvers.lm import LevenbergMarquardt

    r = LevenbergMarquardt(chain, nearest=True, seed=seed).solve(T, q0=np.tile(seed_q, (T.shape[0], 1)))
    ok = r.success & chain.within_limits(r.q)
    return T[ok], r.q[ok]


def panda_circle_data(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Poses in the 1 cm solid torus around the circles, orientations Rz(+-pi/4) Rx(pi); joints by IK."""
    ch = load_robot("panda")
    rng = np.random.default_rng(seed)
    Ts, Ys = [], []
    for k, yaw in enumerate((np.pi / 4, -np.pi / 4)):
        m = n // 2 + (n % 2) * (k == 0)
        th = rng.uniform(0, 2 * np.pi, m)
        r = 0.01 * np.sqrt(rng.uniform(0, 1, m))  # uniform in the tube's disc (volume, up to curvature)
        ph = rng.uniform(0, 2 * np.pi, m)
        rho = 0.03 + r * np.cos(ph)
        T = np.tile(np.eye(4), (m, 1, 1))
        T[:, :3, 3] = CENTER + np.stack([rho * np.cos(th), rho * np.sin(th), r * np.sin(ph)], 1)
        T[:, :3, :3] = Rotation.from_euler("z", yaw).as_matrix() @ DOWN
        Tc = np.eye(4)
        Tc[:3, :3], Tc[:3, 3] = T[0, :3, :3], CENTER + [0.03, 0, 0]
        T, Y = _label(ch, T, nominal(ch, Tc), seed + k)
        Ts.append(T)
        Ys.append(Y)
    return np.concatenate(Ts), np.concatenate(Ys)


def panda_spiral_data(n: int, seed: int, tilt: float = 0.2) -> tuple[np.ndarray, np.ndarray]:
    """Poses uniform in a cylinder (r 5 cm, z 0.53-0.63 m) with orientations within ``tilt`` rad of down."""
    ch = load_robot("panda")
    rng = np.random.default_rng(seed)
    th = rng.uniform(0, 2 * np.pi, n)
    r = 0.05 * np.sqrt(rng.uniform(0, 1, n))
    T = np.tile(np.eye(4), (n, 1, 1))
    T[:, :3, 3] = np.stack([CENTER[0] + r * np.cos(th), CENTER[1] + r * np.sin(th), rng.uniform(0.53, 0.63, n)], 1)
    v = rng.normal(size=(n, 3))
    v *= (tilt * rng.uniform(0, 1, n) ** (1 / 3) / np.linalg.norm(v, axis=1))[:, None]  # uniform in a ball
    T[:, :3, :3] = Rotation.from_rotvec(v).as_matrix() @ DOWN
    Tc = np.eye(4)
    Tc[:3, :3], Tc[:3, 3] = DOWN, CENTER + [0.03, 0, 0.03]
    return _label(ch, T, nominal(ch, Tc), seed)


def track(solver, poses: np.ndarray, q_start: np.ndarray) -> np.ndarray:
    """Follow a trajectory with a numerical solver: each point seeded with the previous solution."""
    out = np.empty((poses.shape[0], q_start.shape[0]))
    q = q_start
    for t in range(poses.shape[0]):
        q = out[t] = solver.solve(poses[t : t + 1], q0=q[None]).q[0]
    return out


def pybullet_solver(model: Chain):
    """PyBullet's IK (DLS, 100 iterations, limits passed) on ``model``, or None when pybullet is missing.

    Bullet's URDF importer prints warnings from C to fd 1; they are silenced here."""
    import importlib.util
    import os

    if importlib.util.find_spec("pybullet") is None:
        return None
    from iklearn.solvers.peers import PyBulletIK

    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            return PyBulletIK(model, max_iterations=100)
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def score(chain: Chain, Q: np.ndarray, poses: np.ndarray) -> dict:
    """Position / rotation errors of ``Q`` on the TRUE robot ``chain``: RMSE and std along the trajectory."""
    pe, re = pose_error(fk(chain, Q), poses)
    return {"pos_rmse": float(np.sqrt(np.mean(pe**2))), "pos_std": float(np.std(pe)),
            "rot_rmse": float(np.sqrt(np.mean(re**2))), "rot_std": float(np.std(re)),
            "pos": pe.tolist(), "rot": re.tolist(), "in_limits": bool(chain.within_limits(Q).all())}
