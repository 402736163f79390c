"""``iklearn calibrate``: a calibrated URDF and residuals from a measured CSV; every bad input one line, exit 2,
nothing written."""

from __future__ import annotations

import numpy as np
import pytest

from iklearn.calibration import apply_parameters, candidate_parameters
from iklearn.data.measured import write_measurements
from iklearn.kinematics import fk, pose_error
from iklearn.robot import from_urdf, load_robot
from iklearn.robot.urdf_export import to_urdf


@pytest.fixture(scope="module")
def campaign(tmp_path_factory):
    """A nominal URDF (the built-in Panda) and 80 noise-free measurements of a perturbed one."""
    d = tmp_path_factory.mktemp("calib")
    nominal = load_robot("panda")
    c = candidate_parameters(nominal)
    rng = np.random.default_rng(0)
    true = apply_parameters(nominal, c, rng.uniform(-1, 1, len(c)) * np.where([p.kind == "t" for p in c], 3e-3, 1e-2))
    Q = rng.uniform(nominal.finite_lower, nominal.finite_upper, (80, 7))
    (d / "nominal.urdf").write_text(to_urdf(nominal))
    write_measurements(d / "measured.csv", Q, fk(true, Q))
    return d, nominal, true


def test_calibrate_writes_a_urdf_that_is_the_true_robot(cli, campaign, tmp_path):
    d, nominal, true = campaign
    lines = (d / "measured.csv").read_text().splitlines()
    lines[5] = ",".join(["nan"] + lines[5].split(",")[1:])  # a lost marker: skipped and counted
    data = tmp_path / "m.csv"
    data.write_text("\n".join(lines) + "\n")
    out, res = tmp_path / "cal.urdf", tmp_path / "res.csv"
    code, text, err = cli("calibrate", "--robot", d / "nominal.urdf", "--base", "panda_link0", "--tip",
                          "panda_link8", "--data", data, "--out", out, "--residuals", res, "--holdout", "0.2")
    assert code == 0, err
    assert "79 measurements used, 1 rows skipped" in text and "16 held out" in text
    assert "identified 34 of 34 identifiable parameters; 14 others" in text and "tip.r_z (into" in text
    back = from_urdf(out, "panda_link0", "panda_link8")
    Qt = np.random.default_rng(1).uniform(nominal.finite_lower, nominal.finite_upper, (50, 7))
    pe, re = pose_error(fk(back, Qt), fk(true, Qt))
    assert pe.max() < 1e-9 and re.max() < 1e-9
    t = np.genfromtxt(res, delimiter=",", names=True)
    assert t.shape == (79,) and 4 not in t["row"].tolist() and int(t["holdout"].sum()) == 16
    assert (t["position_after"] < 1e-9).all() and (t["position_before"] > 1e-4).all()


def test_calibrate_a_builtin_robot(cli, campaign, tmp_path):
    d, nominal, true = campaign
    out = tmp_path / "cal.urdf"
    code, text, err = cli("calibrate", "--robot", "panda", "--data", d / "measured.csv", "--out", out)
    assert code == 0, err
    back = from_urdf(out, "panda_link0", "panda_link8")
    q = nominal.pose("ready")
    assert pose_error(fk(back, q), fk(true, q))[0] < 1e-9


def _few(d, tmp_path):
    lines = (d / "measured.csv").read_text().splitlines()
    f = tmp_path / "few.csv"
    f.write_text("\n".join(lines[:6]) + "\n")  # 5 measurements: the Panda needs 6
    return f


def _missing(d, tmp_path):
    f = tmp_path / "missing.csv"
    f.write_text((d / "measured.csv").read_text().replace(",qw", ",w", 1))
    return f


def _all_nan(d, tmp_path):
    f = tmp_path / "nan.csv"
    head = (d / "measured.csv").read_text().splitlines()[0]
    f.write_text(head + "\n" + ",".join(["nan"] * 14) + "\n")
    return f


@pytest.mark.parametrize("make, extra, message", [
    (_missing, [], "lacks column(s) qw; measured data needs q0,q1"),
    (_few, [], "needs at least 6 measured poses to identify its 34 identifiable parameters"),
    (_all_nan, [], "has no usable row (1 data rows, 1 with empty/NaN/inf cells)"),
    (lambda d, t: t / "none.csv", [], "measured data file not found"),
    (lambda d, t: d / "measured.csv", ["--holdout", "1.5"], "--holdout must be a finite number >= 0 and < 1, got 1.5"),
    (lambda d, t: d / "measured.csv", ["--position-sigma", "0"], "--position-sigma must be a finite number > 0, got 0"),
    (lambda d, t: d / "measured.csv", ["--rotation-sigma", "nan"], "--rotation-sigma must be a finite number > 0"),
    (lambda d, t: d / "measured.csv", ["--seed", "-1"], "--seed must be an integer between 0 and 4,294,967,295"),
    (lambda d, t: d / "measured.csv", ["--loss", "cauchy"], "--loss must be linear, soft_l1 or huber"),
    (lambda d, t: d / "measured.csv", ["--tip", "nope"], "tip link 'nope' not found"),
])
def test_bad_input_one_line_exit_2_nothing_written(cli, campaign, tmp_path, make, extra, message):
    d, _, _ = campaign
    data = make(d, tmp_path)
    out, res = tmp_path / "cal.urdf", tmp_path / "res.csv"
    code, text, err = cli("calibrate", "--robot", d / "nominal.urdf", "--data", data, "--out", out,
                          "--residuals", res, *extra)
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("error:") and message in err, err
    assert not out.exists() and not res.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp file left


def test_unwritable_output_fails_before_reading(cli, campaign, tmp_path):
    d, _, _ = campaign
    code, _, err = cli("calibrate", "--robot", d / "nominal.urdf", "--data", d / "measured.csv", "--out",
                       tmp_path / "no" / "dir" / "cal.urdf")
    assert code == 2 and "output directory" in err and err.count("\n") == 1
