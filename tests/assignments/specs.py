"""What each assignment of the course must contain: the table the notebook tests are parametrised over.

A test that holds for every notebook (valid metadata, hidden tests through ``grader.hidden``, solution full marks,
stubs zero, every mutant caught, ...) takes the ``assignment`` fixture and reads the numbers it needs here. The
numbers live with each assignment, in the ``[spec]`` table of ``grading/<name>/assignment.toml``: adding an
assignment adds nothing here. The course's mistake library is here too, with each mutant's code and wrong function
as the fast tests need them (:func:`mutant_code`, :func:`wrong_function`).
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any

import nbformat
from nbformat import NotebookNode

from grader import variants
from grader.checks.loader import answer_key
from grader.course import EMBEDDED_COURSE, Course
from grader.grading import course_mutants, import_part, read_settings
from grader.mutants import Mutant
from grader.submissions import mutant_function, mutant_source, solution_sources


@dataclass(frozen=True)
class AssignmentSpec:
    """The contract of one assignment's notebook."""

    name: str
    functions: dict[str, list[str]]
    """The functions learners write -> their argument names, in order."""
    answers: frozenset[str]
    """The auto-graded answer variables."""
    points: tuple[int, int, int]
    """(code, answers, written): the points of the function tests, the answer tests and the written answers."""
    written: tuple[str, ...]
    """grade_ids of the manually graded markdown answers, in notebook order."""
    min_test_cells: int
    min_mutants: int
    shipped: tuple[str, ...]
    """Files of the helper package released next to the notebook."""
    noisy_cell: str
    """A function's solution cell that the warning tests make print warnings."""
    always_equal_cell: str
    """An answer cell that the adversarial test fills with objects equal to everything."""
    always_equal_tests: tuple[str, ...]
    """The test cells of that answer cell (they must score 0)."""
    tampered_helper: str
    """A helper module the tampering test replaces by a broken copy in a submission."""

    @property
    def total(self) -> int:
        return sum(self.points)


def _spec(name: str) -> AssignmentSpec:
    """The spec of assignment ``name`` from its grading folder: ``[spec]`` and ``[helpers]`` of its assignment.toml,
    and the keys of its answer key."""
    settings = read_settings(EMBEDDED_COURSE, name)
    table = dict(settings.spec)
    missing = sorted({f.name for f in fields(AssignmentSpec)} - {"name", "answers", "shipped"} - set(table))
    if missing:
        raise LookupError(f"grading/{name}/assignment.toml: this repository's tests need its [spec] table to say "
                          f"{missing} (docs/instructors.md, Adding an assignment)")
    answers = frozenset(answer_key(import_part(EMBEDDED_COURSE, name, "answers")))
    shipped = ("__init__.py", *sorted(f"{module}.py" for module in settings.ship or ()))
    return AssignmentSpec(
        name=name,
        functions={function: list(args) for function, args in table.pop("functions").items()},
        answers=answers,
        points=tuple(table.pop("points")),
        written=tuple(table.pop("written")),
        shipped=tuple(sorted(shipped)),
        always_equal_tests=tuple(table.pop("always_equal_tests")),
        **table,
    )


SPECS: dict[str, AssignmentSpec] = {name: _spec(name) for name in Course.at(EMBEDDED_COURSE).assignments()}
"""Every assignment of the course, found in its source folder, its spec in its grading folder."""
MUTANTS: dict[str, Mutant] = course_mutants(EMBEDDED_COURSE, list(SPECS))
"""The course's mistake library, every assignment's, by name."""


def mutants_for(assignment: str) -> list[Mutant]:
    """The mistakes of one assignment of the course, in the order its mistakes.py defines them."""
    return [m for m in MUTANTS.values() if m.assignment == assignment]


_helpers = Course.at(EMBEDDED_COURSE).config.Helpers
HELPERS: dict[str, str] = {_helpers.package: _helpers.source}
"""The helper package a notebook imports -> the course's package it is built from ({"nnlib": "reference"})."""


@functools.cache
def source_notebook(assignment: str) -> NotebookNode:
    """The source notebook of an assignment of the course (read once; do not modify it)."""
    return nbformat.read(EMBEDDED_COURSE / "source" / assignment / f"{assignment}.ipynb", as_version=4)


def mutant_code(mutant: Mutant) -> str:
    """The wrong source of the mutant's cell: its code, or its edits made in the solution of the source notebook."""
    return mutant_source(source_notebook(mutant.assignment), mutant)


def is_function_mutant(mutant: Mutant) -> bool:
    """Whether the mutant replaces a cell that defines a function (rather than answers)."""
    solution = solution_sources(source_notebook(mutant.assignment))[mutant.cell]
    return mutant.function is not None or any(isinstance(n, ast.FunctionDef) for n in ast.parse(solution).body)


def low_variant(assignment: str) -> dict[str, Any] | None:
    """The numbers the in-process runs of an assignment with per-student variants use: its generator's low extreme
    (as `notebook_runner.copy_course` gives them); None for an assignment without variants."""
    if not variants.has_variants(EMBEDDED_COURSE, assignment):
        return None
    return dict(variants.generator(EMBEDDED_COURSE, assignment).extremes()[0])


def wrong_function(mutant: Mutant) -> Callable[..., Any]:
    """The mutant's wrong function, callable without a notebook: a function mutant's own, or its edited cell run
    after the solution's earlier cells, the helper package imported as the course's package."""
    return mutant_function(source_notebook(mutant.assignment), mutant, modules=HELPERS,
                           variant=low_variant(mutant.assignment))


def with_warnings(source: str) -> str:
    """A solution cell's source that warns when it is run and every time its function is called (and makes NumPy
    warn too): a student's harmless noise, which must cost no points."""
    lines = source.split("\n")
    start = next(i for i, line in enumerate(lines) if line.startswith("def "))
    body = start + 1
    if lines[body].strip().startswith('"""'):  # skip the docstring, one line or several
        quotes = lines[body].count('"""')
        while quotes < 2:
            body += 1
            quotes += lines[body].count('"""')
        body += 1
    noise = ["    warnings.warn('inside the function', UserWarning)", "    np.log(np.zeros(1))"]
    head = ["import warnings", "warnings.warn('defining it', UserWarning)"]
    return "\n".join([*head, *lines[:body], *noise, *lines[body:]])
