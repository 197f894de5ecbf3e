"""Activation functions as a registry of (forward, backward) pairs, numerically stable for |z| up to 1e3 and beyond.

Each entry maps a name to an :class:`Activation` whose ``forward(Z) -> A`` and ``backward(dA, Z) -> dZ`` work
element-wise on arrays of any shape (``softmax`` works column-wise: one column per example).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

LEAKY_SLOPE = 0.01
"""Slope of ``leaky_relu`` for z < 0 (the default of ``torch.nn.LeakyReLU``)."""


@dataclass(frozen=True)
class Activation:
    """A named non-linearity g with its derivative applied by the chain rule."""

    name: str
    forward: Callable[[np.ndarray], np.ndarray]
    """A = g(Z), same shape as Z."""
    backward: Callable[[np.ndarray, np.ndarray], np.ndarray]
    """dZ = dL/dZ given dA = dL/dA and the pre-activation Z, same shape as Z."""
    output_only: bool = False
    """True for activations that couple the units of a layer (softmax): allowed on the last layer only."""


def sigmoid(Z: np.ndarray) -> np.ndarray:
    """σ(z) = 1 / (1 + e^{-z}), computed from e^{-|z|} so that no exponent overflows."""
    e = np.exp(-np.abs(Z))
    return np.where(Z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _sigmoid_backward(dA: np.ndarray, Z: np.ndarray) -> np.ndarray:
    s = sigmoid(Z)
    return dA * s * (1.0 - s)


def _tanh_backward(dA: np.ndarray, Z: np.ndarray) -> np.ndarray:
    t = np.tanh(Z)
    return dA * (1.0 - t * t)


def relu(Z: np.ndarray) -> np.ndarray:
    """max(0, z)."""
    return np.maximum(Z, 0.0)


def _relu_backward(dA: np.ndarray, Z: np.ndarray) -> np.ndarray:
    return dA * (Z > 0)


def leaky_relu(Z: np.ndarray) -> np.ndarray:
    """z for z > 0, ``LEAKY_SLOPE``·z otherwise."""
    return np.where(Z > 0, Z, LEAKY_SLOPE * Z)


def _leaky_relu_backward(dA: np.ndarray, Z: np.ndarray) -> np.ndarray:
    return dA * np.where(Z > 0, 1.0, LEAKY_SLOPE)


def softmax(Z: np.ndarray) -> np.ndarray:
    """Column-wise softmax: a_i = e^{z_i - max z} / Σ_j e^{z_j - max z}, shape (n, m)."""
    E = np.exp(Z - Z.max(axis=0, keepdims=True))
    return E / E.sum(axis=0, keepdims=True)


def _softmax_backward(dA: np.ndarray, Z: np.ndarray) -> np.ndarray:
    # Jacobian-vector product of softmax per column: dz = a ⊙ (da − Σ_i a_i da_i).
    A = softmax(Z)
    return A * (dA - np.sum(dA * A, axis=0, keepdims=True))


ACTIVATIONS: dict[str, Activation] = {
    "linear": Activation("linear", lambda Z: Z, lambda dA, Z: dA),
    "sigmoid": Activation("sigmoid", sigmoid, _sigmoid_backward),
    "tanh": Activation("tanh", np.tanh, _tanh_backward),
    "relu": Activation("relu", relu, _relu_backward),
    "leaky_relu": Activation("leaky_relu", leaky_relu, _leaky_relu_backward),
    "softmax": Activation("softmax", softmax, _softmax_backward, output_only=True),
}


def get_activation(name: str) -> Activation:
    """The registered activation called ``name``; a ValueError lists the known names otherwise."""
    try:
        return ACTIVATIONS[name]
    except KeyError:
        raise ValueError(f"unknown activation {name!r}; known: {', '.join(sorted(ACTIVATIONS))}") from None
