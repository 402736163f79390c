"""Atomic file writing: a temp file in the same directory, then ``os.replace``.

A reader never sees half a file, and an interrupted job leaves the previous complete file in place.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Iterator

from iklearn.errors import OutputPathError


def check_writable(path: str | os.PathLike, *, make_parents: bool = False) -> Path:
    """Return ``path`` as a Path after checking its directory exists (or creating it) and is writable."""
    p = Path(path)
    parent = p.parent if str(p.parent) else Path(".")
    if p.is_dir():
        raise OutputPathError(f"output path {p} is a directory; expected a file name")
    if not parent.exists():
        if make_parents:
            try:
                parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise OutputPathError(f"cannot create output directory {parent}: {exc.strerror}") from None
        else:
            raise OutputPathError(f"output directory {parent} does not exist")
    if not os.access(parent, os.W_OK):
        raise OutputPathError(f"output directory {parent} is not writable")
    return p


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, *, make_parents: bool = False) -> Iterator[Path]:
    """Context manager yielding a temporary path; on success it is renamed onto ``path``.

    On an exception (including KeyboardInterrupt) the temporary file is removed and ``path`` is untouched.
    """
    p = check_writable(path, make_parents=make_parents)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent if str(p.parent) else ".")
    os.close(fd)
    tmp_p = Path(tmp)
    # mkstemp creates 0600; give the final file the usual permissions (0666 minus the umask)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp_p, 0o666 & ~umask)
    try:
        yield tmp_p
        os.replace(tmp_p, p)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp_p.unlink()
        raise


def write_text_atomic(path: str | os.PathLike, text: str, *, make_parents: bool = False) -> Path:
    """Write ``text`` to ``path`` atomically (UTF-8)."""
    with atomic_path(path, make_parents=make_parents) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def write_bytes_atomic(path: str | os.PathLike, data: bytes, *, make_parents: bool = False) -> Path:
    """Write ``data`` to ``path`` atomically."""
    with atomic_path(path, make_parents=make_parents) as tmp:
        tmp.write_bytes(data)
    return Path(path)
