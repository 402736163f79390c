"""Checkpoints of a long experiment: each trained model or finished record is saved as soon as it exists, so a
run stopped by Ctrl-C or by a machine's time limit continues where it stopped when started again with
``resume=True`` (a full-size run longer than one sitting then finishes over several).

A checkpoint is used only when its *key* (everything the result depends on: size, seed, data sizes, the
estimator's hyperparameters) equals the one asked for; any other is recomputed and overwritten. Files are
written atomically (model ``.npz`` through the estimator's own ``save``, records as JSON), never pickled.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable, TypeVar

from iklearn.evaluation.record import Timer, save_json

M = TypeVar("M")


def _normal(key: Any) -> Any:
    """``key`` as it reads back from JSON (tuples -> lists, numpy scalars -> numbers)."""
    return json.loads(json.dumps(key, default=lambda o: o.item() if hasattr(o, "item") else str(o)))


class Checkpoints:
    """Checkpoints written under ``directory`` (``None``: none), and reused when ``reuse`` and their key matches."""

    def __init__(self, directory: Path | None, *, reuse: bool = False) -> None:
        self.directory = None if directory is None else Path(directory)
        self.reuse = bool(reuse)
        self.reused: list[str] = []  # names taken from an earlier run

    def _meta(self, name: str) -> Path:
        assert self.directory is not None
        return self.directory / f"{name}.json"

    def _matching(self, name: str, key: Any) -> dict | None:
        if self.directory is None or not self.reuse or not self._meta(name).is_file():
            return None
        try:
            meta = json.loads(self._meta(name).read_text())
        except (OSError, ValueError):  # a damaged record is recomputed
            return None
        return meta if meta.get("key") == _normal(key) else None

    def _reusable(self, name: str, key: Any, model: bool) -> dict | None:
        """The record of a reusable checkpoint: key equal and, for a model, its ``.npz`` file there."""
        meta = self._matching(name, key)
        if meta is None or (model and not (self.directory / f"{name}.npz").is_file()):
            return None
        return meta

    def has(self, name: str, key: Any, *, model: bool = True) -> bool:
        """Whether a checkpoint of ``name`` with this key is there to reuse: its record with an equal key, and
        for a model (``model=True``, see :meth:`model`) its ``.npz`` file."""
        return self._reusable(name, key, model) is not None

    def model(self, name: str, key: Any, train: Callable[[], M], save: Callable[[M, Path], Any],
              load: Callable[[Path], M], extra: Callable[[M], dict] = lambda m: {}) -> tuple[M, dict]:
        """``(model, record)``: the checkpointed model when its key matches, else ``train()`` (timed) saved
        with ``save(model, path)``; ``record`` holds ``fit_time_s`` and ``extra(model)`` of the run that
        trained it."""
        meta = self._reusable(name, key, model=True)
        if meta is not None:
            try:
                model = load(self.directory / f"{name}.npz")
            except Exception:  # noqa: BLE001 - a damaged file is retrained, whatever the loader raised
                model = None
            if model is not None:
                self.reused.append(name)
                return model, meta["record"]
        with Timer() as t:
            model = train()
        record = {"fit_time_s": t.s, **extra(model)}
        if self.directory is not None:
            self.directory.mkdir(parents=True, exist_ok=True)
            save(model, self.directory / f"{name}.npz")
            save_json(self._meta(name), {"key": key, "record": record})  # after the model: a record means both
        return model, record

    def record(self, name: str, key: Any, compute: Callable[[], dict]) -> dict:
        """The checkpointed record when its key matches, else ``compute()`` saved."""
        meta = self._matching(name, key)
        if meta is not None:
            self.reused.append(name)
            return meta["record"]
        rec = compute()
        if self.directory is not None:
            save_json(self._meta(name), {"key": key, "record": rec})
        return rec
