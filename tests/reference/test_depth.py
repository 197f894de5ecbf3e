"""Tests of fact 9, depth: how the std of the pre-activations changes over 50 layers of width 256, per init.

ratio = std(Z_50) / std(Z_1) (std over all entries of the layer's pre-activations), median over 10 seeds, on
X of 256 × 128 standard-normal entries. The claims: He on ReLU keeps the median ratio in [0.5, 2]; Xavier
(gain 1) on ReLU halves the variance at every layer, (1/√2)^49 ≈ 4e-8 < 1e-6; on tanh, Xavier with gain 1
lets the signal decay below 0.2 while gain calculate_gain("tanh") = 5/3 keeps it above 0.5; LSUV sets every
layer's variance to 1 ± 10%.
"""

from __future__ import annotations

import numpy as np
import pytest

from reference.init import calculate_gain, initialize, lsuv
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
