"""LWPR (locally weighted projection regression) and velocity-level IK learning with it (paper 002)."""

from iklearn.estimators.lwpr.model import LWPR

__all__ = ["LWPR"]
