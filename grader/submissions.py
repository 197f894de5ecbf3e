"""Make the notebooks a course is checked with: the solution, the blank release and one submission per mistake.

All three start from the *released* notebook (what a student downloads: stubs, public tests, nbgrader metadata and
checksums as ``nbgrader generate_assignment`` wrote them) and change only solution cells, the way a student would:

- :func:`solution_submission`: every solution cell gets the instructor's code from the *source* notebook, with the
  ``### BEGIN SOLUTION`` / ``### END SOLUTION`` marker lines removed and the code between them kept;
- :func:`blank_submission`: the release untouched (a student who submits without working);
- :func:`mutant_submission`: the solution with one cell replaced by a :class:`~grader.mutants.Mutant`'s wrong code
  (:func:`mutant_source`: its literal code, or the source notebook's solution of that cell with its edits made).

:func:`write_submission` puts a notebook where ``nbgrader autograde`` looks for it. :func:`mutant_function` gives fast
tests a mutant's wrong function without a notebook run: its cell run after the solution's earlier cells.
"""

from __future__ import annotations

import ast
import builtins
import copy
import types
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import nbformat
from nbformat import NotebookNode

from grader import variant_files, variants
from grader.cells import grade_id, is_solution_cell
from grader.course import Course
from grader.mutants import Mutant, StaleEditError

BEGIN_SOLUTION = "BEGIN SOLUTION"
END_SOLUTION = "END SOLUTION"
"""nbgrader's default delimiters (ClearSolutions.begin_solution_delimeter / end_solution_delimeter); like
nbgrader, a line containing one of them is a marker line."""


class SubmissionError(ValueError):
    """A notebook does not have the cells a submission needs; the message names the notebook and the cell."""


def strip_solution_markers(source: str) -> str:
    """``source`` without its BEGIN/END SOLUTION marker lines; the solution between them stays."""
    lines = source.split("\n")
    return "\n".join(line for line in lines if BEGIN_SOLUTION not in line and END_SOLUTION not in line)


def solution_sources(source_nb: NotebookNode) -> dict[str, str]:
    """grade_id -> the instructor's solution (markers removed) of every solution cell of the source notebook."""
    return {grade_id(c): strip_solution_markers(c.source) for c in source_nb.cells if is_solution_cell(c)}


def cell_source(nb: NotebookNode, cell_id: str) -> str:
    """The source of the cell of ``nb`` whose nbgrader grade_id is ``cell_id``; KeyError when it has none."""
    for cell in nb.cells:
        if grade_id(cell) == cell_id:
            return cell.source
    raise KeyError(f"no cell with grade_id {cell_id!r}")


def _cells_by_id(nb: NotebookNode) -> dict[str, NotebookNode]:
    return {gid: cell for cell in nb.cells if (gid := grade_id(cell)) is not None}


def replace_cell(nb: NotebookNode, cell_id: str, source: str, *, name: str = "notebook") -> NotebookNode:
    """A copy of ``nb`` whose solution cell ``cell_id`` holds ``source`` (outputs cleared)."""
    out = copy.deepcopy(nb)
    cell = _cells_by_id(out).get(cell_id)
    if cell is None or not is_solution_cell(cell):
        known = sorted(gid for gid, c in _cells_by_id(out).items() if is_solution_cell(c))
        raise SubmissionError(f"{name} has no solution cell with grade_id {cell_id!r}; its solution cells: {known}")
    cell.source = source
    if cell.cell_type == "code":
        cell.outputs, cell.execution_count = [], None
    return out


def blank_submission(release_nb: NotebookNode) -> NotebookNode:
    """The released notebook as a student who did nothing would submit it."""
    return copy.deepcopy(release_nb)


def solution_submission(release_nb: NotebookNode, source_nb: NotebookNode, *, name: str = "notebook") -> NotebookNode:
    """The released notebook with every solution cell filled in with the source notebook's solution."""
    solutions = solution_sources(source_nb)
    out = copy.deepcopy(release_nb)
    for cell_id, cell in _cells_by_id(out).items():
        if not is_solution_cell(cell):
            continue
        if cell_id not in solutions:
            raise SubmissionError(
                f"{name}: the release has a solution cell {cell_id!r} that the source notebook does not have; "
                f"release the assignment again"
            )
        cell.source = solutions[cell_id]
    return out


def mutant_source(source_nb: NotebookNode, mutant: Mutant, *, name: str = "notebook") -> str:
    """The wrong source of ``mutant.cell``: the mutant's code, or for an edit mutant the source notebook's solution of
    that cell with the edits made. SubmissionError, naming the notebook and the mutant, when an edit is stale."""
    if not mutant.edits:
        return mutant.code
    solutions = solution_sources(source_nb)
    if mutant.cell not in solutions:
        raise SubmissionError(f"{name} has no solution cell {mutant.cell!r} for mutant {mutant.name!r} to edit; its "
                              f"solution cells: {sorted(solutions)}")
    try:
        return mutant.apply(solutions[mutant.cell])
    except StaleEditError as exc:
        raise SubmissionError(f"{name}: {exc}") from None


def mutant_submission(
    release_nb: NotebookNode, source_nb: NotebookNode, mutant: Mutant, *, name: str = "notebook"
) -> NotebookNode:
    """The solution submission with ``mutant.cell`` replaced by the mutant's wrong code (:func:`mutant_source`)."""
    solved = solution_submission(release_nb, source_nb, name=name)
    where = f"{name} (mutant {mutant.name})"
    return replace_cell(solved, mutant.cell, mutant_source(source_nb, mutant, name=name), name=where)


def _importer(modules: Mapping[str, str], stand_ins: Mapping[str, types.ModuleType]) -> Callable[..., Any]:
    """``__import__`` with the packages ``modules`` names (and their submodules) imported as the ones they map to,
    and the modules of ``stand_ins`` given as they are."""

    def load(name: str, globals: Any = None, locals: Any = None, fromlist: Any = (), level: int = 0) -> Any:
        head, dot, rest = name.partition(".")
        if level == 0 and not dot and head in stand_ins:
            return stand_ins[head]
        if level == 0 and head in modules:
            name = modules[head] + dot + rest
        return builtins.__import__(name, globals, locals, fromlist, level)

    return load


def variant_stand_in(parameters: Mapping[str, Any]) -> types.ModuleType:
    """A ``variant`` module whose ``mine()`` gives ``parameters``: the learner's numbers without their files."""
    module = types.ModuleType(variant_files.MODULE.removesuffix(".py"))
    module.mine = lambda folder=".": dict(parameters)  # type: ignore[attr-defined]
    return module


def solution_namespace(
    source_nb: NotebookNode, cell_id: str, *, modules: Mapping[str, str] | None = None,
    variant: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The globals of the solved notebook when its cell ``cell_id`` is about to run: the code cells nbgrader tracks
    before it (locked setup and given code, solutions without their markers; not the test cells nor the experiments)
    run in order in a fresh namespace. ``modules`` maps a package the notebook imports to the one to import instead,
    e.g. ``{"nnlib": "reference"}``: its helper package as the course's source of it, so that nothing is built.
    ``variant``: the parameters the setup cell's ``from variant import mine`` gives (an assignment with per-student
    variants)."""
    stand_ins = {} if variant is None else {variant_files.MODULE.removesuffix(".py"): variant_stand_in(variant)}
    namespace: dict[str, Any] = {"__name__": "__main__",
                                 "__builtins__": {**vars(builtins), "__import__": _importer(modules or {}, stand_ins)}}
    for cell in source_nb.cells:
        if grade_id(cell) == cell_id:
            return namespace
        meta = cell.get("metadata", {}).get("nbgrader", {})
        is_test = bool(meta.get("grade")) and not meta.get("solution")
        if cell.cell_type == "code" and meta and not is_test:
            exec(compile(strip_solution_markers(cell.source), f"<cell {grade_id(cell)}>", "exec"), namespace)
    raise SubmissionError(f"the notebook has no cell with grade_id {cell_id!r}")


def mutant_function(
    source_nb: NotebookNode, mutant: Mutant, *, modules: Mapping[str, str] | None = None,
    variant: Mapping[str, Any] | None = None,
) -> Callable[..., Any]:
    """The wrong function of a mutant of a function's cell, callable here: ``mutant.function``, or the one function
    its cell source (:func:`mutant_source`) defines when run in :func:`solution_namespace` (``modules`` and
    ``variant`` as there)."""
    if mutant.function is not None:
        return mutant.function
    code = mutant_source(source_nb, mutant)
    defined = [node.name for node in ast.parse(code).body if isinstance(node, ast.FunctionDef)]
    if len(defined) != 1:
        raise SubmissionError(f"mutant {mutant.name!r}: its cell {mutant.cell!r} defines {defined or 'no function'}; "
                              "a function's cell defines exactly one")
    namespace = solution_namespace(source_nb, mutant.cell, modules=modules, variant=variant)
    exec(compile(code, f"<mutant {mutant.name}>", "exec"), namespace)
    return namespace[defined[0]]


def write_submission(course: Course, assignment: str, student: str, notebook: str, nb: NotebookNode) -> Path:
    """Write ``nb`` as ``submitted/<student>/<assignment>/<notebook>.ipynb`` of ``course``; return the path. For an
    assignment with per-student variants, the folder also gets what the student's own run leaves beside it: their
    ``variant.json`` (recorded now if it was not) and a keyless ``variant.py`` (`grader.variant_files`)."""
    folder = course.directory("submitted", assignment, student)
    folder.mkdir(parents=True, exist_ok=True)
    if variants.has_variants(course.root, assignment):
        variant_files.write_files(course.root, folder, variants.lookup(course.root, assignment, student))
    path = folder / f"{notebook}.ipynb"
    nbformat.write(nb, path)
    return path
