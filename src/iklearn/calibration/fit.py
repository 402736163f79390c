"""Kinematic calibration: identify a chain's joint-zero offsets and joint-origin errors from measured poses.

:func:`calibrate` chooses the identifiable parameters (:mod:`~iklearn.calibration.identification`), first on
generic configurations (what the kinematics allow: ``4 R + 2 P + 6`` parameters) and then on the
measurements themselves (what these data excite), and fits them by nonlinear least squares
(``scipy.optimize.least_squares``) on the noise-weighted pose residuals. The measurement frame may differ
from the robot's base frame: the first joint's origin has all six parameters, and a rigid registration of
the measured positions (Kabsch) gives it its starting value, so the calibrated base is the measurement frame.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from iklearn.calibration.identification import (
    generic_configurations,
    identification_jacobian,
    pose_residuals,
    select_parameters,
    weigh,
)
from iklearn.calibration.parameters import ErrorParameter, apply_parameters, candidate_parameters
from iklearn.errors import IKLearnError
from iklearn.kinematics.fk import fk
from iklearn.robot.chain import Chain


class CalibrationDataError(IKLearnError, ValueError):
    """Measurements that cannot identify the parameters (too few, or not varied enough)."""


@dataclass(frozen=True, eq=False)
class CalibrationResult:
    """What :func:`calibrate` found.

    Attributes
    ----------
    chain : the calibrated chain (same joints, names and limits as ``nominal``)
    nominal : the chain it started from
    parameters : the identified parameters (names, frames, directions), in fit order
    values : (P,) their values (m or rad): each frame's total correction (with the base registration) along the
        parameter's direction; ``std`` (P,) standard errors from the last pass's covariance
    unidentifiable : name -> names of the kept parameters that absorb it (structurally not identifiable)
    not_excited : name -> absorbing parameters, for those the kinematics allow but these data did not excite
    residual_before, residual_after : (N, 2) per measurement: position error (m) and rotation error (rad) of
        the nominal and the calibrated model against the measured pose
    holdout : (N,) bool, measurements kept out of the fit (scored only)
    n_evaluations : residual evaluations of the least-squares fit
    """

    chain: Chain
    nominal: Chain
    parameters: list[ErrorParameter]
    values: np.ndarray
    std: np.ndarray
    unidentifiable: dict[str, list[str]]
    not_excited: dict[str, list[str]]
    residual_before: np.ndarray
    residual_after: np.ndarray
    holdout: np.ndarray
    n_evaluations: int
    meta: dict = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.parameters]

    def medians(self) -> dict[str, float]:
        """Median position (m) / rotation (rad) residuals before and after, on the fit and hold-out rows."""
        out = {}
        for part, mask in (("fit", ~self.holdout), ("holdout", self.holdout)):
            if mask.any():
                for when, r in (("before", self.residual_before), ("after", self.residual_after)):
                    out[f"{part}_{when}_position"] = float(np.median(r[mask, 0]))
                    out[f"{part}_{when}_rotation"] = float(np.median(r[mask, 1]))
        return out


def minimum_measurements(n_parameters: int) -> int:
    """Fewest measured poses (6 equations each) that leave the ``n_parameters`` over-determined."""
    return n_parameters // 6 + 1


def structural_selection(chain: Chain, tol: float = 1e-6):
    """``(candidates, Selection)`` on generic configurations: the parameters the kinematics can identify."""
    cands = candidate_parameters(chain)
    Q = generic_configurations(chain)
    J = weigh(identification_jacobian(chain, cands, Q), 1.0, 1.0)
    return cands, select_parameters(J, tol=tol)


def _registration(chain: Chain, Q: np.ndarray, T_meas: np.ndarray) -> np.ndarray:
    """Rigid ``X`` (4x4) taking the nominal tool positions onto the measured ones (Kabsch), or I when degenerate."""
    a = fk(chain, Q)[:, :3, 3]
    b = T_meas[:, :3, 3]
    X = np.eye(4)
    if len(a) < 3:
        return X
    ca, cb = a.mean(0), b.mean(0)
    U, S, Vt = np.linalg.svd((a - ca).T @ (b - cb))
    if S[1] < 1e-9 * max(S[0], 1e-300):  # collinear positions fix no rotation
        return X
    d = np.sign(np.linalg.det(Vt.T @ U.T)) or 1.0
    R = Vt.T @ np.diag([1.0, 1.0, d]) @ U.T
    X[:3, :3], X[:3, 3] = R, cb - R @ ca
    return X


def _values(nominal: Chain, calibrated: Chain, params: list[ErrorParameter]) -> np.ndarray:
    """Each parameter's value: the calibrated correction ``D_i = F_i^-1 F'_i`` of its frame (translation, and
    rotation vector) along its direction (the corrections of all passes and the base registration together)."""
    from scipy.spatial.transform import Rotation

    F = np.concatenate([nominal.fixed, nominal.tip[None]])
    G = np.concatenate([calibrated.fixed, calibrated.tip[None]])
    D = np.linalg.solve(F, G)
    t, w = D[:, :3, 3], Rotation.from_matrix(D[:, :3, :3]).as_rotvec()
    return np.array([np.asarray(p.direction) @ (t if p.kind == "t" else w)[p.frame] for p in params])


def calibrate(
    chain: Chain,
    q: np.ndarray,
    poses: np.ndarray,
    *,
    position_sigma: float = 1e-4,
    rotation_sigma: float = 5e-4,
    holdout: float = 0.0,
    tol: float = 1e-6,
    loss: str = "linear",
    max_nfev: int = 200,
    max_passes: int = 5,
    seed: int = 0,
) -> CalibrationResult:
    """Identify joint-zero offsets and joint-origin errors of ``chain`` from measured tool poses.

    Parameters
    ----------
    chain : the nominal model
    q : (N, dof) joint readings (rad / m)
    poses : (N, 4, 4) or (N, 7) tool poses measured at ``q`` (m), in the base frame or any fixed frame
    position_sigma, rotation_sigma : m, rad; measurement noise, used as the weights of the residuals
    holdout : fraction of the measurements (chosen at random with ``seed``) kept out of the fit and only scored
    tol : relative residual below which a parameter's column counts as a combination of those kept
    loss : ``scipy.optimize.least_squares`` loss (``'linear'``; ``'soft_l1'`` or ``'huber'`` resist outliers,
        with the noise as the scale)
    max_nfev : residual evaluations per pass at most
    max_passes : least-squares passes at most, each linearised around the previous pass's model

    Raises
    ------
    CalibrationDataError
        Fewer measurements than the identifiable parameters need (the message says how many), or data that
        excite none of the parameters.
    """
    from threadpoolctl import threadpool_limits

    # tall-thin factorisations and 4x4 products: BLAS threads only add contention (most so on a busy machine)
    with threadpool_limits(1):
        return _calibrate(chain, q, poses, position_sigma, rotation_sigma, holdout, tol, loss, max_nfev, max_passes,
                          seed)


def _calibrate(chain, q, poses, position_sigma, rotation_sigma, holdout, tol, loss, max_nfev, max_passes, seed):
    from scipy.optimize import least_squares

    from iklearn._validate import as_batch
    from iklearn.kinematics.pose import as_poses

    Q, _ = as_batch(q, chain.dof, "q")
    T, _ = as_poses(poses, "poses")
    if T.shape[0] != Q.shape[0]:
        raise IKLearnError(f"q has {Q.shape[0]} rows but poses has {T.shape[0]}")
    if not (position_sigma > 0 and rotation_sigma > 0):
        raise IKLearnError("position_sigma and rotation_sigma must be positive")
    if not 0.0 <= holdout < 1.0:
        raise IKLearnError(f"holdout must be a fraction in [0, 1), got {holdout}")
    N = Q.shape[0]
    rng = np.random.default_rng([seed, 23])
    hold = np.zeros(N, bool)
    hold[rng.permutation(N)[: int(round(holdout * N))]] = True
    fit_rows = np.flatnonzero(~hold)

    cands, struct = structural_selection(chain, tol)
    need = minimum_measurements(len(struct.kept))
    if fit_rows.size < need:
        extra = f" ({int(hold.sum())} held out)" if hold.any() else ""
        raise CalibrationDataError(
            f"calibrating '{chain.name}' needs at least {need} measured poses to identify its {len(struct.kept)} "
            f"identifiable parameters (6 equations per pose); got {fit_rows.size}{extra}")
    Qf, Tf = Q[fit_rows], T[fit_rows]
    structural = [cands[k] for k in struct.kept]
    Jd = weigh(identification_jacobian(chain, structural, Qf), position_sigma, rotation_sigma)
    data_sel = select_parameters(Jd, tol=tol)
    params = [structural[k] for k in data_sel.kept]
    if not params:
        raise CalibrationDataError("the measurements excite no parameter (does the robot move at all?)")

    # start from the registered model; then re-linearise around each solution (the Jacobian is that of a
    # small correction on the right of each frame, exact at x = 0), until a pass no longer moves it
    X = _registration(chain, Qf, Tf)
    current = chain._replace(fixed=np.concatenate([(X @ chain.fixed[0])[None], chain.fixed[1:]]))
    method = "lm" if loss == "linear" else "trf"  # MINPACK's LM (QR) for the plain loss; TRF for robust ones
    nfev = 0
    for _ in range(max_passes):
        def fun(x, base=current):
            return weigh(pose_residuals(fk(apply_parameters(base, params, x), Qf), Tf), position_sigma,
                         rotation_sigma)

        def jac(x, base=current):
            return weigh(identification_jacobian(apply_parameters(base, params, x), params, Qf), position_sigma,
                         rotation_sigma)

        sol = least_squares(fun, np.zeros(len(params)), jac=jac, method=method, x_scale="jac", loss=loss,
                            max_nfev=max_nfev, ftol=1e-12, xtol=1e-12, gtol=1e-12)
        nfev += int(sol.nfev)
        current = apply_parameters(current, params, sol.x)
        if np.max(np.abs(sol.x)) < 1e-9:
            break
    calibrated = current._replace(name=chain.name)
    dof_res = max(Jd.shape[0] - len(params), 1)
    s2 = 2.0 * float(sol.cost) / dof_res
    try:
        cov = s2 * np.linalg.inv(sol.jac.T @ sol.jac)
        std = np.sqrt(np.clip(np.diag(cov), 0, None))
    except np.linalg.LinAlgError:
        std = np.full(len(params), np.nan)

    kept_struct = [cands[k] for k in struct.kept]
    return CalibrationResult(
        chain=calibrated,
        nominal=chain,
        parameters=params,
        values=_values(chain, calibrated, params),
        std=std,
        unidentifiable={cands[k].name: [cands[j].name for j in v] for k, v in struct.dropped.items()},
        not_excited={kept_struct[k].name: [kept_struct[j].name for j in v] for k, v in data_sel.dropped.items()},
        residual_before=_errors(chain, Q, T),
        residual_after=_errors(calibrated, Q, T),
        holdout=hold,
        n_evaluations=nfev,
        meta={"position_sigma": position_sigma, "rotation_sigma": rotation_sigma, "loss": loss, "tol": tol,
              "n_fit": int(fit_rows.size), "n_holdout": int(hold.sum()), "minimum_measurements": need,
              "n_identifiable": len(struct.kept), "status": int(sol.status), "message": str(sol.message)},
    )


def _errors(chain: Chain, Q: np.ndarray, T: np.ndarray) -> np.ndarray:
    from iklearn.kinematics.pose import pose_error

    pe, re = pose_error(fk(chain, Q), T)
    return np.stack([pe, re], axis=1)
