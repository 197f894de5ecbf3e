"""Forward and backward passes of a dense network: ``AL, cache = forward(...)``, ``grads = backward(..., cache, ...)``.

Layer l computes Z_l = W_l A_{l−1} + b_l and A_l = g_l(Z_l), with A_0 = X of shape (n_x, m), W_l of shape
(n_l, n_{l−1}) and b_l of shape (n_l, 1). Backward applies, from l = L down to 1,

    dZ_l = dA_l ⊙ g_l'(Z_l),   dW_l = dZ_l A_{l−1}ᵀ,   db_l = Σ_columns dZ_l,   dA_{l−1} = W_lᵀ dZ_l,

where the 1/m of the mean loss is already inside dA_L (or dZ_L for the canonical output/loss pairs).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from reference.activations import get_activation
from reference.losses import CANONICAL_OUTPUT, FROM_LOGITS, compute_loss, get_loss

Params = dict[str, np.ndarray]


@dataclass(frozen=True)
class Cache:
    """What ``backward`` needs from ``forward``; 1-based like the maths (index 0 of ``Z`` is unused)."""

    activations: tuple[str, ...]
    """One activation name per layer, l = 1..L."""
    A: list[np.ndarray]
    """A[0] = X (n_x, m); A[l] = g_l(Z_l) of shape (n_l, m)."""
    Z: list[np.ndarray | None]
    """Z[0] = None; Z[l] = W_l A[l−1] + b_l of shape (n_l, m)."""


def num_layers(params: Params) -> int:
    """L, the number of weight matrices W1..WL in ``params``."""
    L = 0
    while f"W{L + 1}" in params:
        L += 1
    return L


def _check(params: Params, X: np.ndarray, activations: Sequence[str]) -> int:
    L = num_layers(params)
    if L == 0:
        raise ValueError("params holds no W1; expected keys W1, b1, ..., WL, bL")
    if len(activations) != L:
        raise ValueError(f"params has {L} layers but {len(activations)} activations were given: {list(activations)}")
    for l, name in enumerate(activations, start=1):
        if get_activation(name).output_only and l != L:
            raise ValueError(f"{name!r} couples the units of a layer: last layer only (got layer {l} of {L})")
    if X.ndim != 2 or X.shape[0] != params["W1"].shape[1]:
        raise ValueError(f"X must have shape (n_x, m) = ({params['W1'].shape[1]}, m); got {X.shape}")
    return L


def forward(params: Params, X: np.ndarray, activations: Sequence[str]) -> tuple[np.ndarray, Cache]:
    """Run the network on X (n_x, m); return A_L (n_L, m) and the cache for :func:`backward`."""
    X = np.asarray(X, dtype=np.float64)
    L = _check(params, X, activations)
    A: list[np.ndarray] = [X]
    Z: list[np.ndarray | None] = [None]
    for l in range(1, L + 1):
        Zl = params[f"W{l}"] @ A[-1] + params[f"b{l}"]
        Z.append(Zl)
        A.append(get_activation(activations[l - 1]).forward(Zl))
    return A[-1], Cache(tuple(activations), A, Z)


def backward(params: Params, cache: Cache, Y: np.ndarray, loss: str) -> Params:
    """Gradients of the mean loss over the m examples: ``{"dW1": (n_1, n_0), "db1": (n_1, 1), ...}``.

    With the canonical pairs (sigmoid + ``bce``, softmax + ``ce``, linear + ``mse``) dZ_L = (A_L − Y)/m exactly,
    which stays finite when the output saturates; other pairs go through dA_L = ∂L/∂A_L.
    """
    Y = np.asarray(Y, dtype=np.float64)
    L = len(cache.activations)
    AL = cache.A[L]
    if Y.shape != AL.shape:
        raise ValueError(f"Y has shape {Y.shape} but the output A{L} has shape {AL.shape}")
    grads: Params = {}
    if CANONICAL_OUTPUT.get(loss) == cache.activations[-1]:
        dZ = (AL - Y) / Y.shape[1]
    else:
        dZ = get_activation(cache.activations[-1]).backward(get_loss(loss).grad(AL, Y), cache.Z[L])
    for l in range(L, 0, -1):
        grads[f"dW{l}"] = dZ @ cache.A[l - 1].T
        grads[f"db{l}"] = dZ.sum(axis=1, keepdims=True)
        if l > 1:
            dZ = get_activation(cache.activations[l - 2]).backward(params[f"W{l}"].T @ dZ, cache.Z[l - 1])
    return grads


def loss_and_grads(
    params: Params, X: np.ndarray, Y: np.ndarray, activations: Sequence[str], loss: str
) -> tuple[float, Params]:
    """One forward and one backward pass: the mean loss and its gradients.

    For the canonical output/loss pairs the loss is computed from Z_L, so a confidently wrong example with z = 40
    costs 40, not the ≈708 that log(A_L) clipped at the smallest float would give.
    """
    AL, cache = forward(params, X, activations)
    if CANONICAL_OUTPUT.get(loss) == cache.activations[-1]:
        value = FROM_LOGITS[loss](cache.Z[-1], np.asarray(Y, dtype=np.float64))
    else:
        value = compute_loss(AL, Y, loss)
    return value, backward(params, cache, Y, loss)


_DECISIONS = {
    "sigmoid": lambda AL: (AL > 0.5).astype(np.float64),
    "softmax": lambda AL: np.eye(AL.shape[0])[:, AL.argmax(axis=0)],
    "linear": lambda AL: AL,
}


def predict(params: Params, X: np.ndarray, activations: Sequence[str]) -> np.ndarray:
    """Predictions in the form of Y: 0/1 for a sigmoid output, one-hot (n_L, m) for softmax, A_L otherwise."""
    AL, _ = forward(params, X, activations)
    return _DECISIONS.get(activations[-1], _DECISIONS["linear"])(AL)


def accuracy(params: Params, X: np.ndarray, Y: np.ndarray, activations: Sequence[str]) -> float:
    """Fraction of the m examples whose whole prediction column equals Y's column."""
    return float(np.mean(np.all(predict(params, X, activations) == Y, axis=0)))
