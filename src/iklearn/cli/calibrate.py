"""``iklearn calibrate``: a calibrated URDF from measured ``(q, pose)`` data (:mod:`iklearn.calibration`).

Only parsing, checks in flag terms and printing live here. Every check runs before anything is written: a bad
flag, an unreadable or short file, or too few measurements leave no output file behind.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from iklearn.cli._options import FRACTION, POSITIVE, seed_option
from iklearn.cli.core import ROBOT_HELP
from iklearn.errors import IKLearnError


def _mm(x: float) -> str:
    return f"{1e3 * x:.4g} mm"


def _mrad(x: float) -> str:
    return f"{1e3 * x:.4g} mrad"


def calibrate_cmd(
    robot: str = typer.Option(..., "--robot", help=ROBOT_HELP + " (the nominal model)"),
    data: Path = typer.Option(..., "--data", help="measured CSV or Parquet: q0..q{n-1},x,y,z,qx,qy,qz,qw (rad, m), "
                              "or an `iklearn data generate` directory; rows with empty/NaN cells are skipped"),
    out: Path = typer.Option(..., "--out", help="calibrated URDF to write (the nominal URDF with corrected joint "
                             "origins; everything else kept)"),
    base: Optional[str] = typer.Option(None, "--base", help="base link (URDF)"),
    tip: Optional[str] = typer.Option(None, "--tip", help="tip link (URDF): the frame the measured poses are of"),
    residuals: Optional[Path] = typer.Option(None, "--residuals", help="CSV of the residuals before and after, "
                                             "one row per measurement"),
    holdout: float = typer.Option(0.0, "--holdout", help="fraction of the measurements kept out of the fit and "
                                  "only scored (e.g. 0.2)", callback=FRACTION),
    position_sigma: float = typer.Option(1e-4, "--position-sigma", help="measurement noise of positions (m); "
                                         "weighs the residuals", callback=POSITIVE),
    rotation_sigma: float = typer.Option(5e-4, "--rotation-sigma", help="measurement noise of rotations (rad)",
                                         callback=POSITIVE),
    loss: str = typer.Option("linear", "--loss", help="linear, soft_l1 or huber (the last two resist outliers)"),
    seed: int = seed_option("seed of the --holdout split (0 .. 4294967295)"),
) -> None:
    """Identify joint-zero offsets and joint-origin errors from measured poses; write a calibrated URDF."""
    from iklearn._io import check_writable
    from iklearn.calibration import calibrate, write_calibrated_urdf, write_residuals_csv
    from iklearn.data.measured import read_measurements
    from iklearn.robot import load_robot
    from iklearn.robot.catalogue import CATALOGUE

    if loss not in ("linear", "soft_l1", "huber"):
        raise IKLearnError(f"--loss must be linear, soft_l1 or huber, got {loss!r}")
    check_writable(out)
    if residuals is not None:
        check_writable(residuals)
        if Path(residuals).resolve() == Path(out).resolve():
            raise IKLearnError("--residuals and --out name the same file")
    chain = load_robot(robot, base, tip)
    source = None if (robot in CATALOGUE and base is None and tip is None) else robot
    m = read_measurements(data, chain.dof)
    res = calibrate(chain, m.q, m.poses, position_sigma=position_sigma, rotation_sigma=rotation_sigma,
                    holdout=holdout, loss=loss, seed=seed)
    tip_link = write_calibrated_urdf(res, out, source)
    if residuals is not None:
        write_residuals_csv(res, residuals, rows=m.rows)
    med = res.medians()
    typer.echo(f"{len(m)} measurements used, {m.skipped.size} rows skipped (empty/NaN/inf cells)"
               + (f", {res.meta['n_holdout']} held out" if res.meta["n_holdout"] else ""))
    typer.echo(f"identified {len(res.parameters)} of {res.meta['n_identifiable']} identifiable parameters; "
               f"{len(res.unidentifiable)} others are not identifiable and merge into kept ones: "
               + ", ".join(f"{k} (into {' + '.join(v) or 'nothing: no effect'})"
                           for k, v in res.unidentifiable.items()))
    if res.not_excited:
        typer.echo("not excited by these measurements (left at their nominal values): "
                   + ", ".join(res.not_excited))
    typer.echo(f"median residual, fit: position {_mm(med['fit_before_position'])} -> {_mm(med['fit_after_position'])}, "
               f"rotation {_mrad(med['fit_before_rotation'])} -> {_mrad(med['fit_after_rotation'])}")
    if "holdout_after_position" in med:
        typer.echo(f"median residual, held out: position {_mm(med['holdout_before_position'])} -> "
                   f"{_mm(med['holdout_after_position'])}, rotation {_mrad(med['holdout_before_rotation'])} -> "
                   f"{_mrad(med['holdout_after_rotation'])}")
    typer.echo(f"wrote {out} (base {chain.base_link}, tip {tip_link})"
               + (f" and {residuals}" if residuals is not None else ""))


def register(app: typer.Typer, groups: dict[str, typer.Typer]) -> None:
    """Add ``iklearn calibrate`` to the top-level app."""
    app.command("calibrate")(calibrate_cmd)
