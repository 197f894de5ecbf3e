"""Fixtures for the assignment tests: a copy of the course with its helpers built, and per assignment its source
notebook, its spec (specs.py) and the stubs a student starts from.

Tests that hold for every notebook take the ``assignment`` fixture, parametrised over every assignment of
:data:`specs.SPECS`; a test module about one notebook overrides it with a module-level fixture of that name."""

from __future__ import annotations

import copy

import nbformat
import pytest
from nbformat import NotebookNode
from nbgrader.preprocessors import ClearSolutions
from notebook_runner import copy_course
from specs import SPECS, AssignmentSpec

from grader.course import Course


@pytest.fixture(scope="session")
def course(tmp_path_factory: pytest.TempPathFactory) -> Course:
    """A copy of assignments/ in a temporary folder, helpers built."""
    return copy_course(tmp_path_factory.mktemp("course") / "assignments")


@pytest.fixture(scope="session")
def notebooks(course: Course) -> dict[str, NotebookNode]:
    """The source notebook of every assignment of the spec table, by assignment name."""
    return {name: nbformat.read(course.directory("source", name) / f"{name}.ipynb", as_version=4) for name in SPECS}


@pytest.fixture(scope="module", params=list(SPECS))
def assignment(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="module")
def spec(assignment: str) -> AssignmentSpec:
    return SPECS[assignment]


@pytest.fixture(scope="module")
def source_nb(notebooks: dict[str, NotebookNode], assignment: str) -> NotebookNode:
    return notebooks[assignment]


@pytest.fixture(scope="module")
def stub_nb(source_nb: NotebookNode) -> NotebookNode:
    """The source with nbgrader's own ClearSolutions applied: the stubs a student starts from (hidden tests kept,
    as autograde restores them)."""
    nb, _ = ClearSolutions().preprocess(copy.deepcopy(source_nb), {})
    return nb
