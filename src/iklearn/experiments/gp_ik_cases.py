"""Franka Panda test cases of paper 000 (Sec. III-B): 6 standard cases and the 24-case set.

The paper names the cases but gives configurations for none of them and positions for two. Our choices:

* Standard 6: ``home`` and ``ready`` (the catalogue's named poses; "home" is q = 0 with joint 4 at its upper
  limit -0.0698, since q4 = 0 is outside the official limits), ``extended`` (catalogue), ``left`` / ``right``
  (ready turned by +-pi/2 about joint 1) and ``low`` (a bent, low reach). Targets = FK of the configuration
  (full pose).
* 24-case set: 20 configurations uniform inside the official limits (seeded), then the four challenging cases.
  ``near_singularity`` and ``extended_reach`` are the paper's positions [0.554, 0, 0.521] m and
  [-0.310, 0, 0.589] m; the paper gives no orientation, so we use the gripper-down orientation of the
  ``ready`` pose (the extended-reach point is the ready position mirrored through the base axis, which is
  what joint 1 = pi would give). ``elbow_up`` and ``twisted`` are configurations we chose (below).
* Every case is given the same caller's seed, the middle of the joint ranges: plain GP-IK / plain DLS start
  there; EI / UCB also weigh it against their remembered starts (documented in the experiment and solver).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from iklearn.kinematics import fk
from iklearn.robot.chain import Chain
from iklearn.solvers.lm import LevenbergMarquardt

PI = np.pi
NEAR_SINGULAR_POSITION = np.array([0.554, 0.0, 0.521])
EXTENDED_REACH_POSITION = np.array([-0.310, 0.0, 0.589])
ELBOW_UP = np.array([0.0, -1.2, 0.0, -0.6, 0.0, 2.6, 0.785])
TWISTED = np.array([1.8, 0.6, -2.2, -1.9, 2.4, 1.2, -2.5])


@dataclass(frozen=True)
class Case:
    """One IK test case: ``target`` (4, 4) flange pose; ``q_source`` the configuration it came from (or None)."""

    name: str
    group: str  # "standard", "random" or "challenging"
    target: np.ndarray
    q_source: np.ndarray | None


def _ready_rotation(chain: Chain) -> np.ndarray:
    return fk(chain, chain.pose("ready"))[:3, :3]


def standard_cases(chain: Chain) -> list[Case]:
    """The 6 standard cases (FK of named configurations)."""
    ready = chain.pose("ready")
    confs = {
        "home": chain.pose("home"),
        "ready": ready,
        "extended": chain.pose("extended"),
        "left": ready + np.array([PI / 2, 0, 0, 0, 0, 0, 0]),
        "right": ready - np.array([PI / 2, 0, 0, 0, 0, 0, 0]),
        "low": np.array([0.0, 0.6, 0.0, -1.6, 0.0, 2.6, 0.785]),
    }
    return [Case(k, "standard", fk(chain, q), np.asarray(q, float)) for k, q in confs.items()]


def case_set_24(chain: Chain, seed: int = 0) -> list[Case]:
    """20 random configurations (uniform inside the limits, ``seed``) + the four challenging cases."""
    rng = np.random.default_rng(seed)
    Q = rng.uniform(chain.finite_lower, chain.finite_upper, (20, chain.dof))
    cases = [Case(f"random_{i:02d}", "random", fk(chain, q), q) for i, q in enumerate(Q)]
    R = _ready_rotation(chain)
    for name, p in (("near_singularity", NEAR_SINGULAR_POSITION), ("extended_reach", EXTENDED_REACH_POSITION)):
        T = np.eye(4)
        T[:3, :3] = R
        T[:3, 3] = p
        cases.append(Case(name, "challenging", T, None))
    cases.append(Case("elbow_up", "challenging", fk(chain, ELBOW_UP), ELBOW_UP.copy()))
    cases.append(Case("twisted", "challenging", fk(chain, TWISTED), TWISTED.copy()))
    return cases


def all_cases(chain: Chain, seed: int = 0) -> list[Case]:
    """The 6 + 24 cases."""
    return standard_cases(chain) + case_set_24(chain, seed)


def seed_configuration(chain: Chain) -> np.ndarray:
    """The initial configuration every case starts from: the middle of each joint's range."""
    return 0.5 * (chain.finite_lower + chain.finite_upper)


def reachability(chain: Chain, T: np.ndarray, *, restarts: int = 200, seed: int = 0) -> tuple[bool, float, float]:
    """Exhaustive check: limit-respecting LM with many random restarts; ``(reached, pos_err, rot_err)``.

    Tolerances 1e-4 m / 1e-3 rad (tighter than the success criterion); an unreached target after
    ``restarts`` tries of 100 iterations is reported as unreachable within the official limits.
    """
    lm = LevenbergMarquardt(chain, tol_position=1e-4, tol_rotation=1e-3, max_iterations=100 * restarts,
                            iterations_per_try=100, seed=seed)
    r = lm.solve(T[None])
    return bool(r.success[0]), float(r.position_error[0]), float(r.rotation_error[0])
