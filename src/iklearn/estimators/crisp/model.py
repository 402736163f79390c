"""CRiSP: consistent regularised structured prediction for IK (Marconi et al., paper 003).

Training pairs ``(x_i, y_i)`` are end-effector poses and joint configurations measured on the TRUE robot.
Prediction for a pose ``x`` is::

    alpha(x) = (K + n*lam*I)^-1 k_x                              (kernel ridge weights, Cholesky)
    y_hat    = argmin_{y in joint box} sum_i alpha_i(x) * Delta(y, y_i)    (L-BFGS-B, analytic gradient)

How the (possibly misspecified) model is used - our reading of Sec. 3.1 and 4.4 of the paper: the loss never
compares ``FK(y)`` with the target ``x``; it compares ``g~(y)`` with ``g~(y_i)``, the *model's* pose of each
training configuration, where ``g~`` is the model given to the estimator (``robot=``; possibly biased). Because
both sides go through the same biased ``g~``, a training configuration ``y_i`` that reaches ``x`` on the true
robot is itself a minimiser of its own term whatever the bias, and the weighted barycentre stays close to the
true solution; a numerical solver that asks ``g~(y) = x`` is instead off by the whole model error.

Losses
------
``loss='fk'`` (CRiSP-FK, eq. 4)::

    Delta(y, y_i) = w_p * ||p~(y) - p~(y_i)||^2 + w_o * 1/2 ||R~(y) - R~(y_i)||_F^2

The orientation term is the chordal distance ``2 - 2 cos(theta)`` (= ``theta^2`` to fourth order) instead of
the paper's per-Euler-angle circle distance (eq. 5), which is non-smooth at gimbal lock; both are squared
losses on an embedding, so Theorem 1 (ILE) holds alike. Because it is linear in the per-sample features
``F_i = [1, p_i, vec(R_i), |p_i|^2]``, ``sum_i alpha_i Delta`` depends on ``x`` only through ``alpha(x)^T F``
(14 numbers) - exact, not an approximation - so each objective evaluation costs one FK + Jacobian instead of
``n`` (this, with analytic gradients, is why a prediction takes milliseconds rather than the paper's 0.7 s).

``loss='radial'`` (CRiSP-R, eq. 5 on joints): ``Delta = sum_j min(|y_j - y_ij|, 2 pi - |y_j - y_ij|)^2``,
summed over the support (the ``n_support`` largest weights, or all of them).

Scale: ``approximation='exact'`` keeps the dense ``n x n`` Cholesky factor (8 n^2 bytes: 9.8 GB at n = 35,000);
``'nystrom'`` (``n_components`` landmarks) and ``'local'`` (top-k: the ``n_neighbors`` nearest training poses)
avoid it; ``'auto'`` picks exact up to ``max_exact`` samples and local beyond.

About 350 lines on purpose: fit, the prediction's objective and its gradient, and save/load share one set of
fitted arrays (the compiled loss kernels are in _kernels.py).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy.optimize import minimize

from iklearn._validate import as_batch, check_finite
from iklearn.errors import IKLearnError, ShapeError
from iklearn.estimators._contract import check_fitted
from iklearn.estimators._io import load_model, save_model
from iklearn.estimators.crisp import _kernels as ck
from iklearn.estimators.crisp._batch import lm_fk_batch, lm_fk_one
from iklearn.kinematics.fk import fk
from iklearn.kinematics.pose import as_poses
from iklearn.robot.chain import Chain

_KIND = "crisp"
FORMAT_VERSION = 2  # 2: the training poses themselves (1: the scaled features, not exact after unscaling)


class CRiSP:
    """CRiSP inverse-kinematics estimator (scikit-learn style).

    Parameters
    ----------
    robot : Chain
        The forward-kinematics model used inside the loss (may be misspecified w.r.t. the robot the data were
        measured on); saved files record it.
    loss : {'fk', 'radial'}
        CRiSP-FK (pose loss through ``robot``) or CRiSP-R (joint-space radial distance).
    kernel : {'gaussian', 'laplacian', 'linear'}
    sigma : float
        Kernel width, in feature units (positions divided by ``position_unit``).
    lam : float
        Regularisation ``lambda``; the system solved is ``K + n*lam*I``.
    position_unit : float, m
        Positions are divided by this in the feature map.
    rotation_unit : float
        Multiplies the 9 rotation-matrix entries in the feature map.
    position_weight, orientation_weight : float
        ``w_p`` (per m^2) and ``w_o`` (per rad^2) of the FK loss.
    approximation : {'auto', 'exact', 'nystrom', 'local'}
    n_components : int
        Nystrom landmarks.
    n_neighbors : int
        Support size of the 'local' approximation and of the radial loss / initial guess under 'nystrom'.
    n_support : int or None
        Radial loss under 'exact': sum over this many largest ``|alpha_i|`` (None: all ``n``).
    max_exact : int
        Largest ``n`` that 'auto' solves exactly.
    max_iter : int
        L-BFGS-B iterations per prediction.
    n_starts : int
        Optimiser runs per prediction: the start described in :meth:`predict`, then the training configurations
        with the next-largest weights; the lowest objective wins (1 = the paper's single start).
    optimizer : {'lbfgsb', 'lm'}
        Minimiser of the FK objective: SciPy's L-BFGS-B (the paper's) or our projected Levenberg-Marquardt on
        its least-squares form (same objective, see ``_batch``; batched and in parallel for independent
        predictions). The radial loss always uses L-BFGS-B.
    random_state : int
    """

    def __init__(
        self,
        *,
        robot: Chain,
        loss: str = "fk",
        kernel: str = "gaussian",
        sigma: float = 0.5,
        lam: float = 1e-6,
        position_unit: float = 0.01,
        rotation_unit: float = 1.0,
        position_weight: float = 1.0,
        orientation_weight: float = 1.0,
        approximation: str = "auto",
        n_components: int = 2000,
        n_neighbors: int = 200,
        n_support: int | None = None,
        max_exact: int = 6000,
        max_iter: int = 200,
        n_starts: int = 1,
        optimizer: str = "lbfgsb",
        random_state: int = 0,
    ) -> None:
        self.robot = robot
        self.loss = loss
        self.kernel = kernel
        self.sigma = sigma
        self.lam = lam
        self.position_unit = position_unit
        self.rotation_unit = rotation_unit
        self.position_weight = position_weight
        self.orientation_weight = orientation_weight
        self.approximation = approximation
        self.n_components = n_components
        self.n_neighbors = n_neighbors
        self.n_support = n_support
        self.max_exact = max_exact
        self.max_iter = max_iter
        self.n_starts = n_starts
        self.optimizer = optimizer
        self.random_state = random_state

    # ------------------------------------------------------------------ training
    def fit(self, X, y) -> "CRiSP":
        """Learn from poses ``X`` ((N, 7) or (N, 4, 4), measured on the true robot) and joints ``y`` (N, dof)."""
        if self.loss not in ("fk", "radial"):
            raise IKLearnError(f"loss must be 'fk' or 'radial', got {self.loss!r}")
        if self.kernel not in ck.KERNELS:
            raise IKLearnError(f"kernel must be one of {ck.KERNELS}, got {self.kernel!r}")
        if self.optimizer not in ("lbfgsb", "lm"):
            raise IKLearnError(f"optimizer must be 'lbfgsb' or 'lm', got {self.optimizer!r}")
        T, _ = as_poses(X, "X")
        Y, _ = as_batch(y, self.robot.dof, "y")
        check_finite(Y, "y")
        n = T.shape[0]
        if n == 0 or Y.shape[0] != n:
            raise ShapeError(f"X and y must have the same non-zero number of rows, got {n} and {Y.shape[0]}")
        approx = self.approximation
        if approx == "auto":
            approx = "exact" if n <= self.max_exact else "local"
        if approx not in ("exact", "nystrom", "local"):
            raise IKLearnError(f"approximation must be auto, exact, nystrom or local, got {self.approximation!r}")
        self.approximation_ = approx
        self.poses_ = T[:, :3, :].copy()  # (n, 3, 4): what save() writes
        self.Xf_ = ck.pose_features(T, self.position_unit, self.rotation_unit)
        self.y_ = Y.copy()
        # the model's own pose of each training configuration (NOT the measured pose): see the module docstring
        self.F_ = self._loss_features(self.robot, Y)
        reg = n * float(self.lam)
        if approx == "exact":
            self.weights_ = ck.ExactWeights(self.Xf_, self.F_, self.kernel, self.sigma, reg, self.n_support)
        elif approx == "nystrom":
            rng = np.random.default_rng(self.random_state)
            self.weights_ = ck.NystromWeights(
                self.Xf_, self.F_, self.kernel, self.sigma, reg, self.n_components, self.n_neighbors, rng
            )
        else:
            self.weights_ = ck.LocalWeights(self.Xf_, self.F_, self.kernel, self.sigma, reg, self.n_neighbors)
        self.n_features_in_ = 12
        return self

    @staticmethod
    def _loss_features(model: Chain, Y: np.ndarray) -> np.ndarray:
        """``F_i = [1, p~_i, vec(R~_i), |p~_i|^2]`` (n, 14): the MODEL's pose of each training configuration."""
        Tm = fk(model, Y)
        p = Tm[:, :3, 3]
        n = Y.shape[0]
        return np.concatenate([np.ones((n, 1)), p, Tm[:, :3, :3].reshape(n, 9), (p * p).sum(1, keepdims=True)], 1)

    def with_model(self, model: Chain) -> "CRiSP":
        """A fitted copy that uses another FK ``model`` in its loss, reusing the kernel factorisation
        (the weights depend on the poses only; only ``alpha^T F`` changes). Same ``dof`` required."""
        import copy

        self._check_fitted()
        if model.dof != self.robot.dof:
            raise IKLearnError(f"model has {model.dof} joints, the estimator was fitted with {self.robot.dof}")
        new = copy.copy(self)
        new.robot = model
        new.F_ = self._loss_features(model, self.y_)
        new.weights_ = self.weights_.with_features(new.F_)
        return new

    # ------------------------------------------------------------------ weights
    def alpha(self, X) -> np.ndarray:
        """Exact weights ``alpha(x) = (K + n lam I)^-1 k_x``, ``(N, n)`` (only with the exact solver)."""
        self._check_fitted()
        if not isinstance(self.weights_, ck.ExactWeights):
            raise IKLearnError("alpha() needs approximation='exact'; use support() for the approximate weights")
        T, _ = as_poses(X, "X")
        Xf = ck.pose_features(T, self.position_unit, self.rotation_unit)
        return np.stack([self.weights_.alpha(x) for x in Xf]) if len(Xf) else np.empty((0, len(self.y_)))

    # ------------------------------------------------------------------ objective
    def objective(self, q: np.ndarray, mom: np.ndarray, idx=None, a=None) -> tuple[float, np.ndarray]:
        """``sum_i alpha_i Delta(q, y_i)`` and its gradient ``(dof,)`` for one configuration ``q``.

        ``mom`` = ``alpha^T F`` (FK loss); ``idx, a`` = support indices and weights (radial loss).
        """
        if self.loss == "radial":
            d = q[None, :] - self.y_[idx]
            d = (d + np.pi) % (2 * np.pi) - np.pi  # signed circle distance
            return float(a @ (d * d).sum(1)), 2.0 * (a @ d)
        ch, b = self.robot, self._buf
        g = np.empty(ch.dof)
        f = ck.fk_loss_and_grad(
            q, ch.joint_types, ch.fixed, ch.axes, ch.tip, mom, float(self.position_weight),
            float(self.orientation_weight), *b, g,
        )
        return float(f), g

    def _make_buffers(self) -> None:
        d = self.robot.dof
        # scratch for the numba objective: T, P, Z, tmp, R, J
        self._buf = (np.empty((4, 4)), np.empty((d, 3)), np.empty((d, 3)), np.empty((4, 4)), np.empty((3, 3)),
                     np.empty((6, d)))

    # ------------------------------------------------------------------ prediction
    def predict(self, X, q0=None, *, sequential: bool = False) -> np.ndarray:
        """Joint configurations ``(N, dof)`` for poses ``X`` ((N, 7) or (N, 4, 4)), always inside the limits.

        Each prediction starts from ``q0`` (``(dof,)`` or ``(N, dof)``) when given, else from the training
        configuration with the largest weight; with ``sequential=True`` (trajectories) every point after the
        first starts from the previous prediction.
        """
        self._check_fitted()
        T, single = as_poses(X, "X")
        n = T.shape[0]
        Q0 = None
        if q0 is not None:
            Q0, _ = as_batch(q0, self.robot.dof, "q0")
            check_finite(Q0, "q0")
            if Q0.shape[0] not in (1, n):
                raise ShapeError(f"q0 must have 1 or {n} rows, got {Q0.shape[0]}")
        Xf = ck.pose_features(T, self.position_unit, self.rotation_unit)
        self._make_buffers()
        out = np.empty((n, self.robot.dof))
        from threadpoolctl import threadpool_limits

        # every step is a tiny BLAS call: threads only add contention (40x slower on a loaded 2-core machine)
        with threadpool_limits(1):
            if self._use_lm() and not sequential and self.n_starts == 1 and n:
                self._predict_batch(Xf, Q0, out)
            else:
                self._predict_loop(Xf, Q0, sequential, out)
        return out[0] if single else out

    def _use_lm(self) -> bool:
        return self.optimizer == "lm" and self.loss == "fk"

    def _lm_args(self):
        ch = self.robot
        return (ch.joint_types, ch.fixed, ch.axes, ch.tip, ch.finite_lower, ch.finite_upper,
                float(self.position_weight), float(self.orientation_weight), int(self.max_iter))

    def _predict_batch(self, Xf, Q0, out) -> None:
        """Independent predictions with the batched LM: all weights first, then all minimisations (numba)."""
        mom, best = self.weights_.batch(Xf)
        starts = self.y_[best] if Q0 is None else np.broadcast_to(Q0, out.shape)
        lm_fk_batch(np.ascontiguousarray(starts), np.ascontiguousarray(mom), *self._lm_args(), out)

    def _predict_loop(self, Xf, Q0, sequential, out) -> None:
        lo, hi = self.robot.finite_lower, self.robot.finite_upper
        bounds = list(zip(lo, hi))
        n = Xf.shape[0]
        prev = None
        for t in range(n):
            xf = Xf[t]
            idx = a = mom = None
            need_support = (
                self.loss == "radial"
                or self.n_starts > 1
                or (Q0 is None and (prev is None or not sequential))
                or isinstance(self.weights_, ck.LocalWeights)
            )
            if need_support:
                idx, a = self.weights_.support(xf)
            if self.loss == "fk":
                mom = a @ self.F_[idx] if isinstance(self.weights_, ck.LocalWeights) else self.weights_.moments(xf)
            order = np.argsort(-a)[: self.n_starts] if need_support else np.empty(0, int)
            if Q0 is not None:
                starts = [Q0[t if Q0.shape[0] == n else 0]]
            elif sequential and prev is not None:
                starts = [prev]
            else:
                starts, order = [self.y_[idx[order[0]]]], order[1:]
            starts += [self.y_[idx[i]] for i in order[: self.n_starts - 1]]
            best, best_f = None, np.inf
            for start in starts:
                if self._use_lm():
                    x = np.empty(self.robot.dof)
                    lm_fk_one(np.asarray(start, float), mom, *self._lm_args(), x)
                    fx = self.objective(x, mom)[0]
                else:
                    r = minimize(
                        self.objective, np.clip(start, lo, hi), args=(mom, idx, a), jac=True, method="L-BFGS-B",
                        bounds=bounds, options={"maxiter": self.max_iter, "ftol": 1e-15, "gtol": 1e-12,
                                                "maxcor": 20},
                    )
                    x, fx = r.x, r.fun
                if best is None or fx < best_f:
                    best, best_f = x, fx
            prev = out[t] = np.clip(best, lo, hi)

    # ------------------------------------------------------------------ persistence
    def save(self, path) -> Path:
        """Save the training poses and configurations and the hyperparameters (npz + JSON, no pickle); the
        kernel weights are recomputed from them on load, the same numbers."""
        self._check_fitted()
        meta = {k: getattr(self, k) for k in _PARAMS}
        return save_model(path, _KIND, {"poses": self.poses_, "y": self.y_}, meta, robot=self.robot,
                          format_version=FORMAT_VERSION)

    @classmethod
    def load(cls, path, *, robot: Chain | None = None) -> "CRiSP":
        """Load a model saved by :meth:`save` (refitting the weights); refuses a file for another robot."""
        arrays, meta, file_robot = load_model(path, _KIND, robot=robot, max_format_version=FORMAT_VERSION)
        est = cls(robot=robot if robot is not None else file_robot, **meta)
        n = arrays["y"].shape[0]
        T = np.tile(np.eye(4), (n, 1, 1))
        if "poses" in arrays:
            T[:, :3, :] = arrays["poses"]
        else:  # format 1 stored the scaled features; unscaling rounds in the last bit
            Xf = arrays["Xf"]
            T[:, :3, 3] = Xf[:, :3] * est.position_unit
            T[:, :3, :3] = Xf[:, 3:].reshape(n, 3, 3) / est.rotation_unit
        return est.fit(T, arrays["y"])

    def _check_fitted(self) -> None:
        check_fitted(self, "weights_")


_PARAMS = (
    "loss", "kernel", "sigma", "lam", "position_unit", "rotation_unit", "position_weight", "orientation_weight",
    "approximation", "n_components", "n_neighbors", "n_support", "max_exact", "max_iter", "n_starts", "optimizer",
    "random_state",
)
