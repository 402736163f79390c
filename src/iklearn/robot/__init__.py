"""Robot models: the immutable :class:`Chain` and the ways to build one."""

from iklearn.robot.catalogue import CATALOGUE, list_robots, load_robot
from iklearn.robot.chain import PRISMATIC, REVOLUTE, Chain
from iklearn.robot.dh import from_dh
from iklearn.robot.urdf import from_urdf

__all__ = ["Chain", "from_dh", "from_urdf", "load_robot", "list_robots", "CATALOGUE", "REVOLUTE", "PRISMATIC"]
