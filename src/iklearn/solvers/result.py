"""The one result record every IK solver returns."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class IKResult:
    """Batched IK result; every field has the batch size ``N`` as its first dimension.

    q : (N, dof) best configuration found (inside the joint limits for limit-respecting solvers)
    success : (N,) bool, position and rotation error within the solver's tolerances
    position_error : (N,) m, Euclidean distance of FK(q) to the target
    rotation_error : (N,) rad, geodesic angle between FK(q) and the target (0 for position-only tasks)
    iterations : (N,) int, iterations used (all restarts together)
    rejected : (N,) int, valid solutions refused by an ``accept`` callback (zeros without one)
    """

    q: np.ndarray
    success: np.ndarray
    position_error: np.ndarray
    rotation_error: np.ndarray
    iterations: np.ndarray
    rejected: np.ndarray = field(default=None)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.rejected is None:
            object.__setattr__(self, "rejected", np.zeros(self.q.shape[0], np.int64))

    def __len__(self) -> int:
        return int(self.q.shape[0])

    @property
    def success_rate(self) -> float:
        """Fraction of targets solved (0 for an empty batch)."""
        return float(self.success.mean()) if len(self) else 0.0

    def __getitem__(self, idx) -> "IKResult":
        idx = np.atleast_1d(np.arange(len(self))[idx])
        return IKResult(*(getattr(self, f)[idx] for f in _FIELDS))

    @staticmethod
    def concatenate(results: list["IKResult"]) -> "IKResult":
        """Join several results along the batch axis."""
        return IKResult(*(np.concatenate([getattr(r, f) for r in results]) for f in _FIELDS))


_FIELDS = ("q", "success", "position_error", "rotation_error", "iterations", "rejected")
