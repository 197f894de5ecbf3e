"""assignments/grading/init_scale/checks.py, the ``he_leaky`` scheme and the answer key: does each check accept correct
implementations written in other ways than the notebook's, reject every wrong function of the mistake library with
its message, and answer garbage, exceptions, warnings and objects equal to everything with an AssertionError, never a
crash? Does each answer refuse the released template ``None`` and explain the known wrong choices?"""

from __future__ import annotations

import json

import numpy as np
import pytest
from bad_answers import BAD, assert_fails_quietly, assert_mutant_functions_fail, raises
from course_checks import checks, module

from grader.checks.answers import check_answer
from reference.activations import get_activation
from reference.init import initialize
from reference.symmetry import dead_units

SCALE = checks("init_scale")
init_specs = module("common.init_specs")


def _profile_loop(layer_dims, init_fn, activation, X, rng):
    """The loop written by hand, returning an array: also right."""
    params = init_fn(layer_dims, rng)
    g = get_activation(activation).forward
    out, A = [], X
    for l in range(1, len(layer_dims)):
        Z = params[f"W{l}"] @ A + params[f"b{l}"]
        out.append(Z.std())
        A = g(Z)
    return np.array(out)


def _he_normal(layer_dims, rng, negative_slope=0.0):
    return initialize(layer_dims, rng, "he_normal", negative_slope=negative_slope)


def _orthogonal_svd(shape, rng, gain=1.0):
    """The polar factor U V^T of a normal matrix is uniformly distributed too."""
    U, _, Vt = np.linalg.svd(rng.standard_normal(shape), full_matrices=False)
    return gain * U @ Vt


def _dead_fraction_reference(params, X):
    L = len(params) // 2
    acts = ["relu"] * (L - 1) + ["sigmoid"]
    dead = sum(len(dead_units(params, X, acts, l)) for l in range(1, L))
    return np.float64(dead / sum(params[f"W{l}"].shape[0] for l in range(1, L)))


CHECKS = {
    "layer_std_profile": lambda fn: [SCALE.run("std_profile", fn, a) for a in ("shape", "values")],
    "initialize_parameters_he": lambda fn: [
        SCALE.run(check, fn, "he_leaky") for check in ("shapes", "spread", "randomness", "training")
    ],
    "orthogonal": lambda fn: [SCALE.run("orthogonal", fn, a) for a in ("shape", "values", "randomness")],
    "dead_relu_fraction": lambda fn: [SCALE.run("dead_fraction", fn, a) for a in ("values", "edges")],
}
CORRECT = {
    "layer_std_profile": _profile_loop,
    "initialize_parameters_he": _he_normal,
    "orthogonal": _orthogonal_svd,
    "dead_relu_fraction": _dead_fraction_reference,
}


@pytest.mark.parametrize("name", list(CORRECT))
def test_correct_implementations_written_differently_pass(name):
    CHECKS[name](CORRECT[name])


@BAD
@pytest.mark.parametrize("name", list(CHECKS))
def test_anything_else_fails_with_an_assertion_and_nothing_escapes(name, bad, capsys):
    assert_fails_quietly(CHECKS[name], bad, name, capsys)


def test_every_mutant_function_of_the_library_fails_the_check_of_its_target():
    calls = {
        "test_profile_shape": lambda f: SCALE.run("std_profile", f, "shape"),
        "test_profile_values": lambda f: SCALE.run("std_profile", f, "values"),
        "test_he_spread": lambda f: SCALE.run("spread", f, "he_leaky"),
        "test_he_randomness": lambda f: SCALE.run("randomness", f, "he_leaky"),
        "test_orthogonal_shape": lambda f: SCALE.run("orthogonal", f, "shape"),
        "test_orthogonal_values": lambda f: SCALE.run("orthogonal", f, "values"),
        "test_orthogonal_randomness": lambda f: SCALE.run("orthogonal", f, "randomness"),
        "test_dead_fraction": lambda f: SCALE.run("dead_fraction", f, "values"),
        "test_dead_fraction_edges": lambda f: SCALE.run("dead_fraction", f, "edges"),
    }
    assert_mutant_functions_fail("init_scale", calls, at_least=10)


def test_the_leaky_he_spec_is_its_own_registry_and_reads_negative_slope():
    spec = init_specs.get_spec("he_leaky")
    assert "he_leaky" in init_specs.SCALE_INIT_SPECS and "he_leaky" not in init_specs.INIT_SPECS
    assert spec.param == "negative_slope" and {"negative_slope": 0.5} in spec.calls
    assert spec.weights.std(400, 100, 0.0) == pytest.approx(np.sqrt(2 / 400))
    assert spec.weights.std(400, 100, 1.0) == pytest.approx(np.sqrt(1 / 400))


@pytest.mark.parametrize(
    ("check", "aspect"), [("std_profile", "mean"), ("orthogonal", "rank"), ("dead_fraction", "alive")]
)
def test_unknown_aspects_list_the_known_ones(check, aspect):
    with pytest.raises(ValueError, match="known: "):
        SCALE.run(check, raises, aspect)


@pytest.mark.parametrize(
    "name",
    [
        "q_xavier_relu_variance_factor",
        "q_tanh_gain_one_ratio",
        "q_backward_weight_std",
        "q_tanh_gain_5_3_gradient_ratio",
        "q_sigmoid_saturated_fraction",
        "q_most_dead_bias",
        "q_small_bias_helps",
    ],
)
def test_the_released_template_none_scores_nothing_with_a_message_naming_the_variable(name):
    """Issue 15 item 9: an answer cell starts from `name = None`; left as it is, it fails and says so."""
    with pytest.raises(AssertionError, match=rf"{name}.*got None"):
        SCALE.run(name, None)


@pytest.mark.parametrize(
    ("name", "value", "ok"),
    [
        ("q_backward_weight_std", " (B) ", True),
        ("q_backward_weight_std", "d", False),  # three choices only
        ("q_sigmoid_saturated_fraction", "d", False),
        ("q_tanh_gain_5_3_gradient_ratio", "c", True),
        ("q_tanh_gain_5_3_gradient_ratio", 100, False),
        ("q_small_bias_helps", np.False_, True),
        ("q_small_bias_helps", "False", False),
    ],
)
def test_answer_types(name, value, ok):
    """Are harmless spellings accepted, letters outside the choices and type confusions refused?"""
    if ok:
        SCALE.run(name, value)
    else:
        with pytest.raises(AssertionError, match=name):
            SCALE.run(name, value)


@pytest.mark.parametrize(
    ("name", "value", "words"),
    [
        ("q_backward_weight_std", "a", "keeps the forward variance"),
        ("q_backward_weight_std", "c", "compromise between the two passes"),
        ("q_tanh_gain_5_3_gradient_ratio", "a", "does not keep the backward one"),
        ("q_tanh_gain_5_3_gradient_ratio", "b", "with gain 1, not with 5/3"),
        ("q_tanh_gain_5_3_gradient_ratio", "d", "Xavier on ReLU"),
        ("q_xavier_relu_variance_factor", "c", "factor of the standard deviation"),
    ],
)
def test_known_wrong_answers_get_their_own_explanation(name, value, words):
    with pytest.raises(AssertionError, match=words):
        SCALE.run(name, value)


SHRINK = "q_xavier_relu_shrink"
"""The answer that depends on the learner's own depth D (grading/init_scale/variants.py)."""


@pytest.mark.parametrize("depth", [40, 45, 50])
def test_the_depth_answer_is_judged_against_the_owners_depth_and_its_hint_names_it(depth):
    """(1/2)^((D - 1)/2) for the owner's D, to 2%: rounded answers pass; the template None, strings, bools, NaN and the
    neighbours' answers fail with a message naming the learner's own D."""
    exact, owner = 0.5 ** ((depth - 1) / 2), {"depth": depth}
    for value in (exact, np.float64(exact * 1.015), float(f"{exact:.3g}")):
        check_answer(SCALE.answers, SHRINK, value, owner)
    for value in (None, f"{exact}", True, float("nan")):
        with pytest.raises(AssertionError, match=SHRINK):
            check_answer(SCALE.answers, SHRINK, value, owner)
    for value in (0.5 ** (depth / 2), 0.5 ** ((depth - 2) / 2), exact * 1.03):
        with pytest.raises(AssertionError, match=rf"not right for your own experiment.*your D = {depth} layers"):
            check_answer(SCALE.answers, SHRINK, value, owner)


def test_without_the_owners_depth_the_answer_is_not_judged_at_all(tmp_path, monkeypatch):
    """In the notebook's process the depth comes from variant.json beside it; with none there is nothing to judge
    against (a ValueError for the grader, never a score); with one, its depth is used."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match="no variant was given"):
        SCALE.run(SHRINK, 0.5 ** 20)
    (tmp_path / "variant.json").write_text(
        json.dumps({"student": "s", "assignment": "init_scale", "parameters": {"depth": 41}})
    )
    SCALE.run(SHRINK, 0.5 ** 20)
    with pytest.raises(AssertionError, match="your D = 41"):
        SCALE.run(SHRINK, 0.5 ** 20.5)
