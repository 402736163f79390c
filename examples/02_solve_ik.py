"""Inverse kinematics with the default solver and the DLS / SDLS baselines; null-space tracking.

Run: python examples/02_solve_ik.py
"""

import numpy as np

from iklearn.kinematics import fk, fk_pose
from iklearn.robot import load_robot
from iklearn.solvers import solve
from iklearn.solvers.nullspace import track

panda = load_robot("panda")
rng = np.random.default_rng(2024)
q_true = rng.uniform(panda.finite_lower, panda.finite_upper, (200, panda.dof))
targets = fk_pose(panda, q_true)  # (200, 7) reachable poses [x y z qx qy qz qw]

for method, kw in (("lm", {}), ("dls", {"restarts": 5}), ("sdls", {"restarts": 5})):
    res = solve(panda, targets, method=method, tol_position=1e-4, tol_rotation=1e-3, seed=0, **kw)
    print(f"{method:>4}: success {res.success_rate:6.1%}, median iterations {np.median(res.iterations):5.0f}, "
          f"median position error {np.median(res.position_error) * 1e3:.2e} mm, "
          f"all within limits: {panda.within_limits(res.q).all()}")

# an unreachable target is not an error: the best q comes back with success=False
far = solve(panda, [2.0, 0.0, 0.5, 0.0, 0.0, 0.0, 1.0])
print("unreachable target: success", far.success[0], f"position error {far.position_error[0]:.3f} m")

# resolved-rate control with a rest-posture criterion in the null space of a 24-joint snake
snake = load_robot("snake24")
q0 = snake.pose("bent")
p0 = fk(snake, q0)[:3, 3]
t = np.linspace(0, 2 * np.pi, 400)
eight = p0 + 0.05 * np.stack([np.sin(t), np.sin(t) * np.cos(t), np.zeros_like(t)], axis=1)
run = track(snake, eight, q0, dt=0.01, gain=20.0, alpha=2.0, criterion="rest", q_rest=np.zeros(snake.dof))
print(f"figure eight: max tracking error {run.position_error.max() * 1e3:.2f} mm, "
      f"rest-posture cost {run.criterion[0]:.3f} -> {run.criterion[-1]:.3f}")
