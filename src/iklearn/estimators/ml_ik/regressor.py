"""Clustered MLP IK regressor of paper 001: one MLP per KMeans cluster of joint space, FK picks the answer."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

import numpy as np

from iklearn._validate import as_batch
from iklearn.errors import IKLearnError, ShapeError
from iklearn.estimators._contract import check_fitted
from iklearn.estimators._io import arrays_to_torch_state, load_model, save_model, torch_state_to_arrays
from iklearn.estimators._torch import History, make_stacked_mlp, torch_module
from iklearn.estimators.ml_ik import _torch_utils as tu
from iklearn.kinematics import fk, pose_error
from iklearn.kinematics.pose import as_poses, encode
from iklearn.robot.chain import Chain
from iklearn.solvers.lm import LevenbergMarquardt

_KIND = "ml_ik.clustered_mlp_regressor"
#: the regressor's ``features`` names (as saved in model files) and the pose encodings they are
_ENCODING = {"xyz_yaw": "yaw", "xyz_yaw_sincos": "yaw_sincos", "quat": "quat", "pose9": "pose9"}
FEATURES = tuple(_ENCODING)


def pose_features(T: np.ndarray, kind: str) -> np.ndarray:
    """Network inputs from poses ``(N, 4, 4)`` (:func:`iklearn.kinematics.pose.encode`).

    kinds: ``xyz_yaw`` (N, 4) the paper's ``[x, y, z, yaw]``; ``xyz_yaw_sincos`` (N, 5) ``[x, y, z, cos yaw,
    sin yaw]`` (no jump at yaw = +-pi); ``quat`` (N, 7) ``[x, y, z, qx, qy, qz, qw]``; ``pose9`` (N, 9)
    position + the first two columns of R (continuous in the rotation, for 6/7-DOF arms).
    """
    if kind not in _ENCODING:
        raise IKLearnError(f"unknown features '{kind}'; expected one of {', '.join(FEATURES)}")
    return encode(T, _ENCODING[kind])


def _target_error(T_pred: np.ndarray, T: np.ndarray, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """Position error (m) and the orientation error the features can express (rad): yaw or geodesic."""
    pos, rot = pose_error(T_pred, T)
    if kind.startswith("xyz_yaw"):
        d = np.arctan2(T_pred[..., 1, 0], T_pred[..., 0, 0]) - np.arctan2(T[..., 1, 0], T[..., 0, 0])
        rot = np.abs((d + np.pi) % (2 * np.pi) - np.pi)
    return pos, rot


class ClusteredMLPRegressor:
    """Pose -> joint configuration by one MLP per solution family (paper 001, section "IK Model").

    KMeans on joint space separates solution families (elbow up/down, ...); each cluster gets an MLP
    (ReLU, Adam, early stopping on a validation split) on standardised inputs and outputs. ``predict`` runs
    every cluster's network and keeps, per target, the answer whose forward kinematics is closest to it.
    The K networks are held as batched weight tensors and trained and evaluated together (one
    ``torch.baddbmm`` per layer for all clusters), which is the same maths as K separate networks.

    Parameters
    ----------
    robot : Chain
    n_clusters : int
        Number of KMeans clusters (solution families), 4 in the paper.
    cluster_joints : sequence of int or None
        Joint indices KMeans looks at (None: all joints, as in the paper). A joint that only moves the
        orientation inside one family (arm4's wrist yaw) or whose branches sit pi apart (arm4's base) blurs
        the families; clustering on the branch joints alone gives one solution per cluster.
    features : {'xyz_yaw', 'xyz_yaw_sincos', 'quat', 'pose9'}
        Network inputs computed from the target pose (see :func:`pose_features`).
    angle_encoding : {'sincos', 'raw'}
        'sincos' predicts ``(cos q, sin q)`` for joints whose range spans a full turn (no jump at +-pi).
    hidden : tuple of int
        Hidden layer widths, (256, 256, 256) in the paper.
    lr, weight_decay, batch_size, max_epochs, patience, val_fraction : training settings (Adam, MSE);
        ``batch_size`` rows of every cluster per step, ``lr`` the peak learning rate of the schedule
    scheduler : {'onecycle', 'cosine', 'plateau'}
        Learning-rate schedule: one-cycle (warm-up, cosine decay over ``max_epochs``; converges in a fixed
        budget), cosine, or ReduceLROnPlateau on the validation loss (``lr_patience`` epochs, halving).
    lr_patience : int
    selection_weight : float, m/rad
        Weight of the orientation error against the position error (m) when picking a cluster's answer.
    time_budget : float or None, s
        Training-time cap per cluster (None: until early stopping or ``max_epochs``).
    n_threads : int or None
        torch CPU threads (None: torch's own setting).
    random_state : int
    """

    def __init__(
        self,
        robot: Chain,
        *,
        n_clusters: int = 4,
        cluster_joints: Sequence[int] | None = None,
        features: str = "pose9",
        angle_encoding: str = "sincos",
        hidden: tuple[int, ...] = (256, 256, 256),
        lr: float = 2e-3,
        weight_decay: float = 0.0,
        batch_size: int = 1000,
        max_epochs: int = 200,
        patience: int = 10,
        val_fraction: float = 0.1,
        scheduler: str = "onecycle",
        lr_patience: int = 4,
        selection_weight: float = 0.1,
        time_budget: float | None = None,
        n_threads: int | None = None,
        random_state: int = 0,
    ) -> None:
        self.robot = robot
        self.n_clusters = n_clusters
        self.cluster_joints = cluster_joints
        self.features = features
        self.angle_encoding = angle_encoding
        self.hidden = hidden
        self.lr = lr
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.patience = patience
        self.val_fraction = val_fraction
        self.scheduler = scheduler
        self.lr_patience = lr_patience
        self.selection_weight = selection_weight
        self.time_budget = time_budget
        self.n_threads = n_threads
        self.random_state = random_state

    # ---------------------------------------------------------------- encoding
    def _circular(self) -> np.ndarray:
        c = self.robot
        span = c.finite_upper - c.finite_lower
        circ = (c.joint_types == 0) & (span >= 2 * np.pi - 1e-6)
        return circ if self.angle_encoding == "sincos" else np.zeros_like(circ)

    def _encode_q(self, q: np.ndarray) -> np.ndarray:
        circ = self.circular_
        return np.column_stack([q[:, ~circ], np.cos(q[:, circ]), np.sin(q[:, circ])])

    def _decode_q(self, y: np.ndarray) -> np.ndarray:
        circ = self.circular_
        n_lin, n_c = int((~circ).sum()), int(circ.sum())
        q = np.empty((y.shape[0], circ.size))
        q[:, ~circ] = y[:, :n_lin]
        q[:, circ] = np.arctan2(y[:, n_lin + n_c:], y[:, n_lin:n_lin + n_c])
        return self.robot.clip(q)

    def _check_params(self) -> None:
        if self.features not in FEATURES:
            raise IKLearnError(f"unknown features '{self.features}'; expected one of {', '.join(FEATURES)}")
        if self.angle_encoding not in ("sincos", "raw"):
            raise IKLearnError("angle_encoding must be 'sincos' or 'raw'")
        if int(self.n_clusters) < 1:
            raise IKLearnError("n_clusters must be at least 1")

    # ---------------------------------------------------------------- fit / predict
    def fit(self, X, y, progress=None) -> "ClusteredMLPRegressor":
        """Learn from target poses ``X`` ``(N, 7)`` / ``(N, 4, 4)`` and their joint configurations ``y`` ``(N, dof)``.

        ``progress`` (optional rich Progress) advances once per cluster.
        """
        from sklearn.cluster import KMeans

        self._check_params()
        T, _ = as_poses(X, "X (poses)")
        Q, _ = as_batch(y, self.robot.dof, "y (joint configurations)", allow_empty=False)
        if T.shape[0] != Q.shape[0]:
            raise ShapeError(f"X has {T.shape[0]} poses but y has {Q.shape[0]} configurations")
        torch = torch_module(self.n_threads)
        rng = np.random.default_rng(self.random_state)
        torch.manual_seed(int(rng.integers(2**31)))
        self.circular_ = self._circular()
        cols = list(range(self.robot.dof)) if self.cluster_joints is None else [int(j) for j in self.cluster_joints]
        k = min(int(self.n_clusters), Q.shape[0])
        km = KMeans(n_clusters=k, n_init=4, random_state=self.random_state).fit(Q[:, cols])
        self.cluster_columns_ = np.asarray(cols, int)
        self.cluster_centers_ = km.cluster_centers_
        self.labels_ = km.labels_
        F = pose_features(T, self.features)
        Y = self._encode_q(Q)
        self.n_features_in_ = F.shape[1]
        lab = km.labels_
        # per-cluster standardisation (each row belongs to one cluster, so one standardised copy suffices)
        self.x_mean_ = np.stack([F[lab == c].mean(0) for c in range(k)])
        self.x_std_ = np.stack([F[lab == c].std(0) + 1e-9 for c in range(k)])
        self.y_mean_ = np.stack([Y[lab == c].mean(0) for c in range(k)])
        self.y_std_ = np.stack([Y[lab == c].std(0) + 1e-9 for c in range(k)])
        Fs = (F - self.x_mean_[lab]) / self.x_std_[lab]
        Ys = (Y - self.y_mean_[lab]) / self.y_std_[lab]
        self.model_ = make_stacked_mlp(k, F.shape[1], tuple(self.hidden), Y.shape[1])
        task = progress.add_task("clustered MLP", total=int(self.max_epochs)) if progress is not None else None
        self.histories_ = tu.train_stacked(
            self.model_, Fs, Ys, lab, lr=self.lr, weight_decay=self.weight_decay, batch_size=self.batch_size,
            max_epochs=self.max_epochs, patience=self.patience, val_fraction=self.val_fraction, rng=rng,
            scheduler=self.scheduler, lr_patience=self.lr_patience, time_budget=self.time_budget,
            on_epoch=None if task is None else (lambda e: progress.update(task, advance=1)))
        return self

    def _check_fitted(self) -> None:
        check_fitted(self, "model_")

    def predict_all(self, X) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every cluster's answer: ``(q (K, N, dof), position error (K, N) m, orientation error (K, N) rad)``."""
        self._check_fitted()
        T, _ = as_poses(X, "X (poses)")
        torch_module(self.n_threads)
        F = pose_features(T, self.features)
        K, N = self.x_mean_.shape[0], T.shape[0]
        qs = np.zeros((K, N, self.robot.dof))
        if N:
            Xs = (F[None] - self.x_mean_[:, None]) / self.x_std_[:, None]          # (K, N, d_in)
            Ys = tu.predict_stacked(self.model_, Xs) * self.y_std_[:, None] + self.y_mean_[:, None]
            qs = self._decode_q(Ys.reshape(K * N, -1)).reshape(K, N, self.robot.dof)
        Tp = fk(self.robot, qs.reshape(-1, self.robot.dof)).reshape(K, N, 4, 4)
        pos, rot = _target_error(Tp, T[None], self.features)
        return qs, pos, rot

    def predict(self, X, *, refine_iterations: int = 0) -> np.ndarray:
        """Joint configurations ``(N, dof)`` for target poses ``X`` ``(N, 7)`` / ``(N, 4, 4)``.

        The network's answer is the paper's method; ``refine_iterations > 0`` adds that many
        Levenberg-Marquardt iterations from it (no restarts), an optional post-processing step.
        """
        T, single = as_poses(X, "X (poses)")
        qs, pos, rot = self.predict_all(T)
        best = np.argmin(pos + self.selection_weight * rot, axis=0)
        q = qs[best, np.arange(T.shape[0])]
        if refine_iterations > 0 and q.shape[0]:
            w = 0.0 if self.features.startswith("xyz_yaw") else 1.0
            # one try from the prediction: no early restart from a random start (stall_window=0)
            lm = LevenbergMarquardt(self.robot, max_iterations=int(refine_iterations),
                                    iterations_per_try=int(refine_iterations), rotation_weight=max(w, 1e-3),
                                    stall_window=0)
            r = lm.solve(T, q0=q)
            q = r.q
        return q[0] if single else q

    # ---------------------------------------------------------------- persistence
    def _meta(self) -> dict:
        keys = ("n_clusters", "features", "angle_encoding", "lr", "weight_decay", "batch_size", "max_epochs",
                "patience", "val_fraction", "scheduler", "lr_patience", "selection_weight", "time_budget",
                "n_threads", "random_state")
        meta = {k: getattr(self, k) for k in keys}
        meta["hidden"] = [int(h) for h in self.hidden]
        meta["cluster_joints"] = None if self.cluster_joints is None else [int(j) for j in self.cluster_joints]
        meta["n_features_in"] = int(self.n_features_in_)
        meta["n_models"] = int(self.x_mean_.shape[0])
        meta["histories"] = [h.to_dict() for h in self.histories_]
        return meta

    def save(self, path: str | os.PathLike) -> Path:
        """Write the fitted model (weights, scalers, cluster centres, robot) to ``path`` (npz + JSON, no pickle)."""
        self._check_fitted()
        arrays: dict[str, np.ndarray] = {"cluster_centers": self.cluster_centers_,
                                         "cluster_columns": self.cluster_columns_, "circular": self.circular_,
                                         "x_mean": self.x_mean_, "x_std": self.x_std_, "y_mean": self.y_mean_,
                                         "y_std": self.y_std_}
        arrays.update(torch_state_to_arrays(self.model_.state_dict(), prefix="stacked."))
        return save_model(path, _KIND, arrays, self._meta(), robot=self.robot)

    @classmethod
    def load(cls, path: str | os.PathLike, *, robot: Chain | None = None) -> "ClusteredMLPRegressor":
        """Read a model written by :meth:`save`; refuses a file made for another robot than ``robot``.

        Files of the earlier layout (one ``nn.Sequential`` per cluster) are read too and stacked.
        """
        arrays, meta, file_robot = load_model(path, _KIND, robot=robot)
        chain = robot if robot is not None else file_robot
        hist = meta.pop("histories")
        n_in, K = meta.pop("n_features_in"), meta.pop("n_models")
        meta["hidden"] = tuple(meta["hidden"])
        self = cls(chain, **meta)
        self.circular_ = arrays["circular"].astype(bool)
        self.cluster_centers_ = arrays["cluster_centers"]
        self.cluster_columns_ = arrays["cluster_columns"]
        self.n_features_in_ = int(n_in)
        n_out = int((~self.circular_).sum() + 2 * self.circular_.sum())
        torch_module(self.n_threads)
        self.model_ = make_stacked_mlp(K, self.n_features_in_, self.hidden, n_out)
        if "x_mean" in arrays:
            state = arrays_to_torch_state(arrays, prefix="stacked.")
            for key in ("x_mean", "x_std", "y_mean", "y_std"):
                setattr(self, key + "_", arrays[key])
        else:  # earlier layout: per-cluster nn.Sequential (Linear at even indices), weights (out, in)
            torch = torch_module()
            per = [arrays_to_torch_state(arrays, prefix=f"m{c}.") for c in range(K)]
            state = {}
            for i in range(len(self.hidden) + 1):
                state[f"w{i}"] = torch.stack([p[f"{2 * i}.weight"].T for p in per])
                state[f"b{i}"] = torch.stack([p[f"{2 * i}.bias"][None] for p in per])
            for key in ("x_mean", "x_std", "y_mean", "y_std"):
                setattr(self, key + "_", np.stack([arrays[f"{key}{c}"] for c in range(K)]))
        self.model_.load_state_dict(state)
        self.model_.eval()
        self.histories_ = [History(**h) for h in hist]
        return self
