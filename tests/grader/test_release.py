"""grader release: the build step, then nbgrader's generate_assignment; a report of what went out."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from grader import release
from grader.errors import AssignmentNotFoundError, CourseNotFoundError, ReleaseError
from tests.grader.conftest import ASSIGNMENT, HIDDEN_LINES, write_source


@pytest.fixture
def unreleased(tmp_path: Path) -> Path:
    root = tmp_path / "course"
    write_source(root)
    return root


@pytest.mark.slow
def test_release_strips_solutions_and_hidden_tests_and_reports_the_points(unreleased: Path) -> None:
    result = release.run(course=unreleased)
    [item] = result.assignments
    assert (item.name, item.notebooks, item.files, item.tests, item.manual, item.max_score) == (
        ASSIGNMENT,
        ["ps1.ipynb"],
        ["helper.py"],
        2,
        1,
        4.0,
    )
    text = (unreleased / "release" / ASSIGNMENT / "ps1.ipynb").read_text()
    assert "return x * x" not in text and "raise NotImplementedError" in text
    assert all(line not in text for line in HIDDEN_LINES)
    assert item.build_note  # says what the build step did, even when there was nothing to build


@pytest.mark.slow
def test_release_runs_the_build_step_first(unreleased: Path) -> None:
    """Is the helper package named in the course's settings built into source/ and released with the notebook, and
    is the grading folder never released?"""
    pytest.importorskip("grader.build")
    config = unreleased / "nbgrader_config.py"
    config.write_text(config.read_text() + 'c.Helpers.package = "nnlib"\nc.Helpers.source = "reference"\n')
    (unreleased / "grading" / ASSIGNMENT / "assignment.toml").write_text('[helpers]\nship = ["activations"]\n')
    [item] = release.run(course=unreleased).assignments
    assert (unreleased / "source" / ASSIGNMENT / "nnlib" / "activations.py").is_file()
    assert "nnlib/activations.py" in item.files
    assert "helpers built" in item.build_note
    assert not [f for f in item.files if f.endswith(("mistakes.py", "assignment.toml"))]  # grading/ stays home


@pytest.mark.slow
def test_a_broken_source_notebook_is_a_release_error_naming_the_assignment(unreleased: Path) -> None:
    path = unreleased / "source" / ASSIGNMENT / "ps1.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells[0] = nbformat.v4.new_code_cell("### BEGIN HIDDEN TESTS\nassert True\n### END HIDDEN TESTS")
    nbformat.write(nb, path)
    with pytest.raises(ReleaseError, match="ps1"):
        release.run(course=unreleased, build=False)


def test_unknown_assignments_and_courses_are_usage_errors(unreleased: Path, tmp_path: Path) -> None:
    with pytest.raises(AssignmentNotFoundError, match="ps9"):
        release.run(course=unreleased, assignments=["ps9"])
    with pytest.raises(CourseNotFoundError):
        release.run(course=tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(CourseNotFoundError, match="not an nbgrader course"):
        release.run(course=tmp_path / "empty")
