"""Tests of reference.data: shapes, dtype, labels, balance, determinism, what noise does, argument errors, and that
the default data sets are learnable by the small nets of the course."""

from __future__ import annotations

import numpy as np
import pytest

from reference.data import circles, moons, spirals, xor
from reference.network import accuracy
from reference.train import train

DATASETS = [circles, moons, spirals, xor]


@pytest.mark.parametrize("make", DATASETS)
@pytest.mark.parametrize("n", [1, 2, 7, 300])
def test_shapes_dtype_labels_and_balance(make, n):
    X, Y = make(n, np.random.default_rng(0))
    assert X.shape == (2, n) and Y.shape == (1, n)
    assert X.dtype == np.float64 and Y.dtype == np.float64
    assert set(np.unique(Y)) <= {0.0, 1.0}
    assert np.all(np.isfinite(X))
    assert (int(np.sum(Y == 0)), int(np.sum(Y == 1))) == (n // 2, n - n // 2)


@pytest.mark.parametrize("make", DATASETS)
def test_same_rng_state_same_data_and_different_seeds_differ(make):
    X1, Y1 = make(50, np.random.default_rng(7))
    X2, Y2 = make(50, np.random.default_rng(7))
    X3, Y3 = make(50, np.random.default_rng(8))
    assert np.array_equal(X1, X2) and np.array_equal(Y1, Y2)
    assert not np.array_equal(X1, X3)
    assert not np.array_equal(Y1, Y3)  # the columns are shuffled by rng


@pytest.mark.parametrize("make", DATASETS)
def test_columns_are_shuffled(make):
    _, Y = make(200, np.random.default_rng(0))
    assert 30 < np.sum(Y[0, :100]) < 70  # not 100 zeros followed by 100 ones
    assert np.sum(Y[0, 1:] != Y[0, :-1]) > 50


def test_circles_without_noise_lie_on_the_two_circles():
    X, Y = circles(100, np.random.default_rng(0), noise=0.0, factor=0.3)
    r = np.linalg.norm(X, axis=0)
    assert np.allclose(r[Y[0] == 0], 1.0, atol=1e-15) and np.allclose(r[Y[0] == 1], 0.3, atol=1e-15)


def test_moons_without_noise_lie_on_the_two_half_circles():
    X, Y = moons(100, np.random.default_rng(0), noise=0.0)
    upper, lower = X[:, Y[0] == 0], X[:, Y[0] == 1]
    assert np.allclose(np.linalg.norm(upper, axis=0), 1.0) and np.all(upper[1] >= -1e-15)
    assert np.allclose(np.linalg.norm(lower - np.array([[1.0], [0.5]]), axis=0), 1.0)
    assert np.all(lower[1] <= 0.5 + 1e-15)


def test_spirals_without_noise_are_two_point_symmetric_arms():
    X, Y = spirals(100, np.random.default_rng(0), noise=0.0)
    a, b = X[:, Y[0] == 0], X[:, Y[0] == 1]
    # arm 1 is arm 0 turned by π: sorted by radius, the points are opposite
    a, b = a[:, np.argsort(np.linalg.norm(a, axis=0))], b[:, np.argsort(np.linalg.norm(b, axis=0))]
    assert np.allclose(a, -b, atol=1e-12)
    assert np.linalg.norm(a, axis=0).min() == pytest.approx(0.1) and np.linalg.norm(a, axis=0).max() == pytest.approx(1)


def test_xor_labels_are_the_xor_of_the_quadrant_signs():
    X, Y = xor(400, np.random.default_rng(0), noise=0.2)
    clear = np.all(np.abs(X) > 0.1, axis=0)  # away from the axes, noise of 0.2 rarely crosses a quadrant
    label = ((X[0] > 0) != (X[1] > 0)).astype(np.float64)
    assert np.mean(label[clear] == Y[0, clear]) > 0.99


@pytest.mark.parametrize("make", DATASETS)
def test_noise_is_the_standard_deviation_around_the_clean_points(make):
    clean, _ = make(2000, np.random.default_rng(3), noise=0.0)
    noisy, _ = make(2000, np.random.default_rng(3), noise=0.2)  # same permutation, then N(0, 0.2²) added
    assert np.std(noisy - clean) == pytest.approx(0.2, rel=0.05)
    assert np.mean(noisy - clean) == pytest.approx(0.0, abs=0.02)


@pytest.mark.parametrize("make", DATASETS)
def test_arguments_are_validated(make):
    rng = np.random.default_rng(0)
    for bad_n in (0, -3, 2.5, True, "10"):
        with pytest.raises(ValueError, match="n must be a positive integer"):
            make(bad_n, rng)
    with pytest.raises(TypeError, match="Generator"):
        make(10, 0)
    with pytest.raises(TypeError, match="Generator"):
        make(10, None)
    for bad_noise in (-0.1, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="noise"):
            make(10, rng, noise=bad_noise)
    X, _ = make(np.int64(5), rng)  # numpy integers are integers
    assert X.shape == (2, 5)


def test_shape_parameters_are_validated():
    rng = np.random.default_rng(0)
    for factor in (0.0, 1.0, 1.5, -0.5):
        with pytest.raises(ValueError, match="factor"):
            circles(10, rng, factor=factor)
    for turns in (0.0, -1.0, float("inf")):
        with pytest.raises(ValueError, match="turns"):
            spirals(10, rng, turns=turns)


def _he(dims: list[int], rng: np.random.Generator) -> dict[str, np.ndarray]:
    params = {}
    for l in range(1, len(dims)):
        params[f"W{l}"] = rng.normal(size=(dims[l], dims[l - 1])) * np.sqrt(2.0 / dims[l - 1])
        params[f"b{l}"] = np.zeros((dims[l], 1))
    return params


@pytest.mark.parametrize("make", DATASETS)
def test_defaults_are_learnable_by_a_2_10_5_1_relu_net_but_not_by_a_line(make):
    """The DLAI setting: 300 examples, a 2-10-5-1 ReLU net from He init reaches >= 95% train accuracy; logistic
    regression cannot (except on moons, which a line separates up to the tips of the moons)."""
    X, Y = make(300, np.random.default_rng(1))
    acts = ["relu", "relu", "sigmoid"]
    trained, _ = train(_he([2, 10, 5, 1], np.random.default_rng(2)), X, Y, activations=acts, loss="bce", lr=0.3,
                       steps=2000)
    assert accuracy(trained, X, Y, acts) >= 0.95
    line, _ = train(_he([2, 1], np.random.default_rng(2)), X, Y, activations=["sigmoid"], loss="bce", lr=0.3,
                    steps=2000)
    assert accuracy(line, X, Y, ["sigmoid"]) < (0.9 if make is moons else 0.75)
