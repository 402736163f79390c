"""Random spherical-wrist manipulators and their reachability / Jacobian datasets (M3, paper 004).

The arms are 6-DOF, standard DH, ``alpha = [pi/2, 0, -pi/2, pi/2, -pi/2, 0]``, ``d = [0, 0, d3, d4, 0, 0]``,
``a = [0, a2, a3, 0, 0, 0]`` with ``d3, d4, a2, a3 ~ U[0, 0.5]`` m (a PUMA-like family). Poses: position
``~ U[-0.4, 0.4]^3`` m, orientation ``R = Rx(r) Ry(p) Rz(y)`` (intrinsic XYZ Euler angles) with
``r, p, y ~ U[0, 2 pi)``.

Such an arm has a closed-form IK (:func:`iklearn.solvers.spherical_wrist.analytic_ik`): the wrist centre (the
tip position, since ``d5 = d6 = 0``) fixes joints 1-3 (shoulder sign x elbow sign: 4 branches), the
orientation fixes joints 4-6 (2 wrist branches), so a reachable pose has up to 8 solutions, each with its own
Jacobian (batched DH kinematics: :func:`iklearn.kinematics.dh.dh_fk_jacobian`; the Euler convention:
:func:`iklearn.kinematics.pose.euler_xyz_to_matrix`).

Reachability is M3's rule: its generator labels a pose reachable when Robotics Toolbox's ``ikine6s`` returns
no NaN for an arm built without joint limits, i.e. when the wrist centre lies in the annulus
``|a2 - L| <= rho <= a2 + L`` (``L = hypot(a3, d4)``) with ``x^2 + y^2 >= d3^2``
(:func:`iklearn.solvers.spherical_wrist.reachable`).

Samplers (``sampler=``), both one fresh arm per sample:

* ``"m3"`` -- M3's own (github.com/liaopeiyuan/M3, ``randSample.m``). Confidence rows, its ``ikine``
  variant: draw a pose for the arm; keep it if reachable, else keep it with probability ``keep_unreachable``
  (0.25: the loop ``while x > 0.25 ... x = rand()``) and otherwise draw again. That lifts the reachable share
  from about 42 % (a plain draw) to about 61 %. Jacobian rows (``only_reachable``), its ``jacobian``
  variant: up to ``plim`` (50, the paper's ``opt.plim``) poses per arm, a reachable one kept, a fresh arm when
  none is (we keep the first reachable draw, M3 the last: both are a uniform reachable pose of the arm).
* ``"uniform"`` -- a plain uniform draw (``n_arms`` arms shared by the samples; only_reachable keeps drawing
  poses of random arms, so arms enter in proportion to their reachable share).

Labels (``branch=``):

* ``"ikine6s"`` -- the paper's label: the solution RTB's ``ikine6s(T)`` returns at its default configuration
  (documented as ``'lun'``), for this arm family its ``'puma'`` case. In RTB 10 as released before its 2021
  configuration fix (and when M3 was written, 2019) the default code path takes ``q1 = atan2(py, px) +
  asin(d3 / r)``, ``q2 = atan2(pz, u) + psi`` and the unflipped ZYZ wrist (``q5 <= 0``): our branch
  :data:`IKINE6S_BRANCH` (3). (After the fix the same default string selects branch 4.)
* ``"canonical"`` -- branch 0 (shoulder ``u >= 0``, elbow ``sin(q3 + atan2(d4, a3)) >= 0``, wrist
  ``sin(q5) >= 0``); if limits exclude it, the first valid branch in the fixed order 0..7.
* ``"random"`` -- a uniformly random valid branch per sample (seeded): what a numerical solver from a random
  guess would return. Not the paper's label; it caps any regressor (see the experiment).

Feature layouts (our reading of the paper's tables II-V; 0-based columns):

* ``kine`` (24): 0-5 ``d1..d6``, 6-11 ``a1..a6``, 12-17 ``alpha1..alpha6`` (so columns 2, 3, 7, 8 are
  ``d3, d4, a2, a3`` and 0, 1, 4-6, 9-17 are constant, as table II says), 18-20 position (m),
  21-23 XYZ Euler angles (rad).
* ``dyna`` (96): the 18 DH columns, then per-link dynamics that do not affect kinematics (distractors, as
  in M3's ``randDyna``): 18-23 mass ``U[0, 10]``, 24-41 centre of mass ``U[-0.05, 0.05]`` (3 per link),
  42-59 inertia diagonal ``U[0, 1]`` (3 per link), 60-65 viscous friction ``U[0, 0.005]``, 66-77 Coulomb
  friction (pairs ``U[0, 0.5]``, ``U[-0.5, 0]``), 78-83 gear ratio ``U[-50, 50]``, 84-89 motor inertia
  ``U[0, 5e-4]``, 90-92 position, 93-95 Euler angles.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from iklearn.robot.dh import from_dh
from iklearn.solvers.spherical_wrist import analytic_ik, dh_table, fk_jacobian, reachable

N_KINE = 24
N_DYNA = 96
IKINE6S_BRANCH = 3  # RTB ikine6s' default configuration for this family (see the module docstring)
Branch = Literal["ikine6s", "canonical", "random"]
Layout = Literal["kine", "dyna"]
Sampler = Literal["m3", "uniform"]


# ----------------------------------------------------------------------------------------------- sampling
def sample_dh(n: int, rng: np.random.Generator, low: float = 0.0, high: float = 0.5) -> np.ndarray:
    """``(n, 4)`` random ``[d3, d4, a2, a3]`` (m), each ``U[low, high]``."""
    return rng.uniform(low, high, size=(n, 4))


def to_chain(params: np.ndarray, lower=None, upper=None):
    """One arm ``(4,)`` ``[d3, d4, a2, a3]`` as an :class:`iklearn.robot.Chain` (standard DH)."""
    d, a, al = dh_table(np.asarray(params, float).reshape(1, 4))
    return from_dh(a[0], d[0], al[0], convention="standard", lower=lower, upper=upper, name="m3_arm")


def sample_poses(n: int, rng: np.random.Generator, radius: float = 0.4) -> np.ndarray:
    """``(n, 6)`` ``[x, y, z, r, p, y]``: position ``U[-radius, radius]^3`` m, XYZ Euler ``U[0, 2 pi)^3``."""
    return np.hstack([rng.uniform(-radius, radius, (n, 3)), rng.uniform(0, 2 * np.pi, (n, 3))])


def sample_m3(n: int, rng: np.random.Generator, *, only_reachable: bool = False, keep_unreachable: float = 0.25,
              plim: int = 50, radius: float = 0.4) -> tuple[np.ndarray, np.ndarray]:
    """M3's sampler (``randSample.m``), one fresh arm per sample: ``(params (n, 4), pose (n, 6))``.

    ``only_reachable=False`` (its ``ikine`` variant): per arm, draw poses until one is reachable or an
    unreachable draw is kept (probability ``keep_unreachable``). ``only_reachable=True`` (its ``jacobian``
    variant): up to ``plim`` draws per arm for a reachable pose, then a fresh arm. Vectorised over the rows
    still drawing; the distribution is M3's, the order of random numbers is not.
    """
    arms = sample_dh(n, rng)
    pose = np.empty((n, 6))
    tries = np.zeros(n, dtype=int)
    pending = np.arange(n)
    while pending.size:
        p = sample_poses(pending.size, rng, radius)
        ok = reachable(arms[pending], p)
        keep = ok if only_reachable else ok | (rng.random(pending.size) <= keep_unreachable)
        pose[pending[keep]] = p[keep]
        pending = pending[~keep]
        if only_reachable and pending.size:
            tries[pending] += 1
            spent = pending[tries[pending] >= plim]
            arms[spent] = sample_dh(spent.size, rng)
            tries[spent] = 0
    return arms, pose


def select_branch(q_all: np.ndarray, branch: Branch, rng: np.random.Generator | None = None,
                  lower: np.ndarray | None = None, upper: np.ndarray | None = None):
    """Pick one solution per sample among the valid (finite, within limits) branches.

    Returns ``(q (n, 6), ok (n,) bool)``; rows without a valid branch are NaN with ``ok`` False.
    """
    valid = np.all(np.isfinite(q_all), axis=2)
    if lower is not None:
        valid &= np.all(q_all >= np.asarray(lower) - 1e-12, axis=2)
    if upper is not None:
        valid &= np.all(q_all <= np.asarray(upper) + 1e-12, axis=2)
    ok = valid.any(axis=1)
    if branch == "ikine6s":  # one fixed configuration, as RTB's solver: no fallback to another branch
        idx = np.full(len(valid), IKINE6S_BRANCH)
        ok = valid[:, IKINE6S_BRANCH]
    elif branch == "canonical":
        idx = np.argmax(valid, axis=1)
    elif branch == "random":
        rng = rng if rng is not None else np.random.default_rng(0)
        score = np.where(valid, rng.random(valid.shape), -1.0)
        idx = np.argmax(score, axis=1)
    else:
        raise ValueError(f"branch must be 'ikine6s', 'canonical' or 'random', got {branch!r}")
    q = q_all[np.arange(q_all.shape[0]), idx]
    q[~ok] = np.nan
    return q, ok


# ------------------------------------------------------------------------------------------ features
def features(params: np.ndarray, pose: np.ndarray, layout: Layout = "kine",
             rng: np.random.Generator | None = None) -> np.ndarray:
    """Feature rows ``(n, 24)`` (``kine``) or ``(n, 96)`` (``dyna``); see the module docstring."""
    d, a, al = dh_table(params)
    n = d.shape[0]
    if layout == "kine":
        return np.hstack([d, a, al, pose])
    if layout != "dyna":
        raise ValueError(f"layout must be 'kine' or 'dyna', got {layout!r}")
    rng = rng if rng is not None else np.random.default_rng(0)
    tc = np.empty((n, 12))
    tc[:, 0::2] = rng.uniform(0, 0.5, (n, 6))
    tc[:, 1::2] = rng.uniform(-0.5, 0, (n, 6))
    dyn = [rng.uniform(0, 10, (n, 6)), rng.uniform(-0.05, 0.05, (n, 18)), rng.uniform(0, 1, (n, 18)),
           rng.uniform(0, 0.005, (n, 6)), tc, rng.uniform(-50, 50, (n, 6)), rng.uniform(0, 5e-4, (n, 6))]
    return np.hstack([d, a, al, *dyn, pose])


@dataclass
class M3Dataset:
    """One M3-style dataset. ``X`` (n, 24|96) features, ``reachable`` (n,) labels, ``params`` (n, 4),
    ``pose`` (n, 6), ``arm`` (n,) arm index (for splits by manipulator), ``q`` (n, 6) label solution
    (NaN where unreachable), ``J`` (n, 36) flattened Jacobian row-major (NaN where unreachable)."""

    X: np.ndarray
    reachable: np.ndarray
    params: np.ndarray
    pose: np.ndarray
    arm: np.ndarray
    q: np.ndarray
    J: np.ndarray
    layout: str
    frame: str
    branch: str


def make_dataset(n: int, *, sampler: Sampler = "m3", n_arms: int | None = None, layout: Layout = "kine",
                 frame: str = "tip", branch: Branch = "ikine6s", only_reachable: bool = False, lower=None,
                 upper=None, pose_radius: float = 0.4, jacobians: bool = True, seed: int = 0) -> M3Dataset:
    """Sample ``n`` (arm, pose) pairs with labels, vectorised.

    ``sampler="m3"`` (default): M3's own sampler, one fresh arm per sample (:func:`sample_m3`; with
    ``only_reachable`` its ``jacob*`` files, otherwise its ``conf*`` files). ``sampler="uniform"``: ``n_arms``
    arms (default ``n``) with uniform poses assigned in turn; ``only_reachable`` keeps drawing poses of random
    arms until ``n`` reachable ones exist. ``lower``/``upper``: joint limits (rad) for the IK label, uniform
    sampler only (M3's arms have none). ``jacobians=False`` skips the IK label (``q``, ``J`` stay NaN):
    reachability labels only, the cheap part (for confidence sets).
    """
    rng = np.random.default_rng(seed)
    if sampler == "m3":
        if n_arms is not None or lower is not None or upper is not None:
            raise ValueError("sampler='m3' draws one limit-free arm per sample; use sampler='uniform' for "
                             "n_arms or joint limits")
        prm, pose = sample_m3(n, rng, only_reachable=only_reachable, radius=pose_radius)
        if jacobians:
            q, ok = select_branch(analytic_ik(prm, pose)[0], branch, rng)
        else:
            q, ok = np.full((n, 6), np.nan), reachable(prm, pose)
        chunks = [(np.arange(n), prm, pose, q, ok)]
    elif sampler == "uniform":
        chunks = _uniform_chunks(n, n_arms, rng, branch, only_reachable, lower, upper, pose_radius)
    else:
        raise ValueError(f"sampler must be 'm3' or 'uniform', got {sampler!r}")
    arm, prm, pose, q, ok = (np.concatenate(c) for c in zip(*chunks))
    J = np.full((n, 36), np.nan)
    if jacobians and ok.any():
        _, Jk = fk_jacobian(prm[ok], q[ok], frame)  # type: ignore[arg-type]
        J[ok] = Jk.reshape(-1, 36)
    X = features(prm, pose, layout, rng)
    return M3Dataset(X, ok, prm, pose, arm, q, J, layout, frame, branch)


def _uniform_chunks(n, n_arms, rng, branch, only_reachable, lower, upper, pose_radius) -> list[tuple]:
    n_arms = n if n_arms is None else int(n_arms)
    arms = sample_dh(n_arms, rng)
    chunks: list[tuple] = []
    have = 0
    while have < n:
        m = n - have if not only_reachable else int(1.8 * (n - have)) + 16
        arm = rng.integers(0, n_arms, m) if n_arms < n or only_reachable else np.arange(have, have + m) % n_arms
        prm = arms[arm]
        pose = sample_poses(m, rng, pose_radius)
        q, ok = select_branch(analytic_ik(prm, pose)[0], branch, rng, lower, upper)
        if only_reachable:
            arm, prm, pose, q, ok = arm[ok], prm[ok], pose[ok], q[ok], ok[ok]
        take = min(n - have, len(ok))
        chunks.append((arm[:take], prm[:take], pose[:take], q[:take], ok[:take]))
        have += take
    return chunks
