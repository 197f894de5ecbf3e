"""Manual grading end to end: nbgrader's formgrader (a real Jupyter server on loopback) on a course graded by
`grader autograde` with the fork engine, driven in headless Chromium. A grader opens a student's submission, gives
the written answer a score and a comment; `grader export` then shows the score and `grader feedback` the comment.

The browser may reach that server and nothing else (tests/browser.py `offline_context`): the formgrader's MathJax,
which it asks of a CDN, is blocked, and the test waits on the page's own elements, never on the network."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from nbgrader.api import Gradebook

from grader import autograde, export, feedback
from grader.course import quiet_sqlalchemy
from grader.engine import grading_executor
from tests.browser import offline_context
from tests.grader.conftest import ASSIGNMENT, fill, submit
from tests.grader.formgrader_server import formgrader

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Response

pytestmark = [pytest.mark.browser, pytest.mark.slow]

STUDENT, OTHER = "ann", "bob"
SCORE = "0.5"
COMMENT = "Right idea; say why x*x cannot be negative for a negative x."


@pytest.fixture
def graded(released_course: Path, tmp_path: Path) -> Path:
    """ann and bob hand in the solution; `grader autograde` (fork engine) grades them; the answers wait for a person."""
    course = tmp_path / "course"
    shutil.copytree(released_course, course)
    for student in (STUDENT, OTHER):
        submit(course, student, fill(course))
    with grading_executor("fork", jobs=1, course=course) as runner:
        assert autograde.run(course=course, assignment=ASSIGNMENT, executor=runner).ok
    return course


def submission_id(course: Path, student: str) -> str:
    with quiet_sqlalchemy(), Gradebook(f"sqlite:///{course / 'gradebook.db'}", "tiny") as gb:
        return str(gb.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, student).id)


def saving(response: Response, what: str) -> bool:
    """Is `response` the formgrader's answer to saving a grade or a comment (``PUT /formgrader/api/<what>/ID``)?"""
    return f"/formgrader/api/{what}/" in response.url and response.request.method == "PUT"


def test_a_score_and_comment_given_in_formgrader_reach_export_and_feedback(
    graded: Path, chromium: Browser, tmp_path: Path
) -> None:
    before = {r["student_id"]: r for r in csv.DictReader(io.StringIO(
        export.run(course=graded, fmt="csv", output=tmp_path / "before.csv").read_text())) if r["cell"] == "explain"}
    assert before[STUDENT]["needs_manual_grade"] == "True" and before[STUDENT]["manual_score"] == ""

    with formgrader(graded, tmp_path) as server:
        context = offline_context(chromium, allow=[server.origin])
        try:
            page = context.new_page()
            blocked: list[str] = []
            page.on("requestfailed", lambda r: blocked.append(r.url) if not r.url.startswith(server.origin) else None)
            # In by /formgrader with the token, as `nbgrader formgrader` opens it: the login cookie then covers the
            # formgrader's API (entered by a deep link, nbgrader 0.9 sets it for that page's folder only).
            page.goto(server.url("formgrader"), wait_until="commit")
            page.locator("text=Manage Assignments").first.wait_for(timeout=20_000)
            page.goto(f"{server.origin}formgrader/submissions/{submission_id(graded, STUDENT)}/", wait_until="commit")
            score = page.locator("input.score#explain")
            score.wait_for(state="visible", timeout=20_000)
            page.wait_for_function("() => window.formgrader && formgrader.grades && formgrader.grades.loaded "
                                   "&& formgrader.comments.loaded")
            assert page.locator(".panel-title").first.inner_text().startswith(ASSIGNMENT)

            with page.expect_response(lambda r: saving(r, "grade")) as put:
                score.fill(SCORE)
                score.dispatch_event("change")
            assert put.value.ok and put.value.json()["manual_score"] == float(SCORE)

            comment = page.locator("textarea#explain-comment")
            with page.expect_response(lambda r: saving(r, "comment")) as put:
                comment.fill(COMMENT)
                comment.dispatch_event("change")
            assert put.value.ok and put.value.json()["manual_comment"] == COMMENT
            page.screenshot(path=tmp_path / "formgrader.png")

            page.reload(wait_until="commit")  # what the server kept, as the next grader sees it
            page.wait_for_function(f"() => window.$ && $('#explain').val() === '{SCORE}'", timeout=20_000)
            assert page.locator("textarea#explain-comment").input_value() == COMMENT
            assert all("mathjax" in url.lower() or "cdn" in url.lower() for url in blocked), blocked
        finally:
            context.close()

    rows = {r["student_id"]: r for r in csv.DictReader(io.StringIO(
        export.run(course=graded, fmt="csv", output=tmp_path / "after.csv").read_text())) if r["cell"] == "explain"}
    assert rows[STUDENT]["manual_score"] == SCORE and rows[STUDENT]["score"] == SCORE
    assert rows[STUDENT]["needs_manual_grade"] == "False"
    assert float(rows[STUDENT]["assignment_score"]) == float(before[STUDENT]["assignment_score"]) + float(SCORE)
    assert rows[OTHER]["needs_manual_grade"] == "True"  # only the submission graded by hand changed

    pages = dict(feedback.run(course=graded, assignment=ASSIGNMENT, students=[STUDENT]).written)
    html = pages[STUDENT].read_text()
    assert COMMENT in html and "0.5 / 1" in html
