"""Solution sets: distinct valid solutions, ranked; the UR closed form's eight; bad option values."""

from __future__ import annotations

import numpy as np
import pytest

import iklearn
from iklearn.errors import IKLearnError
from iklearn.kinematics import fk, pose_error
from iklearn.robot import load_robot
from iklearn.solvers.analytic import UR_PARAMETERS, ur_ik_all
from iklearn.solvers.sets import joint_distance


def _targets(chain, n, seed):
    rng = np.random.default_rng(seed)
    return fk(chain, rng.uniform(chain.finite_lower, chain.finite_upper, (n, chain.dof)))


def _check_members(chain, S, T, min_distance):
    for i in range(len(S)):
        sols = S.solutions(i)
        assert sols.shape == (S.count[i], chain.dof)
        pe, re = pose_error(fk(chain, sols), np.broadcast_to(T[i], (len(sols), 4, 4)))
        assert (pe <= 1e-6).all() and (re <= 1e-5).all()
        assert chain.within_limits(sols, 1e-9).all()
        for a in range(len(sols)):
            for b in range(a):
                assert joint_distance(chain, sols[a], sols[b]) >= min_distance
        assert np.isnan(S.q[i, S.count[i]:]).all() and not S.valid[i, S.count[i]:].any()


def test_panda_sets_are_distinct_valid_and_ranked_nearest_first():
    c = load_robot("panda")
    T = _targets(c, 6, 0)
    q0 = c.pose("ready")
    S = iklearn.solve_set(c, T, n_solutions=5, min_distance=0.5, q0=q0)
    assert S.q.shape == (6, 5, 7) and (S.count >= 2).all()
    _check_members(c, S, T, 0.5)
    for i in range(6):  # 'nearest': score = joint distance to the seed, ascending
        sc = S.score[i, : S.count[i]]
        np.testing.assert_allclose(sc, joint_distance(c, S.solutions(i), q0), atol=1e-12)
        assert (np.diff(sc) >= 0).all()


@pytest.mark.parametrize("rank", ["manipulability", "limits"])
def test_other_rankings_put_the_largest_score_first(rank):
    c = load_robot("panda")
    S = iklearn.solve_set(c, _targets(c, 3, 1), n_solutions=4, rank=rank)
    for i in range(3):
        assert (np.diff(S.score[i, : S.count[i]]) <= 0).all()
    assert S.rank == rank


def test_ur5_set_equals_the_closed_forms_valid_solutions():
    c = load_robot("ur5")
    T = _targets(c, 4, 2)
    q_cf, valid = ur_ik_all(T, UR_PARAMETERS["ur5"])
    for method in ("auto", "lm"):
        S = iklearn.solve_set(c, T, n_solutions=8, min_distance=0.1, method=method)
        _check_members(c, S, T, 0.1)
        for i in range(4):
            ref = q_cf[i][valid[i]]
            assert S.count[i] == len(ref), method
            # every member is one of the closed form's solutions (up to whole turns of a joint)
            d = joint_distance(c, S.solutions(i)[:, None], ref[None])
            assert (d.min(axis=1) < 1e-2).all(), method  # LM stops at 1e-6 m: joints within ~1e-3 rad


def test_same_call_gives_the_same_set():
    c = load_robot("iiwa14")
    T = _targets(c, 3, 3)
    a = iklearn.solve_set(c, T, n_solutions=3, seed=4)
    b = iklearn.solve_set(c, T, n_solutions=3, seed=4)
    assert np.array_equal(a.q, b.q, equal_nan=True)


@pytest.mark.parametrize("kw,match", [
    ({"n_solutions": 0}, "n_solutions"), ({"n_solutions": 2.5}, "n_solutions"),
    ({"min_distance": -1.0}, "min_distance"), ({"min_distance": float("nan")}, "min_distance"),
    ({"rank": "best"}, "rank"), ({"max_attempts": 0}, "max_attempts"),
])
def test_bad_set_options_raise(kw, match):
    c = load_robot("panda")
    with pytest.raises(IKLearnError, match=match):
        iklearn.solve_set(c, _targets(c, 1, 0), **kw)


def test_solve_refuses_n_solutions_and_names_solve_set():
    c = load_robot("panda")
    with pytest.raises(IKLearnError, match="solve_set"):
        iklearn.solve(c, _targets(c, 1, 0), n_solutions=3)
