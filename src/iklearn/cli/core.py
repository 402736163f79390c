"""Top-level commands: ``iklearn robots``, ``iklearn fk`` (``iklearn solve`` is :mod:`iklearn.cli.solve`).

Only argument parsing and printing live here; every user mistake surfaces as an
:class:`~iklearn.errors.IKLearnError`, which ``iklearn.cli.main`` prints as one line with exit code 2.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer

from iklearn.errors import IKLearnError

if TYPE_CHECKING:  # NumPy loads when a command runs, not for --help
    import numpy as np

ROBOT_HELP = "built-in robot name (see `iklearn robots`) or a URDF file path"


def _chain(robot: str, base: Optional[str], tip: Optional[str]):
    from iklearn.robot import load_robot

    return load_robot(robot, base, tip)


def parse_numbers(text: str, flag: str, count: int, what: str) -> np.ndarray:
    """``count`` comma-separated numbers given to ``flag`` (``what`` they are, for the message)."""
    import numpy as np

    try:
        v = np.array([float(x) for x in text.replace(" ", "").split(",") if x != ""])
    except ValueError:
        raise IKLearnError(f"{flag} must be {count} comma-separated numbers ({what}), got {text!r}") from None
    if v.shape != (count,):
        raise IKLearnError(f"{flag} has {v.size} values; expected {count} ({what})")
    return v


def _parse_q(text: str, dof: int) -> np.ndarray:
    import numpy as np

    q = parse_numbers(text, "--q", dof, f"the robot has {dof} joints")
    if not np.isfinite(q).all():
        raise IKLearnError("--q contains NaN or inf")
    return q


def robots(
    name: Optional[str] = typer.Argument(None, help="show one robot: joints, limits, named poses"),
    base: Optional[str] = typer.Option(None, "--base", help="base link (URDF)"),
    tip: Optional[str] = typer.Option(None, "--tip", help="tip link (URDF)"),
) -> None:
    """List the built-in robots, or show one (a name or a URDF path, with --base/--tip for a URDF)."""
    from rich.table import Table

    from iklearn.cli._output import console
    from iklearn.robot import list_robots, load_robot

    con = console()
    if name is None and (base is not None or tip is not None):
        raise IKLearnError("--base/--tip choose links of one robot; give its URDF path, e.g. iklearn robots arm.urdf "
                           "--tip tool0")
    if name is None:
        t = Table(title="built-in robots")
        for c in ("name", "dof", "base", "tip", "reach (m)", "named poses"):
            t.add_column(c)
        for nm in list_robots():
            ch = load_robot(nm)
            t.add_row(nm, str(ch.dof), ch.base_link, ch.tip_link, f"{ch.reach():.3f}", ", ".join(ch.named_poses))
        con.print(t)
        return
    ch = load_robot(name, base, tip)
    con.print(f"[bold]{ch.name}[/bold]: {ch.dof} joints, {ch.base_link} -> {ch.tip_link}, reach <= {ch.reach():.3f} m")
    t = Table()
    for c in ("#", "joint", "type", "lower", "upper"):
        t.add_column(c)
    for i, jn in enumerate(ch.joint_names):
        kind = "revolute" if ch.joint_types[i] == 0 else "prismatic"
        t.add_row(str(i), jn, kind, f"{ch.lower[i]:.4f}", f"{ch.upper[i]:.4f}")
    con.print(t)
    for pn, q in ch.named_poses.items():
        con.print(f"  pose {pn}: [{', '.join(f'{v:.4f}' for v in q)}]")


def fk_cmd(
    robot: str = typer.Option(..., "--robot", help=ROBOT_HELP),
    base: Optional[str] = typer.Option(None, "--base", help="base link (URDF)"),
    tip: Optional[str] = typer.Option(None, "--tip", help="tip link (URDF)"),
    q: Optional[str] = typer.Option(None, "--q", help='joint values, e.g. "0.1,0.2,..." (rad / m)'),
    pose: Optional[str] = typer.Option(None, "--pose", help="a named pose of the robot"),
    input: Optional[Path] = typer.Option(None, "--input", help="CSV with columns q0..q{n-1}"),
    out: Optional[Path] = typer.Option(None, "--out", help="write poses x,y,z,qx,qy,qz,qw to this CSV"),
) -> None:
    """Forward kinematics: tip pose(s) x, y, z, qx, qy, qz, qw in the base frame."""
    from iklearn.data.csvio import POSE_COLUMNS, read_configurations_csv, write_poses_csv
    from iklearn.kinematics import fk_pose

    if sum(x is not None for x in (q, pose, input)) != 1:
        raise IKLearnError("give exactly one of --q, --pose, --input")
    if out is not None:
        from iklearn._io import check_writable

        check_writable(out)  # fail before any work
    ch = _chain(robot, base, tip)
    if q is not None:
        Q = _parse_q(q, ch.dof)[None]
    elif pose is not None:
        Q = ch.pose(pose)[None]
    else:
        Q = read_configurations_csv(input, ch.dof)
    P = fk_pose(ch, Q)
    if out is not None:
        write_poses_csv(out, P)
        typer.echo(f"wrote {P.shape[0]} poses to {out}")
        return
    typer.echo(",".join(POSE_COLUMNS))
    for row in P:
        typer.echo(",".join(f"{v:.9g}" for v in row))


def register(app: typer.Typer, groups: dict[str, typer.Typer]) -> None:
    """Add the core commands to the top-level app."""
    app.command("robots")(robots)
    app.command("fk")(fk_cmd)
