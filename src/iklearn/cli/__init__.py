"""The ``iklearn`` command line: parses arguments, calls the library, prints.

Each command group lives in its own module with a ``register(app, groups)`` function; a user mistake
(:class:`~iklearn.errors.IKLearnError`) prints one line and exits with code 2, never a traceback.
"""

from __future__ import annotations

import importlib
import sys

import typer

# plain help text: typer's rich help pulls in rich.markdown and markdown-it, which doubles the time of
# `iklearn --help` (measured here: 0.45 -> 0.23 s of CPU)
app = typer.Typer(
    name="iklearn",
    help="Learned and numerical inverse kinematics for serial robot arms.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,
)
groups: dict[str, typer.Typer] = {}
for _name, _help in (
    ("data", "Generate and inspect datasets."),
    ("bench", "Speed and accuracy benchmarks."),
    ("reproduce", "Reproduce the papers' experiments beside the published numbers."),
):
    groups[_name] = typer.Typer(help=_help, no_args_is_help=True, rich_markup_mode=None)
    app.add_typer(groups[_name], name=_name)

# one module per owner, so command groups can grow independently
_MODULES = ("core", "solve", "calibrate", "data", "bench", "reproduce", "view")
for _m in _MODULES:
    try:
        _mod = importlib.import_module(f"iklearn.cli.{_m}")
    except ModuleNotFoundError as _exc:
        if _exc.name != f"iklearn.cli.{_m}":
            raise
        continue
    _mod.register(app, groups)


def main() -> None:
    """Console entry point: run the app, turning user errors into one line and exit code 2."""
    from iklearn.errors import IKLearnError

    try:
        app(standalone_mode=False)
    except IKLearnError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)
    except Exception as exc:  # click's usage errors arrive here in non-standalone mode
        # typer vendors its own click, so match by interface rather than by class
        kind = type(exc).__name__
        if kind == "Exit":
            sys.exit(getattr(exc, "exit_code", 0))
        if kind == "Abort":
            typer.echo("aborted", err=True)
            sys.exit(130)
        if hasattr(exc, "format_message") and hasattr(exc, "exit_code"):
            typer.echo(f"error: {exc.format_message()}", err=True)
            sys.exit(2)
        raise
