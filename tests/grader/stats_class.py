"""A class of five on the tiny ps1 course (tests/grader/conftest.py), graded by `grader autograde` with a fake
execution step, for the tests of `grader stats`. Points per student (test_square 2, test_cube 1, explain 1, written:
still waiting for a person for everyone):

    student  test_square  test_cube  total  failure messages
    ann      2            1          3
    bob      2            0          2      test_cube: cube(2) should be 8, got 6
    cid      2            0          2      test_cube: cube(2) should be 8, got 7
    dee      0            1          1      test_square: the square of a negative number must be positive
    eve      0            0          0      test_square: name 'y' is not defined; test_cube: ... got 6
"""

from __future__ import annotations

import shutil
from pathlib import Path

from grader import autograde
from tests.grader.conftest import ASSIGNMENT, HIDDEN_MESSAGE, FakeExecutor, fill, submit

STUDENTS = ("ann", "bob", "cid", "dee", "eve")
CUBE_6, CUBE_7 = "cube(2) should be 8, got 6", "cube(2) should be 8, got 7"
FAILURES = {
    "bob": {"test_cube": CUBE_6},
    "cid": {"test_cube": CUBE_7},
    "dee": {"test_square": HIDDEN_MESSAGE},
    "eve": {"test_square": "name 'y' is not defined", "test_cube": CUBE_6},
}
SQUARE = {"ann": 2.0, "bob": 2.0, "cid": 2.0, "dee": 0.0, "eve": 0.0}
CUBE = {"ann": 1.0, "bob": 0.0, "cid": 0.0, "dee": 1.0, "eve": 0.0}


def make_class(released_course: Path, dest: Path) -> Path:
    """A copy of the released course at `dest`, with the class above submitted and autograded."""
    shutil.copytree(released_course, dest)
    for student in STUDENTS:
        submit(dest, student, fill(dest))
    assert autograde.run(course=dest, assignment=ASSIGNMENT, executor=FakeExecutor(FAILURES)).ok
    return dest
