"""iklearn: learned and numerical inverse kinematics for serial robot arms.

The names below load their modules on first use, so ``import iklearn`` (and ``iklearn --help``) do not pay
for numba, SciPy, torch or matplotlib.
"""

from __future__ import annotations

import importlib
import os as _os
from typing import TYPE_CHECKING, Any

# numba's OpenMP threads spin while idle by default, which starves other solvers (and the peers we time
# beside ours) on small machines (measured: OptIK 0.5 -> 25 ms, TRAC-IK 1.3 -> 34 ms per target); must be set
# before any OpenMP runtime is loaded. The one place it is set: every iklearn module imports this package first.
_os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from iklearn.errors import IKLearnError  # noqa: E402 (after the environment is set)

__version__ = "0.1.0"

_LAZY = {
    **dict.fromkeys(("Chain", "from_dh", "from_urdf", "list_robots", "load_robot"), "iklearn.robot"),
    **dict.fromkeys(("fk", "fk_and_jacobian", "fk_pose", "jacobian", "manipulability", "pose_error"),
                    "iklearn.kinematics"),
    **dict.fromkeys(("solve", "solve_set", "solve_path", "IKResult", "SolutionSet", "PathResult"), "iklearn.solvers"),
    **dict.fromkeys(("train", "load_model"), "iklearn.estimators.training"),  # learned IK for any robot
    "view": "iklearn.viewer",  # the interactive viewer; viser is imported only when a viewer starts
}

__all__ = [
    "Chain", "from_dh", "from_urdf", "load_robot", "list_robots", "fk", "fk_pose", "jacobian",
    "fk_and_jacobian", "manipulability", "pose_error", "solve", "solve_set", "solve_path", "IKResult",
    "SolutionSet", "PathResult", "train", "load_model", "view", "IKLearnError", "__version__",
]

if TYPE_CHECKING:  # what type checkers and IDEs see; at run time __getattr__ loads these on first use
    from iklearn.kinematics import fk, fk_and_jacobian, fk_pose, jacobian, manipulability, pose_error
    from iklearn.robot import Chain, from_dh, from_urdf, list_robots, load_robot
    from iklearn.estimators.training import load_model, train
    from iklearn.solvers import IKResult, PathResult, SolutionSet, solve, solve_path, solve_set
    from iklearn.viewer import view


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'iklearn' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
