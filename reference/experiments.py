"""The experiments behind the course's claims, as pure functions returning rows of numbers (the demo prints them).

- :func:`init_comparison` (fact 8): the same 2-10-5-1 ReLU net trained on ``circles`` from several inits.
- :func:`depth_ratios` (fact 9): how the std of the pre-activations changes across 50 layers of width 256, and how
  the norm of the back-propagated gradient ∂L/∂Z_l changes on the way back down (:func:`grad_norm_profile`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from reference.activations import get_activation
from reference.data import circles
from reference.init import calculate_gain, initialize
from reference.lsuv import lsuv
from reference.network import Params, accuracy, forward
from reference.symmetry import duplicate_units
from reference.train import train

CIRCLES_DIMS = [2, 10, 5, 1]
CIRCLES_ACTIVATIONS = ["relu", "relu", "sigmoid"]

INITS: dict[str, dict] = {
    "zeros": {"weights": "zeros"},
    "normal x 10": {"weights": "normal", "std": 10.0},
    "normal x 0.01": {"weights": "normal", "std": 0.01},
    "xavier_normal": {"weights": "xavier_normal"},
    "he_normal": {"weights": "he_normal"},
}
"""Keyword arguments of :func:`reference.init.initialize` for each init the course compares."""


@dataclass(frozen=True)
class InitRow:
    """One init trained on circles."""

    init: str
    first_loss: float
    final_loss: float
    train_accuracy: float
    duplicate_units: int
    """Units of hidden layers that have an identical twin after training (0 when symmetry is broken)."""
    loss_curve: np.ndarray


def init_comparison(
    inits: Sequence[str] = tuple(INITS),
    *,
    n: int = 300,
    lr: float = 0.1,
    steps: int = 3000,
    seed: int = 1,
) -> list[InitRow]:
    """Train ``CIRCLES_DIMS`` on ``circles(n)`` from each init (same data, same seed) and summarise the run."""
    X, Y = circles(n, np.random.default_rng(seed))
    rows = []
    for name in inits:
        params = initialize(CIRCLES_DIMS, np.random.default_rng(seed), **INITS[name])
        with np.errstate(over="ignore", under="ignore"):
            trained, history = train(params, X, Y, activations=CIRCLES_ACTIVATIONS, loss="bce", lr=lr, steps=steps)
        dups = sum(len(g) for l in range(1, len(CIRCLES_DIMS) - 1) for g in duplicate_units(trained, l))
        rows.append(
            InitRow(
                init=name,
                first_loss=float(history.loss[0]),
                final_loss=float(history.loss[-1]),
                train_accuracy=accuracy(trained, X, Y, CIRCLES_ACTIVATIONS),
                duplicate_units=dups,
                loss_curve=history.loss,
            )
        )
    return rows


DEPTH_CASES: dict[str, tuple[str, dict]] = {
    "he_normal + relu": ("relu", {"weights": "he_normal"}),
    "xavier_normal + relu": ("relu", {"weights": "xavier_normal"}),
    "xavier_normal (gain 1) + tanh": ("tanh", {"weights": "xavier_normal"}),
    "xavier_normal (gain 5/3) + tanh": ("tanh", {"weights": "xavier_normal", "gain": calculate_gain("tanh")}),
    "lsuv + relu": ("relu", {"weights": "orthogonal"}),
}
"""Activation and :func:`reference.init.initialize` arguments of each depth experiment; LSUV starts orthogonal."""


@dataclass(frozen=True)
class DepthRow:
    """Medians over seeds of the forward and backward ratios of one init on a deep, wide net."""

    case: str
    median_ratio: float
    """Forward: median of std(Z_L) / std(Z_1)."""
    profile: np.ndarray
    """std of Z_l for l = 1..L, for the first seed."""
    median_grad_ratio: float
    """Backward: median of ‖dZ_1‖ / ‖dZ_L‖ for a standard normal dA_L (> 1: the gradient grows on its way down)."""
    grad_profile: np.ndarray
    """‖dZ_l‖ for l = 1..L, for the first seed."""


def std_profile(params: Params, X: np.ndarray, activations: Sequence[str]) -> np.ndarray:
    """std of the pre-activations Z_l of every layer l = 1..L, over all units and examples."""
    _, cache = forward(params, X, activations)
    return np.array([cache.Z[l].std() for l in range(1, len(activations) + 1)])


def pre_activation_grads(
    params: Params, X: np.ndarray, activations: Sequence[str], dA: np.ndarray
) -> list[np.ndarray | None]:
    """dZ_l = ∂s/∂Z_l for l = 1..L (index 0 is None, like ``Cache.Z``) of s = Σ dA ⊙ A_L on X: the gradient
    ``dA`` = ∂loss/∂A_L of shape (n_L, m), back-propagated from the output down to layer 1.

    dZ_l = dA_l ⊙ g_l'(Z_l) and dA_{l−1} = W_lᵀ dZ_l, the recursion of :func:`reference.network.backward` started
    from a given dA_L instead of a loss: each entry of W_lᵀ dZ_l sums over the n_l units of layer l, its fan-out.
    """
    _, cache = forward(params, X, activations)
    dA = np.asarray(dA, dtype=np.float64)
    L = len(activations)
    if dA.shape != cache.A[L].shape:
        raise ValueError(f"dA must have the shape {cache.A[L].shape} of the output A{L}; got {dA.shape}")
    dZ: list[np.ndarray | None] = [None] * (L + 1)
    for l in range(L, 0, -1):
        dZ[l] = get_activation(activations[l - 1]).backward(dA, cache.Z[l])
        dA = params[f"W{l}"].T @ dZ[l]
    return dZ


def grad_norm_profile(params: Params, X: np.ndarray, activations: Sequence[str], dA: np.ndarray) -> np.ndarray:
    """The backward profile: Frobenius norms ‖dZ_l‖ for l = 1..L of :func:`pre_activation_grads`."""
    return np.array([np.linalg.norm(dZ) for dZ in pre_activation_grads(params, X, activations, dA)[1:]])


def depth_ratios(
    cases: Sequence[str] = tuple(DEPTH_CASES),
    *,
    width: int = 256,
    depth: int = 50,
    batch: int = 256,
    seeds: Sequence[int] = range(10),
) -> list[DepthRow]:
    """For each case and seed, X ~ N(0, 1) of shape (width, batch), the network, then dA_L ~ N(0, 1) of the same
    shape, all drawn from default_rng(seed) in that order: the medians over ``seeds`` of std(Z_depth) / std(Z_1)
    and of ‖dZ_1‖ / ‖dZ_depth‖."""
    rows = []
    for case in cases:
        activation, kw = DEPTH_CASES[case]
        acts = [activation] * depth
        ratios, grad_ratios, first, first_grads = [], [], None, None
        for seed in seeds:
            rng = np.random.default_rng(seed)
            X = rng.standard_normal((width, batch))
            params = initialize([width] * (depth + 1), rng, **kw)
            if case.startswith("lsuv"):
                params = lsuv(params, X, acts, rng)
            profile = std_profile(params, X, acts)
            grads = grad_norm_profile(params, X, acts, rng.standard_normal((width, batch)))
            ratios.append(profile[-1] / profile[0])
            grad_ratios.append(grads[0] / grads[-1])
            if first is None:
                first, first_grads = profile, grads
        rows.append(DepthRow(case, float(np.median(ratios)), first, float(np.median(grad_ratios)), first_grads))
    return rows
