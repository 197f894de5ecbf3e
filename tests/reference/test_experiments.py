"""reference.experiments: fact 8 of the course (the circles experiment the init notebook and the demo show), the
depth table, and the backward profile (the gradient back-propagated from a given dA_L, checked against centred
differences and against reference.network.backward)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from reference.experiments import depth_ratios, grad_norm_profile, init_comparison, pre_activation_grads
from reference.gradcheck import numerical_gradient
from reference.init import initialize
from reference.losses import get_loss
from reference.network import backward, forward


@pytest.fixture(scope="module")
def rows():
    return {r.init: r for r in init_comparison(("zeros", "normal x 10", "he_normal"), n=300, lr=0.1, steps=3000)}


def test_zero_init_stays_at_ln2_and_chance_accuracy_on_every_step(rows):
    """Does all-zero init keep the loss at ln 2 on every step and the accuracy at 0.5 (balanced circles)?"""
    zeros = rows["zeros"]
    assert np.allclose(zeros.loss_curve, math.log(2), rtol=0, atol=1e-12)
    assert zeros.train_accuracy == 0.5
    assert zeros.duplicate_units == 10 + 5  # every hidden unit has an identical twin


def test_he_init_learns_circles(rows):
    """Does He init reach at least 0.95 training accuracy with the fixed lr 0.1 and 3000 steps, and break symmetry?"""
    he = rows["he_normal"]
    assert he.train_accuracy >= 0.95
    assert he.final_loss < 0.1 * he.first_loss
    assert he.duplicate_units == 0


def test_normal_times_10_gives_a_finite_loss(rows):
    """Does "normal x 10" init start with a huge but finite loss, with no inf/nan anywhere in the history?"""
    big = rows["normal x 10"]
    assert np.all(np.isfinite(big.loss_curve))
    assert big.first_loss > 10 * math.log(2)


def test_depth_ratios_separate_he_from_xavier_on_relu():
    """Does the demo's depth table (fewer seeds here) show He keeping scale and Xavier collapsing it on ReLU?"""
    he, xavier = depth_ratios(("he_normal + relu", "xavier_normal + relu"), seeds=range(3), batch=64)
    assert 0.5 <= he.median_ratio <= 2
    assert xavier.median_ratio < 1e-6
    assert he.profile.shape == (50,)
    assert 0.5 <= he.median_grad_ratio <= 2  # and the gradient too, on its way back down
    assert xavier.median_grad_ratio < 1e-6
    assert he.grad_profile.shape == (50,)


def test_depth_ratios_show_tanh_gradients_growing_with_gain_5_3_and_shrinking_with_gain_1():
    """Does the demo's table show the backward half of the tanh story: gain 5/3 keeps the forward signal but the
    gradient grows tens of times on its way down 50 layers, gain 1 lets both fade?"""
    one, five_thirds = depth_ratios(
        ("xavier_normal (gain 1) + tanh", "xavier_normal (gain 5/3) + tanh"), seeds=range(3), batch=64
    )
    assert five_thirds.median_ratio > 0.5 and five_thirds.median_grad_ratio > 30
    assert one.median_ratio < 0.2 and one.median_grad_ratio < 0.2


SMALL = ([3, 4, 5, 2], ["tanh", "relu", "sigmoid"])


def _small(seed: int = 0):
    dims, acts = SMALL
    rng = np.random.default_rng(seed)
    params = initialize(dims, rng, "xavier_normal", "normal", bias_kw={"std": 0.5})
    return params, rng.standard_normal((dims[0], 6)), rng.standard_normal((dims[-1], 6)), acts


def test_pre_activation_grads_are_the_gradients_of_s_by_centred_differences():
    """With s = Σ dA ⊙ A_L: is Σ_columns dZ_l = ∂s/∂b_l, dZ_l A_(l-1)ᵀ = ∂s/∂W_l and W_1ᵀ dZ_1 = ∂s/∂X (float64)?"""
    params, X, dA, acts = _small()
    dZ = pre_activation_grads(params, X, acts, dA)
    _, cache = forward(params, X, acts)

    def s() -> float:
        return float(np.sum(dA * forward(params, X, acts)[0]))

    assert dZ[0] is None and len(dZ) == len(acts) + 1
    for l in range(1, len(acts) + 1):
        np.testing.assert_allclose(dZ[l].sum(axis=1, keepdims=True), numerical_gradient(s, params[f"b{l}"]),
                                   rtol=1e-6, atol=1e-9)
        np.testing.assert_allclose(dZ[l] @ cache.A[l - 1].T, numerical_gradient(s, params[f"W{l}"]),
                                   rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(params["W1"].T @ dZ[1], numerical_gradient(s, X), rtol=1e-6, atol=1e-9)


def test_started_from_the_gradient_of_a_loss_they_give_the_weight_gradients_of_backward():
    """With dA = ∂mse/∂A_L (tanh output, a non-canonical pair), is dZ_l A_(l-1)ᵀ what backward calls dW_l?"""
    params, X, Y, _ = _small(1)
    acts = ["relu", "relu", "tanh"]
    AL, cache = forward(params, X, acts)
    dZ = pre_activation_grads(params, X, acts, get_loss("mse").grad(AL, Y))
    grads = backward(params, cache, Y, "mse")
    for l in range(1, 4):
        np.testing.assert_allclose(dZ[l] @ cache.A[l - 1].T, grads[f"dW{l}"], rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(dZ[l].sum(axis=1, keepdims=True), grads[f"db{l}"], rtol=1e-12, atol=1e-15)


def test_grad_norm_profile_is_the_frobenius_norm_of_each_dZ_and_checks_the_shape_of_dA():
    params, X, dA, acts = _small(2)
    dZ = pre_activation_grads(params, X, acts, dA)
    np.testing.assert_array_equal(grad_norm_profile(params, X, acts, dA), [np.linalg.norm(d) for d in dZ[1:]])
    with pytest.raises(ValueError, match="shape"):
        grad_norm_profile(params, X, acts, dA.T)
