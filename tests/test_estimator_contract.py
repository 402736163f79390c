"""Every learned estimator through the same checks (the contract in ``iklearn.estimators``' docstring), as
scikit-learn's ``check_estimator`` does: constructor, fit, predict's type and shapes, unfitted errors, save
and load to the bit, refusal of another robot (same name, other kinematics) and of a newer format, no pickle.

Each case fits on a few dozen samples with the smallest settings: the checks are about the interface, the
estimators' accuracy is tested in their own files.
"""

from __future__ import annotations

import dataclasses
import inspect
import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pytest

from iklearn.errors import IKLearnError, ModelMismatchError, NotFittedError
from iklearn.kinematics import fk
from iklearn.robot import Chain, load_robot


@dataclass
class Case:
    """How to build, fit and query one estimator: ``make(robot)``, ``fit(est, data)``, ``predict(est, data)``."""

    make: Callable[[Chain | None], Any]
    data: Callable[[Chain | None], dict]
    fit: Callable[[Any, dict], Any]
    predict: Callable[[Any, dict], Any]
    robot: str | None  # the robot a robot-tied estimator is made for; None: robot-free
    rows: int  # rows predict answers for
    extra: str | None = None  # optional dependency

    @property
    def chain(self) -> Chain | None:
        return None if self.robot is None else load_robot(self.robot)


def _poses_and_q(robot: Chain, n: int, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    q = rng.uniform(robot.finite_lower, robot.finite_upper, (n, robot.dof))
    return {"X": fk(robot, q), "q": q}


def _ml_ik_regressor(robot):
    from iklearn.estimators.ml_ik import ClusteredMLPRegressor

    return ClusteredMLPRegressor(robot=robot, n_clusters=2, hidden=(8,), max_epochs=2, batch_size=16,
                                 features="quat", n_threads=1, random_state=0)


def _ml_ik_classifier(robot):
    from iklearn.estimators.ml_ik import ConditioningClassifier

    return ConditioningClassifier(robot=robot, hidden=(8,), max_epochs=2, batch_size=16, n_threads=1,
                                  random_state=0)


def _crisp(robot):
    from iklearn.estimators.crisp import CRiSP

    return CRiSP(robot=robot, sigma=0.5, lam=1e-6, max_iter=20, random_state=0)


def _mlp(robot):
    from iklearn.estimators.mlp import MLPIK

    return MLPIK(robot=robot, hidden=(8,), max_iter=3, batch_size=16, random_state=0)


def _learned_ik(robot):
    from iklearn.estimators.learned import LearnedIK

    return LearnedIK(robot=robot, method="crisp", params={"crisp": {"sigma": 0.5, "max_iter": 20}}, holdout=0.1)


def _lwpr(robot):
    from iklearn.estimators.lwpr import LWPR

    return LWPR(init_D=10.0)


def _lwpr_data(robot):
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (60, 2))
    return {"X": X, "Y": np.column_stack([np.sin(X[:, 0]), X[:, 0] * X[:, 1]])}


def _velocity_ik(robot):
    from iklearn.estimators.lwpr import VelocityIKLearner

    return VelocityIKLearner(robot=robot, theta_opt=np.zeros(robot.dof), task_dim=2, slow_start=1e-10)


def _velocity_data(robot):
    rng = np.random.default_rng(0)
    return {"xdot": rng.normal(0, 0.1, (40, 2)), "theta": rng.normal(0, 0.3, (40, robot.dof)),
            "thetadot": rng.normal(0, 0.2, (40, robot.dof))}


def _gp(robot):
    from iklearn.estimators.gp_ik import OnlineGP

    return OnlineGP(length_scale=0.8, signal_variance=0.05, noise_variance=1e-4, prior_mean=0.5, max_size=16)


def _gp_data(robot):
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (24, 3))
    return {"X": X, "y": np.sin(X).sum(1)}


def _jacobian_net(robot):
    from iklearn.estimators.jacobian_net import JacobianNet

    return JacobianNet(encoder=(8,), confidence=(4,), estimation=(8,), batch_size=16, pretrain_epochs=1,
                       confidence_epochs=1, n_cycles=0, n_threads=1, random_state=0)


def _jacobian_net_data(robot):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 24))
    return {"X": X, "y": (X[:, 0] > 0).astype(float), "J": rng.normal(size=(64, 36))}


CASES = {
    "ml_ik.ClusteredMLPRegressor": Case(
        _ml_ik_regressor, lambda r: _poses_and_q(r, 48), lambda e, d: e.fit(d["X"], d["q"]),
        lambda e, d: e.predict(d["X"][:5]), "planar3", 5, "torch"),
    "ml_ik.ConditioningClassifier": Case(
        _ml_ik_classifier, lambda r: {**_poses_and_q(r, 48), "y": np.arange(48) % 4},
        lambda e, d: e.fit(d["X"], d["y"]), lambda e, d: e.predict(d["X"][:5]), "planar3", 5, "torch"),
    "crisp.CRiSP": Case(
        _crisp, lambda r: _poses_and_q(r, 40), lambda e, d: e.fit(d["X"], d["q"]),
        lambda e, d: e.predict(d["X"][:3]), "planar3", 3),
    "mlp.MLPIK": Case(
        _mlp, lambda r: _poses_and_q(r, 40), lambda e, d: e.fit(d["X"], d["q"]),
        lambda e, d: e.predict(d["X"][:5]), "planar3", 5),
    "learned.LearnedIK": Case(
        _learned_ik, lambda r: _poses_and_q(r, 40), lambda e, d: e.fit(d["X"], d["q"]),
        lambda e, d: e.predict(d["X"][:3]), "planar3", 3),
    "lwpr.LWPR": Case(
        _lwpr, _lwpr_data, lambda e, d: e.fit(d["X"], d["Y"]), lambda e, d: e.predict(d["X"][:5]), None, 5),
    "lwpr.VelocityIKLearner": Case(
        _velocity_ik, _velocity_data, lambda e, d: e.fit(d["xdot"], d["theta"], d["thetadot"]),
        lambda e, d: e.predict(d["xdot"][:5], d["theta"][:5]), "planar3", 5),
    "gp_ik.OnlineGP": Case(
        _gp, _gp_data, lambda e, d: e.fit(d["X"], d["y"]), lambda e, d: e.predict(d["X"][:5]), None, 5),
    "jacobian_net.JacobianNet": Case(
        _jacobian_net, _jacobian_net_data, lambda e, d: e.fit(d["X"], d["y"], d["X"][d["y"] > 0], d["J"][d["y"] > 0]),
        lambda e, d: e.predict(d["X"][:5]), None, 5, "torch"),
}


@pytest.fixture(params=list(CASES), scope="module")
def case(request):
    c = CASES[request.param]
    if c.extra:
        pytest.importorskip(c.extra)
    return c


@pytest.fixture(scope="module")
def fitted(case, tmp_path_factory):
    """``(estimator, data, prediction, saved path)`` for one case, fitted once per module."""
    data = case.data(case.chain)
    est = case.make(case.chain)
    out = case.fit(est, data)
    assert out is est, "fit must return self"
    path = tmp_path_factory.mktemp("models") / "model.npz"
    return est, data, case.predict(est, data), est.save(path), path


def _same(a, b) -> bool:
    """Equal to the bit, NaN where NaN, through arrays, tuples and dataclasses."""
    if dataclasses.is_dataclass(a):
        return type(a) is type(b) and all(_same(getattr(a, f.name), getattr(b, f.name)) for f in dataclasses.fields(a))
    if isinstance(a, tuple):
        return type(a) is type(b) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return np.array_equal(np.asarray(a), np.asarray(b), equal_nan=np.asarray(a).dtype.kind == "f")


def _first_array(out):
    if dataclasses.is_dataclass(out):
        return np.asarray(getattr(out, dataclasses.fields(out)[0].name))
    return np.asarray(out[0] if isinstance(out, tuple) else out)


def test_constructor_stores_keyword_parameters_only(case):
    est = case.make(case.chain)
    sig = inspect.signature(type(est).__init__)
    params = {n for n, p in sig.parameters.items() if n != "self"}
    assert all(p.kind == p.KEYWORD_ONLY or n == "robot" for n, p in sig.parameters.items() if n != "self")
    assert set(vars(est)) <= params, f"__init__ sets more than its parameters: {sorted(set(vars(est)) - params)}"
    for name in params:
        assert hasattr(est, name), f"parameter {name!r} is not stored under its own name"
    if case.robot is not None:
        assert "robot" in params and est.robot is case.chain
    else:
        assert "robot" not in params


def test_fit_returns_self_and_predict_has_one_type(case, fitted):
    est, data, pred, _, _ = fitted
    assert _first_array(pred).shape[0] == case.rows
    again = case.predict(est, data)
    assert type(again) is type(pred) and _same(again, pred), "predict is deterministic and of one type"


def test_unfitted_estimator_raises(case, tmp_path):
    est = case.make(case.chain)
    data = case.data(case.chain)
    with pytest.raises(NotFittedError):
        case.predict(est, data)
    with pytest.raises(IKLearnError):
        est.save(tmp_path / "m.npz")
    assert not (tmp_path / "m.npz").exists()


def test_save_returns_the_path_and_writes_no_pickle(fitted):
    _, _, _, saved, path = fitted
    assert isinstance(saved, Path) and saved == path and path.is_file()
    with np.load(path, allow_pickle=False) as z:  # would raise on an object (pickled) array
        for k in z.files:
            assert z[k].dtype != object
    with zipfile.ZipFile(path) as zf:
        assert all(name.endswith(".npy") for name in zf.namelist())


def test_load_round_trip_is_equal_to_the_bit(case, fitted):
    est, data, pred, _, path = fitted
    sig = inspect.signature(type(est).load)
    assert sig.parameters["robot"].kind == inspect.Parameter.KEYWORD_ONLY
    assert sig.parameters["robot"].default is None
    for robot in ([case.chain, None] if case.robot else [None]):
        back = type(est).load(path, robot=robot)
        assert type(back) is type(est)
        assert _same(case.predict(back, data), pred)
        if case.robot:
            assert back.robot.fingerprint() == case.chain.fingerprint()


def _with_header(path: Path, out: Path, change: Callable[[dict], None]) -> Path:
    """A copy of a model file whose JSON header was edited by ``change``."""
    with np.load(path, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    header = json.loads(arrays["__meta_json__"].tobytes().decode())
    change(header)
    arrays["__meta_json__"] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    out.write_bytes(buf.getvalue())
    return out


def test_load_refuses_a_newer_format(case, fitted, tmp_path):
    est, _, _, _, path = fitted
    newer = _with_header(path, tmp_path / "newer.npz", lambda h: h.update(format_version=h["format_version"] + 1))
    with pytest.raises(ModelMismatchError, match="newer"):
        type(est).load(newer, robot=case.chain)
    other = _with_header(path, tmp_path / "other.npz", lambda h: h.update(kind="something-else"))
    with pytest.raises(ModelMismatchError):
        type(est).load(other, robot=case.chain)


def test_load_refuses_another_robot_of_the_same_name(case, fitted):
    est, _, _, _, path = fitted
    with np.load(path, allow_pickle=False) as z:
        header = json.loads(z["__meta_json__"].tobytes().decode())
    if case.robot is None:
        assert header["robot"] is None and header["robot_fingerprint"] is None
        return
    assert header["robot_fingerprint"] == case.chain.fingerprint()
    d = case.chain.to_dict()
    fixed = np.asarray(d["fixed"])
    fixed[-1, 0, 3] += 0.01  # 1 cm longer last link, same name
    d["fixed"] = fixed.tolist()
    impostor = Chain.from_dict(d)
    assert impostor.name == case.chain.name and impostor.fingerprint() != case.chain.fingerprint()
    with pytest.raises(ModelMismatchError, match=case.chain.name):
        type(est).load(path, robot=impostor)


def test_every_estimator_has_a_case():
    """A learned estimator added anywhere under ``iklearn.estimators`` (a class with ``fit`` and ``save``) must
    join CASES; the calibration layer fits a robot's parameters by a function (``iklearn.calibration.calibrate``)
    and keeps no estimator object, so it has none."""
    import importlib
    import pkgutil

    import iklearn.estimators as E

    found = set()
    for info in pkgutil.walk_packages(E.__path__, "iklearn.estimators."):
        if info.name.rsplit(".", 1)[-1].startswith("_"):
            continue
        try:
            mod = importlib.import_module(info.name)
        except ImportError as exc:  # an optional dependency that is not installed
            pytest.skip(f"{info.name}: {exc}")
        for name, obj in vars(mod).items():
            if (inspect.isclass(obj) and obj.__module__ == info.name and not name.startswith("_")
                    and callable(getattr(obj, "fit", None)) and callable(getattr(obj, "save", None))):
                found.add(f"{info.name.split('.')[2]}.{name}")
    assert len(found) >= 9, f"the walk found only {sorted(found)}"
    assert found <= set(CASES), f"estimators without a contract case: {sorted(found - set(CASES))}"
