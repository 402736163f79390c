"""Kinematic calibration (issue 19): identifiable parameters, recovery of known errors, measured-file reading,
and the calibrated URDF read back by our reader, Pinocchio and TRAC-IK as they read the original."""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

import numpy as np
import pytest

from iklearn.calibration import (
    CalibrationDataError,
    apply_parameters,
    calibrate,
    candidate_parameters,
    minimum_measurements,
    write_calibrated_urdf,
)
from iklearn.calibration.fit import structural_selection
from iklearn.data.measured import read_measurements, write_measurements
from iklearn.errors import DataFormatError
from iklearn.kinematics import fk, pose_error
from iklearn.robot import Chain, from_urdf, load_robot


def _perturbed(chain: Chain, seed: int, shift=3e-3, angle=np.deg2rad(0.6)) -> Chain:
    """Every fixed transform moved by up to ``shift`` m per axis and ``angle`` rad per rotation component."""
    c = candidate_parameters(chain)
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, len(c)) * np.where([p.kind == "t" for p in c], shift, angle)
    return apply_parameters(chain, c, x)


def _configs(chain: Chain, n: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).uniform(chain.finite_lower, chain.finite_upper, (n, chain.dof))


def _rpr() -> Chain:
    """Revolute - prismatic - revolute arm, axes not all along z."""
    fixed = np.tile(np.eye(4), (3, 1, 1))
    fixed[1, :3, 3] = [0.1, 0.0, 0.3]
    fixed[2, :3, 3] = [0.0, 0.2, 0.1]
    tip = np.eye(4)
    tip[:3, 3] = [0.05, 0.0, 0.1]
    return Chain("rpr", ("j1", "j2", "j3"), np.array([0, 1, 0]), fixed,
                 np.array([[0, 0, 1.0], [1.0, 0, 0], [0, 0.6, 0.8]]), tip,
                 np.array([-3.0, -0.2, -3.0]), np.array([3.0, 0.2, 3.0]))


@pytest.mark.parametrize("robot, expected", [("panda", 4 * 7 + 6), ("ur5", 4 * 6 + 6), ("puma560", 4 * 6 + 6),
                                             ("rpr", 4 * 2 + 2 * 1 + 6)])
def test_identifiable_count_is_4r_plus_2p_plus_6(robot, expected):
    chain = _rpr() if robot == "rpr" else load_robot(robot)
    cands, sel = structural_selection(chain)
    assert len(cands) == 6 * (chain.dof + 1)
    assert len(sel.kept) == expected
    # every dropped parameter names the kept ones that absorb it; every zero offset is kept
    assert all(sel.dropped[k] and set(sel.dropped[k]) <= set(sel.kept) for k in sel.dropped)
    names = {cands[k].name for k in sel.kept}
    assert {f"{j}.offset" for j in chain.joint_names} <= names


@pytest.mark.parametrize("robot", ["panda", "rpr"])
def test_noise_free_measurements_recover_the_true_robot(robot):
    nominal = _rpr() if robot == "rpr" else load_robot(robot)
    true = _perturbed(nominal, 1)
    Q = _configs(nominal, 80, 2)
    res = calibrate(nominal, Q, fk(true, Q))
    Qt = _configs(nominal, 200, 3)
    pe, re = pose_error(fk(res.chain, Qt), fk(true, Qt))
    assert pe.max() < 1e-10 and re.max() < 1e-10
    before, _ = pose_error(fk(nominal, Qt), fk(true, Qt))
    assert np.median(before) > 1e-3  # the errors were real
    assert res.residual_after.max() < 1e-10 and res.residual_before[:, 0].min() > 0
    assert res.chain.joint_names == nominal.joint_names and np.array_equal(res.chain.lower, nominal.lower)


def test_noisy_measurements_leave_residuals_at_the_noise():
    nominal = load_robot("panda")
    true = _perturbed(nominal, 4)
    Q = _configs(nominal, 600, 5)
    rng = np.random.default_rng(6)
    T = fk(true, Q)
    T[:, :3, 3] += rng.normal(0, 1e-4, (600, 3))
    res = calibrate(nominal, Q, T, holdout=0.25)
    assert res.holdout.sum() == 150
    med = res.medians()
    # a perfect model leaves the noise: median norm of a 3-D N(0, 1e-4) vector is 1.54e-4 m
    assert 1.3e-4 < med["holdout_after_position"] < 1.8e-4 < 1e-3 < med["holdout_before_position"]
    Qt = _configs(nominal, 300, 7)
    pe, _ = pose_error(fk(res.chain, Qt), fk(true, Qt))
    assert np.median(pe) < 5e-5
    assert np.all(res.std > 0) and np.all(np.isfinite(res.std))


def test_measurements_in_another_frame_are_registered():
    """A tracker frame 1 m away and turned 90 deg: the first joint's origin takes the registration."""
    from scipy.spatial.transform import Rotation

    nominal = load_robot("panda")
    true = _perturbed(nominal, 8)
    W = np.eye(4)
    W[:3, :3] = Rotation.from_euler("zyx", [90, 20, -10], degrees=True).as_matrix()
    W[:3, 3] = [1.0, -0.5, 0.3]
    Q = _configs(nominal, 60, 9)
    res = calibrate(nominal, Q, W @ fk(true, Q))
    assert res.residual_after.max() < 1e-9
    assert res.residual_before[:, 0].min() > 0.3


def test_too_few_measurements_say_how_many_are_needed():
    nominal = load_robot("panda")
    need = minimum_measurements(34)
    assert need == 6
    Q = _configs(nominal, need - 1, 0)
    with pytest.raises(CalibrationDataError, match=f"at least {need} measured poses to identify its 34"):
        calibrate(nominal, Q, fk(nominal, Q))
    Q = _configs(nominal, need, 0)
    calibrate(nominal, Q, fk(nominal, Q))  # enough
    with pytest.raises(CalibrationDataError, match=r"got 5 \(1 held out\)"):
        calibrate(nominal, Q, fk(nominal, Q), holdout=0.1)


def test_a_joint_that_never_moves_is_reported_not_excited():
    nominal = load_robot("panda")
    true = _perturbed(nominal, 10)
    Q = _configs(nominal, 100, 11)
    Q[:, 6] = 0.3
    res = calibrate(nominal, Q, fk(true, Q))
    assert res.not_excited and all(k.startswith(("panda_joint7.", "tip.")) for k in res.not_excited)
    Qt = _configs(nominal, 50, 12)
    Qt[:, 6] = 0.3  # where the data were, the model is exact
    pe, re = pose_error(fk(res.chain, Qt), fk(true, Qt))
    assert pe.max() < 1e-9 and re.max() < 1e-9


# ------------------------------------------------------------------------------------------ measured files
def test_measured_csv_skips_and_counts_nan_rows(tmp_path):
    nominal = load_robot("panda")
    Q = _configs(nominal, 10, 0)
    f = tmp_path / "m.csv"
    write_measurements(f, Q, fk(nominal, Q))
    lines = f.read_text().splitlines()
    cells = lines[3].split(",")
    cells[8] = "nan"
    lines[3] = ",".join(cells)
    cells = lines[6].split(",")
    cells[0] = ""
    lines[6] = ",".join(cells)
    f.write_text("\n".join(lines) + "\n")
    m = read_measurements(f, 7)
    assert len(m) == 8 and m.skipped.tolist() == [2, 5]
    assert m.rows.tolist() == [0, 1, 3, 4, 6, 7, 8, 9]
    np.testing.assert_allclose(m.q, Q[m.rows], atol=0)
    np.testing.assert_allclose(m.poses, fk(nominal, Q[m.rows]), atol=1e-15)


def test_measured_parquet_and_dataset_directory(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from iklearn.data.dataset import generate_dataset
    from iklearn.kinematics import fk_pose

    nominal = load_robot("ur5")
    Q = _configs(nominal, 12, 0)
    cols = {f"q{i}": Q[:, i] for i in range(6)}
    P = fk_pose(nominal, Q)
    cols.update({c: P[:, i] for i, c in enumerate(("x", "y", "z", "qx", "qy", "qz", "qw"))})
    cols["extra"] = np.zeros(12)
    pq.write_table(pa.table(cols), tmp_path / "m.parquet")
    m = read_measurements(tmp_path / "m.parquet", 6)
    assert len(m) == 12 and m.skipped.size == 0
    np.testing.assert_allclose(m.q, Q, atol=0)
    ds = generate_dataset("ur5", 30, seed=1, out=tmp_path / "ds")
    m = read_measurements(tmp_path / "ds", 6)
    np.testing.assert_allclose(m.q, ds.q, atol=0)
    with pytest.raises(DataFormatError, match="6-joint robot; this robot has 7"):
        read_measurements(tmp_path / "ds", 7)


@pytest.mark.parametrize("edit, message", [
    (lambda t: t.replace("qw", "w", 1), "lacks column.s. qw"),
    (lambda t: t.replace(t.splitlines()[2].split(",")[3], "abc", 1), "line 3, column q3: 'abc' is not a number"),
    (lambda t: t.splitlines()[0] + "\n" + "\n".join(",".join(["nan"] * 14) for _ in range(3)), "no usable row"),
    (lambda t: "", "is empty"),
    (lambda t: t.replace("q1", "q0", 1), "column.s. q0 appear more than once"),
])
def test_measured_file_errors_name_what_is_wrong(tmp_path, edit, message):
    nominal = load_robot("panda")
    Q = _configs(nominal, 4, 0)
    f = tmp_path / "m.csv"
    write_measurements(f, Q, fk(nominal, Q))
    f.write_text(edit(f.read_text()))
    with pytest.raises(DataFormatError, match=message):
        read_measurements(f, 7)


def test_measured_quaternion_far_from_unit_is_refused(tmp_path):
    f = tmp_path / "m.csv"
    write_measurements(f, np.zeros((2, 7)), np.array([[0.3, 0, 0.5, 0, 0, 0, 1.0], [0.3, 0, 0.5, 0, 0, 0, 3.0]]))
    with pytest.raises(DataFormatError, match="line 3: quaternion .qx, qy, qz, qw. has norm 3"):
        read_measurements(f, 7)


def test_measured_csv_with_byte_order_mark_reads(tmp_path):
    nominal = load_robot("panda")
    Q = _configs(nominal, 3, 0)
    f = tmp_path / "m.csv"
    write_measurements(f, Q, fk(nominal, Q))
    f.write_bytes(b"\xef\xbb\xbf" + f.read_bytes())  # Excel's UTF-8 export
    np.testing.assert_allclose(read_measurements(f, 7).q, Q, atol=0)


# ------------------------------------------------------------------------------------------ calibrated URDF
def _erd_panda() -> Path:
    try:
        dist = importlib.metadata.distribution("example-robot-data")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("example-robot-data is not installed: pip install 'iklearn[oracle]'")
    p = Path(str(dist.locate_file("cmeel.prefix/share/example-robot-data/robots/panda_description/urdf/panda.urdf")))
    if not p.is_file():
        pytest.skip("panda.urdf not found in the example-robot-data wheel")
    return p


def _calibrated_urdf(tmp_path, source, base, tip, seed=0):
    nominal = from_urdf(source, base, tip)
    true = _perturbed(nominal, seed)
    Q = _configs(nominal, 60, seed + 1)
    res = calibrate(nominal, Q, fk(true, Q))
    out = tmp_path / "calibrated.urdf"
    new_tip = write_calibrated_urdf(res, out, source)
    return nominal, true, res, out, new_tip


@pytest.mark.parametrize("tip", ["panda_link8", "panda_hand_tcp", "panda_link7"])
def test_calibrated_urdf_keeps_the_file_and_reads_back(tmp_path, tip):
    src = _erd_panda()
    nominal, true, res, out, new_tip = _calibrated_urdf(tmp_path, src, "panda_link0", tip)
    # panda_link7 has no fixed joint before it to carry the tool correction: a calibrated link is added
    assert new_tip == (tip + "_calibrated" if tip == "panda_link7" else tip)
    back = from_urdf(out, "panda_link0", new_tip)
    Qt = _configs(nominal, 100, 9)
    np.testing.assert_allclose(fk(back, Qt), fk(true, Qt), atol=1e-12)
    text, orig = out.read_text(), src.read_text()
    for keep in ("<mesh", "panda_finger_joint1", "<inertial", "<safety_controller"):
        assert text.count(keep) == orig.count(keep), keep
    assert from_urdf(out, "panda_link0", "panda_rightfinger").dof == 8  # off-path joints kept


def test_calibrated_urdf_of_a_builtin_robot(tmp_path):
    nominal = load_robot("ur5")
    true = _perturbed(nominal, 2)
    Q = _configs(nominal, 50, 3)
    res = calibrate(nominal, Q, fk(true, Q))
    tip = write_calibrated_urdf(res, tmp_path / "ur5_cal.urdf")
    back = from_urdf(tmp_path / "ur5_cal.urdf", nominal.base_link, tip)
    np.testing.assert_allclose(fk(back, Q), fk(true, Q), atol=1e-12)


def test_pinocchio_loads_the_calibrated_urdf(tmp_path):
    pin = pytest.importorskip("pinocchio", reason="pinocchio (pin) is not installed: pip install 'iklearn[oracle]'")
    src = _erd_panda()
    nominal, true, res, out, tip = _calibrated_urdf(tmp_path, src, "panda_link0", "panda_hand_tcp", seed=3)
    for path, expect in ((src, nominal), (out, true)):  # loaded the same way as the original
        model = pin.buildModelFromUrdf(str(path))
        data = model.createData()
        fid, bid = model.getFrameId(tip), model.getFrameId("panda_link0")
        for q in _configs(nominal, 10, 4):
            qq = pin.neutral(model)
            for i, jn in enumerate(nominal.joint_names):
                qq[model.joints[model.getJointId(jn)].idx_q] = q[i]
            pin.framesForwardKinematics(model, data, qq)
            T = (data.oMf[bid].inverse() * data.oMf[fid]).homogeneous
            np.testing.assert_allclose(T, fk(expect, q), atol=1e-9)


def test_trac_ik_loads_and_solves_the_calibrated_urdf(tmp_path):
    pt = pytest.importorskip("pytracik", reason="pytracik is not installed: pip install 'iklearn[peers]'")
    from iklearn.kinematics import fk_pose

    src = _erd_panda()
    nominal, true, res, out, tip = _calibrated_urdf(tmp_path, src, "panda_link0", "panda_link8", seed=5)
    ik = pt.TRAC_IK("panda_link0", tip, out.read_text(), 0.05, 1e-6, pt.SolveType.Speed)
    assert pt.get_num_joints(ik) == 7
    pt.set_joint_limits(ik, [float(v) for v in nominal.lower], [float(v) for v in nominal.upper])
    goal = _configs(nominal, 5, 6)
    solved = 0
    for q in goal:
        mid = 0.5 * (nominal.lower + nominal.upper)
        r = pt.ik(ik, np.ascontiguousarray(mid), *(float(v) for v in fk_pose(true, q)))
        if r[0] >= 0:
            solved += 1
            pe, re = pose_error(fk(true, np.asarray(r[1:])), fk(true, q))
            assert pe < 1e-5 and re < 1e-4  # TRAC-IK solved the calibrated (true) kinematics
    assert solved >= 3
