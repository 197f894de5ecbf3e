"""The feedback page as a student sees it, in headless Chromium: a wrong submission of each shipped assignment,
autograded and written by grader.feedback, then read in the browser (tests/browser.py: offline, file:// only).

Is the maths rendered (MathML with a size, no raw LaTeX, no Markdown emphasis inside a formula), does every figure
fit the page, does the summary link to its cells, do the headings make an outline, does it print, and does no path
of the machine show? One screenshot per assignment is saved under the test's tmp folder.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path
from typing import TYPE_CHECKING

import nbformat
import pytest

from grader import autograde, feedback, release
from grader.course import EMBEDDED_COURSE, open_course, scratch_copy
from grader.engine import grading_executor
from grader.grading import mutants_for
from grader.submissions import mutant_submission, write_submission
from tests.browser import collect_errors, open_file

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ASSIGNMENTS = sorted(p.parent.name for p in (EMBEDDED_COURSE / "source").glob("*/*.ipynb"))
STUDENT = "wrong"
REPO = Path(__file__).resolve().parents[2]
FIGURE_ALT = re.compile(r"figure from cell \d+")
SIZES = "els => els.map(e => e.getBoundingClientRect()).map(r => [r.width, r.height])"


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """assignment -> the feedback page of a submission with the first mistake of the course's library (about 12 s:
    one scratch course, one submission per assignment, one fork server for the three)."""
    course = scratch_copy(open_course(EMBEDDED_COURSE), tmp_path_factory.mktemp("feedback-browser") / "course")
    release.run(course=course.root)
    for assignment in ASSIGNMENTS:
        mistake = mutants_for(course.root, assignment)[0]
        for released in sorted(course.release_dir(assignment).glob("*.ipynb")):
            source = nbformat.read(course.source_dir(assignment) / released.name, as_version=4)
            nb = mutant_submission(nbformat.read(released, as_version=4), source, mistake, name=released.name)
            write_submission(course, assignment, STUDENT, released.stem, nb)
    with grading_executor("fork", jobs=2, course=course.root) as runner:
        for assignment in ASSIGNMENTS:
            assert autograde.run(course=course.root, assignment=assignment, executor=runner).ok
    written = {a: feedback.run(course=course.root, assignment=a).written for a in ASSIGNMENTS}
    return {a: path for a, ((_, path),) in written.items()}


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_page_shows_rendered_maths_figures_that_fit_and_a_linked_summary(
    pages: dict[str, Path], assignment: str, browser_page: Page, tmp_path: Path
) -> None:
    """Is every formula drawn as MathML (no LaTeX or emphasis left of it), every figure within the page with its alt
    text, the summary in order and linked, the outline unbroken, and the print style applied?"""
    page = browser_page
    errors = collect_errors(page)
    open_file(page, pages[assignment])
    assert errors == []  # nothing blocked: the page asks for no network

    # Maths: no raw LaTeX left in the text outside code, no emphasis made of a formula's underscores, MathML drawn.
    prose = page.evaluate("""() => { const body = document.body.cloneNode(true);
        body.querySelectorAll('pre, code, math').forEach(e => e.remove()); return body.innerText; }""")
    assert "$" not in prose, re.findall(r".{0,40}\$.{0,40}", prose)[:3]
    assert not re.search(r"\$[^$\n]*\\[A-Za-z]+", page.inner_text("body"))  # no $\command anywhere, code included
    emphasis = page.eval_on_selector_all("em, strong", "els => els.map(e => e.textContent)")
    assert not [e for e in emphasis if re.search(r"[$\\^{}]", e)]
    sizes = page.eval_on_selector_all("math", SIZES)
    assert len(sizes) > 50 and all(w > 0 and h > 0 for w, h in sizes)
    assert page.locator('math[display="block"]').count() > 0
    assert page.locator(".math-error").count() == 0

    # Figures: every one within the page's width, with its alt text; nothing scrolls sideways.
    width = page.evaluate("document.documentElement.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    figures = page.locator("img")
    assert figures.count() > 0
    for i in range(figures.count()):
        box = figures.nth(i).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width
        assert FIGURE_ALT.fullmatch(figures.nth(i).get_attribute("alt") or "")

    # Summary: failed tests first, each a link to an element of the page.
    links = page.eval_on_selector_all("nav.summary a", "els => els.map(a => a.getAttribute('href'))")
    states = page.eval_on_selector_all("nav.summary li", "els => els.map(li => li.className)")
    assert links and states[0] == "failed" and states == sorted(states, key=("failed", "pending", "passed").index)
    for href in links:
        assert href.startswith("#") and page.evaluate("id => document.getElementById(id) !== null", href[1:]), href

    # Headings: one h1, sections in h2, and no level skipped on the way down.
    levels = page.eval_on_selector_all("h1, h2, h3, h4, h5, h6", "els => els.map(h => Number(h.tagName[1]))")
    assert levels.count(1) == 1 and levels[0] == 1 and 2 in levels
    assert all(b <= a + 1 for a, b in itertools.pairwise(levels))

    page.screenshot(path=tmp_path / f"feedback-{assignment}.png", full_page=False)

    # Print: no background wasted on code, code wraps, figures do not split.
    page.emulate_media(media="print")
    pre = page.locator("pre.code").first
    assert pre.evaluate("e => getComputedStyle(e).backgroundColor") == "rgba(0, 0, 0, 0)"
    assert pre.evaluate("e => getComputedStyle(e).whiteSpace") == "pre-wrap"
    assert figures.first.evaluate("e => getComputedStyle(e).breakInside") == "avoid"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_page_shows_no_path_of_the_machine(pages: dict[str, Path], assignment: str, browser_page: Page) -> None:
    """No "grader/" nor any absolute path (the repository, the course's folder, /tmp, site-packages) in what the
    student reads or in the page's source: a traceback shows the student's own frames only."""
    open_file(browser_page, pages[assignment])
    text, source = browser_page.inner_text("body"), browser_page.content()
    course = pages[assignment].parents[3]
    for secret in ("grader/", str(REPO), str(course), "/work/", "/tmp/", "site-packages"):
        assert secret not in text, re.findall(rf".{{0,60}}{re.escape(secret)}.{{0,60}}", text)[:3]
        assert secret not in source
