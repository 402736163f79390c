"""LWPR (locally weighted projection regression) and velocity-level IK learning with it (paper 002)."""

from iklearn.estimators.lwpr.model import LWPR
from iklearn.estimators.lwpr.velocity_ik import VelocityIKLearner

__all__ = ["LWPR", "VelocityIKLearner"]
