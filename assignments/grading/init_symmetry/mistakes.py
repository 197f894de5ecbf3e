"""Typical mistakes in ``init_symmetry``: wrong init functions (the shared helper and the named inits), wrong
duplicate finders and misconceived answers.

Most mistakes are small changes of the notebook's solution, written as edits of its cell (``MUTANTS.edit``: in this
cell, replace this text with that one), so that they follow the solution when it changes. A mistake that is other
code is a complete wrong function, named after its mistake (``MUTANTS.function``; only ``np``, imported by the
notebook's first cell, may be used inside). Each entry says which solution cell it replaces, which test cells must
lose points and which words their message must contain.
"""

from __future__ import annotations

import numpy as np

from grader.mutants import MutantSet

MUTANTS = MutantSet()

# --- initialize_parameters_zeros ----------------------------------------------------------------------------------

MUTANTS.edit(
    name="zeros_int_dtype",
    cell="init_zeros",
    replace={
        "np.zeros((layer_dims[l], layer_dims[l - 1]))": "np.zeros((layer_dims[l], layer_dims[l - 1]), dtype=int)",
        "np.zeros((layer_dims[l], 1))": "np.zeros((layer_dims[l], 1), dtype=int)",
    },
    targets=("test_zeros",),
    expect=("dtype", "float64"),
    description="I built the zero matrices with dtype=int",
)

MUTANTS.edit(
    name="zeros_bias_1d",
    cell="init_zeros",
    replace={"np.zeros((layer_dims[l], 1))": "np.zeros(layer_dims[l])"},
    targets=("test_zeros",),
    expect=("column",),
    description="I made the biases 1-D vectors np.zeros(n_l) instead of columns (n_l, 1)",
)

# --- initialize_parameters_from_stds ------------------------------------------------------------------------------

MUTANTS.edit(
    name="from_stds_first_std_everywhere",
    cell="init_from_stds",
    replace={"* w_std if": "* weight_stds[0] if", "* b_std if": "* bias_stds[0] if"},
    targets=("test_from_stds_spread",),
    expect=("first layer's std",),
    description="I used weight_stds[0] and bias_stds[0] for every layer",
)

MUTANTS.edit(
    name="from_stds_std_as_mean",
    cell="init_from_stds",
    replace={
        "rng.standard_normal(shape_W) * w_std": "rng.normal(w_std, size=shape_W)",
        "rng.standard_normal(shape_b) * b_std": "rng.normal(b_std, size=shape_b)",
    },
    targets=("test_from_stds_spread",),
    expect=("as the mean",),
    description="I wrote rng.normal(std, size=shape), thinking its first argument is the standard deviation",
)

MUTANTS.edit(
    name="from_stds_squared",
    cell="init_from_stds",
    replace={"* w_std if": "* w_std**2 if", "* b_std if": "* b_std**2 if"},
    targets=("test_from_stds_spread",),
    expect=("not variances",),
    description="I multiplied the standard normal numbers by the square of the std",
)

MUTANTS.edit(
    name="from_stds_draws_zero_parts",
    cell="init_from_stds",
    replace={" if w_std > 0 else np.zeros(shape_W)": "", " if b_std > 0 else np.zeros(shape_b)": ""},
    targets=("test_from_stds_randomness",),
    expect=("std is 0", "np.zeros"),
    description="I drew every part and multiplied it by its std, also the parts whose std is 0",
)

MUTANTS.edit(
    name="from_stds_ignores_bias_stds",
    cell="init_from_stds",
    replace={"rng.standard_normal(shape_b) * b_std if b_std > 0 else np.zeros(shape_b)": "np.zeros(shape_b)"},
    targets=("test_from_stds_shapes",),
    expect=("all zeros although bias_stds",),
    description="I started every bias at zero, whatever bias_stds says",
)

MUTANTS.edit(
    name="from_stds_transposed",
    cell="init_from_stds",
    replace={"= (layer_dims[l], layer_dims[l - 1]),": "= (layer_dims[l - 1], layer_dims[l]),"},
    targets=("test_from_stds_shapes",),
    expect=("transposed",),
    description="I made W_l of shape (n_prev, n) instead of (n, n_prev)",
)

MUTANTS.edit(
    name="from_stds_reseeded_per_layer",
    cell="init_from_stds",
    replace={
        "    params = {}\n": "    seed = int(rng.integers(2**31))\n    params = {}\n",
        "        shape_W, shape_b": "        rng = np.random.default_rng(seed)\n        shape_W, shape_b",
    },
    targets=("test_from_stds_randomness",),
    expect=("same random numbers", "reseeded"),
    description="I made a new generator with the same seed for every layer",
)

MUTANTS.edit(
    name="from_stds_global_np_random",
    cell="init_from_stds",
    replace={
        "rng.standard_normal(shape_W)": "np.random.randn(*shape_W)",
        "rng.standard_normal(shape_b)": "np.random.randn(*shape_b)",
    },
    targets=("test_from_stds_randomness",),
    expect=("global random generator",),
    description="I drew with np.random.randn instead of the rng I was given",
)

# --- initialize_parameters_random ---------------------------------------------------------------------------------

MUTANTS.edit(
    name="random_ignores_scale",
    cell="init_random",
    replace={"[scale] * L": "[0.01] * L"},
    targets=("test_random",),
    expect=("scale argument",),
    description="I wrote 0.01 into the code instead of using the scale argument",
)


@MUTANTS.function(
    cell="init_random",
    replaces="initialize_parameters_random",
    targets=("test_random",),
    expect=("single number", "size="),
    description="I passed the shape to rng.normal as two numbers, which it reads as mean and std",
)
def random_normal_args_as_shape(layer_dims, rng, scale=0.01):
    params = {}
    for l in range(1, len(layer_dims)):
        params[f"W{l}"] = rng.normal(layer_dims[l], layer_dims[l - 1]) * scale
        params[f"b{l}"] = np.zeros((layer_dims[l], 1))
    return params


@MUTANTS.function(
    cell="init_random",
    replaces="initialize_parameters_random",
    targets=("test_random",),
    expect=("identical", "symmetry is not broken"),
    description="I gave every weight the same small value scale instead of a random one",
)
def random_constant(layer_dims, rng, scale=0.01):
    params = {}
    for l in range(1, len(layer_dims)):
        params[f"W{l}"] = np.full((layer_dims[l], layer_dims[l - 1]), scale)
        params[f"b{l}"] = np.zeros((layer_dims[l], 1))
    return params


# --- initialize_parameters_xavier ---------------------------------------------------------------------------------

MUTANTS.edit(
    name="xavier_variance_as_std",
    cell="init_xavier",
    replace={"np.sqrt(2.0 / (layer_dims[l - 1] + layer_dims[l]))": "2.0 / (layer_dims[l - 1] + layer_dims[l])"},
    targets=("test_xavier",),
    expect=("variance", "square root"),
    description="I gave rng.normal the variance 2/(n_prev + n) where it wants the standard deviation",
)


@MUTANTS.function(
    cell="init_xavier",
    replaces="initialize_parameters_xavier",
    targets=("test_xavier",),
    expect=("uniform",),
    description="I drew Xavier weights from a uniform distribution instead of a normal one",
)
def xavier_uniform_for_normal(layer_dims, rng):
    params = {}
    for l in range(1, len(layer_dims)):
        bound = np.sqrt(6.0 / (layer_dims[l - 1] + layer_dims[l]))
        params[f"W{l}"] = rng.uniform(-bound, bound, size=(layer_dims[l], layer_dims[l - 1]))
        params[f"b{l}"] = np.zeros((layer_dims[l], 1))
    return params


MUTANTS.edit(
    name="xavier_uses_he_formula",
    cell="init_xavier",
    replace={"np.sqrt(2.0 / (layer_dims[l - 1] + layer_dims[l]))": "np.sqrt(2.0 / layer_dims[l - 1])"},
    targets=("test_xavier",),
    expect=("He's formula",),
    description="I used He's std sqrt(2/n_prev) for Xavier",
)


@MUTANTS.function(
    cell="init_xavier",
    replaces="initialize_parameters_xavier",
    targets=("test_xavier",),
    expect=("same random numbers", "reseeded"),
    description="I made a fresh generator with the same seed for every layer, so every layer repeats the numbers",
)
def xavier_reseeded_per_layer(layer_dims, rng):
    seed = int(rng.integers(2**31))
    params = {}
    for l in range(1, len(layer_dims)):
        layer_rng = np.random.default_rng(seed)
        std = np.sqrt(2.0 / (layer_dims[l - 1] + layer_dims[l]))
        params[f"W{l}"] = layer_rng.standard_normal((layer_dims[l], layer_dims[l - 1])) * std
        params[f"b{l}"] = np.zeros((layer_dims[l], 1))
    return params


# --- initialize_parameters_he -------------------------------------------------------------------------------------

MUTANTS.edit(
    name="he_fan_out",
    cell="init_he",
    replace={"np.sqrt(2.0 / layer_dims[l - 1])": "np.sqrt(2.0 / layer_dims[l])"},
    targets=("test_he",),
    expect=("fan_out",),
    description="I divided by the size of the layer itself (fan_out) instead of the size of its input (fan_in)",
)

MUTANTS.edit(
    name="he_missing_sqrt",
    cell="init_he",
    replace={"np.sqrt(2.0 / layer_dims[l - 1])": "2.0 / layer_dims[l - 1]"},
    targets=("test_he",),
    expect=("square root is missing",),
    description="I multiplied by 2/n_prev and forgot the square root",
)

MUTANTS.edit(
    name="he_kept_small_scale",
    cell="init_he",
    replace={"np.sqrt(2.0 / layer_dims[l - 1])": "0.01"},
    targets=("test_he",),
    expect=("0.01",),
    description="I kept the 0.01 scale of random init for He",
)


@MUTANTS.function(
    cell="init_he",
    replaces="initialize_parameters_he",
    targets=("test_he",),
    expect=("transposed",),
    description="I made W_l of shape (n_prev, n) instead of (n, n_prev)",
)
def he_transposed_shapes(layer_dims, rng):
    params = {}
    for l in range(1, len(layer_dims)):
        std = np.sqrt(2.0 / layer_dims[l - 1])
        params[f"W{l}"] = rng.standard_normal((layer_dims[l - 1], layer_dims[l])) * std
        params[f"b{l}"] = np.zeros((layer_dims[l], 1))
    return params


MUTANTS.edit(
    name="he_random_biases",
    cell="init_he",
    replace={"stds, [0.0] * L)": "stds, stds)"},
    targets=("test_he",),
    expect=("must start at zero",),
    description="I gave the biases random values too, although He init starts them at zero",
)


@MUTANTS.function(
    cell="init_he",
    replaces="initialize_parameters_he",
    targets=("test_he",),
    expect=("separate numbers",),
    description="I called np.random.randn with the shape as a tuple, randn((n, n_prev))",
)
def he_randn_tuple_shape(layer_dims, rng):
    params = {}
    for l in range(1, len(layer_dims)):
        std = np.sqrt(2.0 / layer_dims[l - 1])
        params[f"W{l}"] = np.random.randn((layer_dims[l], layer_dims[l - 1])) * std
        params[f"b{l}"] = np.zeros((layer_dims[l], 1))
    return params


@MUTANTS.function(
    cell="init_he",
    replaces="initialize_parameters_he",
    targets=("test_he",),
    expect=("global random generator",),
    description="I used np.random.randn instead of the rng I was given",
)
def he_global_np_random(layer_dims, rng):
    params = {}
    for l in range(1, len(layer_dims)):
        std = np.sqrt(2.0 / layer_dims[l - 1])
        params[f"W{l}"] = np.random.randn(layer_dims[l], layer_dims[l - 1]) * std
        params[f"b{l}"] = np.zeros((layer_dims[l], 1))
    return params


MUTANTS.edit(
    name="he_ignores_rng",
    cell="init_he",
    replace={"    L = len(layer_dims) - 1\n": "    rng = np.random.default_rng(0)\n    L = len(layer_dims) - 1\n"},
    targets=("test_he",),
    expect=("do not change when rng changes",),
    description="I made my own generator np.random.default_rng(0) instead of using rng",
)


@MUTANTS.function(
    cell="init_he",
    replaces="initialize_parameters_he",
    targets=("test_he",),
    expect=("identical",),
    description="I drew one random row and repeated it for every unit of the layer",
)
def he_same_row_every_unit(layer_dims, rng):
    params = {}
    for l in range(1, len(layer_dims)):
        std = np.sqrt(2.0 / layer_dims[l - 1])
        row = rng.standard_normal((1, layer_dims[l - 1])) * std
        params[f"W{l}"] = np.repeat(row, layer_dims[l], axis=0)
        params[f"b{l}"] = np.zeros((layer_dims[l], 1))
    return params


@MUTANTS.function(
    cell="init_he",
    replaces="initialize_parameters_he",
    targets=("test_he", "test_training"),
    expect=("identical",),
    description="I set every weight to the He standard deviation itself, a constant",
)
def he_constant(layer_dims, rng):
    params = {}
    for l in range(1, len(layer_dims)):
        std = np.sqrt(2.0 / layer_dims[l - 1])
        params[f"W{l}"] = np.full((layer_dims[l], layer_dims[l - 1]), std)
        params[f"b{l}"] = np.zeros((layer_dims[l], 1))
    return params


# --- initialize_parameters_zero_weights_random_bias --------------------------------------------------------------

MUTANTS.edit(
    name="zero_weights_ignores_scale",
    cell="init_zero_weights_random_bias",
    replace={"[scale] * L": "[1.0] * L"},
    targets=("test_zero_weights",),
    expect=("scale argument",),
    description="I drew standard normal biases and forgot to multiply them by scale",
)


@MUTANTS.function(
    cell="init_zero_weights_random_bias",
    replaces="initialize_parameters_zero_weights_random_bias",
    targets=("test_zero_weights",),
    expect=("centred on 0",),
    description="I used rng.random, which draws from [0, 1), for normal biases",
)
def zero_weights_uniform_01_bias(layer_dims, rng, scale=1.0):
    params = {}
    for l in range(1, len(layer_dims)):
        params[f"W{l}"] = np.zeros((layer_dims[l], layer_dims[l - 1]))
        params[f"b{l}"] = rng.random((layer_dims[l], 1)) * scale
    return params


MUTANTS.edit(
    name="zero_weights_stds_swapped",
    cell="init_zero_weights_random_bias",
    replace={"[0.0] * L, [scale] * L": "[scale] * L, [0.0] * L"},
    targets=("test_zero_weights",),
    expect=("must start at zero",),
    description="I passed the stds to initialize_parameters_from_stds the wrong way round: random weights, zero biases",
)

# --- find_duplicate_units -----------------------------------------------------------------------------------------

MUTANTS.edit(
    name="duplicates_ignore_biases",
    cell="find_duplicates",
    replace={", np.asarray(b, dtype=float).reshape(-1, 1)]": "]"},
    targets=("test_duplicates_rows_and_biases",),
    expect=("compare the biases",),
    description="I compared only the rows of W and forgot the biases",
)

MUTANTS.edit(
    name="duplicates_ignore_next_layer",
    cell="find_duplicates",
    replace={"    if W_next is not None:\n        units.append(np.asarray(W_next, dtype=float).T)\n": ""},
    targets=("test_duplicates_next_layer",),
    expect=("ignored W_next",),
    description="I never looked at W_next, the outgoing weights",
)

MUTANTS.edit(
    name="duplicates_compare_columns",
    cell="find_duplicates",
    replace={"U = np.hstack(units)": "U = np.asarray(W, dtype=float).T"},
    targets=("test_duplicates_rows_and_biases",),
    expect=("columns of W",),
    description="I compared the columns of W, as if a unit were a column",
)

MUTANTS.edit(
    name="duplicates_exact_equality",
    cell="find_duplicates",
    replace={"np.max(np.abs(U[i] - U[j])) <= tol": "np.array_equal(U[i], U[j])"},
    targets=("test_duplicates_tolerance",),
    expect=("exact equality",),
    description="I compared units with == and ignored tol",
)

MUTANTS.edit(
    name="duplicates_allclose_default_rtol",
    cell="find_duplicates",
    replace={"np.max(np.abs(U[i] - U[j])) <= tol": "np.allclose(U[i], U[j], atol=tol)"},
    targets=("test_duplicates_tolerance",),
    expect=("np.allclose",),
    description="I used np.allclose(a, c, atol=tol), which also allows a relative difference of 1e-5",
)

MUTANTS.edit(
    name="duplicates_keep_singletons",
    cell="find_duplicates",
    replace={"return [members for members in groups.values() if len(members) >= 2]": "return list(groups.values())"},
    targets=("test_duplicates_rows_and_biases",),
    expect=("no twin",),
    description="I returned every unit's group, also the units that have no twin",
)


@MUTANTS.function(
    cell="find_duplicates",
    replaces="find_duplicate_units",
    targets=("test_duplicates_rows_and_biases",),
    expect=("pairs",),
    description="I returned every pair of equal units instead of one group per set of equal units",
)
def duplicates_pairs_not_groups(W, b, W_next=None, tol=1e-8):
    parts = [W, b] if W_next is None else [W, b, W_next.T]
    U = np.hstack(parts)
    pairs = []
    for i in range(U.shape[0]):
        for j in range(i + 1, U.shape[0]):
            if np.max(np.abs(U[i] - U[j])) <= tol:
                pairs.append([i, j])
    return pairs


MUTANTS.edit(
    name="duplicates_first_earlier_match",
    cell="find_duplicates",
    replace=[
        ("group_of[i] != group_of[j] and np.max", "np.max"),
        (
            "                keep, merged = min(group_of[i], group_of[j]), max(group_of[i], group_of[j])\n"
            "                group_of = [keep if g == merged else g for g in group_of]  # join the two groups\n",
            "                group_of[i] = group_of[j]\n                break\n",
        ),
    ],
    targets=("test_duplicates_chains",),
    expect=("depend on how the units are numbered",),
    description="I put each unit in the group of the first earlier unit within tol",
)


@MUTANTS.function(
    cell="find_duplicates",
    replaces="find_duplicate_units",
    targets=("test_duplicates_chains",),
    expect=("first member",),
    description="I compared each unit with the first unit of each group found so far",
)
def duplicates_first_member_only(W, b, W_next=None, tol=1e-8):
    parts = [W, b] if W_next is None else [W, b, W_next.T]
    U = np.hstack(parts)
    groups = []
    for i in range(U.shape[0]):
        for group in groups:
            if np.max(np.abs(U[i] - U[group[0]])) <= tol:
                group.append(i)
                break
        else:
            groups.append([i])
    return [g for g in groups if len(g) >= 2]


# --- answers -------------------------------------------------------------------------------------------------------

MUTANTS.edit(
    name="q1_W1_moves_at_update_1",
    cell="q1_answers",
    replace={'q1_first_step_W1_moves = P["depth"]': "q1_first_step_W1_moves = 1"},
    targets=("test_q1_first_step",),
    expect=("W2 is still all zeros",),
    description="I thought W1 moves at the first update because the biases are random",
)

MUTANTS.edit(
    name="q1_W1_moves_once_per_hidden_layer",
    cell="q1_answers",
    replace={'q1_first_step_W1_moves = P["depth"]': 'q1_first_step_W1_moves = P["depth"] - 1'},
    targets=("test_q1_first_step",),
    expect=("your network has depth L =", "one update later for every layer"),
    description="I counted one update per hidden layer, L - 1, forgetting that the output layer's W_L moves first",
)

MUTANTS.edit(
    name="q1_W1_moves_at_update_2_of_a_2_10_1_net",
    cell="q1_answers",
    replace={'q1_first_step_W1_moves = P["depth"]': "q1_first_step_W1_moves = 2"},
    targets=("test_q1_first_step",),
    expect=("one hidden layer", "your network has depth L ="),
    description="I answered 2, a classmate's answer for a 2-10-1 network (one hidden layer), not my own network's",
)

MUTANTS.edit(
    name="q1_W1_full_rank_after_first_move",
    cell="q1_answers",
    replace={"q1_rank_W1_after_first_move = 1": "q1_rank_W1_after_first_move = 2"},
    targets=("test_q1_rank",),
    expect=("multiples of one row",),
    description="I thought W1, 2 columns wide, has rank 2 as soon as it moves, since its units have different biases",
)

MUTANTS.code(
    name="q2_rows_and_biases_suffice",
    cell="q2_answers",
    code="""
        q2_symmetry_condition = "b"
        q2_across_layers_matters = False
    """,
    targets=("test_q2_condition",),
    expect=("outgoing columns",),
    description="I thought equal rows and biases are enough for two units to stay identical",
)

MUTANTS.code(
    name="q3_columns_are_examples",
    cell="q3_answers",
    code="""
        q3_columns_are_examples = True
        q3_columns_stay_equal = "c"
    """,
    targets=("test_q3_columns_are_examples",),
    expect=("FEATURES",),
    description="I believed, as the forum thread did, that the columns of W1 are training examples",
)

MUTANTS.code(
    name="q1_tanh_zero_init_moves",
    cell="q1_zeros_answers",
    code="""
        q1_zeros_tanh_weights_move = True
    """,
    targets=("test_q1_zeros_tanh",),
    expect=("tanh(0) = 0",),
    description="I thought tanh'(0) = 1 lets the weights of an all-zero network move",
)

MUTANTS.code(
    name="q1_long_run_adds_a_direction",
    cell="q1_moons_answers",
    code="""
        q1_rank_W1_after_many_updates = 2
    """,
    targets=("test_q1_rank_moons",),
    expect=("one direction",),
    description="I thought that, given enough updates, W1 would reach its full rank 2 (it works in the long run)",
)

MUTANTS.code(
    name="q3_only_identical_units_keep_columns",
    cell="q3_answers",
    code="""
        q3_columns_are_examples = False
        q3_columns_stay_equal = "b"
    """,
    targets=("test_q3_columns_stay_equal",),
    expect=("dead",),
    description="I thought equal columns of W2 stay equal only when the units of layer 1 are identical",
)
