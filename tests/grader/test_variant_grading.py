"""A variant answer is judged against its owner's parameters: the owner is the submission's folder, the judge gets
the owner's parameters from the grading process, and a classmate's copied answer loses its points (issue 18, item 4,
on the tiny course; the shipped notebooks do not have variants yet)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from grader import autograde, variants
from grader.checks.answers import Answer, check_answer
from grader.course import open_course
from grader.grades import read_grades
from tests.grader.conftest import ASSIGNMENT, cell, fill, generate, submit, write_source

TEST_CUBE = '''assert cube(2) == 8, "cube(2) should be 8"
### BEGIN HIDDEN TESTS
from grader import hidden
hidden.check("q_ratio", q_ratio)
### END HIDDEN TESTS'''
GENERATOR = '''VERSION = "1"


def parameters(stream):
    return {"m": int(stream("m").integers(5, 500))}
'''
ANSWERS = '''from grader.checks import Answer

ANSWERS = {
    "q_ratio": Answer("number", lambda p: (p["m"] - 1) / (p["m"] + 1),
                      "with your m = {m} examples, a forgotten 1/m gives (m - 1)/(m + 1)"),
}
'''


def ratio(m: int) -> float:
    return (m - 1) / (m + 1)


def answering(course: Path, value: float) -> nbformat.NotebookNode:
    """A correct notebook whose cube cell also sets the answer ``q_ratio = value``."""
    return fill(course, cube=f"    return x ** 3\n\n\nq_ratio = {value!r}")


@pytest.fixture(scope="module", params=["fork", "kernel"])
def graded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    """The tiny course with a variant question, graded: ``alice`` answers for her own m, ``bob`` copies alice's
    answer, ``carol`` answers for her own m rounded to 3 digits."""
    root = tmp_path_factory.mktemp(f"variants_{request.param}") / "course"
    write_source(root)
    source = root / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    nb = nbformat.read(source, as_version=4)
    cell(nb, "test_cube").source = TEST_CUBE
    nbformat.write(nb, source)
    (root / "grading" / ASSIGNMENT / "variants.py").write_text(GENERATOR)
    (root / "grading" / ASSIGNMENT / "answers.py").write_text(ANSWERS)
    generate(root)
    # recorded first, so that the test does not hang on what a fresh key draws: (m - 1)/(m + 1) of two large m can
    # be closer than the answer's tolerance (379 and 405 are), and then a copied answer is right for both
    m = {"alice": 10, "bob": 40, "carol": 200}
    for student, value in m.items():
        variants.write_record(root, variants.Variant(student, ASSIGNMENT, {"m": value}, "1"))
    submit(root, "alice", answering(root, ratio(m["alice"])))
    submit(root, "bob", answering(root, ratio(m["alice"])))  # copied from alice
    submit(root, "carol", answering(root, round(ratio(m["carol"]), 3)))
    result = autograde.run(course=root, assignment=ASSIGNMENT, executor=request.param, jobs=1)
    assert result.ok, [r.problems for r in result.reports]
    return root, m


def cube_cell(course: Path, student: str):
    grades = {g.student: g for g in read_grades(open_course(course), [ASSIGNMENT])}
    return next(c for c in grades[student].notebooks[0].cells if c.name == "test_cube")


@pytest.mark.slow
def test_the_owners_own_answer_scores_and_a_copied_one_does_not(graded) -> None:
    course, m = graded
    assert cube_cell(course, "alice").score == 1
    assert cube_cell(course, "carol").score == 1  # within the answer's relative tolerance
    copied = cube_cell(course, "bob")
    assert copied.score == 0
    assert f"with your m = {m['bob']} examples" in " ".join(copied.messages)  # the owner's own numbers


@pytest.mark.slow
def test_the_owner_is_the_submission_folder_and_the_variant_is_recorded(graded) -> None:
    course, m = graded
    for student, value in m.items():
        recorded = variants.read_record(course, ASSIGNMENT, student)
        assert recorded is not None and recorded.parameters == {"m": value} and recorded.version == "1"


def test_a_variant_answer_cannot_be_judged_without_the_owners_parameters() -> None:
    """In-process (plain nbgrader, whose hidden tests run in the student's kernel) there is no owner: it says so."""
    key = {"q_ratio": Answer("number", lambda p: ratio(p["m"]), "m = {m}")}
    with pytest.raises(ValueError, match="depends on the student's variant"):
        check_answer(key, "q_ratio", 0.5)
    check_answer(key, "q_ratio", ratio(9), {"m": 9})
    with pytest.raises(AssertionError, match="m = 10"):
        check_answer(key, "q_ratio", ratio(9), {"m": 10})
    with pytest.raises(AssertionError, match="must be a number"):
        check_answer(key, "q_ratio", "0.8", {"m": 9})
