"""``iklearn reproduce <experiment>``: one command per paper (from ``iklearn.experiments.EXPERIMENTS``)."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Optional

import typer

from iklearn.cli._options import SEED
from iklearn.experiments import EXPERIMENTS


def print_result(res) -> None:
    """Print an ExperimentResult's tables and claims with rich."""
    from rich.table import Table as RTable

    from iklearn.cli._output import console

    con = console()
    for t in res.tables:
        rt = RTable(title=t.title, show_lines=False)
        for c in t.columns:
            rt.add_column(str(c))
        for row in t.rows:
            rt.add_row(*[_fmt(x) for x in row])
        con.print(rt)
        if t.note:
            con.print(f"[dim]{t.note}[/dim]")
    from iklearn.evaluation.report import claim_tables

    for title, cols, rows in claim_tables(res):
        rt = RTable(title=f"{res.title}: {title}")
        keep = [i for i, c in enumerate(cols) if c in ("claim", "ours", "target", "published", "status")]
        for i in keep:  # the terminal shows what a reader judges by; ids and links are in result.json
            rt.add_column(cols[i])
        for row in rows:
            rt.add_row(*[_fmt(row[i]) for i in keep])
        con.print(rt)
    con.print(f"wall time {res.wall_time_s:.1f} s")


def _fmt(x) -> str:
    if x is None:
        return "-"
    if isinstance(x, float):
        return f"{x:.4g}"
    return str(x)


def _size(quick: bool, full: bool, tiny: bool) -> str:
    if sum((quick, full, tiny)) > 1:
        from iklearn.errors import IKLearnError

        raise IKLearnError("choose at most one of --quick, --full, --tiny")
    return "full" if full else ("tiny" if tiny else "quick")


def parse_seeds(text: str) -> list[int]:
    """``--seeds``: ``0-4``, ``0,3,7`` or a mix (``0-2,9``) -> distinct non-negative ints, in order."""
    from iklearn.errors import IKLearnError

    out: list[int] = []
    try:
        for part in (p.strip() for p in text.split(",")):
            a, sep, b = part.partition("-")
            lo, hi = int(a), int(b) if sep else int(a)
            if lo < 0 or hi < lo or hi - lo > 999:
                raise ValueError
            out += range(lo, hi + 1)
    except ValueError:
        raise IKLearnError(f"--seeds must be like 0-4 or 0,3,7 (non-negative, ranges low-high), got {text!r}") from None
    if len(set(out)) != len(out):
        raise IKLearnError(f"--seeds names a seed twice: {text!r}")
    return out


def _seeds_option(seeds: Optional[str], seed: Optional[int]) -> tuple[int, list[int] | None]:
    from iklearn.errors import IKLearnError

    if seeds is not None and seed is not None:
        raise IKLearnError("give --seed or --seeds, not both")
    return (seed or 0), (parse_seeds(seeds) if seeds is not None else None)


SEEDS_HELP = "several seeds, e.g. 0-4 or 0,3,7: claims become mean +- sd over them"
ENGINE_HELP = "local (this process) or ray (every experiment x seed as a Ray task)"
ADDRESS_HELP = "Ray cluster to join: auto or HOST:PORT (default: start a local Ray instance)"


def _make_command(name: str, modpath: str):
    def command(
        out: Path = typer.Option(Path("results") / name, "--out", help="output directory"),
        quick: bool = typer.Option(False, "--quick", help="quick size (default)"),
        full: bool = typer.Option(False, "--full", help="the paper's scale"),
        tiny: bool = typer.Option(False, "--tiny", help="seconds-long smoke size"),
        seed: Optional[int] = typer.Option(None, "--seed", help="random seed (default 0)", callback=SEED),
        seeds: Optional[str] = typer.Option(None, "--seeds", help=SEEDS_HELP),
        engine: str = typer.Option("local", "--engine", help=ENGINE_HELP),
        address: Optional[str] = typer.Option(None, "--address", help=ADDRESS_HELP),
        cpus_per_task: int = typer.Option(1, "--cpus-per-task", help="CPUs each Ray task reserves"),
        resume: bool = typer.Option(False, "--resume", help="continue an interrupted run in --out from its "
                                    "checkpoints (experiments that keep them: jacobian-net, lwpr)"),
    ) -> None:
        import inspect

        from iklearn._engine import check_engine
        from iklearn.cli._output import progress as make_progress
        from iklearn.cli._output import set_interrupt_note
        from iklearn.errors import IKLearnError
        from iklearn.evaluation.report import prepare_out_dir

        one, many = _seeds_option(seeds, seed)
        check_engine(engine, address)
        size = _size(quick, full, tiny)
        out_dir = prepare_out_dir(out)
        mod = importlib.import_module(modpath)
        keeps_checkpoints = "resume" in inspect.signature(mod.run).parameters
        if resume and not keeps_checkpoints:
            raise IKLearnError(f"--resume: {name} keeps no checkpoints; run it again without --resume")
        if resume and (many is not None or engine != "local"):
            raise IKLearnError("--resume continues one seed in this process: drop --seeds / --engine ray")
        if many is None and engine == "local":
            kw = {"resume": True} if resume else {}
            if keeps_checkpoints:
                set_interrupt_note(f"checkpoints are kept in {out_dir}; add --resume to continue")
            with make_progress() as progress:
                res = mod.run(out=out_dir, size=size, seed=one, progress=progress, **kw)
        else:  # each seed in out/seed-<s>/, the combined claims in out/result.json
            from iklearn.experiments.runner import run_all

            with make_progress() as progress:
                rec = run_all(out_dir, size=size, only=[name], progress=progress, seeds=many or [one], engine=engine,
                              address=address, cpus_per_task=cpus_per_task, flat=True)[0]
            if rec.result is None:
                raise IKLearnError(f"{name} failed: {rec.error} (see {out_dir}/error.json)")
            res = rec.result
        print_result(res)
        typer.echo(f"results written to {out_dir}")

    command.__doc__ = f"Reproduce '{name}' (see iklearn.experiments)."
    return command


def reproduce_all(
    out: Path = typer.Option(Path("report"), "--out", help="report directory"),
    quick: bool = typer.Option(False, "--quick", help="quick size, ~10 min on 2 cores (default)"),
    full: bool = typer.Option(False, "--full", help="the papers' scale (hours)"),
    tiny: bool = typer.Option(False, "--tiny", help="seconds-long smoke size"),
    seed: Optional[int] = typer.Option(None, "--seed", help="random seed (default 0)", callback=SEED),
    seeds: Optional[str] = typer.Option(None, "--seeds", help=SEEDS_HELP),
    only: str = typer.Option("", "--only", help="comma-separated experiment names (default: all)"),
    fresh: bool = typer.Option(False, "--fresh", help="ignore finished experiments and run everything again"),
    engine: str = typer.Option("local", "--engine", help=ENGINE_HELP),
    address: Optional[str] = typer.Option(None, "--address", help=ADDRESS_HELP),
    cpus_per_task: int = typer.Option(1, "--cpus-per-task", help="CPUs each Ray task reserves"),
) -> None:
    """Run every paper's experiment and the IK benchmark into one report (Markdown + HTML).

    Re-running resumes: experiments already finished with the same size and seed are kept.
    """
    import sys
    import time

    from rich.progress import BarColumn, TextColumn, TimeElapsedColumn

    from iklearn._engine import check_engine
    from iklearn.cli._output import progress as make_progress
    from iklearn.cli._output import set_interrupt_note
    from iklearn.evaluation.record import machine_info
    from iklearn.evaluation.report import build_report, prepare_out_dir
    from iklearn.experiments.runner import run_all

    seed, many = _seeds_option(seeds, seed)
    check_engine(engine, address)
    size = _size(quick, full, tiny)
    out_dir = prepare_out_dir(out)
    names = [s.strip() for s in only.split(",") if s.strip()] or None
    t0 = time.perf_counter()
    cols = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed:.0f}/{task.total:.0f}"),
            TimeElapsedColumn())
    set_interrupt_note(f"finished experiments are kept in {out_dir}; re-run the same command to resume")
    with make_progress(*cols, transient=False) as progress:
        records = run_all(out_dir, size=size, seed=seed, only=names, progress=progress, resume=not fresh,
                          seeds=many, engine=engine, address=address, cpus_per_task=cpus_per_task)
    wall = time.perf_counter() - t0
    cmd = "iklearn " + " ".join(sys.argv[1:]) if sys.argv and "iklearn" in sys.argv[0] else f"iklearn reproduce all --{size}"
    md, html = build_report(records, out_dir, size=size, seed=seed if many is None else many, wall_time_s=wall,
                            machine=machine_info(), command=cmd)
    for r in records:
        if r.result is not None:
            print_result(r.result)
        else:
            typer.echo(f"{r.name}: {r.status} {r.error}")
    typer.echo(f"report: {md} and {html}")
    failed = [r.name for r in records if r.status == "failed"]
    if failed:
        typer.echo(f"error: experiment(s) failed: {', '.join(failed)} (see their error.json)", err=True)
        raise SystemExit(1)


def register(app: typer.Typer, groups: dict[str, typer.Typer]) -> None:
    rep = groups["reproduce"]
    rep.command("all")(reproduce_all)
    for name, modpath in EXPERIMENTS.items():
        rep.command(name)(_make_command(name, modpath))
