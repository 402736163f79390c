"""Forward kinematics, Jacobians and manipulability of a built-in robot and of a URDF.

Run: python examples/01_fk_and_jacobian.py
"""

import numpy as np

from iklearn.kinematics import fk, fk_pose, jacobian, manipulability
from iklearn.robot import load_robot
from iklearn.robot.catalogue import URDF_DIR

panda = load_robot("panda")  # modified DH, flange panda_link8
print(panda.summary())

q = panda.pose("ready")
T = fk(panda, q)  # (4, 4) tip pose in the base frame (m)
print("tip position at 'ready' (m):", np.round(T[:3, 3], 4))
print("pose [x y z qx qy qz qw]:", np.round(fk_pose(panda, q), 4))

J = jacobian(panda, q)  # (6, 7), linear rows first, base frame
J_tip = jacobian(panda, q, frame="tip")  # the same in the tip frame
print("J (world) linear rows:\n", np.round(J[:3], 3))
print("tip-frame Jacobian = R^T J:", np.allclose(J_tip[:3], T[:3, :3].T @ J[:3]))

# batched: 1,000 random configurations at once
rng = np.random.default_rng(0)
Q = rng.uniform(panda.finite_lower, panda.finite_upper, (1000, panda.dof))
m = manipulability(jacobian(panda, Q))
print(f"Yoshikawa manipulability over 1,000 samples: median {np.median(m.yoshikawa):.4f}, "
      f"min inverse condition {m.inverse_condition.min():.2e}")

# a URDF with any base and tip link (fixed joints merged, meshes never read)
arm5 = load_robot(URDF_DIR / "arm5.urdf", "base_link", "tool_link")
print(arm5, "tip at zero:", np.round(fk(arm5, np.zeros(arm5.dof))[:3, 3], 3))
