"""Fast start: ``import iklearn`` and ``iklearn --help`` load none of the heavy libraries (checked in a fresh
interpreter; the time they take is measured in ``benchmarks/bench_startup.py``, not asserted here)."""

from __future__ import annotations

import subprocess
from pathlib import Path
import sys

HEAVY = ("numba", "torch", "scipy.spatial", "matplotlib", "sklearn")


def _loaded(code: str, modules: tuple[str, ...] = HEAVY + ("numpy",)) -> list[str]:
    probe = f"import sys\n{code}\nprint('LOADED=' + ','.join(m for m in {modules!r} if m in sys.modules))"
    p = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=600)  # a cold numba cache compiles
    assert p.returncode == 0, p.stderr
    line = [x for x in p.stdout.splitlines() if x.startswith("LOADED=")][-1]
    return [m for m in line[len("LOADED="):].split(",") if m]


def test_import_iklearn_loads_no_heavy_library():
    assert _loaded("import iklearn") == []
    # touching a name loads what it needs and no more: a robot needs NumPy, but neither numba nor SciPy
    assert _loaded("import iklearn; iklearn.load_robot('panda'); iklearn.Chain") == ["numpy"]


def test_one_target_solve_loads_neither_scipy_spatial_nor_rich(tmp_path):
    # the CLI's own path for a small CSV: reading poses, solving and writing need numba, not SciPy's rotations
    # nor a progress bar (each ~0.1-0.6 s to import)
    t, out = tmp_path / "t.csv", tmp_path / "o.csv"
    t.write_text("x,y,z,qx,qy,qz,qw\n0.4,0.1,0.5,1,0,0,0\n")
    code = (f"from iklearn.cli import main\nsys.argv = ['iklearn', 'solve', '--robot', 'panda', '--targets', "
            f"{str(t)!r}, '--out', {str(out)!r}]\ntry:\n    main()\nexcept SystemExit:\n    pass")
    assert _loaded(code, ("scipy.spatial", "rich.progress", "rich.console", "torch")) == []
    assert out.read_text().count("\n") == 2  # header and the one solution


def test_help_loads_no_heavy_library_and_not_numpy():
    code = "from iklearn.cli import main\nsys.argv = ['iklearn', '--help']\ntry:\n    main()\nexcept SystemExit:\n    pass"
    assert _loaded(code) == []


def test_plain_option_coercion_matches_typer(tmp_path, monkeypatch):
    # iklearn.cli._coerce converts plain option values without pydantic; for every option of every command and
    # a spread of values (good and bad) it must give what typer's own coercion gives, or the same error
    import typer.main
    from typer._click.core import Context
    from typer._coercion import build_runtime_param

    from iklearn.cli import app

    monkeypatch.chdir(tmp_path)
    (tmp_path / "exists.csv").write_text("x\n")
    (tmp_path / "adir").mkdir()
    samples = {
        str: ["abc", "", " 1 ", "-"],
        int: ["5", "-3", "+7", "007", "abc", "1.5", " 5", "1_000", "", "1e3", 4],
        float: ["1e-6", "0.5", ".5", "5.", "-2", "+1E+3", "inf", "nan", "abc", "1_0", "", " 2", 3, 2.5],
        Path: ["x.csv", "exists.csv", "adir", "", "-"],
    }
    cli = typer.main.get_command(app)
    seen = 0

    def outcome(fn, value, param, ctx):
        try:
            v = fn().coerce(value, param=param, ctx=ctx)
            return ("ok", type(v).__name__, repr(v))
        except Exception as exc:  # noqa: BLE001 - compared, not hidden
            return ("error", type(exc).__name__, getattr(exc, "format_message", lambda: str(exc))())

    def walk(cmd):
        nonlocal seen
        ctx = Context(cmd)
        for p in cmd.params:
            kind = p.type_descriptor.annotation
            item = kind.__args__[0] if getattr(kind, "__origin__", None) is list else kind
            values = [p.default, None] + samples.get(item, [])
            if item is not kind:
                values = [p.default, None, ()] + [(v,) for v in samples.get(item, [])] + [("a", "b")]
            for v in values:
                ours = outcome(p.get_runtime_param, v, p, ctx)
                theirs = outcome(lambda: build_runtime_param(p.type_descriptor), v, p, ctx)
                assert ours == theirs, (cmd.name, p.name, v)
                seen += 1
        for sub in getattr(cmd, "commands", {}).values():
            walk(sub)

    walk(cli)
    assert seen > 500


def test_kernels_start_without_scipy_linalg():
    # numba's BLAS check at target start-up would import all of scipy.linalg; iklearn._fast_blas loads only
    # cython_blas, and a later import of scipy.linalg still gets its cython_blas attribute and works
    code = ("import numpy as np, iklearn\nfrom iklearn.kinematics import fk\n"
            "fk(iklearn.load_robot('panda'), np.zeros((2, 7)))\n"
            "assert 'scipy.linalg.cython_blas' in sys.modules\n"
            "print('BEFORE=' + str('scipy.linalg' in sys.modules))\n"
            "import numba\nf = numba.njit(lambda a: np.dot(a, a))\nassert f(2 * np.eye(3))[0, 0] == 4.0\n"
            "import scipy.linalg\nassert scipy.linalg.cython_blas is sys.modules['scipy.linalg.cython_blas']\n"
            "assert scipy.linalg.inv(2 * np.eye(2))[0, 0] == 0.5")
    p = subprocess.run([sys.executable, "-c", "import sys\n" + code], capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr
    assert "BEFORE=False" in p.stdout
