"""Student functions every check must fail, quietly: the shared doubles of the check tests."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest


class AlwaysEqual:
    """An answer whose ``==`` says True to anything (nbgrader #1379)."""

    def __eq__(self, other: object) -> bool:
        return True

    __hash__ = object.__hash__


def noisy_none(*args: Any, **kwargs: Any) -> None:
    """Warns, divides by zero in NumPy, and returns nothing."""
    warnings.warn("a student's warning", UserWarning, stacklevel=2)
    np.log(np.zeros(1))
    return None


def raises(*args: Any, **kwargs: Any) -> None:
    """Not written yet."""
    raise NotImplementedError


def always_equal(*args: Any, **kwargs: Any) -> AlwaysEqual:
    return AlwaysEqual()


BAD = pytest.mark.parametrize("bad", [noisy_none, raises, always_equal], ids=["none_with_warnings", "raises", "equal"])
"""Parametrizes a test over the three bad answers (argument ``bad``)."""


def assert_fails_quietly(check: Callable[[Any], Any], bad: Callable[..., Any], name: str, capsys: Any) -> None:
    """``check(bad)`` raises an AssertionError naming ``name``, and lets no warning nor stderr output escape."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(AssertionError, match=name):
            check(bad)
    assert caught == [] and capsys.readouterr().err == ""


def assert_mutant_functions_fail(assignment: str, calls: dict[str, Callable[[Any], Any]], at_least: int) -> None:
    """Every mutant of a function of ``assignment`` (at least ``at_least`` of them; a wrong function, or an edit of the
    solution's, run as the notebook would) fails the check its target test cell makes (``calls``: grade_id -> check),
    with a message holding each of the mutant's ``expect`` words."""
    from specs import is_function_mutant, mutants_for, wrong_function

    functions = [m for m in mutants_for(assignment) if is_function_mutant(m)]
    assert len(functions) >= at_least
    for mutant in functions:
        function = wrong_function(mutant)
        for target in mutant.targets:
            with pytest.raises(AssertionError) as failure:
                calls[target](function)
            message = str(failure.value).lower()
            assert all(word.lower() in message for word in mutant.expect), (mutant.name, message)
