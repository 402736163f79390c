"""IK with a learned model: the model's answer seeds numerical refinement, the classifier gates targets.

* ml-ik and crisp models predict a configuration per target (the *warm start*); with ``refine`` the robot's
  Levenberg-Marquardt solver starts from it (restarting from random seeds only if it fails), without it the
  prediction is the answer. ``refine`` defaults to on for ml-ik and off for crisp: CRiSP's answer is meant
  for the real robot its data were measured on, and refining it on the nominal model would put the model's
  error back.
* ``gate`` (ml-ik): targets the classifier judges unreachable (P(unreachable) >= ``gate_threshold``) are not
  refined (``success`` False, ``gated`` True, no solver iterations).
* lwpr models track the targets in row order by resolved-rate control from ``q0`` with the learned velocity
  IK (position only: ``xdot`` towards the target, at most the recording's 95th-percentile speed), then refine
  position-only when asked.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from iklearn.errors import IKLearnError
from iklearn.kinematics.fk import fk
from iklearn.kinematics.pose import pose_error


@dataclass(frozen=True)
class ModelSolveResult:
    """Per target (first dimension N): the answer and what the model did.

    q : (N, dof) final configuration; success : (N,) bool within the tolerances;
    position_error (m), rotation_error (rad) : (N,) of the final configuration (robot's FK);
    iterations : (N,) int, refinement iterations (lwpr: control steps plus refinement);
    gated : (N,) bool, judged unreachable by the classifier and not solved;
    p_reachable : (N,) classifier's probability, NaN without a gate;
    warm_position_error, warm_rotation_error : (N,) the model's own answer, before refinement;
    predict_s, gate_s, refine_s : total seconds of each stage.
    """

    q: np.ndarray
    success: np.ndarray
    position_error: np.ndarray
    rotation_error: np.ndarray
    iterations: np.ndarray
    gated: np.ndarray
    p_reachable: np.ndarray
    warm_position_error: np.ndarray
    warm_rotation_error: np.ndarray
    predict_s: float = 0.0
    gate_s: float = 0.0
    refine_s: float = 0.0

    def __len__(self) -> int:
        return int(self.q.shape[0])


def _lm(chain, seed: int, position_only: bool, tol_position: float, tol_rotation: float, **kw):
    from iklearn.solvers.lm import LevenbergMarquardt

    return LevenbergMarquardt(chain, seed=seed, position_only=position_only, tol_position=tol_position,
                              tol_rotation=tol_rotation, **kw)


def solve_with_model(model, targets, q0=None, *, refine: bool | None = None, gate: bool = False,
                     gate_threshold: float = 0.5, tol_position: float = 1e-6, tol_rotation: float = 1e-5,
                     seed: int = 0, **solver_options) -> ModelSolveResult:
    """Solve ``targets`` ((N, 7) or (N, 4, 4), m) with ``model`` (a fitted LearnedIK); see the module docstring.

    ``q0`` ((dof,) or (N, dof)) is the start of an lwpr model's tracking (default: the middle of the limits);
    ``solver_options`` go to :class:`~iklearn.solvers.LevenbergMarquardt` (e.g. ``max_iterations``).
    """
    from iklearn.kinematics.pose import as_poses

    model._check_fitted()
    chain = model.robot
    T, _ = as_poses(targets, "targets")
    N = T.shape[0]
    if not 0.0 < gate_threshold <= 1.0:
        raise IKLearnError(f"gate_threshold must be in (0, 1], got {gate_threshold}")
    if gate and not model.has_gate:
        raise IKLearnError(f"--gate needs a reachability classifier; this {model.method} model has none "
                           "(train ml-ik for one)")
    if refine is None:
        refine = model.method != "crisp"
    if model.method == "lwpr":
        return _track_lwpr(model, T, q0, refine, tol_position, seed, solver_options)
    p_reach = np.full(N, np.nan)
    gated = np.zeros(N, bool)
    t0 = time.perf_counter()
    if gate and N:
        p_reach = model.reachable_proba(T)
        gated = (1.0 - p_reach) >= gate_threshold
    t1 = time.perf_counter()
    qw = model.predict(T) if N else np.zeros((0, chain.dof))
    t2 = time.perf_counter()
    wp, wr = pose_error(fk(chain, qw), T) if N else (np.zeros(0), np.zeros(0))
    q, pe, re = qw.copy(), wp.copy(), wr.copy()
    succ = (wp <= tol_position) & (wr <= tol_rotation) & ~gated
    its = np.zeros(N, np.int64)
    go = np.flatnonzero(~gated)
    if refine and go.size:
        r = _lm(chain, seed, False, tol_position, tol_rotation, **solver_options).solve(T[go], q0=qw[go])
        q[go], succ[go], pe[go], re[go], its[go] = r.q, r.success, r.position_error, r.rotation_error, r.iterations
    t3 = time.perf_counter()
    return ModelSolveResult(q, succ, pe, re, its, gated, p_reach, wp, wr, predict_s=t2 - t1, gate_s=t1 - t0,
                            refine_s=t3 - t2)


def _track_lwpr(model, T, q0, refine, tol_position, seed, solver_options) -> ModelSolveResult:
    """Resolved-rate tracking of the targets in order with the learned velocity IK (position only)."""
    from iklearn._validate import as_batch

    chain = model.robot
    learner = model.parts_["velocity"]
    N, dof = T.shape[0], chain.dof
    s = model.summary_
    dt = float(s.get("dt_median", 0.01))
    vmax = float(s.get("speed_p95", 0.1))
    steps = int(solver_options.pop("max_steps", 200))
    q = 0.5 * (chain.finite_lower + chain.finite_upper) if q0 is None else as_batch(q0, dof, "q0")[0][0]
    out = np.empty((N, dof))
    its = np.zeros(N, np.int64)
    t0 = time.perf_counter()
    for i in range(N):
        for k in range(steps):
            e = T[i, :3, 3] - fk(chain, q)[:3, 3]
            if np.linalg.norm(e) <= max(tol_position, 1e-9):
                break
            v = e / dt
            sp = np.linalg.norm(v)
            if sp > vmax:
                v *= vmax / sp
            q = chain.clip(q + dt * learner.predict(v, q))
            its[i] += 1
        out[i] = q
    t1 = time.perf_counter()
    wp, wr = pose_error(fk(chain, out), T)
    qf, pe, re = out.copy(), wp.copy(), wr.copy()
    succ = wp <= tol_position
    if refine and N:
        r = _lm(chain, seed, True, tol_position, 1.0, **solver_options).solve(T, q0=out)
        qf, succ, pe, re = r.q, r.success, r.position_error, r.rotation_error
        its = its + r.iterations
    t2 = time.perf_counter()
    return ModelSolveResult(qf, succ, pe, re, its, np.zeros(N, bool), np.full(N, np.nan), wp, wr,
                            predict_s=t1 - t0, refine_s=t2 - t1)


def write_model_solutions_csv(path, result: ModelSolveResult, *, with_gate: bool) -> None:
    """One row per target: ``q0..q{n-1}``, ``success``, ``position_error``, ``rotation_error``, ``iterations``,
    ``warm_position_error``, ``warm_rotation_error`` and, with a gate, ``gated`` and ``p_reachable``."""
    from iklearn.data.csvio import write_csv

    q = np.asarray(result.q, float)
    cols = [f"q{i}" for i in range(q.shape[1])] + ["success", "position_error", "rotation_error", "iterations",
                                                   "warm_position_error", "warm_rotation_error"]
    vals = [result.success, result.position_error, result.rotation_error, result.iterations,
            result.warm_position_error, result.warm_rotation_error]
    if with_gate:
        cols += ["gated", "p_reachable"]
        vals += [result.gated, result.p_reachable]
    data = np.empty((q.shape[0], len(cols)), dtype=object)
    data[:, : q.shape[1]] = q
    for j, v in enumerate(vals):
        a = np.asarray(v)
        data[:, q.shape[1] + j] = a.astype(bool) if a.dtype == bool else (a.astype(np.int64) if a.dtype.kind == "i"
                                                                          else a.astype(float))
    write_csv(path, cols, data)
