"""`iklearn reproduce all --tiny` end to end through the CLI: every experiment runs, the report is written,
and every figure it names exists and is embedded in the HTML."""

from __future__ import annotations

import json
import re
import sys

import pytest


def test_reproduce_all_tiny_end_to_end(tmp_path, monkeypatch, capsys):
    from iklearn.cli import main
    from iklearn.experiments import EXPERIMENTS

    out = tmp_path / "report"
    monkeypatch.setattr(sys, "argv", ["iklearn", "reproduce", "all", "--tiny", "--out", str(out)])
    with pytest.raises(SystemExit) as ei:
        main()
        raise SystemExit(0)
    summary = json.loads((out / "summary.json").read_text())
    statuses = {e["name"]: e["status"] for e in summary["experiments"]}
    assert statuses == {n: "done" for n in EXPERIMENTS}, statuses
    assert ei.value.code in (0, None)
    md = (out / "report.md").read_text()
    figs = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", md)
    assert figs, "the report shows no figure"
    for f in figs:
        assert (out / f).is_file() and (out / f).stat().st_size > 0, f
    html = (out / "report.html").read_text()
    assert html.count("data:image/png;base64,") == len(figs)
    for name in EXPERIMENTS:
        res = json.loads((out / name / "result.json").read_text())
        for d in res["data"]:
            assert (out / name / d).is_file(), f"{name}: data file {d} missing"
    # a second run resumes: nothing is recomputed
    monkeypatch.setattr(sys, "argv", ["iklearn", "reproduce", "all", "--tiny", "--out", str(out)])
    with pytest.raises(SystemExit):
        main()
        raise SystemExit(0)
    summary = json.loads((out / "summary.json").read_text())
    assert {e["status"] for e in summary["experiments"]} == {"resumed"}
