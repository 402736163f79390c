"""Peer adapters: each one's own solutions, checked with our FK; skipped when the peer is not installed."""

from __future__ import annotations

import numpy as np
import pytest

from iklearn.kinematics import fk, pose_error
from iklearn.robot import load_robot


def _targets(c, n, seed):
    rng = np.random.default_rng(seed)
    q = rng.uniform(c.finite_lower, c.finite_upper, (n, c.dof))
    return fk(c, q), rng.uniform(c.finite_lower, c.finite_upper, (n, c.dof))


def _check(c, r, T, min_success):
    # the adapter's reported errors are the true errors of its q under our FK
    pe, re = pose_error(fk(c, r.q), T)
    np.testing.assert_allclose(r.position_error, pe, atol=1e-12)
    np.testing.assert_allclose(r.rotation_error, re, atol=1e-9)
    assert r.success.mean() >= min_success
    ok = r.success
    assert (pe[ok] <= 1e-4).all() and (re[ok] <= 1e-3).all() and c.within_limits(r.q[ok]).all()


@pytest.mark.parametrize("robot", ["panda", "ur5"])
def test_tracik_solutions_match_our_fk(robot):
    pytest.importorskip("pytracik")
    from iklearn.solvers.peers import TracIK

    c = load_robot(robot)
    T, q0 = _targets(c, 20, 1)
    s = TracIK(c, timeout=0.05)
    # limits were set from the chain, not read from the URDF
    lo = np.array(s._pt.get_joint_lower_bounds(s._ik))
    np.testing.assert_allclose(lo, c.lower)
    _check(c, s.solve(T, q0), T, 0.85)


def test_optik_solutions_match_our_fk():
    pytest.importorskip("optik")
    from iklearn.solvers.peers import OptIK

    c = load_robot("panda")
    T, q0 = _targets(c, 20, 2)
    r = OptIK(c, max_time=0.05).solve(T, q0)
    _check(c, r, T, 0.85)
    assert np.median(r.position_error) < 1e-5  # the tightened tolerance is in force (defaults stop near 5e-4)


def test_pybullet_adapter_runs_and_scores_with_our_fk():
    pytest.importorskip("pybullet")
    from iklearn.solvers.peers import PyBulletIK

    c = load_robot("panda")
    T, q0 = _targets(c, 5, 3)
    s = PyBulletIK(c, max_iterations=200)
    # start exactly at a solution: PyBullet's answer must stay (nearly) there, which checks frames and order
    q = np.random.default_rng(3).uniform(c.finite_lower, c.finite_upper, (5, c.dof))
    r = s.solve(fk(c, q), q)
    assert (r.position_error < 1e-3).all()
    r2 = s.solve(T, q0)
    pe, _ = pose_error(fk(c, r2.q), T)
    np.testing.assert_allclose(r2.position_error, pe, atol=1e-12)


def test_adapter_single_target_shapes():
    pytest.importorskip("optik")
    from iklearn.solvers.peers import OptIK

    c = load_robot("ur5")
    T, q0 = _targets(c, 1, 4)
    r = OptIK(c).solve(T[0], q0[0])
    assert r.q.shape == (1, 6) and r.success.shape == (1,)


def test_benchmark_runner_and_cli(tmp_path):
    import json

    from typer.testing import CliRunner

    from iklearn.cli import app
    from iklearn.evaluation.ik_benchmark import run_ik_benchmark

    res = run_ik_benchmark("iiwa14", 20, seed=1, solvers=["ours"])
    s = res.get("ours")
    assert s.success_1e4 == 1.0 and s.batch_success_1e4 == 1.0 and s.throughput_per_s > 0
    assert res.get("tracik") is None and len(res.rows()) == 1
    out = tmp_path / "b.json"
    r = CliRunner().invoke(app, ["bench", "ik", "--robot", "planar3", "--n", "5", "--solvers", "ours",
                                 "--out", str(out)])
    assert r.exit_code == 0, r.output
    d = json.loads(out.read_text())
    assert d["results"]["planar3"]["n"] == 5


def test_experiment_tiny(tmp_path):
    from iklearn.experiments import ik_bench
    from iklearn.evaluation.record import ExperimentResult

    res = ik_bench.run(tmp_path, "tiny", seed=0)
    assert (tmp_path / "bench_ik.json").is_file() and (tmp_path / "ik_bench.png").is_file()
    back = ExperimentResult.load(tmp_path / "result.json")
    assert back.name == "ik-bench" and back.claims and back.tables
    by_id = {c.id: c for c in back.claims}
    assert by_id["ik-bench.panda.success"].met  # ours >= 99.9 % on the tiny Panda set
    assert by_id["ik-bench.panda.success-vs-peers"].met  # and not below the peers
