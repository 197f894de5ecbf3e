"""grader stats: the class's table read from the gradebook, failures grouped and matched to the mistake library, the
CSV and JSON beside the page, the edge cases said in words, and the command line."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import numpy as np
import pytest

from grader import cli, stats, stats_page
from grader.grades import GRADED, NOT_SUBMITTED, CellGrade, NotebookGrade, SubmissionGrade
from grader.stats_failures import NO_MESSAGE, group_failures, normalise
from tests.grader.conftest import ASSIGNMENT, HIDDEN_MESSAGE, PS1_MUTANTS
from tests.grader.stats_class import CUBE, CUBE_6, CUBE_7, SQUARE, STUDENTS, make_class


@pytest.fixture(scope="module")
def graded(released_course: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_class(released_course, tmp_path_factory.mktemp("stats") / "course")


@pytest.fixture(scope="module")
def written(graded: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    return stats_page.run(course=graded, output=tmp_path_factory.mktemp("out")).written[ASSIGNMENT]


def load(path: Path) -> dict:
    return json.loads(path.read_text())


# -- normalising and grouping ----------------------------------------------------------------------------------

def test_normalise_sets_numbers_names_arrays_and_students_aside() -> None:
    assert normalise("expected 0.37, got -1e-05") == "expected #, got #"
    assert normalise("name 'W' is not defined") == normalise('name "b" is not defined') == "name '…' is not defined"
    assert normalise("dW1 has shape (3, 2), expected (2, 3, 4)") == "dW1 has shape (#…), expected (#…)"
    assert normalise("got [[0.1 0.2]\n [0.3 0.4]] and [1, 2, 3]") == "got […] and […]"
    assert normalise("in q1_first_step_W1 for aokafor at 0x7f3a", names=["aokafor"]) == \
        "in q1_first_step_W1 for <student> at 0x…"
    assert normalise("  spaced \n out ") == "spaced out"


def test_groups_are_counted_and_matched_to_the_most_specific_mistake() -> None:
    """bob and eve got 6, cid 7: one group, matched to cube_times_three (all its expected words are there); a
    message no mistake expects has none; a failed cell without a message is said so."""
    failures = {"bob": [f"AssertionError: {CUBE_6}"], "cid": [f"AssertionError: {CUBE_7}"],
                "eve": [f"AssertionError: {CUBE_6}"], "zed": ["ZeroDivisionError: division by zero"], "amy": []}
    groups = group_failures("test_cube", failures, PS1_MUTANTS)
    assert [(g.count, g.students) for g in groups] == [(3, ["bob", "cid", "eve"]), (1, ["amy"]), (1, ["zed"])]
    assert groups[0].pattern == "AssertionError: cube(#) should be #, got #" and groups[0].example.endswith("got 6")
    assert groups[0].mistake is not None and groups[0].mistake.name == "cube_times_three"
    assert groups[1].pattern == NO_MESSAGE and groups[1].mistake is None and groups[2].mistake is None
    other_cell = group_failures("test_square", {"bob": [f"AssertionError: {CUBE_6}"]}, PS1_MUTANTS)
    assert other_cell[0].mistake is None  # cube_times_three does not target test_square


# -- the analysis of a graded class ----------------------------------------------------------------------------

def test_the_table_is_read_from_the_gradebook(graded: Path) -> None:
    from grader.course import open_course
    from grader.grades import read_grades
    from grader.grading import mutants_for

    ctx = open_course(graded)
    a = stats_page.analyse(ASSIGNMENT, read_grades(ctx, [ASSIGNMENT]), "tiny", mutants_for(graded, ASSIGNMENT))
    assert a.students == list(STUDENTS) and a.not_submitted == [] and a.pending == 5
    assert [c.name for c in a.cells] == ["test_square", "test_cube", "explain"]
    assert a.scores == [SQUARE[s] + CUBE[s] for s in STUDENTS]
    square, cube, explain = a.cells
    totals = np.array([SQUARE[s] + CUBE[s] for s in STUDENTS])
    x = np.array([CUBE[s] for s in STUDENTS])
    assert cube.stats.facility.value == pytest.approx(0.4)
    assert cube.stats.discrimination.value == pytest.approx(np.corrcoef(x, totals - x)[0, 1])
    assert explain.pending == 5 and explain.stats.n == 0
    assert explain.stats.facility.text() == "all 5 wait for a person"
    assert a.alpha_cells == 2  # explain waits for everyone: alpha leaves it out
    table = np.array([[SQUARE[s], CUBE[s]] for s in STUDENTS])
    assert a.alpha.value == pytest.approx(stats.cronbach_alpha(table).value)
    assert [(g.students, g.mistake and g.mistake.name) for g in cube.failures] == \
        [(["bob", "cid", "eve"], "cube_times_three")]
    assert {tuple(g.students): g.mistake and g.mistake.name for g in square.failures} == {
        ("dee",): "square_keeps_sign", ("eve",): None}
    assert HIDDEN_MESSAGE in next(g.example for g in square.failures if g.students == ["dee"])
    assert set(a.mistakes) == {"cube_times_three", "square_keeps_sign"}


def test_csv_and_json_hold_the_pages_numbers(written: tuple[Path, Path, Path]) -> None:
    page, table, document = written
    rows = {r["cell"]: r for r in csv.DictReader(io.StringIO(table.read_text()))}
    assert list(rows) == ["test_square", "test_cube", "explain"]
    assert float(rows["test_cube"]["facility"]) == pytest.approx(0.4) and rows["test_cube"]["failures"] == "3"
    assert rows["explain"]["facility"] == "" and "facility: all 5 wait for a person" in rows["explain"]["notes"]
    data = load(document)
    assert data["submitted"] == 5 and data["waiting_for_manual_grading"] == 5
    cube = next(c for c in data["cells"] if c["cell"] == "test_cube")
    assert cube["facility"]["value"] == pytest.approx(float(rows["test_cube"]["facility"]), abs=1e-6)
    assert cube["failures"][0]["mistake"] == "cube_times_three" and cube["failures"][0]["students"] == [
        "bob", "cid", "eve"]
    assert data["mistakes"]["cube_times_three"]["targets"] == ["test_cube"]
    assert data["mistake_library"] == f"grading/{ASSIGNMENT}/mistakes.py"
    assert "NaN" not in document.read_text() and page.read_text().count("<svg") == 4


# -- edge cases, without a gradebook ---------------------------------------------------------------------------

def submission(student: str, points: dict[str, float], status: str = GRADED) -> SubmissionGrade:
    cells = [CellGrade(name, "test", score, 1.0) for name, score in points.items()]
    notebooks = [NotebookGrade("nb", sum(points.values()), float(len(points)), cells=cells)] if cells else []
    return SubmissionGrade("hw", student, None, None, None, status, None, sum(points.values()),
                           float(len(points) or 2), notebooks=notebooks)


def words(html: str) -> str:
    return re.sub(r"<(svg|style)\b.*?</\1>|<[^>]+>", " ", html, flags=re.S)


def test_a_class_of_one_says_what_needs_two() -> None:
    a = stats_page.analyse("hw", [submission("solo", {"t1": 1.0, "t2": 0.0})])
    html = stats_page.render_html(a)
    assert 'id="one"' in html and "need at least two" in words(html)
    assert a.alpha.text() == "needs 2 submissions" and a.cells[0].stats.discrimination.text() == "needs 2 submissions"
    assert not re.search(r"\bnan\b", words(html), re.I) and html.count("<svg") == 4
    assert "NaN" not in stats_page.to_json(a)


def test_nobody_submitted_is_said_and_nothing_is_drawn() -> None:
    a = stats_page.analyse("hw", [submission("amy", {}, NOT_SUBMITTED), submission("ben", {}, NOT_SUBMITTED)])
    html = stats_page.render_html(a)
    assert "Nobody has submitted hw yet (2 students in the gradebook)" in words(html)
    assert "<svg" not in html and not re.search(r"\bnan\b", words(html), re.I)
    assert load_text(stats_page.to_json(a))["mean"] == {"value": None, "why": "no submissions"}
    assert stats_page.to_csv(a).splitlines()[1:] == []


def test_cells_everyone_scored_the_same_on_are_said_so() -> None:
    grades = [submission(s, {"same": 1.0, "varies": v}) for s, v in (("a", 0.0), ("b", 1.0), ("c", 1.0))]
    a = stats_page.analyse("hw", grades)
    same = a.cells[0].stats
    assert same.discrimination.text() == "everyone scored the same here" and same.flags == ("too easy",)
    assert a.cells[1].stats.discrimination.text() == "everyone scored the same on the rest"
    html = stats_page.render_html(a)
    assert "everyone scored the same here" in words(html) and not re.search(r"\bnan\b", words(html), re.I)
    assert "discrimination: everyone scored the same here" in stats_page.to_csv(a)


def test_an_assignment_nobody_submitted_gets_a_page_that_says_so(released_course: Path, tmp_path: Path) -> None:
    """The released course, no submission yet: the page, the CSV's header and the JSON, no statistic."""
    page, table, document = stats_page.run(course=released_course, output=tmp_path).written[ASSIGNMENT]
    assert f"Nobody has submitted {ASSIGNMENT} yet: there is nothing to analyse." in words(page.read_text())
    assert table.read_text().splitlines() == [",".join(stats_page.CSV_FIELDS)]
    assert load(document)["submitted"] == 0 and load(document)["cronbach_alpha"]["value"] is None


def load_text(text: str) -> dict:
    return json.loads(text)


# -- the command -----------------------------------------------------------------------------------------------

def test_grader_stats_writes_each_assignment_and_prints_the_paths(graded: Path, tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["stats", "--course", str(graded), "--output", str(tmp_path / "s")]) == 0
    out = capsys.readouterr().out
    assert f"{ASSIGNMENT}: {tmp_path / 's' / f'{ASSIGNMENT}.html'}" in out
    assert sorted(p.name for p in (tmp_path / "s").iterdir()) == [f"{ASSIGNMENT}.{e}" for e in ("csv", "html", "json")]
    assert cli.main(["stats", "nope", "--course", str(graded), "--output", str(tmp_path / "t")]) == 2
    assert "assignment 'nope' is not in the gradebook" in capsys.readouterr().err
