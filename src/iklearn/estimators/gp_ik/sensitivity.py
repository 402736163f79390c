"""Jacobian sensitivity of a configuration (paper 000, Sec. II-B "AnalyzeJacobianSensitivity").

The paper combines the condition number, the manipulability (volume of the ellipsoid), the isotropy and
the proximity to joint limits "with a weighted combination" but gives neither the normalisation nor the
weights. Our choices (documented in :data:`DEFAULT_WEIGHTS`):

* condition term ``1 - 1/kappa`` = ``1 - sigma_min / sigma_max`` in [0, 1] (1 at a singularity);
* manipulability term ``exp(-w / w_ref)`` with ``w`` = product of the singular values of the full 6 x n
  Jacobian and ``w_ref`` a per-robot scale (the median over random configurations, see
  :func:`reference_manipulability`), in (0, 1], 1 at a singularity;
* isotropy term ``1 - (prod sigma)^(1/m) / sigma_max`` in [0, 1];
* joint-limit term ``1 - 2 d`` with ``d`` in [0, 0.5] the normalised distance to the nearest limit
  (:func:`iklearn.kinematics.joint_limit_distance`): 0 mid-range, 1 at a limit.

The metric is the weighted mean, in [0, 1] (0 = well conditioned mid-range, 1 = singular at a limit).
Every term comes from the singular values, so it is finite at exact singularities (never NaN / inf).
"""

from __future__ import annotations

import numpy as np

from iklearn._jit import njit
from iklearn.kinematics import jacobian, joint_limit_distance, manipulability

DEFAULT_WEIGHTS: dict[str, float] = {"condition": 0.35, "manipulability": 0.15, "isotropy": 0.25, "limits": 0.25}
"""Weights of the four terms (sum 1). Conditioning dominates because it is what ill-conditions the DLS
step; manipulability overlaps with isotropy, so it gets the smallest share."""


def sensitivity_terms(J: np.ndarray, q: np.ndarray, lower: np.ndarray, upper: np.ndarray,
                      w_ref: float = 0.05) -> dict[str, np.ndarray]:
    """The four terms, each ``(N,)`` in [0, 1], for Jacobians ``J`` ``(N, 6, dof)`` at ``q`` ``(N, dof)``."""
    m = manipulability(J)
    q = np.atleast_2d(np.asarray(q, float))
    return {
        "condition": 1.0 - m.inverse_condition,
        "manipulability": np.exp(-m.yoshikawa / max(float(w_ref), 1e-12)),
        "isotropy": 1.0 - m.isotropy,
        "limits": 1.0 - 2.0 * joint_limit_distance(q, lower, upper),
    }


def sensitivity(J: np.ndarray, q: np.ndarray, lower: np.ndarray, upper: np.ndarray, *,
                weights: dict[str, float] | None = None, w_ref: float = 0.05) -> np.ndarray:
    """Sensitivity metric ``(N,)`` in [0, 1] (higher = closer to a singularity / joint limit).

    Parameters
    ----------
    J : (N, 6, dof) or (6, dof) geometric Jacobians
    q : (N, dof) or (dof,) configurations (rad)
    lower, upper : (dof,) joint limits (rad); infinite limits are ignored
    weights : dict, optional
        Weights of ``condition``, ``manipulability``, ``isotropy``, ``limits`` (normalised to sum 1);
        default :data:`DEFAULT_WEIGHTS`.
    w_ref : float
        Manipulability scale (see :func:`reference_manipulability`).
    """
    w = dict(DEFAULT_WEIGHTS if weights is None else weights)
    total = sum(w.values())
    if total <= 0:
        raise ValueError("sensitivity weights must have a positive sum")
    terms = sensitivity_terms(J, q, lower, upper, w_ref)
    return sum(w[k] * terms[k] for k in terms) / total


def reference_manipulability(chain, n: int = 256, seed: int = 0) -> float:
    """Median Yoshikawa manipulability over ``n`` uniform configurations: the scale ``w_ref``."""
    rng = np.random.default_rng(seed)
    Q = rng.uniform(chain.finite_lower, chain.finite_upper, (n, chain.dof))
    return float(np.median(manipulability(jacobian(chain, Q)).yoshikawa))


@njit(cache=True)
def sensitivity_one(J, q, lower, upper, w_ref, weights):
    """numba twin of :func:`sensitivity` for one Jacobian ``(6, dof)`` at ``q`` ``(dof,)``.

    ``weights`` ``(4,)`` = condition, manipulability, isotropy, limits (any positive sum); ``lower`` and
    ``upper`` must be finite. Singular values from the eigenvalues of the smaller Gram matrix (``J J^T`` or
    ``J^T J``), which is accurate to ~1e-8 of ``sigma_max`` for the tiny ones: ample for a [0, 1] metric.
    """
    m6, n = J.shape
    G = J @ J.T if m6 <= n else J.T @ J
    ev = np.linalg.eigvalsh(G)  # ascending
    m = ev.shape[0]
    smax = np.sqrt(max(ev[m - 1], 0.0))
    smin = np.sqrt(max(ev[0], 0.0))
    prod = 1.0
    for i in range(m):
        prod *= np.sqrt(max(ev[i], 0.0))
    inv_cond = smin / smax if smax > 0.0 else 0.0
    iso = prod ** (1.0 / m) / smax if smax > 0.0 else 0.0
    d = 0.5
    for i in range(n):
        span = upper[i] - lower[i]
        if span > 0.0:
            di = min(q[i] - lower[i], upper[i] - q[i]) / span
            if di < d:
                d = di
    d = min(max(d, 0.0), 0.5)
    terms = (1.0 - inv_cond, np.exp(-prod / max(w_ref, 1e-12)), 1.0 - iso, 1.0 - 2.0 * d)
    tot = 0.0
    s = 0.0
    for i in range(4):
        s += weights[i] * terms[i]
        tot += weights[i]
    return s / tot
