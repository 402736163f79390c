"""A real two-node Ray cluster: head + one worker node started with ``ray start`` on 127.0.0.1.

``iklearn data generate --engine ray --address 127.0.0.1:PORT`` runs against it while one of the worker
node's task processes is killed (SIGKILL) mid-run; Ray re-runs that task, and the dataset must be complete,
correct (FK of every row) and equal, file for file, to the local engine's.

The cluster runs inside fresh network, PID and mount namespaces (``unshare``, needs root, as CI has): its
only network is a private loopback, so nothing it opens is reachable from outside even in principle, and
killing the namespace's first process (on exit or on the time limit) stops every Ray process it started.
About a minute on 2 cores, so it is marked ``cluster`` and run by ``.ci/run`` after the default suite.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("ray")

from iklearn.data.dataset import load_dataset  # noqa: E402
from iklearn.data.generate import write_dataset  # noqa: E402
from iklearn.kinematics import fk_pose, jacobian  # noqa: E402
from iklearn.robot import load_robot  # noqa: E402

NS = ["unshare", "--net", "--pid", "--fork", "--kill-child", "--mount-proc"]
N, CHUNK = 200_000, 10_000


def _namespaces_available() -> bool:
    try:
        return subprocess.run([*NS, "true"], capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@pytest.mark.cluster
@pytest.mark.timeout(900)
def test_data_generate_on_a_two_node_cluster_with_a_killed_worker(tmp_path):
    if not _namespaces_available():
        if os.environ.get("CI") == "true":
            pytest.fail("CI must be able to create network/PID namespaces (unshare) to run the cluster test")
        pytest.skip("needs `unshare` with network and PID namespaces (root)")
    out = tmp_path / "ray.parquet"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).parents[1] / "src"),
                                                        os.environ.get("PYTHONPATH", "")])}
    scenario = Path(__file__).with_name("ray_cluster_scenario.py")
    r = subprocess.run([*NS, sys.executable, str(scenario), str(out), str(N), str(CHUNK)], env=env,
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    seen = json.loads(r.stdout.strip().splitlines()[-1])
    print({k: v for k, v in seen.items() if k not in ("stdout", "stderr")})
    assert seen["generate_rc"] == 0, seen["stderr"]
    assert seen["killed"] is not None and "raylet" in seen["parent"] and "--head" not in seen["parent"]
    assert seen["listening"] and set(seen["listening"]) <= {"127.0.0.1", "[::ffff:127.0.0.1]"}, seen["listening"]
    assert f"{N:,} samples" in seen["stdout"]

    panda = load_robot("panda")
    ds = load_dataset(out)  # every part checked against its checksum
    assert len(ds) == N
    np.testing.assert_allclose(ds.pose, fk_pose(panda, ds.q), rtol=0, atol=1e-12)
    np.testing.assert_allclose(ds.jacobian[::97], jacobian(panda, ds.q[::97]), rtol=0, atol=1e-12)
    write_dataset(panda, N, tmp_path / "local.parquet", chunk_size=CHUNK)
    names = sorted(f.name for f in (tmp_path / "local.parquet").iterdir())
    assert names == sorted(f.name for f in out.iterdir()) and len(names) == N // CHUNK + 1
    for f in names:
        assert (out / f).read_bytes() == (tmp_path / "local.parquet" / f).read_bytes(), f
