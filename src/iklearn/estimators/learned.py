"""A learned IK model for the user's own robot: what ``iklearn train`` writes and ``iklearn solve --model`` reads.

:class:`LearnedIK` holds one method's trained estimators for one robot, the held-out summary of its training,
and solves with them (:mod:`iklearn.estimators.learned_solve`):

* ``'ml-ik'`` (paper 001, any DOF): the clustered MLP regressor (pose -> joints, the warm start) and the
  reachability/conditioning classifier (the gate);
* ``'crisp'`` (paper 003): CRiSP-FK trained on measured ``(q, pose)`` pairs with the nominal model in its loss;
* ``'lwpr'`` (paper 002): velocity IK ``(xdot, q) -> qdot`` learned from recorded motion, used for
  resolved-rate control.

A model file is one ``.npz`` (kind ``learned_ik``, no pickle): every part is its estimator's own model file,
kept byte for byte, beside the bundle's JSON metadata (method, training settings, held-out summary) and the
robot's description and fingerprint, so a file made for another robot (other kinematics, whatever its name)
is refused on load by the bundle and again by each part.
"""

from __future__ import annotations

import importlib
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from iklearn.errors import IKLearnError, ModelMismatchError, NotFittedError
from iklearn.robot.chain import Chain

_KIND = "learned_ik"
FORMAT_VERSION = 1
METHODS = ("ml-ik", "crisp", "lwpr")
#: part kind -> (module, class, keyword that passes the robot to its ``load``, or None: the part has no robot)
PART_CLASSES = {
    "ml_ik.clustered_mlp_regressor": ("iklearn.estimators.ml_ik.regressor", "ClusteredMLPRegressor", "robot"),
    "ml_ik.conditioning_classifier": ("iklearn.estimators.ml_ik.classifier", "ConditioningClassifier", "robot"),
    "crisp": ("iklearn.estimators.crisp.model", "CRiSP", "robot"),
    "lwpr_velocity_ik": ("iklearn.estimators.lwpr.velocity_ik", "VelocityIKLearner", None),
}


class LearnedIK:
    """One method's trained model of one robot, ready to solve (scikit-learn style: ``fit`` returns self).

    Parameters
    ----------
    robot : Chain
        The robot the model is for (CRiSP: the nominal model in its loss).
    method : {'ml-ik', 'crisp', 'lwpr'}
    params : dict, optional
        Hyperparameters per part: ``{'regressor': {...}, 'classifier': {...}}`` (ml-ik), ``{'crisp': {...}}``
        (a ``sigma`` list is a grid chosen on the held-out rows), ``{'velocity': {...}}`` (lwpr); unknown keys
        are refused by the estimators.
    holdout : float
        Share of the rows kept out of training and scored in :attr:`summary_`.
    random_state : int

    Attributes
    ----------
    parts_ : dict name -> fitted estimator (``regressor``, ``classifier``, ``crisp``, ``velocity``)
    summary_ : dict, held-out errors and training facts (printed by ``iklearn train``)
    """

    def __init__(self, *, robot: Chain, method: str = "ml-ik", params: dict | None = None, holdout: float = 0.1,
                 random_state: int = 0) -> None:
        self.robot = robot
        self.method = method
        self.params = params
        self.holdout = holdout
        self.random_state = random_state

    # ------------------------------------------------------------------ training
    def fit(self, X, y, *, labels=None, unreachable=None, times=None, progress=None) -> "LearnedIK":
        """Train from poses ``X`` ((N, 7) or (N, 4, 4), m) and joints ``y`` ((N, dof), rad / m).

        ml-ik: ``labels`` (N,) conditioning classes 1-3 and ``unreachable`` (M, 7) poses are computed from the
        robot when not given. lwpr: the rows are recorded motion in time order, ``times`` (N,) s (default
        0.01 s apart). ``progress``: an optional rich Progress.
        """
        from iklearn.estimators import learned_fit

        if self.method not in METHODS:
            raise IKLearnError(f"unknown method {self.method!r}; choose one of {', '.join(METHODS)}")
        if not 0.0 <= float(self.holdout) < 1.0:
            raise IKLearnError(f"holdout must be a fraction in [0, 1), got {self.holdout}")
        fit = {"ml-ik": learned_fit.fit_ml_ik, "crisp": learned_fit.fit_crisp, "lwpr": learned_fit.fit_lwpr}
        self.parts_, self.summary_ = fit[self.method](self, X, y, labels=labels, unreachable=unreachable,
                                                      times=times, progress=progress)
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "parts_"):
            raise NotFittedError("this LearnedIK model is not fitted yet; call fit() or load() first")

    @property
    def has_gate(self) -> bool:
        """Whether the model has a reachability classifier (``--gate``)."""
        self._check_fitted()
        return "classifier" in self.parts_

    # ------------------------------------------------------------------ prediction
    def predict(self, X) -> np.ndarray:
        """The model's joint configurations ``(N, dof)`` for target poses ``X`` ((N, 7) or (N, 4, 4)).

        ml-ik: the regressor's answer; crisp: CRiSP-FK's; lwpr has no pose-to-joints map (use :meth:`solve`,
        which tracks the targets by resolved-rate control).
        """
        self._check_fitted()
        if "regressor" in self.parts_:
            return self.parts_["regressor"].predict(X)
        if "crisp" in self.parts_:
            return self.parts_["crisp"].predict(X)
        raise IKLearnError("an lwpr model learns joint velocities, not configurations: use solve(targets, q0=...)")

    def reachable_proba(self, X) -> np.ndarray:
        """``(N,)`` probability that each pose is reachable, from the classifier (ml-ik models only)."""
        if not self.has_gate:
            raise IKLearnError(f"this {self.method} model has no reachability classifier (train ml-ik for one)")
        return 1.0 - self.parts_["classifier"].predict_proba(X)[:, 0]

    def solve(self, targets, q0=None, **kw):
        """IK with the model: see :func:`iklearn.estimators.learned_solve.solve_with_model` (same keywords)."""
        from iklearn.estimators.learned_solve import solve_with_model

        return solve_with_model(self, targets, q0, **kw)

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | os.PathLike) -> Path:
        """Write the model to one ``.npz`` (each part's own file inside, JSON metadata, no pickle); atomic."""
        from iklearn.estimators._io import save_model

        self._check_fitted()
        arrays, kinds = {}, {}
        with tempfile.TemporaryDirectory(prefix="iklearn_model_") as tmp:
            for name, est in self.parts_.items():
                f = Path(tmp) / f"{name}.npz"
                est.save(f)
                arrays[f"part.{name}"] = np.frombuffer(f.read_bytes(), dtype=np.uint8)
                kinds[name] = _part_kind(f)
        meta = {"method": self.method, "params": _jsonable(self.params), "holdout": float(self.holdout),
                "random_state": int(self.random_state), "parts": kinds, "summary": _jsonable(self.summary_)}
        return save_model(path, _KIND, arrays, meta, robot=self.robot, format_version=FORMAT_VERSION)

    @classmethod
    def load(cls, path: str | os.PathLike, *, robot: Chain | None = None) -> "LearnedIK":
        """Read a model written by :meth:`save`; :class:`~iklearn.errors.ModelMismatchError` for a file of
        another kind, a newer format, a corrupt file, or a model of a robot whose kinematics differ from
        ``robot`` (the robot in the file is used when ``robot`` is None)."""
        from iklearn.estimators._io import load_model

        arrays, meta, file_robot = load_model(path, _KIND, robot=robot, max_format_version=FORMAT_VERSION)
        chain = robot if robot is not None else file_robot
        try:
            est = cls(robot=chain, method=meta["method"], params=meta["params"], holdout=meta["holdout"],
                      random_state=meta["random_state"])
            parts = {}
            with tempfile.TemporaryDirectory(prefix="iklearn_model_") as tmp:
                for name, kind in meta["parts"].items():
                    module, klass, robot_kw = PART_CLASSES[kind]
                    f = Path(tmp) / f"{name}.npz"
                    f.write_bytes(arrays[f"part.{name}"].tobytes())
                    loader = getattr(importlib.import_module(module), klass).load
                    parts[name] = loader(f, **({robot_kw: chain} if robot_kw else {}))
        except (KeyError, TypeError) as exc:
            raise ModelMismatchError(f"{path}: corrupt learned-IK model file ({type(exc).__name__}: {exc})") from None
        est.parts_ = parts
        est.summary_ = meta.get("summary") or {}
        return est


def _part_kind(path: Path) -> str:
    from iklearn.estimators._io import model_kind

    return model_kind(path)


def _jsonable(o: Any) -> Any:
    if isinstance(o, dict):
        return {str(k): _jsonable(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [_jsonable(v) for v in o]
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, np.generic):
        return o.item()
    return o
