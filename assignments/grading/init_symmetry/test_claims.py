"""Every claim init_symmetry makes about training, proved on reference/ with the notebook's own settings.

The settings are read from the notebook's locked ``settings`` cell (and the Question 1 experiments' ``Q1_`` and
``MOONS_`` lines from their cells; the ``Q1_`` lines with each learner's numbers ``P``, over every variant that
variants.py can give), and the notebook's solution functions are shown to draw exactly what the
reference's ``initialize`` draws and to group duplicates as ``reference.symmetry.duplicate_units`` does, so what
holds here holds for the learner's run with a correct solution. The facts of the reference's own issue (zero init,
constant init, column symmetry, ...) are tested in tests/reference/; these are the notebook's statements about its
particular experiments and answers.

Some tests pin a claim the notebook made before issue 15 was fixed, and fail on it: they say so in their docstring
("Old claim: ...").
"""

from __future__ import annotations

import ast
import itertools
import math

import numpy as np
import pytest

from grader.submissions import solution_sources
from reference.activations import get_activation
from reference.data import circles, moons
from reference.init import initialize
from reference.network import accuracy, forward, loss_and_grads
from reference.symmetry import duplicate_units, weight_rank
from reference.train import train

from .answers import ANSWERS
from .variants import DEPTH_RANGE, WIDTH_RANGE, extremes

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


def _cell_lines(source_nb, marker: str, prefixes: tuple[str, ...], settings: dict | None = None) -> dict:
    """Run the lines of the experiment cell holding ``marker`` that start with one of ``prefixes`` (after the
    notebook's settings, when given)."""
    cell = next(c for c in source_nb.cells if marker in c.source)
    namespace: dict = {**(settings or {}), "np": np, "circles": circles, "moons": moons}
    exec("\n".join(line for line in cell.source.splitlines() if line.startswith(prefixes)), namespace)
    return namespace


@pytest.fixture(scope="module")
def solution(source_nb, settings) -> dict:
    """The notebook's solution functions, defined as a learner's notebook defines them."""
    namespace = {"np": np, **settings}
    for grade_id, source in solution_sources(source_nb).items():
        if grade_id.startswith("init_") or grade_id == "find_duplicates":
            exec(source, namespace)
    return namespace


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


def _acc(settings, params, activations=None, split="train"):
    X, Y = settings[f"X_{split}"], settings[f"Y_{split}"]
    return accuracy(params, X, Y, activations or settings["ACTIVATIONS"])


def _hidden_layers(settings):
    return range(1, len(settings["LAYER_DIMS"]) - 1)


def _descend(settings, params, activations, steps):
    """Plain gradient descent for ``steps`` updates; the gradients of every update, in order."""
    s = settings
    seen = []
    for _ in range(steps):
        _, grads = loss_and_grads(params, s["X_train"], s["Y_train"], activations, "bce")
        seen.append(grads)
        params = {k: v - s["LR"] * grads["d" + k] for k, v in params.items()}
    return params, seen


def test_the_solution_draws_what_the_reference_draws(solution, settings, runs):
    """So that the claims below, proved on the reference, describe the learner's run with a correct solution."""
    for name, call in SOLUTION_CALLS.items():
        namespace = {**solution, "rng": np.random.default_rng(settings["SEED"])}
        mine = eval(call, namespace)
        reference = runs[name][0]
        assert mine.keys() == reference.keys()
        for key in mine:
            np.testing.assert_allclose(mine[key], reference[key], rtol=1e-12, atol=0, err_msg=f"{name}: {key}")


def test_the_test_sets_are_held_out(settings, source_nb):
    """The "test" points are other points than the training points (Part 5 and the moons run)."""
    m = _cell_lines(source_nb, "MOONS_STEPS = ", ("MOONS_", "X_moons"), settings)
    for X, X_test in ((settings["X_train"], settings["X_test"]), (m["X_moons"], m["X_moons_test"])):
        distances = np.linalg.norm(X[:, :, None] - X_test[:, None, :], axis=0)
        assert distances.min() > 1e-6


# --- Part 3: the table ----------------------------------------------------------------------------------------------


def test_tanh_is_zero_centred_with_slope_one_and_sigmoid_is_not():
    """The table: Xavier assumes g(0) = 0 and g'(0) = 1 (tanh); sigmoid has sigma(0) = 1/2 and sigma'(0) = 1/4."""
    zero, one = np.zeros((1, 1)), np.ones((1, 1))
    tanh, sigmoid = get_activation("tanh"), get_activation("sigmoid")
    assert tanh.forward(zero)[0, 0] == 0.0 and tanh.backward(one, zero)[0, 0] == 1.0
    assert sigmoid.forward(zero)[0, 0] == 0.5 and sigmoid.backward(one, zero)[0, 0] == 0.25


# --- Part 4: chains --------------------------------------------------------------------------------------------------


def _first_earlier_match(F: np.ndarray, tol: float) -> list[list[int]]:
    """The grouping the exercise warns against: each unit joins the group of the first earlier unit within tol."""
    group = list(range(F.shape[0]))
    for i in range(F.shape[0]):
        group[i] = next((group[j] for j in range(i) if np.max(np.abs(F[i] - F[j])) <= tol), i)
    groups = [[i for i in range(F.shape[0]) if group[i] == g] for g in sorted(set(group))]
    return [g for g in groups if len(g) >= 2]


def _layer(F: np.ndarray) -> dict:
    """A one-hidden-layer network whose hidden units are the rows of F = [row of W1, bias]."""
    return {"W1": F[:, :-1], "b1": F[:, -1:], "W2": np.ones((1, F.shape[0])), "b2": np.zeros((1, 1))}


def test_the_exercise_example_of_a_chain(solution):
    """Values 0, 1.6e-3, 0.8e-3 at tol=1e-3: one chain; the first-earlier-match rule gives [[0, 2]], and all three
    once the units are numbered 0, 0.8e-3, 1.6e-3 (the exercise's text and its public test)."""
    F = np.array([[0.0, 1.0, 0.0], [1.6e-3, 1.0, 0.0], [0.8e-3, 1.0, 0.0]])
    assert _first_earlier_match(F, 1e-3) == [[0, 2]]
    assert _first_earlier_match(F[[0, 2, 1]], 1e-3) == [[0, 1, 2]]
    assert duplicate_units(_layer(F), 1, 1e-3) == [[0, 1, 2]]
    assert solution["find_duplicate_units"](F[:, :2], F[:, 2:], tol=1e-3) == [[0, 1, 2]]


@pytest.mark.parametrize("order", list(itertools.permutations(range(4))))
def test_the_solution_groups_chains_as_the_reference_whatever_the_numbering(solution, order):
    """Old solution: a unit joined the first earlier unit within tol, which splits a chain whose middle unit is
    numbered after both ends. The solution, the reference and the hidden tests (duplicates.py) agree on chains."""
    F = np.array([[0.0, 0.5, 0.0], [0.8e-8, 0.5, 0.0], [1.6e-8, 0.5, 0.0], [3.0, 0.5, 0.0]])[list(order)]
    chain = [order.index(k) for k in (0, 1, 2)]  # where the ends (0 and 2) and the middle (1) of the chain went
    expected = [sorted(chain)]
    assert duplicate_units(_layer(F), 1) == expected
    assert solution["find_duplicate_units"](F[:, :2], F[:, 2:]) == expected
    if chain[1] == max(chain):  # the middle numbered after both ends: the old rule splits the chain
        assert _first_earlier_match(F, 1e-8) != expected


@pytest.mark.parametrize("seed", range(10))
def test_the_solution_finder_matches_the_reference_on_noisy_grids(solution, seed):
    """Units on a coarse grid plus noise of the size of tol: many ties and chains i ~ j ~ k with i and k apart."""
    rng = np.random.default_rng(seed)
    F = rng.integers(0, 2, size=(20, 4)).astype(float) + rng.choice([0.0, 0.4e-8, 0.8e-8, 1.2e-8], size=(20, 4))
    params = {"W1": F[:, :2], "b1": F[:, 2:3], "W2": F[:, 3:].T.copy(), "b2": np.zeros((1, 1))}
    for tol in (1e-8, 2e-8):
        assert solution["find_duplicate_units"](F[:, :2], F[:, 2:3], F[:, 3:].T, tol) == duplicate_units(params, 1, tol)


# --- Part 5: the five inits on circles --------------------------------------------------------------------------------


def test_zero_init_stays_at_ln2_and_half_accuracy_with_one_unit_per_layer(settings, runs):
    _, trained, loss = runs["zeros"]
    assert np.all(np.abs(loss - math.log(2)) < 1e-12)
    assert _acc(settings, trained) == 0.5 == settings["Y_train"].mean()  # balanced data
    for l in _hidden_layers(settings):
        assert duplicate_units(trained, l) == [list(range(settings["LAYER_DIMS"][l]))]
        assert not np.any(trained[f"W{l}"])
    assert np.abs(trained[f"b{len(settings['LAYER_DIMS']) - 1}"]).max() < 1e-12  # the output bias: round-off only


@pytest.mark.parametrize("hidden", ["relu", "tanh"])
def test_all_zero_network_gets_no_weight_gradient_whatever_g_prime_of_0(settings, hidden):
    """Old claim: the zero gradients come from g'(0) = 0. With tanh, g'(0) = 1, and every dW is still exactly 0 at
    every update: g(0) = 0 makes A = 0 (so dW_L = dZ_L A_(L-1)^T = 0), and W = 0 blocks the signal back.
    Only the output bias gets a gradient, 1/2 - Y averaged: round-off on this balanced data."""
    s = settings
    g = get_activation(hidden)
    zero, one = np.zeros((1, 1)), np.ones((1, 1))
    assert g.forward(zero)[0, 0] == 0.0
    assert g.backward(one, zero)[0, 0] == {"relu": 0.0, "tanh": 1.0}[hidden]  # nnlib's relu'(0) is 0
    acts = [hidden] * (len(s["LAYER_DIMS"]) - 2) + ["sigmoid"]
    L = len(s["LAYER_DIMS"]) - 1
    params = initialize(s["LAYER_DIMS"], np.random.default_rng(s["SEED"]), **INITS["zeros"])
    _, seen = _descend(s, params, acts, s["STEPS"])
    for grads in seen:
        assert all(not np.any(grads[f"dW{l}"]) for l in range(1, L + 1))
        assert all(not np.any(grads[f"db{l}"]) for l in range(1, L))
        assert np.abs(grads[f"db{L}"]).max() < 1e-15
    assert ANSWERS["q1_zeros_tanh_weights_move"].expected is False


def test_all_zero_network_with_sigmoid_hidden_units_moves_but_keeps_one_unit_per_layer(settings):
    """The Q1 model answer's aside: with sigmoid, g(0) = 1/2, the weights move, but all units of a layer alike."""
    s = settings
    acts = ["sigmoid"] * (len(s["LAYER_DIMS"]) - 2) + ["sigmoid"]
    params = initialize(s["LAYER_DIMS"], np.random.default_rng(s["SEED"]), **INITS["zeros"])
    trained, _ = _train(s, params, activations=acts)
    for l in _hidden_layers(s):
        assert np.any(trained[f"W{l}"] != 0)
        assert duplicate_units(trained, l, tol=1e-12) == [list(range(s["LAYER_DIMS"][l]))]


def test_small_random_init_breaks_symmetry_but_hardly_leaves_ln2(settings, runs):
    _, trained, loss = runs["random, scale 0.01"]
    assert all(duplicate_units(trained, l) == [] for l in _hidden_layers(settings))
    assert loss[-1] > math.log(2) - 0.01


@pytest.mark.parametrize("name", ["xavier", "he"])
def test_xavier_and_he_learn_circles_and_generalise_with_all_units_distinct(settings, runs, name):
    _, trained, loss = runs[name]
    train_acc, test_acc = _acc(settings, trained), _acc(settings, trained, split="test")
    assert train_acc >= 0.95 and test_acc >= 0.95 and abs(train_acc - test_acc) <= 0.02
    assert loss[-1] < 0.1 * loss[0]
    assert all(duplicate_units(trained, l) == [] for l in _hidden_layers(settings))


def test_zero_weights_random_biases_make_distinct_units_that_do_not_learn_circles(settings, runs):
    _, trained, loss = runs["zero weights, random biases"]
    assert all(duplicate_units(trained, l) == [] for l in _hidden_layers(settings))
    assert weight_rank(trained["W1"]) == 1  # every row a multiple of one row
    assert _acc(settings, trained) <= 0.6 and _acc(settings, trained, split="test") <= 0.6
    assert loss[-1] > math.log(2) - 0.01


# --- Question 1: zero weights, random biases, on each learner's own network (variants.py) ------------------------

GRID = [{"depth": d, "width": w} for d in range(DEPTH_RANGE[0], DEPTH_RANGE[1] + 1)
        for w in range(WIDTH_RANGE[0], WIDTH_RANGE[1] + 1)]
"""Every variant of Question 1's network: the claims about its first updates are proved on each."""
SAMPLE = [*extremes(), {"depth": 4, "width": 12}, {"depth": 5, "width": 10}, {"depth": 7, "width": 8},
          {"depth": 8, "width": 7}]
"""Both extremes and variants inside: the claims about the whole run of STEPS updates are proved on these."""


def _vid(p: dict) -> str:
    return f"depth{p['depth']}-width{p['width']}"


def _q1_network(source_nb, p: dict) -> tuple[list[int], list[str]]:
    """Question 1's network as the notebook's cell builds it from the learner's numbers ``p``."""
    q1 = _cell_lines(source_nb, "Q1_DIMS = ", ("Q1_",), {"P": p})
    return q1["Q1_DIMS"], q1["Q1_ACTIVATIONS"]


@pytest.fixture(scope="module")
def notebook_rank(source_nb):
    """The ``rank`` the Question 1 cell defines (and prints), taken from the cell itself."""
    cell = next(c for c in source_nb.cells if "Q1_DIMS = " in c.source)
    definition = next(n for n in ast.parse(cell.source).body if isinstance(n, ast.FunctionDef) and n.name == "rank")
    namespace: dict = {"np": np}
    exec(ast.get_source_segment(cell.source, definition), namespace)
    return namespace["rank"]


def _q1_run(source_nb, settings, notebook_rank, p: dict, steps: int) -> dict:
    """The Question 1 experiment for the learner's numbers ``p``: zero weights, N(0, 1) biases, plain gradient
    descent for ``steps`` updates, with what the cell prints (per update, before it) and what Question 3 reads."""
    s = settings
    dims, acts = _q1_network(source_nb, p)
    params = initialize(dims, np.random.default_rng(s["SEED"]), **INITS["zero weights, random biases"])
    start = {k: v.copy() for k, v in params.items()}
    L = len(dims) - 1
    dW, db, rank_before, default_rank_before, second_direction = [], [], [], [], []
    W2_history = [params["W2"].copy()]
    for _ in range(steps):
        _, grads = loss_and_grads(params, s["X_train"], s["Y_train"], acts, "bce")
        dW.append([float(np.abs(grads[f"dW{l}"]).max()) for l in range(1, L + 1)])
        db.append([float(np.abs(grads[f"db{l}"]).max()) for l in range(1, L + 1)])
        rank_before.append(notebook_rank(params["W1"]))
        default_rank_before.append(weight_rank(params["W1"]))
        sv = np.linalg.svd(params["W1"], compute_uv=False)
        second_direction.append(sv[1] / sv[0] if sv[0] > 0 else 0.0)
        params = {k: v - s["LR"] * grads["d" + k] for k, v in params.items()}
        W2_history.append(params["W2"].copy())
    return {"p": p, "dims": dims, "activations": acts, "L": L, "start": start, "end": params, "dW": dW, "db": db,
            "rank_before": rank_before, "default_rank_before": default_rank_before,
            "second_direction": second_direction, "W2_history": W2_history}


@pytest.fixture(scope="module")
def q1_first_updates(source_nb, settings, notebook_rank) -> list[dict]:
    """Every variant's first L + 2 updates: those the cell prints."""
    return [_q1_run(source_nb, settings, notebook_rank, p, p["depth"] + 2) for p in GRID]


@pytest.fixture(scope="module")
def q1_runs(source_nb, settings, notebook_rank) -> list[dict]:
    """The sample's whole runs of STEPS updates."""
    return [_q1_run(source_nb, settings, notebook_rank, p, settings["STEPS"]) for p in SAMPLE]


def test_the_variants_cover_the_generator_ranges_and_the_cell_builds_each_learner_s_network(source_nb):
    assert extremes() == [GRID[0], GRID[-1]] and all(p in GRID for p in SAMPLE) and len(GRID) == 36
    for p in GRID:
        dims, acts = _q1_network(source_nb, p)
        assert dims == [2] + [p["width"]] * (p["depth"] - 1) + [1]
        assert acts == ["relu"] * (p["depth"] - 1) + ["sigmoid"]


def test_q1_every_network_has_two_dead_units_in_layer_1_and_a_live_unit_in_every_hidden_layer(q1_first_updates):
    """What the claims below need of the biases, which are the first numbers of default_rng(SEED) for everyone:
    Question 3 looks at two units of layer 1 whose bias starts negative, and the backward signal reaches W1 only
    through live units."""
    for run in q1_first_updates:
        b = [run["start"][f"b{l}"][:, 0] for l in range(1, run["L"])]
        assert np.count_nonzero(b[0] < 0) >= 2, _vid(run["p"])
        assert all(np.any(bl > 0) for bl in b), _vid(run["p"])


def test_q1_layer_l_first_moves_at_update_L_minus_l_plus_1_so_W1_at_the_depth(source_nb, q1_first_updates):
    """Zero weights, random biases, on every learner's network: dW_l is exactly 0 before update L - l + 1 and not
    after (one update later for every layer on the way back), so W1 first moves at update L, the answer key's
    lambda and the solution's P["depth"]; at update 1 only the last layer's weights and bias get a gradient."""
    solution = solution_sources(source_nb)["q1_answers"]
    for run in q1_first_updates:
        p, L = run["p"], run["L"]
        assert p["depth"] == L
        for l in range(1, L + 1):
            moved = [dW[l - 1] > 0 for dW in run["dW"]]
            assert moved == [False] * (L - l) + [True] * (len(moved) - (L - l)), (_vid(p), l)
        assert all(db == 0.0 for db in run["db"][0][:-1]) and run["db"][0][-1] > 0
        first = 1 + next(t for t, dW in enumerate(run["dW"]) if dW[0] > 0)
        namespace = {"P": p}
        exec(solution, namespace)
        assert first == ANSWERS["q1_first_step_W1_moves"].expected(p) == namespace["q1_first_step_W1_moves"]


def test_q1_W1_first_moves_by_a_tiny_amount_yet_far_from_underflow(q1_first_updates):
    """The notebook: "See how small it is then"; the hint: "then a (tiny) number"; variants.py: the first non-zero
    dW1 is above 1e-150 in every variant. Tiny: at least a thousand times below the last layer's at update 1."""
    for run in q1_first_updates:
        first_dW1, last_layer_at_1 = run["dW"][run["L"] - 1][0], run["dW"][0][-1]
        assert 1e-150 < first_dW1 < 1e-3 * last_layer_at_1, _vid(run["p"])


def test_q1_W1_has_rank_one_right_after_its_first_move(q1_first_updates):
    """The rank the cell prints (its own ``rank``) is 0 before update L + 1 and 1 before L + 1 and L + 2, in every
    variant; the second singular value is round-off (below 1e-12 of the first), and for some variants the default
    threshold of np.linalg.matrix_rank takes it for a second direction, as the notebook warns."""
    fooled = []
    for run in q1_first_updates:
        L = run["L"]
        assert run["rank_before"] == [0] * L + [1, 1], _vid(run["p"])
        assert max(run["second_direction"]) < 1e-12
        fooled.append(2 in run["default_rank_before"])
    assert any(fooled)
    assert ANSWERS["q1_rank_W1_after_first_move"].expected == 1


def test_q1_W1_keeps_moving_on_one_direction_and_the_units_with_a_negative_bias_stay_dead(settings, q1_runs):
    """Over the whole run: W1 moves at every update from L on, its rank stays 1, and the ReLU units whose bias
    starts negative, in layer 1 as in every hidden layer, keep their zero row and their bias: dead for good."""
    for run in q1_runs:
        L = run["L"]
        assert len(run["dW"]) == settings["STEPS"] and all(dW[0] > 0 for dW in run["dW"][L - 1:])
        assert set(run["rank_before"][L:]) == {1} and max(run["second_direction"]) < 1e-12, _vid(run["p"])
        for l in range(1, L):
            negative = np.flatnonzero(run["start"][f"b{l}"][:, 0] < 0)
            assert not np.any(run["end"][f"W{l}"][negative]), (_vid(run["p"]), l)
            assert np.array_equal(run["end"][f"b{l}"][negative], run["start"][f"b{l}"][negative])
    assert ANSWERS["q1_relu_negative_bias"].expected == "a"


def test_the_forum_claim_with_random_biases_is_right_at_update_one_for_all_but_the_last_layer_only(settings):
    """Zero weights, random biases, on the notebook's 2-10-5-1 net: at update 1 dW1 = dW2 = 0 but dW3 != 0; layer l
    first moves at update L - l + 1 (one update later for every further layer), and keeps moving to the end."""
    s = settings
    L = len(s["LAYER_DIMS"]) - 1
    params = initialize(s["LAYER_DIMS"], np.random.default_rng(s["SEED"]), **INITS["zero weights, random biases"])
    _, seen = _descend(s, params, s["ACTIVATIONS"], s["STEPS"])
    for l in range(1, L + 1):
        moved = [bool(np.any(grads[f"dW{l}"])) for grads in seen]
        assert moved == [False] * (L - l) + [True] * (s["STEPS"] - (L - l)), l


@pytest.fixture(scope="module")
def moons_run(source_nb, settings) -> dict:
    """The moons experiment of Question 1: the 2-10-5-1 net from zero weights and random biases (checkpoints at
    STEPS and MOONS_STEPS) and from He (STEPS), on the cell's own data."""
    s = settings
    m = _cell_lines(source_nb, "MOONS_STEPS = ", ("MOONS_", "X_moons"), settings)
    data = {"X": m["X_moons"], "Y": m["Y_moons"], "X_test": m["X_moons_test"], "Y_test": m["Y_moons_test"]}
    kw = {"activations": s["ACTIVATIONS"], "loss": "bce", "lr": s["LR"]}
    zw = initialize(s["LAYER_DIMS"], np.random.default_rng(s["SEED"]), **INITS["zero weights, random biases"])
    zw_short, _ = train(zw, data["X"], data["Y"], steps=s["STEPS"], **kw)
    zw_long, _ = train(zw_short, data["X"], data["Y"], steps=m["MOONS_STEPS"] - s["STEPS"], **kw)
    he = initialize(s["LAYER_DIMS"], np.random.default_rng(s["SEED"]), **INITS["he"])
    he, _ = train(he, data["X"], data["Y"], steps=s["STEPS"], **kw)
    return {**data, "steps": m["MOONS_STEPS"], "zw_short": zw_short, "zw_long": zw_long, "he": he}


def _moons_acc(settings, run, params):
    acts = settings["ACTIVATIONS"]
    return accuracy(params, run["X"], run["Y"], acts), accuracy(params, run["X_test"], run["Y_test"], acts)


def test_moons_zero_weights_random_biases_learn_well_above_chance(settings, moons_run):
    """Old claim: with zero weights and random biases "the network does not learn". On moons it reaches about
    0.87, on the training and the held-out points alike, where He reaches 0.99 or better."""
    assert moons_run["steps"] >= 5 * settings["STEPS"]
    for params in (moons_run["zw_short"], moons_run["zw_long"]):
        train_acc, test_acc = _moons_acc(settings, moons_run, params)
        assert 0.84 <= train_acc <= 0.90 and 0.84 <= test_acc <= 0.90, (train_acc, test_acc)
    assert min(_moons_acc(settings, moons_run, moons_run["he"])) >= 0.985


def test_moons_W1_stays_rank_one_for_good_and_the_net_sees_one_direction(settings, moons_run):
    """The first layer stays on one direction for good (rank 1 after STEPS and after MOONS_STEPS updates, as
    np.linalg.matrix_rank counts it), so the output depends on x only through v . x: moving every point
    perpendicular to v changes no output, and the boundary is straight lines perpendicular to v."""
    for params in (moons_run["zw_short"], moons_run["zw_long"]):
        assert weight_rank(params["W1"]) == 1
    assert ANSWERS["q1_rank_W1_after_many_updates"].expected == 1
    params = moons_run["zw_long"]
    v = np.linalg.svd(params["W1"])[2][0]
    across = np.array([[-v[1]], [v[0]]])
    for shift in (-2.0, 0.5, 3.0):
        a, _ = forward(params, moons_run["X"], settings["ACTIVATIONS"])
        b, _ = forward(params, moons_run["X"] + shift * across, settings["ACTIVATIONS"])
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)
    assert weight_rank(moons_run["he"]["W1"]) == 2


def test_moons_W1_started_moving_at_update_3_the_depth_of_the_2_10_5_1_network(settings, moons_run):
    """The hint for a rank of 0 after the moons run: W1 is not zero any more, it started moving at update 3."""
    s = settings
    params = initialize(s["LAYER_DIMS"], np.random.default_rng(s["SEED"]), **INITS["zero weights, random biases"])
    moved = []
    for _ in range(4):
        _, grads = loss_and_grads(params, moons_run["X"], moons_run["Y"], s["ACTIVATIONS"], "bce")
        moved.append(bool(np.any(grads["dW1"])))
        params = {k: v - s["LR"] * grads["d" + k] for k, v in params.items()}
    assert len(s["LAYER_DIMS"]) - 1 == 3 and moved == [False, False, True, True]
    assert np.any(moons_run["zw_long"]["W1"])


# --- Question 2 ------------------------------------------------------------------------------------------------------


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


def test_q2_a_layer_copied_from_another_trains_and_generalises_without_duplicates(source_nb, settings):
    copy = _cell_lines(source_nb, "COPY_DIMS = ", ("COPY_",))
    dims, acts = copy["COPY_DIMS"], copy["COPY_ACTIVATIONS"]
    params = initialize(dims, np.random.default_rng(settings["SEED"]), **INITS["he"])
    params["W3"] = params["W2"].copy()
    trained, _ = _train(settings, params, activations=acts)
    assert _acc(settings, trained, acts) >= 0.95 and _acc(settings, trained, acts, split="test") >= 0.95
    assert all(duplicate_units(trained, l) == [] for l in range(1, len(dims) - 1))
    assert ANSWERS["q2_across_layers_matters"].expected is False


# --- Question 3 ------------------------------------------------------------------------------------------------------


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
    assert np.abs(params["W2"][:, 0] - params["W2"][:, 1]).max() == 0.0  # the printed "before" is measured
    assert np.abs(after[:, 0] - after[:, 1]).max() > 1e-3


def test_q3_two_dead_units_with_different_biases_keep_equal_columns_of_W2_for_every_update(settings, q1_runs):
    """Old claim: equal columns of W2 stay equal "only if the units are identical". In Question 1's run, whatever
    the learner's network, the first two units of layer 1 whose bias started negative differ (different biases: not
    duplicates), output 0 on every example, and their columns of W2 stay exactly equal before and after each of the
    STEPS updates."""
    for run in q1_runs:
        i, j = np.flatnonzero(run["start"]["b1"][:, 0] < 0)[:2]
        start, end = run["start"], run["end"]
        assert start["b1"][i, 0] != start["b1"][j, 0]
        assert duplicate_units(end, 1, tol=1e-3) == [], _vid(run["p"])
        _, cache = forward(end, settings["X_train"], run["activations"])
        assert not np.any(cache.A[1][[i, j]])  # equal activations: both 0 on every example
        assert len(run["W2_history"]) == settings["STEPS"] + 1
        assert all(np.array_equal(W2[:, i], W2[:, j]) and not np.any(W2[:, i]) for W2 in run["W2_history"])
    assert ANSWERS["q3_columns_stay_equal"].expected == "c"
