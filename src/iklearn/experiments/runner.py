"""Run several experiments, over one seed or several, into one output directory, resumably.

Each experiment writes ``out/<name>/`` (with several seeds: ``out/<name>/seed-<s>/`` per seed, and the
combined ``out/<name>/result.json``); a ``result.json`` is written last (atomically), so its presence with the
same size and seed means that run finished. Ctrl-C stops after cleaning up the current experiment's temp
files; a re-run skips the finished runs and does the rest.

With several seeds each claim's ``value`` is the mean over the seeds, ``values`` keeps every seed's value
(in the order of ``seeds``) and ``met`` is judged on the mean. ``engine='ray'`` runs every experiment x seed
as a Ray task with its own CPU reservation; the task returns the files it wrote, which are written here, so
the cluster needs no shared file system.
"""

from __future__ import annotations

import importlib
import json
import shutil
import statistics
import tempfile
import time
import traceback
from dataclasses import replace
from pathlib import Path
from typing import Sequence

from iklearn._engine import check_engine, map_tasks
from iklearn._io import write_bytes_atomic
from iklearn.errors import IKLearnError
from iklearn.evaluation.record import Claim, ExperimentResult, RunRecord, save_json
from iklearn.evaluation.report import prepare_out_dir
from iklearn.experiments import EXPERIMENTS


def finished_result(exp_dir: Path, size: str, seed: int) -> ExperimentResult | None:
    """The saved result of a finished experiment with this size and seed, else None."""
    f = exp_dir / "result.json"
    if not f.is_file():
        return None
    try:
        res = ExperimentResult.load(f)
    except (OSError, ValueError, TypeError, KeyError, json.JSONDecodeError):
        return None
    return res if (res.size == size and res.seed == seed and not res.seeds) else None


def run_all(
    out: Path,
    size: str = "quick",
    seed: int = 0,
    only: list[str] | None = None,
    progress=None,
    resume: bool = True,
    *,
    seeds: Sequence[int] | None = None,
    engine: str = "local",
    address: str | None = None,
    cpus_per_task: int = 1,
    flat: bool = False,
) -> list[RunRecord]:
    """Run every experiment (or ``only`` those named) into ``out/<name>/`` and return their records.

    ``flat`` (one experiment, with ``seeds``): its directory is ``out`` itself, as ``iklearn reproduce <name>``
    has it; only ``out/seed-<s>/`` and ``out/result.json`` are written there.

    ``seeds`` (instead of ``seed``) runs each experiment once per seed and combines the claims (see the
    module's docstring). A failing run is recorded (with its error) and the others still run;
    KeyboardInterrupt propagates, leaving the finished runs for the next call to keep.
    """
    engine, address = check_engine(engine, address)
    out = prepare_out_dir(out)
    names = list(EXPERIMENTS) if not only else only
    unknown = [n for n in names if n not in EXPERIMENTS]
    if unknown:
        raise IKLearnError(f"unknown experiment(s) {unknown}; known: {', '.join(EXPERIMENTS)}")
    if flat and (len(names) != 1 or seeds is None):
        raise IKLearnError("flat output (one experiment in --out itself) needs exactly one experiment and --seeds")
    if isinstance(cpus_per_task, bool) or not isinstance(cpus_per_task, int) or cpus_per_task < 1:
        raise IKLearnError(f"--cpus-per-task must be a positive integer, got {cpus_per_task!r}")
    multi = seeds is not None
    seed_list = list(seeds) if multi else [seed]
    if multi and (not seed_list or len(set(seed_list)) != len(seed_list)):
        raise IKLearnError(f"--seeds must name distinct seeds, got {seed_list}")

    def exp_dir(name: str) -> Path:
        return out if flat else out / name

    def run_dir(name: str, s: int) -> Path:
        return exp_dir(name) / f"seed-{s}" if multi else exp_dir(name)

    runs: dict[tuple[str, int], RunRecord] = {}
    todo: list[tuple[str, int]] = []
    for name in names:
        if multi and not flat and exp_dir(name).is_dir():  # a single-seed run's files go; seed-<s>/ stay
            for e in exp_dir(name).iterdir():
                if not e.name.startswith("seed-"):
                    shutil.rmtree(e) if e.is_dir() else e.unlink()
        for s in seed_list:
            done = finished_result(run_dir(name, s), size, s) if resume else None
            if done is not None:
                runs[name, s] = RunRecord(name, "resumed", done.wall_time_s, result=done)
            else:
                todo.append((name, s))
    total = len(names) * len(seed_list)
    label = "experiment x seed" if multi else "all experiments"
    overall = progress.add_task(label, total=total) if progress is not None else None
    if progress is not None and len(todo) < total:
        progress.update(overall, advance=total - len(todo))

    def finished(key: tuple[str, int], rec: RunRecord) -> None:
        runs[key] = rec
        if progress is not None:
            progress.update(overall, advance=1)

    if engine == "local":
        for name, s in todo:
            if progress is not None:
                progress.update(overall, description=f"{label}: {name}" + (f", seed {s}" if multi else ""))
            finished((name, s), _run_here(name, run_dir(name, s), size, s, progress))
    else:
        items = [(name, size, s) for name, s in todo]
        for i, (status, payload, dt) in map_tasks(_run_task, items, engine="ray", address=address,
                                                  num_cpus=cpus_per_task):
            name, s = todo[i]
            finished((name, s), _store(name, run_dir(name, s), status, payload, dt))
    if not multi:
        return [runs[name, seed] for name in names]
    return [_combine(name, exp_dir(name), [runs[name, s] for s in seed_list], seed_list) for name in names]


def _clear(d: Path) -> None:
    if d.exists():
        shutil.rmtree(d)
    d.mkdir(parents=True)


def _run_here(name: str, d: Path, size: str, seed: int, progress) -> RunRecord:
    """One experiment and seed in this process, into ``d``."""
    _clear(d)  # a partial run: start afresh
    t0 = time.perf_counter()
    try:
        res = importlib.import_module(EXPERIMENTS[name]).run(out=d, size=size, seed=seed, progress=progress)
        dt = time.perf_counter() - t0
        if not res.wall_time_s:
            res.wall_time_s = dt
        res.save(d)
        return RunRecord(name, "done", dt, result=res)
    except KeyboardInterrupt:
        raise
    except Exception as exc:  # noqa: BLE001 - one failing experiment must not sink the report
        save_json(d / "error.json", {"error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()})
        return RunRecord(name, "failed", time.perf_counter() - t0, error=f"{type(exc).__name__}: {exc}")


def _run_task(args: tuple) -> tuple[str, dict, float]:
    """Body of a Ray task: run one experiment and seed in a scratch directory; return every file it wrote.

    Returns ``(status, {relative path: bytes}, seconds)``; a failure is returned (with ``error.json``), not
    raised, so that the other runs go on.
    """
    name, size, seed = args
    with tempfile.TemporaryDirectory(prefix=f"iklearn-{name}-") as tmp:
        rec = _run_here(name, Path(tmp) / "run", size, seed, None)
        root = Path(tmp) / "run"
        files = {str(f.relative_to(root)): f.read_bytes() for f in sorted(root.rglob("*")) if f.is_file()}
    return rec.status, files, rec.wall_time_s


def _store(name: str, d: Path, status: str, files: dict, dt: float) -> RunRecord:
    """Write a task's files into ``d`` (each atomically, ``result.json`` last) and read its record back."""
    _clear(d)
    for rel in sorted(files, key=lambda r: r == "result.json"):
        write_bytes_atomic(d / rel, files[rel], make_parents=True)
    if status == "done":
        return RunRecord(name, "done", dt, result=ExperimentResult.load(d / "result.json"))
    err = json.loads(files.get("error.json", b"{}") or b"{}").get("error", "failed on the cluster")
    return RunRecord(name, "failed", dt, error=err)


def _combine(name: str, exp_dir: Path, recs: list[RunRecord], seeds: list[int]) -> RunRecord:
    """One record for an experiment run over ``seeds``: claims as mean +- sd, tables and figures of the first."""
    failed = [(s, r) for s, r in zip(seeds, recs) if r.result is None]
    wall = sum(r.wall_time_s for r in recs)
    if failed:
        err = "; ".join(f"seed {s}: {r.error}" for s, r in failed)
        save_json(exp_dir / "error.json", {"error": err, "seeds": [s for s, _ in failed]})
        return RunRecord(name, "failed", wall, error=err)
    results = [r.result for r in recs]
    res = combine_seeds(results, seeds)
    res.save(exp_dir)
    status = "resumed" if all(r.status == "resumed" for r in recs) else "done"
    return RunRecord(name, status, wall, result=res)


def combine_seeds(results: list[ExperimentResult], seeds: list[int]) -> ExperimentResult:
    """Combine one experiment's results over seeds (``results[i]`` ran with ``seeds[i]``).

    Each claim's ``value`` becomes the mean of the seeds' values and ``values`` keeps them all (a seed that
    did not measure it is left out, and ``detail`` says which); ``met`` is then judged on the mean. Tables,
    figures and data are the first seed's (paths into ``seed-<s>/``), labelled so.
    """
    first = results[0]
    ids = list(dict.fromkeys(c.id for r in results for c in r.claims))
    claims: list[Claim] = []
    for cid in ids:
        per = [next((c for c in r.claims if c.id == cid), None) for r in results]
        base = next(c for c in per if c is not None)
        got = [(s, c.value) for s, c in zip(seeds, per) if c is not None and c.value is not None]
        vals = [v for _, v in got]
        value = statistics.fmean(vals) if vals else None
        how = (f"mean of seeds {', '.join(str(s) for s, _ in got)}" if len(got) == len(seeds)
               else f"mean of the {len(got)} seeds that measured it ({', '.join(str(s) for s, _ in got)}) of {len(seeds)}")
        judged = "; met judged on the mean" if base.op is not None else ""
        claims.append(replace(base, value=value, values=vals, detail=how + judged))
    first_dir = f"seed-{seeds[0]}"
    tables = [replace(t, title=f"{t.title} (seed {seeds[0]})") for t in first.tables]
    note = (f"Claims: mean +- sample sd over seeds {', '.join(map(str, seeds))} (every seed's value in result.json); "
            f"tables and figures are seed {seeds[0]}'s, each seed's own in seed-<s>/.")
    return ExperimentResult(
        name=first.name, title=first.title, size=first.size, seed=seeds[0], seeds=list(seeds), tables=tables,
        claims=claims, figures=[f"{first_dir}/{f}" for f in first.figures],
        data=[f"{first_dir}/{f}" for f in first.data], notes=[note, *first.notes],
        wall_time_s=sum(r.wall_time_s for r in results), command=first.command)
