"""Run inside fresh network, PID and mount namespaces (see test_ray_cluster.py): a two-node Ray cluster on
127.0.0.1, ``iklearn data generate --engine ray`` against it, one task process killed mid-run.

Usage: ``unshare --net --pid --fork --kill-child --mount-proc python ray_cluster_scenario.py OUT N CHUNK``.
Being PID 1 of its own namespace, this process takes every Ray process with it when it exits, whatever
happens; it still stops the cluster itself first. Prints one JSON line with what it saw.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PORT = 6380  # inside a private network namespace, nothing else listens here


def _pids(prefix: str) -> list[int]:
    """PIDs (in this namespace only) whose command line starts with ``prefix``."""
    r = subprocess.run(["pgrep", "-f", f"^{prefix}"], capture_output=True, text=True)
    return [int(x) for x in r.stdout.split()]


def _parent_cmdline(pid: int) -> str:
    r = subprocess.run(["ps", "-o", "ppid=", "-p", str(pid)], capture_output=True, text=True)
    ppid = r.stdout.strip()
    return subprocess.run(["ps", "-o", "args=", "-p", ppid], capture_output=True, text=True).stdout.strip()


def main(out: Path, n: int, chunk: int) -> dict:
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    ray = str(Path(sys.executable).parent / "ray")
    temp = tempfile.mkdtemp(prefix="rc", dir="/tmp")  # short: Ray's socket paths must fit in 107 bytes
    # token authentication, the token in the environment only (not in ~/.ray); HOME private too
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0", "RAY_AUTH_MODE": "token",
           "RAY_AUTH_TOKEN": secrets.token_hex(32), "HOME": temp}
    seen: dict = {"killed": None}
    t0 = time.monotonic()
    try:
        subprocess.run([ray, "start", "--head", f"--port={PORT}", "--num-cpus=0", "--include-dashboard=false",
                        "--disable-usage-stats", f"--temp-dir={temp}"], env=env, check=True, capture_output=True,
                       timeout=120)
        subprocess.run([ray, "start", f"--address=127.0.0.1:{PORT}", "--num-cpus=2", f"--temp-dir={temp}",
                        "--object-store-memory=300000000"],
                       env=env, check=True, capture_output=True, timeout=120)
        seen["cluster_up_s"] = round(time.monotonic() - t0, 1)
        gen = subprocess.Popen(
            [sys.executable, "-c", "from iklearn.cli import main; main()", "data", "generate", "--robot", "panda",
             "--n", str(n), "--chunk-size", str(chunk), "--out", str(out), "--engine", "ray",
             "--address", f"127.0.0.1:{PORT}", "--quiet"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True)
        manifest = Path(f"{out}.partial") / "_manifest.json"
        deadline = time.monotonic() + 180
        while gen.poll() is None and time.monotonic() < deadline and seen["killed"] is None:
            busy = _pids("ray::iklearn.part_bytes")
            if busy and manifest.exists() and '"index"' in manifest.read_text():
                parent = _parent_cmdline(busy[0])  # the worker node's raylet (the head has no CPUs)
                seen["parent"] = parent.split()[0] + (" --head" if " --head" in parent else "")
                os.kill(busy[0], signal.SIGKILL)
                seen["killed"] = busy[0]
                seen["parts_done_at_kill"] = manifest.read_text().count('"index"')
            time.sleep(0.05)
        stdout, stderr = gen.communicate(timeout=max(10.0, deadline - time.monotonic()))
        seen.update(generate_rc=gen.returncode, stdout=stdout[-2000:], stderr=stderr[-2000:])
        ss = subprocess.run(["ss", "-ltnH"], capture_output=True, text=True).stdout.split("\n")
        seen["listening"] = sorted({line.split()[3].rsplit(":", 1)[0] for line in ss if line.strip()})
        seen["wall_s"] = round(time.monotonic() - t0, 1)
    finally:
        subprocess.run([ray, "stop", "--force"], env=env, capture_output=True, timeout=60)
        subprocess.run(["rm", "-rf", temp])
    return seen


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]))))
