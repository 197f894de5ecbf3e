"""grader demo: does it release, submit, autograde, give feedback and export a whole class in a scratch folder it
keeps, and print the grade table? (How long it takes is measured, not asserted: the session note quotes it.)"""

from __future__ import annotations

import csv
import html
import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from grader import demo
from grader.course import EMBEDDED_COURSE, Course
from grader.demo import BLANK, SOLUTION, assign_roles
from grader.report import demo_report
from tests.grader.conftest import ASSIGNMENT, CUBE_WRONG, PS1_MUTANTS, ps1_mutant


def test_roles_rotate_and_mutants_spread_over_the_mistaken_cells() -> None:
    """One solution and one blank per assignment, one mutant per mistaken cell (the first), spread evenly when
    there are more cells than students, and students change roles from one assignment to the next."""
    mistakes = [ps1_mutant(f"m{i}", f"cell{i // 2}", CUBE_WRONG, ("t",), ("w",)) for i in range(10)]  # 5 cells
    roster = ["s0", "s1", "s2", "s3", "s4"]
    roles = assign_roles(mistakes, roster)
    assert roles == {"s0": SOLUTION, "s1": BLANK, "s2": mistakes[0], "s3": mistakes[4], "s4": mistakes[8]}
    shifted = assign_roles(mistakes, roster, shift=1)
    assert shifted["s1"] == SOLUTION and shifted["s2"] == BLANK and shifted["s0"] == mistakes[8]
    few = assign_roles(mistakes[:2], roster)  # one mistaken cell: one mutant, two students hand nothing in
    assert few == {"s0": SOLUTION, "s1": BLANK, "s2": mistakes[0]}
    with pytest.raises(ValueError, match="at least 2 students"):
        demo.run(course=EMBEDDED_COURSE, roster=["solo"])


@pytest.mark.slow
def test_the_demo_grades_a_class_and_writes_feedback_and_every_export(course: Path, tmp_path: Path) -> None:
    roster = ["ann", "bob", "cid", "dee"]
    mistakes = [*PS1_MUTANTS, ps1_mutant("cube_plus_one", "cube", "    return x ** 3 + 1", ("test_cube",), ("8",))]
    lines: list[str] = []
    result = demo.run(course=course, folder=tmp_path / "demo", mutants=lambda name: mistakes, roster=roster,
                      say=lines.append)
    assert result.ok and result.folder == tmp_path / "demo"
    assert result.course.root == tmp_path / "demo" / "course" and result.course.db_url.startswith("sqlite:///")
    assert {(s.student, s.kind) for s in result.submissions} == {
        ("ann", SOLUTION), ("bob", BLANK), ("cid", "cube_times_three"), ("dee", "square_keeps_sign")}
    assert any(line.startswith("ps1: 4 submissions") for line in lines)
    assert list(result.stats) == [ASSIGNMENT] and result.stats[ASSIGNMENT] == tmp_path / "demo" / "stats" / "ps1.html"
    assert f"{ASSIGNMENT}: item analysis {result.stats[ASSIGNMENT]}" in lines
    assert result.stats[ASSIGNMENT].with_suffix(".json").is_file() and "cube_times_three" in result.stats[
        ASSIGNMENT].read_text()  # the mistake cid made, linked from the page

    scores = {g.student: (g.score, g.max_score) for g in result.grades}
    assert scores == {"ann": (3.0, 4.0), "bob": (0.0, 4.0), "cid": (2.0, 4.0), "dee": (1.0, 4.0)}
    report = demo_report(result)
    assert "student  ps1  total" in report and "ann      3/4    3/4" in report and "bob      0/4    0/4" in report
    assert f"everything is in {tmp_path / 'demo'}" in report

    assert sorted(p.relative_to(result.course.root).as_posix() for p in result.feedback) == [
        f"feedback/{s}/{ASSIGNMENT}/{ASSIGNMENT}.html" for s in roster]
    exports = tmp_path / "demo" / "exports"
    assert {fmt: [p.relative_to(exports).as_posix() for p in paths] for fmt, paths in result.exports.items()} == {
        "csv": ["grades.csv"], "json": ["grades.json"], "junit": ["grades.xml"],
        "gradescope": [f"gradescope/{ASSIGNMENT}/{s}/results.json" for s in roster]}
    with (exports / "grades.csv").open() as f:
        assert len(list(csv.DictReader(f))) == 4 * 3  # a row per student and graded cell
    assert len(json.loads((exports / "grades.json").read_text())["submissions"]) == 4
    assert len(list(ET.parse(exports / "grades.xml").getroot().iter("testsuite"))) == 4
    assert json.loads((exports / "gradescope" / ASSIGNMENT / "cid" / "results.json").read_text())["score"] == 2.0


@pytest.mark.slow
def test_grader_demo_on_the_shipped_course_prints_the_grade_table(tmp_path: Path) -> None:
    """What `make demo` runs, as a fresh process from another folder: every assignment of the shipped course."""
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}
    script = Path(sys.executable).parent / "grader"
    done = subprocess.run([str(script), "demo", "--dir", str(tmp_path / "demo")], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    out = done.stdout
    assignments = Course.at(EMBEDDED_COURSE).assignments()
    header = next(line for line in out.splitlines() if line.startswith("student "))
    assert header.split() == ["student", *assignments, "total"]
    for student in demo.ROSTER:
        assert any(line.startswith(f"{student} ") for line in out.splitlines()), student
    assert f"everything is in {tmp_path / 'demo'}" in out
    assert (tmp_path / "demo" / "exports" / "grades.csv").is_file()
    for name in assignments:  # each item-analysis page written, and its path said
        assert f"{name}: item analysis {tmp_path / 'demo' / 'stats' / name}.html" in out
    pages = sorted((tmp_path / "demo" / "course" / "feedback").rglob("*.html"))
    assert len(pages) == len(demo.ROSTER) * len(assignments)
    for page in pages:  # blank releases and mistakes fail inside checks: nothing of the grader shows for it
        text = html.unescape(re.sub(r"<[^>]+>", "", page.read_text()))
        assert "grader/" not in text and str(tmp_path) not in text and "/home/student" not in text, page
        assert not re.search(r"(?<![\w.~/-])~?/(?:[\w.@+-]+/)+[\w.@+-]+", text), page
