"""``iklearn view``: the interactive 3D viewer in the browser (viser), served until Ctrl-C."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Optional

import typer

from iklearn.cli.core import ROBOT_HELP
from iklearn.errors import IKLearnError


def view_cmd(
    robot: str = typer.Option(..., "--robot", help=ROBOT_HELP),
    base: Optional[str] = typer.Option(None, "--base", help="base link (URDF)"),
    tip: Optional[str] = typer.Option(None, "--tip", help="tip link (URDF)"),
    urdf: Optional[Path] = typer.Option(None, "--urdf", help="URDF with visual meshes that describes --robot"),
    no_meshes: bool = typer.Option(False, "--no-meshes", help="draw capsules even where meshes exist"),
    method: str = typer.Option("lm", "--method", help="IK method solved live: lm, dls, sdls or analytic"),
    model: Optional[Path] = typer.Option(None, "--model", help="a saved learned model (.npz) to show"),
    path: Optional[Path] = typer.Option(None, "--path", help="targets CSV (x,y,z,qx,qy,qz,qw) to solve as a path"),
    host: str = typer.Option("127.0.0.1", "--host", help="address to serve on"),
    port: int = typer.Option(8080, "--port", help="port (0: any free port; a busy one moves to the next)"),
    seed: int = typer.Option(0, "--seed", help="random seed of the solver's restarts"),
    timeout: Optional[float] = typer.Option(None, "--timeout", help="stop serving after this many seconds"),
) -> None:
    """Serve an interactive 3D viewer: drag the target, IK follows; joint sliders; Ctrl-C stops it."""
    from iklearn.viewer import view

    if not 0 <= port <= 65535:
        raise IKLearnError(f"--port must be in 0..65535, got {port}")
    if timeout is not None and not timeout > 0:
        raise IKLearnError(f"--timeout must be a positive number of seconds, got {timeout}")
    if urdf is not None and not urdf.is_file():
        raise IKLearnError(f"--urdf: file not found: {urdf}")
    v = view(robot, base_link=base, tip_link=tip, urdf=urdf, meshes=not no_meshes, method=method, model=model,
             path=path, host=host, port=port, seed=seed)
    try:
        drawn = "meshes" if v.mesh is not None else "capsules"
        typer.echo(f"serving {v.chain.name} ({v.chain.dof} joints, {drawn}) on {v.url}  (Ctrl-C to stop)")
        deadline = None if timeout is None else time.monotonic() + timeout
        while deadline is None or time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        v.stop()


def register(app: typer.Typer, groups: dict[str, typer.Typer]) -> None:
    """Add ``iklearn view``."""
    app.command("view")(view_cmd)
