"""Do the checks refuse to be fooled by a notebook that tampers with what they rely on, or that answers with
objects that lie about themselves?

These run in the test process, where ``grader.checks`` is sealed like in a notebook; every tampering is undone by
``monkeypatch`` (or by hand) before the test ends.
"""

from __future__ import annotations

import numpy as np
import pytest

from grader import checks
from grader.checks import common


def zeros(layer_dims):
    return {f"{p}{l}": np.zeros((layer_dims[l], layer_dims[l - 1] if p == "W" else 1))
            for l in range(1, len(layer_dims)) for p in "Wb"}


def ones(layer_dims):
    return {k: np.ones_like(v) for k, v in zeros(layer_dims).items()}


def test_an_untouched_environment_lets_the_checks_judge() -> None:
    assert common.integrity_problems() == []
    checks.check_shapes(zeros, "zeros")
    with pytest.raises(AssertionError, match="must start at zero"):
        checks.check_shapes(ones, "zeros")


def test_the_checks_snapshot_takes_the_fast_path() -> None:
    """Each check compares the snapshot twice; on the fast path (grader.engine.guard._Tripwires) that costs tens of
    microseconds instead of a millisecond, which a notebook of twenty checks would otherwise pay forty times."""
    assert all(snapshot.fast for snapshot in common._snapshot)


def test_the_checks_call_numpy_through_references_taken_at_import(monkeypatch) -> None:
    """A replaced np.allclose is not what the checks call."""
    real = np.allclose
    monkeypatch.setattr(np, "allclose", lambda *a, **k: True)
    assert common.np.allclose is real
    assert common.np.random.default_rng is np.random.default_rng  # the module function, captured


@pytest.mark.parametrize(
    ("module", "name", "named"),
    [
        (np, "allclose", "numpy.allclose was replaced"),
        (np.testing, "assert_allclose", "numpy.testing.assert_allclose was replaced"),
        (np, "array_equal", "numpy.array_equal was replaced"),
    ],
)
def test_a_check_fails_with_a_clear_message_when_numpy_was_patched(monkeypatch, module, name, named) -> None:
    monkeypatch.setattr(module, name, lambda *a, **k: True)
    with pytest.raises(AssertionError, match="check_shapes: code in this notebook modified") as caught:
        checks.check_shapes(zeros, "zeros")
    assert named in str(caught.value)


def test_tampering_during_a_check_outranks_its_verdict(monkeypatch) -> None:
    """A student function that patches NumPy while being checked: the check fails for the tampering."""
    real = np.isclose

    def sneaky(layer_dims):
        np.isclose = lambda *a, **k: True
        return zeros(layer_dims)

    try:
        with pytest.raises(AssertionError, match=r"numpy\.isclose was replaced"):
            checks.check_shapes(sneaky, "zeros")
    finally:
        np.isclose = real
    assert common.integrity_problems() == []


def test_a_checks_function_cannot_be_rebound() -> None:
    with pytest.raises(AttributeError, match="part of the grading"):
        checks.check_answer = lambda *a, **k: None
    with pytest.raises(AttributeError, match="part of the grading"):
        del checks.check_shapes
    import grader

    with pytest.raises(AttributeError, match="part of the grading"):
        grader.checks = object()


def test_a_checks_function_swapped_behind_the_modules_back_fails_its_lookup() -> None:
    namespace = vars(checks)
    real = namespace["check_answer"]
    namespace["check_answer"] = lambda *a, **k: None
    try:
        with pytest.raises(AssertionError, match="check_answer was replaced by code in this notebook"):
            checks.check_answer("q1_first_step_W1_moves", 1)
        assert "grader.checks.check_answer was replaced" in common.integrity_problems()
    finally:
        namespace["check_answer"] = real
    assert common.integrity_problems() == []


def test_a_checks_code_object_swapped_in_place_is_caught() -> None:
    inner = checks.check_answer.__wrapped__
    real = inner.__code__
    inner.__code__ = (lambda *a, **k: None).__code__
    try:
        with pytest.raises(AssertionError, match=r"check_answer\.__code__ was replaced"):
            checks.check_answer("q1_first_step_W1_moves", 1)
    finally:
        inner.__code__ = real


def test_answers_that_lie_about_equality_get_nowhere() -> None:
    """An int whose __eq__ says True is compared as the int it holds; an object that is no number is refused."""

    class Anything(int):
        def __eq__(self, other: object) -> bool:
            return True

        __hash__ = int.__hash__

    class Agreeable:
        def __eq__(self, other: object) -> bool:
            return True

    with pytest.raises(AssertionError, match="1 is not right"):
        checks.check_answer("q1_first_step_W1_moves", Anything(1))
    with pytest.raises(AssertionError, match="must be a whole number"):
        checks.check_answer("q1_first_step_W1_moves", Agreeable())


def test_arrays_that_lie_are_judged_as_plain_float64_copies() -> None:
    """An ndarray subclass whose comparisons always agree is converted to a base float64 copy first."""

    class Agreeable(np.ndarray):
        def __eq__(self, other):
            return np.ones(self.shape, bool)

        def __ne__(self, other):
            return np.zeros(self.shape, bool)

    def lying_ones(layer_dims):
        return {k: v.view(Agreeable) for k, v in ones(layer_dims).items()}

    value = common.as_float_array(np.ones((2, 3)).view(Agreeable), "W1", (2, 3), "f")
    assert type(value) is np.ndarray and value.dtype == np.float64
    with pytest.raises(AssertionError, match="must start at zero"):
        checks.check_shapes(lying_ones, "zeros")
