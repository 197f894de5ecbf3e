"""Fixtures shared by every test folder: the one pass of real nbgrader over the shipped course."""

from __future__ import annotations

import pytest

from tests.real_nbgrader import NbgraderRun, grade_course


@pytest.fixture(scope="session")
def real_nbgrader(tmp_path_factory: pytest.TempPathFactory) -> dict[str, NbgraderRun]:
    """Every assignment of the course released and autograded by real nbgrader (tests/real_nbgrader.py), once per
    session: tests/assignments/test_nbgrader.py and tests/grader/test_parity_nbgrader.py read the same run."""
    return grade_course(tmp_path_factory.mktemp("real_nbgrader"))
