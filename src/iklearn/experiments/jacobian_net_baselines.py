"""Baselines of paper 004's tables VI (confidence) and VII (estimation), metrics, and the numerical route.

Times are prediction wall time per sample on the test set (batched), as the paper's "Avg. Time".
"""

from __future__ import annotations

import time

import numpy as np

from iklearn.kinematics.pose import euler_xyz_to_matrix

# published rows: JSC, 0-1, precision, recall, MCC, time (s)
PUB_CONF = {
    "NN(0.5)": [0.983, 0.017, 0.97, 0.99, 0.967, 2e-4], "NN(0.25)": [0.98, 0.02, 0.96, 1.00, 0.961, 2e-4],
    "NN(0.75)": [0.985, 0.015, 0.98, 0.99, 0.970, 2e-4],
    "SVM (RBF)": [0.930, 0.070, 0.92, 0.95, 0.861, 5e-3], "SVM (sigmoid)": [0.643, 0.357, 0.65, 0.67, 0.285, 5e-3],
    "SVM (linear)": [0.751, 0.249, 0.76, 0.77, 0.502, 5e-7], "logistic regression": [0.752, 0.248, 0.75, 0.77, 0.504, 3e-7],
    "ridge (0.5)": [0.750, 0.250, 0.75, 0.76, 0.500, 1e-7], "naive Bayes": [0.803, 0.197, 0.79, 0.83, 0.607, 2e-7],
    "GP": [0.865, 0.135, 0.86, 0.88, 0.729, 3e-4], "decision tree": [0.879, 0.121, 0.88, 0.88, 0.757, 4e-7],
    "random forest": [0.902, 0.098, 0.91, 0.90, 0.804, 4e-5], "AdaBoost": [0.849, 0.151, 0.84, 0.87, 0.698, 7e-6],
    "GBM": [0.952, 0.047, 0.94, 0.97, 0.906, 3e-4],  # LightGBM row (XGBoost: MCC 0.643)
    "ikine.m": [None, None, None, None, None, 0.7583], "ikine6s.m": [None, None, None, None, None, 0.0598],
}
# MAE, MSE, EVS, R2, time (s)
PUB_EST = {
    "NN": [0.0658, 0.0095, 0.8799, 0.8787, 2e-4], "linear regression": [0.4106, 0.2592, 0.0794, 0.0785, 4e-7],
    "ridge": [0.4106, 0.2592, 0.0796, 0.0787, 4e-7], "decision tree": [0.5071, 0.4556, -0.5953, -0.5962, 6e-7],
    "GP": [0.4905, 0.3391, 0.0, -0.0012, 8e-4], "k-NN": [0.4303, 0.2997, -0.0617, -0.0627, 0.0531],
    "jacob0 (num.)": [None, None, None, None, 0.6146], "jacob0 (ana.)": [None, None, None, None, 0.0626],
}


def conf_metrics(y: np.ndarray, p: np.ndarray) -> list[float]:
    """``[JSC, 0-1 loss, precision, recall, MCC]`` for boolean truth ``y`` and prediction ``p``."""
    from sklearn.metrics import jaccard_score, matthews_corrcoef, precision_score, recall_score, zero_one_loss

    y, p = np.asarray(y, bool), np.asarray(p, bool)
    return [float(jaccard_score(y, p, zero_division=0)), float(zero_one_loss(y, p)),
            float(precision_score(y, p, zero_division=0)), float(recall_score(y, p, zero_division=0)),
            float(matthews_corrcoef(y, p))]


def mcc_interval(y: np.ndarray, p: np.ndarray, level: float = 0.95, n_boot: int = 2000,
                 seed: int = 0) -> tuple[float, float]:
    """Percentile-bootstrap interval of the MCC (test rows resampled with replacement), ``(low, high)``."""
    y, p = np.asarray(y, bool), np.asarray(p, bool)
    rng = np.random.default_rng(seed)
    cell = 2 * y.astype(int) + p.astype(int)  # 0 TN, 1 FP, 2 FN, 3 TP
    counts = np.stack([np.bincount(cell[rng.integers(0, len(y), len(y))], minlength=4)
                       for _ in range(n_boot)])
    tn, fp, fn, tp = (counts[:, k].astype(float) for k in range(4))
    den = np.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
    m = np.where(den > 0, (tp * tn - fp * fn) / np.where(den > 0, den, 1.0), 0.0)
    a = (1 - level) / 2
    return float(np.quantile(m, a)), float(np.quantile(m, 1 - a))


def best_threshold(y: np.ndarray, conf: np.ndarray, grid=np.linspace(0.05, 0.95, 19)) -> float:
    """Threshold on a validation split maximising the MCC (never chosen on the test set)."""
    from sklearn.metrics import matthews_corrcoef

    y = np.asarray(y, bool)
    return float(max(grid, key=lambda t: matthews_corrcoef(y, conf >= t)))


def est_metrics(J: np.ndarray, P: np.ndarray) -> list[float]:
    """``[MAE, MSE, EVS, R2]`` on flattened Jacobians ``(N, 36)``; EVS/R2 averaged over non-constant entries."""
    from sklearn.metrics import explained_variance_score, r2_score

    J, P = np.asarray(J).reshape(len(J), -1), np.asarray(P).reshape(len(P), -1)
    keep = np.ptp(J, axis=0) > 1e-9
    return [float(np.mean(np.abs(J - P))), float(np.mean((J - P) ** 2)),
            float(explained_variance_score(J[:, keep], P[:, keep])), float(r2_score(J[:, keep], P[:, keep]))]


def _timed_predict(model, X):
    t0 = time.perf_counter()
    y = model.predict(X)
    return y, (time.perf_counter() - t0) / len(X)


def conf_baselines(tr, te, n_sub: int, n_gp: int, seed: int, fast: bool = False) -> dict:
    """Fit table VI's classifiers; returns ``{name: (prediction (N,) bool, seconds per sample)}``.

    ``fast``: fewer trees and boosting rounds (for the test-sized run only)."""
    from sklearn.ensemble import AdaBoostClassifier, HistGradientBoostingClassifier, RandomForestClassifier
    from sklearn.gaussian_process import GaussianProcessClassifier
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.naive_bayes import GaussianNB
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC, LinearSVC
    from sklearn.tree import DecisionTreeClassifier

    X, y = tr.X, tr.reachable.astype(int)
    sub = slice(0, min(n_sub, len(X)))
    std = StandardScaler
    models = {
        "SVM (RBF)": (make_pipeline(std(), SVC(kernel="rbf")), sub),
        "SVM (sigmoid)": (make_pipeline(std(), SVC(kernel="sigmoid")), sub),
        "SVM (linear)": (make_pipeline(std(), LinearSVC()), slice(None)),
        "logistic regression": (make_pipeline(std(), LogisticRegression(max_iter=500)), slice(None)),
        "ridge (0.5)": (make_pipeline(std(), Ridge(alpha=1.0)), slice(None)),
        "naive Bayes": (GaussianNB(), slice(None)),
        "GP": (make_pipeline(std(), GaussianProcessClassifier(random_state=seed)), slice(0, min(n_gp, len(X)))),
        "decision tree": (DecisionTreeClassifier(random_state=seed), slice(None)),
        "random forest": (RandomForestClassifier(n_estimators=10 if fast else 50, n_jobs=2, random_state=seed),
                          slice(None)),
        "AdaBoost": (AdaBoostClassifier(n_estimators=10 if fast else 50, random_state=seed), slice(None)),
        "GBM": (HistGradientBoostingClassifier(max_iter=20 if fast else 100, random_state=seed), slice(None)),
    }
    out = {}
    for name, (m, rows) in models.items():
        m.fit(X[rows], y[rows])
        pred, t = _timed_predict(m, te.X)
        out[name] = ((pred >= 0.5) if name.startswith("ridge") else pred.astype(bool), t)
    return out


def est_baselines(tr, te, n_sub: int, n_gp: int, seed: int) -> dict:
    """Fit table VII's regressors; returns ``{name: (prediction (N, 36), seconds per sample)}``."""
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import RBF, WhiteKernel
    from sklearn.linear_model import LinearRegression, Ridge
    from sklearn.neighbors import KNeighborsRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.tree import DecisionTreeRegressor

    X, J = tr.X, tr.J
    std = StandardScaler
    models = {
        "linear regression": (LinearRegression(), slice(None)),
        "ridge": (make_pipeline(std(), Ridge(alpha=1.0)), slice(None)),
        "decision tree": (DecisionTreeRegressor(random_state=seed), slice(None)),
        "GP": (make_pipeline(std(), GaussianProcessRegressor(RBF(3.0) + WhiteKernel(0.1), random_state=seed,
                                                             normalize_y=True)), slice(0, min(n_gp, len(X)))),
        "k-NN": (make_pipeline(std(), KNeighborsRegressor(n_neighbors=5)), slice(None)),
    }
    out = {}
    for name, (m, rows) in models.items():
        m.fit(X[rows], J[rows])
        out[name] = _timed_predict(m, te.X)
    return out


def numerical_route_time(te, n: int = 100, seed: int = 0) -> tuple[float, float]:
    """Seconds per sample: (our LM IK + Jacobian, one arm at a time; closed-form IK + Jacobian, batched)."""
    from iklearn.data import random_manipulators as rm
    from iklearn.kinematics import jacobian
    from iklearn.solvers import spherical_wrist as sw
    from iklearn.solvers.lm import LevenbergMarquardt

    idx = np.arange(min(n, len(te.X)))
    R = euler_xyz_to_matrix(te.pose[idx, 3:])
    T = np.tile(np.eye(4), (len(idx), 1, 1))
    T[:, :3, :3], T[:, :3, 3] = R, te.pose[idx, :3]
    chains = [rm.to_chain(te.params[i]) for i in idx]
    def route(i: int) -> None:
        r = LevenbergMarquardt(chains[i], max_iterations=500, seed=seed).solve(T[i:i + 1])
        jacobian(chains[i], np.nan_to_num(r.q[0]), "tip")  # the Jacobian at the answer (the IK's cost dominates)

    route(0)  # numba warm-up of both kernels: compiling is not the route's cost
    t0 = time.perf_counter()
    for i in range(len(idx)):
        route(i)
    t_num = (time.perf_counter() - t0) / len(idx)
    t0 = time.perf_counter()
    q_all, _ = sw.analytic_ik(te.params, te.pose)
    q, ok = rm.select_branch(q_all, "ikine6s")
    sw.fk_jacobian(te.params[ok], q[ok], "tip")
    t_ana = (time.perf_counter() - t0) / len(te.params)
    return t_num, t_ana
