"""The paper-001 experiment end to end at the tiny size (slow: trains six small networks and builds a dataset)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("matplotlib")


@pytest.mark.slow
def test_ml_ik_tiny_writes_tables_claims_and_figures(tmp_path):
    from iklearn.estimators.ml_ik.classifier import ConditioningClassifier
    from iklearn.estimators.ml_ik.dataset import conditioning_dataset
    from iklearn.evaluation.record import OPS, ExperimentResult
    from iklearn.experiments.ml_ik import CFG, NAME, run
    from iklearn.experiments.ml_ik_classifier import UNREACHABLE_MARGIN
    from iklearn.robot import load_robot

    res = run(tmp_path, size="tiny", seed=0)
    assert res.name == NAME and len(res.tables) == 4
    for f in res.figures + res.data:
        assert (tmp_path / f).is_file(), f
    saved = ExperimentResult.load(tmp_path / "result.json")
    claims = {c.id: c for c in saved.claims}
    paper = {i for i, c in claims.items() if c.protocol == "paper"}
    assert {"ml-ik.regressor.paper.ee-error", "ml-ik.classifier.4class.paper-labels",
            "ml-ik.classifier.binary"} <= paper
    for c in saved.claims:
        assert c.value is not None and math.isfinite(c.value), c.id
        assert c.met is None if c.op is None else c.met == OPS[c.op](c.value, c.target), c.id
        assert c.protocol == "paper" or not c.extends or c.extends in paper, c.id
    assert all(claims[i].published and claims[i].source for i in paper - {"ml-ik.classifier.4class.paper-labels.bayes"})
    checks = claims["ml-ik.persistence.checks-failed"]
    assert checks.met is True and checks.judged("tiny") is False  # save/load/refusal checks hold at any size
    assert not any(c.judged("quick") for c in saved.claims if c is not checks)  # targets judged at full size
    reg = json.loads((tmp_path / "regressor.json").read_text())
    assert reg["refined_5_lm"]["ee_mean_m"] < reg["ML (clustered, 4), ours"]["ee_mean_m"]

    # the class thresholds come from the training rows only: rebuild the dataset the run used
    cfg = CFG["tiny"]
    n = cfg["cls_reach"] + cfg["cls_unreach"]
    perm = np.random.default_rng(1).permutation(n)
    te = perm[: n // 7]
    train = np.ones(n, bool)
    train[te] = False
    d = conditioning_dataset(load_robot("ur5"), cfg["cls_reach"], cfg["cls_unreach"], seed=0,
                             restarts=cfg["restarts"], unreachable_margin=UNREACHABLE_MARGIN, train=train)
    cls = json.loads((tmp_path / "classifier.json").read_text())
    fit_rows = train[: cfg["cls_reach"]]
    np.testing.assert_allclose(cls["thresholds_paper"], np.percentile(d.ic_sampled[fit_rows], [20, 80]))
    assert not np.allclose(cls["thresholds_paper"], np.percentile(d.ic_sampled, [20, 80]))

    # gated IK skipped exactly the targets the saved classifier gives P(unreachable) >= 0.99, on both streams
    gated = json.loads((tmp_path / "gated.json").read_text())
    clf = ConditioningClassifier.load(tmp_path / "classifier_model.npz", robot=load_robot("ur5"))
    stream = te[: cfg["stream"]]
    p_un = clf.predict_proba(d.pose[stream])[:, 0]
    reach = d.label_best[stream] > 0
    assert gated["easy"]["n_skipped"] == int((p_un >= 0.99).sum())
    assert gated["easy"]["ik_calls_gated"] == int((p_un < 0.99).sum())
    assert gated["easy"]["reachable_skipped"] == int((p_un[reach] >= 0.99).sum())
    # the hard stream keeps the reachable targets and swaps the unreachable ones for as many hard ones
    assert gated["hard"]["n_unreachable"] == gated["easy"]["n_unreachable"] == int((~reach).sum())
    assert gated["hard"]["reachable_skipped"] == gated["easy"]["reachable_skipped"]
