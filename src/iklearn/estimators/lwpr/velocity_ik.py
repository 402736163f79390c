"""Learning velocity-level inverse kinematics (xdot, theta) -> thetadot with LWPR (paper 002).

D'Souza, Vijayakumar & Schaal, "Learning inverse kinematics" (IROS 2001):

* inputs z = (xdot, theta), outputs thetadot; locality on theta only (the xdot entries of the initial
  distance metric are zero) and the xdot inputs scaled up so the PLS projections favour them (SS 3.1.3);
* training targets (eq. 12) thetadot_target = thetadot - alpha W (thetadot_hat - dtheta), dtheta = theta_opt -
  theta, which pulls the learned inverse towards the posture theta_opt in its null space (eq. 11);
* exploration bias (eq. 13): the command is thetadot_hat + dtheta / n_r, n_r the data count of the most
  active receptive field;
* slow start: each new projection's SS statistic starts large (the paper uses 1e10) so new models begin
  with tiny slopes and gain "trust" as data arrive.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from iklearn._validate import as_batch
from iklearn.errors import NotFittedError, ShapeError
from iklearn.estimators._io import load_model, save_model
from iklearn.estimators.lwpr.model import LWPR, _as_norm
from iklearn.robot.chain import Chain

_KIND = "lwpr_velocity_ik"
_HYPER = ("theta_opt", "task_dim", "weights", "alpha", "init_D_theta", "xdot_scale", "theta_scale",
          "slow_start", "n_trust", "exploration_bias", "lwpr_params")


class VelocityIKLearner:
    """Online learner of the resolved-rate inverse kinematics with a null-space posture criterion.

    The learner acts from the first step: before any data :meth:`command` is the exploration bias alone and
    the training target (:meth:`target`) uses a zero prediction. :meth:`predict` answers only once it has
    learned something (:meth:`learn`, :meth:`fit` or :meth:`load`).

    Parameters
    ----------
    theta_opt : (dof,) rad
        Preferred posture of the null-space criterion (eq. 11).
    robot : Chain, optional
        The arm whose inverse is learned; when given, ``theta_opt`` must have its ``dof`` and saved files
        record it (a file is then refused for another robot).
    task_dim : int
        Dimension m of xdot (3 for a position task).
    weights : float or (dof,)
        Diagonal of W in eq. 11-12.
    alpha : float
        Strength of the null-space term in the training targets (eq. 12), 1/s.
    init_D_theta : float
        Initial distance metric on the (scaled) joint inputs; the xdot entries are 0.
    xdot_scale : float
        Input normalisation xdot / xdot_scale (m/s). A small xdot_scale gives the relevant inputs a large
        variance (SS 3.1.3).
    theta_scale : float or (dof,)
        Input normalisation theta / theta_scale (rad), per joint if an array; with ``init_D_theta`` it sets
        the receptive-field width along each joint.
    slow_start : float
        Initial SS of every projection (eq. 10c); 1e-10 disables the slow start.
    n_trust : float, optional
        Samples a receptive field needs before it predicts (see :class:`LWPR`); None = 2 d.
    exploration_bias : bool
        Add dtheta / n_r to the command (eq. 13).
    lwpr_params : dict, optional
        Further :class:`LWPR` keyword hyperparameters (w_gen, init_alpha, lambda schedule, ...).

    Attributes
    ----------
    model_ : LWPR
        The regression model (created, empty, on first use).
    n_updates_ : int
    """

    def __init__(self, *, theta_opt: Any, robot: Chain | None = None, task_dim: int = 3, weights: Any = 1.0,
                 alpha: float = 0.05, init_D_theta: float = 25.0, xdot_scale: float = 0.05,
                 theta_scale: float = 1.0, slow_start: float = 1e10, n_trust: float | None = None,
                 exploration_bias: bool = True, lwpr_params: dict[str, Any] | None = None) -> None:
        self.theta_opt = theta_opt
        self.robot = robot
        self.task_dim = task_dim
        self.weights = weights
        self.alpha = alpha
        self.init_D_theta = init_D_theta
        self.xdot_scale = xdot_scale
        self.theta_scale = theta_scale
        self.slow_start = slow_start
        self.n_trust = n_trust
        self.exploration_bias = exploration_bias
        self.lwpr_params = lwpr_params

    def _built(self) -> "VelocityIKLearner":
        """The learner with its (empty) LWPR model and checked settings, built on first use."""
        if "_lwpr" not in vars(self):
            self._build()
        return self

    def _build(self) -> None:
        self.theta_opt_ = np.asarray(self.theta_opt, dtype=float).copy()
        n, m = self.theta_opt_.shape[0], int(self.task_dim)
        if self.robot is not None and n != self.robot.dof:
            raise ShapeError(f"theta_opt has {n} joints but robot '{self.robot.name}' has {self.robot.dof}")
        self.W_ = np.broadcast_to(np.asarray(self.weights, dtype=float), (n,)).copy()
        init_D = np.concatenate([np.zeros(m), np.full(n, float(self.init_D_theta))])
        theta_scale = _as_norm(self.theta_scale, n, "theta_scale")
        norm_in = np.concatenate([np.full(m, float(self.xdot_scale)), theta_scale])
        kw = {"init_D": init_D, "norm_in": norm_in, "init_S2": float(self.slow_start), "diag_only": True,
              "n_trust": self.n_trust}
        kw.update(self.lwpr_params or {})
        self._lwpr = LWPR(**kw)
        self.n_updates_ = 0
        self.dof_, self.task_dim_ = n, m

    @property
    def model_(self) -> LWPR:
        return self._built()._lwpr

    def _z(self, xdot: np.ndarray, theta: np.ndarray) -> np.ndarray:
        return np.concatenate([np.asarray(xdot, dtype=float), np.asarray(theta, dtype=float)])[None, :]

    def _predict_one(self, xdot: Any, theta: Any) -> np.ndarray:
        """thetadot_hat (dof,) for one (xdot, theta); 0 before any data (what eq. 12 and 13 use then)."""
        self._built()
        if self.n_updates_ == 0:
            return np.zeros(self.dof_)
        return self._lwpr.predict(self._z(xdot, theta))[0]

    def predict(self, xdot: Any, theta: Any) -> np.ndarray:
        """Learned thetadot_hat, rad/s: ``(N, dof)`` for task velocities ``xdot`` ``(N, m)`` at ``theta``
        ``(N, dof)``, or ``(dof,)`` for one ``(m,)``, ``(dof,)`` pair."""
        self._check_learned()
        Xd, single = as_batch(xdot, self.task_dim_, "xdot")
        Th, _ = as_batch(theta, self.dof_, "theta")
        if Xd.shape[0] != Th.shape[0]:
            raise ShapeError(f"xdot has {Xd.shape[0]} rows but theta has {Th.shape[0]}")
        y = self._lwpr.predict(np.concatenate([Xd, Th], axis=1))
        return y[0] if single else y

    def _check_learned(self) -> None:
        if not ("_lwpr" in vars(self) and self.n_updates_):
            raise NotFittedError("this VelocityIKLearner has learned nothing yet; call learn() or fit() first, "
                                 "or VelocityIKLearner.load(path)")

    def command(self, xdot: Any, theta: Any) -> np.ndarray:
        """Joint velocity to execute (dof,): prediction plus the exploration bias dtheta / n_r (eq. 13)."""
        self._built()
        theta = np.asarray(theta, dtype=float)
        if self.n_updates_ == 0:
            yp = np.zeros(self.dof_)
            n_r = 0.0
        else:
            info = self._lwpr.predict_info(self._z(xdot, theta))
            yp = info["y"][0]
            n_r = float(np.min(info["n_data"][0]))
        if self.exploration_bias:
            yp = yp + (self.theta_opt_ - theta) / max(n_r, 1.0)
        return yp

    def target(self, xdot: Any, theta: Any, thetadot: Any) -> np.ndarray:
        """Training target of eq. 12 for the observed (xdot, theta) -> thetadot (dof,)."""
        theta = np.asarray(theta, dtype=float)
        pred = self._predict_one(xdot, theta)
        return np.asarray(thetadot, dtype=float) - self.alpha * self.W_ * (pred - (self.theta_opt_ - theta))

    def learn(self, xdot: Any, theta: Any, thetadot: Any) -> "VelocityIKLearner":
        """One self-supervised update: the robot moved with thetadot at theta, its end effector with xdot."""
        y = self.target(xdot, theta, thetadot)
        self._lwpr.partial_fit(self._z(xdot, theta), y[None, :])
        self.n_updates_ += 1
        return self

    def fit(self, xdot: Any, theta: Any, thetadot: Any) -> "VelocityIKLearner":
        """Forget what was learned, then :meth:`learn` from the rows of ``xdot`` ``(N, m)``, ``theta``
        ``(N, dof)`` and ``thetadot`` ``(N, dof)`` in order (as if they had been observed one by one)."""
        for k in ("_lwpr", "n_updates_"):
            vars(self).pop(k, None)
        self._built()
        Xd, _ = as_batch(xdot, self.task_dim_, "xdot")
        Th, _ = as_batch(theta, self.dof_, "theta")
        Td, _ = as_batch(thetadot, self.dof_, "thetadot")
        if not Xd.shape[0] == Th.shape[0] == Td.shape[0]:
            raise ShapeError(f"xdot, theta and thetadot have {Xd.shape[0]}, {Th.shape[0]} and {Td.shape[0]} rows")
        for row in zip(Xd, Th, Td):
            self.learn(*row)
        return self

    @property
    def n_receptive_fields_(self) -> np.ndarray:
        self._built()
        return self._lwpr.n_receptive_fields_ if self.n_updates_ else np.zeros(self.dof_, dtype=int)

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        return {k: getattr(self, k) for k in _HYPER}

    def save(self, path: str | os.PathLike) -> Path:
        """Save the learner (its settings and the LWPR model) to ``path`` (.npz + JSON, no pickle)."""
        self._check_learned()
        arrays, meta = self._lwpr._state()
        hyper = {k: (np.asarray(v).tolist() if isinstance(v, np.ndarray) else v)
                 for k, v in self.get_params().items()}
        return save_model(path, _KIND, arrays, {"learner": hyper, "lwpr": meta, "n_updates": self.n_updates_},
                          robot=self.robot)

    @classmethod
    def load(cls, path: str | os.PathLike, *, robot: Chain | None = None) -> "VelocityIKLearner":
        """Load a learner written by :meth:`save`; it predicts and keeps learning as before saving. A file
        that records a robot is refused for another ``robot``."""
        arrays, meta, file_robot = load_model(path, _KIND, robot=robot)
        learner = cls(**meta["learner"], robot=robot if robot is not None else file_robot)._built()
        learner._lwpr = LWPR._from_state(arrays, meta["lwpr"])
        learner.n_updates_ = int(meta["n_updates"])
        return learner
