"""Typical mistakes in ``init_scale``: a wrong std profile, a He init without (or with a wrong) leaky-ReLU gain, a
wrong orthogonal init, a wrong dead-unit count and misread experiments (forward and backward).

Each function below is a complete wrong version of a notebook function, named after its mistake; the decorator says
which solution cell it replaces, which test cells must lose points and which words their message must contain. Only
``np`` may be used inside them (each mutant brings its own helpers, so that it fails for its own mistake only).
"""

from __future__ import annotations

import numpy as np

from grader.mutants import MutantSet

MUTANTS = MutantSet()

# --- layer_std_profile ----------------------------------------------------------------------------------------------


@MUTANTS.function(
    cell="std_profile",
    replaces="layer_std_profile",
    targets=("test_profile_values",),
    expect=("pre-activations",),
    description="I measured the std of the activations A_l instead of the pre-activations Z_l",
)
def profile_std_of_activations(layer_dims, init_fn, activation, X, rng):
    g = {"relu": lambda Z: np.maximum(Z, 0), "tanh": np.tanh, "sigmoid": lambda Z: 1 / (1 + np.exp(-Z))}
    g["linear"] = lambda Z: Z
    params = init_fn(layer_dims, rng)
    stds, A = [], X
    for l in range(1, len(layer_dims)):
        A = g[activation](params[f"W{l}"] @ A + params[f"b{l}"])
        stds.append(float(np.std(A)))
    return stds


@MUTANTS.function(
    cell="std_profile",
    replaces="layer_std_profile",
    targets=("test_profile_values",),
    expect=("variances",),
    description="I returned np.var of each layer's Z instead of its std",
)
def profile_variance(layer_dims, init_fn, activation, X, rng):
    g = {"relu": lambda Z: np.maximum(Z, 0), "tanh": np.tanh, "sigmoid": lambda Z: 1 / (1 + np.exp(-Z))}
    g["linear"] = lambda Z: Z
    params = init_fn(layer_dims, rng)
    variances, A = [], X
    for l in range(1, len(layer_dims)):
        Z = params[f"W{l}"] @ A + params[f"b{l}"]
        variances.append(float(np.var(Z)))
        A = g[activation](Z)
    return variances


@MUTANTS.function(
    cell="std_profile",
    replaces="layer_std_profile",
    targets=("test_profile_values",),
    expect=("all entries",),
    description="I averaged the std of every unit over the examples instead of taking the std of all of Z",
)
def profile_per_unit_std(layer_dims, init_fn, activation, X, rng):
    g = {"relu": lambda Z: np.maximum(Z, 0), "tanh": np.tanh, "sigmoid": lambda Z: 1 / (1 + np.exp(-Z))}
    g["linear"] = lambda Z: Z
    params = init_fn(layer_dims, rng)
    stds, A = [], X
    for l in range(1, len(layer_dims)):
        Z = params[f"W{l}"] @ A + params[f"b{l}"]
        stds.append(float(np.mean(np.std(Z, axis=1))))
        A = g[activation](Z)
    return stds


@MUTANTS.function(
    cell="std_profile",
    replaces="layer_std_profile",
    targets=("test_profile_shape",),
    expect=("not a layer",),
    description="I put the std of the input X first in the list",
)
def profile_includes_input(layer_dims, init_fn, activation, X, rng):
    g = {"relu": lambda Z: np.maximum(Z, 0), "tanh": np.tanh, "sigmoid": lambda Z: 1 / (1 + np.exp(-Z))}
    g["linear"] = lambda Z: Z
    params = init_fn(layer_dims, rng)
    stds, A = [float(np.std(X))], X
    for l in range(1, len(layer_dims)):
        Z = params[f"W{l}"] @ A + params[f"b{l}"]
        stds.append(float(np.std(Z)))
        A = g[activation](Z)
    return stds


@MUTANTS.function(
    cell="std_profile",
    replaces="layer_std_profile",
    targets=("test_profile_shape",),
    expect=("rng you were given",),
    description="I made a new generator with a fixed seed for init_fn instead of passing rng on",
)
def profile_new_rng(layer_dims, init_fn, activation, X, rng):
    g = {"relu": lambda Z: np.maximum(Z, 0), "tanh": np.tanh, "sigmoid": lambda Z: 1 / (1 + np.exp(-Z))}
    g["linear"] = lambda Z: Z
    params = init_fn(layer_dims, np.random.default_rng(0))
    stds, A = [], X
    for l in range(1, len(layer_dims)):
        Z = params[f"W{l}"] @ A + params[f"b{l}"]
        stds.append(float(np.std(Z)))
        A = g[activation](Z)
    return stds


# --- initialize_parameters_he ---------------------------------------------------------------------------------------


@MUTANTS.function(
    cell="init_he",
    replaces="initialize_parameters_he",
    targets=("test_he_spread",),
    expect=("ignored negative_slope",),
    description="I kept He's sqrt(2 / n_prev) and ignored negative_slope",
)
def he_ignores_negative_slope(layer_dims, rng, negative_slope=0.0):
    params = {}
    for l in range(1, len(layer_dims)):
        std = np.sqrt(2.0 / layer_dims[l - 1])
        params[f"W{l}"] = rng.standard_normal((layer_dims[l], layer_dims[l - 1])) * std
        params[f"b{l}"] = np.zeros((layer_dims[l], 1))
    return params


@MUTANTS.function(
    cell="init_he",
    replaces="initialize_parameters_he",
    targets=("test_he_spread",),
    expect=("must be squared",),
    description="I wrote the gain as sqrt(2 / (1 + a)) without squaring the slope",
)
def he_slope_not_squared(layer_dims, rng, negative_slope=0.0):
    params = {}
    for l in range(1, len(layer_dims)):
        std = np.sqrt(2.0 / ((1.0 + negative_slope) * layer_dims[l - 1]))
        params[f"W{l}"] = rng.standard_normal((layer_dims[l], layer_dims[l - 1])) * std
        params[f"b{l}"] = np.zeros((layer_dims[l], 1))
    return params


@MUTANTS.function(
    cell="init_he",
    replaces="initialize_parameters_he",
    targets=("test_he_spread",),
    expect=("fan_out",),
    description="I divided by the size of the layer itself (fan_out) instead of its input size (fan_in)",
)
def he_leaky_fan_out(layer_dims, rng, negative_slope=0.0):
    params = {}
    for l in range(1, len(layer_dims)):
        std = np.sqrt(2.0 / ((1.0 + negative_slope**2) * layer_dims[l]))
        params[f"W{l}"] = rng.standard_normal((layer_dims[l], layer_dims[l - 1])) * std
        params[f"b{l}"] = np.zeros((layer_dims[l], 1))
    return params


@MUTANTS.function(
    cell="init_he",
    replaces="initialize_parameters_he",
    targets=("test_he_randomness",),
    expect=("global random generator",),
    description="I drew the weights with np.random.randn instead of from rng",
)
def he_leaky_global_rng(layer_dims, rng, negative_slope=0.0):
    params = {}
    for l in range(1, len(layer_dims)):
        std = np.sqrt(2.0 / ((1.0 + negative_slope**2) * layer_dims[l - 1]))
        params[f"W{l}"] = np.random.randn(layer_dims[l], layer_dims[l - 1]) * std
        params[f"b{l}"] = np.zeros((layer_dims[l], 1))
    return params


# --- orthogonal -----------------------------------------------------------------------------------------------------


@MUTANTS.function(
    cell="orthogonal",
    replaces="orthogonal",
    targets=("test_orthogonal_values",),
    expect=("ignored gain",),
    description="I returned the orthogonal matrix without multiplying it by gain",
)
def orthogonal_ignores_gain(shape, rng, gain=1.0):
    rows, cols = shape
    Q, R = np.linalg.qr(rng.standard_normal((max(rows, cols), min(rows, cols))))
    Q = Q * np.sign(np.diag(R))
    return Q.T if rows < cols else Q


@MUTANTS.function(
    cell="orthogonal",
    replaces="orthogonal",
    targets=("test_orthogonal_randomness",),
    expect=("signs of diag(r)",),
    description="I returned the Q of np.linalg.qr as it is, without fixing the signs with diag(R)",
)
def orthogonal_no_sign_fix(shape, rng, gain=1.0):
    rows, cols = shape
    Q, _ = np.linalg.qr(rng.standard_normal((max(rows, cols), min(rows, cols))))
    return gain * (Q.T if rows < cols else Q)


@MUTANTS.function(
    cell="orthogonal",
    replaces="orthogonal",
    targets=("test_orthogonal_shape",),
    expect=("square q", "transpose it back"),
    description="I took the QR of a (rows, cols) matrix directly, which for rows < cols gives a square Q",
)
def orthogonal_wide_square_q(shape, rng, gain=1.0):
    Q, R = np.linalg.qr(rng.standard_normal(shape))
    return gain * Q * np.sign(np.diag(R))


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


@MUTANTS.function(
    cell="dead_fraction",
    replaces="dead_relu_fraction",
    targets=("test_dead_fraction",),
    expect=("every example",),
    description="I counted a unit as dead when it is off on any example, not on all of them",
)
def dead_fraction_any_example(params, X):
    L = len(params) // 2
    A, dead, total = X, 0, 0
    for l in range(1, L):
        Z = params[f"W{l}"] @ A + params[f"b{l}"]
        dead += int(np.sum(np.any(Z <= 0, axis=1)))
        total += Z.shape[0]
        A = np.maximum(Z, 0)
    return dead / total


@MUTANTS.function(
    cell="dead_fraction",
    replaces="dead_relu_fraction",
    targets=("test_dead_fraction",),
    expect=("output layer",),
    description="I counted the units of the output layer too",
)
def dead_fraction_counts_output_layer(params, X):
    L = len(params) // 2
    A, dead, total = X, 0, 0
    for l in range(1, L + 1):
        Z = params[f"W{l}"] @ A + params[f"b{l}"]
        dead += int(np.sum(np.all(Z <= 0, axis=1)))
        total += Z.shape[0]
        A = np.maximum(Z, 0)
    return dead / total


@MUTANTS.function(
    cell="dead_fraction",
    replaces="dead_relu_fraction",
    targets=("test_dead_fraction",),
    expect=("pool the units",),
    description="I averaged the dead fractions of the layers instead of pooling their units",
)
def dead_fraction_mean_of_layers(params, X):
    L = len(params) // 2
    A, fractions = X, []
    for l in range(1, L):
        Z = params[f"W{l}"] @ A + params[f"b{l}"]
        fractions.append(float(np.mean(np.all(Z <= 0, axis=1))))
        A = np.maximum(Z, 0)
    return float(np.mean(fractions))


@MUTANTS.function(
    cell="dead_fraction",
    replaces="dead_relu_fraction",
    targets=("test_dead_fraction",),
    expect=("relu(z_l)",),
    description="I passed Z to the next layer instead of relu(Z)",
)
def dead_fraction_no_relu(params, X):
    L = len(params) // 2
    A, dead, total = X, 0, 0
    for l in range(1, L):
        Z = params[f"W{l}"] @ A + params[f"b{l}"]
        dead += int(np.sum(np.all(Z <= 0, axis=1)))
        total += Z.shape[0]
        A = Z
    return dead / total


@MUTANTS.function(
    cell="dead_fraction",
    replaces="dead_relu_fraction",
    targets=("test_dead_fraction_edges",),
    expect=("exactly 0",),
    description="I tested Z < 0, so a unit stuck at exactly 0 did not count as dead",
)
def dead_fraction_strict_less(params, X):
    L = len(params) // 2
    A, dead, total = X, 0, 0
    for l in range(1, L):
        Z = params[f"W{l}"] @ A + params[f"b{l}"]
        dead += int(np.sum(np.all(Z < 0, axis=1)))
        total += Z.shape[0]
        A = np.maximum(Z, 0)
    return dead / total


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
