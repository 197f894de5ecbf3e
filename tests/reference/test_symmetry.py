"""Tests of reference.symmetry, and through it facts 3 to 7: which initializations leave the units of a layer
identical (or W_l of rank 1) under gradient descent with reference.train, and which break the symmetry."""

from __future__ import annotations

import itertools
import sys

import numpy as np
import pytest

from reference.network import forward, loss_and_grads
from reference.symmetry import (
    dead_units,
    duplicate_units,
    pairwise_duplicate_groups,
    symmetry_report,
    weight_rank,
)
from reference.train import train

HIDDEN = ["sigmoid", "tanh", "relu", "leaky_relu", "linear"]
OUTPUTS = [("sigmoid", "bce", 1), ("softmax", "ce", 3)]

TOL_IDENTICAL = 1e-12
"""How equal "identical units" are in floating point (weights here are of order 0.1 to 1).

In exact arithmetic the units of a symmetric layer stay equal forever. In float64 they are computed by the same
formula but not always by the same operations: BLAS may sum the m products of a row of dW = dZ Aᵀ in a different
order for different rows. With OpenBLAS 0.3.31 we measured bit-identical units for m = 7, but differences of
1e-17 to 1e-16 after 100 steps for m ≥ 33 — and an unstable symmetric state amplifies them (const-init tanh,
m = 100: 1e-14 after 1000 steps, 7e-9 after 6000). So the facts are checked with a tolerance of 1e-12, far above
the round-off of these short runs and far below the differences of any random init (≥ 1e-3, see fact 6)."""


def rank_up_to_roundoff(W: np.ndarray) -> int:
    """Singular values above 1e-10·σ_max: rank 1 in exact arithmetic may read σ2/σ1 ≈ 1e-15 after many steps."""
    return weight_rank(W, tol=1e-10 * np.linalg.norm(W, 2))


def constant_params(dims: list[int], w: float, b: float) -> dict[str, np.ndarray]:
    params = {}
    for l in range(1, len(dims)):
        params[f"W{l}"] = np.full((dims[l], dims[l - 1]), w)
        params[f"b{l}"] = np.full((dims[l], 1), b)
    return params


def toy_data(n_out: int, m: int = 40, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """X (3, m) Gaussian; Y depends on X (and is not balanced, so the output bias alone cannot fit it)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(3, m))
    if n_out == 1:
        return X, (X[:1] + 0.5 * X[1:2] > 0.4).astype(np.float64)
    return X, np.eye(3)[:, (X[0] > 0).astype(int) + (X[1] > 0.5)]


def whole_layers_identical(params, dims) -> bool:
    return all(duplicate_units(params, l, TOL_IDENTICAL) == [list(range(dims[l]))] for l in range(1, len(dims) - 1))


# --- fact 3: all-zero init ----------------------------------------------------------------------------------


@pytest.mark.parametrize("hidden", ["tanh", "relu", "leaky_relu", "linear"])
@pytest.mark.parametrize(("out", "loss", "n_out"), OUTPUTS)
@pytest.mark.parametrize("depth", [2, 3])
def test_all_zero_init_with_g0_zero_only_the_output_bias_moves(hidden, out, loss, n_out, depth):
    """Fact 3: g(0) = 0 makes every A_l = 0 and every W_lᵀ dZ_l = 0: each weight gradient is exactly 0 at every step."""
    dims = [3, *[5, 4][: depth - 1], n_out]
    acts = [hidden] * (depth - 1) + [out]
    X, Y = toy_data(n_out)
    params = constant_params(dims, 0.0, 0.0)
    for step in range(30):
        _, grads = loss_and_grads(params, X, Y, acts, loss)
        for l in range(1, depth + 1):
            assert np.all(grads[f"dW{l}"] == 0.0), (step, l)
        for l in range(1, depth):
            assert np.all(grads[f"db{l}"] == 0.0), (step, l)
        if step == 0:
            assert np.any(grads[f"db{depth}"] != 0.0)
        params, _ = train(params, X, Y, activations=acts, loss=loss, lr=0.5, steps=1)
    assert all(np.all(params[f"W{l}"] == 0.0) for l in range(1, depth + 1))
    assert all(np.all(params[f"b{l}"] == 0.0) for l in range(1, depth))
    assert np.any(params[f"b{depth}"] != 0.0)
    minibatch, _ = train(constant_params(dims, 0.0, 0.0), X, Y, activations=acts, loss=loss, lr=0.5, steps=50,
                         batch_size=8, rng=np.random.default_rng(0))
    assert all(np.all(minibatch[k] == 0.0) for k in minibatch if k != f"b{depth}")


@pytest.mark.parametrize(("out", "loss", "n_out"), OUTPUTS)
@pytest.mark.parametrize("batch_size", [None, 8])
def test_all_zero_init_with_sigmoid_hidden_units_move_but_stay_identical(out, loss, n_out, batch_size):
    """Fact 3: σ(0) = 1/2 ≠ 0, so the weights do learn — but every unit of a hidden layer learns the same thing."""
    dims = [3, 6, 5, n_out]
    acts = ["sigmoid", "sigmoid", out]
    X, Y = toy_data(n_out)
    trained, _ = train(constant_params(dims, 0.0, 0.0), X, Y, activations=acts, loss=loss, lr=0.5, steps=300,
                       batch_size=batch_size, rng=np.random.default_rng(0))
    assert all(np.any(trained[f"W{l}"] != 0.0) for l in (1, 2, 3))  # not vacuous: every layer moved
    assert whole_layers_identical(trained, dims)
    assert all(rank_up_to_roundoff(trained[f"W{l}"]) == 1 for l in (1, 2))


# --- fact 4: constant non-zero init -------------------------------------------------------------------------


@pytest.mark.parametrize("hidden", HIDDEN)
@pytest.mark.parametrize(("out", "loss", "n_out"), OUTPUTS)
@pytest.mark.parametrize("batch_size", [None, 8])
def test_constant_init_keeps_the_units_of_each_hidden_layer_identical(hidden, out, loss, n_out, batch_size):
    dims = [3, 6, 5, n_out]
    acts = [hidden, hidden, out]
    X, Y = toy_data(n_out)
    params = constant_params(dims, 0.3, 0.1)
    assert whole_layers_identical(params, dims)
    for steps in (1, 10, 100):
        trained, _ = train(params, X, Y, activations=acts, loss=loss, lr=0.1, steps=steps,
                                 batch_size=batch_size, rng=np.random.default_rng(1))
        assert whole_layers_identical(trained, dims), steps
    # Not vacuous: the hidden weights moved (not at step 1 with softmax: identical output units make
    # W3ᵀ dZ3 = 0.3·Σ_i dZ3[i, :] = 0, so the first step only moves W3 and b3) and the loss went down.
    assert np.all(trained["W1"] != 0.3)
    assert loss_and_grads(trained, X, Y, acts, loss)[0] < loss_and_grads(params, X, Y, acts, loss)[0]


# --- fact 5: zero weights, random biases ----------------------------------------------------------------------


def zero_weights_random_biases(n_out: int, seed: int, n1: int = 6, low: float | None = None, high: float = 1.0):
    rng = np.random.default_rng(seed)
    b1 = rng.normal(size=(n1, 1)) if low is None else rng.uniform(low, high, size=(n1, 1))
    return {"W1": np.zeros((n1, 3)), "b1": b1, "W2": np.zeros((n_out, n1)), "b2": rng.normal(size=(n_out, 1))}


@pytest.mark.parametrize("hidden", HIDDEN)
@pytest.mark.parametrize(("out", "loss", "n_out"), OUTPUTS)
def test_zero_weights_random_biases_first_two_steps(hidden, out, loss, n_out):
    """Fact 5: step 1 gives dW1 = 0 exactly (W2 = 0) but dW2 ≠ 0; after step 2, W1 = b ρᵀ-like: rank 1."""
    X, Y = toy_data(n_out)
    acts = [hidden, out]
    params = zero_weights_random_biases(n_out, seed=0)
    assert np.any(params["b1"] > 0)  # precondition for relu: some unit is alive
    _, grads = loss_and_grads(params, X, Y, acts, loss)
    assert np.all(grads["dW1"] == 0.0) and np.all(grads["db1"] == 0.0)
    assert np.any(grads["dW2"] != 0.0)
    step1, _ = train(params, X, Y, activations=acts, loss=loss, lr=0.5, steps=1)
    assert weight_rank(step1["W1"]) == 0
    step2, _ = train(step1, X, Y, activations=acts, loss=loss, lr=0.5, steps=1)
    # Default tolerance (σ_max·max(shape)·ε): measured σ2/σ1 ≤ 4e-16 after step 2.
    assert weight_rank(step2["W1"]) == 1


@pytest.mark.parametrize(("hidden", "expect_rank_one"), [("tanh", False), ("sigmoid", False), ("relu", True)])
def test_zero_weights_random_biases_later_steps(hidden, expect_rank_one):
    """Random biases do break the symmetry of tanh/sigmoid units (W1 reaches full rank), but not of ReLU units.

    ReLU is positively homogeneous: from W1 = 0 every live unit computes b_i·relu(1 + ρᵀx) with one shared ρ, and
    the gradients keep that form (dW2[:, i] ∝ b_i, dW1[i, :] ∝ b_i), so W1 = b⁺ρᵀ has rank 1 forever — even while
    units switch on and off, and whatever the number of outputs; units with b_i < 0 never move (see below).
    """
    X, Y = toy_data(1)
    acts = [hidden, "sigmoid"]
    params = zero_weights_random_biases(1, seed=3)
    trained, _ = train(params, X, Y, activations=acts, loss="bce", lr=0.3, steps=1000)
    _, cache = forward(trained, X, acts)
    if hidden == "relu":
        on = cache.Z[1] > 0
        assert np.any(on.any(axis=1) & ~on.all(axis=1))  # precondition: some unit is on for some examples only
    assert (rank_up_to_roundoff(trained["W1"]) == 1) == expect_rank_one
    if not expect_rank_one:
        assert rank_up_to_roundoff(trained["W1"]) == 3


@pytest.mark.parametrize(("out", "loss", "n_out"), OUTPUTS)
def test_relu_units_with_negative_bias_stay_dead(out, loss, n_out):
    X, Y = toy_data(n_out)
    acts = ["relu", out]
    params = zero_weights_random_biases(n_out, seed=1, n1=8)
    negative = np.flatnonzero(params["b1"][:, 0] < 0)
    assert 0 < negative.size < 8  # precondition: some dead, some alive
    assert dead_units(params, X, acts, 1) == negative.tolist()
    trained, _ = train(params, X, Y, activations=acts, loss=loss, lr=0.3, steps=500)
    _, grads = loss_and_grads(trained, X, Y, acts, loss)
    assert np.all(grads["dW1"][negative] == 0.0) and np.all(grads["db1"][negative] == 0.0)
    assert np.all(trained["W1"][negative] == 0.0)
    assert np.array_equal(trained["b1"][negative], params["b1"][negative])  # bit for bit
    assert np.all(trained["W2"][:, negative] == 0.0)
    assert set(negative) <= set(dead_units(trained, X, acts, 1))
    alive = np.setdiff1d(np.arange(8), negative)
    assert np.any(trained["W1"][alive] != 0.0)


def test_relu_units_active_on_every_example_keep_W1_at_rank_one():
    """Fact 5: single output, large positive biases: while every unit is active, W1 stays b1·ρᵀ (rank 1)."""
    X, Y = toy_data(1)
    acts = ["relu", "sigmoid"]
    params = zero_weights_random_biases(1, seed=2, low=3.0, high=4.0)
    for step in range(1, 201):
        params, _ = train(params, X, Y, activations=acts, loss="bce", lr=0.05, steps=1)
        _, cache = forward(params, X, acts)
        assert np.all(cache.Z[1] > 0), step  # precondition: every unit active on every example
        if step >= 2:
            assert rank_up_to_roundoff(params["W1"]) == 1, step
    rho = params["W1"][0] / params["b1"][0, 0]
    assert np.linalg.norm(params["W1"]) > 0.1
    assert np.allclose(params["W1"], params["b1"] * rho, rtol=0, atol=1e-12 * np.abs(params["W1"]).max())


# --- fact 6: random init --------------------------------------------------------------------------------------


@pytest.mark.parametrize("hidden", HIDDEN)
@pytest.mark.parametrize("scheme", ["normal", "uniform", "normal_zero_bias"])
@pytest.mark.parametrize("batch_size", [None, 8])
def test_random_init_has_no_duplicate_units_before_or_after_training(hidden, scheme, batch_size):
    dims = [3, 8, 6, 1]
    acts = [hidden, hidden, "sigmoid"]
    rng = np.random.default_rng(4)
    params = {}
    for l in range(1, len(dims)):
        shape = (dims[l], dims[l - 1])
        W = rng.uniform(-1, 1, shape) if scheme == "uniform" else rng.normal(size=shape)
        params[f"W{l}"] = W / np.sqrt(dims[l - 1])
        zero_bias = scheme.endswith("zero_bias")
        params[f"b{l}"] = np.zeros((dims[l], 1)) if zero_bias else 0.1 * rng.normal(size=(dims[l], 1))
    X, Y = toy_data(1)
    trained, _ = train(params, X, Y, activations=acts, loss="bce", lr=0.1, steps=200, batch_size=batch_size,
                       rng=np.random.default_rng(0))
    for p in (params, trained):
        assert duplicate_units(p, 1) == [] and duplicate_units(p, 2) == []
        # and the closest pair of units is far from the round-off scale of TOL_IDENTICAL
        assert duplicate_units(p, 1, tol=1e-3) == [] and duplicate_units(p, 2, tol=1e-3) == []
        assert weight_rank(p["W1"]) == 3 and weight_rank(p["W2"]) == 6


# --- fact 7: column symmetry (Question 3) ---------------------------------------------------------------------


@pytest.mark.parametrize("dims", [[3, 4, 1], [3, 4, 3, 1]])
@pytest.mark.parametrize("hidden", ["tanh", "relu", "sigmoid"])
def test_equal_columns_of_W2_split_unless_the_units_feeding_them_are_identical(dims, hidden):
    rng = np.random.default_rng(5)
    params = {}
    for l in range(1, len(dims)):
        params[f"W{l}"] = rng.normal(size=(dims[l], dims[l - 1])) / np.sqrt(dims[l - 1])
        params[f"b{l}"] = 0.1 * rng.normal(size=(dims[l], 1)) + 0.5  # keep relu units alive
    params["W2"][:, 1] = params["W2"][:, 0]
    acts = [hidden] * (len(dims) - 2) + ["sigmoid"]
    X, Y = toy_data(1)

    def columns_gap(p):
        return np.abs(p["W2"][:, 0] - p["W2"][:, 1]).max()

    # Units 0 and 1 of layer 1 differ (distinct rows of W1): one step makes the two columns of W2 differ.
    assert columns_gap(params) == 0.0
    one_step, _ = train(params, X, Y, activations=acts, loss="bce", lr=0.1, steps=1)
    assert columns_gap(one_step) > 1e6 * TOL_IDENTICAL
    assert duplicate_units(one_step, 1) == []

    # Units 0 and 1 identical (same row of W1, same bias) and equal columns: the columns stay equal.
    twins = {k: v.copy() for k, v in params.items()}
    twins["W1"][1], twins["b1"][1] = twins["W1"][0], twins["b1"][0]
    assert duplicate_units(twins, 1, tol=0.0) == [[0, 1]]
    for steps in (1, 50):
        trained, _ = train(twins, X, Y, activations=acts, loss="bce", lr=0.1, steps=steps)
        assert np.any(trained["W2"] != twins["W2"])
        assert columns_gap(trained) <= TOL_IDENTICAL
        assert duplicate_units(trained, 1, TOL_IDENTICAL) == [[0, 1]]


# --- duplicate_units ------------------------------------------------------------------------------------------


def planted(seed: int = 0, n1: int = 8) -> dict[str, np.ndarray]:
    """A [4, n1, 3, 2] net whose layer-1 units {1, 5, 6} and {2, 7} are exact copies (row, bias, column)."""
    rng = np.random.default_rng(seed)
    params = {
        "W1": rng.normal(size=(n1, 4)), "b1": rng.normal(size=(n1, 1)),
        "W2": rng.normal(size=(3, n1)), "b2": rng.normal(size=(3, 1)),
        "W3": rng.normal(size=(2, 3)), "b3": rng.normal(size=(2, 1)),
    }
    for src, dst in [(5, 1), (5, 6), (7, 2)]:  # copied from the higher index onto the lower: output is still sorted
        params["W1"][dst], params["b1"][dst], params["W2"][:, dst] = (
            params["W1"][src], params["b1"][src], params["W2"][:, src]
        )
    return params


def test_duplicate_units_finds_planted_groups_sorted():
    params = planted()
    assert duplicate_units(params, 1) == [[1, 5, 6], [2, 7]]
    assert duplicate_units(params, 1, tol=0.0) == [[1, 5, 6], [2, 7]]
    assert duplicate_units(params, 2) == []
    assert all(isinstance(i, int) for g in duplicate_units(params, 1) for i in g)


def test_duplicate_units_respects_tol():
    params = planted()
    params["W1"][6, 2] += 1e-10
    assert duplicate_units(params, 1, tol=1e-8) == [[1, 5, 6], [2, 7]]
    assert duplicate_units(params, 1, tol=1e-12) == [[1, 5], [2, 7]]
    with pytest.raises(ValueError, match="tol"):
        duplicate_units(params, 1, tol=-1.0)


@pytest.mark.parametrize(("key", "index"), [("W2", (0, 5)), ("b1", (5, 0)), ("W1", (5, 3))])
def test_a_difference_in_row_bias_or_outgoing_column_breaks_a_group(key, index):
    params = planted()
    params[key][index] += 1e-3
    assert duplicate_units(params, 1) == [[1, 6], [2, 7]]


def test_duplicate_units_validates_the_layer():
    params = planted()
    for layer in (0, 3, -1):
        with pytest.raises(ValueError, match=r"hidden layer, 1\.\.2"):
            duplicate_units(params, layer)
    params["b1"] = params["b1"][:5]
    with pytest.raises(ValueError, match="b1"):
        duplicate_units(params, 1)


def _first_earlier_match(F: np.ndarray, tol: float) -> list[list[int]]:
    """The other rule one might write: each unit joins the group of the first earlier unit within tol."""
    group = list(range(F.shape[0]))
    for i in range(F.shape[0]):
        group[i] = next((group[j] for j in range(i) if np.max(np.abs(F[i] - F[j])) <= tol), i)
    groups = [[i for i in range(F.shape[0]) if group[i] == g] for g in sorted(set(group))]
    return [g for g in groups if len(g) >= 2]


@pytest.mark.parametrize("order", list(itertools.permutations(range(3))))
def test_a_chain_is_one_group_whatever_the_numbering_of_its_units(order):
    """a ~ c and c ~ b within tol, a and b further apart: one group [a, b, c] in every numbering of the units.

    Renumbering the units of a layer gives the same network, so the groups must only be renumbered too. The
    first-earlier-match rule fails this: with c numbered last, c joins a's group and b is left out."""
    values = np.array([0.0, 1.6e-3, 0.8e-3])[list(order)]  # a, b, c in the order ``order`` puts them
    params = {"W1": values[:, None], "b1": np.zeros((3, 1)), "W2": np.ones((1, 3)), "b2": np.zeros((1, 1))}
    F = np.hstack([params["W1"], params["b1"], params["W2"].T])
    assert duplicate_units(params, 1, tol=1e-3) == [[0, 1, 2]] == pairwise_duplicate_groups(F, 1e-3)
    if order.index(2) == 2:  # c last: the order-dependent rule splits the chain
        assert _first_earlier_match(F, 1e-3) != [[0, 1, 2]]


@pytest.mark.parametrize("seed", range(20))
def test_duplicate_units_matches_the_brute_force_definition(seed):
    """Units on a coarse grid (many exact ties) plus small noise (chains i~j~k with i≁k): same groups as O(n²)."""
    rng = np.random.default_rng(seed)
    n1, n0, n2 = 30, 2, 1
    grid = rng.integers(0, 2, size=(n1, n0 + 1 + n2)).astype(np.float64)
    F = grid + rng.choice([0.0, 0.4e-8, 0.8e-8, 1.2e-8], size=grid.shape)
    params = {"W1": F[:, :n0], "b1": F[:, n0:n0 + 1], "W2": F[:, n0 + 1:].T.copy(),
              "b2": np.zeros((n2, 1))}
    for tol in (0.0, 1e-8, 2e-8):
        assert duplicate_units(params, 1, tol) == pairwise_duplicate_groups(F, tol)


def python_lines(fn, *args) -> tuple[object, int]:
    """Call fn(*args) and count the lines of Python it executes, its callees included (NumPy's C code is not Python).

    A deterministic stand-in for "fast": a double loop over n = 256 units runs at least n²/2 = 32,768 lines,
    whatever the machine's load; speed itself is measured in benchmarks/reference_bench.py.
    """
    lines = 0

    def tracer(frame, event, arg):
        nonlocal lines
        if event == "line":
            lines += 1
        return tracer

    previous = sys.gettrace()
    sys.settrace(tracer)
    try:
        result = fn(*args)
    finally:
        sys.settrace(previous)
    return result, lines


def units_case(case: str, n: int) -> tuple[dict[str, np.ndarray], list[list[int]]]:
    """A 3-layer network whose layer 1 has n units: all identical, all distinct, or unit 2k+1 a copy of unit 2k."""
    rng = np.random.default_rng(0)
    params = {"W1": rng.normal(size=(n, 64)), "b1": rng.normal(size=(n, 1)),
              "W2": rng.normal(size=(n, n)), "b2": np.zeros((n, 1)),
              "W3": rng.normal(size=(1, n)), "b3": np.zeros((1, 1))}
    if case == "identical":
        return constant_params([64, n, n, 1], 0.2, 0.1), [list(range(n))]
    if case == "pairs":
        for k in ("W1", "b1"):
            params[k][1::2] = params[k][::2]
        params["W2"][:, 1::2] = params["W2"][:, ::2]
        return params, [[2 * k, 2 * k + 1] for k in range(n // 2)]
    return params, []


@pytest.mark.parametrize("case", ["identical", "distinct", "pairs"])
@pytest.mark.parametrize("n", [256, 512])
def test_duplicate_units_runs_no_quadratic_python_loop(case, n):
    """Far fewer Python lines than a loop over pairs of units (n²/2); the numbers are compared by NumPy."""
    params, expected = units_case(case, n)
    groups, lines = python_lines(duplicate_units, params, 1)
    assert groups == expected
    assert lines < n * n / 16, lines


def test_the_line_count_sees_a_quadratic_loop():
    """The yardstick above can fail: the O(n²) definition on 256 units runs tens of thousands of lines."""
    params, expected = units_case("pairs", 256)
    F = np.hstack([params["W1"], params["b1"], params["W2"].T])
    groups, lines = python_lines(pairwise_duplicate_groups, F, 1e-8)
    assert groups == expected
    assert lines > 256 * 255 // 2


# --- weight_rank, dead_units, symmetry_report -----------------------------------------------------------------


def test_weight_rank():
    rng = np.random.default_rng(0)
    u, v = rng.normal(size=(5, 1)), rng.normal(size=(1, 3))
    assert weight_rank(np.zeros((4, 3))) == 0
    assert weight_rank(u @ v) == 1
    assert weight_rank(u @ v + rng.normal(size=(5, 1)) @ rng.normal(size=(1, 3))) == 2
    assert weight_rank(rng.normal(size=(5, 3))) == 3
    assert weight_rank(np.full((6, 6), 0.3)) == 1
    assert weight_rank(np.diag([1.0, 1e-3])) == 2
    assert weight_rank(np.diag([1.0, 1e-3]), tol=1e-2) == 1
    assert weight_rank(np.zeros((0, 3))) == 0
    with pytest.raises(ValueError, match="matrix"):
        weight_rank(np.ones(3))


def test_dead_units():
    params = {"W1": np.array([[0.1, 0.1], [0.1, -0.1], [0.0, 0.0], [0.0, 0.0]]),
              "b1": np.array([[-5.0], [5.0], [0.0], [1e-9]]),
              "W2": np.ones((1, 4)), "b2": np.zeros((1, 1))}
    X = np.random.default_rng(0).uniform(-1, 1, size=(2, 50))
    assert dead_units(params, X, ["relu", "sigmoid"], 1) == [0, 2]  # Z ≤ 0 everywhere; Z = 0 counts as dead
    assert dead_units(params, X, ["leaky_relu", "sigmoid"], 1) == []  # leaky units always pass a gradient
    assert dead_units(params, X, ["tanh", "sigmoid"], 1) == []
    assert dead_units(params, X, ["relu", "sigmoid"], 2) == []
    with pytest.raises(ValueError, match="layer"):
        dead_units(params, X, ["relu", "sigmoid"], 3)


def test_symmetry_report_summarises_each_hidden_layer():
    params = planted()
    params["b2"][:] = -100.0  # every unit of layer 2 is dead
    X = np.random.default_rng(1).normal(size=(4, 20))
    report = symmetry_report(params, X, ["relu", "relu", "softmax"])
    rows = report.as_rows()
    assert [r["layer"] for r in rows] == [1, 2]
    first, second = rows
    assert first == {"layer": 1, "units": 8, "duplicate_groups": [[1, 5, 6], [2, 7]], "distinct_units": 5,
                     "rank": 4, "max_rank": 4, "dead_units": dead_units(params, X, ["relu", "relu", "softmax"], 1)}
    assert second["duplicate_groups"] == [] and second["distinct_units"] == 3
    assert second["rank"] == 3 and second["dead_units"] == [0, 1, 2]
    zero = symmetry_report(constant_params([4, 8, 3, 2], 0.0, 0.0), X, ["tanh", "tanh", "softmax"]).as_rows()
    assert [(r["distinct_units"], r["rank"]) for r in zero] == [(1, 0), (1, 0)]
