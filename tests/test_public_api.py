"""The public API (``iklearn/__init__.py``): every exported name resolves, type checkers see the same names
(the ``TYPE_CHECKING`` imports), ``IKResult`` is among them, and every exported function is annotated."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import iklearn


def _type_checking_names() -> set[str]:
    tree = ast.parse(Path(iklearn.__file__).read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            for imp in node.body:
                names |= {a.asname or a.name for a in getattr(imp, "names", [])}
    return names


def test_every_exported_name_resolves_and_is_seen_by_type_checkers():
    for name in iklearn.__all__:
        assert getattr(iklearn, name) is not None
    assert set(iklearn.__all__) - {"IKLearnError", "__version__"} == _type_checking_names()
    from iklearn.solvers.result import IKResult

    assert "IKResult" in iklearn.__all__ and iklearn.IKResult is IKResult


def test_exported_functions_are_annotated():
    for name in iklearn.__all__:
        obj = getattr(iklearn, name)
        if inspect.isfunction(obj):
            sig = inspect.signature(obj)
            assert sig.return_annotation is not inspect.Signature.empty, f"{name} has no return annotation"
            missing = [p for p, v in sig.parameters.items()
                       if v.annotation is inspect.Parameter.empty and v.kind not in (v.VAR_KEYWORD, v.VAR_POSITIONAL)]
            assert not missing, f"{name}: parameters without annotation {missing}"
