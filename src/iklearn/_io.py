"""The one path by which iklearn writes files: a temp file in the target's directory, then ``os.replace``.

A reader never sees half a file, and a failed or interrupted write leaves the previous complete file in place.

What an output path may be:

- a new name, or an existing regular file (replaced atomically; its permission bits are kept);
- a **symlink**: written *through*: the link stays and the file it points to is replaced atomically (the temp
  file is made beside that file); a dangling link creates its target;
- a **FIFO, socket, character or block device** (``/dev/null`` among them) is *refused* with
  :class:`~iklearn.errors.OutputPathError`: replacing it would destroy it (as root, the system's
  ``/dev/null``), and writing into it could not be atomic;
- a directory is refused.

Any ``OSError`` while writing (disk full, file too large, read-only file system, a path under ``/proc``, a
name too long) becomes an :class:`~iklearn.errors.OutputPathError` naming the path and the reason; the temp
file is removed.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path
from typing import Iterator

from iklearn.errors import IKLearnError, OutputPathError

_KINDS = ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a directory"))


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc) or type(exc).__name__


def resolve_output(path: str | os.PathLike) -> Path:
    """The file that writing ``path`` will replace: ``path`` itself, or the end of its symlink chain.

    Raises :class:`OutputPathError` when that is not a regular file or a new name (see the module notes).
    """
    p = Path(path)
    target = p
    try:
        st = os.lstat(p)
        if stat.S_ISLNK(st.st_mode):
            target = Path(os.path.realpath(p))
            st = os.lstat(target)
            if stat.S_ISLNK(st.st_mode):
                raise OutputPathError(f"output path {p} is a symlink loop")
    except FileNotFoundError:
        return target
    except OSError as exc:
        raise OutputPathError(f"cannot use output path {p}: {_reason(exc)}") from None
    for test, kind in _KINDS:
        if test(st.st_mode):
            via = f" (the target of symlink {p})" if target != p else ""
            what = "expected a file name" if kind == "a directory" else (
                "iklearn replaces files atomically and will not replace or write into it")
            raise OutputPathError(f"output path {target}{via} is {kind}; {what}")
    return target


def check_writable(path: str | os.PathLike, *, make_parents: bool = False) -> Path:
    """Check, before any work, that ``path`` can be written (see the module notes); return it as a Path.

    The directory must exist (or is created with ``make_parents``) and be writable.
    """
    p = Path(path)
    target = resolve_output(p)
    parent = target.parent
    try:
        if not parent.exists():
            if not make_parents:
                raise OutputPathError(f"output directory {parent} does not exist")
            parent.mkdir(parents=True, exist_ok=True)
        if not parent.is_dir():
            raise OutputPathError(f"output directory {parent} is not a directory")
    except OSError as exc:
        if isinstance(exc, IKLearnError):
            raise
        raise OutputPathError(f"cannot create output directory {parent}: {_reason(exc)}") from None
    if not os.access(parent, os.W_OK):
        raise OutputPathError(f"output directory {parent} is not writable")
    return p


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, *, make_parents: bool = False) -> Iterator[Path]:
    """Context manager yielding a temporary path; on success it is renamed onto ``path`` (or, for a symlink,
    onto the file it points to).

    On an exception (including KeyboardInterrupt) the temporary file is removed and ``path`` is untouched;
    an ``OSError`` is raised again as :class:`OutputPathError`.
    """
    p = check_writable(path, make_parents=make_parents)
    target = resolve_output(p)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name[:100]}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise OutputPathError(f"cannot write {p}: {_reason(exc)}") from None
    os.close(fd)
    tmp_p = Path(tmp)
    try:
        # mkstemp creates 0600: keep the replaced file's permissions, else the usual 0666 minus the umask
        try:
            mode = stat.S_IMODE(os.stat(target).st_mode)
        except OSError:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(tmp_p, mode)
        yield tmp_p
        os.replace(tmp_p, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp_p.unlink()
        if isinstance(exc, OSError) and not isinstance(exc, IKLearnError):
            raise OutputPathError(f"cannot write {p}: {_reason(exc)}") from None
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
