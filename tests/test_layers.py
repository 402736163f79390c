"""The layer order holds: no module imports from a layer above its own.

Every ``import`` in every module of ``src/iklearn`` counts, at module level, inside functions and under
``TYPE_CHECKING`` alike, and so does ``importlib.import_module("iklearn....")`` with a literal name.
The order (lowest first) is the one the README's layout section states.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "iklearn"

#: Lowest first. ``viewer`` draws robots, solvers and learned models, so it sits above estimators and
#: evaluation; experiments and the CLI may use it, nothing below may.
LAYERS = ("base", "robot", "kinematics", "solvers", "data", "calibration", "estimators", "evaluation", "viewer",
          "experiments", "cli")
#: Top-level modules of the base layer (they import nothing of iklearn but each other).
BASE = {"errors", "_io", "_validate", "_engine", "_fast_blas", "_jit"}
#: The package root is the public facade above every layer (its names load lazily); a lower module may
#: take only these from it, which it defines itself without importing any layer.
ROOT_NAMES = {"__version__", "IKLearnError"}


def layer_of(module: str) -> str | None:
    """The layer of a dotted ``iklearn`` module name; ``"root"`` for the package itself, None outside it."""
    parts = module.split(".")
    if parts[0] != "iklearn":
        return None
    if len(parts) == 1 or parts[1] in ROOT_NAMES:
        return "root"
    return "base" if parts[1] in BASE else parts[1]


def module_name(path: Path, src: Path = SRC) -> str:
    parts = list(path.relative_to(src.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path: Path, src: Path = SRC) -> list[tuple[int, str]]:
    """``(line, dotted module or module.name)`` for every iklearn import in ``path``, at any depth."""
    mod = module_name(path, src)
    package = mod.split(".") if path.name == "__init__.py" else mod.split(".")[:-1]
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = ".".join(package[: len(package) - node.level + 1] + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            out += [(node.lineno, f"{base}.{a.name}") for a in node.names]
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr == "import_module" and node.args
              and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            out.append((node.lineno, node.args[0].value))
    return [(line, name) for line, name in out if name.split(".")[0] == "iklearn"]


def upward_imports(src: Path = SRC) -> list[str]:
    bad = []
    for path in sorted(src.rglob("*.py")):
        mine = layer_of(module_name(path, src))
        if mine == "root":
            continue
        assert mine in LAYERS, f"{path}: module outside every layer; add its package to LAYERS"
        for line, name in imported(path, src):
            theirs = layer_of(name)
            if theirs == "root":
                if name.split(".")[1] not in ROOT_NAMES:
                    bad.append(f"{path.relative_to(src.parent)}:{line}: {name} (the package root, above every layer)")
                continue
            if theirs not in LAYERS or LAYERS.index(theirs) > LAYERS.index(mine):
                bad.append(f"{path.relative_to(src.parent)}:{line}: [{mine}] imports {name} [{theirs}]")
    return bad


def test_no_module_imports_from_a_higher_layer():
    bad = upward_imports()
    assert not bad, "upward imports:\n" + "\n".join(bad)


def test_every_package_has_a_layer():
    packages = {p.name for p in SRC.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    modules = {p.stem for p in SRC.glob("*.py")} - {"__init__"}
    assert packages <= set(LAYERS), f"packages without a layer: {sorted(packages - set(LAYERS))}"
    assert modules <= BASE, f"top-level modules without a layer: {sorted(modules - BASE)}"


@pytest.mark.parametrize("source, found", [
    ("from iklearn.kinematics.pose import pose_error\n", True),
    ("def f():\n    from iklearn.solvers import solve\n", True),
    ("import importlib\nimportlib.import_module('iklearn.data.labels')\n", True),
    ("from ..solvers import lm\n", True),
    ("from iklearn import solve\n", True),
    ("from iklearn import __version__\nfrom iklearn.errors import ShapeError\n", False),
])
def test_the_check_finds_an_upward_import(tmp_path, source, found):
    """The check itself can fail: a robot-layer module that imports from above is reported."""
    pkg = tmp_path / "iklearn"
    (pkg / "robot").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "robot" / "__init__.py").write_text("")
    (pkg / "robot" / "chain.py").write_text(source)
    assert bool(upward_imports(pkg)) is found


def test_omp_wait_policy_is_set_in_one_place():
    """``OMP_WAIT_POLICY`` is set once, by the package root that every iklearn module imports first."""
    setters = [str(p.relative_to(SRC.parent)) for p in sorted(SRC.rglob("*.py"))
               if 'environ.setdefault("OMP_WAIT_POLICY"' in p.read_text(encoding="utf-8")]
    assert setters == ["iklearn/__init__.py"], setters


def long_files_without_a_reason(root: Path, limit: int = 350) -> list[str]:
    """Modules over ``limit`` lines whose opening docstring does not say why (a sentence naming its lines)."""
    found = []
    for p in sorted(root.rglob("*.py")):
        text = p.read_text(encoding="utf-8")
        if text.count("\n") > limit and not re.search(r"\d+ lines", text[:text.find('"""', 3) + 3]):
            found.append(f"{p.relative_to(root.parent)} ({text.count(chr(10))} lines)")
    return found


def test_long_files_say_why():
    """Issue 17: no file over ~350 lines without a reason in its opening comment."""
    assert long_files_without_a_reason(SRC) == []


def test_the_length_check_can_fail(tmp_path):
    pkg = tmp_path / "iklearn"
    pkg.mkdir()
    (pkg / "long.py").write_text('"""A module."""\n' + "x = 1\n" * 400)
    (pkg / "ok.py").write_text('"""A module of ~400 lines on purpose."""\n' + "x = 1\n" * 400)
    assert long_files_without_a_reason(pkg) == ["iklearn/long.py (401 lines)"]
