"""PyTorch plumbing shared by the learned estimators: import, MLP layers, optimisers, the training record and
the minibatch loop pieces.

torch is imported inside every function (through :func:`torch_module`), so importing an estimator stays
cheap and a missing torch fails with a message naming the ``torch`` extra.

One MLP builder (:func:`hidden_layers`) makes the hidden stacks of every network: ML-IK's ``Linear -> ReLU``
(:func:`make_mlp`) and JacobianNet's ``Linear -> BatchNorm -> PReLU -> Dropout`` blocks.
:func:`make_stacked_mlp` is the one other shape: K independent MLPs held as batched weight tensors (one
``torch.baddbmm`` per layer runs all K), which ``nn.Linear`` layers cannot express.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Sequence

import numpy as np

from iklearn.errors import IKLearnError, require

OPTIMIZERS = ("adam", "adamax", "nadam", "rmsprop", "adagrad", "sgd", "adadelta")


def torch_module(n_threads: int | None = None):
    """Import torch (or raise a MissingExtraError naming the ``torch`` extra); optionally set its CPU threads
    (None: leave torch's own setting)."""
    torch = require("torch", "torch")
    if n_threads is not None and int(n_threads) != torch.get_num_threads():
        torch.set_num_threads(max(1, int(n_threads)))
    return torch


# ------------------------------------------------------------------------------------------------ networks
def hidden_layers(n_in: int, sizes: Sequence[int], *, batch_norm: bool = False, activation: str = "relu",
                  dropout: float = 0.0) -> tuple[list, int]:
    """Hidden layers ``Linear(h) [-> BatchNorm1d(h)] -> ReLU | PReLU(h) [-> Dropout]`` for each width ``h``;
    returns ``(layers, width of the last)``."""
    torch = torch_module()
    nn = torch.nn
    layers: list[Any] = []
    w = int(n_in)
    for h in sizes:
        h = int(h)
        layers.append(nn.Linear(w, h))
        if batch_norm:
            layers.append(nn.BatchNorm1d(h))
        layers.append(nn.PReLU(h) if activation == "prelu" else nn.ReLU())
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        w = h
    return layers, w


def make_mlp(n_in: int, hidden: tuple[int, ...], n_out: int):
    """``Linear -> ReLU`` for each hidden width, then a final ``Linear`` (float32)."""
    torch = torch_module()
    layers, w = hidden_layers(n_in, hidden)
    return torch.nn.Sequential(*layers, torch.nn.Linear(w, n_out))


def make_stacked_mlp(k: int, n_in: int, hidden: tuple[int, ...], n_out: int):
    """K independent MLPs (same shapes) as one module: parameters ``w{i}`` (K, d_in, d_out) and ``b{i}``
    (K, 1, d_out); ``forward(x)`` maps (K, B, n_in) -> (K, B, n_out). Initialised like ``nn.Linear``."""
    torch = torch_module()

    class StackedMLP(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            dims = [int(n_in), *(int(h) for h in hidden), int(n_out)]
            self.n_layers = len(dims) - 1
            for i, (a, b) in enumerate(zip(dims[:-1], dims[1:])):
                bound = 1.0 / math.sqrt(a)
                self.register_parameter(f"w{i}", torch.nn.Parameter(torch.empty(k, a, b).uniform_(-bound, bound)))
                self.register_parameter(f"b{i}", torch.nn.Parameter(torch.empty(k, 1, b).uniform_(-bound, bound)))

        def forward(self, x):
            for i in range(self.n_layers):
                x = torch.baddbmm(getattr(self, f"b{i}"), x, getattr(self, f"w{i}"))
                if i < self.n_layers - 1:
                    x = torch.relu(x)
            return x

    return StackedMLP()


def make_optimizer(name: str, params, lr: float, weight_decay: float):
    """The torch optimiser ``name`` (one of :data:`OPTIMIZERS`) over ``params``; Adadelta keeps its own rate
    1.0 (the Keras default the papers used)."""
    o = torch_module().optim
    table = {"adam": o.Adam, "adamax": o.Adamax, "nadam": o.NAdam, "rmsprop": o.RMSprop, "adagrad": o.Adagrad,
             "sgd": o.SGD, "adadelta": o.Adadelta}
    if name not in table:
        raise IKLearnError(f"optimizer must be one of {sorted(table)}, got {name!r}")
    if name == "adadelta":
        return o.Adadelta(params, lr=1.0, weight_decay=weight_decay)
    return table[name](params, lr=lr, weight_decay=weight_decay)


# ------------------------------------------------------------------------------------------------ training
@dataclass
class History:
    """Per-epoch training record (the data behind the training-curve figures): losses, and where a trainer
    has them the metric, learning rate, phase of a multi-phase schedule and the best epoch."""

    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    train_metric: list[float] = field(default_factory=list)
    val_metric: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    phase: list[str] = field(default_factory=list)
    best_epoch: int = -1

    def add(self, phase: str, train_loss: float, val_loss: float) -> None:
        """Append one epoch's row of a phased schedule."""
        self.phase.append(phase)
        self.train_loss.append(train_loss)
        self.val_loss.append(val_loss)

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in ("train_loss", "val_loss", "train_metric", "val_metric", "lr",
                                              "phase", "best_epoch")}


def split_validation(X: np.ndarray, Y: np.ndarray, frac: float, rng: np.random.Generator):
    """``(X_train, Y_train, X_val, Y_val)`` tensors: a random ``frac`` of the rows held out."""
    torch = torch_module()
    perm = rng.permutation(len(X))
    n_val = int(round(frac * len(X)))
    v, t = perm[:n_val], perm[n_val:]
    f = torch.from_numpy
    return f(np.ascontiguousarray(X[t])), f(np.ascontiguousarray(Y[t])), f(np.ascontiguousarray(X[v])), \
        f(np.ascontiguousarray(Y[v]))


def minibatches(n: int, size: int, rng: np.random.Generator, cycle: bool = False) -> Iterator[np.ndarray]:
    """Index arrays of a shuffled pass over ``n`` rows (endlessly with ``cycle``); a trailing batch of one row
    is dropped (BatchNorm needs two)."""
    while True:
        perm = rng.permutation(n)
        for i in range(0, n, size):
            idx = perm[i:i + size]
            if len(idx) > 1:
                yield idx
        if not cycle:
            return


def run_epoch(net, opt, sched, n_steps: int, batch_iter, batch_loss: Callable, frozen_encoder: bool) -> float:
    """One training pass over ``batch_iter`` (index arrays) minimising ``batch_loss(idx)``; the mean loss.

    A frozen ``net.encoder`` stays in eval mode so its batch-norm statistics do not move either; the
    scheduler stops stepping at ``n_steps`` (the end of its cosine)."""
    net.train()
    if frozen_encoder:
        net.encoder.eval()
    losses = []
    for idx in batch_iter:
        loss = batch_loss(idx)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if sched is not None and sched.last_epoch < n_steps:
            sched.step()
        losses.append(float(loss.detach()))
    return float(np.mean(losses)) if losses else float("nan")


def eval_loss(net, fwd: Callable, loss_fn: Callable, Xv, Yv) -> float:
    """``loss_fn(fwd(Xv), Yv)`` in eval mode without gradients (NaN for an empty validation set)."""
    if len(Xv) == 0:
        return float("nan")
    torch = torch_module()
    net.eval()
    with torch.inference_mode():
        return float(loss_fn(fwd(Xv), Yv))
