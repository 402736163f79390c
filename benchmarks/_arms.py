"""Robots for the benchmarks by name: the built-in catalogue plus real arms from the ``example-robot-data``
wheel (``pip install 'iklearn[oracle]'``): ``z1`` (Unitree Z1, 6 DOF, world -> link06) and ``so100``
(TheRobotStudio SO-100 as packaged in example-robot-data, 5 DOF, base -> gripper: the jaw joint is left out).
"""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

URDF_ARMS = {
    "z1": ("z1_description/urdf/z1.urdf", "world", "link06"),
    "so100": ("so_arm_description/urdf/so100.urdf", "base", "gripper"),
}


def load_arm(name: str):
    """A :class:`iklearn.Chain` for a catalogue name or one of :data:`URDF_ARMS` (named ``name``)."""
    import dataclasses

    import iklearn

    if name not in URDF_ARMS:
        return iklearn.load_robot(name)
    rel, base, tip = URDF_ARMS[name]
    try:
        dist = importlib.metadata.distribution("example-robot-data")
    except importlib.metadata.PackageNotFoundError:
        raise SystemExit(f"{name} needs example-robot-data: pip install 'iklearn[oracle]'") from None
    path = Path(str(dist.locate_file(f"cmeel.prefix/share/example-robot-data/robots/{rel}")))
    return dataclasses.replace(iklearn.from_urdf(path, base, tip), name=name)
