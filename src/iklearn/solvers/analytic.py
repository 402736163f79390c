"""Closed-form IK of the Universal Robots family (UR3/UR5/UR10): all eight solutions of a pose.

The UR arms have three parallel shoulder/elbow/wrist-1 axes and no spherical wrist; their standard-DH
table is ``a = [0, a2, a3, 0, 0, 0]``, ``d = [d1, 0, 0, d4, d5, d6]``, ``alpha = [pi/2, 0, 0, pi/2, -pi/2, 0]``.
The solution follows K. P. Hawkins, "Analytic Inverse Kinematics for the Universal Robots UR-5/UR-10 Arms"
(2013): two shoulder angles, two wrist angles, two elbow branches. Every candidate is checked by forward
kinematics, so a branch that does not exist for a pose (outside the workspace, or lost to a singularity) is
reported as invalid rather than returned wrong.

Used to label poses exactly (the best-conditioned of *all* solutions, paper 001) and as a reference solver.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from iklearn.errors import IKLearnError, ModelMismatchError
from iklearn.kinematics.pose import as_poses
from iklearn.robot.chain import Chain
from iklearn.solvers.base import IKSolver, prepare
from iklearn.solvers.result import IKResult

__all__ = ["URParameters", "UR_PARAMETERS", "ur_ik_all", "URAnalyticIK"]


@dataclass(frozen=True)
class URParameters:
    """The six non-zero standard-DH lengths of a UR arm (m); ``a2``, ``a3`` are negative as in UR's tables."""

    d1: float
    a2: float
    a3: float
    d4: float
    d5: float
    d6: float

    def dh(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(a, d, alpha)``, each (6,)."""
        a = np.array([0.0, self.a2, self.a3, 0.0, 0.0, 0.0])
        d = np.array([self.d1, 0.0, 0.0, self.d4, self.d5, self.d6])
        alpha = np.array([np.pi / 2, 0.0, 0.0, np.pi / 2, -np.pi / 2, 0.0])
        return a, d, alpha


# Universal Robots' published DH tables (CB-series)
UR_PARAMETERS: dict[str, URParameters] = {
    "ur3": URParameters(0.1519, -0.24365, -0.21325, 0.11235, 0.08535, 0.0819),
    "ur5": URParameters(0.089159, -0.425, -0.39225, 0.10915, 0.09465, 0.0823),
    "ur10": URParameters(0.1273, -0.612, -0.5723, 0.163941, 0.1157, 0.0922),
}


def _dh(theta: np.ndarray, a: float, d: float, alpha: float) -> np.ndarray:
    """Standard-DH transforms ``(..., 4, 4)`` for joint angles ``theta`` ``(...)``."""
    c, s = np.cos(theta), np.sin(theta)
    ca, sa = np.cos(alpha), np.sin(alpha)
    A = np.zeros(theta.shape + (4, 4))
    A[..., 0, 0], A[..., 0, 1], A[..., 0, 2], A[..., 0, 3] = c, -s * ca, s * sa, a * c
    A[..., 1, 0], A[..., 1, 1], A[..., 1, 2], A[..., 1, 3] = s, c * ca, -c * sa, a * s
    A[..., 2, 1], A[..., 2, 2], A[..., 2, 3] = sa, ca, d
    A[..., 3, 3] = 1.0
    return A


def _inv(T: np.ndarray) -> np.ndarray:
    R = np.swapaxes(T[..., :3, :3], -1, -2)
    out = np.zeros_like(T)
    out[..., :3, :3] = R
    out[..., :3, 3] = -np.einsum("...ij,...j->...i", R, T[..., :3, 3])
    out[..., 3, 3] = 1.0
    return out


@lru_cache(maxsize=None)
def _reference_chain(params: URParameters) -> Chain:
    """The DH model of ``params`` as a chain (no limits), for checking candidates with the project's FK."""
    from iklearn.robot.dh import from_dh

    return from_dh(*params.dh(), name="ur-dh-model")


def ur_ik_all(T, params: URParameters, *, tol: float = 1e-8) -> tuple[np.ndarray, np.ndarray]:
    """All eight closed-form IK solutions of flange poses ``T`` for a UR arm with DH ``params``.

    Parameters
    ----------
    T : (N, 4, 4) or (N, 7) flange poses in the DH base frame (m, quaternion ``[qx, qy, qz, qw]``)
    params : the arm's DH lengths
    tol : m, largest FK position residual for a candidate to count as a solution; the rotation residual may be
        up to 10 ``tol`` in Frobenius norm (about 7 ``tol`` rad)

    Returns
    -------
    q : (N, 8, 6) joint angles in (-pi, pi] (rad); branch order (shoulder, wrist, elbow) = ``k // 4, k // 2 % 2,
        k % 2``; invalid branches hold NaN
    valid : (N, 8) bool, the candidate reproduces the pose to ``tol``
    """
    T, _ = as_poses(T, "poses")
    N = T.shape[0]
    p = T[:, :3, 3]
    R = T[:, :3, :3]
    P = params
    a, d, alpha = P.dh()
    q = np.full((N, 8, 6), np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        # shoulder: the wrist-2 centre p05 lies d4 off the plane of the arm
        p05 = p - P.d6 * R[:, :, 2]
        r = np.hypot(p05[:, 0], p05[:, 1])
        psi = np.arctan2(p05[:, 1], p05[:, 0])
        phi = np.arccos(np.clip(P.d4 / r, -1.0, 1.0))
        shoulder_ok = r >= abs(P.d4) * (1 - 1e-12)
        for i1, s_sh in enumerate((1.0, -1.0)):
            t1 = psi + s_sh * phi + np.pi / 2
            s1, c1 = np.sin(t1), np.cos(t1)
            c5 = (p[:, 0] * s1 - p[:, 1] * c1 - P.d4) / P.d6
            wrist_ok = np.abs(c5) <= 1 + 1e-9
            for i5, s_wr in enumerate((1.0, -1.0)):
                t5 = s_wr * np.arccos(np.clip(c5, -1.0, 1.0))
                s5 = np.sin(t5)
                # wrist singular (s5 = 0): joints 4 and 6 share an axis; any split works, take t6 = 0
                sing = np.abs(s5) < 1e-10
                s5s = np.where(sing, 1.0, s5)
                t6 = np.where(sing, 0.0, np.arctan2((-R[:, 0, 1] * s1 + R[:, 1, 1] * c1) / s5s,
                                                    (R[:, 0, 0] * s1 - R[:, 1, 0] * c1) / s5s))
                # the planar 3R problem of joints 2-4 in frame 1
                T14 = _inv(_dh(t1, a[0], d[0], alpha[0])) @ T @ _inv(_dh(t6, a[5], d[5], alpha[5])) @ _inv(
                    _dh(t5, a[4], d[4], alpha[4]))
                p13 = T14[:, :3, :3] @ np.array([0.0, -P.d4, 0.0]) + T14[:, :3, 3]
                n13 = np.hypot(p13[:, 0], p13[:, 1])
                c3 = (n13**2 - P.a2**2 - P.a3**2) / (2 * P.a2 * P.a3)
                elbow_ok = np.abs(c3) <= 1 + 1e-9
                for i3, s_el in enumerate((1.0, -1.0)):
                    t3 = s_el * np.arccos(np.clip(c3, -1.0, 1.0))
                    t2 = -np.arctan2(p13[:, 1], -p13[:, 0]) + np.arcsin(
                        np.clip(P.a3 * np.sin(t3) / np.where(n13 > 0, n13, 1.0), -1.0, 1.0))
                    T34 = _inv(_dh(t3, a[2], d[2], alpha[2])) @ _inv(_dh(t2, a[1], d[1], alpha[1])) @ T14
                    t4 = np.arctan2(T34[:, 1, 0], T34[:, 0, 0])
                    k = 4 * i1 + 2 * i5 + i3
                    ok = shoulder_ok & wrist_ok & elbow_ok
                    sol = np.stack([t1, t2, t3, t4, t5, t6], axis=1)
                    q[:, k] = np.where(ok[:, None], sol, np.nan)
    q = np.where(np.isnan(q), q, (q + np.pi) % (2 * np.pi) - np.pi)
    # keep only what FK confirms
    from iklearn.kinematics import fk, pose_error

    Tq = fk(_reference_chain(P), np.nan_to_num(q).reshape(-1, 6)).reshape(N, 8, 4, 4)
    pos, rot = pose_error(Tq, T[:, None])
    # rotation: Frobenius distance |R - R_t| = 2 sqrt(2) sin(angle / 2) within 10 tol (a wrist-singular
    # branch, where t6 is set to 0, is good to ~2e-8 rad only)
    valid = ~np.isnan(q).any(-1) & (pos <= tol) & (2 * np.sqrt(2) * np.sin(rot / 2) <= 10 * tol)
    q[~valid] = np.nan
    return q, valid


def fit_mounting(chain: Chain, params: URParameters, n: int = 12) -> tuple[np.ndarray, np.ndarray] | None:
    """Fixed base and tool transforms ``(B, E)`` with ``FK_chain(q) = B FK_DH(q) E`` for every ``q``, or None.

    A UR arm read from a URDF (``base_link -> tool0``) differs from the DH model by such fixed offsets: the
    stock UR5 URDF's base is the DH base turned by pi about z. With ``A_i = B F_i E``, the motions relative
    to one configuration satisfy ``A_0^-1 A_i = E^-1 (F_0^-1 F_i) E``: their rotation vectors give ``R_E``
    (Kabsch), then ``(R_i - I) t_E = R_E t_Mi - t_Ni`` gives ``t_E`` by least squares, and
    ``B = A_0 E^-1 F_0^-1``. The fit is accepted only if it reproduces the chain's FK to 1e-9 on
    configurations it was not fitted on (so joint offsets or reversed joints are refused, not guessed).
    """
    from scipy.spatial.transform import Rotation

    from iklearn.kinematics import fk

    ref = _reference_chain(params)
    rng = np.random.default_rng(0)
    q0 = rng.uniform(-np.pi, np.pi, 6)
    Q = q0 + 0.3 * rng.standard_normal((n, 6))  # small motions: rotation angles well below pi
    A0, F0 = fk(chain, q0), fk(ref, q0)
    M = _inv(A0) @ fk(chain, Q)
    N = _inv(F0) @ fk(ref, Q)
    R_E = Rotation.align_vectors(Rotation.from_matrix(N[:, :3, :3]).as_rotvec(),
                                 Rotation.from_matrix(M[:, :3, :3]).as_rotvec())[0].as_matrix()
    lhs = (N[:, :3, :3] - np.eye(3)).reshape(-1, 3)
    rhs = (np.einsum("ij,nj->ni", R_E, M[:, :3, 3]) - N[:, :3, 3]).reshape(-1)
    E = np.eye(4)
    E[:3, :3] = R_E
    E[:3, 3] = np.linalg.lstsq(lhs, rhs, rcond=None)[0]
    B = A0 @ _inv(E) @ _inv(F0)
    Qt = rng.uniform(-np.pi, np.pi, (16, 6))
    if not np.allclose(B @ fk(ref, Qt) @ E, fk(chain, Qt), atol=1e-9):
        return None
    return B, E


class URAnalyticIK(IKSolver):
    """Closed-form IK for a UR arm: the solution nearest to the seed among the (up to) eight.

    Parameters
    ----------
    chain : a 6-joint chain whose FK equals the UR DH model up to fixed base and tool offsets (fitted and
        checked on random configurations; e.g. the stock ``ur5.urdf`` from ``base_link`` to ``tool0``)
    params : the DH lengths; default: looked up from ``chain.name`` in :data:`UR_PARAMETERS`
    tol_position, tol_rotation : m, rad; success needs the returned solution within these (closed-form
        solutions are exact to ~1e-12, so only an unreachable pose fails)
    position_only, seed : accepted for the common ``solve(..., method=...)`` signature; a position-only
        task has infinitely many solutions and is refused, and the solver is deterministic
    """

    name = "ur-analytic"

    def __init__(self, chain: Chain, params: URParameters | None = None, *, tol_position: float = 1e-6,
                 tol_rotation: float = 1e-5, position_only: bool = False, seed: int = 0) -> None:
        super().__init__(chain)
        if position_only:
            raise IKLearnError("the analytic UR solver needs full poses; use method 'lm' for position-only IK")
        self.tol_position, self.tol_rotation = float(tol_position), float(tol_rotation)
        if params is None:
            if chain.name not in UR_PARAMETERS:
                raise IKLearnError(f"no UR DH table for robot {chain.name!r}; known: {', '.join(UR_PARAMETERS)}; "
                                   "pass params=URParameters(...)")
            params = UR_PARAMETERS[chain.name]
        mount = fit_mounting(chain, params) if chain.dof == 6 else None
        if mount is None:
            raise ModelMismatchError(f"robot {chain.name!r} does not match the UR DH model {params}: its forward "
                                     "kinematics differ by more than fixed base and tool offsets (another arm, "
                                     "joint offsets or reversed joints)")
        self.params = params
        #: fixed base and tool transforms of the chain around the DH model (identity for the built-in 'ur5')
        self.base_offset, self.tool_offset = mount
        self._inv_base, self._inv_tool = _inv(mount[0]), _inv(mount[1])

    def _to_dh(self, T: np.ndarray) -> np.ndarray:
        """Targets of the chain ``(N, 4, 4)`` -> flange poses of the DH model: ``B^-1 T E^-1``."""
        return self._inv_base @ T @ self._inv_tool

    def solve_all(self, targets) -> tuple[np.ndarray, np.ndarray]:
        """All solutions: ``q`` (N, 8, 6) rad, NaN where invalid, and ``valid`` (N, 8) bool (limits applied)."""
        T, _ = as_poses(targets)
        q, valid = ur_ik_all(self._to_dh(T), self.params)
        q = self._into_limits(q, np.zeros((q.shape[0], 6)))
        valid &= ~np.isnan(q).any(-1)
        return q, valid

    def _into_limits(self, q: np.ndarray, seed: np.ndarray) -> np.ndarray:
        # each joint: the 2 pi-equivalent angle nearest the seed that lies inside the limits (NaN if none)
        lo, hi = self.chain.lower, self.chain.upper
        best = np.full_like(q, np.nan)
        best_d = np.full_like(q, np.inf)
        for k in (-2, -1, 0, 1, 2):
            cand = q + 2 * np.pi * k
            inside = (cand >= lo - 1e-12) & (cand <= hi + 1e-12)
            dist = np.abs(cand - seed[:, None, :])
            take = inside & (dist < best_d)
            best = np.where(take, cand, best)
            best_d = np.where(take, dist, best_d)
        return best

    def solve(self, targets, q0=None) -> IKResult:
        """Targets ``(N, 7)`` / ``(N, 4, 4)``; the valid solution nearest each seed ``q0`` (zeros if None)."""
        from iklearn.kinematics import fk, pose_error

        T, Q0, _ = prepare(self.chain, targets, q0, 0)
        if q0 is None:
            Q0 = np.zeros_like(Q0)
        q, valid = ur_ik_all(self._to_dh(T), self.params)
        q = self._into_limits(q, Q0)
        valid &= ~np.isnan(q).any(-1)
        dist = np.where(valid, np.linalg.norm(np.nan_to_num(q) - Q0[:, None], axis=-1), np.inf)
        k = np.argmin(dist, axis=1)
        ok = valid.any(1)
        qb = np.where(ok[:, None], q[np.arange(len(T)), k], Q0)
        pe, re = pose_error(fk(self.chain, qb), T)
        ok &= (pe <= self.tol_position) & (re <= self.tol_rotation)
        return IKResult(qb, ok, pe, re, np.ones(len(T), int))
