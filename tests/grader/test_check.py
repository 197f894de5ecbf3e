"""grader check: a student's self-check exits 0 only when every public test passes (nbgrader #1908)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from grader import check, cli
from grader.check import FAILED, MODIFIED, PASSED, WRITTEN
from tests.grader.conftest import CUBE_OK, CUBE_WRONG, SQUARE_HIDDEN_FAIL, cell, fill


def save(nb: nbformat.NotebookNode, folder: Path, name: str = "ps1.ipynb") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / name)
    return folder / name


@pytest.mark.slow
def test_a_correct_notebook_passes_with_a_per_test_table(course: Path, tmp_path: Path, capsys) -> None:
    """A hidden-test failure cannot show here: the student's copy has the public tests only."""
    path = save(fill(course, square=SQUARE_HIDDEN_FAIL), tmp_path / "mine")
    assert cli.main(["check", str(path)]) == 0
    out = capsys.readouterr().out
    assert "test_square  passed   2/2" in out and "test_cube    passed   1/1" in out
    assert "explain      written" in out and "all public tests pass" in out


@pytest.mark.slow
def test_a_failing_or_edited_test_makes_the_check_fail(course: Path, tmp_path: Path, capsys) -> None:
    wrong = check.run(notebook=save(fill(course, cube=CUBE_WRONG), tmp_path / "wrong"))
    assert not wrong.ok
    outcomes = {t.name: t for t in wrong.tests}
    assert outcomes["test_cube"].status == FAILED and outcomes["test_cube"].points == 0.0
    assert outcomes["test_cube"].message == "AssertionError: cube(2) should be 8"
    assert outcomes["test_square"].status == PASSED and outcomes["explain"].status == WRITTEN
    assert (wrong.points, wrong.max_points) == (2.0, 3.0)

    nb = fill(course, cube=CUBE_WRONG)
    cell(nb, "test_cube").source = "pass"  # a test made to pass by editing it
    edited = check.run(notebook=save(nb, tmp_path / "edited"))
    assert {t.name: t.status for t in edited.tests}["test_cube"] == MODIFIED and not edited.ok

    assert cli.main(["check", str(tmp_path / "wrong" / "ps1.ipynb")]) == 1
    assert "NOT all public tests pass" in capsys.readouterr().out


@pytest.mark.slow
def test_a_dead_kernel_fails_the_cells_that_never_ran(course: Path, tmp_path: Path) -> None:
    nb = fill(course, cube=CUBE_OK + "\nimport os\nos._exit(1)")
    result = check.run(notebook=save(nb, tmp_path / "dies"))
    statuses = {t.name: t.status for t in result.tests}
    assert statuses["test_square"] == PASSED and statuses["test_cube"] == FAILED
    assert "kernel died" in result.problems[0] and not result.ok


@pytest.mark.slow
def test_a_notebook_without_tests_does_not_pass(tmp_path: Path) -> None:
    path = save(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")]), tmp_path / "plain")
    result = check.run(notebook=path)
    assert not result.ok and "no autograded test cell" in result.problems[0]


def test_missing_and_unreadable_notebooks_exit_2_and_1(tmp_path: Path, capsys) -> None:
    assert cli.main(["check", str(tmp_path / "absent.ipynb")]) == 2
    bad = tmp_path / "bad.ipynb"
    bad.write_text("{ nope")
    assert cli.main(["check", str(bad)]) == 1
    assert "not a readable notebook" in capsys.readouterr().err
