"""Labels for reachability/conditioning classifiers (paper 001).

Four classes: ``0`` unreachable, ``1`` reachable but near-singular, ``2`` adequately conditioned,
``3`` high manipulability. Reachable samples are split on the inverse condition number of the Jacobian
``1/kappa = sigma_min / sigma_max`` (bottom 20 %, middle 60 %, top 20 % by default); unreachable poses are
sampled half inside and half outside the arm's reach sphere and kept only when no reachable sample lies
close (KD-tree) and a numerical IK solver with several restarts also fails.
"""

from __future__ import annotations

import numpy as np

from iklearn._validate import as_batch
from iklearn.data.sampling import DataArgumentError, check_size
from iklearn.errors import IKLearnError, ModelMismatchError
from iklearn.kinematics import jacobian, manipulability
from iklearn.kinematics.pose import as_poses, pose7_to_matrix
from iklearn.robot.chain import Chain
from iklearn.solvers.analytic import UR_PARAMETERS, URAnalyticIK
from iklearn.solvers.lm import LevenbergMarquardt

UNREACHABLE, NEAR_SINGULAR, ADEQUATE, HIGH_MANIPULABILITY = 0, 1, 2, 3
#: the classes' names (paper 001), index = label
CLASS_NAMES: tuple[str, ...] = ("unreachable", "near-singular", "adequately conditioned", "high manipulability")


def conditioning_labels(
    inverse_condition: np.ndarray,
    thresholds: tuple[float, float] | None = None,
    percentiles: tuple[float, float, float] = (20, 60, 20),
) -> tuple[np.ndarray, tuple[float, float]]:
    """Conditioning classes 1/2/3 from the inverse condition number.

    Parameters
    ----------
    inverse_condition : (N,) values in [0, 1]
    thresholds : (t_low, t_high), optional
        Fixed thresholds. ``ic < t_low`` -> 1 (near-singular), ``t_low <= ic < t_high`` -> 2 (adequate),
        ``ic >= t_high`` -> 3 (high manipulability). When omitted they are the percentiles below.
    percentiles : (p_low, p_mid, p_high), summing to 100
        Shares of the three classes when the thresholds come from the data: ``t_low`` is the ``p_low``-th
        percentile and ``t_high`` the ``(p_low + p_mid)``-th.

    Returns
    -------
    labels : (N,) int8 in {1, 2, 3}
    thresholds : (t_low, t_high) actually used (store them with the dataset to label new data alike)
    """
    ic = np.asarray(inverse_condition, float)
    if ic.ndim != 1 or ic.shape[0] == 0:
        raise DataArgumentError(f"inverse_condition must be a non-empty (N,) array, got shape {ic.shape}")
    if not np.isfinite(ic).all():
        raise DataArgumentError("inverse_condition contains NaN or inf")
    if thresholds is None:
        p = np.asarray(percentiles, float)
        if p.shape != (3,) or (p < 0).any() or abs(p.sum() - 100.0) > 1e-9:
            raise DataArgumentError(f"percentiles must be three non-negative shares summing to 100, got {percentiles}")
        lo, hi = np.percentile(ic, [p[0], p[0] + p[1]])
    else:
        t = np.asarray(thresholds, float)
        if t.shape != (2,) or not np.isfinite(t).all() or t[0] > t[1]:
            raise DataArgumentError(f"thresholds must be (t_low, t_high) with t_low <= t_high, got {thresholds}")
        lo, hi = t
    labels = np.full(ic.shape[0], ADEQUATE, dtype=np.int8)
    labels[ic < lo] = NEAR_SINGULAR
    labels[ic >= hi] = HIGH_MANIPULABILITY
    return labels, (float(lo), float(hi))


def _ball(rng: np.random.Generator, m: int, r0: float, r1: float) -> np.ndarray:
    """``m`` points uniform (by volume) in the spherical shell ``r0 <= |p| <= r1`` about the origin."""
    d = rng.normal(size=(m, 3))
    d /= np.linalg.norm(d, axis=1, keepdims=True)
    r = np.cbrt(rng.uniform(r0**3, r1**3, m))
    return d * r[:, None]


def unreachable_poses(
    chain: Chain,
    n: int,
    reachable_positions: np.ndarray,
    seed: int = 0,
    solver=None,
    restarts: int = 8,
    *,
    min_distance: float | None = None,
    outside_factor: float = 1.5,
    max_rounds: int = 50,
) -> np.ndarray:
    """Sample ``n`` poses the robot cannot reach.

    Candidates have uniformly random orientations; half of them have positions uniform in the reach sphere
    (radius ``r`` = the farthest reachable sample from the base origin), half in the shell
    ``[r, outside_factor * r]``. A candidate is kept when the KD-tree over ``reachable_positions`` finds no
    sample within ``min_distance`` **and** the IK solver fails on it (candidates beyond ``chain.reach()``, a
    proven upper bound, skip the solver).

    Parameters
    ----------
    chain : Chain
    n : int, > 0
    reachable_positions : (M, 3) positions of reachable samples (m), e.g. ``dataset.pose[:, :3]``
    seed : int
    solver : object with ``.solve(targets (N, 4, 4)) -> IKResult``, optional
        Default: :class:`~iklearn.solvers.lm.LevenbergMarquardt` with ``restarts`` random restarts of
        100 iterations each.
    restarts : int
        Restarts of the default solver.
    min_distance : float, m, optional
        KD-tree radius. Default: 3 x the median nearest-neighbour spacing of the reachable set (on a
        subsample of at most 20,000 points), so the filter adapts to the sampling density.
    max_rounds : int
        Give up (error) after this many rounds of candidates if still short of ``n``.

    Returns
    -------
    (n, 7) poses ``[x, y, z, qx, qy, qz, qw]``: the first ``n // 2`` inside the reach sphere, the rest outside.
    """
    from scipy.spatial import cKDTree
    from scipy.spatial.transform import Rotation

    n = check_size(n)
    P = np.asarray(reachable_positions, float)
    if P.ndim != 2 or P.shape[1] != 3 or P.shape[0] < 2 or not np.isfinite(P).all():
        raise DataArgumentError(f"reachable_positions must be a finite (M >= 2, 3) array, got shape {P.shape}")
    if restarts < 1:
        raise DataArgumentError(f"restarts must be >= 1, got {restarts}")
    tree = cKDTree(P)
    rng = np.random.default_rng([seed, 0x0B5])
    if min_distance is None:
        sub = P[rng.choice(P.shape[0], min(P.shape[0], 20_000), replace=False)]
        d, _ = cKDTree(sub).query(sub, k=2)
        min_distance = 3.0 * float(np.median(d[:, 1])) * (sub.shape[0] / P.shape[0]) ** (1 / 3)
    if solver is None:
        solver = LevenbergMarquardt(chain, max_iterations=100 * restarts, iterations_per_try=100, seed=seed)
    r = float(np.linalg.norm(P, axis=1).max())
    hard = chain.reach()
    want = {"inside": n // 2, "outside": n - n // 2}
    shells = {"inside": (0.0, r), "outside": (r, outside_factor * r)}
    found: dict[str, list[np.ndarray]] = {"inside": [], "outside": []}
    drawn = {"inside": 0, "outside": 0}
    for _ in range(max_rounds):
        for part in ("inside", "outside"):
            have = sum(len(a) for a in found[part])
            if have >= want[part]:
                continue
            # draw enough for the acceptance rate seen so far (a wide margin keeps few candidates)
            rate = max(have / drawn[part], 0.01) if drawn[part] else 0.5
            m = max(64, int(1.2 * (want[part] - have) / rate))
            drawn[part] += m
            pos = _ball(rng, m, *shells[part])
            quat = Rotation.random(m, random_state=rng).as_quat()
            quat[quat[:, 3] < 0] *= -1
            cand = np.column_stack([pos, quat])
            cand = cand[tree.query(pos, k=1)[0] > min_distance]
            if cand.shape[0] == 0:
                continue
            found[part].append(cand[_fails(solver, cand, hard)])
        if all(sum(len(a) for a in found[p]) >= want[p] for p in want):
            break
    else:
        got = {p: sum(len(a) for a in found[p]) for p in want}
        raise IKLearnError(f"found only {got} unreachable poses of {want} after {max_rounds} rounds")
    parts = [np.concatenate(found[p])[: want[p]] for p in ("inside", "outside") if want[p]]
    return np.concatenate(parts, axis=0)


def _fails(solver, cand: np.ndarray, reach: float) -> np.ndarray:
    """(M,) bool: the poses ``cand`` ``(M, 7)`` that lie beyond ``reach`` (m, a proven bound) or that ``solver``
    fails on."""
    need_ik = np.linalg.norm(cand[:, :3], axis=1) <= reach
    keep = ~need_ik
    if need_ik.any():
        res = solver.solve(pose7_to_matrix(cand[need_ik]))
        keep[np.flatnonzero(need_ik)[~np.asarray(res.success, bool)]] = True
    return keep


HARD_KINDS: tuple[str, ...] = ("inside", "boundary", "orientation")


def hard_unreachable_poses(chain: Chain, n: int, reachable_poses: np.ndarray, seed: int = 0, *,
                           restarts: int = 8, shell: tuple[float, float] = (0.97, 1.03),
                           max_rounds: int = 200) -> tuple[np.ndarray, np.ndarray]:
    """Unreachable poses that sit among the reachable ones, where no distance test can tell them apart.

    Three kinds, about ``n / 3`` each (``HARD_KINDS``), about the centre ``c`` of the reachable positions'
    bounding box (for a UR5 the reachable positions' outer boundary lies within 2 % of a sphere about it)
    with ``r`` the farthest reachable position from ``c``: ``inside``, positions uniform in the ball of radius
    ``shell[0] * r`` with random orientations; ``boundary``, positions in the shell ``shell[0] * r ..
    shell[1] * r``; ``orientation``,
    the exact position of a reachable pose (drawn from ``reachable_poses``) with a random orientation. A
    candidate is kept only when the robot cannot reach it: by its closed-form IK where it has one (exact,
    every solution; UR arms), else when Levenberg-Marquardt from ``restarts`` random seeds fails.

    Returns
    -------
    poses : (n, 7) ``[x, y, z, qx, qy, qz, qw]`` (``qw >= 0``), grouped by kind in ``HARD_KINDS`` order
    kind : (n,) int, the index of each pose's kind in ``HARD_KINDS``
    """
    from scipy.spatial.transform import Rotation

    n = check_size(n)
    P = np.asarray(reachable_poses, float)
    if P.ndim != 2 or P.shape[1] != 7 or P.shape[0] < 2 or not np.isfinite(P).all():
        raise DataArgumentError(f"reachable_poses must be a finite (M >= 2, 7) array, got shape {P.shape}")
    solver = label_solver(chain, "auto")
    if solver is None:
        solver = LevenbergMarquardt(chain, max_iterations=100 * restarts, iterations_per_try=100, seed=seed)
    rng = np.random.default_rng([seed, 0x4A2D])
    c = 0.5 * (P[:, :3].max(axis=0) + P[:, :3].min(axis=0))
    r = float(np.linalg.norm(P[:, :3] - c, axis=1).max())
    want = [n // 3, n // 3, n - 2 * (n // 3)]
    found: list[list[np.ndarray]] = [[], [], []]
    drawn = [0, 0, 0]
    for _ in range(max_rounds):
        for k in range(3):
            have = sum(len(a) for a in found[k])
            if have >= want[k]:
                continue
            rate = max(have / drawn[k], 0.005) if drawn[k] else 0.2
            m = min(max(256, int(1.3 * (want[k] - have) / rate)), 200_000)
            drawn[k] += m
            if k == 0:
                pos = c + _ball(rng, m, 0.0, shell[0] * r)
            elif k == 1:
                pos = c + _ball(rng, m, shell[0] * r, shell[1] * r)
            else:
                pos = P[rng.integers(0, P.shape[0], m), :3]
            quat = Rotation.random(m, random_state=rng).as_quat()
            quat[quat[:, 3] < 0] *= -1
            cand = np.column_stack([pos, quat])
            found[k].append(cand[_fails(solver, cand, chain.reach())])
        if all(sum(len(a) for a in found[k]) >= want[k] for k in range(3)):
            break
    else:
        got = [sum(len(a) for a in found[k]) for k in range(3)]
        raise IKLearnError(f"found only {got} hard unreachable poses of {want} after {max_rounds} rounds")
    poses = np.concatenate([np.concatenate(found[k])[: want[k]] for k in range(3)])
    return poses, np.repeat(np.arange(3), want)


def sampled_label_posterior(chain: Chain, poses, thresholds: tuple[float, float]) -> np.ndarray:
    """P(class of the sampled configuration | pose) ``(N, 4)`` when configurations are drawn uniformly in the
    joint limits: the Bayes-optimal answer to paper 001's labels (closed-form robots only).

    A pose reached by the IK solutions ``q_k`` is drawn through each with probability proportional to
    ``1 / |det J(q_k)|`` (the change of volume from joint space to SE(3); the 2 pi aliases inside the limits
    are the same for every branch), so the class of the sampled configuration is random given the pose.
    Column 0 (unreachable) is 1 where the pose has no solution. ``thresholds`` as in
    :func:`conditioning_labels`.
    """
    T, _ = as_poses(poses, "poses")
    solver = label_solver(chain, "analytic")
    q, valid = solver.solve_all(T)
    N, K = valid.shape
    J = jacobian(chain, np.nan_to_num(q).reshape(-1, chain.dof))
    ic = manipulability(J).inverse_condition.reshape(N, K)
    w = np.where(valid, 1.0 / np.maximum(np.abs(np.linalg.det(J)).reshape(N, K), 1e-300), 0.0)
    lab, _ = conditioning_labels(np.where(valid, ic, 0.0).ravel(), thresholds=thresholds)
    lab = lab.reshape(N, K)
    post = np.zeros((N, 4))
    for c in (NEAR_SINGULAR, ADEQUATE, HIGH_MANIPULABILITY):
        post[:, c] = (w * (lab == c)).sum(axis=1)
    tot = post.sum(axis=1)
    post[tot == 0, UNREACHABLE] = 1.0
    return post / post.sum(axis=1, keepdims=True)


def best_solution_inverse_condition(chain: Chain, poses, q_known=None, *, restarts: int = 8,
                                    seed: int = 0, method: str = "auto") -> np.ndarray:
    """The largest inverse condition number over the IK solutions of each pose ``(N,)`` (0: none found).

    A 6-DOF pose has several IK solutions (up to 8 for UR5 / PUMA 560) with different conditioning, so the
    class of the one sampled configuration is not a function of the pose. This makes it one.

    method : 'analytic' takes every closed-form solution inside the joint limits (UR arms: exact, all eight);
        'ik' solves each pose from ``restarts`` random seeds (limit-respecting LM) and keeps the successful
        solutions (a missed solution leaves label noise); 'auto' is 'analytic' where the robot has a
        closed form, else 'ik'. ``q_known`` ``(N, dof)``, the sampled configuration, joins the candidates.
    """
    T, _ = as_poses(poses, "poses")
    N = T.shape[0]
    best = np.zeros(N)
    if q_known is not None:
        Qk, _ = as_batch(q_known, chain.dof, "q_known")
        best = manipulability(jacobian(chain, Qk)).inverse_condition
    solver = label_solver(chain, method)
    if solver is not None:
        q, valid = solver.solve_all(T)
        ic = manipulability(jacobian(chain, np.nan_to_num(q).reshape(-1, chain.dof))).inverse_condition
        ic = np.where(valid, ic.reshape(N, -1), 0.0)
        return np.maximum(best, ic.max(axis=1))

    lm = LevenbergMarquardt(chain, tol_position=1e-6, tol_rotation=1e-5, max_iterations=60,
                            iterations_per_try=60, seed=seed)
    for r in range(restarts):
        res = lm.solve(T)
        ic = manipulability(jacobian(chain, res.q)).inverse_condition
        best = np.where(res.success, np.maximum(best, ic), best)
    return best


def label_solver(chain: Chain, method: str = "auto"):
    """The closed-form solver :func:`best_solution_inverse_condition` uses for ``chain`` under ``method``, or
    None where it solves by LM restarts ('ik', or 'auto' on a robot without a closed form here)."""
    if method not in ("auto", "analytic", "ik"):
        raise IKLearnError(f"method must be 'auto', 'analytic' or 'ik', got {method!r}")
    solver = None
    if method != "ik" and chain.name in UR_PARAMETERS:
        try:
            solver = URAnalyticIK(chain)
        except ModelMismatchError:  # a UR name on another model (a tool, a base offset): no closed form
            pass
    if solver is None and method == "analytic":
        raise IKLearnError(f"robot {chain.name!r} has no closed-form IK here (UR arms only); use method='ik'")
    return solver
