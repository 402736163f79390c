"""The paper-001 estimators' training loops and batched inference (the networks, optimisers and the training
record are :mod:`iklearn.estimators._torch`'s).

torch is imported lazily inside every function so ``import iklearn.estimators.ml_ik`` stays cheap.

Two training loops: :func:`train` for one ``nn.Sequential`` (the classifier) and :func:`train_stacked`
for K independent MLPs held as batched weight tensors (the regressor's cluster networks): one
``torch.baddbmm`` per layer runs all K networks at once, in training and at inference, so K networks cost
one Python loop instead of K.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from iklearn.errors import IKLearnError
from iklearn.estimators._torch import History, make_optimizer, torch_module

SCHEDULERS = ("plateau", "onecycle", "cosine")


def _optimizer(model, *, lr: float, weight_decay: float, scheduler: str, max_epochs: int, steps: int,
               lr_patience: int, lr_factor: float, min_lr: float):
    """Adam and the learning-rate schedule; returns ``(opt, sched, per_step)``."""
    torch = torch_module()
    opt = make_optimizer("adam", model.parameters(), lr, weight_decay)
    if scheduler == "plateau":  # the paper's: reduce on validation-loss plateaus, stepped once per epoch
        return opt, torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=lr_factor, patience=lr_patience,
                                                               min_lr=min_lr), False
    if scheduler == "onecycle":  # warm-up then cosine annealing to ~0 over exactly max_epochs
        return opt, torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=max(2, max_epochs * steps),
                                                        pct_start=0.15, div_factor=10.0,
                                                        final_div_factor=1e3), True
    if scheduler == "cosine":
        return opt, torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(1, max_epochs * steps),
                                                               eta_min=min_lr), True
    raise IKLearnError(f"unknown scheduler '{scheduler}'; expected one of {', '.join(SCHEDULERS)}")


def _step(opt, sched, per_step: bool, loss) -> None:
    """One optimiser step on ``loss`` (a scalar tensor), and the schedule's when it steps per batch."""
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()
    if per_step:
        sched.step()


def _end_epoch(sched, per_step: bool, val_loss: float, on_epoch, epoch: int) -> None:
    """The per-epoch schedule step (plateau schedules watch ``val_loss``) and the caller's callback."""
    if not per_step:
        sched.step(val_loss)
    if on_epoch is not None:
        on_epoch(epoch)


def _stop(stale_all: bool, t0: float, time_budget: float | None) -> bool:
    import time

    return stale_all or (time_budget is not None and time.perf_counter() - t0 > time_budget)


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
    scheduler: str = "plateau",
    lr_patience: int = 3,
    lr_factor: float = 0.5,
    min_lr: float = 1e-7,
    time_budget: float | None = None,
    class_weight: np.ndarray | None = None,
    on_epoch: Callable[[int], None] | None = None,
) -> History:
    """Train ``model`` with Adam and a learning-rate schedule, keeping the weights of the best validation epoch.

    Parameters
    ----------
    X : (N, d_in) float inputs (already standardised)
    Y : (N, d_out) float targets (``loss='mse'``) or (N,) int class labels (``loss='ce'``)
    loss : 'mse' or 'ce'
    val_fraction : fraction of the rows held out for early stopping and the learning-rate schedule
    patience : stop after this many epochs without a better validation loss
    scheduler : 'plateau' (ReduceLROnPlateau on the validation loss, the paper's), 'onecycle' or 'cosine'
        (per-step schedules over exactly ``max_epochs``)
    time_budget : s, stop after the epoch that crosses it (None: no limit)
    class_weight : (n_classes,) cross-entropy weights ('ce' only; None: unweighted)
    """
    import time

    torch = torch_module()
    n = X.shape[0]
    perm = rng.permutation(n)
    n_val = int(round(val_fraction * n)) if n >= 20 else 0
    vi, ti = perm[:n_val], perm[n_val:]
    Xt = torch.as_tensor(np.ascontiguousarray(X), dtype=torch.float32)
    Yt = torch.as_tensor(Y, dtype=torch.long if loss == "ce" else torch.float32)
    Xv, Yv = (Xt[vi], Yt[vi]) if n_val else (Xt[ti], Yt[ti])
    w = None if class_weight is None else torch.as_tensor(class_weight, dtype=torch.float32)
    crit = torch.nn.CrossEntropyLoss(weight=w) if loss == "ce" else torch.nn.MSELoss()
    steps = max(1, math.ceil(len(ti) / batch_size))
    opt, sched, per_step = _optimizer(model, lr=lr, weight_decay=weight_decay, scheduler=scheduler,
                                      max_epochs=max_epochs, steps=steps, lr_patience=lr_patience,
                                      lr_factor=lr_factor, min_lr=min_lr)
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
        tot = torch.zeros(())
        correct = torch.zeros((), dtype=torch.long)
        hist.lr.append(float(opt.param_groups[0]["lr"]))
        for s in range(0, len(order), batch_size):
            b = order[s:s + batch_size]
            out = model(Xt[b])
            yb = Yt[b]
            lo = crit(out, yb)
            _step(opt, sched, per_step, lo)
            # accumulate as tensors: no Python sync per batch
            tot += lo.detach() * len(b)
            if loss == "ce":
                correct += (out.detach().argmax(1) == yb).sum()
        hist.train_loss.append(float(tot) / max(len(ti), 1))
        hist.train_metric.append(int(correct) / max(len(ti), 1) if loss == "ce" else hist.train_loss[-1])
        vl, vm = evaluate(model, Xv, Yv, loss)
        hist.val_loss.append(vl)
        hist.val_metric.append(vm)
        _end_epoch(sched, per_step, vl, on_epoch, epoch)
        if vl < best * (1 - 1e-4):
            best, stale, hist.best_epoch = vl, 0, epoch
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        else:
            stale += 1
        if _stop(stale >= patience, t0, time_budget):
            break
    model.load_state_dict(best_state)
    model.eval()
    return hist


def train_stacked(
    model,
    X: np.ndarray,
    Y: np.ndarray,
    groups: np.ndarray,
    *,
    lr: float,
    weight_decay: float,
    batch_size: int,
    max_epochs: int,
    patience: int,
    val_fraction: float,
    rng: np.random.Generator,
    scheduler: str = "onecycle",
    lr_patience: int = 3,
    lr_factor: float = 0.5,
    min_lr: float = 1e-7,
    time_budget: float | None = None,
    on_epoch: Callable[[int], None] | None = None,
) -> list[History]:
    """Train the K networks of a :func:`make_stacked_mlp` model together (MSE), network k on the rows of group k.

    Every step takes ``batch_size`` rows of each group (an epoch is one pass over the largest group; smaller
    groups are reshuffled as they run out), so the K networks see the same number of steps; the loss is the
    sum of the K per-network mean losses, so each network's gradients are exactly its own. Early stopping
    and the best-epoch weights are tracked per network; training stops when every network is stale for
    ``patience`` epochs (or after ``max_epochs``).

    Parameters
    ----------
    X : (N, d_in) float inputs, standardised per group
    Y : (N, d_out) float targets, standardised per group
    groups : (N,) int in [0, K)

    Returns
    -------
    list of K :class:`History`
    """
    import time

    torch = torch_module()
    K = int(model.w0.shape[0])
    Xt = torch.as_tensor(np.ascontiguousarray(X), dtype=torch.float32)
    Yt = torch.as_tensor(np.ascontiguousarray(Y), dtype=torch.float32)
    tr_idx, va_idx = [], []
    for k in range(K):
        idx = rng.permutation(np.flatnonzero(groups == k))
        n_val = int(round(val_fraction * idx.size)) if idx.size >= 20 else 0
        va_idx.append(idx[:n_val] if n_val else idx)
        tr_idx.append(idx[n_val:])
    if min(t.size for t in tr_idx) == 0:
        raise IKLearnError("every cluster needs at least one training row")
    n_max = max(t.size for t in tr_idx)
    bs = min(int(batch_size), n_max)
    steps = max(1, math.ceil(n_max / bs))
    opt, sched, per_step = _optimizer(model, lr=lr, weight_decay=weight_decay, scheduler=scheduler,
                                      max_epochs=max_epochs, steps=steps, lr_patience=lr_patience,
                                      lr_factor=lr_factor, min_lr=min_lr)
    hists = [History() for _ in range(K)]
    best = np.full(K, np.inf)
    stale = np.zeros(K, int)
    best_state = {n: p.detach().clone() for n, p in model.named_parameters()}
    t0 = time.perf_counter()
    for epoch in range(max_epochs):
        model.train()
        order = np.empty((K, steps * bs), np.int64)
        for k, t in enumerate(tr_idx):
            reps = math.ceil(steps * bs / t.size)
            order[k] = np.concatenate([rng.permutation(t) for _ in range(reps)])[: steps * bs]
        order_t = torch.as_tensor(order.reshape(K, steps, bs))
        tot = torch.zeros(K)
        lr_now = float(opt.param_groups[0]["lr"])
        for s in range(steps):
            b = order_t[:, s]
            err = model(Xt[b]) - Yt[b]                      # (K, B, d_out)
            per_net = (err * err).mean(dim=(1, 2))          # (K,)
            _step(opt, sched, per_step, per_net.sum())
            tot += per_net.detach()
        vl = evaluate_stacked(model, Xt, Yt, va_idx)
        for k in range(K):
            h = hists[k]
            h.train_loss.append(float(tot[k]) / steps)
            h.train_metric.append(h.train_loss[-1])
            h.val_loss.append(float(vl[k]))
            h.val_metric.append(float(vl[k]))
            h.lr.append(lr_now)
        better = vl < best * (1 - 1e-4)
        for k in np.flatnonzero(better):
            best[k], hists[k].best_epoch = vl[k], epoch
            for n, p in model.named_parameters():
                best_state[n][k] = p.detach()[k]
        stale = np.where(better, 0, stale + 1)
        _end_epoch(sched, per_step, float(vl.sum()), on_epoch, epoch)
        if _stop(bool((stale >= patience).all()), t0, time_budget):
            break
    with torch.no_grad():
        for n, p in model.named_parameters():
            p.copy_(best_state[n])
    model.eval()
    return hists


def evaluate_stacked(model, Xt, Yt, idx: list[np.ndarray], batch: int = 32768) -> np.ndarray:
    """Mean squared error (K,) of each stacked network on its own rows ``idx[k]``."""
    torch = torch_module()
    K = len(idx)
    sums = np.zeros(K)
    n = max(i.size for i in idx)
    model.eval()
    with torch.no_grad():
        for s in range(0, n, batch):
            parts = [i[s:s + batch] for i in idx]
            m = max(p.size for p in parts)
            if m == 0:
                continue
            # pad shorter groups with their first row and mask the padding out of the sums
            pad = np.stack([np.pad(p, (0, m - p.size), mode="edge") if p.size else np.zeros(m, int) for p in parts])
            mask = torch.as_tensor(np.arange(m)[None, :] < np.array([p.size for p in parts])[:, None])
            b = torch.as_tensor(pad)
            e = ((model(Xt[b]) - Yt[b]) ** 2).mean(dim=2)
            sums += (e * mask).sum(dim=1).double().numpy()
    return sums / np.array([max(i.size, 1) for i in idx])


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


def predict_stacked(model, X: np.ndarray, batch: int = 65536) -> np.ndarray:
    """``model(X)`` for stacked inputs ``(K, N, d_in)`` as float64 ``(K, N, d_out)``, without gradients."""
    torch = torch_module()
    outs = []
    with torch.no_grad():
        Xt = torch.as_tensor(np.ascontiguousarray(X), dtype=torch.float32)
        for s in range(0, X.shape[1], batch):
            outs.append(model(Xt[:, s:s + batch]).numpy())
    return np.concatenate(outs, axis=1).astype(np.float64)

