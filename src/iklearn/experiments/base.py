"""The contract every paper's experiment follows, so `iklearn reproduce all` can build one report.

An experiment module ``iklearn.experiments.<name>`` exposes::

    NAME: str            # e.g. "crisp"
    TITLE: str           # e.g. "Paper 003: CRiSP structured prediction IK"
    def run(out: Path, size: Size = "quick", seed: int = 0, progress: Progress | None = None) -> ExperimentResult

``run`` writes everything under ``out`` (figures as PNG, the data behind every figure and table as JSON/CSV),
then returns an :class:`ExperimentResult`, which it also saves as ``out/result.json``.
Sizes: ``tiny`` (seconds, for tests), ``quick`` (the README demo: ~1-2 min per experiment on 2 cores),
``full`` (the papers' scale).
"""

from __future__ import annotations

import json
import platform
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Literal, Protocol

from iklearn._io import write_text_atomic

Size = Literal["tiny", "quick", "full"]
SIZES = ("tiny", "quick", "full")


@dataclass
class Table:
    """A table for the report: ``columns`` names, ``rows`` lists of cells (str / float / int / None)."""

    title: str
    columns: list[str]
    rows: list[list[Any]]
    note: str = ""


@dataclass
class Claim:
    """One "must show" line: what was measured against its target, and whether it was met."""

    what: str
    ours: str
    target: str
    published: str = ""
    met: bool | None = None


@dataclass
class ExperimentResult:
    """What an experiment returns and saves as ``result.json``.

    figures : paths relative to the experiment's ``out`` directory
    data : paths (relative) of the JSON/CSV files each figure/table was made from
    """

    name: str
    title: str
    size: str
    seed: int
    tables: list[Table] = field(default_factory=list)
    claims: list[Claim] = field(default_factory=list)
    figures: list[str] = field(default_factory=list)
    data: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    wall_time_s: float = 0.0
    command: str = ""

    def save(self, out: Path) -> Path:
        """Write ``out/result.json`` atomically."""
        return write_text_atomic(Path(out) / "result.json", json.dumps(asdict(self), indent=2, default=_jsonable))

    @staticmethod
    def load(path: Path) -> "ExperimentResult":
        d = json.loads(Path(path).read_text())
        d["tables"] = [Table(**t) for t in d.get("tables", [])]
        d["claims"] = [Claim(**c) for c in d.get("claims", [])]
        return ExperimentResult(**d)


def _jsonable(o):
    import numpy as np

    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, Path):
        return str(o)
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def save_json(path: Path, obj: Any) -> Path:
    """Write ``obj`` as indented JSON atomically (numpy scalars/arrays allowed)."""
    return write_text_atomic(path, json.dumps(obj, indent=2, default=_jsonable), make_parents=True)


class Progress(Protocol):
    """Minimal progress interface (rich.progress.Progress satisfies it)."""

    def add_task(self, description: str, total: float | None = ...) -> Any: ...
    def update(self, task_id: Any, *, advance: float | None = ..., description: str | None = ...) -> None: ...


class Timer:
    """``with Timer() as t: ...; t.s`` seconds (perf_counter)."""

    def __enter__(self) -> "Timer":
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc) -> None:
        self.s = time.perf_counter() - self.t0


def machine_info() -> dict[str, str]:
    """Machine and library versions, for the record."""
    import os

    import numpy
    import scipy

    info = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpus": str(os.cpu_count()),
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
    }
    for mod in ("numba", "sklearn", "torch", "pytracik", "pybullet", "pinocchio", "matplotlib"):
        try:
            m = __import__(mod)
            info[mod] = getattr(m, "__version__", "installed")
        except Exception:  # noqa: BLE001 - optional, report as absent
            info[mod] = "not installed"
    return info


def plt():
    """matplotlib.pyplot with the Agg backend (no display), or a MissingExtraError naming the extra."""
    from iklearn.errors import require

    mpl = require("matplotlib", "plot")
    mpl.use("Agg")
    import matplotlib.pyplot as pyplot

    return pyplot


RunFn = Callable[..., ExperimentResult]
