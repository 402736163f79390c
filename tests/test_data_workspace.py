"""Workspace maps and the data CLI (iklearn.data.workspace, iklearn.cli.data)."""

import sys

import numpy as np
import pytest

from iklearn.data.sampling import DataArgumentError
from iklearn.data.workspace import model_map, reachability_probability, sample_workspace, sampled_map
from iklearn.robot import load_robot


def test_sampled_map_matches_planar_annulus():
    # planar2: links 1.0 and 0.7, full joint range -> reachable set is the annulus 0.3 <= r <= 1.7 in z = 0
    chain = load_robot("planar2")
    S = sample_workspace(chain, 60000, seed=0)
    m = sampled_map(S, "xy", bins=40, half_width=1.8, thickness=0.1)
    x0, x1, y0, y1 = m.extent
    c = np.linspace(x0, x1, 41)
    mid = 0.5 * (c[1:] + c[:-1])
    Y, X = np.meshgrid(mid, mid, indexing="ij")
    r = np.hypot(X, Y)
    assert m.values[(r > 0.45) & (r < 1.6)].mean() > 0.97
    assert m.values[(r > 1.8) | (r < 0.2)].sum() == 0  # beyond half a cell diagonal
    k = sampled_map(S, "xy", bins=40, half_width=1.8, metric="yoshikawa", thickness=0.1)
    # |det J| of the 2R arm is l1 l2 |sin q2|: zero at the boundary, so the mean is lower near r = 1.7
    assert np.nanmean(k.values[(r > 1.55) & (r < 1.7)]) < np.nanmean(k.values[(r > 0.9) & (r < 1.2)])


def test_model_map_and_probability():
    ball = lambda X: (np.linalg.norm(X[:, :3], axis=1) < 1.0).astype(float)  # noqa: E731
    m = model_map(ball, 2.0, "xz", bins=20, model_input="position")
    assert m.values.shape == (20, 20) and m.values[10, 10] == 1 and m.values[0, 0] == 0

    class Clf:
        classes_ = np.array([0, 1, 2, 3])

        def predict_proba(self, X):
            p = np.zeros((len(X), 4))
            p[:, 0] = 0.25
            p[:, 2] = 0.75
            return p

    np.testing.assert_allclose(reachability_probability(Clf(), np.zeros((3, 7))), 0.75)
    with pytest.raises(DataArgumentError):
        reachability_probability(object(), np.zeros((3, 7)))
    with pytest.raises(DataArgumentError):
        model_map(ball, 1.0, "ab")


def _cli(monkeypatch, *args):
    from iklearn.cli import main

    monkeypatch.setattr(sys, "argv", ["iklearn", *args])
    try:
        main()
    except SystemExit as e:
        return e.code or 0
    return 0


def test_cli_generate_info_workspace(monkeypatch, tmp_path, capsys):
    out = tmp_path / "d.parquet"
    assert _cli(monkeypatch, "data", "generate", "--robot", "planar3", "--n", "300", "--labels",
                "conditioning,unreachable", "--out", str(out), "--quiet") == 0
    assert out.exists()
    assert _cli(monkeypatch, "data", "info", str(out)) == 0
    text = capsys.readouterr().out
    assert "300 reachable" in text and "75 unreachable" in text and "near-singular 60" in text
    png = tmp_path / "w.png"
    assert _cli(monkeypatch, "workspace", "--robot", "planar2", "--n", "3000", "--out", str(png), "--bins", "20") == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("args", [
    ["data", "generate", "--robot", "panda", "--n", "0", "--out", "OUT"],
    ["data", "generate", "--robot", "panda", "--n", "10", "--labels", "bogus", "--out", "OUT"],
    ["data", "generate", "--robot", "panda", "--n", "10", "--out", "MISSING/x.parquet"],
    ["data", "generate", "--robot", "nope", "--n", "10", "--out", "OUT"],
    ["data", "info", "JUNK"],
    ["workspace", "--robot", "panda", "--metric", "nope", "--out", "PNG"],
])
def test_cli_errors_exit_2(monkeypatch, tmp_path, args):
    (tmp_path / "junk.parquet").write_bytes(b"junk")
    sub = {"OUT": str(tmp_path / "o.parquet"), "MISSING/x.parquet": str(tmp_path / "missing" / "x.parquet"),
           "JUNK": str(tmp_path / "junk.parquet"), "PNG": str(tmp_path / "w.png")}
    assert _cli(monkeypatch, *[sub.get(a, a) for a in args]) == 2
