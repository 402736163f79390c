"""The records an experiment leaves for the report: tables, machine-checkable claims and the result itself.

An experiment module ``iklearn.experiments.<name>`` exposes::

    NAME: str            # e.g. "crisp"
    TITLE: str           # e.g. "Paper 003: CRiSP structured prediction IK"
    def run(out: Path, size: Size = "quick", seed: int = 0, progress: Progress | None = None) -> ExperimentResult

``run`` writes everything under ``out`` (figures as PNG, the data behind every figure and table as JSON/CSV),
then returns an :class:`ExperimentResult`, which it also saves as ``out/result.json``.
Sizes: ``tiny`` (seconds, for tests), ``quick`` (the README demo: ~1-2 min per experiment on 2 cores),
``full`` (the papers' scale).

A :class:`Claim` is what a program can check: a stable ``id``, the ``protocol`` it was measured on (``paper``:
the paper's method and evaluation as written; ``extension``: anything of ours), the ``value`` this run
measured, a comparison ``op`` and ``target``, and ``met``, which is always computed from those three and never
stored by hand. Published numbers live only in ``published`` with their ``source``.
"""

from __future__ import annotations

import json
import math
import operator
import platform
import re
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Literal, Protocol

from iklearn._io import write_text_atomic
from iklearn.errors import IKLearnError

Size = Literal["tiny", "quick", "full"]
SIZES: tuple[str, ...] = ("tiny", "quick", "full")
PROTOCOLS: tuple[str, ...] = ("paper", "extension")
OPS: dict[str, Any] = {"<=": operator.le, ">=": operator.ge, "<": operator.lt, ">": operator.gt, "==": operator.eq}
_ID = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*(?:\.[a-z0-9]+(?:[-_][a-z0-9]+)*)+$")


@dataclass
class Table:
    """A table for the report: ``columns`` names, ``rows`` lists of cells (str / float / int / None)."""

    title: str
    columns: list[str]
    rows: list[list[Any]]
    note: str = ""


@dataclass
class Claim:
    """One checkable line of a reproduction: a value measured in this run against its target.

    id : stable dotted slug, ``<experiment>.<part>...``, e.g. ``gp-ik.table2.ei.success``
    what : the sentence a reader sees
    protocol : ``paper`` (the paper's method, data and evaluation as written) or ``extension`` (ours)
    value : the number this run measured, in ``unit`` (None: not measured in this run, e.g. a peer missing)
    op, target : the comparison that decides ``met`` (both None for a claim that is reported, not judged)
    unit : unit of ``value`` and ``target`` (``"%"``, ``"mm"``, ``"ms"``, ``""`` for counts and ratios)
    judged_at : the size at which the target is judged (``full`` or ``quick``); at other sizes ``met`` is
        still computed but the report marks it as not judged
    published : the published figure as the paper states it; ``source``: where (table, figure, page)
    detail : further measured context for the reader (other values of the same run), never a target
    extends : for an extension, the ``id`` of the paper-protocol claim it improves on
    values : one value per seed when the run covers several seeds (``value`` is then their mean)
    """

    id: str
    what: str
    protocol: Literal["paper", "extension"]
    value: float | None
    op: str | None = None
    target: float | None = None
    unit: str = ""
    judged_at: Literal["full", "quick"] = "full"
    published: str = ""
    source: str = ""
    detail: str = ""
    extends: str = ""
    values: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not _ID.match(self.id):
            raise IKLearnError(f"claim id {self.id!r} must be a dotted lower-case slug like 'gp-ik.table2.ei'")
        if self.protocol not in PROTOCOLS:
            raise IKLearnError(f"claim {self.id}: protocol must be one of {PROTOCOLS}, got {self.protocol!r}")
        if (self.op is None) != (self.target is None):
            raise IKLearnError(f"claim {self.id}: op and target go together (got op={self.op!r}, "
                               f"target={self.target!r})")
        if self.op is not None and self.op not in OPS:
            raise IKLearnError(f"claim {self.id}: op must be one of {', '.join(OPS)}, got {self.op!r}")
        if self.judged_at not in ("full", "quick"):
            raise IKLearnError(f"claim {self.id}: judged_at must be 'full' or 'quick', got {self.judged_at!r}")
        if self.value is not None:
            self.value = float(self.value)
        if self.target is not None:
            self.target = float(self.target)
        self.values = [float(v) for v in self.values]

    @property
    def met(self) -> bool | None:
        """``value op target``; None when the claim is not judged or the value was not measured (or NaN)."""
        if self.op is None or self.value is None or math.isnan(self.value):
            return None
        return bool(OPS[self.op](self.value, self.target))

    def judged(self, size: str) -> bool:
        """Whether a run of ``size`` judges this claim's target (a quick target is also judged at full)."""
        return self.op is not None and (size == self.judged_at or (size == "full" and self.judged_at == "quick"))

    @property
    def sd(self) -> float | None:
        """Sample standard deviation of ``values`` (several seeds), else None."""
        import statistics

        return statistics.stdev(self.values) if len(self.values) > 1 else None

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["met"] = self.met
        if len(self.values) > 1:  # computed, like met; never read back
            d["sd"] = self.sd
            d["met_judged_on"] = f"the mean of {len(self.values)} seeds"
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Claim":
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})  # "met" is recomputed, never read


@dataclass
class ExperimentResult:
    """What an experiment returns and saves as ``result.json``.

    seeds : the seeds a combined result covers (empty for one run with ``seed``)
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
    seeds: list[int] = field(default_factory=list)  # several seeds: claims are means (see Claim.values)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["claims"] = [c.to_dict() for c in self.claims]
        return d

    def save(self, out: Path) -> Path:
        """Write ``out/result.json`` atomically (claim ids must be unique)."""
        ids = [c.id for c in self.claims]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise IKLearnError(f"experiment {self.name}: duplicate claim ids {dup}")
        return write_text_atomic(Path(out) / "result.json", json.dumps(self.to_dict(), indent=2, default=_jsonable))

    @staticmethod
    def load(path: Path) -> "ExperimentResult":
        d = json.loads(Path(path).read_text())
        d["tables"] = [Table(**t) for t in d.get("tables", [])]
        d["claims"] = [Claim.from_dict(c) for c in d.get("claims", [])]
        return ExperimentResult(**d)


@dataclass
class RunRecord:
    """Status of one experiment in a combined run (``reproduce all``), as the report shows it."""

    name: str
    status: str  # "done", "resumed" (finished in an earlier run), "failed", "skipped"
    wall_time_s: float = 0.0
    error: str = ""
    result: ExperimentResult | None = field(default=None, repr=False)


def _jsonable(o):
    import numpy as np

    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, Path):
        return str(o)
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def _plain(o: Any) -> Any:
    """``o`` with numpy arrays / scalars as Python lists / numbers and NaN / inf as None (JSON null)."""
    import numpy as np

    if isinstance(o, np.ndarray):
        o = o.tolist()
    elif isinstance(o, np.generic):
        o = o.item()
    if isinstance(o, float):
        return o if math.isfinite(o) else None
    if isinstance(o, dict):
        return {k: _plain(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [_plain(v) for v in o]
    return o


def save_json(path: Path, obj: Any) -> Path:
    """Write ``obj`` as indented, standard JSON atomically (numpy scalars/arrays allowed).

    A data file's missing values (NaN, e.g. an empty histogram bin) are written as ``null``: NaN is no JSON.
    """
    text = json.dumps(_plain(obj), indent=2, default=_jsonable, allow_nan=False)
    return write_text_atomic(path, text, make_parents=True)


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
    import importlib.metadata as md
    import os

    info = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpus": str(os.cpu_count()),
    }
    # versions from package metadata: importing torch or pybullet just to read a version costs seconds
    for dist in ("numpy", "scipy", "numba", "scikit-learn", "torch", "pytracik", "pybullet", "pin", "matplotlib"):
        try:
            info[dist] = md.version(dist)
        except md.PackageNotFoundError:
            info[dist] = "not installed"
    return info
