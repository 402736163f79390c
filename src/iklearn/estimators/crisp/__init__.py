"""CRiSP structured-prediction IK (paper 003): kernel-ridge weights plus a forward-kinematics loss."""

from iklearn.estimators.crisp.model import CRiSP

__all__ = ["CRiSP"]
