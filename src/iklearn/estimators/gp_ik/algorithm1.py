"""Paper 000's Algorithm 1 as written, with the settings of its Sec. III-B: plain GP-IK, EI and UCB.

This is the solver of the reproduction's paper-protocol rows (:class:`Algorithm1`); the stronger solver of
:mod:`.solver` (LM trust control, candidate steps, a start memory) is our extension.

What the paper gives, and how it is used here:

* Algorithm 1: one start ``initial_config``; a GP initialised per solve (line 5); per iteration FK, error,
  success test, Jacobian, sensitivity, GP update, GP-guided joint weights, ``lambda = sensitivity x
  damping_factor``, damped least squares, ``q <- q + dq``, clamp to the limits. The loop is
  :func:`._algorithm1_kernel.algorithm1_pass`; every step is taken.
* Success: position < 1e-3 m and orientation < 1e-2 rad (Sec. III-B), also the tolerance of line 11.
* EI (Sec. III-B): convergence thresholds 0.99 position / 0.98 orientation, learning rate 0.5, "multiple
  restart policy (5 attempts)". UCB: thresholds 0.85 / 0.80, learning rate 1.5, momentum 0.3, "single-pass
  optimisation with early termination". Plain GP-IK: none of these (learning rate 1, no convergence test,
  one pass). All three: a 200-iteration cap ("EI consistently reached its 200-iteration cap"), counted as
  FK evaluations over all attempts.
* Matern 5/2 GP of the sensitivity over configurations (Sec. II-B).

What the paper leaves open, and our choice:

* the sensitivity metric's normalisation and weights (:mod:`.sensitivity`); GP hyperparameters (fixed:
  length scale 0.8 rad, signal variance 0.05, noise 1e-4, prior mean 0.5, the newest 64 points);
* GetWeights and how EI / UCB enter: the acquisition cost of :mod:`._algorithm1_kernel` (its slope along
  each joint's descent direction slows that joint);
* the damping factor: 0.1, so that ``lambda`` at the mid-range configuration (sensitivity 0.49) is about
  the 0.05 of the fixed-damping DLS baseline; ``lambda`` enters squared, as in Wampler's DLS;
* a "threshold": the error ratio ``new / old`` at or below which an iteration counts as progress (in
  position or in orientation); ``patience`` = 3 iterations in a row without progress = converged;
* a restart (EI) starts from a uniform random configuration inside the limits (seeded), and the result of a
  solve is its best attempt; no error clamping before the DLS step (Algorithm 1 has none).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from iklearn.errors import IKLearnError
from iklearn.estimators.gp_ik._algorithm1_kernel import ACQ_EI, ACQ_NONE, ACQ_UCB, algorithm1_pass
from iklearn.estimators.gp_ik.gp import OnlineGP
from iklearn.estimators.gp_ik.sensitivity import DEFAULT_WEIGHTS, reference_manipulability
from iklearn.estimators.gp_ik.solver import Trace
from iklearn.robot.chain import Chain
from iklearn.solvers.base import IKSolver, prepare
from iklearn.solvers.result import IKResult


@dataclass(frozen=True)
class PaperProfile:
    """Settings of one acquisition as paper 000 (Sec. III-B) states them."""

    learning_rate: float
    momentum: float
    attempts: int
    thresholds: tuple[float, float] | None  # (position, orientation) progress ratios; None = no test


PAPER_PROFILES: dict[str, PaperProfile] = {
    "none": PaperProfile(1.0, 0.0, 1, None),
    "ei": PaperProfile(0.5, 0.0, 5, (0.99, 0.98)),
    "ucb": PaperProfile(1.5, 0.3, 1, (0.85, 0.80)),
}
_MODES = {"none": ACQ_NONE, "ei": ACQ_EI, "ucb": ACQ_UCB}


class Algorithm1(IKSolver):
    """Jacobian-guided GP-IK, Algorithm 1 of paper 000 as written (choices in the module docstring).

    Parameters
    ----------
    chain : Chain
    acquisition : {'none', 'ei', 'ucb'}
        Plain GP-IK, or the EI / UCB profile of :data:`PAPER_PROFILES`.
    tol_position, tol_rotation : float, m and rad
        Line 11's tolerance (default: the paper's success criterion).
    max_iterations : int
        FK evaluations per target over all attempts (the paper's cap: 200).
    damping : float
        Damping factor: ``lambda = sensitivity * damping``.
    use_gp : bool
        False switches the GP off (no GP update, unit joint weights): the ablation of the learned part.
    eta, probe_step, ucb_beta, patience
        Weight strength; probe of the acquisition slope (rad); UCB's exploration weight; convergence patience.
    gp_length_scale, gp_signal_variance, gp_noise_variance, gp_window
        GP hyperparameters (rad, -, -, points).
    seed : int
        Seed of the restarts (and of random initial configurations when ``q0`` is None); the same call gives
        the same answer every time, and target ``i`` of a batch the answer of a single call.
    """

    name = "gp-ik-algorithm1"

    def __init__(self, chain: Chain, *, acquisition: str = "none", tol_position: float = 1e-3,
                 tol_rotation: float = 1e-2, max_iterations: int = 200, damping: float = 0.1,
                 use_gp: bool = True, eta: float = 1.0, probe_step: float = 0.05, ucb_beta: float = 2.0,
                 patience: int = 3, gp_length_scale: float = 0.8, gp_signal_variance: float = 0.05,
                 gp_noise_variance: float = 1e-4, gp_window: int = 64, seed: int = 0) -> None:
        super().__init__(chain)
        if acquisition not in PAPER_PROFILES:
            raise IKLearnError(f"acquisition must be one of {tuple(PAPER_PROFILES)}, got {acquisition!r}")
        if tol_position <= 0 or tol_rotation <= 0 or max_iterations < 1 or damping < 0 or patience < 1:
            raise IKLearnError("tolerances must be positive, max_iterations and patience at least 1, damping >= 0")
        self.acquisition = acquisition
        self.name = f"gp-ik-algorithm1-{acquisition}"
        self.profile = PAPER_PROFILES[acquisition]
        self.tol_position, self.tol_rotation = float(tol_position), float(tol_rotation)
        self.max_iterations, self.damping = int(max_iterations), float(damping)
        self.use_gp, self.eta, self.probe_step = bool(use_gp), float(eta), float(probe_step)
        self.ucb_beta, self.patience, self.seed = float(ucb_beta), int(patience), int(seed)
        self.gp_params = dict(length_scale=gp_length_scale, signal_variance=gp_signal_variance,
                              noise_variance=gp_noise_variance, prior_mean=0.5, max_size=gp_window)
        self.w_ref_ = reference_manipulability(chain, seed=0)
        self._lo, self._hi = chain.finite_lower.copy(), chain.finite_upper.copy()
        self._kin = tuple(np.ascontiguousarray(a) for a in (chain.joint_types, chain.fixed, chain.axes, chain.tip))
        self._swts = np.array([DEFAULT_WEIGHTS[k] for k in ("condition", "manipulability", "isotropy", "limits")])

    def _pass(self, Tt: np.ndarray, q0: np.ndarray, budget: int, trace: Trace | None):
        gp = OnlineGP(**self.gp_params)  # line 5: a fresh GP for every solve and attempt
        gp.allocate(self.chain.dof)
        prof = self.profile
        thr = prof.thresholds or (np.inf, np.inf)
        q_out = np.empty(self.chain.dof)
        tr = np.empty((budget, 3 + self.chain.dof))
        ok, pe, re, n_fk, _ = algorithm1_pass(
            Tt, np.ascontiguousarray(q0, float), *self._kin, self._lo, self._hi, self.w_ref_, self._swts,
            *gp.state(), _MODES[self.acquisition], self.use_gp, prof.learning_rate, prof.momentum, thr[0],
            thr[1], self.patience, self.ucb_beta, self.eta, self.probe_step, self.tol_position,
            self.tol_rotation, budget, self.damping, q_out, tr)
        if trace is not None:
            trace.position_error += tr[:n_fk, 0].tolist()
            trace.rotation_error += tr[:n_fk, 1].tolist()
            trace.sensitivity += tr[:n_fk, 2].tolist()
            trace.phase += [self.acquisition] * n_fk
            trace.q += tr[:n_fk, 3:].tolist()
        return q_out, bool(ok), float(pe), float(re), int(n_fk)

    def solve_one(self, T_target: np.ndarray, q0: np.ndarray, rng: np.random.Generator,
                  trace: Trace | None = None) -> tuple[np.ndarray, bool, float, float, int, int]:
        """Solve one ``(4, 4)`` target from ``q0`` ``(dof,)``:
        ``(q, success, pos_err, rot_err, fk_evals, attempts)``."""
        Tt = np.ascontiguousarray(T_target, float)
        start = np.clip(np.asarray(q0, float), self._lo, self._hi)
        used, best, attempt = 0, None, 0
        for attempt in range(self.profile.attempts):
            if used >= self.max_iterations:
                break
            if attempt:
                start = rng.uniform(self._lo, self._hi)
            q, ok, pe, re, k = self._pass(Tt, start, self.max_iterations - used, trace)
            used += k
            f = pe / self.tol_position + re / self.tol_rotation
            if best is None or ok or f < best[0]:
                best = (f, q, ok, pe, re)
            if ok:
                break
        _, q, ok, pe, re = best
        return q, ok, pe, re, used, attempt + 1

    def solve(self, targets, q0=None, traces: list[Trace] | None = None) -> IKResult:
        """Solve ``targets`` ``(N, 7)`` / ``(N, 4, 4)`` from seeds ``q0`` ``(N, dof)``, each independently.

        ``iterations`` are FK evaluations; ``attempts_`` ``(N,)`` holds the passes each target took. If ``traces``
        is a list, one :class:`Trace` per target is appended.
        """
        T, Q0, _ = prepare(self.chain, targets, q0, self.seed + 1)
        N, n = T.shape[0], self.chain.dof
        q = np.empty((N, n))
        succ = np.zeros(N, bool)
        pe, re = np.empty(N), np.empty(N)
        iters = np.zeros(N, np.int64)
        self.attempts_ = np.zeros(N, np.int64)
        for i in range(N):
            # the same restart stream for every target and call: a target's answer depends on it and q0 only
            rng = np.random.default_rng([self.seed, 0xA161])
            tr = Trace([], [], [], []) if traces is not None else None
            q[i], succ[i], pe[i], re[i], iters[i], self.attempts_[i] = self.solve_one(T[i], Q0[i], rng, tr)
            if traces is not None:
                traces.append(tr)
        return IKResult(q, succ, pe, re, iters)
