"""Small PyTorch plumbing shared by the paper-001 estimators: MLPs, a training loop, (de)serialisation.

torch is imported lazily inside every function so ``import iklearn.estimators.ml_ik`` stays cheap.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from iklearn.errors import require


def torch_module(n_threads: int | None = None):
    """Import torch (or raise a MissingExtraError naming the ``torch`` extra); optionally cap its threads."""
    torch = require("torch", "torch")
    if n_threads is not None:
        torch.set_num_threads(max(1, int(n_threads)))
    return torch


def make_mlp(n_in: int, hidden: tuple[int, ...], n_out: int):
    """``Linear -> ReLU`` for each hidden width, then a final ``Linear`` (float32)."""
    torch = torch_module()
    layers: list[Any] = []
    w = n_in
    for h in hidden:
        layers += [torch.nn.Linear(w, int(h)), torch.nn.ReLU()]
        w = int(h)
    layers.append(torch.nn.Linear(w, n_out))
    return torch.nn.Sequential(*layers)


@dataclass
class History:
    """Per-epoch training record (the data behind the training-curve figure)."""

    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    train_metric: list[float] = field(default_factory=list)
    val_metric: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    best_epoch: int = -1

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in ("train_loss", "val_loss", "train_metric", "val_metric", "lr",
                                              "best_epoch")}


def train(
    model,
    X: np.ndarray,
    Y: np.ndarray,
    *,
    loss: str,
    lr: float,
    weight_decay: float,
    batch_size: int,
    max_epochs: int,
    patience: int,
    val_fraction: float,
    rng: np.random.Generator,
    lr_patience: int = 3,
    lr_factor: float = 0.5,
    min_lr: float = 1e-7,
    time_budget: float | None = None,
    on_epoch: Callable[[int], None] | None = None,
) -> History:
    """Train ``model`` with Adam + ReduceLROnPlateau, keeping the weights of the best validation epoch.

    Parameters
    ----------
    X : (N, d_in) float inputs (already standardised)
    Y : (N, d_out) float targets (``loss='mse'``) or (N,) int class labels (``loss='ce'``)
    loss : 'mse' or 'ce'
    val_fraction : fraction of the rows held out for early stopping and the learning-rate schedule
    patience : stop after this many epochs without a better validation loss
    time_budget : s, stop after the epoch that crosses it (None: no limit)
    """
    import time

    torch = torch_module()
    n = X.shape[0]
    perm = rng.permutation(n)
    n_val = int(round(val_fraction * n)) if n >= 20 else 0
    vi, ti = perm[:n_val], perm[n_val:]
    Xt = torch.as_tensor(X, dtype=torch.float32)
    Yt = torch.as_tensor(Y, dtype=torch.long if loss == "ce" else torch.float32)
    crit = torch.nn.CrossEntropyLoss() if loss == "ce" else torch.nn.MSELoss()
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=lr_factor, patience=lr_patience, min_lr=min_lr)
    hist = History()
    best = np.inf
    best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    stale = 0
    t0 = time.perf_counter()
    gen = torch.Generator().manual_seed(int(rng.integers(2**31)))
    ti_t = torch.as_tensor(ti)
    for epoch in range(max_epochs):
        model.train()
        order = ti_t[torch.randperm(len(ti), generator=gen)]
        tot, correct = 0.0, 0
        for s in range(0, len(order), batch_size):
            b = order[s:s + batch_size]
            out = model(Xt[b])
            lo = crit(out, Yt[b])
            opt.zero_grad(set_to_none=True)
            lo.backward()
            opt.step()
            tot += float(lo.detach()) * len(b)
            if loss == "ce":
                correct += int((out.argmax(1) == Yt[b]).sum())
        hist.train_loss.append(tot / max(len(ti), 1))
        hist.train_metric.append(correct / max(len(ti), 1) if loss == "ce" else hist.train_loss[-1])
        vl, vm = evaluate(model, Xt[vi] if n_val else Xt[ti], Yt[vi] if n_val else Yt[ti], loss)
        hist.val_loss.append(vl)
        hist.val_metric.append(vm)
        hist.lr.append(float(opt.param_groups[0]["lr"]))
        sched.step(vl)
        if vl < best * (1 - 1e-4):
            best, stale, hist.best_epoch = vl, 0, epoch
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        else:
            stale += 1
        if on_epoch is not None:
            on_epoch(epoch)
        if stale >= patience or (time_budget is not None and time.perf_counter() - t0 > time_budget):
            break
    model.load_state_dict(best_state)
    model.eval()
    return hist


def evaluate(model, X, Y, loss: str, batch: int = 65536) -> tuple[float, float]:
    """Mean loss and metric (accuracy for 'ce', the loss again for 'mse') of ``model`` on tensors X, Y."""
    torch = torch_module()
    crit = torch.nn.CrossEntropyLoss(reduction="sum") if loss == "ce" else torch.nn.MSELoss(reduction="sum")
    model.eval()
    tot, correct = 0.0, 0
    with torch.no_grad():
        for s in range(0, X.shape[0], batch):
            out = model(X[s:s + batch])
            tot += float(crit(out, Y[s:s + batch]))
            if loss == "ce":
                correct += int((out.argmax(1) == Y[s:s + batch]).sum())
    n = max(X.shape[0], 1)
    if loss == "mse":
        tot /= Y.shape[1] if Y.ndim == 2 else 1
        return tot / n, tot / n
    return tot / n, correct / n


def predict(model, X: np.ndarray, batch: int = 65536) -> np.ndarray:
    """``model(X)`` as a float64 numpy array, evaluated without gradients in batches."""
    torch = torch_module()
    outs = []
    with torch.no_grad():
        Xt = torch.as_tensor(np.ascontiguousarray(X), dtype=torch.float32)
        for s in range(0, X.shape[0], batch):
            outs.append(model(Xt[s:s + batch]).numpy())
    return np.concatenate(outs, axis=0).astype(np.float64) if outs else np.zeros((0, 0))
