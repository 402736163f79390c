"""``pose_error`` against Pinocchio on ``(N, 7)``, ``(N, 4, 4)`` and mixed inputs (issue 16: it used to read
``(N, 7)`` poses as if they were matrices and answer silently wrong)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from iklearn.errors import ShapeError
from iklearn.kinematics import matrix_to_pose7, pose_error, pose7_to_matrix

pin = pytest.importorskip("pinocchio", reason="pip install 'iklearn[oracle]'")

finite = st.floats(-3, 3, allow_nan=False)


def _poses(n: int):
    """(n, 7) poses with quaternions of any sign and a norm within 10 % of 1 (they are normalised)."""
    quat = arrays(np.float64, (n, 4), elements=st.floats(-1, 1)).filter(lambda q: (np.linalg.norm(q, axis=1) > 0.2).all())
    scale = arrays(np.float64, (n, 1), elements=st.floats(0.9, 1.1))
    return st.tuples(arrays(np.float64, (n, 3), elements=finite), quat, scale).map(
        lambda t: np.hstack([t[0], t[1] / np.linalg.norm(t[1], axis=1, keepdims=True) * t[2]]))


def _pin_error(p: np.ndarray, p_target: np.ndarray) -> tuple[float, float]:
    """Pinocchio: |p - p_t| and |log3(R_t^T R)| of two [x, y, z, qx, qy, qz, qw] poses."""
    def se3(v):
        q = v[3:] / np.linalg.norm(v[3:])
        return pin.XYZQUATToSE3(np.concatenate([v[:3], q]))

    M, Mt = se3(p), se3(p_target)
    return (float(np.linalg.norm(M.translation - Mt.translation)),
            float(np.linalg.norm(pin.log3(Mt.rotation.T @ M.rotation))))


@settings(max_examples=40, deadline=None)
@given(data=st.data(), n=st.integers(1, 6), forms=st.tuples(st.sampled_from(["7", "44"]), st.sampled_from(["7", "44"])))
def test_pose_error_equals_pinocchio(data, n, forms):
    P = data.draw(_poses(n))
    Pt = data.draw(_poses(n))
    a = P if forms[0] == "7" else pose7_to_matrix(P)
    b = Pt if forms[1] == "7" else pose7_to_matrix(Pt)
    pe, re = pose_error(a, b)
    assert pe.shape == re.shape == (n,)
    want = np.array([_pin_error(P[i], Pt[i]) for i in range(n)])
    np.testing.assert_allclose(pe, want[:, 0], atol=1e-12)
    np.testing.assert_allclose(re, want[:, 1], atol=1e-7)  # log3 near pi is only accurate to ~1e-8
    # one pose against a batch broadcasts, in either form
    pe1, re1 = pose_error(a, b[0])
    np.testing.assert_allclose(pe1, [_pin_error(P[i], Pt[0])[0] for i in range(n)], atol=1e-12)


def test_issue_example_ready_against_home():
    """The issue's figures: panda 'ready' against 'home' is 0.390 m / 0.788 rad whatever the form."""
    from iklearn.kinematics import fk
    from iklearn.robot import load_robot

    c = load_robot("panda")
    A, B = fk(c, c.pose("ready")), fk(c, c.pose("home"))
    for a in (A, matrix_to_pose7(A)):
        for b in (B, matrix_to_pose7(B)):
            pe, re = pose_error(a, b)
            assert abs(pe - 0.390) < 5e-4 and abs(re - 0.788) < 5e-4, (pe, re)


def test_pose_error_refuses_what_is_not_a_pose():
    with pytest.raises(ShapeError, match=r"\(\.\.\., 4, 4\) or \(\.\.\., 7\)"):
        pose_error(np.zeros((3, 6)), np.zeros((3, 7)))
    with pytest.raises(ShapeError, match="numeric"):
        pose_error("ready", np.zeros(7))
    with pytest.raises(ShapeError, match="zero"):
        pose_error(np.zeros(7), np.array([0, 0, 0, 0, 0, 0, 1.0]))
