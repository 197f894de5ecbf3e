"""assignments/grading/init_symmetry/ and common/inits.py: does each check accept the reference, reject each known
mistake with a message naming it, and never trust a student's object or let a student's warning escape?"""

from __future__ import annotations

import json
import re
import sys
import warnings

import numpy as np
import pytest
from bad_answers import assert_mutant_functions_fail
from course_checks import checks, module

from grader import variants
from grader.course import EMBEDDED_COURSE, Course
from reference.init import he_std, initialize, xavier_std

INIT = checks("init_symmetry")
init_specs = module("common.init_specs")
duplicates = module("init_symmetry.duplicates")


def _reference_init(scheme: str):
    """A correct init of the course built on reference.init.initialize (the truth the checks must accept)."""
    if scheme == "zeros":
        return lambda layer_dims: initialize(layer_dims, np.random.default_rng(0), weights="zeros")
    if scheme == "random":
        return lambda layer_dims, rng, scale=0.01: initialize(layer_dims, rng, weights="normal", std=scale)
    if scheme == "zero_weights_random_bias":
        return lambda layer_dims, rng, scale=1.0: initialize(
            layer_dims, rng, weights="zeros", biases="normal", bias_kw={"std": scale}
        )
    weights = {"xavier": "xavier_normal", "he": "he_normal"}[scheme]
    return lambda layer_dims, rng: initialize(layer_dims, rng, weights=weights)


def _init_with_std(scheme: str, std_of):
    """An init whose random part is N(0, std_of(fan_in, fan_out, scale)^2) and whose other part is zero."""
    spec = init_specs.get_spec(scheme)

    def init(layer_dims, rng, scale=spec.default_scale):
        params = {}
        for l in range(1, len(layer_dims)):
            fan_in, fan_out = layer_dims[l - 1], layer_dims[l]
            shape_w, shape_b = (fan_out, fan_in), (fan_out, 1)
            draw = rng.standard_normal(shape_w if spec.weights else shape_b) * std_of(fan_in, fan_out, scale)
            params[f"W{l}"] = draw if spec.weights else np.zeros(shape_w)
            params[f"b{l}"] = np.zeros(shape_b) if spec.weights else draw
        return params

    return init


RANDOM_SCHEMES = [name for name, spec in init_specs.INIT_SPECS.items() if spec.uses_rng]


@pytest.mark.parametrize("scheme", list(init_specs.INIT_SPECS))
def test_reference_inits_pass_every_check(scheme):
    """Is a correct init (the reference's) accepted by every check that applies to it?"""
    fn = _reference_init(scheme)
    INIT.run("shapes", fn, scheme)
    if scheme in RANDOM_SCHEMES:
        INIT.run("spread", fn, scheme)
        INIT.run("randomness", fn, scheme)
    if init_specs.get_spec(scheme).trains:
        INIT.run("training", fn, scheme)


def test_the_stds_asked_for_are_reference_inits_formulas():
    """One source: the std each init must have (and those of the schemes a student may use by mistake) are
    reference.init's he_std and xavier_std, for a layer (n_l, n_(l-1)) = (fan_out, fan_in)."""
    fan_in, fan_out = 400, 100
    assert init_specs.get_spec("he").weights.std(fan_in, fan_out, 1.0) == he_std((fan_out, fan_in))
    assert init_specs.get_spec("xavier").weights.std(fan_in, fan_out, 1.0) == xavier_std((fan_out, fan_in))
    leaky = init_specs.get_spec("he_leaky").weights.std(fan_in, fan_out, 0.5)
    assert leaky == he_std((fan_out, fan_in), negative_slope=0.5)
    he_fan_out = init_specs.get_spec("he").weight_mistakes[0].spread
    assert he_fan_out.std(fan_in, fan_out, 1.0) == he_std((fan_out, fan_in), mode="fan_out")


@pytest.mark.parametrize("seed", range(5))
def test_spread_check_accepts_other_correct_draws(seed):
    """Are the tolerances wide enough for correct inits that draw differently (rng.normal, other seeds)?"""

    def he(layer_dims, rng):
        rng = np.random.default_rng([seed, int(rng.integers(1 << 30))])  # derived from rng: still rng-only
        return {
            k: v
            for l in range(1, len(layer_dims))
            for k, v in (
                (f"W{l}", rng.normal(0.0, np.sqrt(2 / layer_dims[l - 1]), size=(layer_dims[l], layer_dims[l - 1]))),
                (f"b{l}", np.zeros((layer_dims[l], 1))),
            )
        }

    INIT.run("spread", he, "he")


MISTAKE_CASES = [
    pytest.param(scheme, mistake, id=f"{scheme}:{mistake.spread.formula}")
    for scheme, spec in init_specs.INIT_SPECS.items()
    for mistake in spec.weight_mistakes + spec.bias_mistakes
]


@pytest.mark.parametrize(("scheme", "mistake"), MISTAKE_CASES)
def test_every_known_spread_mistake_is_named(scheme, mistake):
    """Does an init with a known wrong std fail check_spread with that mistake's own message?"""
    fn = _init_with_std(scheme, mistake.spread.std)
    with pytest.raises(AssertionError, match=re.escape(mistake.message)):
        INIT.run("spread", fn, scheme)


@pytest.mark.parametrize("scheme", ["xavier", "he"])
def test_uniform_weights_with_the_right_std_are_called_uniform(scheme):
    """Is a uniform draw with exactly the right std caught by its shape (kurtosis), not let through?"""
    spec = init_specs.get_spec(scheme)

    def init(layer_dims, rng):
        params = {}
        for l in range(1, len(layer_dims)):
            std = spec.weights.std(layer_dims[l - 1], layer_dims[l], 1.0)
            bound = np.sqrt(3) * std
            params[f"W{l}"] = rng.uniform(-bound, bound, size=(layer_dims[l], layer_dims[l - 1]))
            params[f"b{l}"] = np.zeros((layer_dims[l], 1))
        return params

    with pytest.raises(AssertionError, match="uniformly distributed"):
        INIT.run("spread", init, scheme)


def test_shifted_weights_are_not_centred():
    def init(layer_dims, rng):
        return {
            k: v
            for l in range(1, len(layer_dims))
            for k, v in (
                (f"W{l}", rng.random((layer_dims[l], layer_dims[l - 1])) * np.sqrt(2 / layer_dims[l - 1])),
                (f"b{l}", np.zeros((layer_dims[l], 1))),
            )
        }

    with pytest.raises(AssertionError, match="centred on 0"):
        INIT.run("spread", init, "he")


@pytest.mark.parametrize(
    ("bad", "words"),
    [
        (lambda n, m: np.zeros((m, n)), "transposed"),
        (lambda n, m: np.zeros(n), "1-D"),
        (lambda n, m: [[0.0] * m] * n, "NumPy array"),
        (lambda n, m: np.zeros((n, m), dtype=np.float32), "dtype float32"),
        (lambda n, m: 0.5, "single number"),
        (lambda n, m: np.full((n, m), np.nan), "inf or NaN"),
    ],
)
def test_shape_messages_name_the_cause(bad, words):
    """Does check_shapes name transposition, 1-D arrays, lists, dtypes, scalars and NaN?"""

    def init(layer_dims):
        params = {}
        for l in range(1, len(layer_dims)):
            params[f"W{l}"] = bad(layer_dims[l], layer_dims[l - 1])
            params[f"b{l}"] = np.zeros((layer_dims[l], 1))
        return params

    with pytest.raises(AssertionError, match=re.escape(words)):
        INIT.run("shapes", init, "zeros")


def test_layers_numbered_from_zero_get_a_hint():
    def init(layer_dims):
        return {f"{p}{l - 1}": np.zeros((layer_dims[l], layer_dims[l - 1] if p == "W" else 1))
                for l in range(1, len(layer_dims)) for p in "Wb"}  # fmt: skip

    with pytest.raises(AssertionError, match="numbered from 1"):
        INIT.run("shapes", init, "zeros")


class AlwaysEqual:
    """A cheat: equal to everything."""

    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __hash__ = object.__hash__


class LyingArray(np.ndarray):
    """An ndarray that claims to be float64 and equal to anything."""

    @property
    def dtype(self):
        return np.dtype(np.float64)

    def __eq__(self, other):
        return np.ones(np.shape(self), dtype=bool)


def test_objects_that_equal_everything_do_not_pass(tmp_path, monkeypatch):
    """Is a student's object never compared with its own __eq__ (answers, parameters, groups)? (Variant answers are
    judged against a variant.json beside the notebook, at the low extreme of each range.)"""
    monkeypatch.chdir(tmp_path)
    for assignment in Course.at(EMBEDDED_COURSE).assignments():
        loaded = checks(assignment)
        if variants.has_variants(EMBEDDED_COURSE, assignment):
            low = variants.generator(EMBEDDED_COURSE, assignment).extremes()[0]
            record = {"student": "s", "assignment": assignment, "parameters": low}
            (tmp_path / "variant.json").write_text(json.dumps(record))
        for name in loaded.answers:
            with pytest.raises(AssertionError):
                loaded.run(name, AlwaysEqual())
    with pytest.raises(AssertionError, match="NumPy array"):
        INIT.run("shapes", lambda dims: {f"{p}{l}": AlwaysEqual() for l in range(1, len(dims)) for p in "Wb"}, "zeros")
    with pytest.raises(AssertionError, match="list of groups"):
        INIT.run("duplicate_finder", lambda *a, **k: AlwaysEqual(), "rows_and_biases")


def test_an_ndarray_subclass_cannot_fake_its_dtype():
    def init(layer_dims):
        return {
            k: v
            for l in range(1, len(layer_dims))
            for k, v in (
                (f"W{l}", np.zeros((layer_dims[l], layer_dims[l - 1]), dtype=np.int64).view(LyingArray)),
                (f"b{l}", np.zeros((layer_dims[l], 1))),
            )
        }

    with pytest.raises(AssertionError, match="dtype int64"):
        INIT.run("shapes", init, "zeros")


def test_str_subclass_answers_are_judged_by_their_characters():
    class Sneaky(str):
        def __eq__(self, other):
            return True

        __hash__ = str.__hash__

    with pytest.raises(AssertionError, match="'b' is not right"):
        INIT.run("q2_symmetry_condition", Sneaky("b"))
    INIT.run("q2_symmetry_condition", Sneaky("c"))


@pytest.mark.parametrize(
    ("name", "value", "ok"),
    [
        ("q1_rank_W1_after_first_move", 1, True),
        ("q1_rank_W1_after_first_move", np.int64(1), True),
        ("q1_rank_W1_after_first_move", 1.0, True),
        ("q1_rank_W1_after_first_move", "1", False),
        ("q1_rank_W1_after_first_move", 1.5, False),
        ("q1_rank_W1_after_first_move", True, False),  # True == 1, but a bool is not a rank
        ("q1_relu_negative_bias", " (A) ", True),
        ("q1_relu_negative_bias", "e", False),
        ("q2_across_layers_matters", np.False_, True),
        ("q2_across_layers_matters", "False", False),
        ("q2_across_layers_matters", 0, False),
        ("q1_zeros_tanh_weights_move", False, True),
        ("q1_zeros_tanh_weights_move", "False", False),
        ("q1_zeros_tanh_weights_move", None, False),  # the released template, not answered
        ("q1_rank_W1_after_many_updates", 1, True),
        ("q1_rank_W1_after_many_updates", None, False),
        ("q3_columns_stay_equal", "c", True),
        ("q3_columns_stay_equal", False, False),  # the old True/False question
    ],
)
def test_answer_types(name, value, ok):
    """Are harmless spellings accepted and type confusions (a string for a bool, a bool for an int) refused?"""
    if ok:
        INIT.run(name, value)
    else:
        with pytest.raises(AssertionError, match=name):
            INIT.run(name, value)


@pytest.mark.parametrize(
    ("name", "value", "words"),
    [
        ("q1_rank_W1_after_first_move", 2, "multiples of one row"),
        ("q1_zeros_tanh_weights_move", True, r"tanh\(0\) = 0"),
        ("q1_rank_W1_after_many_updates", 2, "one direction"),
        ("q3_columns_are_examples", True, "FEATURES"),
        ("q3_columns_stay_equal", "b", "dead ReLU units with different biases"),
        ("q3_columns_stay_equal", "a", "separates"),
    ],
)
def test_known_wrong_answers_get_their_own_explanation(name, value, words):
    with pytest.raises(AssertionError, match=words):
        INIT.run(name, value)


def test_no_feedback_claims_the_thread_said_what_it_did_not():
    """Issue 15: a message called q1_first_step_W1_moves = 1 "the thread's first guess"; the thread never said it."""
    answers = module("init_symmetry.answers").ANSWERS
    texts = [a.why for a in answers.values()] + [m for a in answers.values() for m in a.wrong.values()]
    assert not [t for t in texts if "thread" in t]


def test_unknown_names_list_the_known_ones():
    with pytest.raises(ValueError, match=r"known: .*he"):
        init_specs.get_spec("kaiming")
    with pytest.raises(LookupError, match=r"known: .*q1_first_step_W1_moves"):
        INIT.run("q9", 1)
    with pytest.raises(ValueError, match="known: rows_and_biases"):
        INIT.run("duplicate_finder", lambda *a: [], "everything")


def test_student_warnings_and_stderr_do_not_escape(capfd):
    """nbgrader zeroes a test cell that writes to stderr: is everything the student's code emits swallowed?"""
    he = _reference_init("he")

    def noisy(layer_dims, rng):
        warnings.warn("harmless", UserWarning, stacklevel=1)
        np.log(np.zeros(1))  # RuntimeWarning: divide by zero
        print("debug output", file=sys.stderr)
        return he(layer_dims, rng)

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any escaping warning would raise here
        INIT.run("shapes", noisy, "he")
        INIT.run("randomness", noisy, "he")
    assert capfd.readouterr().err == ""


def test_errors_in_student_code_become_messages_with_hints():
    def randn_tuple(layer_dims, rng):
        return {"W1": np.random.randn((layer_dims[1], layer_dims[0]))}

    with pytest.raises(AssertionError, match="separate numbers"):
        INIT.run("shapes", randn_tuple, "he")
    with pytest.raises(AssertionError, match="not a function"):
        INIT.run("shapes", None, "he")


def test_global_generator_is_detected_and_left_as_it_was():
    state = np.random.get_state()

    def he_global(layer_dims, rng):
        return {
            k: v
            for l in range(1, len(layer_dims))
            for k, v in (
                (f"W{l}", np.random.randn(layer_dims[l], layer_dims[l - 1])),
                (f"b{l}", np.zeros((layer_dims[l], 1))),
            )
        }

    with pytest.raises(AssertionError, match="global random generator"):
        INIT.run("randomness", he_global, "he")
    after = np.random.get_state()
    assert np.array_equal(after[1], state[1]) and after[2] == state[2]


def test_unseeded_private_generator_is_not_reproducible():
    def he_fresh(layer_dims, rng):
        return _reference_init("he")(layer_dims, np.random.default_rng())

    with pytest.raises(AssertionError, match="generator other than the rng"):
        INIT.run("randomness", he_fresh, "he")


def test_training_check_rejects_constant_weights_and_accepts_he():
    def constant(layer_dims, rng):
        return initialize(layer_dims, rng, weights="constant", value=0.3)

    with pytest.raises(AssertionError, match="identical units"):
        INIT.run("training", constant, "he")
    INIT.run("training", _reference_init("he"), "he")


def _correct_finder(W, b, W_next=None, tol=1e-8):
    return duplicates._reference_groups(np.asarray(W), np.asarray(b), W_next, tol)


@pytest.mark.parametrize("aspect", duplicates.DUPLICATE_ASPECTS)
def test_reference_finder_passes_every_aspect(aspect):
    INIT.run("duplicate_finder", _correct_finder, aspect)


@pytest.mark.parametrize("mistake", list(duplicates.DUPLICATE_MISTAKES))
def test_every_known_finder_mistake_is_named_in_some_aspect(mistake):
    """Is each wrong finder caught, with its own message, by at least one aspect?"""
    variant, message = duplicates.DUPLICATE_MISTAKES[mistake]

    def finder(W, b, W_next=None, tol=1e-8):
        return variant(W, b, W_next, tol)

    caught = []
    for aspect in duplicates.DUPLICATE_ASPECTS:
        try:
            INIT.run("duplicate_finder", finder, aspect)
        except AssertionError as error:
            caught.append(str(error))
    assert any(message in text for text in caught), caught


def test_unsorted_groups_are_asked_to_be_sorted():
    def reversed_finder(W, b, W_next=None, tol=1e-8):
        return [sorted(g, reverse=True) for g in _correct_finder(W, b, W_next, tol)][::-1]

    with pytest.raises(AssertionError, match="sort the indices"):
        INIT.run("duplicate_finder", reversed_finder, "rows_and_biases")


def test_groups_may_be_tuples_or_arrays_of_integers():
    def finder(W, b, W_next=None, tol=1e-8):
        return [tuple(np.array(g)) for g in _correct_finder(W, b, W_next, tol)]

    INIT.run("duplicate_finder", finder, "rows_and_biases")
    with pytest.raises(AssertionError, match="integers"):
        INIT.run("duplicate_finder", lambda W, b, W_next=None, tol=1e-8: [[0.5, 1]], "rows_and_biases")


def test_planted_cases_mean_what_their_stories_say():
    """The expected groups quoted in each case's story are the reference's answer for that case."""
    for cases in duplicates._duplicate_cases().values():
        for case in cases:
            expected = duplicates._reference_groups(case.W, case.b, case.W_next, 1e-8 if case.tol is None else case.tol)
            assert f"(expected {expected})" in case.story


# --- initialize_parameters_from_stds (stds.py) ----------------------------------------------------------------------

stds = module("init_symmetry.stds")


def _helper(draw=None, *, zero_parts_draw=False, layer_std=None):
    """An initialize_parameters_from_stds: correct by default, or with one mistake.

    ``draw(rng, shape, std)`` draws a random part; ``zero_parts_draw`` also draws (times 0) the parts whose std is
    0; ``layer_std(stds, l)`` picks the std of layer l from its list."""
    draw = draw or (lambda rng, shape, std: rng.standard_normal(shape) * std)
    layer_std = layer_std or (lambda stds, l: stds[l - 1])

    def init(layer_dims, rng, weight_stds, bias_stds):
        params = {}
        for l in range(1, len(layer_dims)):
            for key, shape, std in ((f"W{l}", (layer_dims[l], layer_dims[l - 1]), layer_std(weight_stds, l)),
                                    (f"b{l}", (layer_dims[l], 1), layer_std(bias_stds, l))):
                params[key] = draw(rng, shape, std) if std > 0 or zero_parts_draw else np.zeros(shape)
        return params

    return init


@pytest.mark.parametrize("aspect", list(stds.ASPECTS))
@pytest.mark.parametrize(
    "draw",
    [
        None,
        lambda rng, shape, std: rng.normal(0.0, std, size=shape),
        lambda rng, shape, std: std * rng.normal(size=shape),
    ],
    ids=["standard_normal", "normal", "normal_times_std"],
)
def test_correct_helpers_pass_every_aspect(aspect, draw):
    """Are the usual correct spellings (standard_normal times std, rng.normal(0, std, size)) accepted?"""
    INIT.run("from_stds", _helper(draw), aspect)


def test_the_helper_matches_reference_initialize():
    """The correct helper draws what reference.init.initialize draws (the notebook's runs depend on it)."""
    rng_a, rng_b = np.random.default_rng(3), np.random.default_rng(3)
    mine = _helper()([3, 5, 4, 1], rng_a, [0.0, 0.0, 0.0], [1.0, 1.0, 1.0])
    ref = initialize([3, 5, 4, 1], rng_b, weights="zeros", biases="normal", bias_kw={"std": 1.0})
    assert all(np.array_equal(mine[k], ref[k]) for k in ref)


@pytest.mark.parametrize(
    ("helper", "aspect", "words"),
    [
        (_helper(layer_std=lambda stds, l: stds[0]), "spread", "first layer's std"),
        (_helper(lambda rng, shape, std: rng.standard_normal(shape) * std**2), "spread", "not variances"),
        (_helper(lambda rng, shape, std: rng.standard_normal(shape) * np.sqrt(std)), "spread", "square root"),
        (_helper(lambda rng, shape, std: rng.standard_normal(shape)), "spread", "did not multiply"),
        (_helper(lambda rng, shape, std: rng.normal(std, size=shape)), "spread", "as the mean"),
        (_helper(lambda rng, shape, std: rng.uniform(-std * 3**0.5, std * 3**0.5, shape)), "spread", "uniform"),
        (_helper(zero_parts_draw=True), "randomness", "parts whose std is 0 as well"),
        (_helper(lambda rng, shape, std: np.random.randn(*shape) * std), "randomness", "global random generator"),
        (_helper(lambda rng, shape, std: rng.standard_normal(shape) * std + 0 * rng.standard_normal()), "randomness",
         "another amount of numbers"),
        (lambda dims, rng, w, b: _helper()(dims, np.random.default_rng(0), w, b), "randomness",
         "do not change when rng changes"),
        (_helper(lambda rng, shape, std: np.random.default_rng(0).standard_normal(shape) * std), "randomness",
         "reseeded"),
        (_helper(lambda rng, shape, std: np.full(shape, std)), "spread", "symmetry is not broken"),
        (_helper(layer_std=lambda stds, l: stds[l]), "shapes", "IndexError"),
        (_helper(layer_std=lambda stds, l: 0.0), "shapes", "all zeros although weight_stds"),
        (lambda dims, rng, w, b: {f"{p}{l}": np.zeros((dims[l], dims[l - 1] if p == "W" else 1)).T
                                 for l in range(1, len(dims)) for p in "Wb"}, "shapes", "transposed"),
    ],
    ids=["first_std", "squared", "sqrt", "unscaled", "std_as_mean", "uniform", "zero_parts_drawn", "global",
         "extra_draws", "own_generator", "reseeded", "constant", "off_by_one", "all_zero", "transposed"],
)
def test_every_known_helper_mistake_is_named(helper, aspect, words):
    with pytest.raises(AssertionError, match=words):
        INIT.run("from_stds", helper, aspect)


def test_every_mutant_function_of_the_library_fails_the_check_of_its_target():
    """The same verdicts as the notebook runs, without a notebook: each wrong function (or edited solution) meets the
    checks of its target test cell, in the order the cell's hidden region makes them."""

    def cell(*checks):
        return lambda f: [INIT.run(name, f, *args) for name, *args in checks]

    inits = {"random": "random", "xavier": "xavier", "he": "he", "zero_weights": "zero_weights_random_bias"}
    calls = {
        "test_zeros": cell(("shapes", "zeros")),
        **{f"test_from_stds_{aspect}": cell(("from_stds", aspect)) for aspect in stds.ASPECTS},
        **{f"test_{test}": cell(*[(check, scheme) for check in ("shapes", "spread", "randomness")])
           for test, scheme in inits.items()},
        **{f"test_duplicates_{aspect}": cell(("duplicate_finder", aspect)) for aspect in duplicates.DUPLICATE_ASPECTS},
        "test_training": cell(("training", "he")),
    }
    assert_mutant_functions_fail("init_symmetry", calls, at_least=30)


def test_the_helper_checks_name_their_aspects():
    with pytest.raises(ValueError, match="known: shapes, spread, randomness"):
        INIT.run("from_stds", _helper(), "everything")


def _variant_folder(folder, depth, width):
    """A notebook's folder holding variant.json with these numbers, as the grader or the learner's run leaves it."""
    (folder / "variant.json").write_text(
        f'{{"student": "s", "assignment": "init_symmetry", "parameters": {{"depth": {depth}, "width": {width}}}}}'
    )


@pytest.mark.parametrize(("depth", "width"), [(3, 7), (5, 10), (8, 12)])
def test_the_first_move_of_W1_is_judged_against_the_depth_of_the_notebooks_own_variant(
    tmp_path, monkeypatch, depth, width
):
    """In the notebook's process (plain nbgrader) q1_first_step_W1_moves is judged against the depth in
    variant.json beside the notebook: the depth itself passes, in any integer spelling; a classmate's depth, the
    2-10-1 network's 2, the number of hidden layers or a type confusion fails, and the hint names the owner's
    numbers; without variant.json it cannot be judged at all."""
    name = "q1_first_step_W1_moves"
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match="depends on the student's variant"):
        INIT.run(name, depth)
    _variant_folder(tmp_path, depth, width)
    for right in (depth, np.int64(depth), float(depth)):
        INIT.run(name, right)
    for wrong in (depth - 1, depth + 1, 2, 1, 0, str(depth), depth + 0.5, True, None):
        with pytest.raises(AssertionError, match=name):
            INIT.run(name, wrong)
    with pytest.raises(AssertionError, match=f"your network has depth L = {depth} \\(hidden layers of {width} units"):
        INIT.run(name, depth - 1)
    with pytest.raises(AssertionError, match="W2 is still all zeros"):
        INIT.run(name, 1)
    with pytest.raises(AssertionError, match="one hidden layer"):
        INIT.run(name, 2)


def test_the_generator_gives_a_class_of_thirty_at_least_five_depths_and_widths_within_its_extremes():
    """Issue 18's acceptance: 30 ids (with any key: here three) get at least 5 distinct values of each varying
    quantity, plain ints within the ranges that extremes() spans and test_claims.py proves the notebook on."""
    generator = module("init_symmetry.variants")
    low, high = generator.extremes()
    ids = [f"student{k:02d}" for k in range(30)]
    for key in (bytes(32), bytes(range(32)), b"init_symmetry-variants-test-key!"):
        drawn = [generator.parameters(variants.streams(key, "init_symmetry", sid)) for sid in ids]
        for quantity in ("depth", "width"):
            values = [d[quantity] for d in drawn]
            assert all(type(v) is int and low[quantity] <= v <= high[quantity] for v in values)
            assert len(set(values)) >= 5, (quantity, sorted(set(values)))
