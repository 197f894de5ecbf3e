"""The gradebook steps of one autograde run (grader/steps.py, grader/nbgrader_adapter.py) against nbgrader's own:
same lookups, rows, errors."""

from __future__ import annotations

import copy
from pathlib import Path

import nbformat
import pytest
from nbconvert.exporters.exporter import ResourcesDict
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.nbgraderformat import MetadataValidator
from nbgrader.preprocessors import AssignLatePenalties, CheckCellMetadata, SaveAutoGrades

from grader.course import nbgrader_logger, open_course, quiet_sqlalchemy
from grader.nbgrader_adapter import CheckMetadata, FastMetadataValidator, LatePenalties, SaveScores, SharedKernelspec
from grader.restore import RestoreCells
from grader.steps import RUN_KEY, RunGradebook
from tests.grader.conftest import ASSIGNMENT, CUBE_WRONG, fill

LATE = "2024-03-01 10:00:00.000000 UTC"


def _resources(course: Path, student: str, run: RunGradebook | None) -> ResourcesDict:
    resources = ResourcesDict()
    resources["nbgrader"] = {"student": student, "assignment": ASSIGNMENT, "notebook": ASSIGNMENT,
                             "db_url": open_course(course).db_url, RUN_KEY: run}
    return resources


def _graded(course: Path, student: str, cube_ran: bool) -> nbformat.NotebookNode:
    """The released notebook as executed: test_cube failed (an error output) or passed (no output)."""
    nb = fill(course, cube=CUBE_WRONG)
    if not cube_ran:
        cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "test_cube")
        cell.outputs = [nbformat.v4.new_output("error", ename="AssertionError", evalue="cube(2) should be 8",
                                               traceback=[])]
    return nb


def _rows(course: Path, student: str) -> dict[str, tuple]:
    with Gradebook(open_course(course).db_url, "tiny") as gb:
        notebook = gb.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, student)
        rows = {f"grade {g.name}": (g.auto_score, g.manual_score, g.needs_manual_grade) for g in notebook.grades}
        rows |= {f"comment {c.name}": (c.auto_comment,) for c in notebook.comments}
        rows["late penalty"] = (notebook.late_submission_penalty,)
        return rows


def _submit_rows(course: Path, student: str, timestamp: str) -> None:
    with Gradebook(open_course(course).db_url, "tiny") as gb, quiet_sqlalchemy():
        gb.update_or_create_student(student)
        gb.update_or_create_submission(ASSIGNMENT, student, timestamp=timestamp)


@pytest.mark.parametrize("late", [False, True])
def test_scores_and_penalties_written_on_the_run_session_equal_nbgraders_rows(course: Path, late: bool) -> None:
    """Do SaveScores + LatePenalties on one run session write exactly the rows SaveAutoGrades + AssignLatePenalties
    write, for a failing test cell, a passing one, an unanswered written answer, on time and late?"""
    config = open_course(course).config
    config.LateSubmissionPlugin.penalty_method = "zero"
    config.Assignment.duedate = "2024-02-01 10:00:00 UTC"
    stamp = LATE if late else "2024-01-01 10:00:00.000000 UTC"
    for student in ("theirs", "ours"):
        _submit_rows(course, student, stamp)
    nb = _graded(course, "x", cube_ran=False)

    for step in (SaveAutoGrades(config=config), AssignLatePenalties(config=config)):
        step(copy.deepcopy(nb), _resources(course, "theirs", None))
    with RunGradebook(open_course(course).db_url, ASSIGNMENT, "tiny") as run:
        for step in (SaveScores(config=config), LatePenalties(config=config)):
            step(copy.deepcopy(nb), _resources(course, "ours", run))
        run.commit()

    theirs, ours = _rows(course, "theirs"), _rows(course, "ours")
    assert ours == theirs
    assert theirs["grade test_cube"][0] == 0 and theirs["grade test_square"][0] == 2
    assert theirs["grade explain"][2] is True  # a written answer waits for a person


def test_a_step_reused_for_another_notebook_writes_only_that_notebooks_rows(course: Path) -> None:
    """Does one SaveScores, run on two students' notebooks in turn, keep no rows of the first for the second?"""
    for student in ("first", "second"):
        _submit_rows(course, student, "2024-01-01 10:00:00.000000 UTC")
    step = SaveScores(config=open_course(course).config)
    with RunGradebook(open_course(course).db_url, ASSIGNMENT, "tiny") as run:
        step(_graded(course, "first", cube_ran=False), _resources(course, "first", run))
        step(_graded(course, "second", cube_ran=True), _resources(course, "second", run))
        run.commit()
    assert _rows(course, "first")["grade test_cube"][0] == 0
    assert _rows(course, "second")["grade test_cube"][0] == 1


@pytest.mark.parametrize("step", [SharedKernelspec, RestoreCells, SaveScores, LatePenalties])
def test_a_gradebook_step_without_a_run_says_it_needs_one(course: Path, step) -> None:
    """Is a gradebook step given no RunGradebook (there is no mode that opens its own gradebook) stopped with a
    message naming what it needs, before it writes anything?"""
    _submit_rows(course, "alone", "2024-01-01 10:00:00.000000 UTC")
    before = _rows(course, "alone")
    with pytest.raises(ValueError, match="needs the run's RunGradebook"):
        step(config=open_course(course).config)(_graded(course, "alone", cube_ran=True),
                                                _resources(course, "alone", None))
    assert _rows(course, "alone") == before


def test_the_source_index_answers_as_the_gradebook_does(course: Path) -> None:
    """Does SourceIndex give the same source cells, points and misses as nbgrader's Gradebook lookups?"""
    db_url = open_course(course).db_url
    with RunGradebook(db_url, ASSIGNMENT, "tiny") as run, Gradebook(db_url, "tiny") as gb:
        index = run.source
        source = gb.find_notebook(ASSIGNMENT, ASSIGNMENT)
        assert index.find_notebook(ASSIGNMENT, ASSIGNMENT).kernelspec == source.kernelspec
        for cell in source.source_cells:
            mine = index.find_source_cell(cell.name, ASSIGNMENT, ASSIGNMENT)
            assert (mine.cell_type, mine.locked, mine.checksum, mine.source) == (
                cell.cell_type, cell.locked, cell.checksum, cell.source)
        for cell in source.grade_cells:
            assert index.find_graded_cell(cell.name, ASSIGNMENT, ASSIGNMENT).max_score == cell.max_score
        for lookup in (index.find_source_cell, index.find_graded_cell):
            with pytest.raises(MissingEntry):
                lookup("no_such_cell", ASSIGNMENT, ASSIGNMENT)
        with pytest.raises(MissingEntry):
            index.find_notebook("other", ASSIGNMENT)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda meta: meta.update(points="two"), "'two' is not of type 'number'"),
        (lambda meta: meta.pop("grade_id"), "does not have a grade_id"),
        (lambda meta: meta.update(schema_version=1), "Outdated schema version"),
        (lambda meta: meta.update(grade_id=""), "grade_id is empty"),
    ],
)
def test_the_compiled_metadata_check_raises_what_nbgraders_raises(course: Path, edit, message: str) -> None:
    """Does FastMetadataValidator reject broken nbgrader metadata with nbgrader's own error?"""
    nb = fill(course)
    test_cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "test_square")
    edit(test_cell.metadata.nbgrader)
    errors = []
    for validator in (MetadataValidator(), FastMetadataValidator()):
        with pytest.raises(Exception) as caught:  # SchemaTooOldError is no ValidationError
            validator.validate_nb(copy.deepcopy(nb))
        errors.append((type(caught.value), str(caught.value).splitlines()[0]))
    assert errors[0] == errors[1]
    assert message in errors[0][1]
    steps = []
    for step in (CheckCellMetadata(log=nbgrader_logger()), CheckMetadata(log=nbgrader_logger())):
        with pytest.raises(Exception) as caught:
            step(copy.deepcopy(nb), ResourcesDict())
        steps.append((type(caught.value), str(caught.value)))
    assert steps[0] == steps[1]


def test_the_compiled_metadata_check_passes_a_sound_notebook(course: Path) -> None:
    nb = fill(course)
    FastMetadataValidator().validate_nb(nb)
    assert CheckMetadata()(nb, ResourcesDict())[0] is nb
