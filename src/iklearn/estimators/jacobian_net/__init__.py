"""JacobianNet (paper 004): reachability confidence and Jacobian estimation for random manipulators."""

from iklearn.estimators.jacobian_net.train import GatedPrediction, History, JacobianNet

__all__ = ["GatedPrediction", "History", "JacobianNet"]
