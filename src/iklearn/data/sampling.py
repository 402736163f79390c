"""Seeded sampling of joint space inside the limits: uniform, Latin hypercube and Sobol.

Continuous joints (infinite limits) are sampled in [-pi, pi] (``Chain.finite_lower/upper``).
"""

from __future__ import annotations

import warnings
from typing import Literal

import numpy as np

from iklearn._validate import check_seed
from iklearn.errors import IKLearnError
from iklearn.robot.chain import Chain

Method = Literal["uniform", "lhs", "sobol"]
METHODS: tuple[str, ...] = ("uniform", "lhs", "sobol")


class DataArgumentError(IKLearnError, ValueError):
    """A data-layer argument is invalid (size <= 0, unknown sampler or label kind, bad trajectory parameter)."""


def check_size(n, name: str = "n") -> int:
    """Return ``n`` as a positive int, or raise :class:`DataArgumentError`."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        if isinstance(n, float) and float(n).is_integer():
            n = int(n)
        else:
            raise DataArgumentError(f"{name} must be a positive integer, got {n!r}")
    if n < 1:
        raise DataArgumentError(f"{name} must be a positive integer, got {n}")
    return int(n)


def check_method(method: str) -> str:
    """Return ``method`` if it names a known sampler, else raise :class:`DataArgumentError`."""
    if method not in METHODS:
        raise DataArgumentError(f"unknown sampler {method!r}; expected one of {', '.join(METHODS)}")
    return method


def unit_samples(dof: int, n: int, method: str = "uniform", seed: int = 0, start: int = 0) -> np.ndarray:
    """``(n, dof)`` points in the unit cube ``[0, 1)^dof``.

    ``start`` is the index of the first point in the whole stream. For ``'sobol'`` the scrambled sequence
    (seeded by ``seed``) is fast-forwarded to ``start``, so consecutive chunks continue one low-discrepancy
    sequence. ``'uniform'`` and ``'lhs'`` draw from an independent stream keyed by ``(seed, start)``;
    a Latin hypercube is stratified within each call.
    """
    n = check_size(n)
    check_method(method)
    seed = check_seed(seed)
    if method == "uniform":
        rng = np.random.default_rng(seed if start == 0 else [seed, start])
        return rng.random((n, dof))
    from scipy.stats import qmc

    if method == "lhs":
        rng = np.random.default_rng(seed if start == 0 else [seed, start])
        return qmc.LatinHypercube(d=dof, seed=rng).random(n)
    eng = qmc.Sobol(d=dof, scramble=True, seed=np.random.default_rng(seed))
    if start:
        eng.fast_forward(start)
    with warnings.catch_warnings():  # balance properties want powers of two; any n is fine for sampling
        warnings.simplefilter("ignore", UserWarning)
        return eng.random(n)


def sample_joints(chain: Chain, n: int, method: Method = "uniform", seed: int = 0) -> np.ndarray:
    """Sample ``n`` joint configurations inside the joint limits.

    Parameters
    ----------
    chain : Chain
    n : int, > 0
        Number of configurations.
    method : {'uniform', 'lhs', 'sobol'}
        i.i.d. uniform, Latin hypercube (``scipy.stats.qmc.LatinHypercube``) or scrambled Sobol.
    seed : int
        The same seed gives the same numbers.

    Returns
    -------
    (n, dof) joint values (rad / m), each inside ``[finite_lower, finite_upper]``.
    """
    return scale_to_limits(chain, unit_samples(chain.dof, n, method, seed))


def scale_to_limits(chain: Chain, u: np.ndarray) -> np.ndarray:
    """Map unit-cube points ``(n, dof)`` onto the joint box ``[finite_lower, finite_upper]``."""
    lo, hi = chain.finite_lower, chain.finite_upper
    return np.clip(lo + u * (hi - lo), lo, hi)
