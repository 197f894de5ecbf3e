"""Do a course's checks refuse to be fooled by a notebook that tampers with what they rely on, or that answers with
objects that lie about themselves? (`grader.checks.seal`, through `grader.checks.loader`.)

These run in the test process, on a tiny course written here whose checks are loaded, guarded and sealed as in a
notebook; every tampering is undone by ``monkeypatch`` (or by hand) before the test ends.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from grader import checks as library
from grader import hidden
from grader.checks import loader
from grader.checks.common import np as private_np
from grader.grading import package_name

CHECKS = '''"""Checks of a1."""

import numpy as np

from grader.checks import as_float_array, call_student, fail


def zeros(fn):
    """fn(n) must be n zeros, as a float64 array."""
    got = as_float_array(call_student("zeros", fn, 3), "zeros(3)", (3,), "zeros")
    if not np.array_equal(got, np.zeros(3)):
        fail("zeros", "every entry must start at zero")
'''
ANSWERS = '''"""Answer key of a1."""

from grader.checks import Answer

ANSWERS = {"q1": Answer("int", 2, "count the updates", {1: "the first update moves nothing"})}
'''


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("sealed") / "course"
    (root / "grading" / "a1").mkdir(parents=True)
    (root / "grading" / "a1" / "checks.py").write_text(CHECKS)
    (root / "grading" / "a1" / "answers.py").write_text(ANSWERS)
    return root


@pytest.fixture(scope="module")
def a1(course: Path) -> loader.AssignmentChecks:
    return loader.load(course, "a1")


def right(n):
    return np.zeros(n)


def wrong(n):
    return np.ones(n)


def test_an_untouched_environment_lets_the_checks_judge(a1) -> None:
    assert a1.guard.problems() == []
    a1.run("zeros", right)
    a1.run("q1", 2)
    with pytest.raises(AssertionError, match="must start at zero"):
        a1.run("zeros", wrong)


def test_the_checks_snapshot_takes_the_fast_path(a1) -> None:
    """Each check compares the snapshot twice; on the fast path (grader.guard._Tripwires) that costs tens of
    microseconds instead of a millisecond, which a notebook of twenty checks would otherwise pay forty times."""
    assert a1.guard.snapshot.fast


def test_the_checks_call_numpy_through_references_taken_at_import(a1, course, monkeypatch) -> None:
    """A replaced np.array_equal is not what the checks call: their np is the private namespace."""
    real = np.array_equal
    monkeypatch.setattr(np, "array_equal", lambda *a, **k: True)
    assert private_np.array_equal is real
    assert vars(sys.modules[f"{package_name(course)}.a1.checks"])["np"] is private_np


@pytest.mark.parametrize(
    ("module", "name", "named"),
    [
        (np, "allclose", "numpy.allclose was replaced"),
        (np.testing, "assert_allclose", "numpy.testing.assert_allclose was replaced"),
        (np, "array_equal", "numpy.array_equal was replaced"),
    ],
)
def test_a_check_fails_with_a_clear_message_when_numpy_was_patched(a1, monkeypatch, module, name, named) -> None:
    monkeypatch.setattr(module, name, lambda *a, **k: True)
    with pytest.raises(AssertionError, match="zeros: code in this notebook modified") as caught:
        a1.run("zeros", right)
    assert named in str(caught.value)
    with pytest.raises(AssertionError, match="q1: code in this notebook modified"):
        a1.run("q1", 2)


def test_tampering_during_a_check_outranks_its_verdict(a1) -> None:
    """A student function that patches NumPy while being checked: the check fails for the tampering."""
    real = np.isclose

    def sneaky(n):
        np.isclose = lambda *a, **k: True
        return np.zeros(n)

    try:
        with pytest.raises(AssertionError, match=r"numpy\.isclose was replaced"):
            a1.run("zeros", sneaky)
    finally:
        np.isclose = real
    assert a1.guard.problems() == []


def test_the_checks_functions_cannot_be_rebound(a1, course) -> None:
    checks_module = sys.modules[f"{package_name(course)}.a1.checks"]
    with pytest.raises(AttributeError, match="part of the grading"):
        checks_module.zeros = lambda *a, **k: None
    with pytest.raises(AttributeError, match="part of the grading"):
        del checks_module.zeros
    with pytest.raises(AttributeError, match="part of the grading"):
        library.call_student = lambda *a, **k: None
    import grader

    with pytest.raises(AttributeError, match="part of the grading"):
        grader.checks = object()
    with pytest.raises(AttributeError, match="part of the grading"):
        grader.hidden = object()
    with pytest.raises(AttributeError, match="part of the grading"):
        hidden.check = lambda *a, **k: None


def test_a_library_function_swapped_behind_the_modules_back_fails_its_lookup_and_every_check(a1) -> None:
    namespace = vars(library)
    real = namespace["check_answer"]
    namespace["check_answer"] = lambda *a, **k: None
    try:
        with pytest.raises(AssertionError, match="check_answer was replaced by code in this notebook"):
            library.check_answer({}, "q1", 1)
        assert "grader.checks.check_answer was replaced" in a1.guard.problems()
        with pytest.raises(AssertionError, match=r"grader\.checks\.check_answer was replaced"):
            a1.run("zeros", right)
    finally:
        namespace["check_answer"] = real
    assert a1.guard.problems() == []


def test_a_checks_code_object_swapped_in_place_is_caught(a1, course) -> None:
    inner = a1.functions["zeros"].__wrapped__
    real = inner.__code__
    inner.__code__ = (lambda *a, **k: None).__code__
    try:
        with pytest.raises(AssertionError, match=r"a1\.checks\.zeros\.__code__ was replaced"):
            a1.run("zeros", wrong)
    finally:
        inner.__code__ = real


def test_answers_that_lie_about_equality_get_nowhere(a1) -> None:
    """An int whose __eq__ says True is compared as the int it holds; an object that is no number is refused."""

    class Anything(int):
        def __eq__(self, other: object) -> bool:
            return True

        __hash__ = int.__hash__

    class Agreeable:
        def __eq__(self, other: object) -> bool:
            return True

    with pytest.raises(AssertionError, match="1 is not right: the first update moves nothing"):
        a1.run("q1", Anything(1))
    with pytest.raises(AssertionError, match="must be a whole number"):
        a1.run("q1", Agreeable())


def test_arrays_that_lie_are_judged_as_plain_float64_copies(a1) -> None:
    """An ndarray subclass whose comparisons always agree is converted to a base float64 copy first."""

    class Agreeable(np.ndarray):
        def __eq__(self, other):
            return np.ones(self.shape, bool)

        def __ne__(self, other):
            return np.zeros(self.shape, bool)

    value = library.as_float_array(np.ones((2, 3)).view(Agreeable), "W1", (2, 3), "f")
    assert type(value) is np.ndarray and value.dtype == np.float64
    with pytest.raises(AssertionError, match="must start at zero"):
        a1.run("zeros", lambda n: np.ones(n).view(Agreeable))
