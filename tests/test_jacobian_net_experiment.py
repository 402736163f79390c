"""The jacobian-net experiment end to end at its tiny size (slow: about a minute on a busy machine)."""

import json

import pytest

pytest.importorskip("torch")
pytest.importorskip("matplotlib")


@pytest.mark.slow
def test_tiny_run_writes_tables_claims_and_figures(tmp_path):
    from iklearn.estimators.jacobian_net import JacobianNet
    from iklearn.experiments import jacobian_net as exp

    res = exp.run(tmp_path, size="tiny", seed=0)
    assert {t.title.split(":")[0] for t in res.tables} >= {"Table VI", "Table VII"}
    assert len(res.claims) == 5
    for f in res.figures + res.data:
        assert (tmp_path / f).is_file()
    saved = json.loads((tmp_path / "result.json").read_text())
    assert saved["name"] == "jacobian-net"
    m = JacobianNet.load(tmp_path / "jacobian_net_tip_canonical.npz")
    assert m.n_features_in_ == 24
