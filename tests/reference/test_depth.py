"""Tests of fact 9, depth: how the std of the pre-activations changes over 50 layers of width 256, per init.

ratio = std(Z_50) / std(Z_1) (std over all entries of the layer's pre-activations), median over 10 seeds, on
X of 256 × 128 standard-normal entries. The claims: He on ReLU keeps the median ratio in [0.5, 2]; Xavier
(gain 1) on ReLU halves the variance at every layer, (1/√2)^49 ≈ 4e-8 < 1e-6; on tanh, Xavier with gain 1
lets the signal decay below 0.2 while gain calculate_gain("tanh") = 5/3 keeps it above 0.5; LSUV sets every
layer's variance to 1 ± 10%.

The backward half (reference.experiments.grad_norm_profile): back-propagate dA_50 of standard-normal entries and take
grad ratio = ‖dZ_1‖ / ‖dZ_50‖, the growth of the gradient on its way down. He on ReLU keeps it in [0.5, 2] and
Xavier on ReLU makes it vanish, like the forward signal; on tanh the two passes disagree: gain 5/3, which keeps the
forward signal, makes the gradient grow 50 to 150 times (about 10% per layer), and gain 1 makes it shrink below 0.2.
"""

from __future__ import annotations

import numpy as np
import pytest

from reference.experiments import grad_norm_profile
from reference.init import calculate_gain, initialize
from reference.lsuv import lsuv
from reference.network import forward

WIDTH = 256
DEPTH = 50
BATCH = 128
SEEDS = range(10)


def _data(rng: np.random.Generator) -> np.ndarray:
    return rng.standard_normal((WIDTH, BATCH))


def _pre_activation_stds(params: dict, X: np.ndarray, activation: str) -> np.ndarray:
    """std(Z_l) for l = 1..L, read from the forward cache."""
    _, cache = forward(params, X, [activation] * DEPTH)
    return np.array([np.std(cache.Z[layer]) for layer in range(1, DEPTH + 1)])


def _median_ratio(activation: str, weights: str, **kw: float) -> float:
    ratios = []
    for seed in SEEDS:
        rng = np.random.default_rng(seed)
        X = _data(rng)
        params = initialize([WIDTH] * (DEPTH + 1), rng, weights, **kw)
        stds = _pre_activation_stds(params, X, activation)
        ratios.append(stds[-1] / stds[0])
    return float(np.median(ratios))


@pytest.mark.parametrize("weights", ["he_normal", "he_uniform"])
def test_he_on_relu_keeps_the_signal(weights: str) -> None:
    """With He init on ReLU, does the median std(Z_50)/std(Z_1) stay within a factor 2 of 1?"""
    ratio = _median_ratio("relu", weights)
    assert 0.5 <= ratio <= 2.0, ratio


def test_xavier_on_relu_makes_the_signal_vanish() -> None:
    """With Xavier (gain 1) on ReLU, is the median std(Z_50)/std(Z_1) below 1e-6?"""
    ratio = _median_ratio("relu", "xavier_normal")
    assert ratio < 1e-6, ratio


def test_xavier_gain_one_on_tanh_decays() -> None:
    """With Xavier of gain 1 on tanh, is the median std(Z_50)/std(Z_1) below 0.2?"""
    ratio = _median_ratio("tanh", "xavier_normal", gain=1.0)
    assert ratio < 0.2, ratio


def test_xavier_tanh_gain_on_tanh_keeps_the_signal() -> None:
    """With Xavier of gain calculate_gain("tanh") = 5/3 on tanh, is the median ratio above 0.5?"""
    ratio = _median_ratio("tanh", "xavier_normal", gain=calculate_gain("tanh"))
    assert ratio > 0.5, ratio


def _grad_ratios(activation: str, weights: str, **kw: float) -> np.ndarray:
    """‖dZ_1‖ / ‖dZ_50‖ per seed, dA_50 ~ N(0, 1) drawn after X and the weights."""
    ratios = []
    for seed in SEEDS:
        rng = np.random.default_rng(seed)
        X = _data(rng)
        params = initialize([WIDTH] * (DEPTH + 1), rng, weights, **kw)
        norms = grad_norm_profile(params, X, [activation] * DEPTH, rng.standard_normal((WIDTH, BATCH)))
        ratios.append(norms[0] / norms[-1])
    return np.array(ratios)


def test_he_on_relu_keeps_the_gradient_too() -> None:
    """With He init on ReLU, does the median ‖dZ_1‖/‖dZ_50‖ stay within a factor 2 of 1?"""
    ratio = float(np.median(_grad_ratios("relu", "he_normal")))
    assert 0.5 <= ratio <= 2.0, ratio


def test_xavier_on_relu_makes_the_gradient_vanish_too() -> None:
    """With Xavier (gain 1) on ReLU, is the median ‖dZ_1‖/‖dZ_50‖ below 1e-6?"""
    ratio = float(np.median(_grad_ratios("relu", "xavier_normal")))
    assert ratio < 1e-6, ratio


def test_xavier_tanh_gain_on_tanh_makes_the_gradient_grow_on_every_seed() -> None:
    """With gain 5/3 on tanh, which keeps the forward signal, does the gradient grow 50-150x on its way down (median),
    and more than 30x on every seed: far from order 1?"""
    ratios = _grad_ratios("tanh", "xavier_normal", gain=calculate_gain("tanh"))
    assert 50 <= np.median(ratios) <= 150, ratios
    assert np.all(ratios > 30), ratios


def test_xavier_gain_one_on_tanh_makes_the_gradient_shrink() -> None:
    """With gain 1 on tanh, is the median ‖dZ_1‖/‖dZ_50‖ below 0.2, like the forward signal?"""
    ratio = float(np.median(_grad_ratios("tanh", "xavier_normal", gain=1.0)))
    assert ratio < 0.2, ratio


def test_an_orthogonal_linear_network_keeps_the_gradient_norm_exactly() -> None:
    """Wᵀ of a square orthogonal W keeps every column's length: is ‖dZ_l‖ the same for all 50 layers?"""
    rng = np.random.default_rng(0)
    X = _data(rng)
    params = initialize([WIDTH] * (DEPTH + 1), rng, "orthogonal")
    norms = grad_norm_profile(params, X, ["linear"] * DEPTH, rng.standard_normal((WIDTH, BATCH)))
    np.testing.assert_allclose(norms, norms[-1], rtol=1e-10)


@pytest.mark.parametrize(("activation", "bias_std"), [("relu", 0.0), ("tanh", 0.0), ("relu", 0.1)])
def test_lsuv_gives_every_layer_unit_variance(activation: str, bias_std: float) -> None:
    """After LSUV on X, is Var(Z_l) within 10% of 1 for every one of the 50 layers?"""
    for seed in range(3):
        rng = np.random.default_rng(seed)
        X = _data(rng)
        params = initialize([WIDTH] * (DEPTH + 1), rng, "xavier_normal", "normal", bias_kw={"std": bias_std})
        new = lsuv(params, X, [activation] * DEPTH, rng, tol=0.1)
        variances = _pre_activation_stds(new, X, activation) ** 2
        assert np.all(np.abs(variances - 1) < 0.1), variances
