"""Cold start with warm caches: ``iklearn --help``, ``import iklearn`` and a one-target ``iklearn solve``, each
in a new process (the wall-clock time a user waits, and the CPU time, which a busy machine stretches less),
and which heavy modules ``import iklearn`` loads.

One untimed run of each command first fills numba's on-disk cache (only the first call after an install
compiles) and Python's bytecode cache (``PYTHONDONTWRITEBYTECODE`` is dropped for the commands: an installed
package has its ``.pyc`` files, and recompiling iklearn's sources in every process cost ~0.1-0.2 s here); then ``--repeats`` timed runs, interleaved; the median is reported. Targets (issue 18):
``iklearn --help`` <= 0.5 s, one-target ``iklearn solve`` <= 1.5 s, ``import iklearn`` without numba, torch,
scipy.spatial or matplotlib. Usage::

    python benchmarks/bench_startup.py [--repeats 7] [--out results]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HEAVY = ("numba", "torch", "scipy.spatial", "matplotlib")


def _iklearn_cmd() -> list[str]:
    exe = shutil.which("iklearn")
    # the console script of this interpreter's environment, else the same entry point through -c
    if exe and Path(exe).parent == Path(sys.executable).parent:
        return [exe]
    return [sys.executable, "-c", "import sys; from iklearn.cli import main; sys.argv[0] = 'iklearn'; main()"]


def main() -> None:
    import numpy as np

    load = os.getloadavg()[0]
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--out", type=Path, default=Path("results"))
    a = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="iklearn_startup_"))
    targets = tmp / "t.csv"
    targets.write_text("x,y,z,qx,qy,qz,qw\n0.4,0.1,0.5,1,0,0,0\n")
    ik = _iklearn_cmd()
    cmds = {
        "iklearn --help": ik + ["--help"],
        "python -c 'import iklearn'": [sys.executable, "-c", "import iklearn"],
        "python -c 'pass' (interpreter alone)": [sys.executable, "-c", "pass"],
        "iklearn solve, one target (panda)": ik + ["solve", "--robot", "panda", "--targets", str(targets), "--out",
                                                   str(tmp / "o.csv")],
    }
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    for c in cmds.values():  # fill the caches
        subprocess.run(c, check=True, capture_output=True, env=env)
    times = {k: [] for k in cmds}
    cpu = {k: [] for k in cmds}
    for _ in range(a.repeats):
        for k, c in cmds.items():
            r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.perf_counter()
            subprocess.run(c, check=True, capture_output=True, env=env)
            times[k].append(time.perf_counter() - t0)
            r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu[k].append(r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime)
    probe = ("import sys, iklearn; print(','.join(m for m in %r if m in sys.modules))" % (HEAVY,))
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.strip()
    goals = {"iklearn --help": 0.5, "iklearn solve, one target (panda)": 1.5}
    rows = []
    print(f"load average before: {load:.2f} (wall-clock time stretches with the load; CPU time less)")
    print(f"{'command':40s} {'median s':>9s} {'min s':>7s} {'median CPU s':>13s}  target (wall-clock)")
    for k, v in times.items():
        med = float(np.median(v))
        g = goals.get(k)
        verdict = "" if g is None else f"<= {g} s ({'met' if med <= g else 'NOT met'})"
        print(f"{k:40s} {med:9.3f} {min(v):7.3f} {float(np.median(cpu[k])):13.3f}  {verdict}")
        rows.append({"command": k, "argv": cmds[k], "median_s": med, "min_s": min(v), "runs_s": v,
                     "median_cpu_s": float(np.median(cpu[k])), "cpu_s": cpu[k], "target_s": g})
    print(f"heavy modules loaded by 'import iklearn': {loaded or 'none'} (of {', '.join(HEAVY)})")
    from iklearn.evaluation.record import machine_info, save_json

    path = save_json(a.out / "bench_startup.json", {"machine": machine_info(), "repeats": a.repeats, "rows": rows,
                                                    "import_iklearn_loads": loaded.split(",") if loaded else [],
                                                    "load_average_before": load})
    print(f"wrote {path}")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
