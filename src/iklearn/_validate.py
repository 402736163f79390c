"""Checks for public entry points (never ``assert`` on user input): shapes and finiteness of arrays, ranges of
numbers, and sizes against the memory and disk there are, before anything is allocated.

Every check takes the name as the caller spells it (``seed`` in Python, ``--seed`` at the command line), so
the message names what the user typed.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np

from iklearn.errors import NonFiniteError, OutOfRangeError, ShapeError, TooLargeError

#: seeds are stored as unsigned 32-bit integers in metadata and mixed into 64-bit streams
SEED_MAX = 2**32 - 1
#: share of the available memory / free disk one request may take
_SHARE = 0.8


def as_batch(x, width: int | None, name: str, *, allow_empty: bool = True) -> tuple[np.ndarray, bool]:
    """Return ``x`` as a C-contiguous float64 ``(N, width)`` array and whether it was a single row.

    A 1-D input of length ``width`` is promoted to ``(1, width)``; ``single`` tells the caller to squeeze.
    """
    try:
        a = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ShapeError(f"{name} must be numeric, got {type(x).__name__}") from exc
    single = a.ndim == 1
    if single:
        a = a[None, :]
    if a.ndim != 2 or (width is not None and a.shape[1] != width):
        want = f"(N, {width}) or ({width},)" if width is not None else "(N, k)"
        raise ShapeError(f"{name} must have shape {want}, got {tuple(np.shape(x))}")
    if not allow_empty and a.shape[0] == 0:
        raise ShapeError(f"{name} is empty; expected at least one row")
    check_finite(a, name)
    return np.ascontiguousarray(a), single


def check_finite(a: np.ndarray, name: str) -> None:
    """Raise :class:`NonFiniteError` naming the first bad row if ``a`` holds NaN or inf."""
    if a.size and not np.isfinite(a).all():
        bad = np.argwhere(~np.isfinite(a))[0]
        raise NonFiniteError(f"{name} contains NaN or inf (first at index {tuple(int(i) for i in bad)})")


#: the message for a quaternion whose norm is far from 1 (``{norm}`` filled in)
QUATERNION_NORM = ("quaternion (qx, qy, qz, qw) has norm {norm:.3g}; expected a unit quaternion (norms within 10% "
                   "of 1 are normalised; a norm far from 1 most likely means the columns are swapped)")


def first_bad_quaternion(q: np.ndarray) -> tuple[int, float] | None:
    """``(row, norm)`` of the first quaternion ``(N, 4)`` whose norm lies outside [0.9, 1.1], else None."""
    n = np.linalg.norm(q, axis=1)
    bad = np.flatnonzero((n < 0.9) | (n > 1.1))
    return (int(bad[0]), float(n[bad[0]])) if bad.size else None


# ----------------------------------------------------------------------------------------------- numbers
def _range_text(low, high, low_open: bool, high_open: bool = False) -> str:
    lo = None if low is None else f"{'>' if low_open else '>='} {low:,}" if isinstance(low, int) else (
        f"{'>' if low_open else '>='} {low:g}")
    lt = "<" if high_open else "<="
    hi = None if high is None else (f"{lt} {high:,}" if isinstance(high, int) else f"{lt} {high:g}")
    if lo and hi and not low_open and not high_open:
        return f"between {low:,} and {high:,}" if isinstance(low, int) else f"between {low:g} and {high:g}"
    return " and ".join(x for x in (lo, hi) if x)


def check_number(value, name: str, *, low: float | None = None, high: float | None = None,
                 low_open: bool = False, high_open: bool = False, integer: bool = False):
    """Return ``value`` as an int (``integer``) or a finite float after checking its range.

    ``low`` / ``high`` bound it (``low_open`` / ``high_open``: strictly above ``low`` / below ``high``). NaN, inf, a non-number, or a float
    with a fraction where an integer is needed raise :class:`~iklearn.errors.OutOfRangeError` naming ``name``.
    """
    kind = "an integer" if integer else "a finite number"
    rng = _range_text(low, high, low_open, high_open)
    want = f"{name} must be {kind}" + (f" {rng}" if rng else "")
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise OutOfRangeError(f"{want}, got {value!r}")
    if not np.isfinite(value):
        raise OutOfRangeError(f"{want}, got {float(value)}")
    if integer:
        if not float(value).is_integer():
            raise OutOfRangeError(f"{want}, got {value!r}")
        value = int(value)
    else:
        value = float(value)
    below = low is not None and (value < low or (low_open and value == low))
    above = high is not None and (value > high or (high_open and value == high))
    if below or above:
        raise OutOfRangeError(f"{want}, got {value:,}" if integer else f"{want}, got {value:g}")
    return value


def check_seed(seed, name: str = "seed") -> int:
    """A seed: an integer between 0 and :data:`SEED_MAX`."""
    return check_number(seed, name, low=0, high=SEED_MAX, integer=True)


# ----------------------------------------------------------------------------------------------- sizes
def _bytes(n: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB", "TB", "PB"):
        if n < 1000 or unit == "PB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} PB"  # pragma: no cover


def available_memory() -> int | None:
    """Bytes of memory this process may still use: the kernel's MemAvailable, capped by a cgroup limit;
    None where neither can be read."""
    avail = None
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    avail = int(line.split()[1]) * 1024
                    break
    except (OSError, ValueError):
        try:
            avail = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (OSError, ValueError, AttributeError):
            avail = None
    try:  # a container's own limit (cgroup v2)
        cg = Path("/sys/fs/cgroup")
        limit = (cg / "memory.max").read_text().strip()
        if limit != "max":
            free = int(limit) - int((cg / "memory.current").read_text())
            avail = free if avail is None else min(avail, free)
    except (OSError, ValueError):
        pass
    return avail


def check_memory(count: int, bytes_each: float, name: str, what: str) -> None:
    """Refuse ``count`` items of ``bytes_each`` bytes when they would not fit in the available memory.

    Raises :class:`~iklearn.errors.TooLargeError` naming ``name`` (the option), the need, what is available
    and the largest ``count`` that fits.
    """
    avail = available_memory()
    need = float(count) * bytes_each
    if avail is not None and need > _SHARE * avail:
        most = int(_SHARE * avail // bytes_each)
        raise TooLargeError(f"{name} {count:,} needs about {_bytes(need)} of memory for {what}, but "
                            f"{_bytes(avail)} is available; use {name} {most:,} or less")


def check_disk(count: int, bytes_each: float, name: str, what: str, directory: str | os.PathLike) -> None:
    """Refuse ``count`` items of ``bytes_each`` bytes when they would not fit on the disk of ``directory``."""
    try:
        free = shutil.disk_usage(directory).free
    except OSError:
        return
    need = float(count) * bytes_each
    if need > _SHARE * free:
        most = int(_SHARE * free // bytes_each)
        raise TooLargeError(f"{name} {count:,} would write about {_bytes(need)} for {what}, but {directory} "
                            f"has {_bytes(free)} free; use {name} {most:,} or less")
