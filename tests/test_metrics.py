"""Manipulability metrics against direct determinant / SVD formulas; zero-safe at singularities."""

from __future__ import annotations

import numpy as np

from iklearn.kinematics import jacobian, joint_limit_distance, manipulability
from iklearn.robot import load_robot


def test_yoshikawa_equals_sqrt_det_redundant_and_square():
    for name in ("panda", "ur5"):
        c = load_robot(name)
        Q = np.random.default_rng(0).uniform(c.finite_lower, c.finite_upper, (30, c.dof))
        J = jacobian(c, Q)
        m = manipulability(J)
        np.testing.assert_allclose(m.yoshikawa, np.sqrt(np.linalg.det(J @ J.transpose(0, 2, 1))), rtol=1e-8)
        if c.dof == 6:
            np.testing.assert_allclose(m.yoshikawa, np.abs(np.linalg.det(J)), rtol=1e-8)
        np.testing.assert_allclose(m.condition, np.linalg.cond(J), rtol=1e-8)
        np.testing.assert_allclose(m.inverse_condition, 1 / np.linalg.cond(J), rtol=1e-8)
        s = np.linalg.svd(J, compute_uv=False)
        np.testing.assert_allclose(m.isotropy, np.prod(s, 1) ** (1 / 6) / s[:, 0], rtol=1e-8)
        assert ((m.isotropy > 0) & (m.isotropy <= 1)).all()


def test_position_rows():
    c = load_robot("panda")
    J = jacobian(c, c.pose("ready"))
    m = manipulability(J, rows=slice(0, 3))
    np.testing.assert_allclose(m.yoshikawa, np.sqrt(np.linalg.det(J[:3] @ J[:3].T)), rtol=1e-10)


def test_planar2_closed_form_and_exact_singularity():
    """Planar 2R: det of the 2x2 position Jacobian is l1 l2 sin(q2); stretched out it is exactly singular."""
    c = load_robot("planar2")
    Q = np.array([[0.3, 1.1], [-1.0, -0.4], [0.7, 0.0], [0.0, np.pi]])
    m = manipulability(jacobian(c, Q), rows=slice(0, 2))
    np.testing.assert_allclose(m.yoshikawa[:2], 1.0 * 0.7 * np.abs(np.sin(Q[:2, 1])), rtol=1e-12)
    assert np.all(m.yoshikawa[2:] < 1e-12)
    for v in m:
        assert not np.isnan(v).any()
    assert np.all(m.inverse_condition[2:] < 1e-12)
    assert np.all(m.condition[2:] > 1e12)


def test_zero_jacobian_is_zero_safe():
    m = manipulability(np.zeros((2, 6, 7)))
    np.testing.assert_array_equal(m.yoshikawa, 0)
    np.testing.assert_array_equal(m.inverse_condition, 0)
    np.testing.assert_array_equal(m.isotropy, 0)
    assert np.isinf(m.condition).all()
    m = manipulability(np.array([[[1.0, 0], [0, 0]]]))  # rank deficient, exactly
    assert m.yoshikawa[0] == 0 and m.inverse_condition[0] == 0 and np.isinf(m.condition[0])


def test_joint_limit_distance():
    lo, hi = np.array([-1.0, 0.0, -np.inf]), np.array([1.0, 2.0, np.inf])
    q = np.array([[0.0, 1.0, 5.0], [1.0, 1.0, 0.0], [0.5, 0.2, 0.0], [2.0, 1.0, 0.0]])
    np.testing.assert_allclose(joint_limit_distance(q, lo, hi), [0.5, 0.0, 0.1, 0.0])
    np.testing.assert_allclose(joint_limit_distance(q, [-np.inf] * 3, [np.inf] * 3), 0.5)
