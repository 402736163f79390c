"""Gated IK (paper 001's "IK fallback"): ask the reachability classifier first, solve only what may be reachable."""

from __future__ import annotations

import numpy as np

from iklearn.errors import IKLearnError, ModelMismatchError
from iklearn.estimators.ml_ik.classifier import ConditioningClassifier
from iklearn.kinematics import fk, pose_error
from iklearn.solvers.base import IKSolver, prepare
from iklearn.solvers.result import IKResult


class GatedIK(IKSolver):
    """Wrap any :class:`IKSolver`: targets the classifier calls unreachable with probability
    ``>= skip_threshold`` are not solved (``success=False``, ``iterations=0``, ``q`` = the seed);
    everything else goes to ``solver``.

    A skip costs one small network evaluation instead of an IK call that would end in failure after its
    full budget; a reachable target wrongly skipped is the price, so ``skip_threshold`` is high by default.

    Attributes
    ----------
    last_skipped_ : (N,) bool, which targets of the last :meth:`solve` call were skipped
    n_calls_ : int, targets passed to ``solver`` so far
    n_skipped_ : int, targets skipped so far
    """

    def __init__(self, solver: IKSolver, classifier: ConditioningClassifier, *, skip_threshold: float = 0.99) -> None:
        super().__init__(solver.chain)
        if not 0.0 < skip_threshold <= 1.0:
            raise IKLearnError("skip_threshold must be in (0, 1]")
        if classifier.robot is not None and classifier.robot.fingerprint() != solver.chain.fingerprint():
            raise ModelMismatchError(f"the classifier was trained for '{classifier.robot.name}', "
                                     f"the solver is for '{solver.chain.name}'")
        self.solver = solver
        self.classifier = classifier
        self.skip_threshold = float(skip_threshold)
        self.name = f"gated-{getattr(solver, 'name', 'solver')}"
        self.n_calls_ = 0
        self.n_skipped_ = 0
        self.last_skipped_ = np.zeros(0, bool)

    def solve(self, targets, q0=None) -> IKResult:
        """Solve ``targets`` ``(N, 7)`` / ``(N, 4, 4)``; skipped ones come back unsolved with their seed."""
        T, Q0, single = prepare(self.chain, targets, q0, 0)
        p_unreach = self.classifier.predict_proba(T)[:, 0] if T.shape[0] else np.zeros(0)
        skip = p_unreach >= self.skip_threshold
        N, n = T.shape[0], self.chain.dof
        q = Q0.copy()
        succ = np.zeros(N, bool)
        perr, rerr = np.empty(N), np.empty(N)
        iters = np.zeros(N, np.int64)
        go = np.flatnonzero(~skip)
        if go.size:
            r = self.solver.solve(T[go], q0=None if q0 is None else Q0[go])
            q[go], succ[go], perr[go], rerr[go], iters[go] = r.q, r.success, r.position_error, \
                r.rotation_error, r.iterations
        if skip.any():
            perr[skip], rerr[skip] = pose_error(fk(self.chain, q[skip]).reshape(-1, 4, 4), T[skip])
        self.last_skipped_ = skip
        self.n_calls_ += int(go.size)
        self.n_skipped_ += int(skip.sum())
        return IKResult(q.reshape(N, n), succ, perr, rerr, iters)
