"""A plain MLP regressor from pose to joints: the neural-network baseline of paper 003 (CRiSP, Sec. 4.3).

Fully connected ``64-128-128-128-64-64`` with tanh activations, trained with Adam on the squared joint error
(scikit-learn's ``MLPRegressor``); inputs ``[p, vec(R)]`` and outputs are standardised; predictions are clipped
to the joint limits, as in the paper. It ignores the redundancy of the arm (it regresses the mean of all
configurations that reach a pose), which is the point of the comparison.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from iklearn._validate import as_batch, check_finite
from iklearn.errors import ShapeError
from iklearn.estimators._contract import check_fitted
from iklearn.estimators._io import load_model, save_model
from iklearn.kinematics.pose import as_poses, encode
from iklearn.robot.chain import Chain

_KIND = "mlp-ik"


class MLPIK:
    """Pose -> joints MLP regressor (outputs clipped to the limits of ``robot``).

    Parameters
    ----------
    robot : Chain
        Gives the number of joints and the limits used for clipping.
    hidden : tuple of int
        Hidden layer widths (paper: 64, 128, 128, 128, 64, 64).
    max_iter : int
        Training epochs.
    learning_rate : float
        Adam step size.
    batch_size : int
    random_state : int
    """

    def __init__(
        self,
        *,
        robot: Chain,
        hidden: tuple[int, ...] = (64, 128, 128, 128, 64, 64),
        max_iter: int = 200,
        learning_rate: float = 1e-3,
        batch_size: int = 256,
        random_state: int = 0,
    ) -> None:
        self.robot = robot
        self.hidden = hidden
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.random_state = random_state

    def fit(self, X, y) -> "MLPIK":
        """Train on poses ``X`` ((N, 7) or (N, 4, 4)) and joints ``y`` (N, dof)."""
        import warnings

        from sklearn.exceptions import ConvergenceWarning
        from sklearn.neural_network import MLPRegressor

        T, _ = as_poses(X, "X")
        Y, _ = as_batch(y, self.robot.dof, "y")
        check_finite(Y, "y")
        if T.shape[0] != Y.shape[0] or T.shape[0] < 2:
            raise ShapeError(f"X and y need the same number (>= 2) of rows, got {T.shape[0]} and {Y.shape[0]}")
        F = encode(T, "matrix")
        self.x_mean_, self.x_scale_ = F.mean(0), F.std(0) + 1e-9
        self.y_mean_, self.y_scale_ = Y.mean(0), Y.std(0) + 1e-9
        net = MLPRegressor(
            hidden_layer_sizes=tuple(self.hidden), activation="tanh", solver="adam",
            learning_rate_init=self.learning_rate, batch_size=self.batch_size, max_iter=self.max_iter,
            random_state=self.random_state, tol=0.0, n_iter_no_change=self.max_iter + 1,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            net.fit((F - self.x_mean_) / self.x_scale_, (Y - self.y_mean_) / self.y_scale_)
        self.coefs_ = [np.asarray(c) for c in net.coefs_]
        self.intercepts_ = [np.asarray(b) for b in net.intercepts_]
        self.loss_curve_ = list(net.loss_curve_)
        return self

    def predict(self, X) -> np.ndarray:
        """Joints ``(N, dof)`` (or ``(dof,)`` for one pose), clipped to the joint limits."""
        check_fitted(self, "coefs_")
        T, single = as_poses(X, "X")
        h = (encode(T, "matrix") - self.x_mean_) / self.x_scale_
        for i, (W, b) in enumerate(zip(self.coefs_, self.intercepts_)):
            h = h @ W + b
            if i < len(self.coefs_) - 1:
                h = np.tanh(h)
        q = self.robot.clip(h * self.y_scale_ + self.y_mean_)
        return q[0] if single else q

    def save(self, path) -> Path:
        """Save weights and scalers (npz + JSON, no pickle)."""
        check_fitted(self, "coefs_")
        arrays = {"x_mean": self.x_mean_, "x_scale": self.x_scale_, "y_mean": self.y_mean_, "y_scale": self.y_scale_}
        for i, (W, b) in enumerate(zip(self.coefs_, self.intercepts_)):
            arrays[f"W{i}"], arrays[f"b{i}"] = W, b
        meta = {"hidden": list(self.hidden), "max_iter": self.max_iter, "learning_rate": self.learning_rate,
                "batch_size": self.batch_size, "random_state": self.random_state, "n_layers": len(self.coefs_)}
        return save_model(path, _KIND, arrays, meta, robot=self.robot)

    @classmethod
    def load(cls, path, *, robot: Chain | None = None) -> "MLPIK":
        """Load a model written by :meth:`save`; refuses a file made for another robot."""
        arrays, meta, file_robot = load_model(path, _KIND, robot=robot)
        n_layers = meta.pop("n_layers")
        meta["hidden"] = tuple(meta["hidden"])
        est = cls(robot=robot if robot is not None else file_robot, **meta)
        est.x_mean_, est.x_scale_ = arrays["x_mean"], arrays["x_scale"]
        est.y_mean_, est.y_scale_ = arrays["y_mean"], arrays["y_scale"]
        est.coefs_ = [arrays[f"W{i}"] for i in range(n_layers)]
        est.intercepts_ = [arrays[f"b{i}"] for i in range(n_layers)]
        return est
