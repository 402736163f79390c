"""Shared pieces of the estimator contract (see :mod:`iklearn.estimators`)."""

from __future__ import annotations

from typing import Any

from iklearn.errors import NotFittedError


def check_fitted(estimator: Any, attribute: str) -> None:
    """Raise :class:`~iklearn.errors.NotFittedError` unless ``estimator`` has the learned ``attribute``."""
    if not hasattr(estimator, attribute):
        name = type(estimator).__name__
        raise NotFittedError(f"this {name} is not fitted yet; call fit() first or {name}.load(path)")
