"""``iklearn train`` and ``iklearn solve --model`` (issue 19): a model for any robot, solving with it, and every
bad input as one line, exit 2, nothing written. Tiny sizes: these check the plumbing, not the accuracy."""

from __future__ import annotations

import numpy as np
import pytest

import iklearn
from iklearn.data.measured import write_measurements
from iklearn.kinematics import fk, matrix_to_pose7
from iklearn.solvers.lm import LevenbergMarquardt


def _targets_csv(path, chain, n=6, seed=3, extra=()):
    q = np.random.default_rng(seed).uniform(chain.finite_lower, chain.finite_upper, (n, chain.dof))
    P = np.concatenate([matrix_to_pose7(fk(chain, q)), np.reshape(extra, (-1, 7))])
    np.savetxt(path, P, delimiter=",", header="x,y,z,qx,qy,qz,qw", comments="")
    return P


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A measured Panda CSV (40 rows) and a crisp model trained on it."""
    d = tmp_path_factory.mktemp("train")
    panda = iklearn.load_robot("panda")
    q = np.random.default_rng(0).uniform(panda.finite_lower, panda.finite_upper, (40, 7))
    write_measurements(d / "measured.csv", q, fk(panda, q))
    model = iklearn.train("crisp", panda, data=d / "measured.csv", params={"crisp": {"sigma": [4.0]}},
                          out=d / "crisp.npz")
    assert model.summary_["n_train"] == 36 and model.summary_["n_holdout"] == 4
    return d, panda


def test_train_ml_ik_and_solve_with_it(cli, tmp_path):
    ur5 = iklearn.load_robot("ur5")
    model_file = tmp_path / "ml.npz"
    code, text, err = cli("train", "ml-ik", "--robot", "ur5", "--n", "60", "--epochs", "1", "--quiet",
                          "--out", model_file)
    assert code == 0, err
    assert "54 rows, 6 held out" in text and "held out, warm start" in text and "classifier" in text
    assert f"fingerprint {ur5.fingerprint()}" in text
    model = iklearn.load_model(model_file)
    assert model.method == "ml-ik" and model.has_gate and model.robot.fingerprint() == ur5.fingerprint()
    P = _targets_csv(tmp_path / "t.csv", ur5, extra=[3.0, 0, 0, 0, 0, 0, 1])  # last row: 3 m away
    out = tmp_path / "s.csv"
    code, text, err = cli("solve", "--model", model_file, "--targets", tmp_path / "t.csv", "--out", out,
                          "--gate", "--gate-threshold", "0.5")
    assert code == 0, err
    t = np.genfromtxt(out, delimiter=",", names=True)
    assert t.shape == (7,) and {"gated", "p_reachable", "warm_position_error", "iterations"} <= set(t.dtype.names)
    p = model.reachable_proba(P)
    np.testing.assert_allclose(t["p_reachable"], p, rtol=1e-6)
    gated = (1 - p) >= 0.5
    assert (t["gated"].astype(bool) == gated).all()
    assert (t["iterations"][gated] == 0).all() and (t["success"][gated] == 0).all()
    assert t["success"][6] == 0  # 3 m away: gated or failed, never solved
    # refinement is LM from the model's prediction: the same iterations as LM seeded by hand
    go = np.flatnonzero(~gated[:6])
    lm = LevenbergMarquardt(ur5, seed=0, tol_position=1e-6, tol_rotation=1e-5).solve(
        P[go], q0=model.predict(P[go]))
    np.testing.assert_array_equal(t["iterations"][go], lm.iterations)
    assert (t["success"][go] == lm.success).all() and lm.success.all()
    # --no-refine: the prediction itself
    code, _, err = cli("solve", "--model", model_file, "--targets", tmp_path / "t.csv", "--out", out, "--no-refine")
    assert code == 0, err
    t = np.genfromtxt(out, delimiter=",", names=True)
    np.testing.assert_allclose(np.column_stack([t[f"q{i}"] for i in range(6)]), model.predict(P), atol=1e-12)
    assert (t["iterations"] == 0).all() and (t["position_error"] == t["warm_position_error"]).all()


def test_python_crisp_model_round_trip(files, tmp_path):
    d, panda = files
    model = iklearn.load_model(d / "crisp.npz", robot="panda")
    T = fk(panda, np.random.default_rng(5).uniform(panda.finite_lower, panda.finite_upper, (3, 7)))
    r = model.solve(T)  # crisp: not refined by default (its answer is for the measured robot)
    np.testing.assert_allclose(r.q, model.predict(T))
    assert (r.iterations == 0).all() and not r.gated.any() and np.isnan(r.p_reachable).all()
    refined = model.solve(T, refine=True)
    assert refined.success.all() and (refined.iterations > 0).any()


def test_measured_rows_with_nan_are_skipped_and_counted(cli, files, tmp_path):
    d, _ = files
    lines = (d / "measured.csv").read_text().splitlines()
    lines[3] = ",".join(["nan"] + lines[3].split(",")[1:])
    lines[7] = ",".join(lines[7].split(",")[:-1] + [""])
    data = tmp_path / "m.csv"
    data.write_text("\n".join(lines) + "\n")
    code, text, err = cli("train", "crisp", "--robot", "panda", "--data", data, "--sigma", "4", "--quiet",
                          "--out", tmp_path / "c.npz")
    assert code == 0, err
    assert "2 rows skipped (empty/NaN cells)" in text and "34 rows, 4 held out" in text


def test_lwpr_from_recorded_motion(cli, tmp_path):
    from iklearn.estimators.training import babbling_motion

    panda = iklearn.load_robot("panda")
    t, q = babbling_motion(panda, 300, seed=1)
    data = tmp_path / "motion.csv"
    P = matrix_to_pose7(fk(panda, q))
    np.savetxt(data, np.column_stack([q, P, t]), delimiter=",", comments="",
               header=",".join([f"q{i}" for i in range(7)] + ["x", "y", "z", "qx", "qy", "qz", "qw", "t"]))
    code, text, err = cli("train", "lwpr", "--robot", "panda", "--data", data, "--quiet", "--out", tmp_path / "l.npz")
    assert code == 0, err
    assert "task velocity" in text
    model = iklearn.load_model(tmp_path / "l.npz")
    assert model.summary_["dt_median"] == pytest.approx(0.01)
    np.savetxt(tmp_path / "t.csv", P[[150, 200]], delimiter=",", header="x,y,z,qx,qy,qz,qw", comments="")
    q0 = ",".join(str(v) for v in q[140])
    code, text, err = cli("solve", "--model", tmp_path / "l.npz", "--targets", tmp_path / "t.csv", "--q0", q0,
                          "--out", tmp_path / "s.csv")
    assert code == 0, err
    s = np.genfromtxt(tmp_path / "s.csv", delimiter=",", names=True)
    assert s.shape == (2,) and (s["position_error"] <= 1e-6).all()  # tracked, then refined (position only)


def _garbage(d, tmp_path):
    f = tmp_path / "garbage.npz"
    f.write_bytes(b"PK\x03\x04 not really a zip file")
    return f


def _truncated(d, tmp_path):
    f = tmp_path / "truncated.npz"
    f.write_bytes((d / "crisp.npz").read_bytes()[:400])
    return f


def _part(d, tmp_path):  # an estimator's own file, not a learned-IK bundle
    from iklearn.estimators.crisp import CRiSP

    panda = iklearn.load_robot("panda")
    q = np.random.default_rng(1).uniform(panda.finite_lower, panda.finite_upper, (12, 7))
    f = tmp_path / "part.npz"
    CRiSP(robot=panda, sigma=4.0).fit(fk(panda, q), q).save(f)
    return f


@pytest.mark.parametrize("make, extra, message", [
    (lambda d, t: d / "crisp.npz", ["--robot", "ur5"], "was trained for robot 'panda', whose kinematics differ"),
    (_garbage, [], "is not an iklearn model file"),
    (_truncated, [], "is not an iklearn model file"),
    (_part, [], "holds a 'crisp' model, not a 'learned_ik' model"),
    (lambda d, t: t / "none.npz", [], "model file not found"),
    (lambda d, t: d / "crisp.npz", ["--gate"], "--gate needs a reachability classifier"),
    (lambda d, t: d / "crisp.npz", ["--method", "dls"], "--model cannot be combined with --method"),
    (lambda d, t: d / "crisp.npz", ["--gate-threshold", "0"], "--gate-threshold must be a finite number > 0 and <= 1, got 0"),
])
def test_solve_bad_model_one_line_exit_2_nothing_written(cli, files, tmp_path, make, extra, message):
    d, panda = files
    _targets_csv(tmp_path / "t.csv", panda, n=2)
    out = tmp_path / "s.csv"
    code, _, err = cli("solve", "--model", make(d, tmp_path), "--targets", tmp_path / "t.csv", "--out", out, *extra)
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("error:") and message in err, err
    assert not out.exists() and not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def _missing(d, tmp_path):
    f = tmp_path / "missing.csv"
    f.write_text((d / "measured.csv").read_text().replace(",qw", ",w", 1))
    return f


def _few(d, tmp_path):
    f = tmp_path / "few.csv"
    f.write_text("\n".join((d / "measured.csv").read_text().splitlines()[:10]) + "\n")  # 9 rows
    return f


def _few_after_nan(d, tmp_path):
    lines = (d / "measured.csv").read_text().splitlines()[:13]  # 12 rows, 3 of them NaN
    for i in (2, 5, 8):
        lines[i] = ",".join(["nan"] + lines[i].split(",")[1:])
    f = tmp_path / "few_nan.csv"
    f.write_text("\n".join(lines) + "\n")
    return f


def _all_nan(d, tmp_path):
    f = tmp_path / "nan.csv"
    f.write_text((d / "measured.csv").read_text().splitlines()[0] + "\n" + ",".join(["nan"] * 14) + "\n")
    return f


def _other_robots_dataset(d, tmp_path):
    from iklearn.data.dataset import generate_dataset

    generate_dataset("ur5", 40, out=tmp_path / "ur5_data")
    return tmp_path / "ur5_data"


@pytest.mark.parametrize("method, make, extra, message", [
    ("crisp", _other_robots_dataset, [], "was generated for robot 'ur5'"),
    ("crisp", _missing, [], "lacks column(s) qw; measured data needs q0,q1"),
    ("crisp", _few, [], "has 9 usable measurements; crisp needs at least 10"),
    ("crisp", _few_after_nan, [], "has 9 usable measurements (3 rows skipped for empty/NaN/inf cells); crisp needs"),
    ("ml-ik", _all_nan, [], "has no usable row (1 data rows, 1 with empty/NaN/inf cells)"),
    ("crisp", lambda d, t: t / "none.csv", [], "measured data file not found"),
    ("crisp", lambda d, t: d / "measured.csv", ["--holdout", "1"], "--holdout must be a finite number >= 0 and < 1, got 1"),
    ("crisp", lambda d, t: d / "measured.csv", ["--sigma", "0,2"], "--sigma must be positive numbers"),
    ("lwpr", lambda d, t: d / "measured.csv", ["--epochs", "3"], "--epochs and --time-budget apply to ml-ik only"),
    ("ml-ik", lambda d, t: d / "measured.csv", ["--n", "100"], "give either --data"),
    ("mlik", lambda d, t: d / "measured.csv", [], "unknown method 'mlik'; choose one of ml-ik, crisp, lwpr"),
])
def test_train_bad_input_one_line_exit_2_nothing_written(cli, files, tmp_path, method, make, extra, message):
    d, _ = files
    out = tmp_path / "model.npz"
    code, _, err = cli("train", method, "--robot", "panda", "--data", make(d, tmp_path), "--out", out, "--quiet",
                       *extra)
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("error:") and message in err, err
    assert not out.exists() and not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_train_too_few_generated_samples(cli, tmp_path):
    code, _, err = cli("train", "ml-ik", "--robot", "panda", "--n", "39", "--out", tmp_path / "m.npz")
    assert code == 2 and "--n must be at least 40 for ml-ik, got 39" in err and not (tmp_path / "m.npz").exists()
