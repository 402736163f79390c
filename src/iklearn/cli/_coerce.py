"""Option values of plain types converted without pydantic.

typer (0.2x) converts every option value, defaults included, through a pydantic ``TypeAdapter`` built on
first use: importing pydantic and building the adapters of one command costs about 0.3 s of CPU, a fifth of a
one-target ``iklearn solve``. :func:`install` makes typer's parameters convert the plain cases here, as its
adapters do: ``str`` (a ``str`` stays as it is), ``int`` (``int`` or a string of digits), ``float`` (a
number or a plain decimal string), ``Path`` (then typer's own path checks), lists of those. Anything else
(other types, bounds, custom parsers, a value these rules do not take such as ``--seed abc``) goes to
typer's coercion, so errors read exactly as before. ``tests/test_startup.py`` checks both agree.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

_INT = re.compile(r"[+-]?\d+")
_FLOAT = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_SKIP = object()  # "not a plain case": typer's own coercion decides


def _leaf(kind: Any, value: Any, info: Any, param: Any, ctx: Any) -> Any:
    if kind is str:
        return value if isinstance(value, str) else _SKIP
    if kind is int:
        if type(value) is int:
            return value
        return int(value) if isinstance(value, str) and _INT.fullmatch(value) else _SKIP
    if kind is float:
        if type(value) in (int, float):
            return float(value)
        return float(value) if isinstance(value, str) and _FLOAT.fullmatch(value) else _SKIP
    if kind is Path and isinstance(value, (str, Path)) and str(value) and info.path_type in (None, Path):
        from typer._param_types import coerce_cli_path

        return coerce_cli_path(Path(value), info, path_type=Path, param=param, ctx=ctx)
    return _SKIP


def _plain(param: Any, value: Any, ctx: Any) -> Any:
    """``value`` converted, or ``_SKIP`` when it is not a plain case."""
    desc = param.type_descriptor
    info = desc.parameter_info
    if (info.parser is not None or info.min is not None or info.max is not None or info.clamp
            or getattr(desc, "file_annotation", None) is not None):
        return _SKIP
    kind = desc.annotation
    if getattr(kind, "__origin__", None) is list:
        (item,) = kind.__args__
        if not isinstance(value, (list, tuple)) or not param.multiple:
            return _SKIP
        out = [_leaf(item, v, info, param, ctx) for v in value]
        return _SKIP if any(v is _SKIP for v in out) else out
    if param.multiple or param.nargs != 1:
        return _SKIP
    return _leaf(kind, value, info, param, ctx)


def install() -> None:
    """Route typer's parameter conversion through :func:`_plain` first (a no-op on a typer without the
    ``_TyperParameter.process_value`` / ``get_runtime_param`` pair this relies on)."""
    try:
        from typer.core import _TyperParameter
    except ImportError:
        return
    if getattr(_TyperParameter, "_iklearn_plain", False) or not hasattr(_TyperParameter, "get_runtime_param"):
        return
    original = _TyperParameter.get_runtime_param

    class _Runtime:
        """What ``get_runtime_param`` returns: plain values here, the rest to typer's (built on demand)."""

        __slots__ = ("param",)

        def __init__(self, param: Any) -> None:
            self.param = param

        def coerce(self, value: Any, param: Any, ctx: Any) -> Any:
            if value is None:  # as typer's RuntimeParam.coerce
                return () if (param.multiple or param.nargs == -1) else None
            out = _plain(param, value, ctx)
            if out is _SKIP:
                return original(self.param).coerce(value, param=param, ctx=ctx)
            return out

    def get_runtime_param(self):
        return _Runtime(self)

    _TyperParameter.get_runtime_param = get_runtime_param
    _TyperParameter._iklearn_plain = True
