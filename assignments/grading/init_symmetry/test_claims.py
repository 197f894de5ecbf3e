"""Every claim init_symmetry makes about training, proved on reference/ with the notebook's own settings.

The settings are read from the notebook's locked ``settings`` cell, and the notebook's solution functions are shown
to draw exactly what the reference's ``initialize`` draws, so what holds here holds for the learner's run with a
correct solution. The facts of the reference's own issue (zero init, constant init, column symmetry, ...) are tested
in tests/reference/; these are the notebook's statements about its particular experiments and answers.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from grader.submissions import solution_sources
from reference.data import circles
from reference.init import initialize
from reference.network import accuracy, loss_and_grads
from reference.symmetry import duplicate_units, weight_rank
from reference.train import train

from .answers import ANSWERS

INITS = {
    "zeros": {"weights": "zeros"},
    "random, scale 0.01": {"weights": "normal", "std": 0.01},
    "xavier": {"weights": "xavier_normal"},
    "he": {"weights": "he_normal"},
    "zero weights, random biases": {"weights": "zeros", "biases": "normal", "bias_kw": {"std": 1.0}},
}
"""The notebook's five inits as arguments of reference.init.initialize."""
SOLUTION_CALLS = {
    "zeros": "initialize_parameters_zeros(LAYER_DIMS)",
    "random, scale 0.01": "initialize_parameters_random(LAYER_DIMS, rng)",
    "xavier": "initialize_parameters_xavier(LAYER_DIMS, rng)",
    "he": "initialize_parameters_he(LAYER_DIMS, rng)",
    "zero weights, random biases": "initialize_parameters_zero_weights_random_bias(LAYER_DIMS, rng)",
}


@pytest.fixture(scope="module")
def runs(settings) -> dict:
    s = settings
    out = {}
    for name, kw in INITS.items():
        start = initialize(s["LAYER_DIMS"], np.random.default_rng(s["SEED"]), **kw)
        trained, history = train(
            start, s["X_train"], s["Y_train"], activations=s["ACTIVATIONS"], loss="bce", lr=s["LR"], steps=s["STEPS"]
        )
        out[name] = (start, trained, history.loss)
    return out


def _acc(settings, params, activations=None):
    return accuracy(params, settings["X_train"], settings["Y_train"], activations or settings["ACTIVATIONS"])


def _hidden_layers(settings):
    return range(1, len(settings["LAYER_DIMS"]) - 1)


def test_the_solution_draws_what_the_reference_draws(source_nb, settings, runs):
    """So that the claims below, proved on the reference, describe the learner's run with a correct solution."""
    namespace = {"np": np, **settings}
    for grade_id, source in solution_sources(source_nb).items():
        if grade_id.startswith("init_"):
            exec(source, namespace)
    for name, call in SOLUTION_CALLS.items():
        namespace["rng"] = np.random.default_rng(settings["SEED"])
        mine = eval(call, namespace)
        reference = runs[name][0]
        assert mine.keys() == reference.keys()
        for key in mine:
            np.testing.assert_allclose(mine[key], reference[key], rtol=1e-12, atol=0, err_msg=f"{name}: {key}")


def test_zero_init_stays_at_ln2_and_half_accuracy_with_one_unit_per_layer(settings, runs):
    _, trained, loss = runs["zeros"]
    assert np.all(np.abs(loss - math.log(2)) < 1e-12)
    assert _acc(settings, trained) == 0.5
    for l in _hidden_layers(settings):
        assert duplicate_units(trained, l) == [list(range(settings["LAYER_DIMS"][l]))]
        assert not np.any(trained[f"W{l}"])


def test_small_random_init_breaks_symmetry_but_hardly_leaves_ln2(settings, runs):
    _, trained, loss = runs["random, scale 0.01"]
    assert all(duplicate_units(trained, l) == [] for l in _hidden_layers(settings))
    assert loss[-1] > math.log(2) - 0.01


@pytest.mark.parametrize("name", ["xavier", "he"])
def test_xavier_and_he_learn_circles_with_all_units_distinct(settings, runs, name):
    _, trained, loss = runs[name]
    assert _acc(settings, trained) >= 0.95
    assert loss[-1] < 0.1 * loss[0]
    assert all(duplicate_units(trained, l) == [] for l in _hidden_layers(settings))


def test_zero_weights_random_biases_make_distinct_units_that_do_not_learn(settings, runs):
    _, trained, loss = runs["zero weights, random biases"]
    assert all(duplicate_units(trained, l) == [] for l in _hidden_layers(settings))
    assert weight_rank(trained["W1"]) == 1  # every row a multiple of one row
    assert _acc(settings, trained) <= 0.6
    assert loss[-1] > math.log(2) - 0.01


@pytest.fixture(scope="module")
def q1_run(source_nb, settings) -> dict:
    """The Question 1 experiment: 2-10-1, ReLU then sigmoid, zero weights, N(0, 1) biases, plain gradient descent."""
    cell = next(c for c in source_nb.cells if "Q1_DIMS = " in c.source)
    namespace: dict = {}
    exec("\n".join(line for line in cell.source.splitlines() if line.startswith("Q1_")), namespace)
    dims, acts = namespace["Q1_DIMS"], namespace["Q1_ACTIVATIONS"]
    params = initialize(dims, np.random.default_rng(settings["SEED"]), **INITS["zero weights, random biases"])
    start = {k: v.copy() for k, v in params.items()}
    dW1_max, dW2_max, rank_before = [], [], []
    for _ in range(settings["STEPS"]):
        _, grads = loss_and_grads(params, settings["X_train"], settings["Y_train"], acts, "bce")
        dW1_max.append(np.abs(grads["dW1"]).max())
        dW2_max.append(np.abs(grads["dW2"]).max())
        rank_before.append(weight_rank(params["W1"]))
        params = {k: v - settings["LR"] * grads["d" + k] for k, v in params.items()}
    return {"start": start, "end": params, "dW1": dW1_max, "dW2": dW2_max, "rank_before": rank_before}


def test_q1_W1_first_moves_at_update_two_and_W2_at_once(q1_run):
    assert q1_run["dW1"][0] == 0.0 and q1_run["dW1"][1] > 0 and q1_run["dW2"][0] > 0
    first = 1 + next(t for t, g in enumerate(q1_run["dW1"]) if g > 0)
    assert first == ANSWERS["q1_first_step_W1_moves"].expected


def test_in_the_three_layer_net_W1_first_moves_one_update_later(settings):
    """The model answer's "one update later for every further layer", on the notebook's 2-10-5-1 net."""
    s = settings
    params = initialize(s["LAYER_DIMS"], np.random.default_rng(s["SEED"]), **INITS["zero weights, random biases"])
    moved = []
    for _ in range(3):
        _, grads = loss_and_grads(params, s["X_train"], s["Y_train"], s["ACTIVATIONS"], "bce")
        moved.append(bool(np.any(grads["dW1"])))
        params = {k: v - s["LR"] * grads["d" + k] for k, v in params.items()}
    assert moved == [False, False, True]


def test_q1_W1_has_rank_one_after_two_updates(q1_run):
    assert q1_run["rank_before"][2] == ANSWERS["q1_rank_W1_after_two_steps"].expected == 1


def test_q1_relu_units_with_a_negative_bias_stay_dead(q1_run):
    negative = np.flatnonzero(q1_run["start"]["b1"][:, 0] < 0)
    assert negative.size > 0  # the experiment has some to show
    assert not np.any(q1_run["end"]["W1"][negative])
    assert np.array_equal(q1_run["end"]["b1"][negative], q1_run["start"]["b1"][negative])
    assert ANSWERS["q1_relu_negative_bias"].expected == "a"


def _twins(settings, same_outgoing_column):
    p = initialize(settings["LAYER_DIMS"], np.random.default_rng(settings["SEED"]), **INITS["he"])
    p["W1"][1], p["b1"][1] = p["W1"][0], p["b1"][0]
    if same_outgoing_column:
        p["W2"][:, 1] = p["W2"][:, 0]
    return p


def _train(settings, params, steps=None, activations=None):
    s = settings
    acts = activations or s["ACTIVATIONS"]
    return train(
        params, s["X_train"], s["Y_train"], activations=acts, loss="bce", lr=s["LR"], steps=steps or s["STEPS"]
    )


def test_q2_equal_rows_and_biases_separate_when_outgoing_columns_differ(settings):
    trained, _ = _train(settings, _twins(settings, same_outgoing_column=False))
    assert np.abs(trained["W1"][1] - trained["W1"][0]).max() > 1e-3
    assert duplicate_units(trained, 1) == []
    one_step, _ = _train(settings, _twins(settings, same_outgoing_column=False), steps=1)
    assert np.abs(one_step["W1"][1] - one_step["W1"][0]).max() > 0  # they separate at the first update


def test_q2_units_equal_in_row_bias_and_outgoing_column_stay_identical(settings):
    trained, _ = _train(settings, _twins(settings, same_outgoing_column=True))
    assert np.array_equal(trained["W1"][1], trained["W1"][0])
    assert duplicate_units(trained, 1) == [[0, 1]]
    assert ANSWERS["q2_symmetry_condition"].expected == "c"


def test_q2_a_layer_copied_from_another_trains_without_duplicates(source_nb, settings):
    cell = next(c for c in source_nb.cells if "COPY_DIMS = " in c.source)
    namespace: dict = {}
    exec("\n".join(line for line in cell.source.splitlines() if line.startswith("COPY_")), namespace)
    dims, acts = namespace["COPY_DIMS"], namespace["COPY_ACTIVATIONS"]
    params = initialize(dims, np.random.default_rng(settings["SEED"]), **INITS["he"])
    params["W3"] = params["W2"].copy()
    trained, _ = _train(settings, params, activations=acts)
    assert _acc(settings, trained, acts) >= 0.95
    assert all(duplicate_units(trained, l) == [] for l in range(1, len(dims) - 1))
    assert ANSWERS["q2_across_layers_matters"].expected is False


def test_q3_columns_of_W1_are_input_features_whatever_the_number_of_examples(settings):
    for m in (300, 30):
        X_m, _ = circles(m, np.random.default_rng(settings["SEED"]))
        W1 = initialize(settings["LAYER_DIMS"], np.random.default_rng(settings["SEED"]))["W1"]
        assert X_m.shape == (2, m) and W1.shape == (settings["LAYER_DIMS"][1], X_m.shape[0])
    assert ANSWERS["q3_columns_are_examples"].expected is False


def test_q3_equal_columns_of_W2_separate_after_one_update_when_their_units_differ(settings):
    s = settings
    params = initialize(s["LAYER_DIMS"], np.random.default_rng(s["SEED"]), **INITS["he"])
    params["W2"][:, 1] = params["W2"][:, 0]
    _, grads = loss_and_grads(params, s["X_train"], s["Y_train"], s["ACTIVATIONS"], "bce")
    after = params["W2"] - s["LR"] * grads["dW2"]
    assert not np.array_equal(params["W1"][0], params["W1"][1])
    assert np.abs(after[:, 0] - after[:, 1]).max() > 1e-3
    assert ANSWERS["q3_columns_stay_equal"].expected is False
