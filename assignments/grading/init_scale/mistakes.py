"""Typical mistakes in ``init_scale``: a wrong std profile, a He init without (or with a wrong) leaky-ReLU gain, a
wrong orthogonal init, a wrong dead-unit count and misread experiments (forward and backward).

Most mistakes are small changes of the notebook's solution, written as edits of its cell (``MUTANTS.edit``: in this
cell, replace this text with that one), so that they follow the solution when it changes; they run with what the
notebook imports (its helper package's ``forward``, for the std profile). A mistake that is other code is a complete
wrong function, named after its mistake (``MUTANTS.function``; only ``np`` may be used inside). Each entry says which
solution cell it replaces, which test cells must lose points and which words their message must contain.
"""

from __future__ import annotations

import numpy as np

from grader.mutants import MutantSet

MUTANTS = MutantSet()

# --- layer_std_profile ----------------------------------------------------------------------------------------------

MUTANTS.edit(
    name="profile_std_of_activations",
    cell="std_profile",
    replace={"np.std(cache.Z[l])": "np.std(cache.A[l])"},
    targets=("test_profile_values",),
    expect=("pre-activations",),
    description="I measured the std of the activations A_l instead of the pre-activations Z_l",
)

MUTANTS.edit(
    name="profile_variance",
    cell="std_profile",
    replace={"np.std(cache.Z[l])": "np.var(cache.Z[l])"},
    targets=("test_profile_values",),
    expect=("variances",),
    description="I returned np.var of each layer's Z instead of its std",
)

MUTANTS.edit(
    name="profile_per_unit_std",
    cell="std_profile",
    replace={"float(np.std(cache.Z[l]))": "float(np.mean(np.std(cache.Z[l], axis=1)))"},
    targets=("test_profile_values",),
    expect=("all entries",),
    description="I averaged the std of every unit over the examples instead of taking the std of all of Z",
)

MUTANTS.edit(
    name="profile_includes_input",
    cell="std_profile",
    replace={"return [": "return [float(np.std(X))] + ["},
    targets=("test_profile_shape",),
    expect=("not a layer",),
    description="I put the std of the input X first in the list",
)

MUTANTS.edit(
    name="profile_new_rng",
    cell="std_profile",
    replace={"init_fn(layer_dims, rng)\n": "init_fn(layer_dims, np.random.default_rng(0))\n"},
    targets=("test_profile_shape",),
    expect=("rng you were given",),
    description="I made a new generator with a fixed seed for init_fn instead of passing rng on",
)

# --- initialize_parameters_he ---------------------------------------------------------------------------------------

MUTANTS.edit(
    name="he_ignores_negative_slope",
    cell="init_he",
    replace={"gain = np.sqrt(2.0 / (1.0 + negative_slope**2))": "gain = np.sqrt(2.0)"},
    targets=("test_he_spread",),
    expect=("ignored negative_slope",),
    description="I kept He's sqrt(2 / n_prev) and ignored negative_slope",
)

MUTANTS.edit(
    name="he_slope_not_squared",
    cell="init_he",
    replace={"(1.0 + negative_slope**2)": "(1.0 + negative_slope)"},
    targets=("test_he_spread",),
    expect=("must be squared",),
    description="I wrote the gain as sqrt(2 / (1 + a)) without squaring the slope",
)

MUTANTS.edit(
    name="he_leaky_fan_out",
    cell="init_he",
    replace={"gain / np.sqrt(layer_dims[l - 1])": "gain / np.sqrt(layer_dims[l])"},
    targets=("test_he_spread",),
    expect=("fan_out",),
    description="I divided by the size of the layer itself (fan_out) instead of its input size (fan_in)",
)

MUTANTS.edit(
    name="he_leaky_global_rng",
    cell="init_he",
    replace={
        "rng.standard_normal((layer_dims[l], layer_dims[l - 1]))": "np.random.randn(layer_dims[l], layer_dims[l - 1])",
    },
    targets=("test_he_randomness",),
    expect=("global random generator",),
    description="I drew the weights with np.random.randn instead of from rng",
)

# --- orthogonal -----------------------------------------------------------------------------------------------------

MUTANTS.edit(
    name="orthogonal_ignores_gain",
    cell="orthogonal",
    replace={"return gain * Q": "return Q"},
    targets=("test_orthogonal_values",),
    expect=("ignored gain",),
    description="I returned the orthogonal matrix without multiplying it by gain",
)

MUTANTS.edit(
    name="orthogonal_no_sign_fix",
    cell="orthogonal",
    replace={"    Q = Q * np.sign(np.diag(R))\n": ""},
    targets=("test_orthogonal_randomness",),
    expect=("signs of diag(r)",),
    description="I returned the Q of np.linalg.qr as it is, without fixing the signs with diag(R)",
)

MUTANTS.edit(
    name="orthogonal_wide_square_q",
    cell="orthogonal",
    replace={
        "rng.standard_normal((max(rows, cols), min(rows, cols)))": "rng.standard_normal(shape)",
        "    if rows < cols:\n        Q = Q.T\n": "",
    },
    targets=("test_orthogonal_shape",),
    expect=("square q", "transpose it back"),
    description="I took the QR of a (rows, cols) matrix directly, which for rows < cols gives a square Q",
)


@MUTANTS.function(
    cell="orthogonal",
    replaces="orthogonal",
    targets=("test_orthogonal_values",),
    expect=("is not orthogonal",),
    description="I returned a normal matrix scaled by 1 / sqrt(cols), which is only orthogonal on average",
)
def orthogonal_scaled_normal(shape, rng, gain=1.0):
    return gain * rng.standard_normal(shape) / np.sqrt(shape[1])


# --- dead_relu_fraction ---------------------------------------------------------------------------------------------

MUTANTS.edit(
    name="dead_fraction_any_example",
    cell="dead_fraction",
    replace={"np.all(Z <= 0, axis=1)": "np.any(Z <= 0, axis=1)"},
    targets=("test_dead_fraction",),
    expect=("every example",),
    description="I counted a unit as dead when it is off on any example, not on all of them",
)

MUTANTS.edit(
    name="dead_fraction_counts_output_layer",
    cell="dead_fraction",
    replace={"range(1, L)": "range(1, L + 1)"},
    targets=("test_dead_fraction",),
    expect=("output layer",),
    description="I counted the units of the output layer too",
)

MUTANTS.edit(
    name="dead_fraction_mean_of_layers",
    cell="dead_fraction",
    replace={
        "A, dead, total = X, 0, 0": "A, fractions = X, []",
        "dead += int(np.sum(np.all(Z <= 0, axis=1)))": "fractions.append(float(np.mean(np.all(Z <= 0, axis=1))))",
        "        total += Z.shape[0]\n": "",
        "return dead / total": "return float(np.mean(fractions))",
    },
    targets=("test_dead_fraction",),
    expect=("pool the units",),
    description="I averaged the dead fractions of the layers instead of pooling their units",
)

MUTANTS.edit(
    name="dead_fraction_no_relu",
    cell="dead_fraction",
    replace={"A = np.maximum(Z, 0)": "A = Z"},
    targets=("test_dead_fraction",),
    expect=("relu(z_l)",),
    description="I passed Z to the next layer instead of relu(Z)",
)

MUTANTS.edit(
    name="dead_fraction_strict_less",
    cell="dead_fraction",
    replace={"np.all(Z <= 0, axis=1)": "np.all(Z < 0, axis=1)"},
    targets=("test_dead_fraction_edges",),
    expect=("exactly 0",),
    description="I tested Z < 0, so a unit stuck at exactly 0 did not count as dead",
)

# --- answers --------------------------------------------------------------------------------------------------------

MUTANTS.code(
    name="q_xavier_std_factor_for_variance",
    cell="q_depth_answers",
    code="""
        q_xavier_relu_variance_factor = "c"
        q_tanh_gain_one_ratio = "b"
    """,
    targets=("test_q_xavier_factor",),
    expect=("factor of the standard deviation",),
    description="I gave the factor of the std, 1/sqrt(2), where the question asks about the variance",
)

SHRINK_ANSWER = "0.5 ** ((DEPTH - 1) / 2)"
"""The solution's q_xavier_relu_shrink, a formula of the learner's own depth D (DEPTH = P["depth"])."""

MUTANTS.edit(
    name="q_shrink_counts_d_layers",
    cell="q_shrink_answer",
    replace={SHRINK_ANSWER: "0.5 ** (DEPTH / 2)"},
    targets=("test_q_xavier_shrink",),
    expect=("not right for your own experiment", "your d =", "- 1 layers lead from z_1"),
    description="I counted D halvings of the variance from Z_1 to Z_D instead of D - 1",
)

MUTANTS.edit(
    name="q_shrink_halves_the_std",
    cell="q_shrink_answer",
    replace={SHRINK_ANSWER: "0.5 ** (DEPTH - 1)"},
    targets=("test_q_xavier_shrink",),
    expect=("half the exponent of the variance",),
    description="I halved the std at every layer, where Xavier on ReLU halves the variance",
)

MUTANTS.edit(
    name="q_shrink_a_classmates_50_layers",
    cell="q_shrink_answer",
    replace={SHRINK_ANSWER: "1.12e-07"},
    targets=("test_q_xavier_shrink",),
    expect=("not right for your own experiment", "your d ="),
    description="I copied 1.12e-07, the Xavier ratio a 50-layer table printed, instead of working out my own D",
)

MUTANTS.code(
    name="q_backward_fan_in",
    cell="q_backward_answers",
    code="""
        q_backward_weight_std = "a"
        q_tanh_gain_5_3_gradient_ratio = "c"
    """,
    targets=("test_q_backward_std",),
    expect=("keeps the forward variance",),
    description="I chose the fan-in std 1/sqrt(n_(l-1)) to keep the back-propagated gradient",
)

MUTANTS.code(
    name="q_backward_xavier_compromise",
    cell="q_backward_answers",
    code="""
        q_backward_weight_std = "c"
        q_tanh_gain_5_3_gradient_ratio = "c"
    """,
    targets=("test_q_backward_std",),
    expect=("compromise",),
    description="I chose Xavier's std, believing it keeps the backward variance exactly",
)

MUTANTS.code(
    name="q_tanh_gain_5_3_keeps_gradients",
    cell="q_backward_answers",
    code="""
        q_backward_weight_std = "b"
        q_tanh_gain_5_3_gradient_ratio = "a"
    """,
    targets=("test_q_tanh_gradient",),
    expect=("forward ratio", "does not keep the backward"),
    description="I believed the old claim: with gain 5/3 the gradients stay of order 1, like the forward signal",
)

MUTANTS.code(
    name="q_sigmoid_half_saturated",
    cell="q_saturation_answer",
    code="""
        q_sigmoid_saturated_fraction = "b"
    """,
    targets=("test_q_saturated",),
    expect=("sigmoid'(z) < 0.007",),
    description="I guessed that about half of the sigmoid units saturate",
)

MUTANTS.code(
    name="q_small_bias_keeps_units_alive",
    cell="q_bias_answers",
    code="""
        q_most_dead_bias = "c"
        q_small_bias_helps = True
    """,
    targets=("test_q_small_bias",),
    expect=("within a percentage point",),
    description="I believed the folklore that a bias of 0.01 keeps ReLU units alive",
)
