"""grader demo: the whole job on the course shipped with this project, in a scratch course kept for inspection.

In a new folder (default: a fresh ``grader-demo-*`` folder under the system's temporary directory), with a copy of
the course whose gradebook is a new SQLite file (`grader.course.scratch_copy`):

1. release every assignment of the course (discovered from ``source/``);
2. make a class of submissions for each: one student hands in the solution, one the blank release, and the others
   one typical mistake each from the mistake library (``grading/<name>/mistakes.py``, one mutant per mistaken cell,
   spread over the assignment), students taking different roles in different assignments;
3. autograde each assignment (the fast fork engine; a progress bar on a terminal, one line per submission in CI);
4. write every student's HTML feedback and the grades as CSV, JSON, JUnit XML, and one Gradescope
   ``results.json`` per submission;
5. write the item-analysis page of each assignment (`grader.stats_page`) under ``stats/``, and say its path.

`run` returns what was made and where; `grader.report.demo_report` renders the grade table.
"""

from __future__ import annotations

import functools
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from grader import autograde, export, feedback, release, stats_page
from grader.autograde import AutogradeResult, Progress
from grader.cells import grade_id, is_solution_cell
from grader.course import EMBEDDED_COURSE, Course, open_course, scratch_copy
from grader.engine import DEFAULT_EXECUTOR, grading_executor
from grader.grades import NOT_SUBMITTED, SubmissionGrade, read_grades
from grader.grading import mutants_for
from grader.mutants import Mutant
from grader.release import ReleaseResult
from grader.submissions import (
    blank_submission,
    mutant_submission,
    solution_submission,
    write_submission,
)

ROSTER: tuple[str, ...] = ("aokafor", "bcarter", "cwei", "dalvarez", "eyilmaz", "fhaddad")
"""The demo class: student ids as a university's login names look. Six, so that the demo of three assignments
(a few seconds of the notebooks' own cells per submission) stays well under two minutes on two cores."""
SOLUTION, BLANK = "solution", "blank"
TIMESTAMP = "2025-03-14 09:26:53.000000 UTC"
"""When every demo submission was handed in (nbgrader reads it from timestamp.txt)."""


@dataclass(frozen=True)
class DemoSubmission:
    """What one student handed in for one assignment.

    kind:        "solution", "blank", or the name of the mutant (typical mistake) it contains
    description: the mistake in the student's words ("" for the solution and the blank release)
    """

    assignment: str
    student: str
    kind: str
    description: str = ""


@dataclass
class DemoResult:
    """Everything one demo made, and where it is.

    folder:      the demo's folder (kept)
    course:      the scratch course in it (nbgrader's layout, SQLite gradebook)
    released:    what was released
    submissions: every submission made, by assignment then student
    autograded:  the autograde outcome of each assignment
    grades:      the gradebook's grades after autograding, every (assignment, student) pair
    feedback:    the HTML reports written
    exports:     format -> files written (one Gradescope results.json per submission)
    stats:       assignment -> its item-analysis page (its CSV and JSON beside it)
    seconds:     wall time of the whole demo
    """

    folder: Path
    course: Course
    released: ReleaseResult
    submissions: list[DemoSubmission] = field(default_factory=list)
    autograded: list[AutogradeResult] = field(default_factory=list)
    grades: list[SubmissionGrade] = field(default_factory=list)
    feedback: list[Path] = field(default_factory=list)
    exports: dict[str, list[Path]] = field(default_factory=dict)
    stats: dict[str, Path] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """True when every submission could be graded in full."""
        return all(r.ok for r in self.autograded)


def run(
    *,
    course: Path | str = EMBEDDED_COURSE,
    folder: Path | str | None = None,
    jobs: int | None = None,
    executor: str = DEFAULT_EXECUTOR,
    mutants: Callable[[str], list[Mutant]] | None = None,
    roster: Sequence[str] = ROSTER,
    progress: Callable[[str], Progress | None] = lambda name: None,
    say: Callable[[str], None] = lambda text: None,
) -> DemoResult:
    """Run the demo on a copy of `course` made in `folder` (a new temporary folder by default, kept).

    mutants:  the mistakes of an assignment (default: the course's library)
    roster:   the students (at least 2: one hands in the solution, one the blank release)
    progress: gives the autograde progress of an assignment; `say` is told each stage as one line
    """
    started = time.perf_counter()
    if len(roster) < 2:
        raise ValueError(f"the demo needs at least 2 students (solution and blank); got {list(roster)}")
    original = open_course(course)
    base = Path(folder).resolve() if folder is not None else Path(tempfile.mkdtemp(prefix="grader-demo-"))
    base.mkdir(parents=True, exist_ok=True)
    scratch = scratch_copy(original, base / "course")
    say(f"scratch course: {scratch.root} (a copy of {original.root}, gradebook {scratch.db_url})")

    released = release.run(course=scratch.root)
    result = DemoResult(base, scratch, released)
    say(f"released: {', '.join(a.name for a in released.assignments)}")

    library = mutants or functools.partial(mutants_for, scratch.root)
    for position, item in enumerate(released.assignments):
        made = submit_class(scratch, item.name, library(item.name), roster, shift=position)
        result.submissions.extend(made)
        say(f"{item.name}: {len(made)} submissions ({_kinds(made)})")

    with grading_executor(executor, jobs=jobs, course=scratch.root) as runner:
        for item in released.assignments:
            result.autograded.append(
                autograde.run(course=scratch.root, assignment=item.name, executor=runner, progress=progress(item.name))
            )

    for item in released.assignments:
        result.feedback.extend(path for _, path in feedback.run(course=scratch.root, assignment=item.name).written)
    result.exports = export_all(scratch, base / "exports")
    written = stats_page.run(course=scratch.root, output=base / "stats").written
    result.stats = {name: page for name, (page, _, _) in written.items()}
    for name, page in result.stats.items():
        say(f"{name}: item analysis {page}")
    result.grades = read_grades(scratch)
    result.seconds = time.perf_counter() - started
    return result


def assign_roles(mistakes: Sequence[Mutant], roster: Sequence[str], shift: int = 0) -> dict[str, Mutant | str]:
    """student -> "solution", "blank" or the mutant they hand in; roles rotate by `shift` along the roster.

    The mutants are the first of each mistaken cell, spread evenly over the assignment, at most one per remaining
    student; students left without a role hand nothing in.
    """
    firsts: list[Mutant] = []
    for mutant in mistakes:
        if all(m.cell != mutant.cell for m in firsts):
            firsts.append(mutant)
    room = len(roster) - 2
    if len(firsts) > room:
        step = (len(firsts) - 1) / max(room - 1, 1)
        firsts = [firsts[round(k * step)] for k in range(room)]
    roles: list[Mutant | str] = [SOLUTION, BLANK, *firsts]
    n = len(roster)
    return {roster[(i + shift) % n]: role for i, role in enumerate(roles)}


def submit_class(
    course: Course, assignment: str, mistakes: Sequence[Mutant], roster: Sequence[str], shift: int = 0
) -> list[DemoSubmission]:
    """Write every student's submission of a released assignment (all its notebooks, and a timestamp.txt)."""
    releases = sorted(course.release_dir(assignment).glob("*.ipynb"))
    notebooks = {p.stem: (nbformat.read(p, as_version=4),
                          nbformat.read(course.source_dir(assignment) / p.name, as_version=4)) for p in releases}
    cells = {grade_id(c) for _, source in notebooks.values() for c in source.cells if is_solution_cell(c)}
    usable = [m for m in mistakes if m.cell in cells]  # a mutant of a cell the notebooks lack is validate's business
    made = []
    for student, role in sorted(assign_roles(usable, roster, shift).items()):
        folder = course.submitted_dir(student, assignment)
        for name, (released, source) in notebooks.items():
            if role == BLANK:
                nb = blank_submission(released)
            elif isinstance(role, Mutant) and any(grade_id(c) == role.cell for c in source.cells):
                nb = mutant_submission(released, source, role, name=f"{name}.ipynb")
            else:
                nb = solution_submission(released, source, name=f"{name}.ipynb")
            write_submission(course, assignment, student, name, nb)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "timestamp.txt").write_text(TIMESTAMP + "\n")
        if isinstance(role, Mutant):
            made.append(DemoSubmission(assignment, student, role.name, role.description))
        else:
            made.append(DemoSubmission(assignment, student, role))
    return made


def export_all(course: Course, folder: Path) -> dict[str, list[Path]]:
    """The course's grades in every export format under `folder`; Gradescope's one file per submission goes to
    ``gradescope/<assignment>/<student>/results.json``."""
    written: dict[str, list[Path]] = {}
    for fmt, (_, default_name) in export.FORMATS.items():
        if fmt == "gradescope":
            continue
        written[fmt] = [export.run(course=course.root, fmt=fmt, output=folder / default_name)]
    written["gradescope"] = [
        export.run(course=course.root, fmt="gradescope", assignments=[g.assignment], students=[g.student],
                   output=folder / "gradescope" / g.assignment / g.student / "results.json")
        for g in read_grades(course)
        if g.status != NOT_SUBMITTED
    ]
    return written


def _kinds(made: Sequence[DemoSubmission]) -> str:
    mistakes = sum(s.kind not in (SOLUTION, BLANK) for s in made)
    return f"the solution, the blank release, {mistakes} typical mistake{'s' if mistakes != 1 else ''}"
