"""Jacobian-guided GP-IK (paper 000, Algorithm 1) with plain / EI / UCB / hybrid acquisition.

Algorithm 1, line by line, and what we chose where the paper is silent:

* lines 9-13: FK, 6-D error ``e = [p_t - p; log(R_t R^T)]`` (m, rad); return when the position error is
  below ``tol_position`` and the rotation error below ``tol_rotation``.
* lines 15-17: Jacobian, sensitivity metric (:mod:`.sensitivity`), ``GP.add(q, sensitivity)``: one GP
  (:class:`.gp.OnlineGP`) per target, as line 5 initialises it inside the solve; when EI restarts, the GP
  keeps what it learned (it models the robot, not the path).
* line 19 ``GetWeights``: per-joint weights ``w_i = 1 / (1 + eta |d mu / d q_i|)`` from the GP mean's
  central-difference slope (probe +-``probe_step`` rad), times a joint-limit factor that slows a joint
  whose descent direction (sign of ``J^T e``) heads into a limit closer than ``limit_margin`` rad.
* line 20: ``lambda = damping_factor * sensitivity + min_damping``.
* line 21: weighted DLS ``dq = W J^T (J W J^T + lambda^2 I)^-1 e``.
* lines 23-24: ``q <- clip(q + step)``: the solver never leaves the joint limits.

"Candidate steps chosen by an acquisition function": the paper's acquisitions are EI / UCB but it does not
say over what. Ours score the candidate steps ``q_c = clip(q + a_c dq + beta v)`` with step scales
``a_c = learning_rate * (1, 2/3, 1/3)`` (``v`` = last step, momentum ``beta``). The cost of a candidate is
modelled as Gaussian: mean ``f_c (1 + kappa mu_c)`` and std ``f_c kappa sigma_c`` where ``f_c = pos_err +
rho rot_err`` is its true pose error (``rho = tol_position / tol_rotation`` m/rad) and ``mu_c, sigma_c``
the GP's predicted sensitivity there: a candidate in a region the GP believes ill-conditioned costs more.
EI picks the largest expected improvement over the current error (falls back to the lowest mean when
no candidate is expected to improve); UCB picks the lowest optimistic bound ``mean - ucb_beta * std``.

Profiles (Sec. III-B): EI = conservative (progress thresholds 0.99 position / 0.98 orientation,
learning rate 0.5, up to 5 restarts from random configurations); UCB = aggressive (0.85 / 0.80, learning
rate 1.5, momentum 0.3, one pass, early termination). We read a "threshold" as the error ratio
``err_new / err_old`` above which an iteration counts as no progress; ``patience`` such iterations in a
row stall the pass: EI restarts, UCB terminates, the hybrid switches from UCB to EI (keeping ``q``).
Plain GP-IK is Algorithm 1 with the full step and no acquisition, no restarts, no early termination.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr

from iklearn.errors import IKLearnError
from iklearn.kinematics import _kernels as K
from iklearn.robot.chain import Chain
from iklearn.solvers._lm_kernel import _error
from iklearn.solvers.base import IKSolver, prepare
from iklearn.solvers.result import IKResult
from iklearn.estimators.gp_ik.gp import OnlineGP
from iklearn.estimators.gp_ik.sensitivity import reference_manipulability, sensitivity

ACQUISITIONS = ("none", "ei", "ucb", "hybrid")


@dataclass(frozen=True)
class Profile:
    """Step policy of one acquisition (paper 000, Sec. III-B)."""

    learning_rate: float
    momentum: float
    restarts: int
    thresholds: tuple[float, float] | None  # (position, orientation) progress ratios; None = never stall


PROFILES: dict[str, Profile] = {
    "none": Profile(1.0, 0.0, 0, None),
    "ei": Profile(0.5, 0.0, 5, (0.99, 0.98)),
    "ucb": Profile(1.5, 0.3, 0, (0.85, 0.80)),
}
_SCALES = np.array([1.0, 2.0 / 3.0, 1.0 / 3.0])


@dataclass
class Trace:
    """Per-iteration history of one solve: position error (m), rotation error (rad), sensitivity, phase."""

    position_error: list[float]
    rotation_error: list[float]
    sensitivity: list[float]
    phase: list[str]


class GPIK(IKSolver):
    """Jacobian-guided Gaussian-process IK (paper 000, Algorithm 1).

    Parameters
    ----------
    chain : Chain
    acquisition : {'none', 'ei', 'ucb', 'hybrid'}
        'none' = plain GP-IK; 'hybrid' starts with UCB and switches to EI when UCB stalls.
    tol_position : float, m
    tol_rotation : float, rad
    tol_position, tol_rotation : float, m and rad
        Default = the paper's success criterion (1e-3 m, 1e-2 rad).
    max_iterations : int
        Iteration budget per target, restarts included. The paper's EI hit a 200 cap; ours needs 400 for
        its restarts to reach 100 % on the 6 + 24 cases (measured: 200 gives 93 %).
    damping_factor : float
        ``lambda = damping_factor * sensitivity + min_damping``.
    min_damping : float
    patience : int
        Consecutive no-progress iterations that stall a pass.
    kappa : float
        Weight of the predicted sensitivity in a candidate's cost.
    ucb_beta : float
        Exploration weight of UCB (on the cost's standard deviation).
    eta : float
        Strength of the GP-slope joint weighting.
    gp_length_scale, gp_signal_variance, gp_noise_variance, gp_window
        GP hyperparameters (rad, -, -, points); the prior mean is 0.5 (mid-scale sensitivity).
    max_step : (float, float), m and rad
        Task-space error clamping before the DLS step (far targets take several steps).
    explore_sigma, n_explore, explore_budget
        Stalled UCB adds ``n_explore`` candidates perturbed by ``N(0, explore_sigma^2)`` rad and gives up
        after ``explore_budget`` further stalled iterations (early termination).
    seed : int
        Seed of restarts and of random initial configurations.
    """

    name = "gp-ik"

    def __init__(self, chain: Chain, *, acquisition: str = "ucb", tol_position: float = 1e-3,
                 tol_rotation: float = 1e-2, max_iterations: int = 400, damping_factor: float = 0.1,
                 min_damping: float = 1e-3, patience: int = 3, kappa: float = 0.5, ucb_beta: float = 2.0,
                 eta: float = 1.0, probe_step: float = 0.05, limit_margin: float = 0.1,
                 gp_length_scale: float = 0.8, gp_signal_variance: float = 0.05, gp_noise_variance: float = 1e-4,
                 gp_window: int = 64, max_step: tuple[float, float] = (0.2, 0.5), explore_sigma: float = 0.3,
                 n_explore: int = 4, explore_budget: int = 10, seed: int = 0) -> None:
        super().__init__(chain)
        if acquisition not in ACQUISITIONS:
            raise IKLearnError(f"acquisition must be one of {ACQUISITIONS}, got {acquisition!r}")
        if tol_position <= 0 or tol_rotation <= 0 or max_iterations < 1:
            raise IKLearnError("tolerances must be positive and max_iterations at least 1")
        self.acquisition = acquisition
        self.name = f"gp-ik-{acquisition}"
        self.tol_position, self.tol_rotation = float(tol_position), float(tol_rotation)
        self.max_iterations = int(max_iterations)
        self.damping_factor, self.min_damping = float(damping_factor), float(min_damping)
        self.patience, self.kappa, self.ucb_beta, self.eta = int(patience), float(kappa), float(ucb_beta), float(eta)
        self.probe_step, self.limit_margin = float(probe_step), float(limit_margin)
        self.gp_params = dict(length_scale=gp_length_scale, signal_variance=gp_signal_variance,
                              noise_variance=gp_noise_variance, prior_mean=0.5, max_size=gp_window)
        self.max_step = (float(max_step[0]), float(max_step[1]))
        self.explore_sigma, self.n_explore = float(explore_sigma), int(n_explore)
        self.explore_budget = int(explore_budget)
        self.seed = int(seed)
        self.w_ref_ = reference_manipulability(chain, seed=0)
        self._rho = self.tol_position / self.tol_rotation
        self._lo, self._hi = chain.finite_lower.copy(), chain.finite_upper.copy()
        self._kin = (chain.joint_types, chain.fixed, chain.axes, chain.tip)
        self._calls = 0

    # -- kinematics helpers (single configuration, no batch/thread overhead) --------------------------------
    def _fk_jac(self, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        n = q.size
        T, P, Z = np.empty((4, 4)), np.empty((n, 3)), np.empty((n, 3))
        K.fk_frames(q, *self._kin, T, P, Z, np.empty((4, 4)), np.empty((3, 3)))
        J = np.empty((6, n))
        K.jacobian_from_frames(self._kin[0], T, P, Z, J, False)
        return T, J

    def _fk(self, q: np.ndarray) -> np.ndarray:
        n = q.size
        T = np.empty((4, 4))
        K.fk_frames(q, *self._kin, T, np.empty((n, 3)), np.empty((n, 3)), np.empty((4, 4)), np.empty((3, 3)))
        return T

    def _clamp_error(self, e: np.ndarray) -> np.ndarray:
        """Shorten the task-space error to at most ``max_step`` (m, rad): far targets take several steps."""
        e = e.copy()
        npos, nrot = np.linalg.norm(e[:3]), np.linalg.norm(e[3:])
        if npos > self.max_step[0]:
            e[:3] *= self.max_step[0] / npos
        if nrot > self.max_step[1]:
            e[3:] *= self.max_step[1] / nrot
        return e

    # -- Algorithm 1, line 19 -------------------------------------------------------------------------------
    def _weights(self, gp: OnlineGP, q: np.ndarray, grad: np.ndarray) -> np.ndarray:
        n = q.size
        H = self.probe_step * np.eye(n)
        mu, _ = gp.predict(np.vstack([q + H, q - H]))
        slope = np.abs(mu[:n] - mu[n:]) / (2.0 * self.probe_step)
        w = 1.0 / (1.0 + self.eta * slope)
        # joints heading into a nearby limit move less (the clamp would waste their step anyway)
        room = np.where(grad > 0, self._hi - q, q - self._lo)
        w *= np.clip(room / self.limit_margin, 0.1, 1.0)
        return w

    def solve_one(self, T_target: np.ndarray, q0: np.ndarray, rng: np.random.Generator,
                  trace: Trace | None = None) -> tuple[np.ndarray, bool, float, float, int]:
        """Algorithm 1 for one ``(4, 4)`` target from ``q0`` ``(dof,)``: ``(q, success, pos_err, rot_err, iters)``."""
        Tt = np.ascontiguousarray(T_target, float)
        gp = OnlineGP(**self.gp_params)
        phase = "ucb" if self.acquisition == "hybrid" else self.acquisition
        prof = PROFILES[phase]
        restarts_left = prof.restarts
        q = np.clip(np.asarray(q0, float), self._lo, self._hi)
        v = np.zeros_like(q)
        e = np.empty(6)
        ones = np.ones(6)
        best = (np.inf, q.copy(), np.inf, np.inf)
        prev: tuple[float, float] | None = None
        stall = 0
        it = 0
        while True:
            T, J = self._fk_jac(q)
            _, pe, re = _error(Tt, T, e, ones)
            f = pe + self._rho * re
            if f < best[0]:
                best = (f, q.copy(), pe, re)
            if pe < self.tol_position and re < self.tol_rotation:
                return q, True, pe, re, it
            if it >= self.max_iterations:
                break
            it += 1
            s = float(sensitivity(J[None], q[None], self._lo, self._hi, w_ref=self.w_ref_)[0])
            gp.add(q, s)
            if trace is not None:
                trace.position_error.append(pe)
                trace.rotation_error.append(re)
                trace.sensitivity.append(s)
                trace.phase.append(phase)
            # stall detection (the acquisition's thresholds), then restart / switch / terminate
            if prof.thresholds is not None and prev is not None:
                progress = pe <= prof.thresholds[0] * prev[0] or re <= prof.thresholds[1] * prev[1]
                stall = 0 if progress else stall + 1
            prev = (pe, re)
            explore = False
            if stall >= self.patience:
                if phase == "ucb" and self.acquisition == "hybrid":
                    phase, prof = "ei", PROFILES["ei"]
                    restarts_left, stall, prev = prof.restarts, 0, None
                    v[:] = 0.0
                elif phase == "ucb":
                    # UCB explores around the stall (single pass); gives up after `explore_budget` stalled steps
                    if stall >= self.patience + self.explore_budget:
                        break
                    explore = True
                elif restarts_left > 0:
                    restarts_left -= 1
                    stall, prev = 0, None
                    v[:] = 0.0
                    q = rng.uniform(self._lo, self._hi)
                    continue
                else:
                    break
            w = self._weights(gp, q, J.T @ e)
            lam = self.damping_factor * s + self.min_damping
            JW = J * w
            dq = w * (J.T @ np.linalg.solve(JW @ J.T + lam * lam * np.eye(6), self._clamp_error(e)))
            if phase == "none":
                q_new = np.clip(q + dq, self._lo, self._hi)
            else:
                q_new = self._acquire(phase, prof, gp, Tt, q, dq, v, f, rng if explore else None)
            v = q_new - q
            q = q_new
        _, q, pe, re = best
        return q, False, pe, re, it

    def _acquire(self, phase: str, prof: Profile, gp: OnlineGP, Tt: np.ndarray, q: np.ndarray,
                 dq: np.ndarray, v: np.ndarray, f_now: float, rng: np.random.Generator | None) -> np.ndarray:
        """Pick the next configuration among the candidate steps with EI or UCB.

        With ``rng`` (a stalled UCB pass), exploratory candidates ``q + dq + N(0, explore_sigma^2)`` join
        the set: the GP's uncertainty is what lets UCB prefer the unvisited ones.
        """
        Qc = q + (prof.learning_rate * _SCALES)[:, None] * dq + prof.momentum * v
        if rng is not None:
            Qc = np.vstack([Qc, q + dq + rng.normal(0.0, self.explore_sigma, (self.n_explore, q.size))])
        Qc = np.clip(Qc, self._lo, self._hi)
        e = np.empty(6)
        ones = np.ones(6)
        fc = np.empty(len(Qc))
        for i, qc in enumerate(Qc):
            _, pe, re = _error(Tt, self._fk(qc), e, ones)
            fc[i] = pe + self._rho * re
        mu, sd = gp.predict(Qc)
        mean = fc * (1.0 + self.kappa * mu)
        std = np.maximum(fc * self.kappa * sd, 1e-15)
        if phase == "ucb":
            return Qc[int(np.argmin(mean - self.ucb_beta * std))]
        # EI of the cost below the current (sensitivity-weighted) cost
        f_best = f_now * (1.0 + self.kappa * float(gp.predict(q[None])[0][0]))
        z = (f_best - mean) / std
        ei = (f_best - mean) * ndtr(z) + std * np.exp(-0.5 * z * z) / np.sqrt(2.0 * np.pi)
        k = int(np.argmax(ei)) if ei.max() > 1e-15 else int(np.argmin(mean))
        return Qc[k]

    def solve(self, targets, q0=None, traces: list[Trace] | None = None) -> IKResult:
        """Solve ``targets`` ``(N, 7)`` / ``(N, 4, 4)`` one after the other from seeds ``q0`` ``(N, dof)``.

        If ``traces`` is a list, one :class:`Trace` per target is appended to it (for convergence plots).
        """
        self._calls += 1
        T, Q0, _ = prepare(self.chain, targets, q0, self.seed + self._calls)
        N, n = T.shape[0], self.chain.dof
        q = np.empty((N, n))
        succ = np.zeros(N, bool)
        pe, re = np.empty(N), np.empty(N)
        iters = np.zeros(N, np.int64)
        rng = np.random.default_rng([self.seed, self._calls])
        for i in range(N):
            tr = Trace([], [], [], []) if traces is not None else None
            q[i], succ[i], pe[i], re[i], iters[i] = self.solve_one(T[i], Q0[i], rng, tr)
            if traces is not None:
                traces.append(tr)
        return IKResult(q, succ, pe, re, iters)
