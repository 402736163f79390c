"""iklearn: learned and numerical inverse kinematics for serial robot arms."""

import os as _os

# numba's OpenMP threads spin while idle by default, which starves other solvers (and the peers we time
# beside ours) on small machines; must be set before any OpenMP runtime is loaded.
_os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from iklearn.errors import IKLearnError
from iklearn.kinematics import fk, fk_and_jacobian, fk_pose, jacobian, manipulability, pose_error
from iklearn.robot import Chain, from_dh, from_urdf, list_robots, load_robot

__version__ = "0.1.0"


def solve(robot, targets, **kwargs):
    """Solve IK for ``targets`` with the best default solver; see :func:`iklearn.solvers.solve`."""
    from iklearn.solvers import solve as _solve

    return _solve(robot, targets, **kwargs)


__all__ = [
    "Chain", "from_dh", "from_urdf", "load_robot", "list_robots", "fk", "fk_pose", "jacobian",
    "fk_and_jacobian", "manipulability", "pose_error", "solve", "IKLearnError", "__version__",
]
