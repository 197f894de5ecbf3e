"""A tiny nbgrader course, built once per test session with nbgrader's own generate_assignment, copied per test.

Assignment ``ps1`` has one notebook ``ps1.ipynb``:

- ``square`` (solution) then ``test_square`` (2 points; public line + a hidden region with distinctive lines),
- ``cube`` (solution) then ``test_cube`` (1 point, public only),
- ``explain`` (a manually graded markdown answer, 1 point).

Submissions are made from the released notebook by `fill` and written by `submit`. `FakeExecutor` stands in for
the execution step where a test is about bookkeeping, not about running code.
"""

from __future__ import annotations

import copy
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
from nbgrader.converters import GenerateAssignment
from nbgrader.coursedir import CourseDirectory

from grader.course import ensure_alembic_on_path, load_config, nbgrader_logger, quiet_sqlalchemy
from grader.engine.base import Executor
from grader.engine.jobs import Job, JobResult
from grader.mutants import Mutant

ASSIGNMENT = "ps1"
HIDDEN_LINES = (
    "hidden_probe_q7x = square(-3)",
    'assert hidden_probe_q7x == 9, "the square of a negative number must be positive"',
)
HIDDEN_MESSAGE = "the square of a negative number must be positive"
TIMESTAMP = "2024-01-01 10:00:00.000000 UTC"

SQUARE_OK = "    return x * x"
SQUARE_HIDDEN_FAIL = "    return x * abs(x)"  # passes the public test, fails the hidden one
CUBE_OK = "    return x ** 3"
CUBE_WRONG = "    return x * 3"

CONFIG = """\
c = get_config()
c.CourseDirectory.course_id = "tiny"
c.Execute.timeout = 2
"""


def _tagged(cell, **nbgrader):
    cell.metadata["nbgrader"] = {"schema_version": 3, **nbgrader}
    return cell


def source_notebook() -> nbformat.NotebookNode:
    test_square = "\n".join(
        [
            'assert square(2) == 4, "square(2) should be 4"',
            "### BEGIN HIDDEN TESTS",
            *HIDDEN_LINES,
            "### END HIDDEN TESTS",
        ]
    )
    cells = [
        new_markdown_cell("# A tiny assignment"),
        _tagged(
            new_code_cell("def square(x):\n    ### BEGIN SOLUTION\n    return x * x\n    ### END SOLUTION"),
            grade=False,
            solution=True,
            locked=False,
            grade_id="square",
        ),
        _tagged(new_code_cell(test_square), grade=True, solution=False, locked=True, grade_id="test_square", points=2),
        _tagged(
            new_code_cell("def cube(x):\n    ### BEGIN SOLUTION\n    return x ** 3\n    ### END SOLUTION"),
            grade=False,
            solution=True,
            locked=False,
            grade_id="cube",
        ),
        _tagged(
            new_code_cell('assert cube(2) == 8, "cube(2) should be 8"'),
            grade=True,
            solution=False,
            locked=True,
            grade_id="test_cube",
            points=1,
        ),
        _tagged(
            new_markdown_cell("Why is a square never negative?\n\n### BEGIN SOLUTION\nBecause.\n### END SOLUTION"),
            grade=True,
            solution=True,
            locked=False,
            grade_id="explain",
            points=1,
        ),
    ]
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def write_source(root: Path) -> None:
    """An unreleased course: config + source/ps1/ps1.ipynb (+ a helper file released with it), and its mistake
    library in grading/ps1/mistakes.py."""
    (root / "source" / ASSIGNMENT).mkdir(parents=True)
    (root / "nbgrader_config.py").write_text(CONFIG)
    nbformat.write(source_notebook(), root / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    (root / "source" / ASSIGNMENT / "helper.py").write_text("GREETING = 'hello'\n")
    write_mistakes(root, PS1_MUTANTS)


def generate(root: Path) -> None:
    """nbgrader's own generate_assignment on the course (what `nbgrader generate_assignment ps1` does)."""
    ensure_alembic_on_path()
    config = load_config(root)
    coursedir = CourseDirectory(config=config, root=str(root), assignment_id=ASSIGNMENT, log=nbgrader_logger())
    converter = GenerateAssignment(coursedir=coursedir, config=config, log=nbgrader_logger())
    converter.force = True
    with quiet_sqlalchemy():
        converter.start()


@pytest.fixture(scope="session")
def released_course(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("released") / "course"
    write_source(root)
    generate(root)
    return root


@pytest.fixture
def course(released_course: Path, tmp_path: Path) -> Path:
    """A fresh copy of the released course (gradebook included) for one test."""
    root = tmp_path / "course"
    shutil.copytree(released_course, root)
    return root


def released(course: Path) -> nbformat.NotebookNode:
    return nbformat.read(course / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)


def cell(nb: nbformat.NotebookNode, grade_id: str) -> nbformat.NotebookNode:
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def fill(course: Path, square: str = SQUARE_OK, cube: str = CUBE_OK, answer: str = "Because x*x = |x|^2."):
    """The released notebook with the learner's answers written in."""
    nb = copy.deepcopy(released(course))
    cell(nb, "square").source = "def square(x):\n" + square
    cell(nb, "cube").source = "def cube(x):\n" + cube
    cell(nb, "explain").source = "Why is a square never negative?\n\n" + answer
    return nb


def submit(
    course: Path,
    student: str,
    nb: nbformat.NotebookNode | None = None,
    raw: str | None = None,
    timestamp: str = TIMESTAMP,
) -> Path:
    folder = course / "submitted" / student / ASSIGNMENT
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{ASSIGNMENT}.ipynb"
    if raw is not None:
        path.write_text(raw)
    else:
        nbformat.write(nb, path)
    (folder / "timestamp.txt").write_text(timestamp + "\n")
    return path


def ps1_mutant(name: str, cell: str, body: str, targets: tuple[str, ...], expect: tuple[str, ...]) -> Mutant:
    """A typical mistake in ps1: ``body`` as the code of solution cell ``cell`` (``square`` or ``cube``)."""
    return Mutant(name, ASSIGNMENT, cell, f"def {cell}(x):\n{body}\n", targets, expect, f"I wrote{body}")


PS1_MUTANTS = (
    ps1_mutant("cube_times_three", "cube", CUBE_WRONG, ("test_cube",), ("cube(2) should be 8",)),
    ps1_mutant("square_keeps_sign", "square", SQUARE_HIDDEN_FAIL, ("test_square",), ("NEGATIVE",)),
)
"""The mistake library of ps1: both lose points on their target, the second on a hidden test only."""


def write_mistakes(root: Path, mutants: Iterable[Mutant]) -> Path:
    """``grading/ps1/mistakes.py`` of the course at ``root`` holding ``mutants`` (as ``MUTANTS.code`` entries, or
    ``MUTANTS.edit`` ones for edit mutants)."""
    entries = "".join(
        (f"MUTANTS.edit(name={m.name!r}, cell={m.cell!r}, replace={list(m.edits)!r}, " if m.edits else
         f"MUTANTS.code(name={m.name!r}, cell={m.cell!r}, code={m.code!r}, ")
        + f"targets={m.targets!r}, expect={m.expect!r}, description={m.description!r})\n"
        for m in mutants
    )
    path = root / "grading" / ASSIGNMENT / "mistakes.py"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f'"""Typical mistakes in ps1."""\n\nfrom grader.mutants import MutantSet\n\nMUTANTS = MutantSet()\n'
                    f"{entries}")
    return path


class FakeExecutor(Executor):
    """An execution step that runs nothing: every code cell gets no output (a pass), except the test cells named
    in ``fail[student]``, which get an AssertionError with the given message. Records the jobs it saw."""

    def __init__(self, fail: dict[str, dict[str, str]] | None = None) -> None:
        self.fail = fail or {}
        self.seen: list[str] = []

    def map(self, jobs: Iterable[Job]) -> Iterator[JobResult]:
        for job in jobs:
            self.seen.append(job.id)
            student = job.id.split("/")[0]
            nb = copy.deepcopy(job.notebook)
            for c in nb["cells"]:
                grade_id = c.get("metadata", {}).get("nbgrader", {}).get("grade_id")
                if c["cell_type"] == "code" and grade_id in self.fail.get(student, {}):
                    message = self.fail[student][grade_id]
                    c["outputs"] = [
                        {
                            "output_type": "error",
                            "ename": "AssertionError",
                            "evalue": message,
                            "traceback": [f"AssertionError: {message}"],
                        }
                    ]
            yield JobResult(id=job.id, notebook=nb, status="ok")
