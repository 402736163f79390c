"""The viewer without a browser: scene choices, the IK loop behind the target gizmo, sliders, models, CLI errors.

Every viewer here serves on 127.0.0.1 at a free port and is stopped by its fixture, also when a test fails.
The browser end (a real Chromium rendering the page) is in ``test_viewer_browser.py``.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("viser", reason="viser is not installed: pip install 'iklearn[view]'")

import iklearn  # noqa: E402
from iklearn.kinematics import fk, pose_error  # noqa: E402
from iklearn.robot import load_robot  # noqa: E402
from iklearn.robot.catalogue import URDF_DIR  # noqa: E402
from iklearn.solvers import make_solver  # noqa: E402
from iklearn.viewer.arms import CapsuleArm, MeshArm, mesh_urdf_for  # noqa: E402

URDF_ARM5 = URDF_DIR / "arm5.urdf"


@pytest.fixture
def viewers():
    """Make viewers with ``make(robot, **kw)``; all are stopped at the end of the test, pass or fail."""
    made = []

    def make(robot, **kw):
        v = iklearn.view(robot, port=0, **kw)
        made.append(v)
        return v

    yield make
    for v in made:
        v.stop()


def _panda_urdf():
    src = mesh_urdf_for(load_robot("panda"))
    if src is None:
        pytest.skip("example-robot-data (the Panda's meshes) is not installed: pip install 'iklearn[oracle]'")
    return src


def test_mesh_urdf_is_used_only_when_its_kinematics_match():
    src = _panda_urdf()
    assert (src.base_link, src.tip_link) == ("panda_link0", "panda_link8")
    hand = mesh_urdf_for(load_robot("panda_hand"))
    assert hand is not None and hand.tip_link == "panda_hand_tcp"
    # the same meshes for a robot whose links are 1 % longer: refused, capsules instead
    assert mesh_urdf_for(load_robot("panda").perturbed(link_scale=1.01), src.urdf) is None
    assert mesh_urdf_for(load_robot("panda").perturbed(joint_offsets=0.01), src.urdf) is None
    # a URDF without visual geometry, and a robot with no URDF at all
    assert mesh_urdf_for(load_robot(URDF_ARM5, tip_link="tool_link"), URDF_ARM5) is None
    assert mesh_urdf_for(load_robot("iiwa14")) is None


def test_target_drives_ik_seeded_by_the_previous_solution(viewers):
    v = viewers("panda", meshes=False)
    assert isinstance(v.arm, CapsuleArm) and v.url.startswith("http://127.0.0.1:")
    c = v.chain
    q_prev = v.q.copy()
    np.testing.assert_allclose(q_prev, c.pose("ready"), atol=1e-12)
    rng = np.random.default_rng(3)
    reference = make_solver(c, "lm", seed=0, nearest=True)
    for _ in range(4):
        T = fk(c, c.clip(q_prev + rng.normal(0, 0.3, c.dof)))
        s = v.set_target(T)
        ref = reference.solve(T[None], q_prev[None])
        # the arm, the sliders and the errors shown are the solver's, from the previous solution as seed
        np.testing.assert_array_equal(s.q, ref.q[0])
        np.testing.assert_array_equal(v.q, ref.q[0])
        np.testing.assert_array_equal(v.last_seed, q_prev)
        assert (s.position_error, s.rotation_error, s.success, s.iterations) == (
            ref.position_error[0], ref.rotation_error[0], ref.success[0], ref.iterations[0])
        pos, rot = pose_error(fk(c, s.q)[None], T[None])
        assert s.position_error == pytest.approx(pos[0], abs=1e-12) and s.success
        assert f"position error: {s.position_error * 1e3:.6g} mm" in v.status_text
        assert not np.allclose(s.q, q_prev)
        q_prev = s.q


def test_unreachable_target_shows_best_q_and_its_error(viewers):
    v = viewers("planar2")
    T = np.eye(4)
    T[:3, 3] = [3.0, 0.0, 0.0]  # beyond the reach of 1.7 m
    s = v.set_target(T)
    assert not s.success and s.position_error == pytest.approx(1.3, abs=1e-6)
    assert "not solved" in v.status_text and "1300 mm" in v.status_text


def test_slider_moves_arm_and_target_follows(viewers):
    v = viewers("arm4")
    slider = v._sliders[1]
    slider.value = 0.7  # what a browser's slider move does on the server
    q = v.q
    assert q[1] == pytest.approx(0.7) and v.state.source == "fk"
    np.testing.assert_allclose(v.state.target, fk(v.chain, q), atol=1e-12)
    assert "FK" in v.status_text
    s = v.set_q(np.full(4, 10.0))  # clipped into the limits
    np.testing.assert_allclose(s.q, v.chain.upper)


def test_panda_drawn_from_meshes(viewers):
    _panda_urdf()
    v = viewers("panda")
    assert isinstance(v.arm, MeshArm)
    # the URDF model moved with the arm: its flange is where the chain's FK puts it
    q = v.set_q(v.chain.pose("extended")).q
    u = v.arm.urdf
    np.testing.assert_allclose(u.get_transform("panda_link8", "panda_link0"), fk(v.chain, q), atol=1e-9)


def test_view_refuses_bad_input(viewers):
    v = viewers("planar3")
    with pytest.raises(iklearn.IKLearnError):
        v.set_target(np.full(7, np.nan))
    with pytest.raises(iklearn.IKLearnError):
        v.set_q([0.1, 0.2])
    with pytest.raises(iklearn.IKLearnError, match="unknown IK method"):
        viewers("planar3", method="nope")


@pytest.mark.parametrize("args, message", [
    (("--robot", "nope"), "unknown robot"),
    (("--robot", "panda", "--port", "70000"), "--port"),
    (("--robot", "panda", "--timeout", "-1"), "--timeout"),
    (("--robot", "panda", "--urdf", "missing.urdf"), "--urdf"),
])
def test_cli_user_errors_are_one_line(cli, args, message):
    code, out, err = cli("view", *args)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_cli_serves_until_timeout(cli):
    code, out, err = cli("view", "--robot", "planar2", "--port", "0", "--timeout", "0.5")
    assert code == 0 and "serving planar2 (2 joints, capsules) on http://127.0.0.1:" in out


# ---------------------------------------------------------------------- learned models (--model)
def _classifier_file(tmp_path, robot: str):
    pytest.importorskip("torch")
    from iklearn.estimators.ml_ik import ConditioningClassifier

    c = load_robot(robot)
    rng = np.random.default_rng(0)
    reach = iklearn.fk_pose(c, rng.uniform(c.finite_lower, c.finite_upper, (600, c.dof)))
    far = reach.copy()
    far[:, :3] *= 3.0  # three times as far from the base: out of reach
    X, y = np.concatenate([reach, far]), np.r_[np.full(600, 2), np.zeros(600, int)]
    clf = ConditioningClassifier(c, hidden=(16,), max_epochs=3, batch_size=128, n_threads=1).fit(X, y)
    return clf, clf.save(tmp_path / "clf.npz")


def test_model_reachability_beside_true_reachability(viewers, tmp_path):
    from iklearn.data.workspace import reachability_probability
    from iklearn.solvers.lm import LevenbergMarquardt

    clf, path = _classifier_file(tmp_path, "planar3")
    v = viewers("planar3", model=path)
    overlay = v.overlay
    r = overlay.result
    n = int(overlay._bins.value) ** 2
    assert r["poses"].shape == (n, 7)
    assert 0 < r["reachable"].sum() < n
    # the true side is IK at the same poses (checked on a sample of cells: every target of a batch gets the
    # same restart stream, so a subset solves alike); the model side is the classifier's probability
    some = np.random.default_rng(1).choice(n, 40, replace=False)
    truth = LevenbergMarquardt(v.chain, max_iterations=300, iterations_per_try=50, seed=0).solve(r["poses"][some])
    np.testing.assert_array_equal(r["reachable"][some], truth.success)
    np.testing.assert_allclose(r["probability"], reachability_probability(clf, r["poses"]), atol=1e-6)
    assert r["agreement"] == pytest.approx(np.mean((r["probability"] > 0.5) == r["reachable"]))
    assert f"agreement: {100 * r['agreement']:.1f} %" in overlay._text.content


def test_model_warm_start_seeds_the_solver(viewers, tmp_path):
    pytest.importorskip("torch")
    from iklearn.estimators.ml_ik import ClusteredMLPRegressor

    arm = load_robot("arm4")
    q = np.random.default_rng(0).uniform(-np.pi, np.pi, (800, 4))
    reg = ClusteredMLPRegressor(arm, n_clusters=2, features="xyz_yaw_sincos", hidden=(16,), max_epochs=3,
                                batch_size=128, n_threads=1).fit(fk(arm, q), q)
    v = viewers("arm4", model=reg.save(tmp_path / "reg.npz"))
    T = fk(arm, np.array([0.4, 0.8, -0.3, 0.2]))
    s = v.set_target(T)
    warm = reg.predict(T[None])[0]
    np.testing.assert_allclose(v.last_seed, warm, atol=1e-12)  # the live solve started from the model
    np.testing.assert_allclose(v.overlay.warm_q, warm, atol=1e-12)
    assert s.success and "warm start:" in v.overlay._text.content


def test_model_from_iklearn_train_seeds_the_solver(viewers, tmp_path):
    arm = load_robot("planar3")
    model = iklearn.train("crisp", arm, n=30, params={"crisp": {"sigma": [2.0]}}, out=tmp_path / "crisp.npz")
    v = viewers("planar3", model=tmp_path / "crisp.npz")
    T = fk(arm, np.array([0.3, 0.6, -0.4]))
    v.set_target(T)
    warm = model.predict(T[None])[0]
    np.testing.assert_allclose(v.last_seed, warm, atol=1e-12)
    np.testing.assert_allclose(v.overlay.warm_q, warm, atol=1e-12)


def test_model_refusals(viewers, tmp_path):
    from iklearn.errors import ModelMismatchError
    from iklearn.estimators._io import save_model

    _, path = _classifier_file(tmp_path, "planar3")
    with pytest.raises(ModelMismatchError, match="trained for robot 'planar3'"):
        viewers("planar2", model=path)
    other = save_model(tmp_path / "other.npz", "lwpr", {"w": np.zeros(2)}, {})
    with pytest.raises(iklearn.IKLearnError, match="cannot show a 'lwpr' model"):
        viewers("planar2", model=other)


# ---------------------------------------------------------------------- solutions and paths
def test_solutions_are_the_solvers_set_drawn_side_by_side(viewers):
    from iklearn.solvers import solve_set

    v = viewers("ur5")
    T = fk(v.chain, np.array([0.3, -1.2, 1.4, -0.6, 1.1, 0.4]))
    v.set_target(T)
    sset = v.solutions.show(n_solutions=8, min_distance=0.5)
    ref = solve_set(v.chain, T, n_solutions=8, min_distance=0.5, q0=v.state.q, method="auto", seed=0)
    n = int(ref.count[0])
    assert n == v.solutions.count >= 2  # a generic UR5 pose: up to eight closed-form solutions
    np.testing.assert_array_equal(sset.q[0, :n], ref.q[0, :n])
    assert len(v.solutions._ghosts) == n
    # each ghost stands on its own base, the k-th 0.9 reach along y; its tip reaches the target there
    for k, (base, ghost) in enumerate(v.solutions._ghosts):
        np.testing.assert_allclose(base.position, [0, 0.9 * v.chain.reach() * (k + 1), 0])
        pos, _ = pose_error(fk(v.chain, sset.q[0, k])[None], T[None])
        assert pos[0] < 1e-6
    s = v.solutions.use(n - 1)
    np.testing.assert_array_equal(s.q, ref.q[0, n - 1])
    v.solutions.clear()
    assert v.solutions._ghosts == []
    with pytest.raises(iklearn.IKLearnError, match="no solution #20"):
        v.solutions.use(19)


def test_path_is_solved_played_and_flags_discontinuities(viewers, tmp_path):
    from scipy.spatial.transform import Rotation

    from iklearn.data.csvio import write_poses_csv
    from iklearn.kinematics.pose import matrix_to_pose7
    from iklearn.solvers import solve_path

    v = viewers("panda", meshes=False)
    # one full turn of the tool about its own axis: joint 7 (+-2.8973 rad) runs into its limit on the way
    T0 = fk(v.chain, v.chain.pose("ready"))
    turn = np.tile(np.eye(4), (40, 1, 1))
    turn[:, :3, :3] = Rotation.from_rotvec(np.outer(np.linspace(0, 2 * np.pi, 40), [0, 0, 1])).as_matrix()
    P = matrix_to_pose7(T0 @ turn)
    csv = write_poses_csv(tmp_path / "turn.csv", P)
    res = v.path.load(csv)
    ref = solve_path(v.chain, P, q0=v.chain.pose("ready"), method="lm", seed=0)
    np.testing.assert_array_equal(res.q, ref.q)
    np.testing.assert_array_equal(res.discontinuity, ref.discontinuity)
    flagged = res.discontinuities
    assert flagged.size >= 1 and set(res.reason[flagged]) <= {"limit", "singularity", "branch"}
    assert f"{len(res)} rows, 40 solved, {flagged.size} discontinuities" in v.path._text.content
    assert f"row {flagged[0]}: {res.reason[flagged[0]]}" in v.path._text.content
    # every row shown is the path's own solution and error, flagged rows say so
    for i in (0, int(flagged[0]), 39):
        s = v.path.show_row(i)
        np.testing.assert_array_equal(s.q, res.q[i])
        assert s.position_error == res.position_error[i] and s.source == "path"
        assert f"path row {i}/39" in v.status_text
        assert ("discontinuity" in v.status_text) == bool(res.discontinuity[i])
    v.path._fps.value = 120
    v.path._row.value = 0
    v.path.play()
    v.path._player.join(timeout=60)
    assert int(v.path._row.value) == 39
    np.testing.assert_array_equal(v.q, res.q[39])
    with pytest.raises(iklearn.IKLearnError):
        v.path.load(np.zeros((0, 7)))
