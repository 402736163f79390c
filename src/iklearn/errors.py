"""User-facing error hierarchy.

Every error a user can cause derives from :class:`IKLearnError`, so callers (and the CLI) can catch one type
and print one line. An unreachable IK target is *not* an error: solvers return ``success=False``.
"""

from __future__ import annotations


class IKLearnError(Exception):
    """Base class of every error caused by user input."""


class ShapeError(IKLearnError, ValueError):
    """An array has the wrong shape (the message names the expected one)."""


class NonFiniteError(IKLearnError, ValueError):
    """An input array contains NaN or inf."""


class UnknownRobotError(IKLearnError, KeyError):
    """A robot name is not in the built-in catalogue and is not a URDF path."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class URDFError(IKLearnError, ValueError):
    """A URDF file does not parse or describes no valid chain."""


class LinkNotFoundError(IKLearnError, ValueError):
    """A base or tip link does not exist, or the tip is not below the base."""


class InputDomainError(IKLearnError, ValueError):
    """An input lies where a model was never trained (e.g. another value in a column that was constant)."""


class ModelMismatchError(IKLearnError, ValueError):
    """A saved model was made for another robot, a newer format, or is corrupt."""


class DataFormatError(IKLearnError, ValueError):
    """A data file (CSV, Parquet) lacks columns, is from elsewhere or from a newer format."""


class OutOfRangeError(IKLearnError, ValueError):
    """A number is NaN or inf, out of its range, or not an integer where one is needed (a negative seed,
    a NaN tolerance, a negative timeout, zero bins); the message names the option and its range."""


class TooLargeError(IKLearnError, ValueError):
    """A request would need more memory or disk than there is; the message names the option and the limit."""


class OutputPathError(IKLearnError, OSError):
    """An output path cannot be written."""


class MissingExtraError(IKLearnError, ImportError):
    """An optional dependency is missing; the message names the extra to install."""


class NotFittedError(IKLearnError, RuntimeError):
    """A learned estimator was asked to predict or save before it was fitted (or loaded)."""


def require(module: str, extra: str):
    """Import an optional dependency lazily, or raise :class:`MissingExtraError` naming the extra."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise MissingExtraError(
            f"'{module}' is not installed; install it with: pip install 'iklearn[{extra}]'"
        ) from exc
