"""Fixtures for the assignment tests: a copy of the course with its helpers built, the source notebook, and the
stubs a student starts from."""

from __future__ import annotations

import copy
import shutil

import nbformat
import pytest
from nbformat import NotebookNode
from nbgrader.preprocessors import ClearSolutions
from notebook_runner import ASSIGNMENT

from grader.build import build_course
from grader.course import DEFAULT_COURSE, Course


@pytest.fixture(scope="session")
def course(tmp_path_factory: pytest.TempPathFactory) -> Course:
    """A copy of assignments/ in a temporary folder, helpers built (never touches the repository's course)."""
    root = tmp_path_factory.mktemp("course") / "assignments"
    shutil.copytree(
        DEFAULT_COURSE,
        root,
        ignore=shutil.ignore_patterns("nnlib", "__pycache__", "release", "submitted", "autograded", "feedback", "*.db"),
    )
    course = Course.at(root)
    build_course(course)
    return course


@pytest.fixture(scope="session")
def source_nb(course: Course) -> NotebookNode:
    return nbformat.read(course.directory("source", ASSIGNMENT) / f"{ASSIGNMENT}.ipynb", as_version=4)


@pytest.fixture(scope="session")
def stub_nb(source_nb: NotebookNode) -> NotebookNode:
    """The source with nbgrader's own ClearSolutions applied: the stubs a student starts from (hidden tests kept,
    as autograde restores them)."""
    nb, _ = ClearSolutions().preprocess(copy.deepcopy(source_nb), {})
    return nb
