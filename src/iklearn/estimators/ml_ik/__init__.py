"""Paper 001 (Merrick et al.): clustered MLP IK regressor, conditioning/reachability classifier, gated IK.

torch is imported only when a network is built, trained or loaded.
"""

from iklearn.estimators.ml_ik.classifier import CLASS_NAMES, ConditioningClassifier, best_solution_inverse_condition
from iklearn.estimators.ml_ik.dataset import ConditioningData, conditioning_dataset
from iklearn.estimators.ml_ik.gated import GatedIK
from iklearn.estimators.ml_ik.regressor import ClusteredMLPRegressor, pose_features

__all__ = [
    "CLASS_NAMES",
    "ClusteredMLPRegressor",
    "ConditioningClassifier",
    "ConditioningData",
    "GatedIK",
    "best_solution_inverse_condition",
    "conditioning_dataset",
    "pose_features",
]
