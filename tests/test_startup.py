"""Fast start: ``import iklearn`` and ``iklearn --help`` load none of the heavy libraries (checked in a fresh
interpreter; the time they take is measured in ``benchmarks/bench_startup.py``, not asserted here)."""

from __future__ import annotations

import subprocess
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
