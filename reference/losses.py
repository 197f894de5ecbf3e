"""Losses averaged over the m examples (columns), as a registry of (value, gradient) pairs.

- ``bce``: binary cross-entropy, L = −(1/m) Σ [y log a + (1−y) log(1−a)], for a sigmoid output.
- ``ce``: categorical cross-entropy, L = −(1/m) Σ_columns Σ_i y_i log a_i, for a softmax output, Y one-hot (n_L, m).
- ``mse``: L = (1/2m) Σ ‖a − y‖², for a linear output (the ½ makes the gradient (A − Y)/m).

For these canonical pairs ``dZ_L = (A_L − Y)/m`` exactly, which :data:`CANONICAL_OUTPUT` records so that
``network.backward`` never divides by a saturated a(1−a).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

_TINY = np.finfo(np.float64).tiny  # log(tiny) ≈ −708: a saturated unit gives a large but finite loss


def _safe_log(x: np.ndarray) -> np.ndarray:
    return np.log(np.maximum(x, _TINY))


@dataclass(frozen=True)
class Loss:
    """A loss L(A, Y) (mean over the m columns) and its gradient dL/dA, both for arrays of shape (n_L, m)."""

    name: str
    value: Callable[[np.ndarray, np.ndarray], float]
    grad: Callable[[np.ndarray, np.ndarray], np.ndarray]


def _bce(A: np.ndarray, Y: np.ndarray) -> float:
    m = Y.shape[1]
    return float(-(np.sum(Y * _safe_log(A)) + np.sum((1.0 - Y) * _safe_log(1.0 - A))) / m)


def _bce_grad(A: np.ndarray, Y: np.ndarray) -> np.ndarray:
    m = Y.shape[1]
    return (-Y / np.maximum(A, _TINY) + (1.0 - Y) / np.maximum(1.0 - A, _TINY)) / m


def _ce(A: np.ndarray, Y: np.ndarray) -> float:
    return float(-np.sum(Y * _safe_log(A)) / Y.shape[1])


def _ce_grad(A: np.ndarray, Y: np.ndarray) -> np.ndarray:
    return -Y / np.maximum(A, _TINY) / Y.shape[1]


def _mse(A: np.ndarray, Y: np.ndarray) -> float:
    return float(0.5 * np.sum((A - Y) ** 2) / Y.shape[1])


def _mse_grad(A: np.ndarray, Y: np.ndarray) -> np.ndarray:
    return (A - Y) / Y.shape[1]


LOSSES: dict[str, Loss] = {
    "bce": Loss("bce", _bce, _bce_grad),
    "ce": Loss("ce", _ce, _ce_grad),
    "mse": Loss("mse", _mse, _mse_grad),
}

CANONICAL_OUTPUT: dict[str, str] = {"bce": "sigmoid", "ce": "softmax", "mse": "linear"}
"""The output activation for which dL/dZ_L = (A_L − Y)/m."""


def _bce_from_logits(Z: np.ndarray, Y: np.ndarray) -> float:
    # −[y log σ(z) + (1−y) log(1−σ(z))] = max(z, 0) − y·z + log(1 + e^{−|z|}): exact for any |z|.
    return float(np.sum(np.maximum(Z, 0.0) - Y * Z + np.log1p(np.exp(-np.abs(Z)))) / Y.shape[1])


def _ce_from_logits(Z: np.ndarray, Y: np.ndarray) -> float:
    # log softmax(z)_i = z_i − max z − log Σ_j e^{z_j − max z}.
    shifted = Z - Z.max(axis=0, keepdims=True)
    log_a = shifted - np.log(np.sum(np.exp(shifted), axis=0, keepdims=True))
    return float(-np.sum(Y * log_a) / Y.shape[1])


FROM_LOGITS: dict[str, Callable[[np.ndarray, np.ndarray], float]] = {
    "bce": _bce_from_logits,
    "ce": _ce_from_logits,
    "mse": _mse,
}
"""The canonical losses computed from Z_L rather than A_L: exact where A_L has saturated to 0 or 1."""


def get_loss(name: str) -> Loss:
    """The registered loss called ``name``; a ValueError lists the known names otherwise."""
    try:
        return LOSSES[name]
    except KeyError:
        raise ValueError(f"unknown loss {name!r}; known: {', '.join(sorted(LOSSES))}") from None


def compute_loss(AL: np.ndarray, Y: np.ndarray, loss: str) -> float:
    """Mean loss over the m examples; AL and Y have shape (n_L, m). Finite even for saturated outputs."""
    AL, Y = np.asarray(AL, dtype=np.float64), np.asarray(Y, dtype=np.float64)
    if AL.shape != Y.shape:
        raise ValueError(f"AL has shape {AL.shape} but Y has shape {Y.shape}; both must be (n_L, m)")
    return get_loss(loss).value(AL, Y)
