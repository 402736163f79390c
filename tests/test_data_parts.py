"""Dataset directories: checksums of every file, resume that validates what it keeps, output paths, engines."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import sigint_default
from iklearn.data.dataset import describe_dataset, generate_dataset, load_dataset
from iklearn.data.generate import write_dataset
from iklearn.data.parts import DatasetWarning
from iklearn.errors import DataFormatError, IKLearnError, MissingExtraError, OutputPathError

KW = dict(seed=5, chunk_size=100, labels=("conditioning", "unreachable"), n_unreachable=12)


class Stop(Exception):
    pass


def _stop_after(n_parts: int):
    def cb(k, n):
        if k + 1 >= n_parts:
            raise Stop

    return cb


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """A finished 350-sample Panda dataset (4 parts, labels, unreachable poses) and its in-memory copy."""
    d = tmp_path_factory.mktemp("ref") / "ref.parquet"
    return d, generate_dataset("panda", 350, out=d, **KW)


def _same(a, b) -> None:
    for f in ("q", "pose", "jacobian", "unreachable"):
        np.testing.assert_array_equal(getattr(a, f), getattr(b, f))
    np.testing.assert_array_equal(a.labels["conditioning"], b.labels["conditioning"])


# --------------------------------------------------------------------------- damaged files (issue 16, item 8)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_changed_bytes_are_refused_naming_the_file(reference, tmp_path, data):
    src, _ = reference
    d = tmp_path / "d.parquet"
    if d.exists():
        shutil.rmtree(d)
    shutil.copytree(src, d)
    name = data.draw(st.sampled_from(sorted(f.name for f in d.iterdir())), label="file")
    f = d / name
    raw = bytearray(f.read_bytes())
    at = data.draw(st.integers(0, len(raw) - 1), label="offset")
    length = data.draw(st.integers(1, min(400, len(raw) - at)), label="length")
    new = data.draw(st.binary(min_size=length, max_size=length), label="bytes")
    if bytes(raw[at:at + length]) == new:
        new = bytes(b ^ 0xFF for b in new)
    raw[at:at + length] = new
    f.write_bytes(bytes(raw))
    for read in (load_dataset, describe_dataset):
        with pytest.raises(DataFormatError, match=name.replace(".", r"\.")):
            read(d)


def test_data_info_refuses_a_zeroed_part(reference, tmp_path, cli):
    """The issue's repro: 400 zeroed bytes in the middle of a part; `data info` used to exit 0."""
    d = tmp_path / "d.parquet"
    shutil.copytree(reference[0], d)
    part = d / "part-000001.parquet"
    raw = bytearray(part.read_bytes())
    mid = len(raw) // 2 - 200
    raw[mid:mid + 400] = bytes(400)
    part.write_bytes(bytes(raw))
    code, out, err = cli("data", "info", str(d))
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1
    assert "part-000001.parquet is damaged" in err and "Traceback" not in err


# --------------------------------------------------------------------------- resume (issue 16, item 9)
def _interrupted(tmp_path: Path, n_parts: int) -> Path:
    out = tmp_path / "run.parquet"
    with pytest.raises(Stop), pytest.warns(DatasetWarning, match="--resume"):
        write_dataset("panda", 350, out, callback=_stop_after(n_parts), **KW)
    return out


@pytest.mark.parametrize("damage", ["truncate", "flip", "delete", "unrecorded", "manifest"])
def test_resume_validates_what_it_keeps(reference, tmp_path, damage):
    out = _interrupted(tmp_path, 3)
    part = tmp_path / "run.parquet.partial"
    p1 = part / "part-000001.parquet"
    if damage == "truncate":
        p1.write_bytes(p1.read_bytes()[: p1.stat().st_size // 2])
        why = "part-000001.parquet.*truncated"
    elif damage == "flip":
        raw = bytearray(p1.read_bytes())
        raw[len(raw) // 3] ^= 0x01
        p1.write_bytes(bytes(raw))
        why = "part-000001.parquet.*SHA-256"
    elif damage == "delete":
        p1.unlink()
        why = "part-000001.parquet.*missing"
    elif damage == "unrecorded":  # a part renamed into place just before a crash, its record not yet written
        man = json.loads((part / "_manifest.json").read_text())
        man["parts"] = [r for r in man["parts"] if r["index"] != 2]
        man.pop("sha256")
        from iklearn.data.parts import _digest

        man["sha256"] = _digest(man)
        (part / "_manifest.json").write_text(json.dumps(man))
        why = "part-000002.parquet was written but not recorded"
    else:
        (part / "_manifest.json").write_text("{broken")
        why = "_manifest.json is missing or damaged; recomputing the 3 file"
    done = []
    with pytest.warns(DatasetWarning, match=why):
        m = write_dataset("panda", 350, out, resume=True, callback=lambda k, n: done.append(k), **KW)
    assert sorted(done) == [0, 1, 2, 3] and m.complete
    _same(load_dataset(out), reference[1])
    ref_files = {f.name: f.read_bytes() for f in reference[0].iterdir()}
    assert {f.name: f.read_bytes() for f in out.iterdir()} == ref_files


def test_resume_keeps_valid_parts_silently(reference, tmp_path, recwarn):
    out = _interrupted(tmp_path, 2)
    done = []
    m = write_dataset("panda", 350, out, resume=True, callback=lambda k, n: done.append(k), **KW)
    assert not [w for w in recwarn if issubclass(w.category, DatasetWarning)]
    assert done == [0, 1, 2, 3] and len(m.parts) == 4
    _same(load_dataset(out), reference[1])


def test_cli_resume_after_truncation_and_rerun_without_resume(reference, tmp_path, cli):
    out = _interrupted(tmp_path, 3)
    p0 = tmp_path / "run.parquet.partial" / "part-000000.parquet"
    p0.write_bytes(p0.read_bytes()[:100])
    args = ["data", "generate", "--robot", "panda", "--n", "350", "--out", str(out), "--seed", "5",
            "--chunk-size", "100", "--labels", "conditioning,unreachable", "--n-unreachable", "12", "--quiet"]
    code, _, err = cli(*args)  # without --resume: refused, nothing discarded
    assert code == 2 and "--resume" in err and len(err.strip().splitlines()) == 1
    assert len(list((tmp_path / "run.parquet.partial").glob("part-*"))) == 3
    code, out_text, err = cli(*args, "--resume")
    assert code == 0 and "Traceback" not in err, err
    assert err.startswith("warning: ") and "part-000000.parquet" in err and "recomputing" in err
    assert "350 samples" in out_text
    _same(load_dataset(out), reference[1])


def test_sigint_then_resume_gives_the_same_rows(tmp_path):
    """Ctrl-C (SIGINT) in the middle of a CLI run, then --resume: the dataset equals an uninterrupted run's."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1] / "src")}
    args = [sys.executable, "-c", "from iklearn.cli import main; main()", "data", "generate", "--robot", "panda",
            "--n", "6000", "--chunk-size", "200", "--seed", "9", "--quiet"]
    out = tmp_path / "int.parquet"
    proc = subprocess.Popen([*args, "--out", str(out)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, preexec_fn=sigint_default)
    try:
        man = tmp_path / "int.parquet.partial" / "_manifest.json"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            if man.exists() and '"index": 1' in man.read_text():
                break
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, err  # Ctrl-C's status, with one line saying how to resume
    assert "stopped with" in err and "--resume" in err and "Traceback" not in err, err
    assert not out.exists()
    kept = len(list((tmp_path / "int.parquet.partial").glob("part-*")))
    assert 1 <= kept < 30
    done = subprocess.run([*args, "--out", str(out), "--resume"], env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    ref = generate_dataset("panda", 6000, chunk_size=200, seed=9)
    r = load_dataset(out)
    np.testing.assert_array_equal(r.q, ref.q)
    np.testing.assert_array_equal(r.jacobian, ref.jacobian)


# --------------------------------------------------------------------------- output paths and layout
def test_output_paths(tmp_path):
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "mine.txt").write_text("x")
    with pytest.raises(OutputPathError, match="not an iklearn dataset"):
        write_dataset("panda", 10, tmp_path / "notes")
    (tmp_path / "file.txt").write_text("keep me")
    with pytest.raises(OutputPathError, match="not an iklearn dataset"):
        write_dataset("panda", 10, tmp_path / "file.txt")
    assert (tmp_path / "file.txt").read_text() == "keep me"
    write_dataset("panda", 10, tmp_path / "real")
    (tmp_path / "link").symlink_to(tmp_path / "real")
    with pytest.raises(OutputPathError, match="symbolic link"):
        write_dataset("panda", 10, tmp_path / "link")
    with pytest.raises(OutputPathError, match="does not exist"):
        write_dataset("panda", 10, tmp_path / "no" / "d")
    with pytest.raises(DataFormatError, match="one of --resume"):
        write_dataset("panda", 10, tmp_path / "x", resume=True, fresh=True)


def test_parts_read_by_plain_parquet_readers(reference):
    import pyarrow.parquet as pq

    t = pq.read_table(reference[0])  # skips the _manifest.json, _labels and _unreachable files
    assert t.num_rows == 350 and "J5_6" in t.column_names
    np.testing.assert_array_equal(t.column("q3").to_numpy(), reference[1].q[:, 3])


def test_in_memory_and_streamed_rows_are_equal(reference):
    mem = generate_dataset("panda", 350, **KW)
    _same(mem, reference[1])


# --------------------------------------------------------------------------- engines
def test_engine_arguments(tmp_path, monkeypatch):
    with pytest.raises(IKLearnError, match="unknown engine"):
        write_dataset("panda", 10, tmp_path / "d", engine="spark")
    with pytest.raises(IKLearnError, match="--address.*--engine ray"):
        write_dataset("panda", 10, tmp_path / "d", address="auto")
    for bad in ("nohost", "h:0", "h:99999", "a b:1"):
        with pytest.raises(IKLearnError, match="--address"):
            write_dataset("panda", 10, tmp_path / "d", engine="ray", address=bad)
    monkeypatch.setitem(sys.modules, "ray", None)  # as if the extra were not installed
    with pytest.raises(MissingExtraError, match=r"iklearn\[distributed\]"):
        write_dataset("panda", 10, tmp_path / "d", engine="ray")
    assert not (tmp_path / "d").exists()
