"""The calibration scenario: a Panda that is not its URDF, measured in a work region, and the methods scored.

* True robot: the built-in Panda (flange ``panda_link8``) with every joint origin and the flange transform
  moved by a random rigid motion: a translation of uniform length in [0, 3] mm in a uniform direction, then a
  rotation of uniform angle in [0, 0.6] deg about a uniform axis (in that frame), drawn with the seed.
* Work region (chosen here; the issue names none): tool positions uniform in a box 30 x 40 x 30 cm in
  front of the robot (x 0.3-0.6, y -0.2-0.2, z 0.2-0.5 m), the flange pointing down, tilted up to 30 deg
  about a uniform horizontal axis and turned by a uniform yaw in +-90 deg.
* Measurement campaign: the robot is commanded to region poses by IK on the NOMINAL model (LM from the
  ``ready`` pose, restarting near it first, so one consistent branch) and a tracker measures where the tool
  really went: ``x_i = FK_true(q_i)`` plus Gaussian noise of 0.1 mm per axis and a 0.5 mrad-per-axis
  rotation vector; joint readings are exact.
* Test targets: poses from the same region distribution (drawn with another stream) that the true robot
  reaches inside its limits, exact.
* Scoring: every method returns joints for a target; the error is that of ``FK_true(q)`` against the target.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial.transform import Rotation

from iklearn.kinematics.fk import fk
from iklearn.kinematics.pose import pose_error
from iklearn.robot.chain import Chain

ROBOT = "panda"
BOX_LO = np.array([0.3, -0.2, 0.2])
BOX_HI = np.array([0.6, 0.2, 0.5])
MAX_TILT = np.deg2rad(30.0)
MAX_YAW = np.pi / 2
MAX_SHIFT = 3e-3
MAX_ANGLE = np.deg2rad(0.6)
NOISE = (1e-4, 5e-4)  # m per axis, rad per axis


def _random_unit(rng: np.random.Generator, n: int) -> np.ndarray:
    v = rng.normal(size=(n, 3))
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def true_robot(nominal: Chain, seed: int) -> Chain:
    """``nominal`` with each of its ``dof + 1`` fixed transforms moved by up to 3 mm and 0.6 deg (see above)."""
    rng = np.random.default_rng([seed, 31])
    n = nominal.dof + 1
    D = np.tile(np.eye(4), (n, 1, 1))
    D[:, :3, 3] = _random_unit(rng, n) * rng.uniform(0, MAX_SHIFT, n)[:, None]
    D[:, :3, :3] = Rotation.from_rotvec(_random_unit(rng, n) * rng.uniform(0, MAX_ANGLE, n)[:, None]).as_matrix()
    return nominal._replace(fixed=nominal.fixed @ D[:-1], tip=nominal.tip @ D[-1], name=f"{nominal.name}_true")


def region_poses(n: int, rng: np.random.Generator) -> np.ndarray:
    """``(n, 4, 4)`` poses of the work region (see the module docstring)."""
    T = np.tile(np.eye(4), (n, 1, 1))
    T[:, :3, 3] = rng.uniform(BOX_LO, BOX_HI, (n, 3))
    yaw = Rotation.from_euler("z", rng.uniform(-MAX_YAW, MAX_YAW, n)[:, None])
    ang = rng.uniform(0, 1, n) ** 0.5 * MAX_TILT  # uniform over the cone's cap (small-angle)
    phi = rng.uniform(0, 2 * np.pi, n)
    tilt = Rotation.from_rotvec(np.stack([np.cos(phi), np.sin(phi), np.zeros(n)], 1) * ang[:, None])
    down = Rotation.from_euler("x", np.pi)
    T[:, :3, :3] = (tilt * yaw * down).as_matrix()
    return T


def solver(chain: Chain, seed: int = 0):
    """The numerical IK every model-based method here uses: LM near ``ready`` first (one branch)."""
    from iklearn.solvers.lm import LevenbergMarquardt

    return LevenbergMarquardt(chain, nearest=True, seed=seed, max_iterations=1000)


def solve_from_ready(chain: Chain, T: np.ndarray, seed: int = 0):
    """IK of poses ``T`` on ``chain`` (a Panda, e.g. read from a URDF) from the Panda's ready pose."""
    from iklearn.robot import load_robot

    return solver(chain, seed).solve(T, q0=np.tile(load_robot(ROBOT).pose("ready"), (T.shape[0], 1)))


def reachable_region_poses(nominal: Chain, n: int, rng: np.random.Generator, seed: int):
    """``(T (n,4,4), q (n,dof))``: region poses the nominal model reaches inside its limits, and those joints."""
    Ts, Qs, have, k = [], [], 0, 0
    while have < n:
        T = region_poses(int((n - have) * 1.1) + 8, rng)
        r = solve_from_ready(nominal, T, seed + k)
        ok = r.success & nominal.within_limits(r.q)
        Ts.append(T[ok])
        Qs.append(r.q[ok])
        have += int(ok.sum())
        k += 1
    return np.concatenate(Ts)[:n], np.concatenate(Qs)[:n]


def measure(true: Chain, q: np.ndarray, seed: int, noise=NOISE) -> np.ndarray:
    """Tracker readings ``(N, 4, 4)`` of the tool at joints ``q`` on the true robot, with noise."""
    rng = np.random.default_rng([seed, 37])
    X = fk(true, q)
    X[:, :3, 3] += rng.normal(0.0, noise[0], (len(q), 3))
    X[:, :3, :3] = Rotation.from_rotvec(rng.normal(0.0, noise[1], (len(q), 3))).as_matrix() @ X[:, :3, :3]
    return X


def scenario(seed: int, n_measured: int, n_test: int) -> dict:
    """Nominal and true robots, the measurement campaign (commanded joints and measured poses) and the test
    targets; every random stream derives from ``seed``."""
    from iklearn.robot import load_robot

    nominal = load_robot(ROBOT)
    true = true_robot(nominal, seed)
    _, q = reachable_region_poses(nominal, n_measured, np.random.default_rng([seed, 41]), seed * 1000 + 1)
    targets, _ = reachable_region_poses(true, n_test, np.random.default_rng([seed, 43]), seed * 1000 + 2)
    return {"nominal": nominal, "true": true, "q": q, "measured": measure(true, q, seed), "targets": targets}


def score(true: Chain, q: np.ndarray, targets: np.ndarray) -> dict:
    """Errors of joints ``q`` on the true robot against ``targets``: per target and summary statistics
    (median and 95th percentile; position in m, rotation in rad)."""
    pe, re = pose_error(fk(true, q), targets)
    return {"position": pe, "rotation": re,
            "position_median": float(np.median(pe)), "position_p95": float(np.percentile(pe, 95)),
            "rotation_median": float(np.median(re)), "rotation_p95": float(np.percentile(re, 95)),
            "in_limits": float(np.mean(true.within_limits(q)))}
