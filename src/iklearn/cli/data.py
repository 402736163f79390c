"""``iklearn data generate|info`` and ``iklearn workspace``: parse, call :mod:`iklearn.data`, print."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer


def _labels(text: str) -> tuple[str, ...]:
    return tuple(x.strip() for x in text.split(",") if x.strip()) if text else ()


def generate(
    robot: str = typer.Option(..., "--robot", help="built-in robot name or URDF path"),
    n: int = typer.Option(..., "--n", help="number of reachable samples"),
    out: Path = typer.Option(..., "--out", help="output Parquet file (its directory must exist)"),
    labels: str = typer.Option("", "--labels", help="comma-separated: conditioning,unreachable"),
    sampler: str = typer.Option("uniform", "--sampler", help="uniform | lhs | sobol"),
    seed: int = typer.Option(0, "--seed"),
    chunk_size: int = typer.Option(100_000, "--chunk-size"),
    n_unreachable: Optional[int] = typer.Option(None, "--n-unreachable", help="default n // 4"),
    thresholds: Optional[str] = typer.Option(None, "--thresholds", help="fixed 't_low,t_high' on 1/kappa"),
    resume: bool = typer.Option(False, "--resume", help="continue an interrupted run from <out>.partial/"),
    quiet: bool = typer.Option(False, "--quiet", help="no progress bar"),
) -> None:
    """Generate a dataset (q, pose, Jacobian, metrics, labels) and write it to Parquet."""
    from iklearn.data.dataset import generate_dataset
    from iklearn.data.sampling import DataArgumentError

    th = None
    if thresholds:
        try:
            th = tuple(float(x) for x in thresholds.split(","))
        except ValueError:
            raise DataArgumentError(f"--thresholds must be two numbers 't_low,t_high', got {thresholds!r}") from None
        if len(th) != 2:
            raise DataArgumentError(f"--thresholds must be two numbers 't_low,t_high', got {thresholds!r}")
    ds = generate_dataset(robot, n, sampler=sampler, seed=seed, labels=_labels(labels), chunk_size=chunk_size,
                          out=out, progress=not quiet, resume=resume, thresholds=th, n_unreachable=n_unreachable)
    typer.echo(f"wrote {out}: {len(ds):,} samples of {ds.chain.name}"
               + (f" + {len(ds.unreachable):,} unreachable poses" if len(ds.unreachable) else ""))


def info(path: Path = typer.Argument(..., help="dataset Parquet file")) -> None:
    """Describe a dataset file: robot, sizes, provenance, label counts, metric ranges."""
    import numpy as np

    from iklearn.data.dataset import read_dataset
    from iklearn.data.labels import CLASS_NAMES

    ds = read_dataset(path)
    m = ds.meta
    typer.echo(f"{path}: iklearn dataset format {m.get('format_version')} (iklearn {m.get('iklearn_version')})")
    typer.echo(f"robot       {ds.chain.name} ({ds.chain.dof} joints, fingerprint {m.get('robot_fingerprint')})")
    typer.echo(f"samples     {len(ds):,} reachable, {len(ds.unreachable):,} unreachable")
    typer.echo(f"sampler     {m.get('sampler')}, seed {m.get('seed')}, chunks of {m.get('chunk_size'):,}")
    for k, v in ds.metrics.items():
        if len(v):
            fin = v[np.isfinite(v)]
            typer.echo(f"{k:<18}min {fin.min():.4g}  median {np.median(fin):.4g}  max {fin.max():.4g}")
    if "conditioning" in ds.labels:
        counts = np.bincount(ds.labels["conditioning"], minlength=4)
        counts[0] = len(ds.unreachable)
        typer.echo(f"thresholds  1/kappa {ds.thresholds[0]:.4g}, {ds.thresholds[1]:.4g}")
        typer.echo("classes     " + ", ".join(f"{CLASS_NAMES[i]} {int(c):,}" for i, c in enumerate(counts)))


def workspace(
    robot: str = typer.Option(..., "--robot", help="built-in robot name or URDF path"),
    out: Path = typer.Option(..., "--out", help="output PNG"),
    n: int = typer.Option(200_000, "--n", help="sampled configurations"),
    metric: str = typer.Option("inverse_condition", "--metric", help="yoshikawa | inverse_condition | isotropy"),
    planes: str = typer.Option("xy,xz", "--planes", help="comma-separated slices among xy, xz, yz"),
    bins: int = typer.Option(80, "--bins"),
    seed: int = typer.Option(0, "--seed"),
) -> None:
    """Draw reachable-workspace and manipulability maps (slices and a 3-D point cloud) as a PNG."""
    from iklearn.evaluation.plotting import plot_workspace
    from iklearn.robot import load_robot

    chain = load_robot(robot)
    p = plot_workspace(chain, out, n=n, seed=seed, metric=metric, planes=tuple(_labels(planes)), bins=bins)
    typer.echo(f"wrote {p}")


def register(app: typer.Typer, groups: dict[str, typer.Typer]) -> None:
    """Add ``data generate``, ``data info`` and top-level ``workspace``."""
    groups["data"].command("generate")(generate)
    groups["data"].command("info")(info)
    app.command("workspace")(workspace)
