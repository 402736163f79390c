"""Datasets as a directory of Parquet parts plus a manifest holding the SHA-256 of every file.

Layout of a dataset directory ``<out>/`` (any name; ``panda.parquet`` is fine)::

    _manifest.json         format and version, the metadata (robot, seed, sampler, sizes, labels,
                           thresholds), each file's rows, size and SHA-256, and the manifest's own SHA-256
    part-000000.parquet    chunk k: reachable samples [k * chunk_size, ...): q, pose, Jacobian, metrics
    _labels.parquet        'conditioning' (int8) of every reachable sample, in part order   (if labelled)
    _unreachable.parquet   unreachable poses, columns x, y, z, qx, qy, qz, qw               (if asked for)

Readers that take a directory of Parquet files (pyarrow, pandas) read the parts and skip the files whose
names start with ``_``. iklearn's reader checks every file against the manifest before using it, so a file
with any byte changed is refused, naming the file.

A run writes into ``<out>.partial/``: each file atomically (temp + rename), then its record into the manifest
(atomically too), so an interrupted run leaves finished parts and the record of which they are. Resuming
re-checks each recorded part against its checksum and recomputes, saying so, whatever fails the check.
The finished directory is then renamed onto ``<out>``; a dataset already there is replaced only at that moment.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterator

from iklearn._io import write_bytes_atomic, write_text_atomic
from iklearn.data.storage import FORMAT, decode_table, read_meta
from iklearn.errors import DataFormatError, OutputPathError

FORMAT_VERSION = 2  # 1: one Parquet file (read only); 2: this directory layout
MANIFEST = "_manifest.json"
LABELS = "_labels.parquet"
UNREACHABLE = "_unreachable.parquet"
_OURS = re.compile(r"^(_manifest\.json|_labels\.parquet|_unreachable\.parquet|part-\d{6}\.parquet|\..+\.tmp)$")


class DatasetWarning(UserWarning):
    """Something about a dataset run the user should know: parts recomputed or discarded."""


def part_name(k: int) -> str:
    return f"part-{k:06d}.parquet"


@dataclass(frozen=True)
class FileRecord:
    """One file of a dataset directory: its name, rows, size (bytes) and SHA-256 (hex)."""

    file: str
    rows: int
    size: int
    sha256: str


@dataclass
class Manifest:
    """Contents of ``_manifest.json``: the dataset's metadata and the record of each of its files.

    parts : chunk index -> record; labels / unreachable : the label and unreachable-pose files, if any
    request : the generation arguments a resumed run must repeat; complete : False while a run is going on
    """

    meta: dict
    request: dict
    parts: dict[int, FileRecord] = field(default_factory=dict)
    labels: FileRecord | None = None
    unreachable: FileRecord | None = None
    complete: bool = False

    @property
    def n_chunks(self) -> int:
        return -(-int(self.meta["n"]) // int(self.meta["chunk_size"]))

    def files(self) -> list[FileRecord]:
        """Every recorded file: parts in chunk order, then labels and unreachable poses."""
        extra = [r for r in (self.labels, self.unreachable) if r is not None]
        return [self.parts[k] for k in sorted(self.parts)] + extra

    def to_json(self) -> str:
        body = {"format": FORMAT, "format_version": FORMAT_VERSION, "complete": self.complete,
                "meta": self.meta, "request": self.request,
                "parts": [{"index": k, **asdict(self.parts[k])} for k in sorted(self.parts)],
                "labels": None if self.labels is None else asdict(self.labels),
                "unreachable": None if self.unreachable is None else asdict(self.unreachable)}
        body["sha256"] = _digest(body)
        return json.dumps(body, indent=1, sort_keys=True)

    @staticmethod
    def from_json(text: str, where: Path) -> "Manifest":
        """Parse and check a manifest: format, version and its own checksum."""
        try:
            d = json.loads(text)
            if not isinstance(d, dict) or d.get("format") != FORMAT:
                raise DataFormatError(f"{where} is not an iklearn dataset manifest")
            version = d.get("format_version")
            if not isinstance(version, int) or version > FORMAT_VERSION:
                raise DataFormatError(f"{where} has dataset format version {version}, newer than this iklearn "
                                      f"reads ({FORMAT_VERSION}); upgrade iklearn")
            if d.pop("sha256", None) != _digest(d):
                raise DataFormatError(f"{where} is damaged: its content does not match its SHA-256")

            def rec(r):
                return None if r is None else FileRecord(str(r["file"]), int(r["rows"]), int(r["size"]), str(r["sha256"]))

            parts = {int(r["index"]): rec({k: v for k, v in r.items() if k != "index"}) for r in d["parts"]}
            return Manifest(dict(d["meta"]), dict(d["request"]), parts, rec(d["labels"]), rec(d["unreachable"]),
                            bool(d["complete"]))
        except (ValueError, KeyError, TypeError, AttributeError):
            raise DataFormatError(f"{where} is damaged or not an iklearn dataset manifest") from None


def _digest(body: dict) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def sha256_file(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


# ------------------------------------------------------------------------------------------- reading
def is_dataset_dir(path: str | Path) -> bool:
    p = Path(path)
    return p.is_dir() and (p / MANIFEST).is_file()


def read_manifest(path: str | Path, *, complete: bool = True) -> Manifest:
    """The checked manifest of the dataset directory ``path``; an unfinished run is refused if ``complete``."""
    p = Path(path)
    f = p / MANIFEST
    if not f.is_file():
        raise DataFormatError(f"{p} is a directory but not an iklearn dataset (no {MANIFEST})")
    try:
        text = f.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataFormatError(f"cannot read {f}: {exc}") from None
    m = Manifest.from_json(text, f)
    if complete and not m.complete:
        raise DataFormatError(f"{p} holds an unfinished run ({len(m.parts)} of {m.n_chunks} parts); finish it with "
                              "`iklearn data generate` and the same options plus --resume")
    return m


def read_file(path: str | Path, rec: FileRecord) -> bytes:
    """The bytes of one file of a dataset directory, checked against its record (size and SHA-256)."""
    f = Path(path) / rec.file
    try:
        data = f.read_bytes()
    except FileNotFoundError:
        raise DataFormatError(f"{f} is missing from the dataset") from None
    except OSError as exc:
        raise DataFormatError(f"cannot read {f}: {exc.strerror}") from None
    if len(data) != rec.size or hashlib.sha256(data).hexdigest() != rec.sha256:
        raise DataFormatError(f"{f} is damaged: its {'size' if len(data) != rec.size else 'SHA-256'} does not match "
                              f"the dataset's manifest; regenerate the dataset")
    return data


def read_columns(path: str | Path, rec: FileRecord, columns: list[str] | None = None) -> dict:
    """Columns of one checked file (all, or those named)."""
    data = read_file(path, rec)
    try:
        return decode_table(data, columns)
    except Exception as exc:  # pyarrow raises several kinds on bad input; the checksum matched, so say so
        raise DataFormatError(f"{Path(path) / rec.file}: cannot decode Parquet data ({exc})") from None


def iter_parts(path: str | Path, manifest: Manifest, columns: list[str] | None = None) -> Iterator[dict]:
    """Each part's columns (checked), in chunk order."""
    for k in sorted(manifest.parts):
        yield read_columns(path, manifest.parts[k], columns)


# ------------------------------------------------------------------------------------------- writing
def check_output(out: str | Path) -> Path:
    """``out`` as a Path, after checking a dataset can be written there.

    Its parent directory must exist and be writable; ``out`` must not exist or be an iklearn dataset
    (a directory with a manifest and only our files, or a single-file dataset), which the run will replace.
    """
    p = Path(out)
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        raise OutputPathError(f"output directory {parent} does not exist")
    if not os.access(parent, os.W_OK):
        raise OutputPathError(f"output directory {parent} is not writable")
    if p.is_symlink():
        raise OutputPathError(f"output path {p} is a symbolic link; give the path it points to")
    if p.is_dir():
        foreign = [e.name for e in p.iterdir() if not _OURS.match(e.name)]
        if not (p / MANIFEST).is_file() or foreign:
            raise OutputPathError(f"output path {p} is a directory that is not an iklearn dataset; choose another path")
    elif p.exists():
        if not p.is_file():
            raise OutputPathError(f"output path {p} exists and is not a regular file or directory")
        try:
            read_meta(p)
        except DataFormatError:
            raise OutputPathError(f"output path {p} exists and is not an iklearn dataset; choose another path "
                                  "or remove it") from None
    return p


class PartialRun:
    """The ``<out>.partial/`` directory of a run: write files into it, then install it onto ``out``.

    Opening it when it already holds finished parts of an earlier run needs ``resume`` (keep those that pass
    their checksum; the request must be the same) or ``fresh`` (discard them, saying so); with neither it is
    refused, so nothing finished is discarded silently.
    """

    def __init__(self, out: Path, meta: dict, request: dict, *, resume: bool = False, fresh: bool = False) -> None:
        if resume and fresh:
            raise DataFormatError("choose one of --resume (continue an earlier run) and --fresh (discard it)")
        self.out = out
        self.dir = Path(str(out) + ".partial")
        self.manifest = Manifest(meta, request)
        if self.dir.exists() or self.dir.is_symlink():
            self._adopt(resume, fresh)
        self.dir.mkdir(exist_ok=True)
        self._save_manifest()

    def _adopt(self, resume: bool, fresh: bool) -> None:
        d = self.dir
        if d.is_symlink() or not d.is_dir():
            raise OutputPathError(f"{d} exists and is not a directory; remove it")
        foreign = [e.name for e in d.iterdir() if not _OURS.match(e.name)]
        if foreign:
            raise OutputPathError(f"{d} holds files iklearn did not write ({', '.join(sorted(foreign)[:3])}); "
                                  "move them away")
        try:
            old = read_manifest(d, complete=False)
        except DataFormatError:
            old = None
        kept = [] if old is None else old.files()
        on_disk = sorted(e.name for e in d.iterdir() if e.name != MANIFEST and not e.name.startswith("."))
        if not resume:
            if on_disk and not fresh:
                raise DataFormatError(
                    f"{d} holds {len(on_disk)} finished file(s) of an earlier run; add --resume to continue it, "
                    "or --fresh to discard it")
            if on_disk:
                warnings.warn(f"discarded {len(on_disk)} finished file(s) of an earlier run in {d}",
                              DatasetWarning, stacklevel=4)
            shutil.rmtree(d)
            return
        if old is not None and old.request != self.manifest.request:
            raise DataFormatError(f"{d} holds a partial run of another request ({_diff(old.request, self.manifest.request)}); "
                                  "run the same command as before with --resume, or use --fresh to discard it")
        if old is None and on_disk:
            warnings.warn(f"{d / MANIFEST} is missing or damaged; recomputing the {len(on_disk)} file(s) it recorded",
                          DatasetWarning, stacklevel=4)
        good = {r.file for r in kept if self._valid(r)}
        for tmp in d.glob(".*.tmp"):  # left by a process killed mid-write
            tmp.unlink()
        for name in on_disk:
            if name not in good:
                (d / name).unlink()
        if old is not None:
            self.manifest.parts = {k: r for k, r in old.parts.items() if r.file in good}
            self.manifest.labels = old.labels if old.labels is not None and old.labels.file in good else None
            self.manifest.unreachable = (old.unreachable if old.unreachable is not None
                                         and old.unreachable.file in good else None)
        for name in sorted(set(on_disk) - good - {r.file for r in kept}) if old is not None else ():
            warnings.warn(f"{d / name} was written but not recorded as finished; recomputing it",
                          DatasetWarning, stacklevel=4)

    def _valid(self, rec: FileRecord) -> bool:
        f = self.dir / rec.file
        if not f.is_file():
            why = "is missing"
        elif f.stat().st_size != rec.size:
            why = f"has {f.stat().st_size} bytes, not the {rec.size} recorded (truncated?)"
        elif sha256_file(f) != rec.sha256:
            why = "does not match its recorded SHA-256"
        else:
            return True
        warnings.warn(f"{f} of the earlier run {why}; recomputing it", DatasetWarning, stacklevel=5)
        return False

    def write(self, name: str, data: bytes, rows: int) -> FileRecord:
        """Write ``data`` as ``name`` atomically and return its record (not yet in the manifest)."""
        write_bytes_atomic(self.dir / name, data)
        return FileRecord(name, int(rows), len(data), hashlib.sha256(data).hexdigest())

    def add_part(self, k: int, data: bytes, rows: int) -> FileRecord:
        """Write part ``k`` and record it as finished."""
        rec = self.write(part_name(k), data, rows)
        self.manifest.parts[k] = rec
        self._save_manifest()
        return rec

    def _save_manifest(self) -> None:
        write_text_atomic(self.dir / MANIFEST, self.manifest.to_json())

    def discard(self) -> None:
        """Remove the partial directory (a run that finished nothing leaves nothing behind)."""
        shutil.rmtree(self.dir, ignore_errors=True)

    def finish(self) -> Manifest:
        """Mark the run complete and rename it onto ``out`` (replacing an older dataset there)."""
        m = self.manifest
        missing = [k for k in range(m.n_chunks) if k not in m.parts]
        if missing:
            raise DataFormatError(f"{self.dir}: parts {missing[:5]} are not finished")
        m.complete = True
        self._save_manifest()
        out = self.out
        old = None
        if out.exists() or out.is_symlink():
            check_output(out)  # still ours to replace
            old = out.with_name(f".{out.name}.replaced-{os.getpid()}")
            os.replace(out, old)
        os.replace(self.dir, out)
        if old is not None:
            if old.is_dir():
                shutil.rmtree(old)
            else:
                old.unlink()
        return m


def _diff(a: dict, b: dict) -> str:
    keys = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
    return ", ".join(f"{k} {a.get(k)!r} then, {b.get(k)!r} now" for k in keys[:3])
