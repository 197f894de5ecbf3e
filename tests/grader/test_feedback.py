"""grader feedback: points, failure messages, the learner's code and answers with comments; hidden tests never."""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path

import nbformat
import pytest
from markupsafe import Markup
from nbgrader.api import Gradebook

from grader import autograde, feedback
from grader.course import quiet_sqlalchemy
from grader.errors import UsageError
from grader.grades import CellGrade
from tests.grader.conftest import (
    ASSIGNMENT,
    HIDDEN_LINES,
    HIDDEN_MESSAGE,
    SQUARE_HIDDEN_FAIL,
    fill,
    submit,
)

RAISER = "    if x < 0:\n        raise ValueError('negative input in my_square_body')\n    return x * x"
COMMENT = "Nice use of the absolute value."


@pytest.fixture(scope="module")
def graded(released_course: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    course = tmp_path_factory.mktemp("feedback") / "course"
    shutil.copytree(released_course, course)
    submit(course, "hidden_fail", fill(course, square=SQUARE_HIDDEN_FAIL))
    submit(course, "raiser", fill(course, square=RAISER))
    submit(course, "good", fill(course, answer="Because x*x = |x|^2 >= 0."))
    submit(course, "badjson", raw="not a notebook")
    autograde.run(course=course, assignment=ASSIGNMENT)
    with quiet_sqlalchemy(), Gradebook(f"sqlite:///{course / 'gradebook.db'}", "tiny") as gb:
        grade = gb.find_grade("explain", ASSIGNMENT, ASSIGNMENT, "good")
        grade.manual_score, grade.needs_manual_grade = 0.5, False  # what the formgrader does
        gb.find_comment("explain", ASSIGNMENT, ASSIGNMENT, "good").manual_comment = COMMENT
        gb.db.commit()
    feedback.run(course=course, assignment=ASSIGNMENT)
    return course


def page(course: Path, student: str) -> str:
    return (course / "feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()


def visible(text: str) -> str:
    """What a reader sees: tags removed (highlighting splits code into spans), entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", text))


@pytest.mark.slow
def test_a_failed_hidden_test_shows_its_message_and_none_of_its_source(graded: Path) -> None:
    """Does the report of a hidden-test failure give the message and hide every hidden line (nbgrader #917)?"""
    autograded = (graded / "autograded" / "hidden_fail" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text()
    assert HIDDEN_LINES[0] in autograded  # the restored test cell holds them: the search below can fail
    text = visible(page(graded, "hidden_fail"))
    assert f"AssertionError: {HIDDEN_MESSAGE}" in text
    for line in HIDDEN_LINES:
        assert line not in text
    assert "hidden_probe_q7x" not in text
    assert 'assert square(2) == 4, "square(2) should be 4"' in text  # the public test line is shown
    assert "0 / 2" in text and "1 / 1" in text  # each test's points
    assert "return x * abs(x)" in text  # the learner's code


@pytest.mark.slow
def test_a_traceback_keeps_the_learners_frames_and_drops_the_test_cells(graded: Path) -> None:
    """When the learner's function raises inside a hidden test, is their frame shown without the test's lines?"""
    text = visible(page(graded, "raiser"))
    assert "ValueError: negative input in my_square_body" in text
    assert "raise ValueError" in text  # the learner's own line, from their frame
    for line in HIDDEN_LINES:
        assert line not in text
    assert "hidden_probe_q7x" not in text


@pytest.mark.slow
def test_written_answers_show_the_graders_score_and_comment(graded: Path) -> None:
    """Does the report show the written answer, the manual score and the grader's comment?"""
    text = visible(page(graded, "good"))
    assert "Because x*x = |x|^2 >= 0." in text
    assert COMMENT in text
    assert "0.5 / 1" in text
    assert "Score: 3.5 / 4" in text


@pytest.mark.slow
def test_an_ungradable_notebook_gets_a_report_that_says_why(graded: Path) -> None:
    """Does a student whose notebook was unreadable get a page with the reason and zero points?"""
    text = visible(page(graded, "badjson"))
    assert "not a readable notebook" in text
    assert "Score: 0 / 4" in text


@pytest.mark.slow
def test_unknown_students_are_a_usage_error(graded: Path) -> None:
    with pytest.raises(UsageError, match="nobody"):
        feedback.run(course=graded, assignment=ASSIGNMENT, students=["nobody"])


def test_hidden_lines_are_found_and_redacted_from_any_output(course: Path) -> None:
    """Is an output line quoting hidden test code replaced by a notice (e.g. a printed traceback)?"""
    from nbgrader.preprocessors import ClearHiddenTests

    nb = nbformat.read(course / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    hider = ClearHiddenTests()
    assert feedback.hidden_lines(nb, hider) == set(HIDDEN_LINES)
    printer = nbformat.v4.new_code_cell("print(open('x').read())")
    printer.outputs = [nbformat.v4.new_output("stream", name="stdout", text=f"leak: {HIDDEN_LINES[0]}\nfine\n")]
    nb.cells.append(printer)
    grades = {"test_square": CellGrade("test_square", "test", 0.0, 2.0)}
    blocks = feedback.blocks(nb, grades, hider)
    rendered = visible(" ".join(str(o) for b in blocks for o in b.outputs) + " ".join(str(b.body) for b in blocks))
    assert "hidden_probe_q7x" not in rendered
    assert feedback.REDACTED in rendered and "fine" in rendered
    test_block = next(b for b in blocks if b.kind == "test")
    assert test_block.hidden == len(HIDDEN_LINES)


def test_the_summary_lists_failed_cells_first_each_linked_to_its_cell() -> None:
    """Is the summary failed, then waiting for a grader, then passed (notebook order within each), every line linked
    to its cell, or to the list of graded cells missing from the notebook?"""
    passed, failed = CellGrade("t1", "test", 1.0, 1.0), CellGrade("t2", "test", 0.0, 2.0)
    pending = CellGrade("q", "written", 0.0, 1.0, needs_manual_grade=True)
    missing = CellGrade("t3", "test", 0.0, 1.0)
    blocks = [feedback.Block("test", Markup(""), grade=g) for g in (passed, pending, failed)]
    lines = [(line.grade.name, line.state, line.anchor) for line in feedback.summary(blocks, [missing])]
    assert lines == [("t2", "failed", "cell-t2"), ("t3", "failed", feedback.NOT_FOUND), ("q", "pending", "cell-q"),
                     ("t1", "passed", "cell-t1")]


def test_notebook_headings_nest_under_the_page_and_figures_name_their_cell() -> None:
    """Does a notebook's ``#`` become h3 (under the page's h1 and h2), a jump to ``###`` go one level only, a test's
    heading sit one level under the heading before it, and a figure's alt text name the cell it comes from?"""
    from nbgrader.preprocessors import ClearHiddenTests

    plot = nbformat.v4.new_code_cell("plt.plot([0, 1])")
    plot.outputs = [nbformat.v4.new_output("display_data", data={"image/png": "iVBORw0KGgo="})]
    test = nbformat.v4.new_code_cell("assert True")
    test.metadata["nbgrader"] = {"schema_version": 3, "grade": True, "solution": False, "locked": True,
                                 "grade_id": "t", "points": 1}
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Title\n### Exercise 1"), plot, test])
    blocks = feedback.blocks(nb, {"t": CellGrade("t", "test", 1.0, 1.0)}, ClearHiddenTests())
    assert re.findall(r"<h(\d)>", str(blocks[0].body)) == ["3", "4"]
    assert blocks[2].kind == "test" and blocks[2].level == 5
    assert str(blocks[1].outputs[0]).startswith('<img alt="figure from cell 2" src="data:image/png;base64,')
