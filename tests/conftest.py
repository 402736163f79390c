"""Shared test fixtures: ``cli`` (one CLI call), ``tiny_report`` (one ``reproduce all --tiny`` per session) and
``child_env`` (the environment of a child interpreter running this checkout)."""

from __future__ import annotations

import fcntl
import json
import os
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest


def run_iklearn(*args: str) -> int:
    """Run ``iklearn args...`` in-process through the real entry point; its exit code (0 on a normal return)."""
    from iklearn.cli import main

    old = sys.argv
    sys.argv = ["iklearn", *map(str, args)]
    try:
        main()
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 1
    finally:
        sys.argv = old
    return 0


@pytest.fixture
def cli(monkeypatch, capsys) -> Callable[..., tuple[int, str, str]]:
    """Run ``iklearn args...`` in-process through the real entry point; returns (exit code, stdout, stderr)."""

    def run(*args: str) -> tuple[int, str, str]:
        monkeypatch.setenv("COLUMNS", "200")
        code = run_iklearn(*args)
        out, err = capsys.readouterr()
        return code, out, err

    return run


@dataclass(frozen=True)
class TinyRun:
    out: Path
    exit_code: int
    seconds: float


@pytest.fixture(scope="session")
def tiny_report(tmp_path_factory) -> TinyRun:
    """Every experiment of ``iklearn.experiments.EXPERIMENTS`` at ``--tiny`` size with the report, once per
    test session: under pytest-xdist the workers share the run through a lock file in the session's base
    directory (the tests that use it live in one file, which ``--dist loadfile`` gives to one worker)."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # the directory above the workers' own: one per session, shared
    out, record = base / "tiny_report", base / "tiny_report.json"
    with open(base / "tiny_report.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not record.is_file():
            t0 = time.perf_counter()
            code = run_iklearn("reproduce", "all", "--tiny", "--out", str(out))
            record.write_text(json.dumps({"exit_code": code, "seconds": time.perf_counter() - t0}))
        info = json.loads(record.read_text())
    return TinyRun(out, info["exit_code"], info["seconds"])


def sigint_default() -> None:
    """``preexec_fn`` for a child that must see Ctrl-C the way a terminal user's process does.

    A job started in the background of a non-interactive shell (``cmd &``, some CI runners) inherits SIGINT
    ignored, and the CLI rightly leaves an ignored SIGINT ignored; a test that sends SIGINT must not depend on
    how the suite itself was started."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.fixture
def child_env() -> dict[str, str]:
    """Environment for a child interpreter that imports this checkout's ``iklearn`` whatever its cwd."""
    import iklearn

    src = str(Path(iklearn.__file__).resolve().parents[1])
    return {**os.environ, "PYTHONPATH": os.pathsep.join([src, *filter(None, [os.environ.get("PYTHONPATH")])])}
