"""grader new: scaffold an assignment that `grader validate` passes at once, for an instructor to edit into their own.

In the course at ``--course`` it writes (see `grader.grading` for the layout):

- ``source/<name>/<name>.ipynb``: a tiny generic assignment (a function ``mean(values)``, a multiple-choice answer,
  a written answer) with every kind of nbgrader cell a course uses: a locked setup cell, a solution cell, its test
  cell (hidden region first, calling ``hidden.check``), an answer cell and its test cell, a manually graded
  markdown cell;
- ``grading/<name>/``: ``checks.py`` (the check the hidden region calls), ``answers.py`` (the answer key),
  ``mistakes.py`` (mistakes the checks must catch, with the words their messages must hold) and
  ``assignment.toml`` (its optional tables, commented out).

Why template files: the grading files are copied from ``grader/templates/new/`` (package data), where the three
modules are real Python: the repository's ``ruff check .`` lints them, an editor shows them as code, and what an
instructor receives is what was linted. Their only placeholder is ``{{name}}``, in docstrings and comments. The
notebook is built here with ``nbformat.v4`` instead, because each cell's nbgrader metadata reads best next to its
source, and a notebook kept as JSON would be neither linted nor readable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from grader.course import DEFAULT_COURSE, open_course
from grader.errors import UsageError
from grader.grading import SETTINGS_FILE, assignment_dir

TEMPLATES = Path(__file__).resolve().parent / "templates" / "new"
"""The grading files copied into ``grading/<name>/``, ``{{name}}`` replaced by the assignment's name."""
GRADING_FILES = ("checks.py", "answers.py", "mistakes.py", SETTINGS_FILE)
PLACEHOLDER = "{{name}}"
NAME_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,59}")
"""An assignment name: its grading folder is imported as a Python package, and generated lines stay under 120."""


@dataclass
class NewResult:
    """What `run` wrote: the course, the assignment and every file, notebook first (absolute paths)."""

    course: Path
    name: str
    written: list[Path] = field(default_factory=list)


def run(*, course: Path | str = DEFAULT_COURSE, name: str, force: bool = False) -> NewResult:
    """Scaffold assignment ``name`` in the course at ``course``.

    Raises CourseNotFoundError when ``course`` is not an nbgrader course, UsageError (nothing written) for a name
    that is not a Python identifier or when ``source/<name>`` or ``grading/<name>`` exists and ``force`` is False;
    with ``force`` the scaffold's files are overwritten and any other file of those folders is left alone.
    """
    if not NAME_PATTERN.fullmatch(name):
        raise UsageError(f"bad assignment name {name!r}: use a letter or _, then letters, digits or _ (at most 60 "
                         "characters), e.g. week1; its grading folder is imported as a Python package")
    ctx = open_course(course)
    source, grading = ctx.source_dir(name), assignment_dir(ctx.root, name)
    taken = [str(folder) for folder in (source, grading) if folder.exists()]
    if taken and not force:
        raise UsageError(f"{' and '.join(taken)} already exist{'s' if len(taken) == 1 else ''}; pick another name, "
                         "or pass --force to overwrite the scaffold's files there")
    result = NewResult(ctx.root, name)
    source.mkdir(parents=True, exist_ok=True)
    notebook = source / f"{name}.ipynb"
    nbformat.write(notebook_for(name), notebook)
    result.written.append(notebook)
    grading.mkdir(parents=True, exist_ok=True)
    for file in GRADING_FILES:
        target = grading / file
        target.write_text((TEMPLATES / file).read_text(encoding="utf-8").replace(PLACEHOLDER, name), encoding="utf-8")
        result.written.append(target)
    return result


# -- the notebook ------------------------------------------------------------------------------------------------

INTRO = """
# {name}: the mean of a list of numbers

**This assignment is worth 4 points:** 2 for the function you write and 1 for an answer (graded automatically),
and 1 for a short written explanation (graded by your instructor).

Write your code between the lines the notebook gives you, run every cell, and run the test cells: they check
part of your work now; the grading checks more, on inputs you do not see.
"""
EXERCISE = """
### Exercise 1 (2 points): `mean`

Return the arithmetic mean of a non-empty list of numbers: their sum divided by how many there are.
"""
MEAN = '''
def mean(values):
    """The mean of a non-empty sequence of numbers: sum(values) / len(values)."""
    ### BEGIN SOLUTION
    return sum(values) / len(values)
    ### END SOLUTION
'''
TEST_MEAN = """
### BEGIN HIDDEN TESTS
from grader import hidden

hidden.check("mean", mean)
### END HIDDEN TESTS
assert np.isclose(mean([1.0, 2.0, 6.0]), 3.0), "mean([1, 2, 6]) should be (1 + 2 + 6) / 3 = 3"
assert np.isclose(mean(np.array([5.0])), 5.0), "the mean of one value is that value"
"""
QUESTION = """
### Question 1 (1 point)

What does `mean([])` do, with `mean` written as `sum(values) / len(values)`?

(a) it returns 0 &emsp; (b) it raises ZeroDivisionError &emsp; (c) it returns nan &emsp; (d) it returns None

Set `q_mean_of_empty` to one letter, for example `q_mean_of_empty = "a"`.
"""
ANSWER = """
### BEGIN SOLUTION
q_mean_of_empty = "b"
### END SOLUTION
"""
TEST_ANSWER = """
### BEGIN HIDDEN TESTS
from grader import hidden

hidden.check("q_mean_of_empty", q_mean_of_empty)
### END HIDDEN TESTS
assert isinstance(q_mean_of_empty, str), "q_mean_of_empty must be one letter: 'a', 'b', 'c' or 'd'"
"""
WRITTEN_QUESTION = """
### Question 2 (1 point, graded by your instructor)

In two or three sentences: why is the mean of no values left undefined, rather than set to 0?
"""
WRITTEN = """
*Model answer (for graders; students see an empty cell).* The mean is the value every element would have if they
were all equal: with no elements there is nothing to share the sum among, and 0 would be a made-up value that
silently pulls any later average towards 0. Raising an error makes the caller decide what an empty list means.

Rubric: 1 point for "there is nothing to divide the sum among" with why a silent 0 would mislead.
"""


def _nbgrader(cell: nbformat.NotebookNode, grade_id: str, *, grade: bool, solution: bool, locked: bool,
              points: int | None = None) -> nbformat.NotebookNode:
    meta = {"schema_version": 3, "grade": grade, "solution": solution, "locked": locked, "grade_id": grade_id,
            "task": False}
    cell.metadata["nbgrader"] = meta if points is None else {**meta, "points": points}
    return cell


def notebook_for(name: str) -> nbformat.NotebookNode:
    """The source notebook of a new assignment ``name``: solutions and hidden tests in, no outputs."""
    cells = [
        new_markdown_cell(INTRO.format(name=name)),
        _nbgrader(new_code_cell("import numpy as np"), "setup", grade=False, solution=False, locked=True),
        new_markdown_cell(EXERCISE),
        _nbgrader(new_code_cell(MEAN), "mean", grade=False, solution=True, locked=False),
        _nbgrader(new_code_cell(TEST_MEAN), "test_mean", grade=True, solution=False, locked=True, points=2),
        new_markdown_cell(QUESTION),
        _nbgrader(new_code_cell(ANSWER), "q_mean_of_empty", grade=False, solution=True, locked=False),
        _nbgrader(new_code_cell(TEST_ANSWER), "test_q_mean_of_empty", grade=True, solution=False, locked=True,
                  points=1),
        new_markdown_cell(WRITTEN_QUESTION),
        _nbgrader(new_markdown_cell(WRITTEN), "q_empty_written", grade=True, solution=True, locked=False, points=1),
    ]
    for cell in cells:
        cell.source = cell.source.strip()
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    return nb
