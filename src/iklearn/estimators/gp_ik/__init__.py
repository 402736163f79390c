"""Jacobian-guided active learning for Gaussian-process IK (paper 000): sensitivity, online GP, solver."""

from iklearn.estimators.gp_ik.gp import OnlineGP, matern52
from iklearn.estimators.gp_ik.sensitivity import DEFAULT_WEIGHTS, reference_manipulability, sensitivity
from iklearn.estimators.gp_ik.solver import ACQUISITIONS, GPIK, PROFILES, Trace

__all__ = ["OnlineGP", "matern52", "sensitivity", "reference_manipulability", "DEFAULT_WEIGHTS", "GPIK",
           "ACQUISITIONS", "PROFILES", "Trace"]
