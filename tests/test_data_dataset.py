"""Dataset generation, Parquet storage, interruption and resume (iklearn.data.dataset)."""

import hashlib
import json
import shutil

import numpy as np
import pytest

from iklearn.data import storage
from iklearn.data.dataset import generate_dataset, load_dataset, read_dataset
from iklearn.data.parts import DatasetWarning
from iklearn.data.sampling import DataArgumentError, sample_joints
from iklearn.errors import DataFormatError, IKLearnError, OutputPathError
from iklearn.kinematics import fk_pose, jacobian, manipulability
from iklearn.robot import load_robot


@pytest.fixture(scope="module")
def panda():
    return load_robot("panda")


def _sha(p):
    """SHA-256 of a file, or of every file (name and bytes) of a dataset directory."""
    if p.is_dir():
        return hashlib.sha256(b"".join(f.name.encode() + f.read_bytes() for f in sorted(p.iterdir()))).hexdigest()
    return hashlib.sha256(p.read_bytes()).hexdigest()


def test_contents_match_kinematics(panda):
    ds = generate_dataset(panda, 500, sampler="lhs", seed=2, chunk_size=128, labels=("conditioning",))
    assert len(ds) == 500 and ds.q.shape == (500, 7) and ds.jacobian.shape == (500, 6, 7)
    assert panda.within_limits(ds.q).all()
    np.testing.assert_allclose(ds.pose, fk_pose(panda, ds.q), atol=1e-12)
    np.testing.assert_allclose(ds.jacobian, jacobian(panda, ds.q), atol=1e-12)
    m = manipulability(ds.jacobian)
    for k in ("yoshikawa", "inverse_condition", "isotropy"):
        np.testing.assert_allclose(ds.metrics[k], getattr(m, k))
    lo, hi = ds.thresholds
    ic = ds.metrics["inverse_condition"]
    np.testing.assert_array_equal(ds.labels["conditioning"], np.where(ic < lo, 1, np.where(ic < hi, 2, 3)))


def test_single_chunk_equals_sample_joints(panda):
    for m in ("uniform", "sobol"):
        ds = generate_dataset(panda, 300, sampler=m, seed=5, chunk_size=1000)
        np.testing.assert_array_equal(ds.q, sample_joints(panda, 300, m, seed=5))
    # sobol chunks continue one sequence
    ds = generate_dataset(panda, 300, sampler="sobol", seed=5, chunk_size=64)
    np.testing.assert_array_equal(ds.q, sample_joints(panda, 300, "sobol", seed=5))


def test_round_trip_and_identical_files(panda, tmp_path):
    kw = dict(seed=7, chunk_size=100, labels=("conditioning", "unreachable"), n_unreachable=20)
    a = generate_dataset(panda, 250, out=tmp_path / "a.parquet", **kw)
    generate_dataset(panda, 250, out=tmp_path / "b.parquet", **kw)
    assert _sha(tmp_path / "a.parquet") == _sha(tmp_path / "b.parquet")
    assert sorted(f.name for f in (tmp_path / "a.parquet").iterdir()) == [
        "_labels.parquet", "_manifest.json", "_unreachable.parquet", "part-000000.parquet", "part-000001.parquet",
        "part-000002.parquet"]
    assert not (tmp_path / "a.parquet.partial").exists()
    r = read_dataset(tmp_path / "a.parquet")
    for f in ("q", "pose", "jacobian", "unreachable"):
        np.testing.assert_array_equal(getattr(r, f), getattr(a, f))
    np.testing.assert_array_equal(r.labels["conditioning"], a.labels["conditioning"])
    assert r.thresholds == a.thresholds and r.meta["seed"] == 7 and r.meta["sampler"] == "uniform"
    assert r.chain.fingerprint() == panda.fingerprint() and "iklearn_version" in r.meta
    X, y = r.classification_data()
    assert X.shape == (270, 7) and (y == 0).sum() == 20 and set(np.unique(y)) == {0, 1, 2, 3}
    c = generate_dataset(panda, 250, out=tmp_path / "c.parquet", **{**kw, "seed": 8})
    assert not np.array_equal(c.q, a.q)


class Boom(Exception):
    pass


def test_interrupt_then_resume_gives_same_data(panda, tmp_path):
    kw = dict(seed=3, chunk_size=64, labels=("conditioning",))
    ref = generate_dataset(panda, 300, out=tmp_path / "ref.parquet", **kw)
    out = tmp_path / "run.parquet"
    shutil.copytree(tmp_path / "ref.parquet", out)  # a previous complete dataset
    before = _sha(out)
    calls = []

    def stop_after_two(k, n):
        calls.append(k)
        if k == 1:
            raise Boom

    with pytest.raises(Boom):
        generate_dataset(panda, 300, out=out, seed=3, chunk_size=64, labels=("conditioning",), callback=stop_after_two)
    assert _sha(out) == before  # the previous complete dataset is untouched
    part = tmp_path / "run.parquet.partial"
    assert sorted(p.name for p in part.glob("part-*")) == ["part-000000.parquet", "part-000001.parquet"]
    assert not list(part.glob(".*.tmp")) and not list(tmp_path.glob(".*"))  # no stray temp file
    shutil.rmtree(out)
    done = []
    res = generate_dataset(panda, 300, out=out, resume=True, callback=lambda k, n: done.append(k), **kw)
    assert done == [0, 1, 2, 3, 4]
    np.testing.assert_array_equal(res.q, ref.q)
    assert _sha(out) == _sha(tmp_path / "ref.parquet")
    assert not part.exists()


def test_resume_refuses_other_request(panda, tmp_path):
    out = tmp_path / "x.parquet"

    def stop(k, n):
        raise Boom

    with pytest.raises(Boom):
        generate_dataset(panda, 200, out=out, seed=1, chunk_size=50, callback=stop)
    with pytest.raises(DataFormatError, match="another request"):
        generate_dataset(panda, 200, out=out, seed=2, chunk_size=50, resume=True)
    # without --resume, the finished part of the earlier run is not discarded silently (issue 16, item 9)
    with pytest.raises(DataFormatError, match="--resume.*--fresh"):
        generate_dataset(panda, 200, out=out, seed=2, chunk_size=50)
    with pytest.warns(DatasetWarning, match="discarded 1 finished file"):
        ds = generate_dataset(panda, 200, out=out, seed=2, chunk_size=50, fresh=True)
    assert len(ds) == 200 and out.is_dir() and not (tmp_path / "x.parquet.partial").exists()


def test_bad_inputs(panda, tmp_path):
    for n in (0, -1):
        with pytest.raises(DataArgumentError):
            generate_dataset(panda, n)
    with pytest.raises(DataArgumentError, match="label"):
        generate_dataset(panda, 10, labels=("fancy",))
    with pytest.raises(DataArgumentError):
        generate_dataset(panda, 10, sampler="grid")
    with pytest.raises(OutputPathError):
        generate_dataset(panda, 10, out=tmp_path / "no" / "such" / "d.parquet")
    with pytest.raises(IKLearnError):
        generate_dataset("no_such_robot", 10)


def test_foreign_and_newer_files(panda, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"a": [1, 2]}), tmp_path / "other.parquet")
    with pytest.raises(DataFormatError, match="not an iklearn dataset"):
        read_dataset(tmp_path / "other.parquet")
    (tmp_path / "junk.parquet").write_bytes(b"not parquet at all")
    with pytest.raises(DataFormatError, match="not a Parquet"):
        read_dataset(tmp_path / "junk.parquet")
    with pytest.raises(DataFormatError, match="does not exist"):
        read_dataset(tmp_path / "missing.parquet")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataFormatError, match="not an iklearn dataset"):
        read_dataset(tmp_path / "empty")
    generate_dataset(panda, 20, out=tmp_path / "d.parquet")
    man = tmp_path / "d.parquet" / "_manifest.json"
    body = json.loads(man.read_text())
    body["format_version"] = 99
    man.write_text(json.dumps(body))
    with pytest.raises(DataFormatError, match="newer"):
        read_dataset(tmp_path / "d.parquet")


def test_reads_single_file_datasets_of_format_1(panda, tmp_path):
    """A dataset written by iklearn 0.1 (one Parquet file, unreachable rows flagged) still reads."""
    ds = generate_dataset(panda, 120, seed=4, labels=("conditioning", "unreachable"), n_unreachable=8)
    cols = storage.sample_columns(np.vstack([ds.q, np.full((8, 7), np.nan)]), np.vstack([ds.pose, ds.unreachable]),
                                  np.vstack([ds.jacobian, np.full((8, 6, 7), np.nan)]),
                                  {k: np.concatenate([v, np.full(8, np.nan)]) for k, v in ds.metrics.items()})
    cols["reachable"] = np.arange(128) < 120
    cols["conditioning"] = np.concatenate([ds.labels["conditioning"], np.zeros(8, np.int8)])
    storage.write_table(tmp_path / "old.parquet", cols, ds.meta)
    r = load_dataset(tmp_path / "old.parquet")
    for f in ("q", "pose", "jacobian", "unreachable"):
        np.testing.assert_array_equal(getattr(r, f), getattr(ds, f))
    np.testing.assert_array_equal(r.labels["conditioning"], ds.labels["conditioning"])
    r.save(tmp_path / "new.parquet")  # an older single-file dataset is replaced by the directory layout
    r.save(tmp_path / "old.parquet")
    assert (tmp_path / "old.parquet").is_dir() and _sha(tmp_path / "old.parquet") == _sha(tmp_path / "new.parquet")


def test_other_robots(tmp_path):
    for name in ("planar5", "ur5"):
        chain = load_robot(name)
        ds = generate_dataset(name, 50, seed=0, out=tmp_path / f"{name}.parquet", labels=("conditioning",))
        r = read_dataset(tmp_path / f"{name}.parquet")
        assert r.jacobian.shape == (50, 6, chain.dof)
        np.testing.assert_array_equal(r.q, ds.q)
