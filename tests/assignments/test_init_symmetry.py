"""assignments/source/init_symmetry: is the notebook a valid nbgrader assignment whose solution passes every test
cell, whose stubs fail every one without crashing, and whose hidden tests catch every mistake in the library with
a message that names it? (In-process and fast; test_nbgrader_init_symmetry.py runs the same through nbgrader.)"""

from __future__ import annotations

import ast
import copy
import re

import nbformat
import pytest
from nbgrader.nbgraderformat import MetadataValidator
from nbgrader.preprocessors import ClearHiddenTests, ClearSolutions
from notebook_runner import ASSIGNMENT, is_test_cell, nbgrader_meta, run_cells

from grader.course import DEFAULT_COURSE
from grader.mutants import mutants_for
from grader.submissions import blank_submission, replace_cell, solution_sources, solution_submission

HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS\n.*?### END HIDDEN TESTS\n?", re.S)
FUNCTIONS = {
    "initialize_parameters_zeros": ["layer_dims"],
    "initialize_parameters_random": ["layer_dims", "rng", "scale"],
    "initialize_parameters_xavier": ["layer_dims", "rng"],
    "initialize_parameters_he": ["layer_dims", "rng"],
    "initialize_parameters_zero_weights_random_bias": ["layer_dims", "rng", "scale"],
    "find_duplicate_units": ["W", "b", "W_next", "tol"],
}
ANSWER_VARIABLES = {
    "q1_first_step_W1_moves",
    "q1_rank_W1_after_two_steps",
    "q1_relu_negative_bias",
    "q2_symmetry_condition",
    "q2_across_layers_matters",
    "q3_columns_are_examples",
    "q3_columns_stay_equal",
}
STUDENT_MODULES = {"warnings", "numpy", "matplotlib", "nnlib"}
"""What a student's environment has (plus the helper package shipped with the release)."""


def _imports(source: str) -> set[str]:
    tree = ast.parse(source)
    names = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    return names | {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}


def test_metadata_is_valid_nbgrader_schema_3(source_nb):
    MetadataValidator().validate_nb(source_nb)
    tracked = [nbgrader_meta(c) for c in source_nb.cells if nbgrader_meta(c)]
    assert tracked and all(m["schema_version"] == 3 for m in tracked)
    assert source_nb.metadata.kernelspec.name == "python3"


def test_committed_notebook_has_no_outputs():
    nb = nbformat.read(DEFAULT_COURSE / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.outputs == [] and c.execution_count is None for c in code)


def test_total_points_stated_at_the_top_match_the_cells(source_nb):
    points = {
        nbgrader_meta(c)["grade_id"]: nbgrader_meta(c)["points"]
        for c in source_nb.cells
        if nbgrader_meta(c).get("grade")
    }
    top = source_nb.cells[0].source
    stated = re.search(r"worth (\d+) points:\*\* (\d+) for .*?, (\d+) for .*? and\s+(\d+) for", top, re.S)
    assert stated, "the first cell states the total and its three parts"
    total, code, answers, written = map(int, stated.groups())
    assert total == sum(points.values()) == 34
    assert written == sum(p for k, p in points.items() if k.endswith("_written"))
    assert answers == sum(p for k, p in points.items() if k.startswith("test_q"))
    assert code == total - written - answers


def test_test_cells_are_small_and_each_has_hidden_tests(source_nb):
    tests = [c for c in source_nb.cells if is_test_cell(c)]
    assert len(tests) >= 20
    for cell in tests:
        meta = nbgrader_meta(cell)
        assert 0 < meta["points"] <= 2 and meta["locked"], meta["grade_id"]
        assert HIDDEN.search(cell.source), f"{meta['grade_id']} has no hidden tests"
        for code in (cell.source, HIDDEN.sub("", cell.source)):  # graded and released versions
            # a value left by the last statement would be read by nbgrader as a partial score
            assert not isinstance(ast.parse(code).body[-1], ast.Expr), meta["grade_id"]


def test_written_answers_are_manually_graded_markdown(source_nb):
    written = [c for c in source_nb.cells if c.cell_type == "markdown" and nbgrader_meta(c).get("grade")]
    assert [nbgrader_meta(c)["grade_id"] for c in written] == ["q1_written", "q2_written", "q3_written"]
    assert all(nbgrader_meta(c)["solution"] and nbgrader_meta(c)["points"] >= 2 for c in written)


def test_public_code_never_imports_reference_or_grader(source_nb):
    """A student has numpy, matplotlib, Jupyter and the shipped helpers; hidden tests may import more."""
    for cell in source_nb.cells:
        if cell.cell_type == "code":
            public = HIDDEN.sub("", cell.source)
            assert _imports(public) <= STUDENT_MODULES, (nbgrader_meta(cell).get("grade_id"), _imports(public))


def test_hidden_tests_judge_through_grader_checks(source_nb):
    for cell in filter(is_test_cell, source_nb.cells):
        hidden = HIDDEN.search(cell.source).group(0)
        assert _imports(hidden) == {"grader"} and "checks.check_" in hidden


def test_learners_implement_the_six_functions_and_seven_answers(source_nb):
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
    assert defined == FUNCTIONS
    assert assigned == ANSWER_VARIABLES


def test_solution_passes_every_test_cell(course, source_nb):
    runs = run_cells(source_nb, course.directory("source", ASSIGNMENT))
    failed = {gid: (r.error, r.stderr) for gid, r in runs.items() if not r.passed}
    assert not failed
    assert {c for c in runs if c.startswith("test_")} == {
        nbgrader_meta(c)["grade_id"] for c in source_nb.cells if is_test_cell(c)
    }


def test_stubs_fail_every_test_cell_without_crashing_the_run(course, stub_nb):
    runs = run_cells(stub_nb, course.directory("source", ASSIGNMENT))
    tests = {gid: r for gid, r in runs.items() if gid.startswith("test_")}
    assert tests and all(r.error is not None for r in tests.values()), [g for g, r in tests.items() if r.passed]


def _graded_part(cell) -> bool:
    """Cells a test cell depends on: the locked setup, every solution cell, and test cells."""
    meta = nbgrader_meta(cell)
    return meta.get("grade_id") == "setup" or meta.get("solution", False) or is_test_cell(cell)


MUTANTS = mutants_for(ASSIGNMENT)


def test_the_library_holds_at_least_fifteen_mistakes_for_this_assignment():
    assert len(MUTANTS) >= 15


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.name for m in MUTANTS])
def test_each_mutant_fails_its_targets_with_a_message_naming_the_mistake(course, source_nb, mutant):
    nb = replace_cell(source_nb, mutant.cell, mutant.code)
    runs = run_cells(nb, course.directory("source", ASSIGNMENT), keep=_graded_part)
    for target in mutant.targets:
        run = runs[target]
        assert not run.passed, f"{mutant.name} should lose the points of {target}"
        message = (run.error or run.stderr).lower()
        missing = [w for w in mutant.expect if w.lower() not in message]
        assert not missing, f"{target} failed with {run.error!r}, which does not say {missing}"


def test_a_harmless_warning_in_a_solution_cell_costs_no_points(course, source_nb):
    """A student's warning (at definition time and inside a function the tests call) must not fail a test cell."""
    solution = solution_sources(source_nb)["init_he"]
    noisy = "warnings.warn('defining he', UserWarning)\n" + solution.replace(
        "    params = {}\n",
        "    params = {}\n    warnings.warn('inside he', UserWarning)\n    np.log(np.zeros(1))\n",
        1,
    )
    assert noisy.count("warnings.warn") == 2
    runs = run_cells(
        replace_cell(source_nb, "init_he", noisy), course.directory("source", ASSIGNMENT), keep=_graded_part
    )
    assert runs["init_he"].stderr  # the warning shows where the student wrote it...
    assert all(r.passed for gid, r in runs.items() if gid.startswith("test_"))  # ...and costs nothing


@pytest.fixture(scope="module")
def release_nb(source_nb):
    """The text of the release, made by the two nbgrader preprocessors that write it (no gradebook needed)."""
    nb = copy.deepcopy(source_nb)
    for preprocessor in (ClearSolutions(), ClearHiddenTests()):
        nb, _ = preprocessor.preprocess(nb, {})
    return nb


def test_the_solution_submission_made_from_the_release_passes_the_public_tests(course, source_nb, release_nb):
    submission = solution_submission(release_nb, source_nb)
    assert not any("BEGIN SOLUTION" in c.source or "NotImplementedError" in c.source for c in submission.cells)
    runs = run_cells(submission, course.directory("source", ASSIGNMENT))
    assert all(run.passed for run in runs.values()), {g: r.error for g, r in runs.items() if not r.passed}


def test_the_blank_release_fails_every_public_test(course, release_nb):
    runs = run_cells(blank_submission(release_nb), course.directory("source", ASSIGNMENT))
    assert all(not run.passed for gid, run in runs.items() if gid.startswith("test_"))
