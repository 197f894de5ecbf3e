"""grader autograde: broken submissions never stop the batch, scores match nbgrader's, interrupted runs resume."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbgrader import utils
from nbgrader.api import Gradebook

from grader import autograde
from grader.course import quiet_sqlalchemy
from grader.engine.jobs import CellRun, JobResult
from grader.errors import AssignmentNotFoundError, GraderError, UsageError
from grader.outcomes import mark_not_run
from grader.records import FAILED, GRADED, SKIPPED
from tests.grader.conftest import (
    ASSIGNMENT,
    CUBE_OK,
    CUBE_WRONG,
    SQUARE_HIDDEN_FAIL,
    FakeExecutor,
    cell,
    fill,
    released,
    submit,
)


def cell_scores(course: Path) -> dict[str, dict[str, tuple]]:
    """student -> grade cell -> (auto_score, needs_manual_grade, score), read straight from the gradebook."""
    out: dict[str, dict[str, tuple]] = {}
    with quiet_sqlalchemy(), Gradebook(f"sqlite:///{course / 'gradebook.db'}", "tiny") as gb:
        for sub in gb.assignment_submissions(ASSIGNMENT):
            for nb in sub.notebooks:
                for g in nb.grades:
                    out.setdefault(sub.student.id, {})[g.name] = (g.auto_score, g.needs_manual_grade, g.score)
    return out


@pytest.mark.slow
@pytest.mark.parametrize("executor", ["fork", "kernel"])
def test_a_batch_of_broken_submissions_grades_the_others_normally(course: Path, executor: str) -> None:
    """Does each broken notebook get its own error line and zero where it must, while the rest score normally,
    with the fork engine (the default) and with nbgrader's kernel path alike?"""
    submit(course, "good", fill(course))
    submit(course, "hidden_fail", fill(course, square=SQUARE_HIDDEN_FAIL))
    submit(course, "badjson", raw='{"cells": [ this is not json')
    nb = fill(course)
    nb.cells.remove(cell(nb, "test_square"))
    submit(course, "deleted", nb)
    nb = fill(course)
    md = cell(nb, "test_cube")
    md.cell_type = "markdown"
    del md["outputs"], md["execution_count"]
    submit(course, "markdown", nb)
    submit(course, "loop", fill(course, square="    while True:\n        pass"))
    submit(course, "killer", fill(course, cube=CUBE_OK + "\nimport os, signal\nos.kill(os.getpid(), signal.SIGKILL)"))
    submit(course, "exiter", fill(course, cube=CUBE_OK + "\nimport os\nos._exit(3)"))

    result = autograde.run(course=course, assignment=ASSIGNMENT, jobs=2, executor=executor)
    reports = {r.student: r for r in result.reports}
    scores = cell_scores(course)

    assert not result.ok
    assert {s: r.status for s, r in reports.items()} == {
        "badjson": FAILED,
        "deleted": GRADED,
        "exiter": FAILED,
        "good": GRADED,
        "hidden_fail": GRADED,
        "killer": FAILED,
        "loop": GRADED,
        "markdown": GRADED,
    }
    # the normal ones
    assert scores["good"]["test_square"][0] == 2.0 and scores["good"]["test_cube"][0] == 1.0
    assert scores["hidden_fail"]["test_square"][0] == 0.0 and scores["hidden_fail"]["test_cube"][0] == 1.0
    assert reports["good"].problems == [] and reports["hidden_fail"].problems == []
    # invalid JSON: every cell 0, nothing left for manual grading
    assert scores["badjson"] == {k: (0.0, False, 0.0) for k in ("test_square", "test_cube", "explain")}
    assert "not a readable notebook" in reports["badjson"].problems[0]
    # a deleted test cell is put back and graded (nbgrader leaves it "needs manual grade" forever)
    assert scores["deleted"]["test_square"][:2] == (2.0, False)
    assert any("'test_square' was missing; added back" in p for p in reports["deleted"].problems)
    # a test cell turned into markdown is turned back and run
    assert scores["markdown"]["test_cube"][0] == 1.0
    assert any("turned into markdown" in p for p in reports["markdown"].problems)
    # an endless loop is interrupted at the time limit: that test fails, the others run
    assert scores["loop"]["test_square"][0] == 0.0 and scores["loop"]["test_cube"][0] == 1.0
    assert any("ran past the 2 s limit" in p for p in reports["loop"].problems)
    # a dead process: cells before it keep their points, the cell that stopped it and every later one score 0,
    # and the line names that cell by its grade_id
    for student in ("killer", "exiter"):
        assert scores[student]["test_square"][0] == 2.0
        assert scores[student]["test_cube"][0] == 0.0
    died = {
        "fork": {"killer": "the notebook's process was killed by SIGKILL", "exiter": "the notebook's process exited "
                 "with code 3"},
        "kernel": {"killer": "the kernel died", "exiter": "the kernel died"},
    }[executor]
    for student, how in died.items():
        assert f"ps1.ipynb: {how} during cell 'cube'; that cell and every later code cell scored 0" in (
            reports[student].problems
        )
    # written answers are left for a person except where the notebook could not be read
    assert scores["good"]["explain"][:2] == (None, True)


@pytest.mark.slow
def test_scores_agree_cell_by_cell_with_plain_nbgrader_autograde(course: Path, tmp_path: Path) -> None:
    """Does our pipeline write the same gradebook rows as `nbgrader autograde` for the same submissions?"""
    submit(course, "good", fill(course))
    submit(course, "hidden_fail", fill(course, square=SQUARE_HIDDEN_FAIL))
    submit(course, "wrong_cube", fill(course, cube=CUBE_WRONG))
    submit(course, "blank", released(course))
    submit(course, "late", fill(course), timestamp="2030-01-01 10:00:00.000000 UTC")
    nb = fill(course)
    cell(nb, "test_cube").source = "pass  # my own test"
    cell(nb, "test_cube").metadata["nbgrader"]["points"] = 10
    submit(course, "tamper", nb)
    twin = tmp_path / "twin"
    shutil.copytree(course, twin)

    env = {**os.environ, "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")}
    done = subprocess.run(
        [sys.executable, "-m", "nbgrader", "autograde", ASSIGNMENT],
        cwd=twin,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    ours = autograde.run(course=course, assignment=ASSIGNMENT)

    assert ours.ok
    theirs_scores, our_scores = cell_scores(twin), cell_scores(course)
    assert set(our_scores) == {"good", "hidden_fail", "wrong_cube", "blank", "late", "tamper"}
    assert our_scores == theirs_scores
    assert our_scores["hidden_fail"]["test_square"][0] == 0.0  # the comparison covers failing cells too
    assert our_scores["tamper"]["test_cube"][0] == 1.0


def test_an_interrupted_run_resumes_without_regrading_what_is_done(course: Path) -> None:
    """Does a second run grade only what the interrupted one did not finish, and --force regrade everything?"""
    for student in ("ann", "bob", "cid"):
        submit(course, student, fill(course))

    class StopAfterFirst:
        def start(self, total: int) -> None: ...
        def close(self) -> None: ...
        def update(self, report) -> None:
            raise KeyboardInterrupt

    executor = FakeExecutor()
    with pytest.raises(KeyboardInterrupt):
        autograde.run(course=course, assignment=ASSIGNMENT, executor=executor, progress=StopAfterFirst())
    first = {r.split("/")[0] for r in executor.seen}

    again = FakeExecutor()
    result = autograde.run(course=course, assignment=ASSIGNMENT, executor=again)
    statuses = {r.student: r.status for r in result.reports}
    assert [s for s, st in statuses.items() if st == SKIPPED] == ["ann"]
    assert {j.split("/")[0] for j in again.seen} == {"bob", "cid"}
    assert "ann" in first
    assert all(r.score == 3.0 for r in result.reports)

    submit(course, "bob", fill(course, cube=CUBE_WRONG), timestamp="2024-01-02 10:00:00.000000 UTC")
    third = FakeExecutor()
    autograde.run(course=course, assignment=ASSIGNMENT, executor=third)
    assert third.seen == ["bob/ps1"]  # a changed submission is regraded, the others are not

    forced = FakeExecutor()
    autograde.run(course=course, assignment=ASSIGNMENT, executor=forced, force=True)
    assert sorted(forced.seen) == ["ann/ps1", "bob/ps1", "cid/ps1"]


def test_edited_metadata_and_deleted_cells_are_restored_from_the_gradebook(course: Path) -> None:
    """Are the grade flag, points and deleted test cells (with their solution cell) put back before scoring?"""
    nb = fill(course)
    cell(nb, "test_cube").metadata["nbgrader"]["grade"] = False  # no longer a grade cell...
    nb.cells.remove(cell(nb, "square"))  # ...and a test deleted together with the cell before it
    nb.cells.remove(cell(nb, "test_square"))
    submit(course, "sly", nb)
    result = autograde.run(course=course, assignment=ASSIGNMENT, executor=FakeExecutor(), students=["sly"])
    scores = cell_scores(course)["sly"]
    assert scores["test_cube"][:2] == (1.0, False)
    assert scores["test_square"][:2] == (2.0, False)  # FakeExecutor runs nothing: the restored cell is scored
    problems = " ".join(result.reports[0].problems)
    assert "metadata flag 'grade' was edited" in problems
    assert "'test_square' was missing" in problems
    graded = nbformat.read(course / "autograded" / "sly" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    names = [c.metadata.get("nbgrader", {}).get("grade_id") for c in graded.cells]
    assert names.index("test_square") < names.index("cube")


def test_a_missing_notebook_scores_zero_and_an_unknown_one_is_reported(course: Path) -> None:
    """Is a submission without the assignment's notebook zeroed, naming the file it expected?"""
    folder = course / "submitted" / "renamer" / ASSIGNMENT
    folder.mkdir(parents=True)
    nbformat.write(fill(course), folder / "ps1 (1).ipynb")
    result = autograde.run(course=course, assignment=ASSIGNMENT, executor=FakeExecutor())
    report = result.reports[0]
    assert report.status == FAILED
    assert any("'ps1 (1).ipynb' is not" in p or "ps1 (1).ipynb is not a notebook" in p for p in report.problems)
    assert any("ps1.ipynb was not submitted" in p for p in report.problems)
    assert cell_scores(course)["renamer"]["test_square"] == (0.0, False, 0.0)


def test_student_filter_and_unknown_names_are_usage_errors(course: Path) -> None:
    """Does --student pick one submission, and do unknown students or assignments raise usage errors?"""
    submit(course, "ann", fill(course))
    submit(course, "bob", fill(course))
    executor = FakeExecutor()
    result = autograde.run(course=course, assignment=ASSIGNMENT, students=["bob"], executor=executor)
    assert [r.student for r in result.reports] == ["bob"] and executor.seen == ["bob/ps1"]
    with pytest.raises(UsageError, match="nobody"):
        autograde.run(course=course, assignment=ASSIGNMENT, students=["nobody"], executor=FakeExecutor())
    with pytest.raises(AssignmentNotFoundError, match="ps9"):
        autograde.run(course=course, assignment="ps9", executor=FakeExecutor())


@pytest.mark.parametrize(("file", "text", "words"), [
    ("checks.py", "def square(fn)\n    pass\n", "SyntaxError"),
    ("answers.py", "import no_such_module_of_the_course\n", "ModuleNotFoundError: No module named"),
    ("answers.py", "ANSWERS = {'q': 2}\n", "must define ANSWERS"),
])
def test_broken_hidden_checks_stop_the_run_before_any_notebook(course: Path, file: str, text: str, words: str,
                                                               capsys) -> None:
    """A grading folder that cannot be loaded would fail every hidden test of the class: the run refuses to start,
    exit code 1, one line naming the assignment and the file, and nothing graded."""
    from grader import cli

    submit(course, "ann", fill(course))
    (course / "grading" / ASSIGNMENT / file).write_text(text)
    executor = FakeExecutor()
    with pytest.raises(GraderError, match=f"hidden checks of 'ps1'.*{words}"):
        autograde.run(course=course, assignment=ASSIGNMENT, executor=executor)
    assert executor.seen == [] and cell_scores(course) == {}
    assert cli.main(["autograde", ASSIGNMENT, "--course", str(course), "--no-progress"]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and f"grading/{ASSIGNMENT}" in err and words in err


def test_cells_that_never_ran_get_an_error_so_nbgrader_scores_them_zero(course: Path) -> None:
    """Without an output nbgrader gives a test full marks: does mark_not_run close that hole?"""
    nb = released(course)
    for c in nb.cells:
        if c.cell_type == "code":
            c.outputs = []
    index = nb.cells.index(cell(nb, "cube"))
    later = [i for i, c in enumerate(nb.cells) if i > index and c.cell_type == "code"]
    test_cube = cell(nb, "test_cube")
    assert utils.determine_grade(test_cube)[0] == 1.0  # the hole
    result = JobResult(
        id="x/ps1",
        notebook=nb,
        status="died",
        message=f"the notebook's process was killed by SIGKILL during cell {index}",
        cells=(CellRun(index=index, seconds=0.0, status="died"),),
        not_run=tuple(later),
        stopped=index,
    )
    mark_not_run(nb, result)
    assert utils.determine_grade(test_cube)[0] == 0.0
    assert cell(nb, "cube").outputs[-1]["ename"] == "ExecutionStopped"
    assert cell(nb, "cube").outputs[-1]["evalue"] == "the notebook's process was killed by SIGKILL during this cell"
    assert test_cube.outputs[-1]["ename"] == "NotRun"
    assert test_cube.outputs[-1]["evalue"] == "not run: the notebook's process was killed by SIGKILL during cell 'cube'"
    assert cell(nb, "test_square").outputs == []  # ran before the failure: untouched
