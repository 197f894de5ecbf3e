"""assignments/grading/<name>/mistakes.py: is the course's library of mistakes well-formed, with every mutant
pointing at real cells of its notebook, every edit still matching the solution, code that uses only what the notebook
has, and a student-readable description?"""

from __future__ import annotations

import ast
import builtins

import nbformat
import numpy as np
import pytest
from specs import HELPERS, MUTANTS, low_variant, mutant_code, mutants_for, source_notebook, wrong_function

from grader.course import EMBEDDED_COURSE
from grader.submissions import solution_namespace

NOTEBOOK_GLOBALS = {"np", "warnings", "plt", "P"}
"""What the notebooks' locked setup cells import: the only globals a wrong function or answer cell may use (an edit
of the solution may use whatever the notebook defines before its cell)."""


def _cells(assignment: str) -> dict[str, nbformat.NotebookNode]:
    nb = nbformat.read(EMBEDDED_COURSE / "source" / assignment / f"{assignment}.ipynb", as_version=4)
    return {c.metadata.nbgrader.grade_id: c for c in nb.cells if "nbgrader" in c.metadata}


def _free_names(code: str) -> set[str]:
    """Names a cell reads but never binds (parameters, assignments, loop targets, comprehensions, defs)."""
    tree = ast.parse(code)
    bound = {a.arg for n in ast.walk(tree) if isinstance(n, ast.arguments) for a in n.args + n.kwonlyargs}
    bound |= {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    bound |= {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.ClassDef)}
    used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    return used - bound - set(dir(builtins))


def _defined(code: str) -> set[str]:
    body = ast.parse(code).body
    return {n.name for n in body if isinstance(n, ast.FunctionDef)} | {
        t.id for n in body if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)
    }


@pytest.mark.parametrize("mutant", list(MUTANTS.values()), ids=list(MUTANTS))
def test_each_mutant_points_at_real_cells_and_is_self_contained(mutant):
    cells = _cells(mutant.assignment)
    target_cell = cells[mutant.cell]
    assert target_cell.cell_type == "code" and target_cell.metadata.nbgrader.solution
    for target in mutant.targets:
        assert cells[target].metadata.nbgrader.grade and not cells[target].metadata.nbgrader.solution
    code = mutant_code(mutant)  # an edit whose old text is no longer in the solution fails here, naming it
    before = solution_namespace(source_notebook(mutant.assignment), mutant.cell, modules=HELPERS,
                                variant=low_variant(mutant.assignment))
    allowed = set(before) if mutant.edits else NOTEBOOK_GLOBALS
    assert _free_names(code) <= allowed, _free_names(code) - allowed
    # it defines what the solution cell defines (the function, or the answer variables), under the same names
    assert _defined(code) == _defined(target_cell.source)
    assert mutant.description and "\n" not in mutant.description and len(mutant.description) <= 120
    assert mutant.name.isidentifier()  # usable as a student id and a test id


def test_function_mutants_are_callable_without_a_notebook():
    he = MUTANTS["he_constant"]
    assert he.function is not None and he.function.__name__ == "he_constant"
    assert he.code.startswith("def initialize_parameters_he(layer_dims, rng):")
    assert "@" not in he.code


def test_edit_mutants_are_the_solution_edited_and_callable_without_a_notebook():
    he = MUTANTS["he_fan_out"]
    assert he.function is None and he.code == "" and he.edits
    code = mutant_code(he)
    assert code.startswith("def initialize_parameters_he(layer_dims, rng):") and "np.sqrt(2.0 / layer_dims[l])" in code
    params = wrong_function(he)([400, 100], np.random.default_rng(0))  # calls the solution's from_stds helper
    assert params["W1"].shape == (100, 400) and abs(params["W1"].std() / np.sqrt(2 / 100) - 1) < 0.05


def test_the_course_library_is_big_enough():
    assert len(mutants_for("init_symmetry")) >= 15
    assert mutants_for("no_such_assignment") == []
