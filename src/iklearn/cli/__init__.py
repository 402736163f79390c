"""The ``iklearn`` command line: parses arguments, calls the library, prints.

Each command group lives in its own module with a ``register(app, groups)`` function; a user mistake
(:class:`~iklearn.errors.IKLearnError`) prints one line and exits with code 2, never a traceback.
"""

from __future__ import annotations

import importlib
import sys

import typer

from iklearn.cli import _coerce

_coerce.install()  # plain option values without pydantic (~0.3 s of every command; see _coerce)

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
_MODULES = ("core", "solve", "calibrate", "train", "data", "bench", "reproduce", "view")
for _m in _MODULES:
    try:
        _mod = importlib.import_module(f"iklearn.cli.{_m}")
    except ModuleNotFoundError as _exc:
        if _exc.name != f"iklearn.cli.{_m}":
            raise
        continue
    _mod.register(app, groups)


def _version(value: bool) -> None:
    if value:
        from iklearn import __version__

        typer.echo(f"iklearn {__version__}")
        raise typer.Exit()


#: commands that run numba kernels (the others print no compile note and need not import numba)
_COMPUTING = {"fk", "solve", "calibrate", "workspace", "data", "bench", "reproduce"}


@app.callback()
def _root(
    ctx: typer.Context,
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Print the version and exit."),
) -> None:
    """Learned and numerical inverse kinematics for serial robot arms."""
    if ctx.invoked_subcommand in _COMPUTING and "--help" not in sys.argv:  # help needs no numba
        from iklearn.cli._output import announce_compilation

        announce_compilation()
    if ctx.invoked_subcommand == "solve":  # a few targets solve interpreted before numba would load (_jit)
        from iklearn import _jit

        _jit.allow_interpreted()


def _exit_now(code: int) -> None:
    """Exit at once after an interrupt: run the atexit handlers (temp directories, worker pools) and flush,
    but skip tearing down the hundreds of loaded modules (about a second with numba and scipy loaded),
    so Ctrl-C ends the process promptly. Files being written were already cleaned up while unwinding."""
    import atexit
    import os

    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)


#: seconds the cleanup after Ctrl-C may take before the process ends anyway
_FORCE_EXIT_S = 5.0


def _install_interrupt_handler() -> None:
    """Ctrl-C raises KeyboardInterrupt as usual, and also arms a timer: should the cleanup hang (a lock, a
    thread that does not end), the process still ends with 130. A SIGINT that the parent ignores (a background
    job of a non-interactive shell) stays ignored."""
    import os
    import signal
    import threading

    if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        return

    def force() -> None:
        from iklearn.cli._output import interrupt_message

        os.write(2, (interrupt_message() + " (cleanup did not finish)\n").encode())
        os._exit(130)

    def on_sigint(signum, frame):
        timer = threading.Timer(_FORCE_EXIT_S, force)
        timer.daemon = True
        timer.start()
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, on_sigint)


def main() -> None:
    """Console entry point: the one place where every way a command can end becomes an exit status.

    A user mistake (:class:`~iklearn.errors.IKLearnError`, a usage error) prints one ``error:`` line and exits
    with 2; Ctrl-C prints one ``interrupted`` line (with how to resume, where a command says so) and exits
    with 130; no traceback either way. Bare ``iklearn`` prints the help and exits with 0.
    """
    from iklearn.cli._output import interrupt_message, stop_announcing
    from iklearn.errors import IKLearnError

    _install_interrupt_handler()
    try:
        try:
            rc = app(standalone_mode=False)
        finally:
            stop_announcing()
            jit = sys.modules.get("iklearn._jit")  # (not imported for --help: it loads numpy)
            if jit is not None:
                jit.allow_interpreted(False)  # in-process callers (tests) go on with compiled kernels
    except IKLearnError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        rc = 130
    except Exception as exc:  # click's usage errors arrive here in non-standalone mode
        # typer vendors its own click, so match by interface rather than by class
        kind = type(exc).__name__
        if kind == "NoArgsIsHelpError":  # bare `iklearn` or a group without its command: just the help
            typer.echo(exc.format_message())
            sys.exit(0)
        if kind == "Abort":  # click turns EOF on a prompt into Abort
            typer.echo("aborted", err=True)
            sys.exit(1)
        if hasattr(exc, "format_message") and hasattr(exc, "exit_code"):
            typer.echo(f"error: {exc.format_message()}", err=True)
            sys.exit(2)
        raise
    # in non-standalone mode typer turns KeyboardInterrupt into Exit(130) and returns its code
    if rc == 130:
        typer.echo(interrupt_message(), err=True)
        _exit_now(130)
    if isinstance(rc, int) and rc:
        sys.exit(rc)
