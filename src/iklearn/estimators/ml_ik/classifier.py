"""Reachability and conditioning classifier of paper 001 (PyTorch MLP on ``[x, y, z, qx, qy, qz, qw]``)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from iklearn.data.labels import CLASS_NAMES
from iklearn.errors import IKLearnError, ShapeError
from iklearn.estimators._contract import check_fitted
from iklearn.estimators._io import arrays_to_torch_state, load_model, save_model, torch_state_to_arrays
from iklearn.estimators._torch import History, make_mlp, torch_module
from iklearn.estimators.ml_ik import _torch_utils as tu
from iklearn.kinematics.pose import as_poses, encode
from iklearn.robot.chain import Chain

_KIND = "ml_ik.conditioning_classifier"
N_CLASSES = len(CLASS_NAMES)


#: ``features`` name -> (pose encoding, width): the paper's ``[x, y, z, qx, qy, qz, qw]`` (``qw >= 0``) or
#: position plus the row-major rotation matrix (continuous where the quaternion's sign flips)
FEATURES = {"pose7": ("quat", 7), "pose12": ("matrix", 12)}


class ConditioningClassifier:
    """Four-class pose classifier: 0 unreachable, 1 near-singular, 2 adequately conditioned, 3 high manipulability.

    The paper's network: 7 inputs, five hidden ``Linear(256) + ReLU`` layers, 4 logits; cross-entropy,
    Adam with weight decay, ReduceLROnPlateau on the validation loss starting from ``lr = 8e-3``; the weights
    of the best validation epoch are kept (early stopping after ``patience`` epochs without progress).

    Parameters
    ----------
    robot : Chain
        The robot the labels were made for (recorded in saved files).
    hidden : tuple of int
    lr, weight_decay, batch_size, max_epochs, patience, lr_patience, val_fraction : training settings
        (``lr`` is the initial learning rate for 'plateau', the peak for 'onecycle'/'cosine')
    scheduler : {'plateau', 'onecycle', 'cosine'}
        'plateau' is the paper's ReduceLROnPlateau (halve after ``lr_patience`` epochs without a better
        validation loss); 'onecycle' warms up then anneals to ~0 over exactly ``max_epochs``.
    class_weight : None or 'balanced'
        'balanced' weights the cross-entropy by inverse class frequency (the paper: unweighted).
    time_budget : float or None, s, training-time cap
    n_threads : int or None, torch CPU threads (None: torch's own setting)
    features : {'pose7', 'pose12'}
        Network input: the paper's ``[x, y, z, qx, qy, qz, qw]`` (``qw >= 0``) or position plus the rotation
        matrix (continuous in the orientation). Both take the same poses ``(N, 7)`` / ``(N, 4, 4)``.
    random_state : int
    """

    def __init__(
        self,
        robot: Chain,
        *,
        hidden: tuple[int, ...] = (256, 256, 256, 256, 256),
        lr: float = 8e-3,
        weight_decay: float = 1e-4,
        batch_size: int = 1024,
        max_epochs: int = 200,
        patience: int = 20,
        lr_patience: int = 5,
        val_fraction: float = 0.1,
        scheduler: str = "plateau",
        class_weight: str | None = None,
        time_budget: float | None = None,
        n_threads: int | None = None,
        features: str = "pose7",
        random_state: int = 0,
    ) -> None:
        self.robot = robot
        self.hidden = hidden
        self.lr = lr
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.patience = patience
        self.lr_patience = lr_patience
        self.val_fraction = val_fraction
        self.scheduler = scheduler
        self.class_weight = class_weight
        self.time_budget = time_budget
        self.n_threads = n_threads
        self.features = features
        self.random_state = random_state

    def _feature_spec(self):
        """``(function, width)`` of the ``features`` input, or a clear error for an unknown name."""
        if self.features not in FEATURES:
            raise IKLearnError(f"features must be one of {', '.join(FEATURES)}, got {self.features!r}")
        return FEATURES[self.features]

    def _features(self, X) -> np.ndarray:
        kind = self._feature_spec()[0]
        return encode(as_poses(X, "X (poses)")[0], kind)

    def fit(self, X, y) -> "ConditioningClassifier":
        """Learn from poses ``X`` ``(N, 7)`` / ``(N, 4, 4)`` and class labels ``y`` ``(N,)`` in ``{0, 1, 2, 3}``."""
        F = self._features(X)
        lab = np.asarray(y)
        if lab.shape != (F.shape[0],):
            raise ShapeError(f"y must have shape ({F.shape[0]},), got {lab.shape}")
        if F.shape[0] == 0:
            raise ShapeError("X is empty; expected at least one pose")
        if not np.isin(lab, np.arange(N_CLASSES)).all():
            raise IKLearnError("class labels must be integers in {0, 1, 2, 3}")
        if self.class_weight not in (None, "balanced"):
            raise IKLearnError("class_weight must be None or 'balanced'")
        torch = torch_module(self.n_threads)
        rng = np.random.default_rng(self.random_state)
        cw = None
        if self.class_weight == "balanced":
            cnt = np.bincount(lab.astype(int), minlength=N_CLASSES).astype(float)
            cw = np.where(cnt > 0, cnt.sum() / (N_CLASSES * np.maximum(cnt, 1)), 0.0)
        torch.manual_seed(int(rng.integers(2**31)))
        self.x_mean_, self.x_std_ = F.mean(0), F.std(0) + 1e-9
        self.model_ = make_mlp(F.shape[1], tuple(self.hidden), N_CLASSES)
        self.history_ = tu.train(self.model_, (F - self.x_mean_) / self.x_std_, lab.astype(np.int64), loss="ce",
                                 lr=self.lr, weight_decay=self.weight_decay, batch_size=self.batch_size,
                                 max_epochs=self.max_epochs, patience=self.patience, val_fraction=self.val_fraction,
                                 rng=rng, scheduler=self.scheduler, lr_patience=self.lr_patience, lr_factor=0.5,
                                 min_lr=1e-8, time_budget=self.time_budget, class_weight=cw)
        self.classes_ = np.arange(N_CLASSES)
        return self

    def _check_fitted(self) -> None:
        check_fitted(self, "model_")

    def decision_function(self, X) -> np.ndarray:
        """Logits ``(N, 4)``."""
        self._check_fitted()
        F = self._features(X)
        torch_module(self.n_threads)
        if F.shape[0] == 0:
            return np.zeros((0, N_CLASSES))
        return tu.predict(self.model_, (F - self.x_mean_) / self.x_std_)

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities ``(N, 4)`` (softmax of the logits)."""
        z = self.decision_function(X)
        z = z - z.max(axis=1, keepdims=True) if z.size else z
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True) if z.size else z

    def predict(self, X) -> np.ndarray:
        """Classes ``(N,)`` int in ``{0, 1, 2, 3}``."""
        return np.argmax(self.decision_function(X), axis=1)

    def save(self, path: str | os.PathLike) -> Path:
        """Write weights, input scaler and training history to ``path`` (npz + JSON, no pickle)."""
        self._check_fitted()
        arrays = torch_state_to_arrays(self.model_.state_dict())
        arrays.update(x_mean=self.x_mean_, x_std=self.x_std_)
        keys = ("lr", "weight_decay", "batch_size", "max_epochs", "patience", "lr_patience", "val_fraction",
                "scheduler", "class_weight", "time_budget", "n_threads", "features", "random_state")
        meta = {k: getattr(self, k) for k in keys}
        meta["hidden"] = [int(h) for h in self.hidden]
        meta["history"] = self.history_.to_dict()
        return save_model(path, _KIND, arrays, meta, robot=self.robot)

    @classmethod
    def load(cls, path: str | os.PathLike, *, robot: Chain | None = None) -> "ConditioningClassifier":
        """Read a model written by :meth:`save`; refuses a file made for another robot than ``robot``."""
        arrays, meta, file_robot = load_model(path, _KIND, robot=robot)
        hist = meta.pop("history")
        meta["hidden"] = tuple(meta["hidden"])
        self = cls(robot if robot is not None else file_robot, **meta)
        torch_module(self.n_threads)
        self.model_ = make_mlp(self._feature_spec()[1], self.hidden, N_CLASSES)
        self.model_.load_state_dict(arrays_to_torch_state(arrays))
        self.model_.eval()
        self.x_mean_, self.x_std_ = arrays["x_mean"], arrays["x_std"]
        self.history_ = History(**hist)
        self.classes_ = np.arange(N_CLASSES)
        return self
