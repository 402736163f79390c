"""Run several experiments into one output directory, resumably (`iklearn reproduce all`).

Each experiment writes ``out/<name>/``; its ``result.json`` is written last (atomically), so its presence
with the same size and seed means the experiment finished. Ctrl-C stops after cleaning up the current
experiment's temp files; a re-run skips the finished experiments and runs the rest.
"""

from __future__ import annotations

import importlib
import json
import shutil
import time
import traceback
from pathlib import Path

from iklearn.evaluation.report import prepare_out_dir
from iklearn.experiments import EXPERIMENTS
from iklearn.evaluation.record import ExperimentResult, RunRecord, save_json


def finished_result(exp_dir: Path, size: str, seed: int) -> ExperimentResult | None:
    """The saved result of a finished experiment with this size and seed, else None."""
    f = exp_dir / "result.json"
    if not f.is_file():
        return None
    try:
        res = ExperimentResult.load(f)
    except (OSError, ValueError, TypeError, KeyError, json.JSONDecodeError):
        return None
    return res if (res.size == size and res.seed == seed) else None


def run_all(
    out: Path,
    size: str = "quick",
    seed: int = 0,
    only: list[str] | None = None,
    progress=None,
    resume: bool = True,
) -> list[RunRecord]:
    """Run every experiment (or ``only`` those named) into ``out/<name>/`` and return their records.

    A failing experiment is recorded (with its error) and the others still run; KeyboardInterrupt
    propagates after the current experiment's partial directory is left for the next run to redo.
    """
    from iklearn.errors import IKLearnError

    out = prepare_out_dir(out)
    names = list(EXPERIMENTS) if not only else only
    unknown = [n for n in names if n not in EXPERIMENTS]
    if unknown:
        raise IKLearnError(f"unknown experiment(s) {unknown}; known: {', '.join(EXPERIMENTS)}")
    records: list[RunRecord] = []
    overall = progress.add_task("all experiments", total=len(names)) if progress is not None else None
    for name in names:
        exp_dir = out / name
        done = finished_result(exp_dir, size, seed) if resume else None
        if done is not None:
            records.append(RunRecord(name, "resumed", done.wall_time_s, result=done))
        else:
            if exp_dir.exists():
                shutil.rmtree(exp_dir)  # a partial run: start this experiment afresh
            exp_dir.mkdir(parents=True)
            if progress is not None:
                progress.update(overall, description=f"all experiments: {name}")
            t0 = time.perf_counter()
            try:
                mod = importlib.import_module(EXPERIMENTS[name])
                res = mod.run(out=exp_dir, size=size, seed=seed, progress=progress)
                dt = time.perf_counter() - t0
                if not res.wall_time_s:
                    res.wall_time_s = dt
                res.save(exp_dir)
                records.append(RunRecord(name, "done", dt, result=res))
            except KeyboardInterrupt:
                raise
            except Exception as exc:  # noqa: BLE001 - one failing experiment must not sink the report
                dt = time.perf_counter() - t0
                tb = traceback.format_exc()
                save_json(exp_dir / "error.json", {"error": f"{type(exc).__name__}: {exc}", "traceback": tb})
                records.append(RunRecord(name, "failed", dt, error=f"{type(exc).__name__}: {exc}"))
        if progress is not None:
            progress.update(overall, advance=1)
    return records
