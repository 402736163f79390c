"""Locally Weighted Projection Regression (LWPR), incremental, with a compiled update loop.

Vijayakumar, D'Souza & Schaal, "Incremental online learning in high dimensions" (Neural Computation 2005);
defaults from the reference library by Klanke, Vijayakumar & Schaal (see REFERENCE.md).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from iklearn.errors import NonFiniteError, ShapeError
from iklearn.estimators._contract import check_fitted
from iklearn.estimators._io import load_model, save_model
from iklearn.estimators.lwpr import _kernels as K
from iklearn.robot.chain import Chain

_KIND = "lwpr"
_HYPER = ("init_D", "init_alpha", "w_gen", "w_prune", "penalty", "diag_only", "update_D", "meta", "meta_rate",
          "init_lambda", "final_lambda", "tau_lambda", "add_threshold", "init_S2", "norm_in", "norm_out",
          "cutoff", "n_trust", "max_projections", "init_projections")


def _as_metric(v: Any, d: int, name: str) -> np.ndarray:
    """Scalar -> v I, vector (d,) -> diag(v), matrix (d, d) as is."""
    a = np.asarray(v, dtype=float)
    if a.ndim == 0:
        return float(a) * np.eye(d)
    if a.shape == (d,):
        return np.diag(a)
    if a.shape == (d, d):
        return a.copy()
    raise ShapeError(f"{name} must be a scalar, ({d},) or ({d}, {d}); got shape {a.shape}")


def _as_norm(v: Any, d: int, name: str) -> np.ndarray:
    """Input or output scales (d,): None -> ones, a number for all, or one per dimension; positive, finite."""
    if v is None:
        return np.ones(d)
    a = np.asarray(v, dtype=float)
    if a.shape not in ((), (d,)):
        raise ShapeError(f"{name} must be a number or {d} numbers (one per dimension); got shape {a.shape}")
    if not np.all(np.isfinite(a) & (a > 0)):
        raise ValueError(f"{name} must be positive and finite; got {v!r}")
    return np.broadcast_to(a, (d,)).copy()


class LWPR:
    """Incremental LWPR regressor: Gaussian receptive fields with local PLS models, one sub-model per output.

    Parameters
    ----------
    init_D : float, (d,) or (d, d)
        Initial distance metric of new receptive fields, in normalised input units (default 25 I).
        Zero diagonal entries make the locality ignore those inputs (used for velocity IK).
    init_alpha : float or (d, d)
        Initial learning rate(s) of the distance-metric gradient descent.
    w_gen : float
        A new receptive field is created where no field is activated above ``w_gen``.
    w_prune : float
        Where the two most active fields both exceed ``w_prune``, the narrower one (larger trace of D) is
        removed. Activations are <= 1, so the default 1.0 never prunes (as in the reference library).
    penalty : float
        Smoothness penalty on D in the leave-one-out cost (divided by d).
    diag_only : bool
        Learn only a diagonal distance metric.
    update_D : bool
        Learn the distance metric at all.
    meta, meta_rate : bool, float
        Meta-learn the learning rates (second-order, incremental delta-bar-delta) with this rate.
    init_lambda, final_lambda, tau_lambda : float
        Forgetting factor schedule: lambda <- tau lambda + final (1 - tau), starting at ``init_lambda``.
    add_threshold : float
        A PLS projection is added while the last one reduces the CV error below this ratio of the previous.
    init_S2 : float
        Initial value of the per-projection variance statistic SS (eq. 10c). 1e-10 by default; a large
        value (the paper's 1e10) makes new models start with tiny regression slopes ("slow start").
    norm_in, norm_out : float or array, optional
        Input / output scales; the model works with x / norm_in and y / norm_out (default ones).
    cutoff : float
        Receptive fields less activated than this do not contribute to predictions.
    n_trust : float, optional
        (Discounted) number of samples a receptive field must have seen before it contributes to
        predictions; None gives the reference library's 2 d. Larger values help with strongly correlated
        sequential data (a field fitted on 2 d consecutive samples of a trajectory has not seen its inputs
        vary).
    max_projections : int, optional
        Cap on the PLS projections per field (default d, as in the reference library); memory per field
        grows with d x max_projections.
    init_projections : int
        PLS projections of a new receptive field (2 in the paper and the reference library); more are
        added while they reduce the CV error (``add_threshold``). Data whose residual is dominated by
        unpredictable variance (e.g. null-space motion in velocity IK) never passes that test, so a field
        can stay rank-deficient; starting with more projections avoids that floor.

    Attributes
    ----------
    n_in_, n_out_ : int
    n_receptive_fields_ : ndarray of int, shape (n_out,)
    n_pruned_ : ndarray of int, shape (n_out,)
    n_data_ : int
        Number of samples seen.
    """

    def __init__(self, *, init_D: Any = 25.0, init_alpha: Any = 50.0, w_gen: float = 0.1,
                 w_prune: float = 1.0, penalty: float = 1e-6, diag_only: bool = True, update_D: bool = True,
                 meta: bool = False,
                 meta_rate: float = 250.0, init_lambda: float = 0.999, final_lambda: float = 0.99999,
                 tau_lambda: float = 0.9999, add_threshold: float = 0.5, init_S2: float = 1e-10,
                 norm_in: Any = None, norm_out: Any = None, cutoff: float = 0.001,
                 n_trust: float | None = None, max_projections: int | None = None,
                 init_projections: int = 2) -> None:
        self.init_D = init_D
        self.init_alpha = init_alpha
        self.w_gen = w_gen
        self.w_prune = w_prune
        self.penalty = penalty
        self.diag_only = diag_only
        self.update_D = update_D
        self.meta = meta
        self.meta_rate = meta_rate
        self.init_lambda = init_lambda
        self.final_lambda = final_lambda
        self.tau_lambda = tau_lambda
        self.add_threshold = add_threshold
        self.init_S2 = init_S2
        self.norm_in = norm_in
        self.norm_out = norm_out
        self.cutoff = cutoff
        self.n_trust = n_trust
        self.max_projections = max_projections
        self.init_projections = init_projections

    # ------------------------------------------------------------------ set-up
    def get_params(self, deep: bool = True) -> dict[str, Any]:
        return {k: getattr(self, k) for k in _HYPER}

    def _setup(self, d: int, n_out: int, capacity: int = 16) -> None:
        D0 = _as_metric(self.init_D, d, "init_D")
        if self.diag_only or np.allclose(D0, np.diag(np.diag(D0))):
            if np.any(np.diag(D0) < 0):
                raise ValueError("init_D must be positive semi-definite")
            M0 = np.diag(np.sqrt(np.diag(D0)))
        else:
            M0 = np.linalg.cholesky(D0).T  # upper triangular, D = M^T M
        if self.diag_only:
            D0 = np.diag(np.diag(D0))
        self.n_in_, self.n_out_ = d, n_out
        self.norm_in_ = _as_norm(self.norm_in, d, "norm_in")
        self.norm_out_ = _as_norm(self.norm_out, n_out, "norm_out")
        self._initD = np.ascontiguousarray(D0)
        self._initM = np.ascontiguousarray(M0)
        self._initA = np.triu(_as_metric(self.init_alpha, d, "init_alpha") if np.ndim(self.init_alpha) == 2
                              else np.full((d, d), float(self.init_alpha)))
        p = np.zeros(K.NPARAMS)
        p[K.PR_WGEN], p[K.PR_WPRUNE], p[K.PR_PENALTY] = self.w_gen, self.w_prune, self.penalty
        p[K.PR_INITLAM], p[K.PR_FINLAM], p[K.PR_TAULAM] = self.init_lambda, self.final_lambda, self.tau_lambda
        p[K.PR_ADDTH], p[K.PR_INITS2], p[K.PR_METARATE] = self.add_threshold, self.init_S2, self.meta_rate
        p[K.PR_UPDATED], p[K.PR_DIAG] = float(self.update_D), float(self.diag_only)
        p[K.PR_META] = float(self.meta)
        p[K.PR_CUTOFF] = self.cutoff
        p[K.PR_NTRUST] = 2.0 * d if self.n_trust is None else float(self.n_trust)
        p[K.PR_INITNREG] = float(self.init_projections)
        self._params = p
        R = d if self.max_projections is None else max(1, min(d, int(self.max_projections)))
        self._S = np.zeros((n_out, capacity, K.NS))
        self._PV = np.zeros((n_out, capacity, K.NPV, R))
        self._PM = np.zeros((n_out, capacity, K.NPM, R, d))
        self._XV = np.zeros((n_out, capacity, K.NXV, d))
        self._DM = np.zeros((n_out, capacity, K.NDM, d, d))
        self.n_receptive_fields_ = np.zeros(n_out, dtype=np.int64)
        self.n_pruned_ = np.zeros(n_out, dtype=np.int64)
        self.n_data_ = 0

    def _grow(self) -> None:
        def g(a: np.ndarray) -> np.ndarray:
            out = np.zeros((a.shape[0], 2 * a.shape[1]) + a.shape[2:])
            out[:, : a.shape[1]] = a
            return out

        self._S, self._PV, self._PM, self._XV, self._DM = (
            g(a) for a in (self._S, self._PV, self._PM, self._XV, self._DM))

    def _check(self, X: Any, width: int | None, name: str) -> np.ndarray:
        a = np.asarray(X, dtype=float)
        if a.ndim == 1:
            a = a[None, :] if width is None or width != 1 or a.shape[0] == 1 else a[:, None]
        if a.ndim != 2 or (width is not None and a.shape[1] != width):
            want = width if width is not None else "d"
            raise ShapeError(f"{name} must have shape (N, {want}); got {a.shape}")
        if not np.all(np.isfinite(a)):
            raise NonFiniteError(f"{name} contains NaN or inf")
        return a

    # ------------------------------------------------------------------ learning
    def partial_fit(self, X: Any, Y: Any) -> "LWPR":
        """Update the model with one sample (x (d,), y (n_out,)) or a batch (N, d), (N, n_out), in order."""
        first = not hasattr(self, "n_in_")
        single = np.ndim(X) == 1 and (first or self.n_in_ != 1 or np.size(X) == 1)
        X = self._check(np.atleast_2d(X) if single else X, None if first else self.n_in_, "X")
        Yr = np.asarray(Y, dtype=float)
        if Yr.ndim <= 1:
            Yr = Yr.reshape(1, -1) if single else Yr.reshape(-1, 1)
        Y = self._check(Yr, None if first else self.n_out_, "Y")
        if Y.shape[0] != X.shape[0]:
            raise ShapeError(f"X and Y have {X.shape[0]} and {Y.shape[0]} rows")
        if first:
            self._setup(X.shape[1], Y.shape[1])
        Xn = np.ascontiguousarray(X / self.norm_in_)
        Yn = np.ascontiguousarray(Y / self.norm_out_)
        yp = np.empty_like(Yn)
        done = 0
        while done < X.shape[0]:
            k = K.update_batch(Xn[done:], Yn[done:], self._S, self._PV, self._PM, self._XV, self._DM,
                               self.n_receptive_fields_, self._params, self._initD, self._initM, self._initA,
                               yp[done:], self.n_pruned_)
            done += k
            if done < X.shape[0]:
                self._grow()
        self.n_data_ += X.shape[0]
        self.last_prediction_ = yp * self.norm_out_
        return self

    def fit(self, X: Any, Y: Any, *, n_epochs: int = 1) -> "LWPR":
        """Reset and learn from (X, Y) with ``n_epochs`` sequential passes; returns self."""
        for attr in ("n_in_", "n_out_"):
            if hasattr(self, attr):
                delattr(self, attr)
        for _ in range(n_epochs):
            self.partial_fit(X, Y)
        return self

    # ------------------------------------------------------------------ prediction
    def _predict_all(self, X: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        check_fitted(self, "n_in_")
        X = self._check(X, self.n_in_, "X")
        Xn = np.ascontiguousarray(X / self.norm_in_)
        n = X.shape[0]
        yp, conf, mw, nd = (np.empty((n, self.n_out_)) for _ in range(4))
        K.predict_batch(Xn, self._S, self._PV, self._PM, self._XV, self._DM, self.n_receptive_fields_,
                        bool(self.diag_only), float(self.cutoff), yp, conf, mw, nd)
        return yp * self.norm_out_, conf * self.norm_out_, mw, nd

    def predict(self, X: Any) -> np.ndarray:
        """Predict (N, n_out) for X (N, d); :meth:`predict_info` adds the confidence bound."""
        return self._predict_all(X)[0]

    def predict_info(self, X: Any) -> dict[str, np.ndarray]:
        """Prediction, confidence, max activation and data count of the most active field, each (N, n_out).

        The confidence bound is inf where no trustworthy receptive field is active.
        """
        yp, conf, mw, nd = self._predict_all(X)
        return {"y": yp, "confidence": conf, "max_activation": mw, "n_data": nd}

    # ------------------------------------------------------------------ inspection
    def receptive_field_centers(self, output: int = 0) -> np.ndarray:
        """Centres (n_rf, d) of the receptive fields of one output, in input units."""
        n = int(self.n_receptive_fields_[output])
        return self._XV[output, :n, K.X_C] * self.norm_in_

    def receptive_field_metrics(self, output: int = 0) -> np.ndarray:
        """Distance metrics D (n_rf, d, d) of one output, in normalised input units."""
        n = int(self.n_receptive_fields_[output])
        return self._DM[output, :n, K.D_D].copy()

    def n_projections(self, output: int = 0) -> np.ndarray:
        n = int(self.n_receptive_fields_[output])
        return self._S[output, :n, K.S_NREG].astype(int)

    # ------------------------------------------------------------------ persistence
    def _state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """Arrays and JSON metadata that describe the fitted model completely."""
        check_fitted(self, "n_in_")
        n = int(self.n_receptive_fields_.max()) if self.n_out_ else 0
        arrays = {"S": self._S[:, :n], "PV": self._PV[:, :n], "PM": self._PM[:, :n], "XV": self._XV[:, :n],
                  "DM": self._DM[:, :n], "n_rfs": self.n_receptive_fields_, "n_pruned": self.n_pruned_,
                  "norm_in": self.norm_in_, "norm_out": self.norm_out_, "initD": self._initD,
                  "initM": self._initM, "initA": self._initA, "params": self._params}
        hyper = {k: (np.asarray(v).tolist() if v is not None and not isinstance(v, (bool, int, float)) else v)
                 for k, v in self.get_params().items()}
        return arrays, {"hyper": hyper, "n_in": self.n_in_, "n_out": self.n_out_, "n_data": self.n_data_}

    @classmethod
    def _from_state(cls, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> "LWPR":
        m = cls(**meta["hyper"])
        m.n_in_, m.n_out_, m.n_data_ = int(meta["n_in"]), int(meta["n_out"]), int(meta["n_data"])
        m.norm_in_, m.norm_out_ = arrays["norm_in"], arrays["norm_out"]
        m._initD, m._initM = arrays["initD"], arrays["initM"]
        m._initA, m._params = arrays["initA"], arrays["params"]
        if m._params.shape[0] < K.NPARAMS:  # written before init_projections existed: it was 2
            m._params = np.concatenate([m._params, [2.0] * (K.NPARAMS - m._params.shape[0])])
        cap = max(16, arrays["S"].shape[1])
        m._S, m._PV, m._PM, m._XV, m._DM = (
            np.concatenate([arrays[k], np.zeros((a.shape[0], cap - a.shape[1]) + a.shape[2:])], axis=1)
            for k, a in ((k, arrays[k]) for k in ("S", "PV", "PM", "XV", "DM")))
        m.n_receptive_fields_ = arrays["n_rfs"].astype(np.int64)
        m.n_pruned_ = arrays["n_pruned"].astype(np.int64)
        return m

    def save(self, path: str | os.PathLike) -> Path:
        """Save to ``path`` (.npz + JSON metadata, no pickle)."""
        arrays, meta = self._state()
        return save_model(path, _KIND, arrays, meta)

    @classmethod
    def load(cls, path: str | os.PathLike, *, robot: Chain | None = None) -> "LWPR":
        """Load a model written by :meth:`save` (a robot-free regressor: ``robot`` is accepted and unused)."""
        arrays, meta, _ = load_model(path, _KIND)
        return cls._from_state(arrays, meta)
