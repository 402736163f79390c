"""What the CLI prints besides results: progress (a live bar on a terminal, plain lines in a log), consoles
wide enough for its tables when piped, the one-time note while numba compiles, and the interrupt message.

Progress and notes go to stderr, so stdout holds only results (``iklearn fk ... > poses.csv`` stays clean).
"""

from __future__ import annotations

import sys
import threading
import time
from typing import Any, TextIO

#: seconds between two plain progress lines when stderr is not a terminal (a log file, CI, nohup)
PLAIN_INTERVAL = 30.0
#: width of a console that is not a terminal: rich would otherwise fold tables at 80 columns
PIPE_WIDTH = 1000

_interrupt_note: str = ""


def console(*, stderr: bool = False):
    """A rich Console: the terminal's width on a terminal, :data:`PIPE_WIDTH` when piped or redirected."""
    from rich.console import Console

    con = Console(stderr=stderr)
    return con if con.is_terminal else Console(stderr=stderr, width=PIPE_WIDTH)


def _may_be_terminal(stream) -> bool:
    """False when ``stream`` is surely no terminal (rich would agree): not a tty and no variable forcing one."""
    import os

    if any(os.environ.get(v) for v in ("FORCE_COLOR", "TTY_INTERACTIVE", "TTY_COMPATIBLE")):
        return True
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def progress(*columns: Any, transient: bool = True, quiet: bool = False):
    """A progress display for a command: rich's live bar on a terminal, :class:`PlainProgress` lines
    otherwise, or a silent one (``quiet``). All three are context managers with ``add_task`` / ``update``."""
    if quiet:
        return PlainProgress(stream=None)
    if not _may_be_terminal(sys.stderr):  # a log or a pipe: plain lines, without importing rich (~0.1 s)
        return PlainProgress(stream=sys.stderr)
    con = console(stderr=True)
    if con.is_terminal:
        from rich.progress import Progress

        return Progress(*columns, console=con, transient=transient)
    return PlainProgress(stream=sys.stderr)


class PlainProgress:
    """rich.progress.Progress's ``add_task`` / ``update`` / ``advance`` for logs: a task that is still running
    after ``first`` seconds gets a line, then one every ``interval`` seconds (from a timer thread, so a long
    step still shows the job is alive), and a last one when it completes. Tasks shorter than ``first``
    print nothing. ``stream=None`` prints nothing at all."""

    def __init__(self, stream: TextIO | None = sys.stderr, interval: float = PLAIN_INTERVAL,
                 first: float = 1.0) -> None:
        self._stream = stream
        self._interval = float(interval)
        self._first = float(first)
        self._tasks: dict[int, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._t0 = time.monotonic()

    # --------------------------------------------------------------------------------- context manager
    def __enter__(self) -> "PlainProgress":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> None:
        if self._stream is not None and self._thread is None:
            self._thread = threading.Thread(target=self._tick, name="iklearn-progress", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=1.0)
            self._thread = None

    # --------------------------------------------------------------------------------- rich's interface
    def add_task(self, description: str, total: float | None = None, **_: Any) -> int:
        with self._lock:
            tid = len(self._tasks)
            self._tasks[tid] = {"description": description, "total": total, "completed": 0.0, "done": False,
                                "start": time.monotonic(), "printed": None}
        return tid

    def update(self, task_id: int, *, advance: float | None = None, completed: float | None = None,
               total: float | None = None, description: str | None = None, **_: Any) -> None:
        with self._lock:
            t = self._tasks[task_id]
            if description is not None:
                t["description"] = description
            if total is not None:
                t["total"] = total
            if completed is not None:
                t["completed"] = float(completed)
            if advance:
                t["completed"] += float(advance)
            finished = t["total"] is not None and t["completed"] >= t["total"] and not t["done"]
            if finished:
                t["done"] = True
            announce = finished and t["printed"] is not None
        if announce:
            self._line(task_id, " done")

    def advance(self, task_id: int, advance: float = 1) -> None:
        self.update(task_id, advance=advance)

    def remove_task(self, task_id: int) -> None:
        with self._lock:
            self._tasks.pop(task_id, None)

    # --------------------------------------------------------------------------------- output
    def _tick(self) -> None:
        while not self._stop.wait(min(0.2, self._first, self._interval)):
            now = time.monotonic()
            with self._lock:
                due = [tid for tid, t in self._tasks.items() if not t["done"] and (
                    now - t["start"] >= self._first if t["printed"] is None else now - t["printed"] >= self._interval)]
            for tid in due:
                self._line(tid, "")

    def _line(self, task_id: int, suffix: str) -> None:
        if self._stream is None:
            return
        with self._lock:
            t = self._tasks.get(task_id)
            if t is None:
                return
            now = time.monotonic()
            t["printed"] = now
            total, done = t["total"], t["completed"]
            count = f"{done:,.0f}/{total:,.0f} ({100 * done / total:.0f} %)" if total else f"{done:,.0f}"
            el = int(now - self._t0)
            text = f"[{el // 3600}:{el // 60 % 60:02d}:{el % 60:02d}] {t['description']}: {count}{suffix}\n"
        try:
            self._stream.write(text)
            self._stream.flush()
        except (OSError, ValueError):  # a closed or broken log must not stop the job
            pass


def set_interrupt_note(note: str) -> None:
    """What the interrupt message adds after "interrupted; " for the running command (e.g. how to resume)."""
    global _interrupt_note
    _interrupt_note = note


def interrupt_message() -> str:
    """The one line printed on Ctrl-C."""
    return "interrupted" + (f"; {_interrupt_note}" if _interrupt_note else "")


_compile_note = None  # the numba listener while a command runs
_announcing = False


def announce_compilation() -> None:
    """Until :func:`stop_announcing`, print one line on stderr the first time numba compiles a kernel (a
    cache miss: compiled kernels are cached on disk, so later runs start at once). The listener is registered
    when a kernel first loads numba (:func:`iklearn._jit.on_load`): a command that needs no kernel never
    imports numba."""
    global _announcing
    from iklearn import _jit

    if not _announcing:
        _announcing = True
        _jit.on_load(_listen)


def _listen() -> None:
    global _compile_note
    if not _announcing or _compile_note is not None:
        return
    from numba.core import event

    class _Note(event.Listener):
        said = False

        def on_start(self, ev) -> None:
            if not self.said:
                self.said = True
                sys.stderr.write("note: compiling numerical kernels on first use (up to a minute, once; "
                                 "cached afterwards)\n")
                sys.stderr.flush()

        def on_end(self, ev) -> None:
            pass

    _compile_note = _Note()
    event.register("numba:compile", _compile_note)


def stop_announcing() -> None:
    """Remove the listener of :func:`announce_compilation` (a no-op when there is none)."""
    global _compile_note, _announcing
    _announcing = False  # a listener still waiting for numba to load will not register
    if _compile_note is not None:
        from numba.core import event

        event.unregister("numba:compile", _compile_note)
        _compile_note = None
