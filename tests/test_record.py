"""Report records: a claim's ``met`` is computed from value, op and target, and survives a JSON round trip."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from iklearn.errors import IKLearnError
from iklearn.evaluation.record import OPS, Claim, ExperimentResult
from iklearn.evaluation.report import claim_status, claim_tables

finite = st.floats(allow_nan=False, allow_infinity=False, width=64)


@given(value=finite, target=finite, op=st.sampled_from(sorted(OPS)))
def test_met_is_the_comparison(value, target, op):
    c = Claim("x.y", "w", "paper", value, op, target)
    assert c.met is OPS[op](value, target)


def test_unjudged_and_unmeasured_claims_have_no_verdict():
    assert Claim("x.reported", "w", "extension", 3.0).met is None
    assert Claim("x.missing", "w", "paper", None, ">=", 1.0).met is None
    assert Claim("x.nan", "w", "paper", math.nan, ">=", 1.0).met is None


@pytest.mark.parametrize("kw", [dict(id="Bad Id"), dict(id="noexperiment"), dict(protocol="ours"),
                                dict(op="~"), dict(target=None), dict(judged_at="tiny")])
def test_malformed_claims_are_refused(kw):
    args = dict(id="x.y", what="w", protocol="paper", value=1.0, op=">=", target=1.0) | kw
    with pytest.raises(IKLearnError):
        Claim(**args)


def test_stored_met_is_never_trusted(tmp_path):
    res = ExperimentResult("x", "X", "quick", 0, claims=[Claim("x.a", "a", "paper", 1.0, ">=", 2.0)])
    res.save(tmp_path)
    d = json.loads((tmp_path / "result.json").read_text())
    assert d["claims"][0]["met"] is False
    d["claims"][0]["met"] = True  # a hand-edited verdict
    (tmp_path / "result.json").write_text(json.dumps(d))
    assert ExperimentResult.load(tmp_path / "result.json").claims[0].met is False


def test_duplicate_claim_ids_are_refused(tmp_path):
    c = Claim("x.a", "a", "paper", 1.0)
    with pytest.raises(IKLearnError, match="duplicate"):
        ExperimentResult("x", "X", "quick", 0, claims=[c, c]).save(tmp_path)


def test_report_puts_paper_rows_first_and_extensions_after_the_row_they_extend():
    claims = [Claim("x.ext-b", "eb", "extension", 1.0, extends="x.b"),
              Claim("x.a", "a", "paper", 1.0, ">=", 2.0),
              Claim("x.ext-a", "ea", "extension", 3.0, "<=", 4.0, extends="x.a"),
              Claim("x.b", "b", "paper", 1.0, judged_at="full")]
    res = ExperimentResult("x", "X", "quick", 0, claims=claims)
    (t1, _, rows1), (t2, _, rows2) = claim_tables(res)
    assert t1 == "On the paper's protocol" and [r[-1] for r in rows1] == ["x.a", "x.b"]
    assert t2 == "Our extensions" and [r[-1] for r in rows2] == ["x.ext-a", "x.ext-b"]
    assert claim_status(claims[1], "quick") == "NOT met (not judged at quick size)"
    assert claim_status(claims[1], "full") == "NOT met"
    assert claim_status(claims[2], "full") == "met"
    assert claim_status(claims[0], "full") == "reported"


def test_save_json_writes_standard_json_with_null_for_missing(tmp_path):
    import numpy as np

    from iklearn.evaluation.record import save_json

    p = save_json(tmp_path / "d" / "x.json", {"a": np.array([1.0, np.nan, np.inf]), "b": np.float32(np.nan),
                                              "c": [(2, -np.inf)], "n": np.int64(3)})
    refuse = lambda c: (_ for _ in ()).throw(AssertionError(c))  # noqa: E731 - NaN / Infinity are no JSON
    assert json.loads(p.read_text(), parse_constant=refuse) == {"a": [1.0, None, None], "b": None,
                                                                "c": [[2, None]], "n": 3}


def test_checkpoints_reuse_only_matching_keys_and_complete_files(tmp_path):
    """A checkpoint is reused only when its key is equal and (for a model) its file is there; has() agrees."""
    from iklearn.evaluation.checkpoint import Checkpoints

    calls = []

    def train():
        calls.append(1)
        return np.arange(3.0)

    def save(m, path):
        np.savez(path, m=m)

    def load(path):
        with np.load(path) as z:
            return z["m"]

    ck = Checkpoints(tmp_path, reuse=True)
    assert not ck.has("a", {"n": 1})
    ck.model("a", {"n": 1}, train, save, load)
    assert ck.has("a", {"n": 1}) and not ck.has("a", {"n": 2}) and len(calls) == 1
    m, _ = Checkpoints(tmp_path, reuse=True).model("a", {"n": 1}, train, save, load)
    assert len(calls) == 1 and m.tolist() == [0.0, 1.0, 2.0]
    assert not Checkpoints(tmp_path, reuse=False).has("a", {"n": 1})  # a fresh run reuses nothing
    (tmp_path / "a.npz").unlink()
    assert not ck.has("a", {"n": 1})
    ck.record("r", {"n": 1}, lambda: {"x": 1})
    assert ck.has("r", {"n": 1}, model=False) and not ck.has("r", {"n": 1})
