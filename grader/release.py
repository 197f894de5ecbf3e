"""grader release: build each assignment's helper modules, run nbgrader's generate_assignment, report what went out.

For every assignment (default: every folder of ``source/``): the build step (`grader.build`, which copies the
modules of the course's helper package an assignment needs into ``source/<name>/``) runs first, then nbgrader's
`GenerateAssignment` converter with ``force`` and ``create_assignment`` on, exactly what ``nbgrader
generate_assignment --force`` does: solutions and hidden tests are stripped into ``release/<name>/`` and the cells
are saved in the gradebook. The assignment's grading folder (``grading/<name>/``) is never released.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from nbgrader.converters import GenerateAssignment
from nbgrader.converters.base import NbGraderException
from nbgrader.coursedir import CourseDirectory

from grader import build
from grader.course import DEFAULT_COURSE, Course, nbgrader_logger, open_course, quiet_sqlalchemy
from grader.errors import AssignmentNotFoundError, ReleaseError


@dataclass
class ReleasedAssignment:
    """One released assignment.

    name:       the assignment id
    notebooks:  notebook file names in ``release/<name>/``
    files:      other files released with them (helper modules, data), relative to ``release/<name>/``
    tests:      number of autograded test cells
    manual:     number of manually graded cells (written answers, tasks)
    max_score:  points available
    build_note: what the build step did (or why it did not run)
    """

    name: str
    notebooks: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    tests: int = 0
    manual: int = 0
    max_score: float = 0.0
    build_note: str = ""


@dataclass
class ReleaseResult:
    """All assignments released by one `run`, in the order asked."""

    course: Path
    assignments: list[ReleasedAssignment]


def run(*, course: Path | str = DEFAULT_COURSE, assignments: Sequence[str] = (), build: bool = True) -> ReleaseResult:
    """Release `assignments` (default: all of ``source/``) of the course; raise ReleaseError on the first failure."""
    ctx = open_course(course)
    available = ctx.assignments()
    names = list(dict.fromkeys(assignments)) or available
    unknown = [n for n in names if n not in available]
    if unknown:
        raise AssignmentNotFoundError(
            f"no source folder for: {', '.join(unknown)} (assignments in {ctx.root}: {', '.join(available) or 'none'})"
        )
    if not names:
        raise AssignmentNotFoundError(f"{ctx.root} has no assignment in its source folder")
    released = []
    for name in names:
        note = build_helpers(ctx, name) if build else "build skipped (--no-build)"
        _generate(ctx, name)
        item = describe(ctx, name)
        item.build_note = note
        released.append(item)
    return ReleaseResult(ctx.root, released)


def build_helpers(ctx: Course, assignment: str) -> str:
    """Run the build step (`grader.build.build_helpers`) for one assignment; a sentence saying what it did."""
    try:
        built = build.build_helpers(ctx, assignment)
    except Exception as exc:
        raise ReleaseError(f"building the helpers of '{assignment}' failed: {exc}") from exc
    if built is None:
        return "no helpers to build"
    return f"helpers built: {built.package_dir.name}/ ({', '.join(built.modules)})"


class _Capture(logging.Handler):
    """Keeps the error lines nbgrader logs, to put them in the exception."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def _generate(ctx: Course, assignment: str) -> None:
    log = nbgrader_logger()
    capture = _Capture()
    log.addHandler(capture)
    coursedir = CourseDirectory(config=ctx.config, log=log)
    coursedir.root = str(ctx.root)
    coursedir.assignment_id = assignment
    converter = GenerateAssignment(coursedir=coursedir, config=ctx.config, log=log)
    converter.force = True
    converter.create_assignment = True
    try:
        with quiet_sqlalchemy():
            converter.start()
    except NbGraderException as exc:
        details = "\n  ".join(line.strip().splitlines()[-1] for line in capture.lines if line.strip())
        raise ReleaseError(f"nbgrader generate_assignment failed for '{assignment}':\n  {details or exc}") from exc
    finally:
        log.removeHandler(capture)


def describe(ctx: Course, assignment: str) -> ReleasedAssignment:
    """What is in ``release/<assignment>/`` and in the gradebook for it."""
    folder = ctx.release_dir(assignment)
    files = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
    item = ReleasedAssignment(
        name=assignment,
        notebooks=[f for f in files if f.endswith(".ipynb")],
        files=[f for f in files if not f.endswith(".ipynb")],
    )
    with ctx.gradebook() as gb:
        record = gb.find_assignment(assignment)
        for notebook in record.notebooks:
            solution_ids = {c.name for c in notebook.solution_cells}
            for cell in notebook.grade_cells:
                if cell.cell_type == "code" and cell.name not in solution_ids:
                    item.tests += 1
                else:
                    item.manual += 1
            item.manual += len(notebook.task_cells)
        item.max_score = float(record.max_score)
    return item
