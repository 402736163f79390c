"""Ctrl-C ends every long command within 2 s with exit status 130 and one line, leaving no half-written file.

Each command runs in its own interpreter; the test waits for its first progress line (stderr is a pipe, so
the CLI prints plain progress lines, the first after a task has run 1 s), lets it work a moment longer,
sends SIGINT and times the exit. Compiled
batch solves run in slices of ~0.1 s (``iklearn.solvers.base.run_in_chunks``), so the signal lands between
two slices; the exit then skips module teardown.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from conftest import sigint_default
from iklearn.solvers.base import batch_progress, run_in_chunks

ENTRY = "import sys; from iklearn.cli import main; main()"
LIMIT_S = 2.0
PROGRESS = "[0:"  # the start of a plain progress line: some task has run for 1 s


def _interrupt_after_start(args: list[str], cwd: Path, marker: str, env: dict[str, str], *, work_s: float = 0.5,
                           startup_s: float = 180.0) -> tuple[int, float, str]:
    """Run ``iklearn args``; once stderr shows ``marker``, wait ``work_s``, send SIGINT.

    Returns (exit status, seconds from SIGINT to exit, stderr). The process is killed if it outlives the test.
    """
    env = {**env, "PYTHONUNBUFFERED": "1", "PYTHONFAULTHANDLER": "1"}
    p = subprocess.Popen([sys.executable, "-c", ENTRY, *args], cwd=cwd, env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, preexec_fn=sigint_default)
    lines: list[str] = []
    seen = threading.Event()

    def read() -> None:
        for line in p.stderr:
            lines.append(line)
            if marker in line:
                seen.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert seen.wait(startup_s), f"no {marker!r} line within {startup_s} s: {''.join(lines)}"
        time.sleep(work_s)
        assert p.poll() is None, f"the command ended before the interrupt: {''.join(lines)}"
        t0 = time.monotonic()
        p.send_signal(signal.SIGINT)
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:  # show where it hangs: faulthandler dumps every thread on SIGABRT
            p.send_signal(signal.SIGABRT)
            p.wait(timeout=30)
            reader.join(timeout=10)
            pytest.fail("no exit within 30 s of SIGINT:\n" + "".join(lines))
        dt = time.monotonic() - t0
        reader.join(timeout=10)
        p.stdout.read()
        return p.returncode, dt, "".join(lines)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


def _check(rc: int, dt: float, err: str, tmp_path: Path) -> None:
    assert rc == 130, err
    assert dt < LIMIT_S, f"exit took {dt:.2f} s after SIGINT"
    assert "Traceback" not in err, err
    assert err.strip().splitlines()[-1].startswith("interrupted"), err
    left = [p for p in tmp_path.rglob("*") if p.name.endswith(".tmp")]
    assert not left, f"temporary files left behind: {left}"


def test_solve_of_10000_unreachable_targets_stops_on_sigint(tmp_path, child_env):
    rows = "\n".join(f"{5 + 1e-4 * i},0,0.5,0,0,0,1" for i in range(10_000))
    (tmp_path / "far.csv").write_text("x,y,z,qx,qy,qz,qw\n" + rows + "\n")
    rc, dt, err = _interrupt_after_start(["solve", "--robot", "panda", "--targets", "far.csv", "--out", "s.csv"],
                                         tmp_path, PROGRESS, child_env)
    _check(rc, dt, err, tmp_path)
    assert not (tmp_path / "s.csv").exists()


def test_data_generate_stops_on_sigint(tmp_path, child_env):
    rc, dt, err = _interrupt_after_start(["data", "generate", "--robot", "panda", "--n", "3000000",
                                          "--out", "d.parquet"], tmp_path, PROGRESS, child_env)
    _check(rc, dt, err, tmp_path)
    assert not (tmp_path / "d.parquet").exists()


def test_reproduce_stops_on_sigint(tmp_path, child_env):
    rc, dt, err = _interrupt_after_start(["reproduce", "all", "--tiny", "--out", "rep"], tmp_path,
                                         PROGRESS, child_env, work_s=1.0)
    _check(rc, dt, err, tmp_path)
    assert "re-run the same command to resume" in err.strip().splitlines()[-1]


def test_a_cleanup_that_hangs_still_ends_with_130(tmp_path, child_env):
    """Should the cleanup after Ctrl-C hang (here: on a lock that is never released), the handler's timer
    ends the process with 130 and one line."""
    code = textwrap.dedent("""
        import sys, threading, time
        import iklearn.cli as c
        c._FORCE_EXIT_S = 0.5
        c._install_interrupt_handler()
        lock = threading.Lock()
        lock.acquire()
        try:  # "ready" inside the try: a signal right after it must land in the except, not before the try
            print("ready", file=sys.stderr, flush=True)
            time.sleep(60)
        except KeyboardInterrupt:
            lock.acquire()  # never returns
    """)
    p = subprocess.Popen([sys.executable, "-c", code], env=child_env, stderr=subprocess.PIPE, text=True,
                         preexec_fn=sigint_default)
    try:
        assert p.stderr.readline().strip() == "ready"
        p.send_signal(signal.SIGINT)
        assert p.wait(timeout=30) == 130
        assert p.stderr.read().strip() == "interrupted (cleanup did not finish)"
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


# ------------------------------------------------------------------------------------------- slicing
def test_run_in_chunks_covers_the_range_once_in_order():
    seen: list[tuple[int, int]] = []
    reports: list[int] = []
    with batch_progress(lambda done, total: reports.append(done)):
        run_in_chunks(1000, lambda lo, hi: seen.append((lo, hi)), first=7)
    assert seen[0] == (0, 7) and seen[-1][1] == 1000
    assert all(a[1] == b[0] and a[0] < a[1] for a, b in zip(seen, seen[1:]))
    assert reports == [hi for _, hi in seen]
    run_in_chunks(0, lambda lo, hi: pytest.fail("called on an empty range"))


def test_sliced_lm_batch_equals_one_call(monkeypatch):
    """Slices as small as one target give the same answers as a single kernel call."""
    import iklearn.solvers.base as base
    from iklearn.kinematics import fk
    from iklearn.robot import load_robot
    from iklearn.solvers import LevenbergMarquardt

    c = load_robot("panda")
    rng = np.random.default_rng(3)
    T = fk(c, rng.uniform(c.finite_lower, c.finite_upper, (40, 7)))
    T[::5, 0, 3] += 3.0  # some unreachable
    whole = LevenbergMarquardt(c, seed=4, max_iterations=300).solve(T)
    monkeypatch.setattr(base, "CHUNK_SECONDS", 0.0)  # every slice after the first holds one target
    calls: list[int] = []
    with batch_progress(lambda done, total: calls.append(done)):
        sliced = LevenbergMarquardt(c, seed=4, max_iterations=300).solve(T)
    assert len(calls) > 10 and calls[-1] == 40
    for f in ("q", "success", "position_error", "rotation_error", "iterations"):
        np.testing.assert_array_equal(getattr(sliced, f), getattr(whole, f))
