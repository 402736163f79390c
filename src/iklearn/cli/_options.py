"""The CLI's numeric options, each checked once, as it is parsed, by :func:`iklearn._validate.check_number`.

A bad value ends the command before any work with one line naming the option as typed (``--seed``) and its
range. Sizes that depend on the robot (memory, disk) are checked in the commands, before allocation.
"""

from __future__ import annotations

from typing import Any, Callable

import typer


def checked(*, low: float | None = None, high: float | None = None, low_open: bool = False,
            high_open: bool = False, integer: bool = False) -> Callable[[typer.CallbackParam, Any], Any]:
    """A typer callback checking the option's value (None, an unset optional option, passes)."""

    def callback(param: typer.CallbackParam, value: Any) -> Any:
        if value is None:
            return None
        from iklearn._validate import check_number  # NumPy only once a command runs, not for --help

        return check_number(value, param.opts[0], low=low, high=high, low_open=low_open, high_open=high_open,
                            integer=integer)

    return callback


def SEED(param: typer.CallbackParam, value: Any) -> Any:
    """``--seed``: an integer in 0 .. 2**32 - 1 (:func:`iklearn._validate.check_seed`); None (unset) passes."""
    if value is None:
        return None
    from iklearn._validate import check_seed

    return check_seed(value, param.opts[0])


#: a count of samples / targets (``--n``, ``--chunk-size``): at least 1
COUNT = checked(low=1, integer=True)
#: a tolerance or a time (``--tol-position``, ``--peer-timeout``): finite and > 0
POSITIVE = checked(low=0.0, low_open=True)
#: a share of the data (``--holdout``): 0 <= x < 1
FRACTION = checked(low=0.0, high=1.0, high_open=True)
#: grid cells per axis of a workspace slice: below 2 there is no map; above 1000 the figure cannot show them
BINS = checked(low=2, high=1000, integer=True)


def seed_option(help: str = "random seed (0 .. 4294967295)") -> Any:
    """The ``--seed`` option every command shares."""
    return typer.Option(0, "--seed", help=help, callback=SEED)
