"""Damped least squares IK with adaptive damping (batched with numpy).

Step (Wampler 1986; Nakamura & Hanafusa 1986), for a task error ``e`` (world frame, m and rad) and the
world-frame geometric Jacobian ``J``::

    dq = W^-1 J^T (J W^-1 J^T + lambda^2 I)^-1 e,      q <- clip(q + dq, lower, upper)

``W`` is an optional diagonal joint weighting. The damping ``lambda`` adapts per target: a step that lowers
the error is kept and ``lambda`` shrinks; one that does not is undone and ``lambda`` grows (so the solver
behaves like Gauss-Newton far from singularities and like a short gradient step near them). As in
Buss (2004) the error is clamped to ``max_step_position`` / ``max_step_rotation`` before each step so the
linearisation stays valid. Every iteration is one vectorised pass over the still-unsolved targets.
"""

from __future__ import annotations

import numpy as np

from iklearn._validate import check_seed
from iklearn.errors import IKLearnError
from iklearn.kinematics.fk import fk_and_jacobian
from iklearn.kinematics.pose import pose_error, task_error
from iklearn.robot.chain import Chain
from iklearn.solvers.base import IKSolver, prepare
from iklearn.solvers.result import IKResult


def clamp_error(e: np.ndarray, max_position: float, max_rotation: float) -> np.ndarray:
    """Scale the position and rotation parts of ``e`` ``(N, 6)`` (or ``(N, 3)``) to at most the given norms."""
    e = e.copy()
    for sl, lim in ((slice(0, 3), max_position), (slice(3, 6), max_rotation)):
        part = e[:, sl]
        if part.shape[1] == 0 or not np.isfinite(lim):
            continue
        n = np.linalg.norm(part, axis=1)
        f = np.where(n > lim, lim / np.maximum(n, 1e-300), 1.0)
        e[:, sl] = part * f[:, None]
    return e


def dls_step(J: np.ndarray, e: np.ndarray, damping, joint_weights: np.ndarray | None = None) -> np.ndarray:
    """One damped least-squares step for a batch.

    Parameters
    ----------
    J : (N, m, dof) Jacobians
    e : (N, m) task errors
    damping : float or (N,) lambda (not squared)
    joint_weights : (dof,) or (N, dof), optional
        Positive joint weights ``W`` (a larger weight moves that joint less).

    Returns
    -------
    (N, dof) joint steps ``W^-1 J^T (J W^-1 J^T + lambda^2 I)^-1 e``.
    """
    J = np.asarray(J, float)
    N, m, _ = J.shape
    lam = np.broadcast_to(np.asarray(damping, float), (N,))
    JW = J if joint_weights is None else J / np.asarray(joint_weights, float)[..., None, :]
    A = np.einsum("nij,nkj->nik", JW, J)
    A[:, np.arange(m), np.arange(m)] += (lam**2)[:, None]
    y = np.linalg.solve(A, e[..., None])[..., 0]
    return np.einsum("nij,ni->nj", JW, y)


class DampedLeastSquares(IKSolver):
    """Damped least-squares IK with adaptive damping, clamped to the joint limits.

    Parameters
    ----------
    chain : Chain
    tol_position : float, m
    tol_rotation : float, rad (ignored when ``position_only``)
    max_iterations : int
        Iterations per target (a rejected step counts as one).
    damping : float
        Initial damping ``lambda``.
    damping_min, damping_max : float
        Bounds of the adaptive damping; a target whose damping reaches ``damping_max`` has stalled and stops.
    adaptive : bool
        False gives classic fixed-damping DLS (every step accepted, ``lambda = damping``).
    max_step_position : float, m
    max_step_rotation : float, rad
        Error clamping before each step.
    joint_weights : (dof,) positive, optional
    position_only : bool
        Solve for position alone (orientation free).
    restarts : int
        Extra tries from uniform random configurations for the targets still unsolved (0: the classic
        single-start baseline). ``iterations`` counts all tries.
    seed : int
        Seed of random initial configurations when ``q0`` is not given.
    """

    name = "iklearn-dls"

    def __init__(
        self,
        chain: Chain,
        *,
        tol_position: float = 1e-6,
        tol_rotation: float = 1e-5,
        max_iterations: int = 500,
        damping: float = 0.05,
        damping_min: float = 1e-6,
        damping_max: float = 1e3,
        adaptive: bool = True,
        max_step_position: float = 0.2,
        max_step_rotation: float = 0.5,
        joint_weights: np.ndarray | None = None,
        position_only: bool = False,
        restarts: int = 0,
        seed: int = 0,
    ) -> None:
        super().__init__(chain)
        if restarts < 0:
            raise IKLearnError("restarts must be >= 0")
        self.restarts = int(restarts)
        self.patience = 100  # iterations without progress before a target gives up
        if not (tol_position > 0 and tol_rotation > 0):
            raise IKLearnError("tolerances must be positive")
        if max_iterations < 1:
            raise IKLearnError("max_iterations must be at least 1")
        if not (0 < damping_min <= damping <= damping_max):
            raise IKLearnError("damping must satisfy 0 < damping_min <= damping <= damping_max")
        if joint_weights is not None:
            joint_weights = np.asarray(joint_weights, float)
            if joint_weights.shape != (chain.dof,) or not (joint_weights > 0).all():
                raise IKLearnError(f"joint_weights must be ({chain.dof},) positive numbers")
        self.tol_position = float(tol_position)
        self.tol_rotation = float(tol_rotation)
        self.max_iterations = int(max_iterations)
        self.damping = float(damping)
        self.damping_min = float(damping_min)
        self.damping_max = float(damping_max)
        self.adaptive = bool(adaptive)
        self.max_step_position = float(max_step_position)
        self.max_step_rotation = float(max_step_rotation)
        self.joint_weights = joint_weights
        self.position_only = bool(position_only)
        self.seed = check_seed(seed)
        self._rows = slice(0, 3) if self.position_only else slice(0, 6)

    # the pieces SDLS overrides
    def _step(self, J: np.ndarray, e: np.ndarray, lam: np.ndarray) -> np.ndarray:
        e = clamp_error(e, self.max_step_position, self.max_step_rotation)
        return dls_step(J, e, lam, self.joint_weights)

    def _cost(self, e: np.ndarray) -> np.ndarray:
        return np.einsum("ni,ni->n", e, e)

    def solve(self, targets, q0=None) -> IKResult:
        """Solve ``targets`` ``(N, 7)`` / ``(N, 4, 4)`` (or one ``(7,)`` / ``(4, 4)``) from seeds ``q0``.

        Returns an :class:`IKResult` of batch size ``N``: the lowest-error configuration visited, inside the
        joint limits; ``success`` where both errors are within tolerance.
        """
        # a seed stream of its own, so random starts never equal targets sampled with the same seed
        T_t, Q0, _ = prepare(self.chain, targets, q0, [self.seed, 0x1D15])
        res = self._run(T_t, self.chain.clip(Q0))
        rng = np.random.default_rng([self.seed, 0x2E57])
        c = self.chain
        for _ in range(self.restarts):
            todo = np.flatnonzero(~res.success)
            if todo.size == 0:
                break
            r = self._run(T_t[todo], rng.uniform(c.finite_lower, c.finite_upper, (todo.size, c.dof)))
            better = r.success | (r.position_error + r.rotation_error < res.position_error[todo]
                                  + res.rotation_error[todo])
            q, s, pe, re, it = (np.array(a) for a in (res.q, res.success, res.position_error,
                                                      res.rotation_error, res.iterations))
            sel = todo[better]
            q[sel], s[sel], pe[sel], re[sel] = r.q[better], r.success[better], r.position_error[better], \
                r.rotation_error[better]
            it[todo] += r.iterations
            res = IKResult(q, s, pe, re, it)
        return res

    def _run(self, T_t: np.ndarray, q: np.ndarray) -> IKResult:
        chain, rows = self.chain, self._rows
        N = q.shape[0]
        lam = np.full(N, self.damping)
        iters = np.zeros(N, np.int64)
        T, J = fk_and_jacobian(chain, q, "world")
        e = task_error(T, T_t)[:, rows]
        cost = self._cost(e)
        active = ~self._converged(T, T_t)
        best_q, best_cost = q.copy(), cost.copy()  # fixed-damping / SDLS steps may raise the error
        last_gain = np.zeros(N, np.int64)
        ref_cost = cost.copy()
        lo, hi = chain.lower, chain.upper
        tol_r = np.inf if self.position_only else self.tol_rotation
        for it in range(self.max_iterations):
            idx = np.flatnonzero(active)
            if idx.size == 0:
                break
            Jr = J[idx][:, rows]
            step = self._step(Jr, e[idx], lam[idx])
            # joints at a limit whose step points outwards are taken out and the step recomputed without
            # them, so the clamped step is still a descent direction for the free joints (and a locked
            # joint, lower == upper, never moves)
            qi = q[idx]
            blocked = ((qi <= lo) & (step < 0)) | ((qi >= hi) & (step > 0))
            redo = np.flatnonzero(blocked.any(axis=1))
            if redo.size:
                Jb = Jr[redo] * (~blocked[redo])[:, None, :]
                step[redo] = self._step(Jb, e[idx][redo], lam[idx][redo])
            q_new = chain.clip(q[idx] + step)
            T_new, J_new = fk_and_jacobian(chain, q_new, "world")
            e_new = task_error(T_new, T_t[idx])[:, rows]
            c_new = self._cost(e_new)
            iters[idx] += 1
            ok = c_new < cost[idx] if self.adaptive else np.ones(idx.size, bool)
            acc = idx[ok]
            q[acc], T[acc], J[acc], e[acc], cost[acc] = q_new[ok], T_new[ok], J_new[ok], e_new[ok], c_new[ok]
            better = acc[cost[acc] < best_cost[acc]]
            best_q[better], best_cost[better] = q[better], cost[better]
            # progress = the error fell by 1 % since the last progress: a target crawling along a joint
            # limit (or, without adaptive damping, oscillating) for `patience` iterations gives up
            gain = acc[cost[acc] < ref_cost[acc] * 0.99]
            ref_cost[gain], last_gain[gain] = cost[gain], it
            active[idx[it - last_gain[idx] > self.patience]] = False
            if self.adaptive:
                lam[acc] = np.maximum(lam[acc] * 0.5, self.damping_min)
                rej = idx[~ok]
                lam[rej] = lam[rej] * 4.0
                active[rej[lam[rej] > self.damping_max]] = False  # stalled: no step lowers the error
            pe = np.linalg.norm(e[idx, :3], axis=1)
            re = np.linalg.norm(e[idx, 3:], axis=1) if e.shape[1] == 6 else np.zeros(idx.size)
            active[idx[(pe <= self.tol_position) & (re <= tol_r)]] = False
        return self._result(best_q, T_t, iters)

    def _converged(self, T: np.ndarray, T_t: np.ndarray) -> np.ndarray:
        pe, re = pose_error(T, T_t)
        return (pe <= self.tol_position) & (self.position_only | (re <= self.tol_rotation))

    def _result(self, q: np.ndarray, T_t: np.ndarray, iters: np.ndarray) -> IKResult:
        from iklearn.kinematics.fk import fk

        T = fk(self.chain, q) if q.shape[0] else np.empty((0, 4, 4))
        pe, re = pose_error(T, T_t)
        if self.position_only:
            re = np.zeros_like(pe)
        succ = (pe <= self.tol_position) & (re <= (np.inf if self.position_only else self.tol_rotation))
        return IKResult(q, succ, pe, re, iters)
