"""Data layer: joint-space sampling, datasets with labels, trajectories and workspace maps.

Submodules are imported on use (this package stays light: no pyarrow or matplotlib at import time):
:mod:`~iklearn.data.sampling`, :mod:`~iklearn.data.trajectories`, :mod:`~iklearn.data.labels`,
:mod:`~iklearn.data.dataset` (Parquet via :mod:`~iklearn.data.storage`), :mod:`~iklearn.data.workspace`.
"""

from __future__ import annotations

import importlib

_LAZY = {
    "sample_joints": "iklearn.data.sampling",
    "Trajectory": "iklearn.data.trajectories",
    "eight": "iklearn.data.trajectories",
    "circle": "iklearn.data.trajectories",
    "spiral": "iklearn.data.trajectories",
    "crisp_trajectory": "iklearn.data.trajectories",
    "conditioning_labels": "iklearn.data.labels",
    "unreachable_poses": "iklearn.data.labels",
    "Dataset": "iklearn.data.dataset",
    "generate_dataset": "iklearn.data.dataset",
    "read_dataset": "iklearn.data.dataset",
}


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'iklearn.data' has no attribute {name!r}")


__all__ = sorted(_LAZY)
