"""Jacobian-guided GP-IK (paper 000, Algorithm 1) with plain / EI / UCB / hybrid acquisition.

Algorithm 1, line by line (the loop itself is the numba kernel :func:`._kernel.gp_pass`), and what we chose
where the paper is silent:

* lines 9-13: FK, world-frame error ``e = [p_t - p; log(R_t R^T)]`` (m, rad); return when the position
  error is below ``tol_position`` and the rotation error below ``tol_rotation``.
* lines 15-17: Jacobian, sensitivity metric (:mod:`.sensitivity`), ``GP.add(q, sensitivity)``.
  The GP is *persistent*: one :class:`.gp.OnlineGP` per solver, kept across targets ("continuously updated
  as new configurations are explored"), pre-trained on a few configurations of the start memory.
* line 19 ``GetWeights``: ``w_i = 1 / (1 + eta |d mu / d q_i|)`` from the GP mean's central-difference
  slope (+-``probe_step`` rad), times a factor in [0.1, 1] that slows a joint whose descent direction
  (sign of ``J^T e``) heads into a limit closer than ``limit_margin`` rad.
* line 20: ``lambda = damping * max(sensitivity, sensitivity_floor)``, where ``damping`` is adapted as in
  Levenberg-Marquardt: x0.3 after an accepted step, x10 after a rejected one (a step is accepted only if it
  lowers the *true* pose error ``pos + rho rot``, ``rho = tol_position / tol_rotation`` m/rad). Near the
  solution the damping vanishes and the step is Gauss-Newton (quadratic convergence); where the GP and the
  Jacobian say "sensitive" the same damping factor regularises more.
* line 21: weighted DLS ``dq = W J^T (J W J^T + lambda I)^-1 e_c``, ``e_c`` = error clamped to ``max_step``.
* lines 23-24: ``q <- clip(...)``: every visited configuration is inside the joint limits.

Acquisition (the paper names EI / UCB, not what they score). Two levels, both ours:

* *Steps*: candidates ``clip(q + a_c dq + beta v)`` with ``a_c`` in ``(1, lr, lr / 2)`` (``lr`` = the
  profile's learning rate, so EI's conservative 0.5 and UCB's aggressive 1.5 are always offered beside the
  plain Gauss-Newton step), ``v`` the last step, ``beta`` the momentum. A candidate's cost is modelled as
  ``N(f_c (1 + kappa mu_c), (f_c kappa sigma_c)^2)`` with ``f_c`` its true error and ``mu_c, sigma_c`` the
  GP's predicted sensitivity: EI maximises the expected improvement over the current cost, UCB minimises
  ``mean - ucb_beta * std``.
* *Starts* (the paper does not say where a solve starts; its tables cannot tell us): the solver keeps a
  memory of configurations with their FK poses: a scrambled Sobol set of ``n_memory`` configurations
  (seeded) plus the solution of every solved target (ring buffer of ``memory_size``), plus the caller's
  ``q0``. The ``n_shortlist`` closest in pose (``||dp|| + start_rho * angle``) are scored with the same
  cost model, distance in place of ``f_c`` (GP sensitivity predicted at them), and tried in acquisition
  order (EI: by expected improvement; UCB: by optimistic bound).

Profiles (Sec. III-B): EI = conservative (progress thresholds 0.99 position / 0.98 orientation, learning
rate 0.5, "5 attempts" = the first start and up to 4 restarts); UCB = aggressive (0.85 / 0.80, learning rate 1.5, momentum 0.3).
A "threshold" is the error ratio ``err_new / err_old`` above which an iteration counts as no progress;
``patience`` such iterations in a row stall a descent. UCB's "single pass with early termination" is one
sweep down its acquisition-ranked start list (at most ``ucb_starts``), each descent cut as soon as it
stalls, never revisiting; EI restarts from the next ranked start after a stall, up to 4 times.
Hybrid: the UCB sweep, then EI from the best configuration found. Plain GP-IK: Algorithm 1 from the
caller's ``q0`` (no acquisition, no restarts, the full step). The budget ``max_iterations`` counts
Jacobian evaluations across all starts; the result's ``iterations`` are FK evaluations (the start and every
candidate step; the FK of the start memory is computed once per solver and not counted), and
``jacobians_`` holds the Jacobian evaluations of the last :meth:`GPIK.solve` call.

``plain_lm=True`` keeps the start policy and the stall rules but makes the descent plain
Levenberg-Marquardt: one full step per iteration, damping ``lambda = mu`` (no sensitivity), unit joint
weights (no GP slope, no limit slowdown), no GP in the start ranking: the ablation "plain LM from the same
starts".
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.special import ndtr

from iklearn.errors import IKLearnError
from iklearn.estimators.gp_ik._kernel import MODE_EI, MODE_NONE, MODE_UCB, gp_pass
from iklearn.estimators.gp_ik.gp import OnlineGP
from iklearn.estimators.gp_ik.sensitivity import DEFAULT_WEIGHTS, reference_manipulability, sensitivity
from iklearn.kinematics import fk, jacobian
from iklearn.robot.chain import Chain
from iklearn.solvers._lm_kernel import fk_frames
from iklearn.solvers.base import IKSolver, prepare
from iklearn.solvers.result import IKResult

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
    "ei": Profile(0.5, 0.0, 4, (0.99, 0.98)),
    "ucb": Profile(1.5, 0.3, 0, (0.85, 0.80)),
}
_MODES = {"none": MODE_NONE, "ei": MODE_EI, "ucb": MODE_UCB}


@dataclass
class Trace:
    """Per-iteration history of one solve: position error (m), rotation error (rad), sensitivity, phase, q."""

    position_error: list[float]
    rotation_error: list[float]
    sensitivity: list[float]
    phase: list[str]
    q: list[list[float]] = field(default_factory=list)


class GPIK(IKSolver):
    """Jacobian-guided Gaussian-process IK (paper 000, Algorithm 1); the step and start policy are in the
    module docstring.

    Parameters
    ----------
    chain : Chain
    acquisition : {'none', 'ei', 'ucb', 'hybrid'}
    tol_position, tol_rotation : float, m and rad
        Default = the paper's success criterion (1e-3 m, 1e-2 rad).
    max_iterations : int
        Jacobian evaluations per target, all starts included.
    damping0 : float
        Initial LM damping factor of each descent (``lambda = damping * sensitivity``).
    sensitivity_floor : float
        Lower bound of the sensitivity in the damping (keeps the system positive definite).
    patience : int
        Consecutive no-progress iterations that stall a descent.
    kappa, ucb_beta : float
        Weight of the predicted sensitivity in a cost; exploration weight of UCB.
    eta, probe_step, limit_margin : float
        GP-slope joint weighting strength; its probe (rad); the limit-slowdown distance (rad).
    gp_length_scale, gp_signal_variance, gp_noise_variance, gp_window
        GP hyperparameters (rad, -, -, points); prior mean 0.5 (mid-scale sensitivity).
    max_step : (float, float), m and rad
        Task-space error clamping before the DLS step.
    n_memory, memory_size, n_shortlist, start_rho, ucb_starts
        Sobol start set size; capacity for remembered solutions; starts scored per target; pose-distance
        weight of rotation (m/rad); most starts UCB's sweep tries.
    plain_lm : bool
        Plain LM descent from the same starts (module docstring). With ``kappa = eta = 0`` (and so here)
        the GP is neither read nor updated.
    seed : int
        Seed of the Sobol scramble and of random seeds when ``q0`` is None.
    """

    name = "gp-ik"

    def __init__(self, chain: Chain, *, acquisition: str = "ucb", tol_position: float = 1e-3,
                 tol_rotation: float = 1e-2, max_iterations: int = 400, damping0: float = 0.1,
                 sensitivity_floor: float = 0.05, patience: int = 3, kappa: float = 0.5, ucb_beta: float = 2.0,
                 eta: float = 1.0, probe_step: float = 0.05, limit_margin: float = 0.1,
                 gp_length_scale: float = 0.8, gp_signal_variance: float = 0.05, gp_noise_variance: float = 1e-4,
                 gp_window: int = 64, max_step: tuple[float, float] = (0.2, 0.5), n_memory: int = 2048,
                 memory_size: int = 4096, n_shortlist: int = 16, start_rho: float = 0.2, ucb_starts: int = 8,
                 plain_lm: bool = False, seed: int = 0) -> None:
        super().__init__(chain)
        if acquisition not in ACQUISITIONS:
            raise IKLearnError(f"acquisition must be one of {ACQUISITIONS}, got {acquisition!r}")
        if tol_position <= 0 or tol_rotation <= 0 or max_iterations < 1:
            raise IKLearnError("tolerances must be positive and max_iterations at least 1")
        self.acquisition = acquisition
        self.name = f"gp-ik-{acquisition}"
        self.tol_position, self.tol_rotation = float(tol_position), float(tol_rotation)
        self.max_iterations = int(max_iterations)
        self.damping0, self.sensitivity_floor = float(damping0), float(sensitivity_floor)
        self.patience, self.kappa, self.ucb_beta, self.eta = int(patience), float(kappa), float(ucb_beta), float(eta)
        self.probe_step, self.limit_margin = float(probe_step), float(limit_margin)
        self.gp_params = dict(length_scale=gp_length_scale, signal_variance=gp_signal_variance,
                              noise_variance=gp_noise_variance, prior_mean=0.5, max_size=gp_window)
        self.max_step = (float(max_step[0]), float(max_step[1]))
        self.n_memory, self.memory_size = int(n_memory), int(memory_size)
        self.n_shortlist, self.start_rho, self.ucb_starts = int(n_shortlist), float(start_rho), int(ucb_starts)
        self.seed, self.plain_lm = int(seed), bool(plain_lm)
        if self.plain_lm:  # no learned model, no sensitivity damping, no limit slowdown
            self.kappa, self.eta, self.sensitivity_floor, self.limit_margin = 0.0, 0.0, 1.0, 0.0
        self.w_ref_ = reference_manipulability(chain, seed=0)
        self._rho = self.tol_position / self.tol_rotation
        self._lo, self._hi = chain.finite_lower.copy(), chain.finite_upper.copy()
        self._kin = tuple(np.ascontiguousarray(a) for a in (chain.joint_types, chain.fixed, chain.axes, chain.tip))
        self._swts = np.array([DEFAULT_WEIGHTS[k] for k in ("condition", "manipulability", "isotropy", "limits")])
        self._calls = 0
        self.gp_: OnlineGP | None = None

    def _fk(self, q: np.ndarray) -> np.ndarray:
        """FK of one configuration ``(dof,)`` -> ``(4, 4)`` without the batch machinery."""
        n = q.size
        T = np.empty((4, 4))
        fk_frames(np.ascontiguousarray(q, float), *self._kin, T, np.empty((n, 3)), np.empty((n, 3)),
                  np.empty((4, 4)), np.empty((3, 3)))
        return T

    # -- persistent memory: GP + start configurations ----------------------------------------------------------
    def _init_memory(self) -> None:
        from scipy.stats import qmc

        n = self.chain.dof
        m = 1 << max(int(np.ceil(np.log2(max(self.n_memory, 1)))), 0)
        U = qmc.Sobol(n, scramble=True, seed=self.seed).random(m)[: self.n_memory]
        Q = self._lo + U * (self._hi - self._lo)
        cap = self.n_memory + self.memory_size
        self.memory_q_ = np.zeros((cap, n))
        self.memory_p_ = np.zeros((cap, 3))
        self.memory_R_ = np.zeros((cap, 9))
        self._n_mem, self._ring = 0, 0
        self._remember(Q, fk(self.chain, Q))
        self.gp_ = OnlineGP(**self.gp_params)
        k = min(self.gp_.max_size // 2, len(Q))  # pre-train on part of the window: room for what it visits
        s = sensitivity(jacobian(self.chain, Q[:k]), Q[:k], self._lo, self._hi, w_ref=self.w_ref_)
        for qi, si in zip(Q[:k], s):
            self.gp_.add(qi, si)

    def _remember(self, Q: np.ndarray, T: np.ndarray) -> None:
        Q, T = np.atleast_2d(Q), T.reshape(-1, 4, 4)
        for q, t in zip(Q, T):
            if self._n_mem < self.memory_q_.shape[0]:
                i = self._n_mem
                self._n_mem += 1
            else:  # ring over the solutions' part, the Sobol set stays
                i = self.n_memory + self._ring
                self._ring = (self._ring + 1) % self.memory_size
            self.memory_q_[i], self.memory_p_[i], self.memory_R_[i] = q, t[:3, 3], t[:3, :3].ravel()

    def _ranked_starts(self, Tt: np.ndarray, q0: np.ndarray, phase: str) -> np.ndarray:
        """Starts ``(k, dof)`` in acquisition order: ``q0`` and the ``n_shortlist`` closest remembered poses."""
        m = self._n_mem
        dp = np.linalg.norm(self.memory_p_[:m] - Tt[:3, 3], axis=1)
        c = np.clip((self.memory_R_[:m] @ Tt[:3, :3].ravel() - 1.0) * 0.5, -1.0, 1.0)
        d = dp + self.start_rho * np.arccos(c)
        k = min(self.n_shortlist, m)
        idx = np.argpartition(d, k - 1)[:k] if k < m else np.arange(m)
        Qs = np.vstack([q0[None], self.memory_q_[idx]])
        T0 = self._fk(q0)
        d0 = np.linalg.norm(T0[:3, 3] - Tt[:3, 3]) + self.start_rho * np.arccos(
            np.clip((np.sum(T0[:3, :3] * Tt[:3, :3]) - 1.0) * 0.5, -1.0, 1.0))
        ds = np.concatenate([[d0], d[idx]])
        mu, sd = self.gp_.predict(Qs)
        mean = ds * (1.0 + self.kappa * mu)
        std = np.maximum(ds * self.kappa * sd, 1e-15)
        if phase == "ucb":
            order = np.argsort(mean - self.ucb_beta * std, kind="stable")
        else:
            f_best = mean.min()
            z = (f_best - mean) / std
            ei = (f_best - mean) * ndtr(z) + std * np.exp(-0.5 * z * z) / np.sqrt(2.0 * np.pi)
            order = np.lexsort((mean, -ei))  # largest EI first, ties by lowest mean
        return Qs[order]

    # -- one descent ---------------------------------------------------------------------------------------
    def _pass(self, Tt, q0, phase, budget, trace):
        prof = PROFILES[phase]
        lr = prof.learning_rate
        plain = phase == "none" or self.plain_lm
        scales = np.array([1.0]) if plain else np.array([1.0, lr, 0.5 * lr])
        thr = prof.thresholds or (np.inf, np.inf)
        gp = self.gp_
        X, y, L, alpha, meta, ils, sv, nv, pm = gp.state()
        q_out = np.empty(self.chain.dof)
        tr = np.empty((max(budget, 1), 3 + self.chain.dof))
        ok, pe, re, it, stalled, n_fk = gp_pass(
            Tt, np.ascontiguousarray(q0, float), *self._kin, self._lo, self._hi, self.w_ref_, self._swts,
            X, y, L, alpha, meta, ils, sv, nv, pm, _MODES[phase], scales, 0.0 if plain else prof.momentum, thr[0], thr[1],
            self.patience, self.kappa, self.ucb_beta, self.eta, self.probe_step, self.limit_margin,
            self.tol_position, self.tol_rotation, budget, self.max_step[0], self.max_step[1], self._rho,
            self.damping0, self.sensitivity_floor, q_out, tr)
        if trace is not None:
            trace.position_error += tr[:it, 0].tolist()
            trace.rotation_error += tr[:it, 1].tolist()
            trace.sensitivity += tr[:it, 2].tolist()
            trace.phase += [phase] * it
            trace.q += tr[:it, 3:].tolist()
        return q_out, bool(ok), float(pe), float(re), int(it), int(n_fk)

    def solve_one(self, T_target: np.ndarray, q0: np.ndarray,
                  trace: Trace | None = None) -> tuple[np.ndarray, bool, float, float, int, int]:
        """Solve one ``(4, 4)`` target, seed ``q0`` ``(dof,)``:
        ``(q, success, pos_err, rot_err, jacobian_evals, fk_evals)``."""
        if self.gp_ is None:
            self._init_memory()
        Tt = np.ascontiguousarray(T_target, float)
        q0 = np.clip(np.asarray(q0, float), self._lo, self._hi)
        used = n_fk = 0
        best = (np.inf, q0, np.inf, np.inf)

        def run(q_start, phase):
            nonlocal used, n_fk, best
            q, ok, pe, re, it, k = self._pass(Tt, q_start, phase, self.max_iterations - used, trace)
            used += it
            n_fk += k
            f = pe + self._rho * re
            if ok or f < best[0]:
                best = (-np.inf if ok else f, q, pe, re)
            return ok

        if self.acquisition == "none":
            run(q0, "none")
        else:
            first = "ei" if self.acquisition == "ei" else "ucb"
            starts = self._ranked_starts(Tt, q0, first)
            n_fk += 1  # the FK of q0 in the ranking (the memory's poses are precomputed)
            n_first = 1 + PROFILES["ei"].restarts if first == "ei" else self.ucb_starts
            done = False
            for qs in starts[:n_first]:
                if used >= self.max_iterations:
                    break
                if run(qs, first):
                    done = True
                    break
            if not done and self.acquisition == "hybrid":
                # EI refines from the best configuration UCB reached, then restarts from the next starts
                for qs in [best[1], *starts[n_first:n_first + PROFILES["ei"].restarts]]:
                    if used >= self.max_iterations or run(qs, "ei"):
                        break
        f, q, pe, re = best
        ok = f == -np.inf
        if ok:
            self._remember(q, self._fk(q))
        return q, ok, pe, re, used, n_fk

    def solve(self, targets, q0=None, traces: list[Trace] | None = None) -> IKResult:
        """Solve ``targets`` ``(N, 7)`` / ``(N, 4, 4)`` one after the other from seeds ``q0`` ``(N, dof)``.

        Targets are solved in order and the memory (GP, remembered solutions) carries over from one to the
        next and across calls. If ``traces`` is a list, one :class:`Trace` per target is appended to it.
        """
        self._calls += 1
        T, Q0, _ = prepare(self.chain, targets, q0, self.seed + self._calls)
        N, n = T.shape[0], self.chain.dof
        q = np.empty((N, n))
        succ = np.zeros(N, bool)
        pe, re = np.empty(N), np.empty(N)
        iters = np.zeros(N, np.int64)
        self.jacobians_ = np.zeros(N, np.int64)
        for i in range(N):
            tr = Trace([], [], [], []) if traces is not None else None
            q[i], succ[i], pe[i], re[i], self.jacobians_[i], iters[i] = self.solve_one(T[i], Q0[i], tr)
            if traces is not None:
                traces.append(tr)
        return IKResult(q, succ, pe, re, iters)
