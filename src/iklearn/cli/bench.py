"""``iklearn bench ik``: our IK solver beside the peers on random reachable targets (table + JSON)."""

from __future__ import annotations

from pathlib import Path

import typer

from iklearn.cli._options import COUNT, POSITIVE, seed_option


def register(app: typer.Typer, groups: dict[str, typer.Typer]) -> None:
    """Add the ``ik`` command to the ``bench`` group."""

    @groups["bench"].command("ik")
    def bench_ik(
        robot: str = typer.Option("panda", "--robot", help="built-in robot name or URDF path"),
        base: str = typer.Option(None, "--base", help="base link (URDF only)"),
        tip: str = typer.Option(None, "--tip", help="tip link (URDF only)"),
        n: int = typer.Option(1000, "--n", help="number of random reachable targets", callback=COUNT),
        seed: int = seed_option("seed of the targets, seeds and restarts"),
        out: Path = typer.Option(Path("results") / "bench_ik.json", "--out", help="JSON file for the figures"),
        solvers: str = typer.Option("ours,tracik,optik", "--solvers",
                                    help="comma-separated: ours, tracik, optik, pybullet (missing peers skipped)"),
        peer_timeout: float = typer.Option(0.02, "--peer-timeout", help="per-target budget of TRAC-IK/OptIK (s, > 0)",
                                           callback=POSITIVE),
    ) -> None:
        """Success at 1e-4 m / 1e-3 rad and 1e-3 m / 1e-2 rad, median / p95 time per target, batched throughput."""
        from rich.table import Table

        from iklearn._io import check_writable
        from iklearn._validate import check_memory
        from iklearn.cli._output import console, progress
        from iklearn.errors import IKLearnError
        from iklearn.evaluation.ik_benchmark import BYTES_PER_TARGET, SOLVER_NAMES, IKBenchmarkResult, run_ik_benchmark
        from iklearn.evaluation.record import machine_info, save_json
        from iklearn.solvers.peers import available_peers

        con = console()
        names = [s.strip() for s in solvers.split(",") if s.strip()]
        unknown = [s for s in names if s not in SOLVER_NAMES]
        if unknown:
            raise IKLearnError(f"unknown solver(s) {unknown}; expected some of {', '.join(SOLVER_NAMES)}")
        have = set(available_peers()) | {"ours"}
        skipped = [s for s in names if s not in have]
        names = [s for s in names if s in have]
        if skipped:
            con.print(f"[yellow]not installed, skipped: {', '.join(skipped)} (pip install 'iklearn[peers]')[/yellow]")
        check_writable(out, make_parents=True)  # the default results/ may not exist yet
        check_memory(n, BYTES_PER_TARGET * (1 + len(names)), "--n", "the targets and their results")
        with progress() as bar:
            res = run_ik_benchmark(robot, n, seed=seed, solvers=names, base_link=base, tip_link=tip,
                                   peer_timeout=peer_timeout, progress=bar)
        table = Table(title=f"IK benchmark: {res.robot} ({res.dof} DOF), {res.n} targets, seed {res.seed}")
        for c in IKBenchmarkResult.COLUMNS:
            table.add_column(c, justify="right" if c != "solver" else "left")
        for row in res.rows():
            table.add_row(*["-" if x is None else (f"{x:g}" if isinstance(x, float) else str(x)) for x in row])
        con.print(table)
        save_json(out, {"machine": machine_info(), "results": {res.robot: res.to_dict()}})
        con.print(f"figures written to {out}")
