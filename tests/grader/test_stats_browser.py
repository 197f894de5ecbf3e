"""The item-analysis page in headless Chromium (tests/browser.py: offline, file:// only): every plot drawn with a size,
the tables' rows, and the numbers on the page equal to those Python computed; for a graded class of five
(tests/grader/stats_class.py), a class of 200 (synthetic grades), a class of one and an assignment nobody submitted.
A screenshot of each page goes to the test's tmp folder."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest

from grader import stats_page
from grader.course import open_course
from grader.grades import GRADED, NOT_SUBMITTED, CellGrade, NotebookGrade, SubmissionGrade, read_grades
from grader.grading import mutants_for
from grader.stats_page import AssignmentStats
from tests.browser import collect_errors, open_file
from tests.grader.conftest import ASSIGNMENT
from tests.grader.stats_class import STUDENTS, make_class

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser

PLOTS = ("histogram", "facility", "discrimination", "quintiles")
BOXES = "els => els.map(e => { const r = e.getBoundingClientRect(); return [r.width, r.height, e.childElementCount]; })"


def synthetic_class(n: int, cells: int = 12, seed: int = 20) -> list[SubmissionGrade]:
    """n students whose chance to pass each 1-point test grows with their ability (a cell of 3 points too)."""
    rng = np.random.default_rng(seed)
    ability = rng.uniform(0, 1, n)
    grades = []
    for s in range(n):
        marks = []
        for j in range(cells):
            points = 3.0 if j == 0 else 1.0
            passed = rng.uniform() < 0.2 + 0.75 * ability[s] * (1 - j / (2 * cells))
            message = [] if passed else [f"AssertionError: value {rng.integers(0, 9)} is wrong in part {j % 3}"]
            marks.append(CellGrade(f"test_{j:02d}", "test", points if passed else 0.0, points, messages=message))
        score, top = sum(c.score for c in marks), sum(c.max_score for c in marks)
        grades.append(SubmissionGrade("big", f"s{s:03d}", None, None, None, GRADED, None, score, top,
                                      notebooks=[NotebookGrade("big", score, top, cells=marks)]))
    return grades


@pytest.fixture(scope="module")
def pages(released_course: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, AssignmentStats]]:
    """name -> (page, the analysis Python made of it)."""
    folder = tmp_path_factory.mktemp("stats-browser")
    course = make_class(released_course, folder / "course")
    written = stats_page.run(course=course, output=folder / "stats").written
    ctx = open_course(course)
    analyses = {
        "class": stats_page.analyse(ASSIGNMENT, read_grades(ctx, [ASSIGNMENT]), ctx.course_id,
                                    mutants_for(course, ASSIGNMENT)),
        "big": stats_page.analyse("big", synthetic_class(200)),
        "one": stats_page.analyse("one", synthetic_class(1)),
        "nobody": stats_page.analyse("nobody", [SubmissionGrade("nobody", "amy", None, None, None, NOT_SUBMITTED,
                                                                None, 0.0, 4.0)]),
    }
    out = {"class": (written[ASSIGNMENT][0], analyses["class"])}
    for name in ("big", "one", "nobody"):
        path = folder / f"{name}.html"
        path.write_text(stats_page.render_html(analyses[name]))
        out[name] = (path, analyses[name])
    return out


@pytest.mark.parametrize("name", ["class", "big", "one"])
def test_every_plot_is_drawn_with_a_size_and_a_table_beside_it(
    pages: dict[str, tuple[Path, AssignmentStats]], name: str, browser_page: Page, tmp_path: Path
) -> None:
    """Four inline SVG plots, each with drawn content and a size on screen, each beside a table; nothing asked of
    the network, no script error, nothing wider than the page."""
    page = browser_page
    errors = collect_errors(page)
    open_file(page, pages[name][0])
    for plot in PLOTS:
        page.wait_for_selector(f'[data-plot="{plot}"] svg.plot', state="visible")
    boxes = page.eval_on_selector_all("svg.plot", BOXES)
    assert len(boxes) == len(PLOTS) and all(w > 200 and h > 100 and children > 0 for w, h, children in boxes), boxes
    drawn = page.eval_on_selector_all("svg.plot", "els => els.map(e => e.querySelectorAll('path, use').length)")
    assert all(count > 5 for count in drawn), drawn
    beside = page.eval_on_selector_all(".pair", "els => els.map(p => [!!p.querySelector('svg.plot'), "
                                                "!!p.querySelector('table')])")
    assert beside == [[True, True]] * len(PLOTS)
    assert page.evaluate("document.documentElement.scrollWidth") <= page.evaluate(
        "document.documentElement.clientWidth")
    assert errors == []
    page.screenshot(path=tmp_path / f"stats-{name}.png")


@pytest.mark.parametrize("name", ["class", "big"])
def test_the_tables_rows_and_numbers_are_pythons(
    pages: dict[str, tuple[Path, AssignmentStats]], name: str, browser_page: Page
) -> None:
    page = browser_page
    path, a = pages[name]
    open_file(page, path)
    assert page.eval_on_selector_all("#cells-table tbody tr", "els => els.map(e => e.dataset.cell)") == [
        c.name for c in a.cells]
    shown = page.eval_on_selector_all(
        "#cells-table tbody tr",
        "els => els.map(tr => Object.fromEntries([...tr.querySelectorAll('[data-stat]')]"
        ".map(td => [td.dataset.stat, td.innerText.trim()])))")
    for row, cell in zip(shown, a.cells, strict=True):
        s = cell.stats
        assert row["facility"] == s.facility.text(2) and row["sd"] == s.sd.text(2)
        assert row["discrimination"] == s.discrimination.text(2) and row["efficiency"] == s.efficiency.text(2)
        assert [row[f"q{q + 1}"] for q in range(5)] == [m.text(2) for m in s.quintiles]
        assert row["flags"] == ", ".join(s.flags)
    summary = dict(zip(page.eval_on_selector_all("dl.summary dd", "els => els.map(e => e.dataset.stat)"),
                       page.eval_on_selector_all("dl.summary dd", "els => els.map(e => e.innerText)"), strict=True))
    assert summary["submitted"] == str(len(a.students)) and summary["pending"] == str(a.pending)
    assert summary["mean"] == f"{a.mean.text(2)} of {a.max_score:g}" and summary["median"] == a.median.text(2)
    assert summary["alpha"] == a.alpha.text(2)
    counts = page.eval_on_selector_all("#histogram-table [data-stat=count]", "els => els.map(e => +e.innerText)")
    assert counts == [c for _, _, c in a.histogram if c] and sum(counts) == len(a.students)
    for plot in ("facility", "discrimination"):
        values = page.eval_on_selector_all(f"#{plot}-table [data-stat={plot}]", "els => els.map(e => e.innerText)")
        assert values == [getattr(c.stats, plot).text(2) for c in a.cells]
    groups = page.eval_on_selector_all("table.failures", "els => els.map(t => [t.dataset.cell, "
                                       "[...t.querySelectorAll('[data-stat=group-count]')].map(e => +e.innerText)])")
    assert groups == [[c.name, [g.count for g in c.failures[:stats_page.TOP_GROUPS]]] for c in a.cells if c.failures]


def test_the_class_page_links_each_group_to_its_mistake(pages: dict[str, tuple[Path, AssignmentStats]],
                                                        browser_page: Page) -> None:
    page = browser_page
    open_file(page, pages["class"][0])
    cube = page.locator('table.failures[data-cell="test_cube"] tr.group')
    assert cube.count() == 1
    assert cube.locator('[data-stat="students"]').inner_text() == "bob, cid, eve"
    link = cube.locator("a")
    assert link.inner_text() == "cube_times_three"
    link.click()
    target = page.locator("#mistake-cube_times_three")
    assert target.is_visible() and "I wrote" in page.locator("#mistake-cube_times_three + dd").inner_text()
    assert page.evaluate("location.hash") == "#mistake-cube_times_three"
    square = page.locator('table.failures[data-cell="test_square"] tr.group')
    assert square.count() == 2 and "none in the library" in square.nth(0).inner_text() + square.nth(1).inner_text()
    assert len(STUDENTS) == 5 and page.locator("#cells-table tbody tr").count() == 3


@pytest.mark.parametrize("name", ["one", "nobody"])
def test_edge_cases_are_said_in_words(pages: dict[str, tuple[Path, AssignmentStats]], name: str,
                                      browser_page: Page) -> None:
    page = browser_page
    errors = collect_errors(page)
    open_file(page, pages[name][0])
    text = page.inner_text("body")
    assert "NaN" not in text and "nan" not in text.split()
    if name == "one":
        assert page.locator("#one").is_visible() and "needs 2 submissions" in text
    else:
        assert page.locator("#empty").inner_text().startswith("Nobody has submitted nobody yet")
        assert page.locator("svg").count() == 0
    assert errors == []
