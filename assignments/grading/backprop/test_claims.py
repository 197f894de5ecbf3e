"""Every claim backprop makes about its experiments, proved on reference/ with the notebook's own settings.

The settings are read from the notebook's locked ``settings`` cell, and the notebook's solution is shown to compute
exactly what reference.network computes (and its ``random_parameters`` to draw what reference.init draws), so what
holds here holds for the learner's run with a correct solution.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from grader.submissions import cell_source, solution_sources
from reference.gradcheck import numerical_gradient, relative_error
from reference.init import initialize
from reference.losses import compute_loss
from reference.network import accuracy, backward, forward
from reference.train import train

from .answers import ANSWERS


@pytest.fixture(scope="module")
def solution(source_nb) -> dict:
    """The notebook's given cells and solutions, run in one namespace."""
    namespace = {"np": np}
    exec(cell_source(source_nb, "activations"), namespace)
    for grade_id, source in solution_sources(source_nb).items():
        if not grade_id.startswith("q_"):
            exec(source, namespace)
            if grade_id == "tanh_backward":
                exec(cell_source(source_nb, "backward_registry"), namespace)
    return namespace


def _params(settings, dims):
    """random_parameters of the notebook, as reference.init draws it."""
    return initialize(dims, np.random.default_rng(settings["SEED"]), "lecun_normal", "normal", bias_kw={"std": 0.1})


def _loss(params, X, Y, activations) -> float:
    return compute_loss(forward(params, X, activations)[0], Y, "bce")


def _grads(params, X, Y, activations):
    return backward(params, forward(params, X, activations)[1], Y, "bce")


def test_random_parameters_draws_what_the_reference_draws(settings):
    for dims in (settings["CHECK_DIMS"], settings["TRAIN_DIMS"]):
        mine = settings["random_parameters"](dims, np.random.default_rng(settings["SEED"]))
        reference = _params(settings, dims)
        assert mine.keys() == reference.keys()
        for key in mine:
            np.testing.assert_allclose(mine[key], reference[key], rtol=1e-12, atol=0, err_msg=key)


def test_the_solution_computes_what_the_reference_computes(settings, solution):
    """So that the claims below, proved on the reference, describe the learner's run with a correct solution."""
    s = settings
    for acts in (s["CHECK_ACTIVATIONS"], s["SWEEP_ACTIVATIONS"]):
        params = _params(s, s["CHECK_DIMS"])
        AL, caches = solution["model_forward"](s["X_check"], params, acts)
        AL_ref, _ = forward(params, s["X_check"], acts)
        np.testing.assert_allclose(AL, AL_ref, rtol=1e-12)
        mine = solution["model_backward"](AL, s["Y_check"], caches, acts)
        reference = _grads(params, s["X_check"], s["Y_check"], acts)
        for key in reference:
            assert relative_error(mine[key], reference[key]) < 1e-12, key
    assert math.isclose(s["bce_loss"](AL, s["Y_check"]), compute_loss(AL, s["Y_check"], "bce"), rel_tol=1e-12)


def test_experiment_1_a_correct_backprop_agrees_with_centered_differences_below_1e_7(settings):
    s = settings
    params, X, Y, acts = _params(s, s["CHECK_DIMS"]), s["X_check"], s["Y_check"], s["CHECK_ACTIVATIONS"]
    grads = _grads(params, X, Y, acts)
    work = {k: v.copy() for k, v in params.items()}
    for key in work:
        approx = numerical_gradient(lambda: _loss(work, X, Y, acts), work[key], eps=1e-7)
        assert relative_error(grads[f"d{key}"], approx) < 1e-7, key


@pytest.fixture(scope="module")
def sweep(settings) -> dict[str, np.ndarray]:
    """Experiment 2: relative difference of centered and one-sided differences with the exact dW1, per eps."""
    s = settings
    params, X, Y, acts = _params(s, s["CHECK_DIMS"]), s["X_check"], s["Y_check"], s["SWEEP_ACTIVATIONS"]
    exact = _grads(params, X, Y, acts)["dW1"]
    W1 = params["W1"]

    def f(W):
        return _loss({**params, "W1": W}, X, Y, acts)

    centered, one_sided = [], []
    for eps in s["EPSILONS"]:
        c, o = np.zeros(W1.shape), np.zeros(W1.shape)
        for i in np.ndindex(W1.shape):
            plus, minus = W1.copy(), W1.copy()
            plus[i] += eps
            minus[i] -= eps
            c[i] = (f(plus) - f(minus)) / (2 * eps)
            o[i] = (f(plus) - f(W1)) / eps
        centered.append(relative_error(exact, c))
        one_sided.append(relative_error(exact, o))
    return {"eps": np.array(s["EPSILONS"]), "centered": np.array(centered), "one_sided": np.array(one_sided)}


def test_experiment_2_centered_error_falls_a_hundredfold_per_decade_until_round_off(sweep):
    truncation = sweep["eps"] >= 1e-3  # 1e-1, 1e-2, 1e-3: round-off is far below the truncation error there
    factors = sweep["centered"][:-1][truncation[:-1]] / sweep["centered"][1:][truncation[:-1]]
    assert np.all((factors > 70) & (factors < 130)), factors
    assert ANSWERS["q_centered_error_factor"].expected == "c"  # (c) 100
    assert np.argmin(sweep["centered"]) > 0 and sweep["centered"][-1] > 1e3 * sweep["centered"].min()  # round-off


def test_experiment_2_one_sided_error_falls_tenfold_per_decade(sweep):
    truncation = sweep["eps"] >= 1e-3
    factors = sweep["one_sided"][:-1][truncation[:-1]] / sweep["one_sided"][1:][truncation[:-1]]
    assert np.all((factors > 7) & (factors < 13)), factors
    assert ANSWERS["q_one_sided_error_factor"].expected == "b"  # (b) 10
    assert np.all(sweep["centered"][:4] < sweep["one_sided"][:4])


def test_experiment_3_a_forgotten_1_over_m_gives_m_minus_1_over_m_plus_1(settings):
    s = settings
    params, X, Y, acts = _params(s, s["CHECK_DIMS"]), s["X_check"], s["Y_check"], s["CHECK_ACTIVATIONS"]
    m = X.shape[1]
    grads = _grads(params, X, Y, acts)
    work = {k: v.copy() for k, v in params.items()}
    for key in work:
        approx = numerical_gradient(lambda: _loss(work, X, Y, acts), work[key], eps=1e-7)
        assert abs(relative_error(m * grads[f"d{key}"], approx) - (m - 1) / (m + 1)) < 1e-6, key
    assert ANSWERS["q_missing_m_relative_difference"].expected == "c"


def test_experiment_4_the_2_8_1_tanh_network_learns_circles(settings):
    s = settings
    acts = s["TRAIN_ACTIVATIONS"]
    trained, history = train(
        _params(s, s["TRAIN_DIMS"]),
        s["X_train"],
        s["Y_train"],
        activations=acts,
        loss="bce",
        lr=s["LR"],
        steps=s["STEPS"],
    )
    assert abs(history.loss[0] - math.log(2)) < 0.05  # "from about ln 2"
    assert history.loss[-1] < 0.05
    assert accuracy(trained, s["X_train"], s["Y_train"], acts) == 1.0


def test_experiment_5_rows_of_W1_move_but_stay_equal_from_equal_weights(settings):
    s = settings
    dims, acts = s["TRAIN_DIMS"], s["TRAIN_ACTIVATIONS"]
    equal = {}
    for l in range(1, len(dims)):
        equal[f"W{l}"] = np.full((dims[l], dims[l - 1]), 0.5)
        equal[f"b{l}"] = np.zeros((dims[l], 1))
    trained, _ = train(equal, s["X_train"], s["Y_train"], activations=acts, loss="bce", lr=s["LR"], steps=s["STEPS"])
    W1 = trained["W1"]
    assert np.abs(W1 - W1[0]).max() == 0.0  # equal, not merely close
    assert np.abs(W1 - 0.5).max() > 0.05  # they moved
    assert accuracy(trained, s["X_train"], s["Y_train"], acts) <= 0.6  # eight units acting as one miss the rings
    assert ANSWERS["q_equal_init_rows_stay_equal"].expected is True
