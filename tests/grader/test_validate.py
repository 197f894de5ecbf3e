"""grader validate: does it pass a sound assignment, fail (exit 1) on a mutant that misses its target, a solution
short of full marks or a blank release that scores, and never touch the course it validates?"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

import nbformat
import pytest

from grader import cli
from grader.grades import CellGrade
from grader.validate import judge_blank, judge_mutant, judge_solution
from tests.grader.conftest import ASSIGNMENT, CUBE_WRONG, PS1_MUTANTS, cell, ps1_mutant, write_mistakes


def snapshot(folder: Path) -> dict[str, str]:
    """Relative path -> sha256 of every file under `folder`."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def rows(out: str) -> dict[str, tuple[str, str]]:
    """The validate table's (points, result) by submission (the mutant's name, or solution / blank)."""
    table = {}
    for line in out.splitlines():
        words = line.split()
        if words and words[0] == ASSIGNMENT:
            name, points, verdict = words[2:5] if words[1] == "mutant" else words[1:4]
            table[name] = (points, verdict)
    return table


@pytest.mark.slow
def test_a_sound_assignment_validates_and_the_course_is_untouched(course: Path, capsys) -> None:
    """ps1's mistake library is its grading/ps1/mistakes.py (tests/grader/conftest.py writes PS1_MUTANTS there)."""
    before = snapshot(course)
    assert cli.main(["validate", "--course", str(course), "--no-progress"]) == 0
    out = capsys.readouterr().out
    table = rows(out)
    assert table == {
        "solution": ("3/3", "ok"),  # points on autograded cells (the written answer is not counted)
        "blank": ("0/3", "ok"),
        "cube_times_three": ("2/3", "ok"),
        "square_keeps_sign": ("1/3", "ok"),  # caught by the hidden test only
    }
    assert "validate: all 4 checks passed" in out
    assert snapshot(course) == before  # gradebook, submissions, releases: nothing of the course changed


@pytest.mark.slow
def test_mutants_that_miss_their_targets_fail_validation(course: Path, capsys) -> None:
    broken = [
        ps1_mutant("misses_target", "cube", CUBE_WRONG, ("test_square",), ("square",)),
        ps1_mutant("wrong_words", "cube", CUBE_WRONG, ("test_cube",), ("transposed",)),
        ps1_mutant("no_such_target", "cube", CUBE_WRONG, ("test_cubes",), ("cube",)),
        ps1_mutant("no_such_cell", "cubes", CUBE_WRONG, ("test_cube",), ("cube",)),
        replace(PS1_MUTANTS[0], name="stale_edit", code="", edits=(("x * x * x", "x * 3"),)),  # the solution: x ** 3
        PS1_MUTANTS[0],
    ]
    write_mistakes(course, broken)
    assert cli.main(["validate", ASSIGNMENT, "--course", str(course), "--no-progress"]) == 1
    out = capsys.readouterr().out
    table = rows(out)
    assert [name for name, (_, verdict) in table.items() if verdict != "ok"] == [m.name for m in broken[:5]]
    assert "FAILED ps1 misses_target: kept the points of test_square 2/2" in out
    lacks = "test_cube's message lacks ['transposed']: AssertionError: cube(2) should be 8"
    assert f"FAILED ps1 wrong_words: {lacks}" in out
    assert "FAILED ps1 no_such_target: target 'test_cubes' is not an autograded cell of ps1" in out
    assert "FAILED ps1 no_such_cell: the mutant replaces cell 'cubes', which no notebook of ps1 has" in out
    stale = "ps1.ipynb: mutant 'stale_edit' of ps1 replaces 'x * x * x' in solution cell 'cube', but that text is not"
    assert f"FAILED ps1 stale_edit: {stale}" in out
    assert "validate: 5 of 8 checks FAILED" in out


@pytest.mark.slow
def test_a_wrong_solution_and_a_blank_release_that_scores_fail_validation(course: Path, capsys) -> None:
    source = course / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    nb = nbformat.read(source, as_version=4)
    cell(nb, "cube").source = "def cube(x):\n    ### BEGIN SOLUTION\n    return x * 3\n    ### END SOLUTION"
    cell(nb, "test_square").source = "assert True  # passes whatever was written"
    nbformat.write(nb, source)
    (course / "grading" / ASSIGNMENT / "mistakes.py").unlink()  # no mistake library: solution and blank only
    assert cli.main(["validate", "--course", str(course), "--no-progress"]) == 1
    out = capsys.readouterr().out
    assert "FAILED ps1 solution: not full marks: test_cube 0/1 (AssertionError: cube(2) should be 8)" in out
    assert "FAILED ps1 blank: points without any work: test_square 2/2" in out


def _test(name: str, score: float, top: float = 2.0, messages: tuple[str, ...] = ()) -> CellGrade:
    return CellGrade(name, "test", score, top, auto_score=score, messages=list(messages))


def test_the_judges_say_why() -> None:
    """Do the three verdicts hold on gradebook cells, and does each failure say which cell and why?"""
    full = {"t1": _test("t1", 2), "t2": _test("t2", 1, 1)}
    assert judge_solution(full, []) == (True, "full marks on all 2 autograded cells")
    assert judge_solution({**full, "t2": _test("t2", 0, 1, ("NameError: x",))}, []) == (
        False, "not full marks: t2 0/1 (NameError: x)")
    assert judge_solution(full, ["cell 't1' was missing; added back"])[0] is False
    assert judge_solution({}, []) == (False, "no autograded cell: nothing checks this assignment")
    assert judge_blank({"t1": _test("t1", 0), "t2": _test("t2", 0)}) == (True, "zero on all 2 autograded cells")
    assert judge_blank({"t1": _test("t1", 0), "t2": _test("t2", 0.5)}) == (False, "points without any work: t2 0.5/2")

    mutant = ps1_mutant("m", "cube", CUBE_WRONG, ("t1", "t2"), ("Shape", "fan_in"))
    caught = {"t1": _test("t1", 0, messages=("AssertionError: the shape uses fan_in",)),
              "t2": _test("t2", 1, messages=("ValueError: shape", "FAN_IN"))}
    assert judge_mutant(caught, mutant) == (True, "loses points on t1, t2")
    assert judge_mutant({**caught, "t2": _test("t2", 2)}, mutant) == (False, "kept the points of t2 2/2")
    assert judge_mutant({"t1": caught["t1"]}, mutant) == (False, "target 't2' is not an autograded cell of ps1")
    vague = {**caught, "t1": _test("t1", 0, messages=("AssertionError: wrong",))}
    assert judge_mutant(vague, mutant) == (False, "t1's message lacks ['Shape', 'fan_in']: AssertionError: wrong")
