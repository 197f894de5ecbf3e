"""reference.lsuv: LSUV gives unit-variance pre-activations, starts from orthogonal matrices drawn from rng, stops
after max_iter, and rejects bad inputs."""

from __future__ import annotations

import numpy as np
import pytest

from reference.init import initialize, orthogonal
from reference.lsuv import lsuv
from reference.network import forward


def _net(seed: int, bias_std: float) -> tuple[dict, np.ndarray]:
    rng = np.random.default_rng(seed)
    params = initialize([20, 30, 30, 10], rng, "normal", "normal", std=1.0, bias_kw={"std": bias_std})
    return params, rng.standard_normal((20, 500))


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
@pytest.mark.parametrize("bias_std", [0.0, 0.3])
def test_lsuv_gives_unit_variance_pre_activations(activation: str, bias_std: float) -> None:
    """After LSUV, is Var(Z_l) within tol of 1 on X for every layer, biases unchanged, the input untouched?"""
    params, X = _net(0, bias_std)
    before = {key: value.copy() for key, value in params.items()}
    acts = [activation] * 3
    new = lsuv(params, X, acts, np.random.default_rng(1), tol=0.05)
    for key in params:
        np.testing.assert_array_equal(params[key], before[key])
    assert new is not params and all(not np.shares_memory(new[key], params[key]) for key in params)
    _, cache = forward(new, X, acts)
    for layer in range(1, 4):
        assert abs(np.var(cache.Z[layer]) - 1) < 0.05, (layer, np.var(cache.Z[layer]))
        np.testing.assert_array_equal(new[f"b{layer}"], params[f"b{layer}"])
    if bias_std == 0:  # W ↦ cW scales Var(Z) by c²: one rescaling lands exactly on 1.
        for layer in range(1, 4):
            assert np.var(cache.Z[layer]) == pytest.approx(1.0, abs=1e-12)


def test_lsuv_starts_from_orthogonal_matrices_drawn_from_rng() -> None:
    """Is each LSUV weight a positive multiple of orthogonal(shape, rng), drawn for W1, W2, ... in order?"""
    params, X = _net(2, 0.0)
    new = lsuv(params, X, ["relu", "relu", "linear"], np.random.default_rng(7))
    rng = np.random.default_rng(7)
    for layer in range(1, 4):
        Q = orthogonal(params[f"W{layer}"].shape, rng)
        scale = new[f"W{layer}"] / Q
        assert np.all(scale > 0)
        np.testing.assert_allclose(scale, scale.flat[0], rtol=1e-12)


def test_lsuv_stops_after_max_iter_when_biases_dominate() -> None:
    """When Var(b) alone exceeds 1 + tol, does LSUV stop after max_iter rescalings, not loop forever?"""
    params, X = _net(3, 3.0)
    new = lsuv(params, X, ["tanh"] * 3, np.random.default_rng(0), max_iter=3)
    _, cache = forward(new, X, ["tanh"] * 3)
    assert np.var(cache.Z[1]) > 1.1 and all(np.all(np.isfinite(v)) for v in new.values())


def test_lsuv_rejects_bad_inputs() -> None:
    """Do wrong activations, a wrong X, a bad tol and a layer with zero variance raise ValueErrors?"""
    params, X = _net(0, 0.0)
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="activations"):
        lsuv(params, X, ["relu"] * 2, rng)
    with pytest.raises(ValueError, match="X must have shape"):
        lsuv(params, X[:5], ["relu"] * 3, rng)
    with pytest.raises(ValueError, match="tol"):
        lsuv(params, X, ["relu"] * 3, rng, tol=0.0)
    with pytest.raises(ValueError, match="variance"):
        lsuv(params, np.zeros_like(X), ["relu"] * 3, rng)
