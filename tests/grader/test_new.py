"""grader new: the scaffold it writes, that `grader validate` passes it as it is, and what it refuses."""

from __future__ import annotations

import ast
import importlib.util
import shutil
import subprocess
import sys
import types
from pathlib import Path

import nbformat
import pytest

from grader import cli, new
from grader.grading import SETTINGS_FILE, mutants_for, read_settings

REPO = Path(__file__).resolve().parents[2]
RUFF = Path(sys.executable).parent / "ruff"
NAME = "week1"
FILES = [f"source/{NAME}/{NAME}.ipynb", *(f"grading/{NAME}/{f}" for f in ("checks.py", "answers.py", "mistakes.py",
                                                                          SETTINGS_FILE))]


@pytest.fixture
def empty_course(tmp_path: Path) -> Path:
    """A course with nothing in it yet: what `nbgrader quickstart` leaves once its example is deleted."""
    root = tmp_path / "course"
    (root / "source").mkdir(parents=True)
    (root / "nbgrader_config.py").write_text("c = get_config()\n")
    return root


def _files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts)


def _import(path: Path) -> types.ModuleType:
    spec = importlib.util.spec_from_file_location(f"scaffold_{path.parent.name}_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _tags(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def test_the_scaffold_writes_a_notebook_and_a_grading_folder(empty_course: Path) -> None:
    result = new.run(course=empty_course, name=NAME)
    assert [str(p.relative_to(empty_course)) for p in result.written] == FILES
    assert _files(empty_course) == sorted(["nbgrader_config.py", *FILES])
    for path in result.written:
        assert "{{name}}" not in path.read_text()
    nb = nbformat.read(empty_course / FILES[0], as_version=4)
    nbformat.validate(nb)
    assert nb.cells[0].cell_type == "markdown" and "worth 4 points" in nb.cells[0].source
    tags = {_tags(c)["grade_id"]: c for c in nb.cells if _tags(c)}
    assert _tags(tags["setup"])["locked"] and tags["setup"].source == "import numpy as np"
    assert sum(_tags(c).get("points", 0) for c in nb.cells if _tags(c).get("grade")) == 4
    written = tags["q_empty_written"]
    assert written.cell_type == "markdown" and _tags(written)["grade"] and _tags(written)["solution"]
    for cell in nb.cells:
        assert cell.cell_type == "markdown" or not cell.outputs
        if _tags(cell).get("grade") and cell.cell_type == "code":
            assert cell.source.startswith("### BEGIN HIDDEN TESTS\nfrom grader import hidden\n")
            assert not isinstance(ast.parse(cell.source).body[-1], ast.Expr), "nbgrader would read it as a score"
    assert "### BEGIN SOLUTION" in tags["mean"].source and "### BEGIN SOLUTION" in tags["q_mean_of_empty"].source
    assert read_settings(empty_course, NAME).budget_seconds is None  # every table is commented out


def test_the_check_passes_the_solution_and_names_each_mistake(empty_course: Path) -> None:
    """Without a notebook: the generated check on a right mean, and on each function of mistakes.py."""
    new.run(course=empty_course, name=NAME)
    checks = _import(empty_course / "grading" / NAME / "checks.py")
    checks.mean(lambda values: sum(values) / len(values))
    mutants = mutants_for(empty_course, NAME)
    assert {m.name for m in mutants} == {"mean_divides_by_n_minus_1", "q_mean_of_empty_is_zero"}
    for mutant in mutants:
        if mutant.function is not None:
            with pytest.raises(AssertionError) as failed:
                checks.mean(mutant.function)
            assert all(word.lower() in str(failed.value).lower() for word in mutant.expect)
    with pytest.raises(AssertionError, match="returned the sum"):
        checks.mean(sum)


@pytest.mark.slow
@pytest.mark.parametrize("executor", ["fork", "kernel"])
def test_validate_passes_the_fresh_scaffold(empty_course: Path, capsys, executor: str) -> None:
    """On both executors: the kernel's hidden tests find their checks as the fork engine's do (`grader.hidden`)."""
    assert cli.main(["new", NAME, "--course", str(empty_course)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[:-1] == [f"wrote {empty_course / f}" for f in FILES]
    assert out[-1].startswith("next: edit ") and out[-1].endswith(f"`grader validate {NAME} --course {empty_course}`")
    argv = ["validate", NAME, "--course", str(empty_course), "--no-progress", "--executor", executor]
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    assert "validate: all 4 checks passed" in out
    assert "mean_divides_by_n_minus_1" in out and "q_mean_of_empty_is_zero" in out


def test_the_default_course_is_assignments_of_the_working_folder(empty_course: Path, monkeypatch, capsys) -> None:
    shutil.move(empty_course, empty_course.parent / "assignments")
    monkeypatch.chdir(empty_course.parent)
    assert cli.main(["new", NAME]) == 0
    assert capsys.readouterr().out.splitlines()[-1].endswith(f"then run `grader validate {NAME}`")
    assert (empty_course.parent / "assignments" / FILES[0]).is_file()


def test_it_refuses_to_overwrite_an_assignment_unless_forced(empty_course: Path, capsys) -> None:
    (empty_course / "source" / NAME).mkdir()
    assert cli.main(["new", NAME, "--course", str(empty_course)]) == 2
    err = capsys.readouterr().err
    assert "already exist" in err and "--force" in err
    assert _files(empty_course) == ["nbgrader_config.py"]  # nothing written, not even the grading folder
    (empty_course / "source" / NAME).rmdir()
    (empty_course / "grading" / NAME).mkdir(parents=True)
    assert cli.main(["new", NAME, "--course", str(empty_course)]) == 2
    assert _files(empty_course) == ["nbgrader_config.py"]

    assert cli.main(["new", NAME, "--course", str(empty_course), "--force"]) == 0
    checks = empty_course / "grading" / NAME / "checks.py"
    original = checks.read_text()
    checks.write_text("# edited\n")
    (empty_course / "grading" / NAME / "notes.md").write_text("mine\n")
    assert cli.main(["new", NAME, "--course", str(empty_course)]) == 2
    assert checks.read_text() == "# edited\n"
    assert cli.main(["new", NAME, "--course", str(empty_course), "--force"]) == 0
    assert checks.read_text() == original
    assert (empty_course / "grading" / NAME / "notes.md").read_text() == "mine\n"  # other files are left alone


@pytest.mark.parametrize("name", ["9lives", "week-1", "week 1", "", "week1/../x", "é", "a" * 61])
def test_a_bad_name_is_a_usage_error_in_one_line(empty_course: Path, name: str, capsys) -> None:
    assert cli.main(["new", name, "--course", str(empty_course)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("grader new: bad assignment name") and err.count("\n") == 1
    assert "letters, digits or _" in err
    assert _files(empty_course) == ["nbgrader_config.py"]


def test_a_folder_that_is_not_a_course_is_a_usage_error(tmp_path: Path, capsys) -> None:
    assert cli.main(["new", NAME, "--course", str(tmp_path / "nowhere")]) == 2
    assert "course folder not found" in capsys.readouterr().err
    assert not (tmp_path / "nowhere").exists()


def test_the_generated_python_is_ruff_clean_and_documented(empty_course: Path) -> None:
    """Under the repository's ruff settings, with the longest name allowed (the name is in docstrings)."""
    long_name = "a" * 60
    new.run(course=empty_course, name=long_name)
    folder = empty_course / "grading" / long_name
    for path in sorted(folder.glob("*.py")):
        docstring = ast.get_docstring(ast.parse(path.read_text()))
        assert docstring and long_name in docstring.splitlines()[0] and "What to edit" in docstring, path.name
    if not RUFF.is_file():
        pytest.skip("ruff is not installed next to this Python (pip install -e '.[test]')")
    done = subprocess.run([str(RUFF), "check", "--no-cache", "--config", str(REPO / "pyproject.toml"), str(folder)],
                          capture_output=True, text=True, cwd=REPO, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.slow
def test_a_fourth_assignment_of_the_shipped_course_takes_two_folders_and_nothing_else(tmp_path: Path, capsys) -> None:
    """Issue 13's three places: in a copy of assignments/, `grader new` adds a notebook and a grading folder and
    changes no other file (no registry, no config line: the course already names its helper source); the course
    finds the assignment, and `grader validate` passes it while the other three assignments are untouched."""
    course = tmp_path / "assignments"
    shutil.copytree(REPO / "assignments", course, ignore=shutil.ignore_patterns(
        "__pycache__", "nnlib", "release", "submitted", "autograded", "feedback", "*.db"))
    before = {path: (course / path).read_bytes() for path in _files(course)}
    assert cli.main(["new", "week4", "--course", str(course)]) == 0
    after = _files(course)
    added = sorted(set(after) - set(before))
    assert added == sorted(f.replace(NAME, "week4") for f in FILES)
    assert all((course / path).read_bytes() == text for path, text in before.items())  # nothing else changed
    from grader.course import Course

    assert "week4" in Course.at(course).assignments()
    capsys.readouterr()
    assert cli.main(["validate", "week4", "--course", str(course), "--no-progress"]) == 0
    assert "validate: all 4 checks passed" in capsys.readouterr().out
