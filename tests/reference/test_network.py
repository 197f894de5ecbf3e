"""Tests of reference.network (with reference.activations, reference.losses, reference.train): shapes, errors,
numerical stability of saturated sigmoids and BCE, and that nothing mutates its inputs."""

from __future__ import annotations

import copy
import warnings

import numpy as np
import pytest

from reference.activations import ACTIVATIONS
from reference.losses import LOSSES, compute_loss
from reference.network import accuracy, backward, forward, loss_and_grads, num_layers, predict
from reference.train import train


def random_params(dims: list[int], rng: np.random.Generator, scale: float = 0.5) -> dict[str, np.ndarray]:
    params = {}
    for l in range(1, len(dims)):
        params[f"W{l}"] = scale * rng.normal(size=(dims[l], dims[l - 1]))
        params[f"b{l}"] = scale * rng.normal(size=(dims[l], 1))
    return params


@pytest.mark.parametrize("dims", [[3, 1], [2, 10, 5, 1], [4, 6, 6, 6, 3]])
def test_forward_and_backward_shapes(dims):
    rng = np.random.default_rng(0)
    params = random_params(dims, rng)
    L = len(dims) - 1
    acts = ["tanh"] * (L - 1) + (["softmax"] if dims[-1] > 1 else ["sigmoid"])
    loss = "ce" if dims[-1] > 1 else "bce"
    X = rng.normal(size=(dims[0], 9))
    AL, cache = forward(params, X, acts)
    assert num_layers(params) == L
    assert AL.shape == (dims[-1], 9) and AL.dtype == np.float64
    assert cache.activations == tuple(acts)
    assert [a.shape for a in cache.A] == [(n, 9) for n in dims]
    assert cache.Z[0] is None and [z.shape for z in cache.Z[1:]] == [(n, 9) for n in dims[1:]]
    Y = np.eye(dims[-1])[:, rng.integers(0, dims[-1], 9)] if dims[-1] > 1 else (AL > 0.5).astype(float)
    grads = backward(params, cache, Y, loss)
    assert set(grads) == {f"d{k}" for k in params}
    assert all(grads[f"d{k}"].shape == params[k].shape for k in params)
    value, grads2 = loss_and_grads(params, X, Y, acts, loss)
    assert value == pytest.approx(compute_loss(AL, Y, loss), rel=1e-12)  # from Z_L for canonical pairs
    assert all(np.array_equal(grads[k], grads2[k]) for k in grads)


def test_forward_computes_the_layers_by_hand():
    rng = np.random.default_rng(1)
    params = random_params([3, 4, 2], rng)
    X = rng.normal(size=(3, 5))
    AL, _ = forward(params, X, ["relu", "linear"])
    expected = params["W2"] @ np.maximum(params["W1"] @ X + params["b1"], 0) + params["b2"]
    assert np.allclose(AL, expected, rtol=1e-14, atol=1e-14)


def test_forward_rejects_a_wrong_number_of_activations():
    params = random_params([3, 4, 1], np.random.default_rng(0))
    with pytest.raises(ValueError, match="2 layers but 3 activations"):
        forward(params, np.zeros((3, 2)), ["relu", "relu", "sigmoid"])
    with pytest.raises(ValueError, match="2 layers but 1 activations"):
        forward(params, np.zeros((3, 2)), ["sigmoid"])


def test_forward_rejects_params_without_layers():
    with pytest.raises(ValueError, match="W1"):
        forward({"b1": np.zeros((1, 1))}, np.zeros((3, 2)), [])


def test_softmax_is_allowed_on_the_last_layer_only():
    params = random_params([3, 4, 2], np.random.default_rng(0))
    X = np.ones((3, 2))
    with pytest.raises(ValueError, match="last layer only"):
        forward(params, X, ["softmax", "sigmoid"])
    AL, _ = forward(params, X, ["relu", "softmax"])
    assert np.allclose(AL.sum(axis=0), 1.0)


@pytest.mark.parametrize("X", [np.zeros(3), np.zeros((4, 2)), np.zeros((2, 3)), np.zeros((3, 2, 1))])
def test_forward_rejects_a_badly_shaped_X(X):
    params = random_params([3, 4, 1], np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"X must have shape \(n_x, m\) = \(3, m\)"):
        forward(params, X, ["relu", "sigmoid"])


def test_unknown_activation_and_loss_names_list_the_known_ones():
    params = random_params([3, 4, 1], np.random.default_rng(0))
    X, Y = np.ones((3, 2)), np.ones((1, 2))
    with pytest.raises(ValueError, match="unknown activation 'ReLU'") as info:
        forward(params, X, ["ReLU", "sigmoid"])
    assert all(name in str(info.value) for name in ACTIVATIONS)
    _, cache = forward(params, X, ["relu", "sigmoid"])
    with pytest.raises(ValueError, match="unknown loss 'cross_entropy'") as info:
        backward(params, cache, Y, "cross_entropy")
    assert all(name in str(info.value) for name in LOSSES)
    with pytest.raises(ValueError, match="unknown loss"):
        compute_loss(Y, Y, "hinge")


def test_backward_rejects_Y_of_the_wrong_shape():
    params = random_params([3, 4, 1], np.random.default_rng(0))
    _, cache = forward(params, np.ones((3, 2)), ["relu", "sigmoid"])
    with pytest.raises(ValueError, match="Y has shape"):
        backward(params, cache, np.ones((2, 1)), "bce")


# --- numerical stability -------------------------------------------------------------------------------------


def _saturating_net(hidden: str, out: str):
    """A 1-1-1 net whose pre-activations run over ±1e3, ±40, ±1 and 0, with both labels at every z."""
    z = np.array([-1e3, -40.0, -1.0, 0.0, 1.0, 40.0, 1e3])
    X = np.concatenate([z, z])[None, :]
    Y = np.concatenate([np.zeros_like(z), np.ones_like(z)])[None, :]
    params = {"W1": np.ones((1, 1)), "b1": np.zeros((1, 1)), "W2": np.ones((1, 1)), "b2": np.zeros((1, 1))}
    return params, X, Y, [hidden, out]


@pytest.mark.parametrize("hidden", ["linear", "sigmoid", "tanh", "relu", "leaky_relu"])
@pytest.mark.parametrize(("out", "loss"), [("sigmoid", "bce"), ("sigmoid", "mse"), ("tanh", "mse")])
def test_saturated_units_give_finite_loss_and_gradients_without_warnings(hidden, out, loss):
    params, X, Y, acts = _saturating_net(hidden, out)
    with warnings.catch_warnings(record=True) as caught, np.errstate(over="raise", divide="raise", invalid="raise"):
        warnings.simplefilter("always")
        value, grads = loss_and_grads(params, X, Y, acts, loss)
        _, cache = forward(params, X, acts)
    assert caught == []
    assert np.isfinite(value)
    assert all(np.all(np.isfinite(g)) for g in grads.values())
    assert all(np.all(np.isfinite(a)) for a in cache.A)


def test_sigmoid_bce_at_z_1e3():
    """σ(±1e3) is exactly 0 or 1; a confidently wrong example gives a large finite loss, the gradient stays (a−y)/m."""
    Z = np.array([[-1e3, 1e3, -1e3, 1e3]])
    Y = np.array([[0.0, 1.0, 1.0, 0.0]])
    params = {"W1": np.ones((1, 1)), "b1": np.zeros((1, 1))}
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        AL, cache = forward(params, Z, ["sigmoid"])
        value = compute_loss(AL, Y, "bce")
        grads = backward(params, cache, Y, "bce")
    assert np.array_equal(AL, [[0.0, 1.0, 0.0, 1.0]])
    # Two of four examples wrong by |z| = 1e3: the exact loss is 2·1000/4 = 500; computed from A = σ(z), each
    # log(0) is clipped at log(tiny) ≈ −708, so the loss is ≈ 354: large and finite.
    assert np.isfinite(value) and value > 300
    assert np.array_equal(grads["db1"], [[0.0]])  # dZ = (A − Y)/m = [0, 0, −1, 1]/4: the two errors cancel
    assert np.array_equal(grads["dW1"], [[(-1.0 * -1e3 + 1.0 * 1e3) / 4]])


def test_sigmoid_is_exact_in_both_tails():
    from reference.activations import sigmoid

    z = np.array([-745.0, -50.0, -1.0, 0.0, 1.0, 50.0, 745.0])
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        s = sigmoid(z)
    assert s[3] == 0.5 and s[-1] == 1.0
    assert s[1] == pytest.approx(np.exp(-50.0), rel=1e-14)  # no 1 − (1 − tiny) cancellation on the negative side
    assert np.allclose(s + sigmoid(-z), 1.0, rtol=0, atol=1e-15)


# --- no mutation ---------------------------------------------------------------------------------------------


def test_backward_does_not_mutate_params_or_cache():
    rng = np.random.default_rng(2)
    params = random_params([3, 5, 4, 2], rng)
    X = rng.normal(size=(3, 6))
    Y = np.eye(2)[:, rng.integers(0, 2, 6)]
    _, cache = forward(params, X, ["relu", "tanh", "softmax"])
    params_before, cache_before = copy.deepcopy(params), copy.deepcopy(cache)
    X_before = X.copy()
    for loss in ("ce", "mse"):
        backward(params, cache, Y, loss)
    assert all(np.array_equal(params[k], params_before[k]) for k in params)
    assert all(np.array_equal(a, b) for a, b in zip(cache.A, cache_before.A, strict=True))
    assert all(np.array_equal(a, b) for a, b in zip(cache.Z[1:], cache_before.Z[1:], strict=True))
    assert np.array_equal(X, X_before)


@pytest.mark.parametrize("batch_size", [None, 4])
def test_train_returns_new_params_and_leaves_the_input_alone(batch_size):
    rng = np.random.default_rng(3)
    params = random_params([2, 4, 1], rng)
    before = copy.deepcopy(params)
    X, Y = rng.normal(size=(2, 10)), (rng.random((1, 10)) < 0.5).astype(np.float64)
    trained, history = train(params, X, Y, activations=["tanh", "sigmoid"], loss="bce", lr=0.5, steps=20,
                             rng=np.random.default_rng(0), batch_size=batch_size)
    assert all(np.array_equal(params[k], before[k]) for k in params)
    assert all(not np.shares_memory(trained[k], params[k]) for k in params)
    assert not np.array_equal(trained["W1"], params["W1"])
    assert history.loss.shape == (20,) and np.all(np.isfinite(history.loss))


def test_full_batch_training_decreases_the_loss():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(2, 40))
    Y = (X[:1] * X[1:] > 0).astype(np.float64)
    _, history = train(random_params([2, 8, 1], rng), X, Y, activations=["tanh", "sigmoid"], loss="bce",
                       lr=0.5, steps=300)
    assert history.loss[-1] < 0.5 * history.loss[0]


def test_minibatch_training_requires_rng():
    rng = np.random.default_rng(5)
    params = random_params([2, 3, 1], rng)
    X, Y = rng.normal(size=(2, 10)), np.ones((1, 10))
    kwargs = dict(activations=["relu", "sigmoid"], loss="bce", lr=0.1, steps=3)
    with pytest.raises(ValueError, match="rng"):
        train(params, X, Y, batch_size=4, **kwargs)
    train(params, X, Y, batch_size=10, **kwargs)  # batch_size >= m is full-batch: no shuffling, no rng needed
    a, _ = train(params, X, Y, batch_size=4, rng=np.random.default_rng(9), **kwargs)
    b, _ = train(params, X, Y, batch_size=4, rng=np.random.default_rng(9), **kwargs)
    assert all(np.array_equal(a[k], b[k]) for k in a)


def test_predict_and_accuracy():
    params = {"W1": np.array([[1.0, -1.0]]), "b1": np.zeros((1, 1))}
    X = np.array([[2.0, 0.0, 1.0], [1.0, 3.0, 1.0]])
    assert np.array_equal(predict(params, X, ["sigmoid"]), [[1.0, 0.0, 0.0]])  # σ(0) = 0.5 is not > 0.5
    assert accuracy(params, X, np.array([[1.0, 0.0, 1.0]]), ["sigmoid"]) == pytest.approx(2 / 3)


def test_loss_from_logits_is_exact_where_the_sigmoid_saturates():
    """Does a confidently wrong example with z = 40 cost 40 (not the clipped ≈708 of log(0))?"""
    params = {"W1": np.array([[40.0]]), "b1": np.zeros((1, 1))}
    value, _ = loss_and_grads(params, np.array([[1.0]]), np.array([[0.0]]), ["sigmoid"], "bce")
    assert value == pytest.approx(40.0, rel=1e-12)


def test_predict_softmax_gives_one_hot_even_with_ties():
    """Is each softmax prediction column exactly one-hot, even when two classes tie?"""
    params = {"W1": np.zeros((3, 2)), "b1": np.array([[1.0], [1.0], [0.0]])}
    out = predict(params, np.ones((2, 4)), ["softmax"])
    assert out.shape == (3, 4)
    assert np.array_equal(out.sum(axis=0), np.ones(4))
