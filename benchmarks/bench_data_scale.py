"""Datasets at scale (issue 20): streamed parts against the in-memory path, the Ray engine against the local one.

Every measurement runs the real command in a fresh process under ``/usr/bin/time -v`` (wall time and peak
RSS of that process; Ray's worker processes are separate and not in the driver's RSS):

* ``in-memory``: ``generate_dataset(robot, n)`` without ``out`` (every chunk kept, then concatenated), and
  ``in-memory + 1 file``: the same plus one zstd Parquet file written as iklearn 0.1 did (pyarrow defaults,
  dictionary encoding on) -- what ``iklearn data generate`` did before datasets were streamed;
* ``streamed, local``: ``iklearn data generate --n N --out DIR`` (parts written as they are computed);
* ``streamed, ray``: the same with ``--engine ray`` (a local Ray instance started by the command, start-up
  included in its time);
* the ray and local directories compared file by file (same bytes = same rows), and a local run interrupted
  with SIGINT after a third of its parts, resumed with ``--resume``, compared the same way.

    nice -n 5 python benchmarks/bench_data_scale.py [--n 2000000] [--ray-n 4000000] [--rss-n 20000000]

``--rss-n`` adds one streamed run of that size (peak RSS is the point; the directory is deleted after).
Targets: streamed rate >= 85 % of the in-memory rate; ray rate >= 80 % of local at ``--ray-n``; peak RSS of
the ``--rss-n`` run < 1.5 GB. Writes results/bench_data_scale.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CLI = [sys.executable, "-c", "from iklearn.cli import main; main()"]
IN_MEMORY = """
import sys, time
from iklearn.data.dataset import generate_dataset
ds = generate_dataset("panda", int(sys.argv[1]), chunk_size=int(sys.argv[2]))
if len(sys.argv) > 3:  # iklearn 0.1's single file: reachable flag, zstd with pyarrow's defaults
    import numpy as np, pyarrow as pa, pyarrow.parquet as pq
    from iklearn.data import storage
    cols = storage.sample_columns(ds.q, ds.pose, ds.jacobian, ds.metrics)
    cols["reachable"] = np.ones(len(ds), bool)
    pq.write_table(pa.table(cols), sys.argv[3], compression="zstd", row_group_size=256 * 1024)
"""


def timed(cmd: list[str], **kw) -> dict:
    """Run ``cmd`` under /usr/bin/time -v; wall seconds and peak RSS (MiB) of that process."""
    t = time.perf_counter()
    r = subprocess.run(["/usr/bin/time", "-v", *cmd], capture_output=True, text=True, **kw)
    wall = time.perf_counter() - t
    if r.returncode != 0:
        raise SystemExit(f"failed ({r.returncode}): {' '.join(cmd)}\n{r.stderr[-3000:]}")
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", r.stderr)
    return {"wall_s": round(wall, 2), "peak_rss_mib": round(int(rss.group(1)) / 1024, 1) if rss else None}


def same_files(a: Path, b: Path) -> bool:
    names = sorted(f.name for f in a.iterdir())
    return names == sorted(f.name for f in b.iterdir()) and all(
        (a / f).read_bytes() == (b / f).read_bytes() for f in names)


def interrupted_and_resumed(n: int, chunk: int, out: Path) -> dict:
    """SIGINT once a third of the parts are finished, then --resume."""
    args = [*CLI, "data", "generate", "--robot", "panda", "--n", str(n), "--chunk-size", str(chunk), "--quiet",
            "--out", str(out)]
    # SIGINT at its default in the child: started from a background job, it would inherit SIGINT ignored
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    man = Path(f"{out}.partial") / "_manifest.json"
    want = max(1, -(-n // chunk) // 3)
    while proc.poll() is None:
        if man.exists() and man.read_text().count('"index"') >= want:
            proc.send_signal(signal.SIGINT)
            break
        time.sleep(0.05)
    _, err = proc.communicate(timeout=600)
    kept = len(list(Path(f"{out}.partial").glob("part-*")))
    r = subprocess.run([*args, "--resume"], capture_output=True, text=True, timeout=3600)
    return {"exit_on_sigint": proc.returncode, "parts_kept": kept, "resume_exit": r.returncode,
            "stderr_on_sigint": err.strip().splitlines()[-2:]}


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=2_000_000, help="samples for in-memory vs streamed and the equality checks")
    ap.add_argument("--ray-n", type=int, default=4_000_000, help="samples for ray vs local")
    ap.add_argument("--rss-n", type=int, default=0, help="one streamed run of this size for peak RSS (0: skip)")
    ap.add_argument("--chunk", type=int, default=100_000)
    ap.add_argument("--dir", type=Path, default=None, help="scratch directory (default: a temporary one)")
    ap.add_argument("--out", type=Path, default=Path("results/bench_data_scale.json"))
    args = ap.parse_args(argv)
    scratch = Path(tempfile.mkdtemp(prefix="bench_data_scale_", dir=args.dir))
    rec: dict = {"n": args.n, "ray_n": args.ray_n, "chunk_size": args.chunk}
    args.out.parent.mkdir(parents=True, exist_ok=True)

    def timed_step(key: str, cmd: list[str]) -> dict:  # each figure is saved as soon as it is measured
        rec[key] = timed(cmd)
        args.out.write_text(json.dumps(rec, indent=2))
        print(f"  {key}: {rec[key]}", flush=True)
        return rec[key]

    try:
        subprocess.run([*CLI, "data", "generate", "--robot", "panda", "--n", "1000", "--out", str(scratch / "warm"),
                        "--quiet"], check=True, capture_output=True)  # numba's cache filled before any timing
        gen = [*CLI, "data", "generate", "--robot", "panda", "--chunk-size", str(args.chunk), "--quiet"]
        n = str(args.n)
        timed_step("in_memory", [sys.executable, "-c", IN_MEMORY, n, str(args.chunk)])
        timed_step("in_memory_one_file", [sys.executable, "-c", IN_MEMORY, n, str(args.chunk), str(scratch / "old.parquet")])
        timed_step("streamed_local", [*gen, "--n", n, "--out", str(scratch / "local")])
        timed_step("streamed_ray", [*gen, "--n", n, "--out", str(scratch / "ray"), "--engine", "ray"])
        rec["ray_equals_local"] = same_files(scratch / "ray", scratch / "local")
        print(f"  ray files == local files: {rec['ray_equals_local']}", flush=True)
        shutil.rmtree(scratch / "ray")
        rec["sigint_resume"] = interrupted_and_resumed(args.n, args.chunk, scratch / "resumed")
        # only an interrupt that happened (exit 130, some parts kept) makes the comparison mean anything
        interrupted = rec["sigint_resume"]["exit_on_sigint"] == 130 and rec["sigint_resume"]["parts_kept"] > 0
        rec["resumed_equals_local"] = interrupted and same_files(scratch / "resumed", scratch / "local")
        print(f"  SIGINT + --resume files == local files: {rec['resumed_equals_local']} {rec['sigint_resume']}", flush=True)
        args.out.write_text(json.dumps(rec, indent=2))
        for d in ("resumed", "local", "old.parquet"):
            shutil.rmtree(scratch / d, ignore_errors=True) if (scratch / d).is_dir() else (scratch / d).unlink()
        rn = str(args.ray_n)
        timed_step("ray_n_local", [*gen, "--n", rn, "--out", str(scratch / "l4")])
        shutil.rmtree(scratch / "l4")
        timed_step("ray_n_ray", [*gen, "--n", rn, "--out", str(scratch / "r4"), "--engine", "ray"])
        shutil.rmtree(scratch / "r4")
        if args.rss_n:
            rec["rss_run"] = {"n": args.rss_n, **timed_step("rss_run", [*gen, "--n", str(args.rss_n), "--out", str(scratch / "big")])}
            rec["rss_run"]["disk_gib"] = round(sum(f.stat().st_size for f in (scratch / "big").iterdir()) / 2**30, 2)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    def rate(key, n):
        return n / rec[key]["wall_s"] * 60

    rec["per_minute"] = {k: round(rate(k, args.n)) for k in ("in_memory", "in_memory_one_file", "streamed_local",
                                                           "streamed_ray")}
    rec["per_minute"].update({f"{k}_{args.ray_n}": round(rate(k, args.ray_n)) for k in ("ray_n_local", "ray_n_ray")})
    rec["streamed_vs_in_memory"] = round(rate("streamed_local", args.n) / rate("in_memory", args.n), 3)
    rec["streamed_vs_in_memory_one_file"] = round(rate("streamed_local", args.n) / rate("in_memory_one_file", args.n), 3)
    rec["ray_vs_local"] = round(rate("ray_n_ray", args.ray_n) / rate("ray_n_local", args.ray_n), 3)
    if "rss_run" in rec:
        rec["per_minute"]["rss_run"] = round(args.rss_n / rec["rss_run"]["wall_s"] * 60)
        rec["rss_run_vs_in_memory"] = round(rec["per_minute"]["rss_run"] / rec["per_minute"]["in_memory"], 3)
    rec["machine"] = {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count(),
                      "load_avg_at_end": os.getloadavg()}
    print(f"Panda datasets, chunks of {args.chunk:,}; rates in samples/min (wall time of the whole command)")
    for k, v in rec["per_minute"].items():
        src = rec.get(k) or rec.get(k.rsplit("_", 1)[0]) or rec.get("rss_run", {})
        print(f"  {k:<28}{v:>14,}   peak RSS {src.get('peak_rss_mib')} MiB")
    print(f"streamed / in-memory rate   {rec['streamed_vs_in_memory']:.3f}   (target >= 0.85; vs iklearn 0.1's "
          f"in-memory + file: {rec['streamed_vs_in_memory_one_file']:.3f})")
    print(f"ray / local rate at {args.ray_n:,}   {rec['ray_vs_local']:.3f}   (target >= 0.80)")
    print(f"ray files == local files: {rec['ray_equals_local']}; SIGINT + --resume files == local files: "
          f"{rec['resumed_equals_local']} ({rec['sigint_resume']})")
    if "rss_run" in rec:
        print(f"{args.rss_n:,} samples streamed: peak RSS {rec['rss_run']['peak_rss_mib']} MiB (target < 1536), "
              f"{rec['rss_run']['disk_gib']} GiB on disk, rate / in-memory {rec['rss_run_vs_in_memory']:.3f}")
    args.out.write_text(json.dumps(rec, indent=2))
    return rec


if __name__ == "__main__":
    main()
