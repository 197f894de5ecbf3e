"""Gradient descent, full-batch or minibatch, with a loss history that is cheap to plot."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from reference.network import Params, loss_and_grads, num_layers


@dataclass(frozen=True)
class History:
    """What happened during :func:`train`."""

    loss: np.ndarray
    """loss[t] is the (mini)batch loss seen at update t+1, before that update is applied; shape (steps,)."""


def train(
    params: Params,
    X: np.ndarray,
    Y: np.ndarray,
    *,
    activations: Sequence[str],
    loss: str,
    lr: float,
    steps: int,
    rng: np.random.Generator | None = None,
    batch_size: int | None = None,
) -> tuple[Params, History]:
    """Run ``steps`` updates θ ← θ − lr·∇L(θ) and return new parameters (the input dict is left untouched).

    Full-batch when ``batch_size`` is None or ≥ m; otherwise each epoch visits the m columns of X in an order
    drawn from ``rng`` (required then), ``batch_size`` at a time, and one step is one minibatch.
    """
    X, Y = np.asarray(X, dtype=np.float64), np.asarray(Y, dtype=np.float64)
    m = X.shape[1]
    if steps < 0 or lr <= 0:
        raise ValueError(f"steps must be >= 0 and lr > 0; got steps={steps}, lr={lr}")
    if batch_size is not None and batch_size < 1:
        raise ValueError(f"batch_size must be a positive number of examples or None; got {batch_size}")
    minibatch = batch_size is not None and batch_size < m
    if minibatch and rng is None:
        raise ValueError("minibatch training shuffles the examples: pass rng=np.random.default_rng(seed)")
    params = {k: np.array(v, dtype=np.float64) for k, v in params.items()}
    keys = [f"{p}{l}" for l in range(1, num_layers(params) + 1) for p in ("W", "b")]
    history = np.empty(steps)
    order, pos = np.arange(m), m
    for t in range(steps):
        if minibatch:
            if pos + batch_size > m:
                order, pos = rng.permutation(m), 0
            idx = order[pos : pos + batch_size]
            pos += batch_size
            history[t], grads = loss_and_grads(params, X[:, idx], Y[:, idx], activations, loss)
        else:
            history[t], grads = loss_and_grads(params, X, Y, activations, loss)
        for k in keys:
            params[k] -= lr * grads[f"d{k}"]
    return params, History(history)
