"""``iklearn train <method>``: a learned IK model for any robot (:mod:`iklearn.estimators.training`).

Only parsing, checks in flag terms and printing live here; every check runs before training starts, and the
model file is written atomically at the end (an error or Ctrl-C leaves none).
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from iklearn.cli._options import COUNT, FRACTION, POSITIVE, checked, seed_option
from iklearn.cli.core import ROBOT_HELP
from iklearn.errors import IKLearnError


def _mm(x) -> str:
    return "-" if x is None else f"{1e3 * x:.4g} mm"


def _mrad(x) -> str:
    return "-" if x is None else f"{1e3 * x:.4g} mrad"


def _pct(x) -> str:
    return "-" if x is None else f"{100 * x:.2f} %"


def summary_lines(s: dict) -> list[str]:
    """The held-out summary of a trained model, as lines for a terminal."""
    m = s.get("method")
    lines = [f"trained on {s.get('data', '?')}: {s.get('n_train')} rows, {s.get('n_holdout')} held out"
             + (f", {s['skipped_rows']} rows skipped (empty/NaN cells)" if s.get("skipped_rows") else "")]
    if not s.get("n_holdout"):
        return lines + ["no held-out rows (--holdout 0): no held-out errors"]
    if m == "ml-ik":
        lines.append(f"held out, warm start (before refinement): median {_mm(s.get('warm_start_position_median'))}, "
                     f"{_mrad(s.get('warm_start_rotation_median'))}; 95th percentile "
                     f"{_mm(s.get('warm_start_position_p95'))}, {_mrad(s.get('warm_start_rotation_p95'))}")
        lines.append(f"held out, classifier: 4-class accuracy {_pct(s.get('classifier_accuracy'))}, reachable vs "
                     f"unreachable {_pct(s.get('reachable_accuracy'))}; gates {_pct(s.get('unreachable_gated'))} of "
                     f"{s.get('n_unreachable_holdout')} unreachable poses and {s.get('reachable_gated')} of "
                     f"{s.get('n_holdout')} reachable ones")
    elif m == "crisp":
        lines.append(f"sigma {s.get('sigma')} (chosen on the held-out rows among "
                     f"{', '.join(str(g['sigma']) for g in s.get('grid', []))})")
        lines.append(f"held out, against the measured configurations through the model: median "
                     f"{_mm(s.get('model_position_median'))}, {_mrad(s.get('model_rotation_median'))}; joints "
                     f"{_mrad(s.get('joint_distance_median'))} (largest joint difference, median)")
    elif m == "lwpr":
        lines.append(f"held out, task velocity of the learned joint velocities: median error "
                     f"{_mm(s.get('task_velocity_error_median'))}/s ("
                     f"{_pct(s.get('task_velocity_relative_error_median'))} of the speed)")
    return lines


def train_cmd(
    method: str = typer.Argument(..., help="ml-ik (regressor + reachability classifier), crisp (from measured "
                                 "data and the nominal model) or lwpr (velocity IK from recorded motion)"),
    robot: str = typer.Option(..., "--robot", help=ROBOT_HELP),
    out: Path = typer.Option(..., "--out", help="model file to write (.npz)"),
    data: Optional[Path] = typer.Option(None, "--data", help="`iklearn data generate` directory, or a measured "
                                        "CSV/Parquet with q0..q{n-1},x,y,z,qx,qy,qz,qw (and t, s, for lwpr)"),
    n: Optional[int] = typer.Option(None, "--n", help="generate this many samples from the robot model instead",
                                    callback=COUNT),
    base: Optional[str] = typer.Option(None, "--base", help="base link (URDF)"),
    tip: Optional[str] = typer.Option(None, "--tip", help="tip link (URDF)"),
    holdout: float = typer.Option(0.1, "--holdout", help="share of the rows held out and scored at the end",
                                  callback=FRACTION),
    epochs: Optional[int] = typer.Option(None, "--epochs", help="ml-ik: training epochs of both networks "
                                         "(default 100)", callback=checked(low=1, integer=True)),
    time_budget: Optional[float] = typer.Option(None, "--time-budget", help="ml-ik: seconds of training per "
                                                "network at most", callback=POSITIVE),
    sigma: Optional[str] = typer.Option(None, "--sigma", help="crisp: kernel width(s), comma-separated; several "
                                        "are chosen among on the held-out rows (default 1,2,4,8,16)"),
    seed: int = seed_option("random seed of the split, data generation and initialisation (0 .. 4294967295)"),
    quiet: bool = typer.Option(False, "--quiet", help="no progress bar"),
) -> None:
    """Train a learned IK model for any robot; prints the held-out errors and writes the model."""
    import math

    from iklearn._io import check_writable
    from iklearn.estimators.learned import METHODS
    from iklearn.estimators.training import MIN_ROWS, train

    if method not in METHODS:
        raise IKLearnError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    if (data is None) == (n is None):
        raise IKLearnError("give either --data (a file or dataset directory) or --n (samples to generate)")
    if n is not None and n < MIN_ROWS[method]:
        raise IKLearnError(f"--n must be at least {MIN_ROWS[method]} for {method}, got {n}")
    if method != "ml-ik" and (epochs is not None or time_budget is not None):
        raise IKLearnError("--epochs and --time-budget apply to ml-ik only")
    if method != "crisp" and sigma is not None:
        raise IKLearnError("--sigma applies to crisp only")
    params: dict = {}
    if epochs is not None or time_budget is not None:
        net = {k: v for k, v in (("max_epochs", epochs), ("time_budget", time_budget)) if v is not None}
        params = {"regressor": dict(net), "classifier": dict(net)}
    if sigma is not None:
        try:
            sig = [float(x) for x in sigma.split(",") if x.strip()]
        except ValueError:
            raise IKLearnError(f"--sigma must be comma-separated numbers, got {sigma!r}") from None
        if not sig or not all(math.isfinite(v) and v > 0 for v in sig):
            raise IKLearnError(f"--sigma must be positive numbers, got {sigma!r}")
        params = {"crisp": {"sigma": sig}}
    check_writable(out)
    from iklearn.cli._output import progress

    with progress(quiet=quiet) as bar:
        model = train(method, robot, data=data, n=n, base_link=base, tip_link=tip, holdout=holdout,
                      params=params or None, seed=seed, out=out, progress=bar)
    for line in summary_lines(model.summary_):
        typer.echo(line)
    typer.echo(f"wrote {out} ({method} model of {model.robot.name}, {model.robot.dof} joints, fingerprint "
               f"{model.robot.fingerprint()})")


def register(app: typer.Typer, groups: dict[str, typer.Typer]) -> None:
    """Add ``iklearn train`` to the top-level app."""
    app.command("train")(train_cmd)
