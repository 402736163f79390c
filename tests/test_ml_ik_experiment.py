"""The paper-001 experiment end to end at the tiny size (slow: trains four small networks and builds a dataset)."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("torch")
pytest.importorskip("matplotlib")


@pytest.mark.slow
def test_ml_ik_tiny_writes_tables_claims_and_figures(tmp_path):
    from iklearn.evaluation.record import ExperimentResult
    from iklearn.experiments.ml_ik import NAME, run

    res = run(tmp_path, size="tiny", seed=0)
    assert res.name == NAME and len(res.tables) == 3 and len(res.claims) == 8
    for f in res.figures + res.data:
        assert (tmp_path / f).is_file(), f
    saved = ExperimentResult.load(tmp_path / "result.json")
    checks = {c.id: c for c in saved.claims}["ml-ik.persistence.checks-failed"]
    assert checks.met is True and checks.judged("tiny") is False  # save/load/refusal checks hold at any size
    assert not any(c.judged("quick") for c in saved.claims if c is not checks)  # targets judged at full size
    reg = json.loads((tmp_path / "regressor.json").read_text())
    assert reg["refined_5_lm"]["ee_mean_m"] < reg["ML (clustered, 4), ours"]["ee_mean_m"]
    gated = json.loads((tmp_path / "gated.json").read_text())
    assert gated["ik_calls_gated"] <= gated["ik_calls_plain"]
