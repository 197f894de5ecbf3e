"""assignments/source/<name>/: is every notebook of the course a valid nbgrader assignment whose solution passes every
test cell, whose stubs fail every one without crashing, and whose hidden tests catch every mistake in the library
with a message that names it? (In-process and fast, parametrised over specs.SPECS; test_nbgrader.py runs the same
through the real nbgrader.)"""

from __future__ import annotations

import ast
import copy
import re

import nbformat
import pytest
from nbgrader.nbgraderformat import MetadataValidator
from nbgrader.preprocessors import ClearHiddenTests, ClearSolutions
from notebook_runner import graded_part, is_test_cell, nbgrader_meta, run_cells
from specs import MUTANTS, SPECS, mutants_for, with_warnings

from grader.course import EMBEDDED_COURSE
from grader.submissions import (
    blank_submission,
    mutant_source,
    replace_cell,
    solution_sources,
    solution_submission,
)

HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS\n.*?### END HIDDEN TESTS\n?", re.S)
STUDENT_MODULES = {"warnings", "numpy", "matplotlib", "nnlib", "variant"}
"""What a student's environment has (plus the helper package and the variant runtime shipped with the release)."""


def _imports(source: str) -> set[str]:
    tree = ast.parse(source)
    names = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    return names | {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}


def _points(source_nb) -> dict[str, int]:
    return {
        nbgrader_meta(c)["grade_id"]: nbgrader_meta(c)["points"]
        for c in source_nb.cells
        if nbgrader_meta(c).get("grade")
    }


def test_metadata_is_valid_nbgrader_schema_3(source_nb):
    MetadataValidator().validate_nb(source_nb)
    tracked = [nbgrader_meta(c) for c in source_nb.cells if nbgrader_meta(c)]
    assert tracked and all(m["schema_version"] == 3 for m in tracked)
    assert source_nb.metadata.kernelspec.name == "python3"


def test_committed_notebook_has_no_outputs(assignment):
    nb = nbformat.read(EMBEDDED_COURSE / "source" / assignment / f"{assignment}.ipynb", as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.outputs == [] and c.execution_count is None for c in code)


def test_total_points_stated_at_the_top_match_the_cells(source_nb, spec):
    points = _points(source_nb)
    code, answers, written = spec.points
    assert sum(points.values()) == spec.total
    assert written == sum(p for k, p in points.items() if k.endswith("_written"))
    assert answers == sum(p for k, p in points.items() if k.startswith("test_q"))
    assert code == spec.total - written - answers
    top = source_nb.cells[0].source
    stated = [f"worth {spec.total} points:**", f"{code} for ", f"{answers} for "] + (
        [f"{written} for "] * bool(written)
    )
    assert all(words in top for words in stated), stated


def test_test_cells_are_small_and_each_has_hidden_tests(source_nb, spec):
    tests = [c for c in source_nb.cells if is_test_cell(c)]
    assert len(tests) >= spec.min_test_cells
    for cell in tests:
        meta = nbgrader_meta(cell)
        assert 0 < meta["points"] <= 2 and meta["locked"], meta["grade_id"]
        assert HIDDEN.search(cell.source), f"{meta['grade_id']} has no hidden tests"
        for code in (cell.source, HIDDEN.sub("", cell.source)):  # graded and released versions
            # a value left by the last statement would be read by nbgrader as a partial score
            assert not isinstance(ast.parse(code).body[-1], ast.Expr), meta["grade_id"]


def test_written_answers_are_manually_graded_markdown(source_nb, spec):
    written = [c for c in source_nb.cells if c.cell_type == "markdown" and nbgrader_meta(c).get("grade")]
    assert tuple(nbgrader_meta(c)["grade_id"] for c in written) == spec.written
    assert all(nbgrader_meta(c)["solution"] and nbgrader_meta(c)["points"] >= 2 for c in written)


def test_public_code_never_imports_reference_or_grader(source_nb):
    """A student has numpy, matplotlib, Jupyter and the shipped helpers; hidden tests may import more."""
    for cell in source_nb.cells:
        if cell.cell_type == "code":
            public = HIDDEN.sub("", cell.source)
            assert _imports(public) <= STUDENT_MODULES, (nbgrader_meta(cell).get("grade_id"), _imports(public))


def test_hidden_tests_judge_through_grader_hidden(source_nb):
    for cell in filter(is_test_cell, source_nb.cells):
        hidden = HIDDEN.search(cell.source).group(0)
        assert _imports(hidden) == {"grader"} and "from grader import hidden" in hidden and "hidden.check(" in hidden


def test_learners_implement_the_functions_and_answers_of_the_spec(source_nb, spec):
    defined, assigned = {}, set()
    code = {nbgrader_meta(c).get("grade_id") for c in source_nb.cells if c.cell_type == "code"}
    for grade_id, source in solution_sources(source_nb).items():
        if grade_id not in code:
            continue
        for node in ast.parse(source).body:
            if isinstance(node, ast.FunctionDef):
                defined[node.name] = [a.arg for a in node.args.args]
            elif isinstance(node, ast.Assign):
                assigned |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    assert defined == spec.functions
    assert assigned == spec.answers


def test_solution_passes_every_test_cell(course, source_nb, assignment):
    runs = run_cells(source_nb, course.directory("source", assignment))
    failed = {gid: (r.error, r.stderr) for gid, r in runs.items() if not r.passed}
    assert not failed
    assert {c for c in runs if c.startswith("test_")} == {
        nbgrader_meta(c)["grade_id"] for c in source_nb.cells if is_test_cell(c)
    }


def test_stubs_fail_every_test_cell_without_crashing_the_run(course, stub_nb, assignment):
    runs = run_cells(stub_nb, course.directory("source", assignment))
    tests = {gid: r for gid, r in runs.items() if gid.startswith("test_")}
    assert tests and all(r.error is not None for r in tests.values()), [g for g, r in tests.items() if r.passed]


def test_the_library_holds_enough_mistakes_for_this_assignment(assignment, spec):
    assert len(mutants_for(assignment)) >= spec.min_mutants


def test_the_course_library_holds_at_least_thirty_mistakes():
    assert len(MUTANTS) >= 30


@pytest.mark.parametrize("mutant", [m for name in SPECS for m in mutants_for(name)], ids=lambda m: m.name)
def test_each_mutant_fails_its_targets_with_a_message_naming_the_mistake(course, notebooks, mutant):
    nb = replace_cell(notebooks[mutant.assignment], mutant.cell, mutant_source(notebooks[mutant.assignment], mutant))
    runs = run_cells(nb, course.directory("source", mutant.assignment), keep=graded_part)
    for target in mutant.targets:
        run = runs[target]
        assert not run.passed, f"{mutant.name} should lose the points of {target}"
        message = (run.error or run.stderr).lower()
        missing = [w for w in mutant.expect if w.lower() not in message]
        assert not missing, f"{target} failed with {run.error!r}, which does not say {missing}"


def test_a_harmless_warning_in_a_solution_cell_costs_no_points(course, source_nb, assignment, spec):
    """A student's warning (at definition time and inside a function the tests call) must not fail a test cell."""
    noisy = with_warnings(solution_sources(source_nb)[spec.noisy_cell])
    assert noisy.count("warnings.warn") == 2
    runs = run_cells(
        replace_cell(source_nb, spec.noisy_cell, noisy), course.directory("source", assignment), keep=graded_part
    )
    assert runs[spec.noisy_cell].stderr  # the warning shows where the student wrote it...
    assert all(r.passed for gid, r in runs.items() if gid.startswith("test_"))  # ...and costs nothing


@pytest.fixture(scope="module")
def release_nb(source_nb):
    """The text of the release, made by the two nbgrader preprocessors that write it (no gradebook needed)."""
    nb = copy.deepcopy(source_nb)
    for preprocessor in (ClearSolutions(), ClearHiddenTests()):
        nb, _ = preprocessor.preprocess(nb, {})
    return nb


def test_the_solution_submission_made_from_the_release_passes_the_public_tests(
    course, source_nb, release_nb, assignment
):
    submission = solution_submission(release_nb, source_nb)
    assert not any("BEGIN SOLUTION" in c.source or "NotImplementedError" in c.source for c in submission.cells)
    runs = run_cells(submission, course.directory("source", assignment))
    assert all(run.passed for run in runs.values()), {g: r.error for g, r in runs.items() if not r.passed}


def test_the_blank_release_fails_every_public_test(course, release_nb, assignment):
    runs = run_cells(blank_submission(release_nb), course.directory("source", assignment))
    assert all(not run.passed for gid, run in runs.items() if gid.startswith("test_"))
