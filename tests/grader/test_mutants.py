"""grader/mutants.py: does a mistake library refuse malformed entries, and turn wrong functions into cell code?"""

from __future__ import annotations

import pytest

from grader.mutants import Mutant, MutantSet, function_source


def test_a_set_refuses_duplicates_and_mutants_without_targets():
    mutants = MutantSet("a1")
    mutants.code(name="m", cell="c", code="x = 1", targets=("t",), expect=("w",), description="d")
    with pytest.raises(ValueError, match="defined twice"):
        mutants.code(name="m", cell="c", code="x = 2", targets=("t",), expect=("w",), description="d")
    with pytest.raises(ValueError, match="at least one target"):
        mutants.code(name="n", cell="c", code="x = 2", targets=(), expect=("w",), description="d")
    assert mutants.mutants == [Mutant("m", "a1", "c", "x = 1\n", ("t",), ("w",), "d")]


def test_function_source_renames_only_the_definition():
    mutants = MutantSet("a1")

    @mutants.function(cell="c", replaces="square", targets=("t",), expect=("w",), description="d")
    def square_off_by_one(x):
        return x * x + 1

    assert square_off_by_one(2) == 5
    assert function_source(square_off_by_one, rename_to="square") == "def square(x):\n    return x * x + 1\n"
