"""Training of :class:`~iklearn.estimators.learned.LearnedIK` per method, and the held-out summary of each.

Every method keeps ``holdout`` of the rows out of training (ml-ik, crisp: a random share; lwpr: the last part
of the recording, as consecutive samples of one motion are not independent) and scores them:

* ml-ik: the regressor's warm start (tool error of its answer through the robot's FK, before refinement) and
  the classifier (4-class accuracy, reachable-vs-unreachable accuracy, unreachable poses it gates and
  reachable ones it would gate wrongly, at P(unreachable) >= 0.5);
* crisp: the configuration CRiSP-FK predicts for each held-out measured pose against the configuration that
  reached it on the real robot, through the same model (joint distance, and model-space position / rotation
  error: a bias of the model cancels, as in CRiSP's own loss); the kernel width is chosen by that error;
* lwpr: the task velocity ``J(q) qdot_hat`` of the learned joint velocities against the recorded one.
"""

from __future__ import annotations

import numpy as np

from iklearn._validate import as_batch
from iklearn.kinematics.pose import as_poses
from iklearn.errors import IKLearnError, ShapeError
from iklearn.kinematics.fk import fk
from iklearn.kinematics.pose import pose_error

#: the CLI's defaults (a user's --epochs etc. override them through ``params``)
REGRESSOR_DEFAULTS = dict(features="pose9", n_clusters=4, hidden=(256, 256, 256), max_epochs=100)
CLASSIFIER_DEFAULTS = dict(features="pose12", hidden=(256, 256, 256), max_epochs=100, class_weight="balanced")
CRISP_DEFAULTS = dict(position_unit=0.05, rotation_unit=2**-0.5, lam=1e-9, optimizer="lm")
CRISP_SIGMAS = (1.0, 2.0, 4.0, 8.0, 16.0)
#: the LWPR experiment's settings ("ours": fixed metric, full-rank fields, mild slow start)
LWPR_DEFAULTS = dict(alpha=0.1, init_D_theta=100.0, xdot_scale=0.05, slow_start=1e2)


def _split(n: int, holdout: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    perm = np.random.default_rng([seed, 19]).permutation(n)
    k = int(round(holdout * n))
    return np.sort(perm[k:]), np.sort(perm[:k])


def _data(est, X, y) -> tuple[np.ndarray, np.ndarray]:
    T, _ = as_poses(X, "X (poses)")
    Q, _ = as_batch(y, est.robot.dof, "y (joint configurations)", allow_empty=False)
    if T.shape[0] != Q.shape[0]:
        raise ShapeError(f"X has {T.shape[0]} poses but y has {Q.shape[0]} configurations")
    return T, Q


def _stats(prefix: str, pe: np.ndarray, re: np.ndarray) -> dict:
    if pe.size == 0:
        return {}
    return {f"{prefix}position_median": float(np.median(pe)), f"{prefix}position_p95": float(np.percentile(pe, 95)),
            f"{prefix}rotation_median": float(np.median(re)), f"{prefix}rotation_p95": float(np.percentile(re, 95))}


def _task(progress, what: str, total=None):
    return progress.add_task(what, total=total) if progress is not None else None


def _done(progress, task) -> None:
    if progress is not None:
        progress.update(task, total=1, completed=1)


def fit_ml_ik(est, X, y, *, labels=None, unreachable=None, times=None, progress=None):
    """The regressor on the reachable rows, the classifier on them (classes 1-3) and on unreachable poses (0):
    ``unreachable`` (default: N/6 generated, :func:`~iklearn.data.labels.unreachable_poses`) plus N/12
    unreachable poses among the reachable ones (``params['hard_unreachable']``,
    :func:`~iklearn.data.labels.hard_unreachable_poses`), without which the gate misses the workspace's edge."""
    from iklearn.data.labels import conditioning_labels, hard_unreachable_poses, unreachable_poses
    from iklearn.estimators.ml_ik import ClusteredMLPRegressor, ConditioningClassifier
    from iklearn.kinematics import fk_and_jacobian, manipulability, matrix_to_pose7

    chain = est.robot
    T, Q = _data(est, X, y)
    p = est.params or {}
    tr, ho = _split(len(Q), est.holdout, est.random_state)
    if labels is None:
        ic = manipulability(fk_and_jacobian(chain, Q)[1]).inverse_condition
        _, thr = conditioning_labels(ic[tr])
        labels, _ = conditioning_labels(ic, thresholds=thr)
    labels = np.asarray(labels, int)
    if labels.shape != (len(Q),) or not np.isin(labels, (1, 2, 3)).all():
        raise IKLearnError("labels must be one conditioning class (1, 2 or 3) per reachable row")
    P = matrix_to_pose7(T)
    n_easy, n_hard = max(len(Q) // 6, 1), int(p.get("hard_unreachable", len(Q) // 12))
    if unreachable is None or len(unreachable) == 0:
        task = _task(progress, f"{n_easy} unreachable poses (IK with restarts)")
        unreachable = unreachable_poses(chain, n_easy, T[:, :3, 3], seed=est.random_state)
        _done(progress, task)
    U = matrix_to_pose7(as_poses(unreachable, "unreachable poses")[0])
    if n_hard > 0:  # unreachable poses among the reachable ones, so the gate learns the boundary
        task = _task(progress, f"{n_hard} unreachable poses near the boundary (IK with restarts)")
        U = np.concatenate([U, hard_unreachable_poses(chain, n_hard, P, seed=est.random_state)[0]])
        _done(progress, task)
    utr, uho = _split(len(U), est.holdout, est.random_state + 1)
    reg = ClusteredMLPRegressor(chain, **{**REGRESSOR_DEFAULTS, "random_state": est.random_state,
                                          **p.get("regressor", {})})
    reg.fit(T[tr], Q[tr], progress=progress)
    task = _task(progress, "reachability classifier")
    cls = ConditioningClassifier(chain, **{**CLASSIFIER_DEFAULTS, "random_state": est.random_state,
                                           **p.get("classifier", {})})
    cls.fit(np.concatenate([P[tr], U[utr]]), np.concatenate([labels[tr], np.zeros(len(utr), int)]))
    _done(progress, task)
    summary = {"method": "ml-ik", "n_train": int(len(tr)), "n_holdout": int(len(ho)),
               "n_unreachable_train": int(len(utr)), "n_unreachable_holdout": int(len(uho))}
    if len(ho):
        q = reg.predict(T[ho])
        summary.update(_stats("warm_start_", *pose_error(fk(chain, q), T[ho])))
        Xc = np.concatenate([P[ho], U[uho]])
        yc = np.concatenate([labels[ho], np.zeros(len(uho), int)])
        prob = cls.predict_proba(Xc)
        gated = prob[:, 0] >= 0.5
        summary.update({
            "classifier_accuracy": float(np.mean(prob.argmax(1) == yc)),
            "reachable_accuracy": float(np.mean(gated == (yc == 0))),
            "unreachable_gated": float(np.mean(gated[yc == 0])) if (yc == 0).any() else None,
            "reachable_gated": int(gated[yc > 0].sum()),
        })
    return {"regressor": reg, "classifier": cls}, summary


def _crisp_error(model, T_pred_q: np.ndarray, Q_true: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Model-space tool error between predicted and measured configurations (the model's bias cancels)."""
    return pose_error(fk(model, T_pred_q), fk(model, Q_true))


def fit_crisp(est, X, y, *, labels=None, unreachable=None, times=None, progress=None):
    """CRiSP-FK on measured pairs with the robot as the nominal model; sigma chosen on the held-out rows."""
    from iklearn.estimators.crisp import CRiSP

    chain = est.robot
    T, Q = _data(est, X, y)
    p = dict((est.params or {}).get("crisp", {}))
    sigmas = p.pop("sigma", CRISP_SIGMAS)
    sigmas = [float(s) for s in np.atleast_1d(sigmas)]
    kw = {**CRISP_DEFAULTS, "random_state": est.random_state, **p}
    tr, ho = _split(len(Q), est.holdout, est.random_state)
    if len(tr) < 2:
        raise IKLearnError(f"CRiSP needs at least 2 training rows after the hold-out, got {len(tr)}")
    grid = []
    best = None
    task = _task(progress, "CRiSP-FK" + (f" (sigma {', '.join(map(str, sigmas))})" if len(sigmas) > 1 else ""),
                 len(sigmas) + 1)
    for s in sigmas:
        if len(ho) == 0 and len(sigmas) > 1:
            raise IKLearnError("choosing CRiSP's sigma needs held-out rows: give --holdout > 0 or one --sigma")
        m = CRiSP(robot=chain, sigma=s, **kw).fit(T[tr], Q[tr])
        row = {"sigma": s}
        if len(ho):
            qh = m.predict(T[ho])
            pe, re = _crisp_error(chain, qh, Q[ho])
            row.update(_stats("model_", pe, re), joint_distance_median=float(np.median(np.abs(qh - Q[ho]).max(1))),
                       loss=float(np.mean(pe**2 + re**2)))
            if best is None or row["loss"] < best["loss"]:
                best = row
        grid.append(row)
        if progress is not None:
            progress.update(task, advance=1)
    best = best or grid[0]
    model = CRiSP(robot=chain, sigma=best["sigma"], **kw).fit(T, Q)  # the chosen sigma, on every row
    if progress is not None:
        progress.update(task, advance=1)
    summary = {"method": "crisp", "n_train": int(len(tr)), "n_holdout": int(len(ho)), "sigma": best["sigma"],
               "grid": grid, **{k: v for k, v in best.items() if k != "sigma"}}
    return {"crisp": model}, summary


def fit_lwpr(est, X, y, *, labels=None, unreachable=None, times=None, progress=None):
    """Velocity IK from recorded motion: consecutive rows give (xdot, q) -> qdot; last rows held out."""
    from iklearn.estimators.lwpr.velocity_ik import VelocityIKLearner
    from iklearn.kinematics import jacobian

    chain = est.robot
    T, Q = _data(est, X, y)
    n = len(Q)
    if n < 3:
        raise IKLearnError(f"lwpr needs a recorded motion of at least 3 rows, got {n}")
    t = np.arange(n) * 0.01 if times is None else np.asarray(times, float)
    if t.shape != (n,) or not np.isfinite(t).all() or (np.diff(t) <= 0).any():
        raise IKLearnError("times (the 't' column) must increase strictly from row to row")
    dt = np.diff(t)
    qdot = np.diff(Q, axis=0) / dt[:, None]
    xdot = np.diff(T[:, :3, 3], axis=0) / dt[:, None]
    theta = Q[:-1]
    k = len(dt) - int(round(est.holdout * len(dt)))
    full = chain.dof + 3  # every input: xdot (3) and the joints
    p = {**LWPR_DEFAULTS, "theta_opt": np.median(Q, axis=0),
         "lwpr_params": {"update_D": False, "init_projections": full, "max_projections": full},
         **(est.params or {}).get("velocity", {})}
    learner = VelocityIKLearner(task_dim=3, **p)
    task = _task(progress, "LWPR velocity IK", k)
    for i in range(k):  # online: each update's target (eq. 12) depends on the prediction so far
        learner.learn(xdot[i], theta[i], qdot[i])
        if progress is not None and (i + 1) % 100 == 0:
            progress.update(task, completed=i + 1)
    _done(progress, task)
    speed = np.linalg.norm(xdot[:k], axis=1)
    summary = {"method": "lwpr", "n_train": int(k), "n_holdout": int(len(dt) - k),
               "dt_median": float(np.median(dt)), "speed_p95": float(np.percentile(speed, 95)),
               "n_receptive_fields": [int(v) for v in np.atleast_1d(learner.n_receptive_fields_)]}
    if k < len(dt):
        qd = np.array([learner.predict(v, th) for v, th in zip(xdot[k:], theta[k:])])
        J = jacobian(chain, theta[k:])[:, :3]
        got = np.einsum("nij,nj->ni", J, qd)
        err = np.linalg.norm(got - xdot[k:], axis=1)
        scale = np.linalg.norm(xdot[k:], axis=1)
        ok = scale > 1e-12
        summary.update(task_velocity_error_median=float(np.median(err)),
                       task_velocity_relative_error_median=float(np.median(err[ok] / scale[ok])) if ok.any() else None)
    return {"velocity": learner}, summary
