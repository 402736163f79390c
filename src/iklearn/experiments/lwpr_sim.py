"""Kinematic simulation for paper 002: a redundant arm tracking a figure eight under the Cartesian controller
of eq. 14-15, driven either by the analytical pseudo-inverse with null-space optimisation (eq. 5) or by a
learned LWPR inverse (:class:`~iklearn.estimators.lwpr.velocity_ik.VelocityIKLearner`); plus motor babbling.

Units: metres, radians, seconds. The task is the tip position (m = 3).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from iklearn.estimators.lwpr import LWPR
from iklearn.kinematics import _kernels as KK
from iklearn.robot.chain import Chain
from iklearn.solvers.nullspace import nullspace_rate

KP, KV, DT = 1250.0, 70.0, 1.0 / 420.0  # paper 002, SS 4


@dataclass(frozen=True)
class FigureEight:
    """x_t(t) = c + a sin(w t) u + b sin(2 w t) v (lemniscate of Gerono), w = 2 pi / period; x_t(0) = c."""

    center: np.ndarray
    a: float
    b: float
    period: float
    u: np.ndarray
    v: np.ndarray

    def __call__(self, t: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Position (3,), velocity (3,) m/s and acceleration (3,) m/s^2 at time t (s)."""
        w = 2 * np.pi / self.period
        s1, c1, s2, c2 = np.sin(w * t), np.cos(w * t), np.sin(2 * w * t), np.cos(2 * w * t)
        x = self.center + self.a * s1 * self.u + self.b * s2 * self.v
        xd = self.a * w * c1 * self.u + 2 * self.b * w * c2 * self.v
        xdd = -self.a * w * w * s1 * self.u - 4 * self.b * w * w * s2 * self.v
        return x, xd, xdd


class Arm:
    """Tip position and its Jacobian (3, dof) of a chain, through the compiled FK kernels (no allocation)."""

    def __init__(self, chain: Chain) -> None:
        self.chain = chain
        n = chain.dof
        self._a = (chain.joint_types, chain.fixed, chain.axes, chain.tip)
        self._T, self._tmp, self._R = np.empty((4, 4)), np.empty((4, 4)), np.empty((3, 3))
        self._P, self._Z, self._J = np.empty((n, 3)), np.empty((n, 3)), np.empty((6, n))
        self.lower, self.upper = chain.finite_lower, chain.finite_upper

    def fk_jac(self, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        types, fixed, axes, tip = self._a
        KK.fk_frames(q, types, fixed, axes, tip, self._T, self._P, self._Z, self._tmp, self._R)
        KK.jacobian_from_frames(types, self._T, self._P, self._Z, self._J, False)
        return self._T[:3, 3].copy(), self._J[:3].copy()


def pinv_nullspace_rate(J: np.ndarray, xdot: np.ndarray, theta: np.ndarray, theta_opt: np.ndarray,
                        W: np.ndarray, alpha: float) -> np.ndarray:
    """Eq. 5 (Liegeois): thetadot = J# xdot - alpha (I - J# J) dg/dtheta, g = 1/2 |theta - theta_opt|^2_W."""
    return nullspace_rate(J, xdot, W * (theta - theta_opt), alpha, rcond=1e-6)


@dataclass
class Rollout:
    """A recorded run: times (T,), tip (T, 3), target (T, 3), joints (T, dof), error (T,) m."""

    t: np.ndarray
    x: np.ndarray
    x_target: np.ndarray
    theta: np.ndarray
    error: np.ndarray
    theta_end: np.ndarray


def track(arm: Arm, traj: FigureEight, theta0: np.ndarray, duration: float, *,
          inverse: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray],
          learn: Callable[[np.ndarray, np.ndarray, np.ndarray], Any] | None = None,
          t0: float = 0.0, noise: float = 0.0, rng: np.random.Generator | None = None,
          max_velocity: float = np.inf, max_task_velocity: float = np.inf, dt: float = DT, kp: float = KP,
          kv: float = KV, record_every: int = 1) -> Rollout:
    """Track ``traj`` for ``duration`` s with the controller of eq. 14-15 and ``inverse(xdot_des, theta, J)``.

    Each step: xdd_des = xdd_t + kv (xd_t - xd) + kp (x_t - x); xdot_des += xdd_des dt (eq. 15);
    thetadot = inverse(xdot_des, theta, J) (+ optional N(0, noise^2) motor noise); theta += thetadot dt within
    the joint limits and the velocity limit ``max_velocity`` (rad/s); xdot_des is saturated at
    ``max_task_velocity`` (m/s, anti-windup); ``learn(xdot, theta, thetadot)`` then sees the motion actually
    executed
    (xdot = J thetadot, self-supervised).
    """
    rng = rng if rng is not None else np.random.default_rng(0)
    n_steps = int(round(duration / dt))
    theta = np.array(theta0, dtype=float)
    x, J = arm.fk_jac(theta)
    thetadot = np.zeros_like(theta)
    xdot_des = traj(t0)[1].copy()
    rec_t, rec_x, rec_xt, rec_q = [], [], [], []
    for i in range(n_steps):
        t = t0 + i * dt
        xt, xdt, xddt = traj(t)
        if i % record_every == 0:
            rec_t.append(t)
            rec_x.append(x)
            rec_xt.append(xt)
            rec_q.append(theta.copy())
        xd = J @ thetadot
        xdd_des = xddt + kv * (xdt - xd) + kp * (xt - x)
        xdot_des = xdot_des + xdd_des * dt
        sp = float(np.linalg.norm(xdot_des))
        if sp > max_task_velocity:  # anti-windup while the inverse is still poor
            xdot_des *= max_task_velocity / sp
        cmd = inverse(xdot_des, theta, J)
        if noise > 0:
            cmd = cmd + noise * rng.standard_normal(cmd.shape[0])
        cmd = np.clip(cmd, -max_velocity, max_velocity)
        new = np.clip(theta + cmd * dt, arm.lower, arm.upper)
        thetadot = (new - theta) / dt
        if learn is not None:
            learn(J @ thetadot, theta, thetadot)
        theta = new
        x, J = arm.fk_jac(theta)
    X, XT = np.array(rec_x), np.array(rec_xt)
    return Rollout(np.array(rec_t), X, XT, np.array(rec_q), np.linalg.norm(X - XT, axis=1), theta)


def babble(arm: Arm, learner: Any, theta_center: np.ndarray, duration: float, *, spread: float = 0.4,
           amplitude: float = 0.15, hold: float = 3.0, seed: int = 0, dt: float = DT) -> np.ndarray:
    """Motor babbling: small sinusoids of every joint about a random mean, re-drawn every ``hold`` s.

    The mean is drawn uniformly within ``spread`` rad of ``theta_center`` (inside the limits); the arm moves
    towards it with a 1 s time constant while each joint oscillates with ``amplitude`` rad at 0.3-1 Hz.
    Every step is a self-supervised sample for ``learner.learn``. Returns the final posture.
    """
    rng = np.random.default_rng(seed)
    n = theta_center.shape[0]
    lo = np.maximum(arm.lower, theta_center - spread)
    hi = np.minimum(arm.upper, theta_center + spread)
    theta = theta_center.copy()
    _, J = arm.fk_jac(theta)
    f = rng.uniform(0.3, 1.0, n)
    ph = rng.uniform(0, 2 * np.pi, n)
    mu = theta.copy()
    for i in range(int(round(duration / dt))):
        t = i * dt
        if i % int(round(hold / dt)) == 0:
            mu = rng.uniform(lo, hi)
        cmd = (mu - theta) + amplitude * 2 * np.pi * f * np.cos(2 * np.pi * f * t + ph)
        new = np.clip(theta + cmd * dt, arm.lower, arm.upper)
        thetadot = (new - theta) / dt
        learner.learn(J @ thetadot, theta, thetadot)
        theta = new
        _, J = arm.fk_jac(theta)
    return theta


def cycle_drift(rollout: Rollout, period: float, n_last: int) -> dict[str, float]:
    """Joint-space consistency over the last ``n_last`` cycles: cycle-to-cycle change of the joint path.

    ``drift_per_cycle``: mean over consecutive cycle pairs of the max (over time and joints) |theta(t+T) -
    theta(t)| (rad); ``drift_total``: the same between the first and the last of those cycles.
    """
    dt = float(np.median(np.diff(rollout.t)))
    spc = int(round(period / dt))
    q = rollout.theta
    n_cyc = min(n_last, q.shape[0] // spc)
    if n_cyc < 2:
        return {"drift_per_cycle": float("nan"), "drift_total": float("nan"), "cycles": n_cyc}
    end = q.shape[0]
    segs = np.stack([q[end - (n_cyc - k) * spc: end - (n_cyc - k - 1) * spc] for k in range(n_cyc)])
    per = [float(np.max(np.abs(segs[k + 1] - segs[k]))) for k in range(n_cyc - 1)]
    return {"drift_per_cycle": float(np.mean(per)), "drift_total": float(np.max(np.abs(segs[-1] - segs[0]))),
            "cycles": n_cyc}


def planar2_velocity_ik_data(n: int, seed: int = 0, links: tuple[float, float] = (1.0, 1.0)
                             ) -> tuple[np.ndarray, np.ndarray]:
    """The reference library's speed problem: velocity IK of a planar 2-link arm.

    Returns inputs (n, 4) = (xdot, ydot, theta1, theta2) and targets (n, 2) = thetadot with
    xdot = J(theta) thetadot; theta1 ~ U[-pi/2, pi/2], theta2 ~ U[0.3, 2.5] rad (away from the stretched
    singularity), thetadot ~ U[-1, 1] rad/s.
    """
    l1, l2 = links
    rng = np.random.default_rng(seed)
    th = np.column_stack([rng.uniform(-np.pi / 2, np.pi / 2, n), rng.uniform(0.3, 2.5, n)])
    dth = rng.uniform(-1.0, 1.0, (n, 2))
    s1, c1 = np.sin(th[:, 0]), np.cos(th[:, 0])
    s12, c12 = np.sin(th.sum(1)), np.cos(th.sum(1))
    xd = -(l1 * s1 + l2 * s12) * dth[:, 0] - l2 * s12 * dth[:, 1]
    yd = (l1 * c1 + l2 * c12) * dth[:, 0] + l2 * c12 * dth[:, 1]
    return np.column_stack([xd, yd, th]), dth


def planar2_lwpr():
    """The LWPR set-up of the speed benchmark: locality on theta only (init_D 100), xdot scaled by 1/0.5."""
    return LWPR(init_D=[0.0, 0.0, 100.0, 100.0], init_alpha=50.0, norm_in=[0.5, 0.5, 1.0, 1.0], meta=False)


def save_learning(path, rec: dict[str, Any], rollouts: dict[str, Rollout]) -> None:
    """One learner setting's record and rollouts to ``path`` (``.npz``, no pickle; atomic), for checkpoints."""
    import io
    import json

    from iklearn._io import write_bytes_atomic

    arrays = {f"{k}.{f}": np.asarray(getattr(r, f)) for k, r in rollouts.items()
              for f in ("t", "x", "x_target", "theta", "error", "theta_end")}
    text = json.dumps(rec, default=lambda o: o.tolist() if hasattr(o, "tolist") else str(o))  # NaN kept
    buf = io.BytesIO()
    np.savez(buf, record=np.array(text), **arrays)
    write_bytes_atomic(path, buf.getvalue(), make_parents=True)


def load_learning(path) -> tuple[dict[str, Any], dict[str, Rollout]]:
    """What :func:`save_learning` wrote: ``(record, rollouts)``."""
    import json

    with np.load(path, allow_pickle=False) as z:
        rec = json.loads(str(z["record"]))
        names = sorted({k.split(".")[0] for k in z.files if k != "record"})
        rollouts = {n: Rollout(*(z[f"{n}.{f}"] for f in ("t", "x", "x_target", "theta", "error", "theta_end")))
                    for n in names}
    return rec, rollouts
