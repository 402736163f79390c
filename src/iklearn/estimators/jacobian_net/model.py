"""JacobianNet's network (paper 004, fig. 5) and the scalers it carries.

A shared encoder feeds two heads: the confidence head (one logit: is the pose reachable for this arm?)
and the estimation head (the flattened 6x6 Jacobian). Every hidden layer is ``Linear -> BatchNorm ->
PReLU -> Dropout`` as in the paper. Scaling as in the paper (section V-B): inputs standardised
(scikit-learn ``scale``: zero mean, unit variance; constant columns map to 0, see :class:`Scalers`), Jacobian
targets min-max scaled to ``[-1, 1]``. The scalers are plain arrays so the model saves without pickle.

Optional input lift (``lift=``, our addition, computed *inside* the network so the 24/96-feature layout is
unchanged): the first layer also sees ``sin``/``cos`` of the three Euler angles (no wrap-around jump at
``2 pi``; ``'trig'``) and, with ``'quad'``, the pairwise products of the varying DH columns and the position
(the reachability boundary is a low-order polynomial in those: squared radius against link lengths). The
lifted columns are standardised with statistics fitted on the training set and kept as buffers.

``'geo'`` (an option, off in the experiment's recipe) is ``'quad'`` plus six wrist-centre columns for this
spherical-wrist family (standard DH, ``d5 = 0``; DH columns at fixed places in both layouts: ``d3, d4, d6``
at 2, 3, 5, ``a2, a3`` at 7, 8): with the wrist centre ``p_w = p - d6 z6``, its horizontal distance
``sqrt(pwx^2 + pwy^2)``, its distance from the shoulder axis ``rho = sqrt(|p_w|^2 - d3^2)``, the forearm
length ``L = hypot(a3, d4)``, the annulus radii ``a2 + L``, ``|a2 - L|`` and ``|p_w|``.
Reachability is a piecewise-linear rule in those (the closed-form IK's test), so this is domain knowledge
handed to the network: reported beside the paper-style lift.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from iklearn.errors import InputDomainError
from iklearn.estimators._torch import hidden_layers


CONST_RTOL = 1e-6  # a training column whose range is within this fraction of its size (>= 1) is constant
CONST_INPUT_RTOL = 1e-3  # a constant column accepts inputs this close (relative, >= 1): pi/2 written 1.5708


@dataclass
class Scalers:
    """``x_mean, x_scale, x_const`` (n_features,); ``y_min, y_max`` (n_outputs,).

    Constant (and near-constant, :data:`CONST_RTOL`) input columns, such as the alpha values of the M3
    arms, carry no information: they map to 0 whatever their rounding noise (a column of pi/2 has a standard
    deviation of ~1e-11 from the summation error of its mean alone; dividing by it turned an alpha written
    1.5708 into 2e5 standard deviations). Their ``x_mean`` is the training value, ``x_scale`` 1, and
    :meth:`x` refuses an input farther than :data:`CONST_INPUT_RTOL` from it: the model has never seen
    another value there.
    """

    x_mean: np.ndarray
    x_scale: np.ndarray
    y_min: np.ndarray
    y_max: np.ndarray
    x_const: np.ndarray

    @staticmethod
    def fit(X: np.ndarray, Y: np.ndarray) -> "Scalers":
        lo, hi = X.min(axis=0), X.max(axis=0)
        centre = 0.5 * (lo + hi)
        const = (hi - lo) <= CONST_RTOL * np.maximum(1.0, np.abs(centre))
        std = X.std(axis=0)
        span = Y.max(axis=0) - Y.min(axis=0)
        y_min = Y.min(axis=0)
        # a constant target column (e.g. a structurally zero Jacobian entry) maps to 0
        y_max = np.where(span > 1e-12, Y.max(axis=0), y_min + 1.0)
        y_min = np.where(span > 1e-12, y_min, y_min - 1.0)
        return Scalers(np.where(const, centre, X.mean(axis=0)), np.where(const | (std <= 0), 1.0, std), y_min,
                       y_max, const)

    def x(self, X: np.ndarray) -> np.ndarray:
        """Standardised ``(N, F)`` float32 rows; raises :class:`InputDomainError` for an input off the
        training value of a constant column."""
        c = np.nonzero(self.x_const)[0]
        if c.size:
            ref = self.x_mean[c]
            off = np.abs(X[:, c] - ref) > CONST_INPUT_RTOL * np.maximum(1.0, np.abs(ref))
            if off.any():
                i, k = np.argwhere(off)[0]

                raise InputDomainError(
                    f"feature column {c[k]} was constant ({ref[k]:.6g}) in training, got {X[i, c[k]]:.6g} "
                    f"(row {i}; {int(off.any(axis=1).sum())} rows off): the model has not seen other values")
        Z = (X - self.x_mean) / self.x_scale
        Z[:, c] = 0.0
        return Z.astype(np.float32)

    def y(self, Y: np.ndarray) -> np.ndarray:
        return (2.0 * (Y - self.y_min) / (self.y_max - self.y_min) - 1.0).astype(np.float32)

    def y_inverse(self, Ys: np.ndarray) -> np.ndarray:
        return (np.asarray(Ys, float) + 1.0) * 0.5 * (self.y_max - self.y_min) + self.y_min

    def to_arrays(self) -> dict[str, np.ndarray]:
        return {"scaler.x_mean": self.x_mean, "scaler.x_scale": self.x_scale, "scaler.x_const": self.x_const,
                "scaler.y_min": self.y_min, "scaler.y_max": self.y_max}

    @staticmethod
    def from_arrays(a) -> "Scalers":
        f = (np.asarray(a["scaler." + k], float) for k in ("x_mean", "x_scale", "y_min", "y_max"))
        return Scalers(*f, np.asarray(a["scaler.x_const"], bool))


LIFTS = ("none", "trig", "quad", "geo")
N_GEO = 6  # the columns of geo_features


def n_lifted(lift: str, quad_cols: Sequence[int]) -> int:
    """Number of columns the lift appends (``'trig'``: 6; ``'quad'``: 6 + m (m + 1) / 2; ``'geo'``: + 6)."""
    if lift not in LIFTS:
        raise ValueError(f"lift must be one of {LIFTS}, got {lift!r}")
    m = len(quad_cols)
    return {"none": 0, "trig": 6, "quad": 6 + m * (m + 1) // 2, "geo": 6 + m * (m + 1) // 2 + N_GEO}[lift]


def geo_features(raw, lib=np):
    """Wrist-centre columns ``(N, 6)``: ``[r_xy, rho, L, a2 + L, |a2 - L|, |p_w|]`` (m) from raw feature rows
    ``(N, F)`` (DH columns first, position and XYZ Euler angles last); ``lib``: numpy or torch."""
    d3, d4, d6, a2, a3 = raw[:, 2], raw[:, 3], raw[:, 5], raw[:, 7], raw[:, 8]
    e0, e1 = raw[:, -3], raw[:, -2]
    # z axis of the tool frame, R = Rx(e0) Ry(e1) Rz(e2): third column [s1, -s0 c1, c0 c1]
    z = lib.stack([lib.sin(e1), -lib.sin(e0) * lib.cos(e1), lib.cos(e0) * lib.cos(e1)], 1)
    pw = raw[:, -6:-3] - d6[:, None] * z
    sq = pw * pw
    rxy2 = sq[:, 0] + sq[:, 1]
    r2 = rxy2 + sq[:, 2]
    L = lib.sqrt(a3 * a3 + d4 * d4)
    clamp = (lambda v: lib.clip(v, 0.0, None)) if lib is np else (lambda v: lib.clamp(v, min=0.0))
    return lib.stack([lib.sqrt(rxy2), lib.sqrt(clamp(r2 - d3 * d3)), L, a2 + L, lib.abs(a2 - L),
                      lib.sqrt(r2)], 1)


def build_lift(n_in: int, lift: str, quad_cols: Sequence[int]):
    """Torch module: standardised ``(N, n_in)`` -> ``(N, n_in + n_lifted)`` (the last 3 inputs are Euler angles)."""
    import torch
    from torch import nn

    n_extra = n_lifted(lift, quad_cols)
    iu = np.triu_indices(len(quad_cols))

    class Lift(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.register_buffer("x_mean", torch.zeros(n_in))
            self.register_buffer("x_scale", torch.ones(n_in))
            self.register_buffer("l_mean", torch.zeros(n_extra))
            self.register_buffer("l_scale", torch.ones(n_extra))
            self.register_buffer("cols", torch.as_tensor(list(quad_cols), dtype=torch.long))
            self.register_buffer("iu0", torch.as_tensor(iu[0], dtype=torch.long))
            self.register_buffer("iu1", torch.as_tensor(iu[1], dtype=torch.long))

        def extra(self, x: "torch.Tensor") -> "torch.Tensor":
            raw = x * self.x_scale + self.x_mean
            e = raw[:, -3:]
            parts = [torch.sin(e), torch.cos(e)]
            if lift in ("quad", "geo"):
                v = raw[:, self.cols]
                parts.append(v[:, self.iu0] * v[:, self.iu1])
            if lift == "geo":
                parts.append(geo_features(raw, torch))
            return torch.cat(parts, dim=1)

        def fit(self, x: "torch.Tensor", scalers: "Scalers") -> None:
            """Set the buffers from the input scaler and standardised training rows ``x``."""
            self.x_mean.copy_(torch.as_tensor(scalers.x_mean, dtype=torch.float32))
            self.x_scale.copy_(torch.as_tensor(scalers.x_scale, dtype=torch.float32))
            if n_extra:
                with torch.no_grad():
                    z = self.extra(x)
                    self.l_mean.copy_(z.mean(0))
                    self.l_scale.copy_(torch.clamp(z.std(0), min=1e-6))

        def forward(self, x: "torch.Tensor") -> "torch.Tensor":
            if n_extra == 0:
                return x
            return torch.cat([x, (self.extra(x) - self.l_mean) / self.l_scale], dim=1)

    return Lift()


def build_network(n_in: int, n_out: int, encoder: Sequence[int], confidence: Sequence[int],
                  estimation: Sequence[int], dropout: float, lift: str = "none",
                  quad_cols: Sequence[int] = (), skip: bool = False):
    """The torch module: ``.encoder`` (``encoder[0]`` is the lift), ``.confidence`` (-> (N, 1) logits),
    ``.estimation`` (-> (N, n_out)). ``skip``: the confidence head also sees the (lifted) input beside the
    code, so it need not rely on the shared code carrying reachability."""
    import torch
    from torch import nn

    def block(sizes: Sequence[int], n0: int) -> tuple[list, int]:  # Linear-BN-PReLU-Dropout per width
        return hidden_layers(n0, sizes, batch_norm=True, activation="prelu", dropout=dropout)

    class JacobianNetModule(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            enc, n_code = block(encoder, n_in + n_lifted(lift, quad_cols))
            self.encoder = nn.Sequential(build_lift(n_in, lift, quad_cols), *enc)  # encoder[0]: the lift
            n_lift = n_in + n_lifted(lift, quad_cols)
            conf, n_c = block(confidence, n_code + (n_lift if skip else 0))
            self.confidence = nn.Sequential(*conf, nn.Linear(n_c, 1))
            est, n_e = block(estimation, n_code)
            self.estimation = nn.Sequential(*est, nn.Linear(n_e, n_out))

        def encode(self, x: "torch.Tensor") -> tuple["torch.Tensor", "torch.Tensor"]:
            """``(lifted input, code)``: the lift (``encoder[0]``) computed once, then the encoder layers."""
            lifted = z = self.encoder[0](x)
            for i, layer in enumerate(self.encoder):
                if i:
                    z = layer(z)
            return lifted, z

        def conf_logits(self, x: "torch.Tensor", enc: "tuple | None" = None) -> "torch.Tensor":
            """(N, 1) confidence logits (``enc``: :meth:`encode`'s result, if already computed)."""
            lifted, z = self.encode(x) if enc is None else enc
            return self.confidence(torch.cat([z, lifted], dim=1) if skip else z)

        def forward(self, x: "torch.Tensor") -> tuple["torch.Tensor", "torch.Tensor"]:
            enc = self.encode(x)
            return self.conf_logits(x, enc), self.estimation(enc[1])

        @torch.inference_mode()
        def gated(self, x: "torch.Tensor", threshold: float) -> tuple["torch.Tensor", "torch.Tensor", "torch.Tensor"]:
            """Confidence for all rows; the estimation head runs only on rows whose confidence passes."""
            enc = self.encode(x)
            p = torch.sigmoid(self.conf_logits(x, enc)[:, 0])
            accepted = p >= threshold
            idx = torch.nonzero(accepted)[:, 0]
            est = self.estimation(enc[1][idx]) if idx.numel() else x.new_zeros((0, n_out))
            return p, accepted, est

    return JacobianNetModule()


def fold_batchnorm(net):
    """An inference copy of ``net`` with every ``Linear -> BatchNorm1d`` pair merged into one Linear and the
    dropout layers removed; same outputs as ``net.eval()`` to float rounding, ~15 % less time per batch.

    BatchNorm in eval mode is the affine map ``g * (y - mean) / sqrt(var + eps) + b``, so it folds into the
    preceding layer: ``W' = s W``, ``b' = s (b_lin - mean) + b`` with ``s = g / sqrt(var + eps)``.
    """
    import copy

    import torch
    from torch import nn

    def fold(seq: "nn.Sequential") -> "nn.Sequential":
        out, mods, i = [], list(seq), 0
        while i < len(mods):
            m = mods[i]
            nxt = mods[i + 1] if i + 1 < len(mods) else None
            if isinstance(m, nn.Linear) and isinstance(nxt, nn.BatchNorm1d):
                s = nxt.weight / torch.sqrt(nxt.running_var + nxt.eps)
                lin = nn.Linear(m.in_features, m.out_features)
                with torch.no_grad():
                    lin.weight.copy_(m.weight * s[:, None])
                    lin.bias.copy_(s * (m.bias - nxt.running_mean) + nxt.bias)
                out.append(lin)
                i += 2
                continue
            if not isinstance(m, nn.Dropout):
                out.append(m)
            i += 1
        return nn.Sequential(*out)

    folded = copy.deepcopy(net)  # the copy's own layers are then folded in place of the originals
    with torch.no_grad():
        folded.encoder = nn.Sequential(folded.encoder[0], *fold(nn.Sequential(*list(folded.encoder)[1:])))
        folded.confidence = fold(folded.confidence)
        folded.estimation = fold(folded.estimation)
    folded.eval()
    for p in folded.parameters():
        p.requires_grad_(False)
    return folded
