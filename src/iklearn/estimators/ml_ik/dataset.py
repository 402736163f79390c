"""The conditioning dataset of paper 001: reachable poses labelled by conditioning, plus unreachable poses."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from iklearn.data.sampling import sample_joints
from iklearn.errors import ShapeError
from iklearn.robot.chain import Chain


@dataclass(frozen=True)
class ConditioningData:
    """Poses and both labellings.

    pose : (N, 7) ``[x, y, z, qx, qy, qz, qw]``; the reachable rows first, then the unreachable ones
    q : (N_reachable, dof) the sampled configuration of each reachable row
    label_paper : (N,) int, class of the sampled configuration's inverse condition number (the paper's)
    label_best : (N,) int, class of the best-conditioned IK solution found for the pose (a function of the pose)
    thresholds_paper, thresholds_best : (t_low, t_high) inverse-condition thresholds of each labelling, the
        percentiles over the reachable rows of ``train`` only
    best_method : how ``label_best`` found the solutions: 'analytic' (all of them, closed form) or 'ik'
    ic_sampled, ic_best : (N_reachable,) inverse condition numbers behind ``label_paper`` and ``label_best``
    """

    pose: np.ndarray
    q: np.ndarray
    label_paper: np.ndarray
    label_best: np.ndarray
    thresholds_paper: tuple[float, float]
    thresholds_best: tuple[float, float]
    best_method: str = "ik"
    ic_sampled: np.ndarray | None = None
    ic_best: np.ndarray | None = None

    @property
    def reachable(self) -> np.ndarray:
        """(N,) bool."""
        return self.label_paper > 0


def conditioning_dataset(chain: Chain, n_reachable: int, n_unreachable: int, *, seed: int = 0,
                         restarts: int = 8, percentiles=(20, 60, 20),
                         unreachable_margin: float | None = 0.1, label_method: str = "auto",
                         train: np.ndarray | None = None) -> ConditioningData:
    """Build the paper's dataset: joint-space samples labelled by the percentile of their inverse condition
    number (bottom 20 % near-singular, middle 60 % adequate, top 20 % high manipulability), plus
    ``n_unreachable`` poses (half inside the reach sphere, half outside) confirmed unreachable by a KD-tree
    distance to the reachable positions and by IK with restarts (class 0).

    ``unreachable_margin`` (m) is the KD-tree radius: an unreachable pose lies at least this far from every
    sampled reachable position, and IK with ``restarts`` random restarts must also fail on it (the
    decisive test). A fixed distance keeps the gap between the classes the same at every dataset size
    (the data layer's default, 3 x the sample spacing, shrinks as the sample grows, so "unreachable"
    creeps ever closer to the reachable set). None: that adaptive default.

    ``train`` ``(n_reachable + n_unreachable,)`` bool: the rows whose reachable part sets the class thresholds
    (the training rows, so that test rows take no part in their own labels); None: all rows.

    ``label_best`` relabels each reachable pose by its best-conditioned IK solution, with thresholds at the
    same percentiles of those values. ``label_method`` (see :func:`best_solution_inverse_condition`):
    'analytic' uses every closed-form solution (UR arms: exact), 'ik' the sampled configuration plus LM
    solutions from ``restarts`` random seeds, 'auto' the closed form where there is one.
    """
    from iklearn.data.labels import conditioning_labels, unreachable_poses
    from iklearn.data.labels import best_solution_inverse_condition, label_solver
    from iklearn.kinematics import fk_and_jacobian, manipulability, matrix_to_pose7

    q = sample_joints(chain, n_reachable, "uniform", seed=seed)
    T, J = fk_and_jacobian(chain, q)
    ic = manipulability(J).inverse_condition
    fit = np.ones(n_reachable, bool)
    if train is not None:
        fit = np.asarray(train, bool)
        if fit.shape != (n_reachable + n_unreachable,):
            raise ShapeError(f"train must be ({n_reachable + n_unreachable},) bool, got shape {fit.shape}")
        fit = fit[:n_reachable]
    _, thr_p = conditioning_labels(ic[fit], percentiles=percentiles)
    lab_p, _ = conditioning_labels(ic, thresholds=thr_p)
    best = best_solution_inverse_condition(chain, T, q, restarts=restarts, seed=seed, method=label_method)
    used = "ik" if label_solver(chain, label_method) is None else "analytic"
    _, thr_b = conditioning_labels(best[fit], percentiles=percentiles)
    lab_b, _ = conditioning_labels(best, thresholds=thr_b)
    reach_pose = matrix_to_pose7(T)
    un = unreachable_poses(chain, n_unreachable, reach_pose[:, :3], seed=seed, restarts=restarts,
                           min_distance=unreachable_margin)
    zeros = np.zeros(n_unreachable, int)
    return ConditioningData(
        pose=np.concatenate([reach_pose, un]),
        q=q,
        label_paper=np.concatenate([lab_p.astype(int), zeros]),
        label_best=np.concatenate([lab_b.astype(int), zeros]),
        thresholds_paper=tuple(map(float, thr_p)),
        thresholds_best=tuple(map(float, thr_b)),
        best_method=used,
        ic_sampled=ic,
        ic_best=best,
    )
