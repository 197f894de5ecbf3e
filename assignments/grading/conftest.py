"""Fixtures of the claim tests (``<assignment>/test_claims.py``): the assignment a test module belongs to, its source
notebook and the names its locked ``settings`` cell defines (seeds, data and experiment sizes)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import numpy as np
import pytest
from nbformat import NotebookNode

from grader.submissions import cell_source
from reference.data import circles

COURSE = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def assignment(request: pytest.FixtureRequest) -> str:
    """The assignment whose grading folder holds the test module."""
    return request.path.parent.name


@pytest.fixture(scope="module")
def source_nb(assignment: str) -> NotebookNode:
    return nbformat.read(COURSE / "source" / assignment / f"{assignment}.ipynb", as_version=4)


@pytest.fixture(scope="module")
def settings(source_nb: NotebookNode) -> dict:
    """The names the notebook's locked ``settings`` cell defines, its helpers taken from reference/."""
    namespace = {"np": np, "circles": circles}
    exec(cell_source(source_nb, "settings"), namespace)
    return namespace
