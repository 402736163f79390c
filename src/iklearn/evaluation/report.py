"""Report writing helpers (the full report builder for `reproduce all` lives here too)."""

from __future__ import annotations

import os
from pathlib import Path

from iklearn.errors import OutputPathError


def prepare_out_dir(out: str | os.PathLike) -> Path:
    """Create ``out`` (and parents) if needed and check it is a writable directory."""
    p = Path(out)
    if p.exists() and not p.is_dir():
        raise OutputPathError(f"output path {p} exists and is not a directory")
    try:
        p.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputPathError(f"cannot create output directory {p}: {exc.strerror}") from None
    if not os.access(p, os.W_OK):
        raise OutputPathError(f"output directory {p} is not writable")
    return p
