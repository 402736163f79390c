"""The CRiSP experiment (paper 003): its data sets and labels. Its 'tiny' run end to end (paper rows, and the
rule that the no-bias claim is judged on the simulated arm at full size) is checked in test_experiments_tiny.py,
on the suite's one ``reproduce all --tiny`` run."""

from __future__ import annotations

import numpy as np

from iklearn.kinematics import fk
from iklearn.robot import load_robot


def test_panda_sets_and_labels():
    from iklearn.experiments.crisp.data import REST, panda_set

    ch = load_robot("panda_grasp")
    down = fk(ch, REST[None])[0, :3, :3]
    for kind in ("C", "S"):
        Xb, Yb = panda_set(kind, 60, "branch", 0)
        Xr, Yr = panda_set(kind, 60, "random", 0)
        for X, Y in ((Xb, Yb), (Xr, Yr)):
            assert X.shape == (60, 4, 4) and ch.within_limits(Y).all()
            np.testing.assert_allclose(X, fk(ch, Y))  # training poses are the true FK of the labels
        # one branch: the labels stay near the rest pose; random seeds scatter them
        assert np.median(np.linalg.norm(Yb - REST, axis=1)) < np.median(np.linalg.norm(Yr - REST, axis=1))
        ang = np.arccos(np.clip((np.einsum("ij,nij->n", down, Xb[:, :3, :3]) - 1) / 2, -1, 1))
        if kind == "C":  # two fixed orientations, 90 degrees apart
            np.testing.assert_allclose(np.sort(np.unique(np.round(ang, 6))).size, 2)
        else:  # unconstrained: spread over SO(3)
            assert ang.max() > 2.0 and ang.min() < 1.0
