"""Typical mistakes in ``backprop``: wrong layer functions, wrong whole-network passes, a wrong gradient checker and
misread experiments.

Most mistakes are small changes of the notebook's solution, written as edits of its cell (``MUTANTS.edit``: in this
cell, replace this text with that one), so that they follow the solution when it changes; they run with the rest of
the solution around them, so each fails for its own mistake only. A mistake that is other code is a complete wrong
function, named after its mistake (``MUTANTS.function``; only ``np`` may be used inside, and it brings its own
helpers). Each entry says which solution cell it replaces, which test cells must lose points and which words their
message must contain.
"""

from __future__ import annotations

import numpy as np

from grader.mutants import MutantSet

MUTANTS = MutantSet()

# --- linear_forward / linear_backward -----------------------------------------------------------------------------

MUTANTS.edit(
    name="linear_forward_no_bias",
    cell="linear_forward",
    replace={"Z = W @ A_prev + b": "Z = W @ A_prev"},
    targets=("test_linear_forward",),
    expect=("forgot to add the bias",),
    description="I computed Z = W A_prev and forgot the bias",
)

MUTANTS.edit(
    name="linear_backward_dW_transposed",
    cell="linear_backward",
    replace={"dW = dZ @ A_prev.T": "dW = A_prev @ dZ.T"},
    targets=("test_linear_backward_shapes",),
    expect=("transposed",),
    description="I computed dW = A_prev dZ^T, the transpose of the gradient",
)

MUTANTS.edit(
    name="linear_backward_db_no_keepdims",
    cell="linear_backward",
    replace={"np.sum(dZ, axis=1, keepdims=True)": "np.sum(dZ, axis=1)"},
    targets=("test_linear_backward_shapes",),
    expect=("keepdims=True",),
    description="I summed dZ over axis 1 without keepdims, so db came out 1-D",
)

MUTANTS.edit(
    name="linear_backward_db_wrong_axis",
    cell="linear_backward",
    replace={"np.sum(dZ, axis=1, keepdims=True)": "np.sum(dZ, axis=0, keepdims=True)"},
    targets=("test_linear_backward_shapes",),
    expect=("axis 0", "examples"),
    description="I summed dZ over axis 0 (the units) instead of over the examples",
)

MUTANTS.edit(
    name="linear_backward_divides_by_m",
    cell="linear_backward",
    replace={
        "    dW = dZ @ A_prev.T\n": "    m = A_prev.shape[1]\n    dW = dZ @ A_prev.T / m\n",
        "db = np.sum(dZ, axis=1, keepdims=True)": "db = np.sum(dZ, axis=1, keepdims=True) / m",
    },
    targets=("test_linear_backward_values",),
    expect=("divided by m", "mean loss"),
    description="I divided dW and db by m in linear_backward, as another course does, though dZ already has the 1/m",
)

# --- activation backward passes -----------------------------------------------------------------------------------

MUTANTS.edit(
    name="sigmoid_backward_Z_as_A",
    cell="sigmoid_backward",
    replace={"return dA * s * (1 - s)": "return dA * Z * (1 - Z)"},
    targets=("test_sigmoid_backward",),
    expect=("used z where the formula needs a",),
    description="I wrote dA * Z * (1 - Z), putting Z where the formula a(1 - a) needs a = sigmoid(Z)",
)

MUTANTS.edit(
    name="sigmoid_backward_in_place",
    cell="sigmoid_backward",
    replace={"return dA * s * (1 - s)": "dA *= s * (1 - s)\n    return dA"},
    targets=("test_sigmoid_backward",),
    expect=("in place",),
    description="I multiplied dA in place (dA *= ...) and returned it, which changes the caller's array",
)

MUTANTS.edit(
    name="tanh_backward_at_A",
    cell="tanh_backward",
    replace={"return dA * (1 - np.tanh(Z) ** 2)": "A = np.tanh(Z)\n    return dA * (1 - np.tanh(A) ** 2)"},
    targets=("test_tanh_backward",),
    expect=("derivative at a = g(z) instead of at z",),
    description="I took the derivative at A = tanh(Z): 1 - tanh(A)^2 instead of 1 - tanh(Z)^2",
)

MUTANTS.edit(
    name="relu_backward_in_place",
    cell="relu_backward",
    replace={"return dA * (Z > 0)": "dA[Z <= 0] = 0\n    return dA"},
    targets=("test_relu_backward",),
    expect=("in place",),
    description="I set dA[Z <= 0] = 0 and returned dA, which changes the caller's array",
)

MUTANTS.edit(
    name="relu_backward_times_relu",
    cell="relu_backward",
    replace={"return dA * (Z > 0)": "return dA * np.maximum(Z, 0)"},
    targets=("test_relu_backward",),
    expect=("max(0, z) itself",),
    description="I multiplied dA by relu(Z) instead of by the derivative of relu",
)

# --- model_forward / model_backward -------------------------------------------------------------------------------

MUTANTS.edit(
    name="model_forward_no_output_activation",
    cell="model_forward",
    replace={"A = ACTIVATION_FORWARD[name](Z)": "A = ACTIVATION_FORWARD[name](Z) if l < len(activations) else Z"},
    targets=("test_model_forward",),
    expect=("apply the last layer's activation",),
    description="I returned the last layer's Z as AL, without its sigmoid",
)


@MUTANTS.function(
    cell="model_backward",
    replaces="model_backward",
    targets=("test_model_backward_values",),
    expect=("1/m is missing",),
    description="I started from dZL = AL - Y and forgot that the loss is a mean over the m examples",
)
def model_backward_missing_1_over_m(AL, Y, caches, activations):
    derivative = {
        "sigmoid": lambda Z: np.exp(-Z) / (1 + np.exp(-Z)) ** 2,
        "relu": lambda Z: (Z > 0).astype(float),
        "tanh": lambda Z: 1 - np.tanh(Z) ** 2,
    }
    grads = {}
    dZ = AL - Y
    for l in range(len(caches), 0, -1):
        (A_prev, W, _), _ = caches[l - 1]
        grads[f"dW{l}"] = dZ @ A_prev.T
        grads[f"db{l}"] = np.sum(dZ, axis=1, keepdims=True)
        if l > 1:
            dZ = (W.T @ dZ) * derivative[activations[l - 2]](caches[l - 2][1])
    return grads


@MUTANTS.function(
    cell="model_backward",
    replaces="model_backward",
    targets=("test_model_backward_values",),
    expect=("in place",),
    description="I wrote dZ = AL; dZ -= Y; dZ /= m, which changes AL itself",
)
def model_backward_mutates_AL(AL, Y, caches, activations):
    derivative = {
        "sigmoid": lambda Z: np.exp(-Z) / (1 + np.exp(-Z)) ** 2,
        "relu": lambda Z: (Z > 0).astype(float),
        "tanh": lambda Z: 1 - np.tanh(Z) ** 2,
    }
    grads = {}
    dZ = AL
    dZ -= Y
    dZ /= Y.shape[1]
    for l in range(len(caches), 0, -1):
        (A_prev, W, _), _ = caches[l - 1]
        grads[f"dW{l}"] = dZ @ A_prev.T
        grads[f"db{l}"] = np.sum(dZ, axis=1, keepdims=True)
        if l > 1:
            dZ = (W.T @ dZ) * derivative[activations[l - 2]](caches[l - 2][1])
    return grads


@MUTANTS.function(
    cell="model_backward",
    replaces="model_backward",
    targets=("test_model_backward_values",),
    expect=("activations[l-1] for layer l",),
    description="Going down the layers I used the activation of the layer above (activations[l - 1] for layer l - 1)",
)
def model_backward_wrong_layer_activation(AL, Y, caches, activations):
    derivative = {
        "sigmoid": lambda Z: np.exp(-Z) / (1 + np.exp(-Z)) ** 2,
        "relu": lambda Z: (Z > 0).astype(float),
        "tanh": lambda Z: 1 - np.tanh(Z) ** 2,
    }
    grads = {}
    dZ = (AL - Y) / Y.shape[1]
    for l in range(len(caches), 0, -1):
        (A_prev, W, _), _ = caches[l - 1]
        grads[f"dW{l}"] = dZ @ A_prev.T
        grads[f"db{l}"] = np.sum(dZ, axis=1, keepdims=True)
        if l > 1:
            dZ = (W.T @ dZ) * derivative[activations[l - 1]](caches[l - 2][1])
    return grads


# --- numerical_gradient / relative_difference ----------------------------------------------------------------------

MUTANTS.edit(
    name="numerical_gradient_one_sided",
    cell="numerical_gradient",
    replace={"(f(x_plus) - f(x_minus)) / (2 * eps)": "(f(x_plus) - f(x)) / eps"},
    targets=("test_numerical_gradient_values",),
    expect=("one-sided",),
    description="I used (f(x + eps) - f(x)) / eps, a one-sided difference",
)

MUTANTS.edit(
    name="numerical_gradient_divides_by_eps",
    cell="numerical_gradient",
    replace={"/ (2 * eps)": "/ eps"},
    targets=("test_numerical_gradient_values",),
    expect=("2 * eps",),
    description="I divided f(x + eps) - f(x - eps) by eps instead of 2 eps",
)

MUTANTS.edit(
    name="numerical_gradient_ignores_eps",
    cell="numerical_gradient",
    replace={"x_plus[i] += eps": "x_plus[i] += 1e-5", "x_minus[i] -= eps": "x_minus[i] -= 1e-5", "(2 * eps)": "2e-5"},
    targets=("test_numerical_gradient_values",),
    expect=("ignored the eps argument",),
    description="I wrote the step 1e-5 into the code instead of using eps",
)


@MUTANTS.function(
    cell="numerical_gradient",
    replaces="numerical_gradient",
    targets=("test_numerical_gradient_input",),
    expect=("in place", "not the same"),
    description="I moved x[i] in place by +eps and -2 eps and never put it back",
)
def numerical_gradient_leaves_x_perturbed(f, x, eps=1e-5):
    grad = np.zeros(x.shape)
    for i in np.ndindex(x.shape):
        x[i] += eps
        f_plus = f(x)
        x[i] -= 2 * eps
        f_minus = f(x)
        grad[i] = (f_plus - f_minus) / (2 * eps)
    return grad


MUTANTS.edit(
    name="relative_difference_divides_by_grad",
    cell="relative_difference",
    replace={"denominator = np.linalg.norm(grad) + np.linalg.norm(grad_approx)": "denominator = np.linalg.norm(grad)"},
    targets=("test_relative_difference",),
    expect=("denominator",),
    description="I divided ||grad - grad_approx|| by ||grad|| only",
)

MUTANTS.edit(
    name="relative_difference_nan_when_both_zero",
    cell="relative_difference",
    replace={"    if denominator == 0:\n        return 0.0\n": ""},
    targets=("test_relative_difference",),
    expect=("both gradients are all zeros", "nan"),
    description="I did not think of two zero gradients, where the formula gives 0 / 0 = nan",
)


# --- answers -------------------------------------------------------------------------------------------------------

MUTANTS.code(
    name="q_centered_error_like_one_sided",
    cell="q_eps_answers",
    code="""
        q_centered_error_factor = "b"
        q_one_sided_error_factor = "b"
    """,
    targets=("test_q_centered",),
    expect=("eps^2",),
    description="I thought centered differences improve like one-sided ones, ten times per factor ten of eps",
)

MUTANTS.code(
    name="q_best_eps_smallest_step",
    cell="q_best_eps_answer",
    code="""
        q_best_eps_exponent = None  # a whole number k: eps = 10^-k
        q_best_eps_exponent = 12
    """,
    targets=("test_q_best_eps",),
    expect=("not the most accurate", "round-off"),
    description="I thought the smallest step, 1e-12, gives the most accurate finite differences",
)

MUTANTS.code(
    name="q_best_eps_popular_step",
    cell="q_best_eps_answer",
    code="""
        q_best_eps_exponent = 7
    """,
    targets=("test_q_best_eps",),
    expect=("round-off already dominates", "100 times"),
    description="I answered 1e-7, the step many tutorials use, without reading the table",
)

MISSING_M_ANSWER = '(P["m"] - 1) / (P["m"] + 1)'
"""The solution's q_missing_m_relative_difference, a formula of the learner's own m."""

MUTANTS.edit(
    name="q_missing_m_exactly_m",
    cell="q_bug_answer",
    replace={MISSING_M_ANSWER: 'P["m"]'},
    targets=("test_q_missing_m",),
    expect=("your m =", "(m - 1) / (m + 1)"),
    description="I thought gradients m times too large give a relative difference of m",
)

MUTANTS.edit(
    name="q_missing_m_of_experiment_1",
    cell="q_bug_answer",
    replace={MISSING_M_ANSWER: "0.9048"},
    targets=("test_q_missing_m",),
    expect=("your m =", "not right for your own experiment"),
    description="I answered 19/21 = 0.9048, the value for Experiment 1's 20 examples, not for my own m",
)

MUTANTS.edit(
    name="q_missing_m_looks_small",
    cell="q_bug_answer",
    replace={MISSING_M_ANSWER: "1e-3"},
    targets=("test_q_missing_m",),
    expect=("(m - 1) / (m + 1)", "cannot miss"),
    description="I expected a forgotten 1/m to show as a small relative difference, about 1e-3",
)

MUTANTS.code(
    name="q_equal_init_rows_separate",
    cell="q_equal_init_answer",
    code="""
        q_equal_init_rows_stay_equal = False
    """,
    targets=("test_q_equal_init",),
    expect=("same gradient",),
    description="I thought training would make the rows of W1 different even when all weights start equal",
)
