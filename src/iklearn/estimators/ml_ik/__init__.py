"""Paper 001 (Merrick et al.): clustered MLP IK regressor, conditioning/reachability classifier, gated IK.

torch is imported only when a network is built, trained or loaded.
"""

from iklearn.estimators.ml_ik.classifier import ConditioningClassifier
from iklearn.estimators.ml_ik.dataset import ConditioningData, conditioning_dataset
from iklearn.estimators.ml_ik.gated import GatedIK
from iklearn.estimators.ml_ik.regressor import ClusteredMLPRegressor, pose_features

__all__ = [
    "ClusteredMLPRegressor",
    "ConditioningClassifier",
    "ConditioningData",
    "GatedIK",
    "conditioning_dataset",
    "pose_features",
]
