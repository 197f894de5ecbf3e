"""grader release: build each assignment's helper modules, run nbgrader's generate_assignment, report what went out.

For every assignment (default: every folder of ``source/``): the build step (`grader.build`, which copies the
modules of the course's helper package an assignment needs into ``source/<name>/``) runs first, then nbgrader's
`GenerateAssignment` converter with ``force`` and ``create_assignment`` on, exactly what ``nbgrader
generate_assignment --force`` does: solutions and hidden tests are stripped into ``release/<name>/`` and the cells
are saved in the gradebook. The assignment's grading folder (``grading/<name>/``) is never released.

An assignment with per-student variants (``grading/<name>/variants.py``, docs/variants.md) also gets
``release/<name>/variant.py``, which lets each learner's notebook derive their own numbers from their id (the course
key inside: one release for a whole class on a JupyterHub), and the variants of the students the gradebook knows are
recorded. `per_student` makes instead one folder per student of a roster, ``personal/<name>/<student>/``, whose
notebook was made for that student: their record ``variant.json`` and a keyless ``variant.py`` beside it.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbgrader.converters import GenerateAssignment
from nbgrader.converters.base import NbGraderException
from nbgrader.coursedir import CourseDirectory

from grader import build, variant_files, variants
from grader.course import DEFAULT_COURSE, Course, nbgrader_logger, open_course, quiet_sqlalchemy
from grader.errors import AssignmentNotFoundError, ReleaseError, UsageError

PERSONAL_DIR = "personal"
"""The course root's folder of notebooks made for one student each: ``personal/<assignment>/<student>/``."""


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
    variants:   for an assignment with per-student variants, how they reach the learners (one sentence)
    personal:   the folders made for one student each (`per_student`), by student
    """

    name: str
    notebooks: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    tests: int = 0
    manual: int = 0
    max_score: float = 0.0
    build_note: str = ""
    variants: str = ""
    personal: dict[str, Path] = field(default_factory=dict)


@dataclass
class ReleaseResult:
    """All assignments released by one `run`, in the order asked."""

    course: Path
    assignments: list[ReleasedAssignment]


def run(*, course: Path | str = DEFAULT_COURSE, assignments: Sequence[str] = (), build: bool = True,
        roster: Sequence[str] | None = None) -> ReleaseResult:
    """Release `assignments` (default: all of ``source/``) of the course; raise ReleaseError on the first failure.
    With ``roster`` (student ids), also make each of them a notebook of their own (`per_student`)."""
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
        if variants.has_variants(ctx.root, name):
            item.variants = release_variants(ctx, name)
            if roster is not None:
                item.personal = per_student(ctx, name, roster)
        elif roster is not None:
            raise UsageError(f"--per-student: '{name}' has no per-student variants (no grading/{name}/"
                             f"{variants.GENERATOR}.py), so every student's notebook would be the same release")
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


def release_variants(ctx: Course, assignment: str) -> str:
    """Give ``release/<assignment>/`` the runtime that derives each learner's numbers (with the course key), and
    record the variants of every student the gradebook knows; a sentence saying what was done."""
    variant_files.write_runtime(ctx.root, ctx.release_dir(assignment), assignment, with_key=True)
    stray = ctx.release_dir(assignment) / variant_files.RECORD
    warning = ""
    if stray.exists():  # copied from source/: every learner would get its numbers
        stray.unlink()
        warning = (f"; WARNING: source/{assignment}/{variant_files.RECORD} (saved by a run of the source notebook) "
                   "was left out of the release: delete it, as nbgrader autograde would copy it over every "
                   "submission's")
    with ctx.gradebook() as gb:
        students = [s.id for s in gb.students]
    for student in students:
        variants.lookup(ctx.root, assignment, student)
    return (f"per-student variants: {variant_files.MODULE} derives each learner's numbers (it holds the course key); "
            f"{len(students)} student(s) of the gradebook recorded{warning}")


def read_roster(path: Path | str) -> list[str]:
    """Student ids from a roster file: one per line (the first comma-separated field), ``#`` comments and blank
    lines skipped, a header ``id``/``student``/``student_id`` skipped; UsageError when it names no one."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read the roster {path}: {exc}") from None
    ids = [line.split("#", 1)[0].split(",", 1)[0].strip() for line in lines]
    ids = [i for i in ids if i]
    bad = [i for i in ids if "/" in i or "\0" in i or i in (".", "..") or any(c.isspace() for c in i)]
    if bad:
        raise UsageError(f"the roster {path} has an id that cannot name a folder: {bad[0]!r}")
    if ids and ids[0].lower() in ("id", "student", "student_id"):
        ids = ids[1:]
    if not ids:
        raise UsageError(f"the roster {path} names no student (one id per line)")
    return list(dict.fromkeys(ids))


def per_student(ctx: Course, assignment: str, roster: Sequence[str]) -> dict[str, Path]:
    """For each student of ``roster``: ``personal/<assignment>/<student>/``, a copy of the release whose notebooks
    are marked as made for that student, with their recorded variant in ``variant.json`` and a keyless
    ``variant.py`` (the course key stays with the instructor). Returns the folders by student."""
    source = ctx.release_dir(assignment)
    made = {}
    for student in roster:
        variant = variants.lookup(ctx.root, assignment, student)
        folder = ctx.root / PERSONAL_DIR / assignment / student
        if folder.exists():
            shutil.rmtree(folder)
        shutil.copytree(source, folder)
        for path in folder.glob("*.ipynb"):
            nb = nbformat.read(path, as_version=4)
            nbformat.write(variant_files.stamp(nb, variant), path)
        variant_files.write_files(ctx.root, folder, variant, with_key=False)
        made[student] = folder
    return made


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
