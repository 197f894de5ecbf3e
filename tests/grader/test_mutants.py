"""grader/mutants.py: does a mistake library refuse malformed entries, turn wrong functions into cell code, make
edits in the solution, and name a stale edit clearly?"""

from __future__ import annotations

import pytest

from grader.mutants import Mutant, MutantSet, StaleEditError, function_source


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


def test_an_edit_replaces_texts_of_the_solution_in_order():
    mutants = MutantSet("a1")
    mutants.edit(name="plus_one", cell="c", replace={"x * x": "x * x + 1"}, targets=("t",), expect=("w",),
                 description="d")
    mutants.edit(name="cube", cell="c", replace=[("x * x", "x * x * x"), ("x * x * x", "x ** 3")], targets=("t",),
                 expect=("w",), description="d")
    plus_one, cube = mutants.mutants
    assert plus_one.code == "" and plus_one.function is None and plus_one.edits == (("x * x", "x * x + 1"),)
    solution = "def square(x):\n    return x * x\n"
    assert plus_one.apply(solution) == "def square(x):\n    return x * x + 1\n"
    assert cube.apply(solution) == "def square(x):\n    return x ** 3\n"


def test_a_stale_edit_names_the_mutant_the_cell_and_the_text():
    """After the solution changed, an edit whose old text is gone (or no longer unique) fails loudly, saying which."""
    mutants = MutantSet("a1")
    mutants.edit(name="plus_one", cell="square", replace={"x * x": "x * x + 1"}, targets=("t",), expect=("w",),
                 description="d")
    (mutant,) = mutants.mutants
    with pytest.raises(StaleEditError, match=r"mutant 'plus_one' of a1 replaces 'x \* x' in solution cell 'square', "
                                             r"but that text is not in it"):
        mutant.apply("def square(x):\n    return x ** 2\n")
    with pytest.raises(StaleEditError, match="that text is in it 2 times"):
        mutant.apply("def square(x):\n    y = x * x\n    return x * x\n")


@pytest.mark.parametrize("replace", [{}, {"": "y"}, {"x": "x"}, [("x", "y", "z")], [("x", 1)]])
def test_an_edit_must_replace_some_text_with_other_text(replace):
    with pytest.raises(ValueError, match="replace takes one or more"):
        MutantSet("a1").edit(name="m", cell="c", replace=replace, targets=("t",), expect=("w",), description="d")
