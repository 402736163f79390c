"""The Ray engine against the local one, on a local Ray instance (127.0.0.1 only, 2 CPUs).

One test function starts one instance for every check (Ray takes seconds to start and hundreds of MB per
worker on this 2-core machine); the instance is stopped when the block exits, whether the checks pass or not.
The two-node cluster with a killed worker is tests/test_ray_cluster.py (run by .ci/run).
"""

from __future__ import annotations

import contextlib
import importlib.util
import sys

import numpy as np
import pytest

if importlib.util.find_spec("ray") is None:  # not imported here: iklearn must be the first to import it
    pytest.skip("needs the 'distributed' extra (ray)", allow_module_level=True)

from iklearn._engine import EngineError, map_tasks, ray_runtime  # noqa: E402
from iklearn.data.dataset import load_dataset  # noqa: E402
from iklearn.data.generate import part_bytes, write_dataset  # noqa: E402
from iklearn.data.sampling import DataArgumentError  # noqa: E402
from iklearn.evaluation.record import ExperimentResult  # noqa: E402
from iklearn.experiments.runner import run_all  # noqa: E402
from iklearn.kinematics import fk_pose  # noqa: E402
from iklearn.robot import load_robot  # noqa: E402
from iklearn.solvers.chunked import solve_chunked  # noqa: E402


@pytest.mark.timeout(600)
def test_ray_engine_gives_what_the_local_engine_gives(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))  # were ray imported already, Ray would write ~/.ray/auth_token
    panda = load_robot("panda")
    kw = dict(seed=3, chunk_size=2_000, labels=("conditioning",))
    with contextlib.ExitStack() as stack:
        try:
            r = stack.enter_context(ray_runtime(num_cpus=2))
        except EngineError as exc:  # Ray gives a new node 30 s (fixed) to register; at load 30 it can miss that
            if "timed out during startup" in str(exc):
                pytest.skip(f"this machine is too busy for Ray to start: {exc}")
            raise
        assert {n["NodeManagerAddress"] for n in r.nodes()} == {"127.0.0.1"}
        # datasets: the same files, byte for byte (manifest included), whichever engine made them
        write_dataset(panda, 9_000, tmp_path / "ray", engine="ray", **kw)
        write_dataset(panda, 9_000, tmp_path / "local", **kw)
        files = sorted(f.name for f in (tmp_path / "local").iterdir())
        assert files == sorted(f.name for f in (tmp_path / "ray").iterdir()) and len(files) == 7
        for f in files:
            assert (tmp_path / "ray" / f).read_bytes() == (tmp_path / "local" / f).read_bytes(), f
        ds = load_dataset(tmp_path / "ray")
        np.testing.assert_allclose(ds.pose, fk_pose(panda, ds.q), atol=1e-12)

        # solve: chunks as tasks, results in the targets' order, equal to the local engine's
        q = np.random.default_rng(1).uniform(panda.finite_lower, panda.finite_upper, (700, 7))
        targets = fk_pose(panda, q)
        targets[::50, 0] += 5.0  # some unreachable: their chunks take longer and finish out of order
        seen = []
        res = solve_chunked(panda, targets, chunk_size=64, engine="ray", seed=2, callback=lambda d, n: seen.append(d))
        ref = solve_chunked(panda, targets, chunk_size=64, seed=2)
        assert seen == list(range(1, 12))
        for f in ("q", "success", "position_error", "rotation_error", "iterations"):
            np.testing.assert_array_equal(getattr(res, f), getattr(ref, f))
        ok = np.asarray(res.success)
        assert ok[1:50].all() and not ok[::50].any()
        np.testing.assert_allclose(fk_pose(panda, res.q[ok])[:, :3], targets[ok, :3], atol=1e-5)

        # reproduce: every experiment x seed a task; claims over the seeds, files written back here
        recs = run_all(tmp_path / "rep", size="tiny", only=["ik-bench"], seeds=[0, 1], engine="ray")
        res = recs[0].result
        assert recs[0].status == "done" and res.seeds == [0, 1], recs[0].error
        for s in (0, 1):
            one = ExperimentResult.load(tmp_path / "rep" / "ik-bench" / f"seed-{s}" / "result.json")
            assert one.seed == s and one.figures
            for f in one.figures:
                assert (tmp_path / "rep" / "ik-bench" / f"seed-{s}" / f).is_file()
            for c in one.claims:
                if c.value is not None:
                    combined = next(x for x in res.claims if x.id == c.id)
                    assert combined.values[s] == c.value and len(combined.values) == 2

        # an error raised in a task comes back as itself, not as a Ray wrapper
        with pytest.raises(DataArgumentError, match="unknown sampler 'grid'"):
            list(map_tasks(part_bytes, [(panda, "uniform", 0, 0, 10), (panda, "grid", 0, 0, 10)], engine="ray"))
    assert not sys.modules["ray"].is_initialized()
