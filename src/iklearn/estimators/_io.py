"""Saving and loading models without pickle: arrays in an ``.npz`` plus JSON metadata in the same file.

Every model file records its kind, format version, iklearn version and (when it is tied to a robot) the
robot's description and fingerprint, so loading refuses a file for another model kind, another robot,
a newer format, or a corrupt file, each with a clear :class:`~iklearn.errors.ModelMismatchError`.
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from iklearn._io import atomic_path
from iklearn.errors import ModelMismatchError
from iklearn.robot.chain import Chain

_META_KEY = "__meta_json__"


def save_model(
    path: str | os.PathLike,
    kind: str,
    arrays: Mapping[str, np.ndarray],
    meta: Mapping[str, Any],
    *,
    robot: Chain | None = None,
    format_version: int = 1,
) -> Path:
    """Write ``arrays`` and JSON-serialisable ``meta`` to ``path`` (``.npz``) atomically."""
    from iklearn import __version__

    header = {
        "kind": kind,
        "format_version": int(format_version),
        "iklearn_version": __version__,
        "meta": dict(meta),
        "robot": robot.to_dict() if robot is not None else None,
        "robot_fingerprint": robot.fingerprint() if robot is not None else None,
    }
    payload = {k: np.ascontiguousarray(np.asarray(v)) for k, v in arrays.items()}
    for k, v in payload.items():
        if v.dtype == object:
            raise TypeError(f"array {k!r} has dtype object; only numeric/bool/str arrays can be saved")
    payload[_META_KEY] = np.frombuffer(json.dumps(header).encode("utf-8"), dtype=np.uint8)
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            np.savez(fh, **payload)
    return Path(path)


def _read(p: Path) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Arrays and header of a model file, or :class:`ModelMismatchError` for a missing or foreign file."""
    if not p.is_file():
        raise ModelMismatchError(f"model file not found: {p}")
    try:
        with np.load(p, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise ModelMismatchError(f"{p} is not an iklearn model file (corrupt or another format): {exc}") from None
    raw = arrays.pop(_META_KEY, None)
    if raw is None:
        raise ModelMismatchError(f"{p} is not an iklearn model file (no metadata)")
    try:
        header = json.loads(raw.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelMismatchError(f"{p}: corrupt metadata ({exc})") from None
    return arrays, header


def model_kind(path: str | os.PathLike) -> str:
    """The kind recorded in a model file (e.g. ``'ml_ik.conditioning_classifier'``), to pick its loader."""
    return str(_read(Path(path))[1].get("kind"))


def load_model(
    path: str | os.PathLike,
    kind: str,
    *,
    robot: Chain | None = None,
    max_format_version: int = 1,
) -> tuple[dict[str, np.ndarray], dict[str, Any], Chain | None]:
    """Read a file written by :func:`save_model`; returns ``(arrays, meta, robot_in_file)``.

    Raises :class:`ModelMismatchError` when the file is missing, corrupt, of another kind, of a newer
    format, or made for a robot whose kinematics differ from ``robot`` (when given).
    """
    p = Path(path)
    arrays, header = _read(p)
    if header.get("kind") != kind:
        raise ModelMismatchError(f"{p} holds a '{header.get('kind')}' model, not a '{kind}' model")
    fv = int(header.get("format_version", 0))
    if fv > max_format_version:
        raise ModelMismatchError(
            f"{p} uses model format {fv}, newer than this iklearn supports ({max_format_version}); upgrade iklearn"
        )
    file_robot = Chain.from_dict(header["robot"]) if header.get("robot") else None
    if robot is not None and header.get("robot_fingerprint") not in (None, robot.fingerprint()):
        name = header["robot"].get("name") if header.get("robot") else "?"
        raise ModelMismatchError(
            f"{p} was trained for robot '{name}', whose kinematics differ from '{robot.name}'"
        )
    return arrays, header["meta"], file_robot


def torch_state_to_arrays(state: Mapping[str, Any], prefix: str = "state.") -> dict[str, np.ndarray]:
    """A torch ``state_dict`` as numpy arrays (for :func:`save_model`)."""
    return {prefix + k: v.detach().cpu().numpy() for k, v in state.items()}


def arrays_to_torch_state(arrays: Mapping[str, np.ndarray], prefix: str = "state.") -> dict:
    """Inverse of :func:`torch_state_to_arrays`."""
    import torch

    return {k[len(prefix):]: torch.from_numpy(np.array(v)) for k, v in arrays.items() if k.startswith(prefix)}
