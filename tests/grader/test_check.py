"""grader check: a student's self-check exits 0 only when every public test passes (nbgrader #1908)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from grader import check, cli
from grader.check import FAILED, MODIFIED, PASSED, WRITTEN
from tests.grader.conftest import CUBE_OK, CUBE_WRONG, SQUARE_HIDDEN_FAIL, cell, fill

BROKEN_SQUARE = ("    return helper_of_mine(x)\n\n\ndef helper_of_mine(x):\n"
                 "    raise ValueError('not written yet: mine')")
"""square's cell calls a function of the student's that raises: the check shows that line."""
ABSOLUTE = re.compile(r"(?<![\w.~/-])~?/(?:[\w.@+-]+/)+[\w.@+-]+")


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


def grader_check(notebook: Path) -> subprocess.CompletedProcess[str]:
    """``grader check NOTEBOOK`` as a student runs it: the installed command, from the notebook's folder."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.run([str(Path(sys.executable).parent / "grader"), "check", notebook.name], cwd=notebook.parent,
                          env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_the_command_shows_the_students_frames_and_the_time_and_no_jupyter_noise(course: Path, tmp_path: Path) -> None:
    """A wrong notebook: the failing test's message and the student's own frames behind it (their helper's line),
    how long the check took, and nothing else: no kernel warning, no frame of grader/, no path of the machine."""
    path = save(fill(course, square=BROKEN_SQUARE, cube=CUBE_WRONG), tmp_path / "mine")
    done = grader_check(path)
    assert done.returncode == 1
    assert done.stderr == ""  # the kernel's "running over TCP without encryption" warning came here
    out = done.stdout
    assert "test_square  failed   0/2     ValueError: not written yet: mine" in out
    assert "test_square failed in your code:" in out
    assert "raise ValueError('not written yet: mine')" in out and "helper_of_mine" in out
    assert "test_cube failed in your code" not in out  # it failed in the test's own assert: no frame to show
    assert re.search(r"NOT all public tests pass \(checked in \d+\.\d s\)$", out.strip())
    assert "grader/" not in out and "File " not in out and not ABSOLUTE.search(out), out


@pytest.mark.slow
def test_a_dead_kernel_is_one_line_of_the_report_and_nothing_on_stderr(course: Path, tmp_path: Path) -> None:
    done = grader_check(save(fill(course, cube=CUBE_OK + "\nimport os\nos._exit(1)"), tmp_path / "dies"))
    assert done.returncode == 1 and done.stderr == ""
    problems = [line for line in done.stdout.splitlines() if line.startswith("problem:")]
    assert problems == ["problem: the kernel died during cell 'cube'; the cells after it did not run"]
