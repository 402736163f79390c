"""Multi-seed reproductions (issue 20): claims as mean +- sd over seeds, every seed's value kept, met on the mean."""

from __future__ import annotations

import json
import statistics

import pytest

from iklearn.cli.reproduce import parse_seeds
from iklearn.evaluation.record import Claim, ExperimentResult, Table
from iklearn.errors import IKLearnError
from iklearn.experiments.runner import combine_seeds

FAST = "ik-bench"  # the quickest experiment at --tiny (15 s here under load)


def _result(seed: int, values: dict[str, float | None]) -> ExperimentResult:
    claims = [Claim(id=f"x.{k}", what=k, protocol="paper", value=v, op="<=", target=3.0) for k, v in values.items()]
    claims.append(Claim(id="x.reported", what="r", protocol="extension", value=seed * 10.0))
    return ExperimentResult("x", "X", "tiny", seed, tables=[Table("t", ["a"], [[seed]])], claims=claims,
                            figures=["f.png"], data=["d.json"])


def test_combine_seeds_means_sd_and_met_on_the_mean():
    seeds = [0, 1, 2]
    res = combine_seeds([_result(0, {"a": 1.0, "b": 1.0, "c": None}), _result(1, {"a": 2.0, "b": 5.0, "c": 4.0}),
                         _result(2, {"a": 6.0, "b": 6.0, "c": 5.0})], seeds)
    c = {x.id: x for x in res.claims}
    assert res.seeds == seeds and res.seed == 0
    assert c["x.a"].values == [1.0, 2.0, 6.0] and c["x.a"].value == 3.0 and c["x.a"].met  # one seed above 3
    assert c["x.b"].value == 4.0 and c["x.b"].met is False  # one seed below 3
    assert c["x.a"].sd == pytest.approx(statistics.stdev([1, 2, 6]))
    assert c["x.c"].values == [4.0, 5.0] and "2 seeds that measured it (1, 2) of 3" in c["x.c"].detail
    assert "met judged on the mean" in c["x.a"].detail and c["x.reported"].met is None
    assert res.figures == ["seed-0/f.png"] and res.data == ["seed-0/d.json"] and "(seed 0)" in res.tables[0].title
    d = res.to_dict()["claims"][0]
    assert d["values"] == [1.0, 2.0, 6.0] and d["met"] is True and d["met_judged_on"] == "the mean of 3 seeds"
    assert d["sd"] == pytest.approx(statistics.stdev([1, 2, 6]))
    back = ExperimentResult(**{**res.to_dict(), "claims": [Claim.from_dict(x) for x in res.to_dict()["claims"]],
                                 "tables": res.tables})
    assert back.seeds == seeds and [x.values for x in back.claims] == [x.values for x in res.claims]


def test_parse_seeds():
    assert parse_seeds("0-4") == [0, 1, 2, 3, 4]
    assert parse_seeds("0,3,7") == [0, 3, 7]
    assert parse_seeds(" 0-2, 9 ") == [0, 1, 2, 9]
    for bad in ("-1", "3-1", "a", "0,0", "0-2,1", "", "1-"):
        with pytest.raises(IKLearnError, match="--seeds"):
            parse_seeds(bad)


def test_reproduce_all_tiny_seeds_local(cli, tmp_path):
    out = tmp_path / "rep"
    code, stdout, err = cli("reproduce", "all", "--tiny", "--seeds", "0-1", "--only", FAST, "--out", str(out))
    assert code == 0, err
    res = json.loads((out / FAST / "result.json").read_text())
    assert res["seeds"] == [0, 1] and (out / FAST / "seed-0" / "result.json").is_file()
    assert (out / FAST / "seed-1" / "result.json").is_file()
    judged = [c for c in res["claims"] if c["values"]]
    assert judged and all(len(c["values"]) == 2 for c in judged)
    for c in judged:
        assert c["value"] == pytest.approx(statistics.fmean(c["values"]))
        s0 = json.loads((out / FAST / "seed-0" / "result.json").read_text())
        v0 = next(x["value"] for x in s0["claims"] if x["id"] == c["id"])
        assert c["values"][0] == v0
    md = (out / "report.md").read_text()
    assert "over 2 seeds" in md and "seeds 0, 1" in md
    for f in res["figures"]:
        assert (out / FAST / f).is_file()
    code, _, err = cli("reproduce", "all", "--tiny", "--seed", "1", "--seeds", "0-1", "--out", str(out))
    assert code == 2 and "--seed or --seeds" in err
    # a second run resumes every seed
    code, _, _ = cli("reproduce", "all", "--tiny", "--seeds", "0-1", "--only", FAST, "--out", str(out))
    assert code == 0
    assert json.loads((out / "summary.json").read_text())["experiments"][0]["status"] == "resumed"


def test_reproduce_one_experiment_with_seeds(cli, tmp_path):
    out = tmp_path / "one"
    code, stdout, err = cli("reproduce", FAST, "--tiny", "--seeds", "2,5", "--out", str(out))
    assert code == 0, err
    res = json.loads((out / "result.json").read_text())
    assert res["seeds"] == [2, 5] and sorted(p.name for p in out.glob("seed-*")) == ["seed-2", "seed-5"]
    assert "over 2 seeds" in stdout
