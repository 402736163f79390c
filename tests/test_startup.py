"""Fast start: ``import iklearn`` and ``iklearn --help`` load none of the heavy libraries (checked in a fresh
interpreter; the time they take is measured in ``benchmarks/bench_startup.py``, not asserted here)."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("numba", "torch", "scipy.spatial", "matplotlib", "sklearn")


def _loaded(code: str) -> list[str]:
    probe = f"import sys\n{code}\nprint('LOADED=' + ','.join(m for m in {HEAVY + ('numpy',)!r} if m in sys.modules))"
    p = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    line = [x for x in p.stdout.splitlines() if x.startswith("LOADED=")][-1]
    return [m for m in line[len("LOADED="):].split(",") if m]


def test_import_iklearn_loads_no_heavy_library():
    assert _loaded("import iklearn") == []
    # touching a name loads what it needs and no more: a robot needs NumPy, but neither numba nor SciPy
    assert _loaded("import iklearn; iklearn.load_robot('panda'); iklearn.Chain") == ["numpy"]


def test_help_loads_no_heavy_library_and_not_numpy():
    code = "from iklearn.cli import main\nsys.argv = ['iklearn', '--help']\ntry:\n    main()\nexcept SystemExit:\n    pass"
    assert _loaded(code) == []
