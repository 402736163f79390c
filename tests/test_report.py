"""The combined report pipeline: runner (resume, failure isolation) and Markdown/HTML writer."""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path

import numpy as np
import pytest

from iklearn.experiments import runner
from iklearn.evaluation.record import Claim, ExperimentResult, Table, machine_info, save_json
from iklearn.evaluation.report import build_report

CALLS: list[str] = []


def _fake_module(name: str, fail: bool = False) -> types.ModuleType:
    mod = types.ModuleType(f"fake_exp_{name}")

    def run(out: Path, size: str = "quick", seed: int = 0, progress=None) -> ExperimentResult:
        CALLS.append(name)
        if fail:
            raise RuntimeError("boom")
        from iklearn.evaluation.plotting import plt

        pyplot = plt()
        fig, ax = pyplot.subplots()
        x = np.arange(5)
        ax.plot(x, x**2)
        fig.savefig(out / "curve.png")
        pyplot.close(fig)
        save_json(out / "curve.json", {"x": x, "y": x**2})
        res = ExperimentResult(name=name, title=f"Fake {name}", size=size, seed=seed,
                               tables=[Table("t", ["a", "ours", "published"], [["x", 1.0, 2.0]])],
                               claims=[Claim(f"{name}.thing", "thing", "paper", 1.0, "<=", 2.0, published="2")],
                               figures=["curve.png"], data=["curve.json"])
        res.save(out)
        return res

    mod.run = run
    sys.modules[mod.__name__] = mod
    return mod


@pytest.fixture
def fake_registry(monkeypatch):
    CALLS.clear()
    _fake_module("a")
    _fake_module("b")
    _fake_module("c", fail=True)
    monkeypatch.setattr(runner, "EXPERIMENTS", {n: f"fake_exp_{n}" for n in "abc"})


def test_run_all_isolates_failure_and_resumes(tmp_path, fake_registry):
    recs = runner.run_all(tmp_path, size="tiny", seed=3)
    assert [r.status for r in recs] == ["done", "done", "failed"]
    assert "boom" in json.loads((tmp_path / "c" / "error.json").read_text())["error"]
    CALLS.clear()
    recs = runner.run_all(tmp_path, size="tiny", seed=3)
    assert [r.status for r in recs] == ["resumed", "resumed", "failed"]
    assert CALLS == ["c"]  # only the unfinished experiment runs again
    CALLS.clear()
    runner.run_all(tmp_path, size="tiny", seed=4)  # another seed: everything reruns
    assert CALLS == ["a", "b", "c"]


def test_interrupted_experiment_is_redone(tmp_path, fake_registry):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "half.png").write_bytes(b"\x89PNG partial")  # no result.json: unfinished
    recs = runner.run_all(tmp_path, size="tiny", seed=0, only=["a"])
    assert recs[0].status == "done" and not (tmp_path / "a" / "half.png").exists()


def test_report_embeds_every_figure(tmp_path, fake_registry):
    recs = runner.run_all(tmp_path, size="tiny", seed=0)
    md, html = build_report(recs, tmp_path, size="tiny", seed=0, wall_time_s=1.0, machine=machine_info(),
                            command="iklearn reproduce all --tiny")
    text = md.read_text()
    assert "](a/curve.png)" in text and "](b/curve.png)" in text
    assert "failed" in text and "boom" in text
    page = html.read_text()
    assert page.count("data:image/png;base64,") == 2
    assert "missing figure" not in page
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert [e["status"] for e in summary["experiments"]] == ["done", "done", "failed"]


def test_result_roundtrip(tmp_path):
    res = ExperimentResult(name="x", title="X", size="tiny", seed=1, tables=[Table("t", ["a"], [[np.float64(1.5)]])],
                           claims=[Claim("x.c", "c", "extension", 1.0, ">=", 2.0)])
    res.save(tmp_path)
    back = ExperimentResult.load(tmp_path / "result.json")
    assert back.tables[0].rows == [[1.5]] and back.claims[0].what == "c" and back.claims[0].met is False
