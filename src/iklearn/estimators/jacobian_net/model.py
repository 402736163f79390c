"""JacobianNet's network (paper 004, fig. 5) and the scalers it carries.

A shared encoder feeds two heads: the confidence head (one logit: is the pose reachable for this arm?)
and the estimation head (the flattened 6x6 Jacobian). Every hidden layer is ``Linear -> BatchNorm ->
PReLU -> Dropout`` as in the paper. Scaling as in the paper (section V-B): inputs standardised
(scikit-learn ``scale``: zero mean, unit variance; constant columns left at unit scale), Jacobian
targets min-max scaled to ``[-1, 1]``. The scalers are plain arrays so the model saves without pickle.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np


@dataclass
class Scalers:
    """``x_mean, x_scale`` (n_features,); ``y_min, y_max`` (n_outputs,)."""

    x_mean: np.ndarray
    x_scale: np.ndarray
    y_min: np.ndarray
    y_max: np.ndarray

    @staticmethod
    def fit(X: np.ndarray, Y: np.ndarray) -> "Scalers":
        std = X.std(axis=0)
        span = Y.max(axis=0) - Y.min(axis=0)
        y_min = Y.min(axis=0)
        # a constant target column (e.g. a structurally zero Jacobian entry) maps to 0
        y_max = np.where(span > 1e-12, Y.max(axis=0), y_min + 1.0)
        y_min = np.where(span > 1e-12, y_min, y_min - 1.0)
        return Scalers(X.mean(axis=0), np.where(std > 1e-12, std, 1.0), y_min, y_max)

    def x(self, X: np.ndarray) -> np.ndarray:
        return ((X - self.x_mean) / self.x_scale).astype(np.float32)

    def y(self, Y: np.ndarray) -> np.ndarray:
        return (2.0 * (Y - self.y_min) / (self.y_max - self.y_min) - 1.0).astype(np.float32)

    def y_inverse(self, Ys: np.ndarray) -> np.ndarray:
        return (np.asarray(Ys, float) + 1.0) * 0.5 * (self.y_max - self.y_min) + self.y_min

    def to_arrays(self) -> dict[str, np.ndarray]:
        return {"scaler.x_mean": self.x_mean, "scaler.x_scale": self.x_scale,
                "scaler.y_min": self.y_min, "scaler.y_max": self.y_max}

    @staticmethod
    def from_arrays(a) -> "Scalers":
        return Scalers(*(np.asarray(a["scaler." + k], float) for k in ("x_mean", "x_scale", "y_min", "y_max")))


def build_network(n_in: int, n_out: int, encoder: Sequence[int], confidence: Sequence[int],
                  estimation: Sequence[int], dropout: float):
    """The torch module: ``.encoder``, ``.confidence`` (-> (N, 1) logits), ``.estimation`` (-> (N, n_out))."""
    import torch
    from torch import nn

    def block(sizes: Sequence[int], n0: int) -> tuple[list, int]:
        layers: list = []
        for h in sizes:
            layers += [nn.Linear(n0, h), nn.BatchNorm1d(h), nn.PReLU(h)]
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            n0 = h
        return layers, n0

    class JacobianNetModule(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            enc, n_code = block(encoder, n_in)
            self.encoder = nn.Sequential(*enc)
            conf, n_c = block(confidence, n_code)
            self.confidence = nn.Sequential(*conf, nn.Linear(n_c, 1))
            est, n_e = block(estimation, n_code)
            self.estimation = nn.Sequential(*est, nn.Linear(n_e, n_out))

        def forward(self, x: "torch.Tensor") -> tuple["torch.Tensor", "torch.Tensor"]:
            z = self.encoder(x)
            return self.confidence(z), self.estimation(z)

        @torch.inference_mode()
        def gated(self, x: "torch.Tensor", threshold: float) -> tuple["torch.Tensor", "torch.Tensor", "torch.Tensor"]:
            """Confidence for all rows; the estimation head runs only on rows whose confidence passes."""
            z = self.encoder(x)
            p = torch.sigmoid(self.confidence(z)[:, 0])
            accepted = p >= threshold
            idx = torch.nonzero(accepted)[:, 0]
            est = self.estimation(z[idx]) if idx.numel() else z.new_zeros((0, n_out))
            return p, accepted, est

    return JacobianNetModule()
