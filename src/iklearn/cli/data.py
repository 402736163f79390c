"""``iklearn data generate|info`` and ``iklearn workspace``: parse, call :mod:`iklearn.data`, print."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Iterator, Optional

import typer

from iklearn.cli._options import BINS, COUNT, seed_option
from iklearn.cli.core import ROBOT_HELP


def _labels(text: str) -> tuple[str, ...]:
    return tuple(x.strip() for x in text.split(",") if x.strip()) if text else ()


@contextlib.contextmanager
def _warnings_as_lines() -> Iterator[None]:
    """Print each warning (e.g. parts recomputed on resume) as one line on stderr, not Python's two."""
    import warnings

    def show(message, category, filename, lineno, file=None, line=None):
        typer.echo(f"warning: {message}", err=True)

    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.showwarning = show
        yield


def _thresholds(text: Optional[str]) -> Optional[tuple[float, float]]:
    from iklearn.data.sampling import DataArgumentError

    if not text:
        return None
    want = f"--thresholds must be two numbers 't_low,t_high' with 0 <= t_low <= t_high <= 1, got {text!r}"
    try:
        th = tuple(float(x) for x in text.split(","))
    except ValueError:
        raise DataArgumentError(want) from None
    if len(th) != 2 or not all(0.0 <= t <= 1.0 for t in th) or th[0] > th[1]:  # NaN fails the range too
        raise DataArgumentError(want)
    return th  # type: ignore[return-value]


def _chunk_bytes(dof: int) -> int:
    """Peak bytes per sample while a chunk is computed: joints, transform, Jacobian and its SVD copy, pose and
    metrics, twice over for temporaries."""
    return 2 * (8 * (3 * dof) + 128 + 2 * 48 * dof + 56 + 32)


def generate(
    robot: str = typer.Option(..., "--robot", help=ROBOT_HELP),
    n: int = typer.Option(..., "--n", help="number of reachable samples", callback=COUNT),
    out: Path = typer.Option(..., "--out", help="output dataset directory (Parquet parts + _manifest.json); "
                             "its parent must exist"),
    base: Optional[str] = typer.Option(None, "--base", help="base link (URDF)"),
    tip: Optional[str] = typer.Option(None, "--tip", help="tip link (URDF)"),
    labels: str = typer.Option("", "--labels", help="comma-separated: conditioning,unreachable"),
    sampler: str = typer.Option("uniform", "--sampler", help="uniform | lhs | sobol"),
    seed: int = seed_option(),
    chunk_size: int = typer.Option(100_000, "--chunk-size", help="samples per chunk", callback=COUNT),
    n_unreachable: Optional[int] = typer.Option(None, "--n-unreachable", callback=COUNT,
                                                help="unreachable poses with --labels unreachable (default n // 4)"),
    thresholds: Optional[str] = typer.Option(None, "--thresholds",
                                             help="fixed 't_low,t_high' on 1/kappa with --labels conditioning"),
    resume: bool = typer.Option(False, "--resume", help="continue an interrupted run from <out>.partial/"),
    fresh: bool = typer.Option(False, "--fresh", help="discard an interrupted run in <out>.partial/"),
    engine: str = typer.Option("local", "--engine", help="local (this process) or ray (chunks as Ray tasks)"),
    address: Optional[str] = typer.Option(None, "--address", help="Ray cluster to join: auto or HOST:PORT "
                                          "(default: start a local Ray instance)"),
    quiet: bool = typer.Option(False, "--quiet", help="no progress bar"),
) -> None:
    """Generate a dataset (q, pose, Jacobian, metrics, labels), streamed to a directory of Parquet parts."""
    from iklearn._validate import check_disk, check_memory
    from iklearn.cli._output import progress
    from iklearn.data import storage
    from iklearn.data.generate import write_dataset
    from iklearn.data.parts import check_output
    from iklearn.data.sampling import DataArgumentError
    from iklearn.robot import load_robot

    kinds = _labels(labels)
    if n_unreachable is not None and "unreachable" not in kinds:
        raise DataArgumentError("--n-unreachable needs --labels unreachable (it is the number of unreachable poses)")
    th = _thresholds(thresholds)
    if th is not None and "conditioning" not in kinds:
        raise DataArgumentError("--thresholds needs --labels conditioning (they split its classes)")
    chain = load_robot(robot, base, tip)
    check_output(out)
    n_unr = (max(1, n // 4) if n_unreachable is None else n_unreachable) if "unreachable" in kinds else 0
    row = 8 * (len(storage.q_columns(chain.dof)) + len(storage.POSE_COLUMNS)
               + len(storage.jacobian_columns(chain.dof)) + len(storage.METRIC_COLUMNS) + 2)
    check_disk(n + n_unr, row, "--n", "the dataset", out.parent if str(out.parent) else ".")
    check_memory(chunk_size, _chunk_bytes(chain.dof), "--chunk-size", "one chunk")
    with _warnings_as_lines(), progress(quiet=quiet) as bar:
        m = write_dataset(chain, n, out, sampler=sampler, seed=seed, labels=kinds, chunk_size=chunk_size,
                          progress=bar, resume=resume, fresh=fresh, thresholds=th,
                          n_unreachable=n_unreachable, engine=engine, address=address)
    n_unr = 0 if m.unreachable is None else m.unreachable.rows
    typer.echo(f"wrote {out}: {sum(r.rows for r in m.parts.values()):,} samples of {m.meta['robot']['name']} "
               f"in {len(m.parts)} part(s)" + (f" + {n_unr:,} unreachable poses" if n_unr else ""))


def info(path: Path = typer.Argument(..., help="dataset directory (or a single-file dataset of iklearn <= 0.1)")) -> None:
    """Describe a dataset (every file checked): robot, sizes, provenance, label counts, metric ranges."""
    from iklearn.data.dataset import describe_dataset
    from iklearn.data.labels import CLASS_NAMES

    d = describe_dataset(path)
    m = d["meta"]
    robot = m.get("robot", {})
    layout = "directory of Parquet parts" if Path(path).is_dir() else "single Parquet file"
    typer.echo(f"{path}: iklearn dataset, {layout} (iklearn {m.get('iklearn_version')})")
    typer.echo(f"robot       {robot.get('name')} ({len(robot.get('joint_names', [])) or '?'} joints, "
               f"fingerprint {m.get('robot_fingerprint')})")
    typer.echo(f"samples     {d['n']:,} reachable, {d['n_unreachable']:,} unreachable")
    typer.echo(f"sampler     {m.get('sampler')}, seed {m.get('seed')}, chunks of {m.get('chunk_size'):,}")
    for k, (lo, med, hi) in d["metrics"].items():
        typer.echo(f"{k:<18}min {lo:.4g}  median {med:.4g}  max {hi:.4g}")
    if d["classes"] is not None:
        th = m.get("thresholds") or (float("nan"), float("nan"))
        typer.echo(f"thresholds  1/kappa {th[0]:.4g}, {th[1]:.4g}")
        typer.echo("classes     " + ", ".join(f"{CLASS_NAMES[i]} {c:,}" for i, c in enumerate(d["classes"])))


def workspace(
    robot: str = typer.Option(..., "--robot", help=ROBOT_HELP),
    out: Path = typer.Option(..., "--out", help="output PNG"),
    base: Optional[str] = typer.Option(None, "--base", help="base link (URDF)"),
    tip: Optional[str] = typer.Option(None, "--tip", help="tip link (URDF)"),
    n: int = typer.Option(200_000, "--n", help="sampled configurations", callback=COUNT),
    metric: str = typer.Option("inverse_condition", "--metric", help="yoshikawa | inverse_condition | isotropy"),
    planes: str = typer.Option("xy,xz", "--planes", help="comma-separated slices among xy, xz, yz"),
    bins: int = typer.Option(80, "--bins", help="cells per axis of a slice (2 .. 1000)", callback=BINS),
    seed: int = seed_option(),
) -> None:
    """Draw reachable-workspace and manipulability maps (slices and a 3-D point cloud) as a PNG."""
    from iklearn._io import check_writable
    from iklearn._validate import check_memory
    from iklearn.cli._output import progress
    from iklearn.data.workspace import SAMPLE_BYTES
    from iklearn.evaluation.plotting import plot_workspace
    from iklearn.robot import load_robot

    chain = load_robot(robot, base, tip)
    check_writable(out)
    check_memory(n, SAMPLE_BYTES, "--n", "the workspace samples")
    with progress() as bar:
        p = plot_workspace(chain, out, n=n, seed=seed, metric=metric, planes=tuple(_labels(planes)), bins=bins,
                           progress=bar)
    typer.echo(f"wrote {p}")


def register(app: typer.Typer, groups: dict[str, typer.Typer]) -> None:
    """Add ``data generate``, ``data info`` and top-level ``workspace``."""
    groups["data"].command("generate")(generate)
    groups["data"].command("info")(info)
    app.command("workspace")(workspace)
