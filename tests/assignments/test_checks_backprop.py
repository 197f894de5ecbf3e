"""assignments/grading/backprop/checks.py: does each check accept correct implementations written in other ways than the
notebook's, and answer anything else (garbage, exceptions, warnings, objects equal to everything) with an
AssertionError that says what is wrong, never with a crash or an escaped warning?"""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest
from bad_answers import BAD, assert_fails_quietly, assert_mutant_functions_fail, raises
from course_checks import checks

from reference.activations import get_activation

BACKPROP = checks("backprop")


def _linear_forward(A_prev, W, b):
    return np.dot(W, A_prev) + b, [A_prev, W, b]  # a list is a fine cache too


def _linear_backward(dZ, cache):
    A_prev, W, _ = cache
    return np.dot(W.T, dZ), np.dot(dZ, A_prev.T), dZ.sum(axis=1).reshape(-1, 1)


def _relu_backward(dA, Z):
    dZ = np.array(dA, copy=True)
    dZ[Z <= 0] = 0  # in place, but on a copy
    return dZ


def _sigmoid_backward(dA, Z):
    s = 1 / (1 + np.exp(-Z))
    return dA * s * (1 - s)


def _tanh_backward(dA, Z):
    return np.where(True, dA * (1 - np.tanh(Z) ** 2), 0.0)


FORWARD = {name: get_activation(name).forward for name in ("relu", "tanh", "sigmoid")}
BACKWARD = {"relu": _relu_backward, "sigmoid": _sigmoid_backward, "tanh": _tanh_backward}


def _model_forward(X, params, activations):
    caches, A = [], X
    for l, name in enumerate(activations, start=1):
        Z, linear_cache = _linear_forward(A, params[f"W{l}"], params[f"b{l}"])
        A = FORWARD[name](Z)
        caches.append((linear_cache, Z))
    return A, caches


def _model_backward_shortcut(AL, Y, caches, activations):
    """dZ_L = (AL - Y) / m for the sigmoid output, then the loop: the notebook accepts either route."""
    grads = {}
    dZ = (AL - Y) / Y.shape[1]
    for l in range(len(caches), 0, -1):
        linear_cache, _ = caches[l - 1]
        dA_prev, grads[f"dW{l}"], grads[f"db{l}"] = _linear_backward(dZ, linear_cache)
        if l > 1:
            dZ = BACKWARD[activations[l - 2]](dA_prev, caches[l - 2][1])
    grads["dA0"] = dA_prev  # extra keys are ignored
    return grads


def _numerical_gradient_flat(f, x, eps=1e-7):
    """Flat indices and a perturbed x restored from a saved value: also right."""
    grad = np.zeros(x.size)
    for i in range(x.size):
        saved = x.flat[i]
        x.flat[i] = saved + eps
        f_plus = f(x)
        x.flat[i] = saved - eps
        f_minus = f(x)
        x.flat[i] = saved
        grad[i] = (f_plus - f_minus) / (2 * eps)
    return grad.reshape(x.shape)


def _relative_difference(grad, grad_approx):
    num = np.sqrt(np.sum((grad - grad_approx) ** 2))
    den = np.sqrt(np.sum(grad**2)) + np.sqrt(np.sum(grad_approx**2))
    return np.array(num / den if den else 0.0)  # a 0-d array is a number too


CORRECT = {
    "linear_forward": (_linear_forward, lambda fn: BACKPROP.run("linear_forward", fn)),
    "linear_backward": (
        _linear_backward,
        lambda fn: [BACKPROP.run("linear_backward", fn, a) for a in ("shapes", "values")],
    ),
    "relu_backward": (_relu_backward, lambda fn: BACKPROP.run("activation_backward", fn, "relu")),
    "sigmoid_backward": (_sigmoid_backward, lambda fn: BACKPROP.run("activation_backward", fn, "sigmoid")),
    "tanh_backward": (_tanh_backward, lambda fn: BACKPROP.run("activation_backward", fn, "tanh")),
    "model_forward": (_model_forward, lambda fn: BACKPROP.run("model_forward", fn)),
    "model_backward": (
        _model_backward_shortcut,
        lambda fn: [BACKPROP.run("model_backward", fn, a) for a in ("shapes", "values")],
    ),
    "numerical_gradient": (
        _numerical_gradient_flat,
        lambda fn: [BACKPROP.run("numerical_gradient", fn, a) for a in ("values", "input")],
    ),
    "relative_difference": (_relative_difference, lambda fn: BACKPROP.run("relative_difference", fn)),
}


@pytest.mark.parametrize("name", list(CORRECT))
def test_correct_implementations_written_differently_pass(name):
    fn, check = CORRECT[name]
    check(fn)


@BAD
@pytest.mark.parametrize("name", list(CORRECT))
def test_anything_else_fails_with_an_assertion_and_nothing_escapes(name, bad, capsys):
    assert_fails_quietly(CORRECT[name][1], bad, name, capsys)


def test_an_exception_in_the_students_code_is_named_with_a_hint():
    with pytest.raises(AssertionError, match="not written yet"):
        BACKPROP.run("linear_forward", raises)


def test_a_failing_call_is_shown_with_names_not_object_addresses():
    """Does the message show the call as a student would write it, f and array shapes, and no memory address?"""
    with pytest.raises(AssertionError) as caught:
        BACKPROP.run("numerical_gradient", raises, "values")
    message = str(caught.value)
    assert "numerical_gradient(f, <array of shape" in message
    assert " at 0x" not in message


def test_every_mutant_function_of_the_library_fails_the_check_of_its_target():
    """The same verdicts as the notebook runs, without a notebook: each wrong function meets its target's check."""
    calls = {
        "test_linear_forward": lambda f: BACKPROP.run("linear_forward", f),
        "test_linear_backward_shapes": lambda f: BACKPROP.run("linear_backward", f, "shapes"),
        "test_linear_backward_values": lambda f: BACKPROP.run("linear_backward", f, "values"),
        "test_sigmoid_backward": lambda f: BACKPROP.run("activation_backward", f, "sigmoid"),
        "test_relu_backward": lambda f: BACKPROP.run("activation_backward", f, "relu"),
        "test_tanh_backward": lambda f: BACKPROP.run("activation_backward", f, "tanh"),
        "test_model_forward": lambda f: BACKPROP.run("model_forward", f),
        "test_model_backward_values": lambda f: BACKPROP.run("model_backward", f, "values"),
        "test_numerical_gradient_values": lambda f: BACKPROP.run("numerical_gradient", f, "values"),
        "test_numerical_gradient_input": lambda f: BACKPROP.run("numerical_gradient", f, "input"),
        "test_relative_difference": lambda f: BACKPROP.run("relative_difference", f),
    }
    assert_mutant_functions_fail("backprop", calls, at_least=12)


@pytest.mark.parametrize(
    ("check", "aspect"),
    [
        (partial(BACKPROP.run, "linear_backward"), "gradients"),
        (partial(BACKPROP.run, "model_backward"), "all"),
        (partial(BACKPROP.run, "numerical_gradient"), "speed"),
    ],
)
def test_unknown_aspects_list_the_known_ones(check, aspect):
    with pytest.raises(ValueError, match="known: "):
        check(_linear_backward, aspect)


def test_unknown_activations_list_the_known_ones():
    with pytest.raises(ValueError, match="known: relu, sigmoid, tanh"):
        BACKPROP.run("activation_backward", _relu_backward, "softmax")


def test_the_variant_answer_is_judged_against_the_variant_json_of_the_notebooks_folder(tmp_path, monkeypatch):
    """In the notebook's process (plain nbgrader) q_missing_m_relative_difference is judged against the m of
    variant.json beside the notebook, never against a fixed number; without one it cannot be judged."""
    name = "q_missing_m_relative_difference"
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match="depends on the student's variant"):
        BACKPROP.run(name, 0.9091)
    (tmp_path / "variant.json").write_text('{"student": "s", "assignment": "backprop", "parameters": {"m": 21}}')
    BACKPROP.run(name, 0.9091)  # 20 / 22, as Experiment 3 prints it
    for wrong in (0.9048, 0.9130, 21, 1e-3, True, "0.9091", float("nan")):  # m = 20, m = 22, m, small, not numbers
        with pytest.raises(AssertionError, match=name):
            BACKPROP.run(name, wrong)
    with pytest.raises(AssertionError, match="your m = 21 examples"):
        BACKPROP.run(name, 0.9130)
