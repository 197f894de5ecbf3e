"""Grades as data: read nbgrader's gradebook (plus the autograded notebooks' failure messages) into dataclasses.

`feedback` and `export` both render these; neither touches the database itself. Scores are the gradebook's own
(``Grade.score``: the manual score when a grader gave one, else the autograder's, plus extra credit). Failure
messages are ``ename: evalue`` of a test cell's error outputs, never its traceback or source: hidden tests stay
hidden, and no path of the grading machine shows in them (`grader.tracebacks`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbgrader import utils
from nbgrader.api import MissingEntry

from grader import variants
from grader.cells import by_grade_id
from grader.course import Course
from grader.engine.record import student_folders
from grader.records import load_record
from grader.tracebacks import ANSI, message, scrub

NOT_SUBMITTED, GRADED, FAILED, NOT_GRADED = "not_submitted", "graded", "failed", "not_autograded"
"""Status of a submission: nothing submitted; graded; graded, but something could not be (see problems);
submitted but not autograded yet."""


@dataclass
class CellGrade:
    """One graded cell of a submitted notebook.

    name:               the cell's nbgrader grade_id
    kind:               "test" (autograded code), "written" (manually graded answer), or "task"
    score:              points given (nbgrader's Grade.score: manual if set, else auto, + extra credit)
    max_score:          points available
    auto_score:         the autograder's points, None when it could not decide (written answers)
    manual_score:       a grader's points, None when not graded by hand
    extra_credit:       extra points a grader gave, None if none
    needs_manual_grade: True while a person still has to grade it
    comment:            the grader's comment (or nbgrader's automatic one, e.g. "No response."), "" if none
    messages:           for tests: the failure messages (``ename: evalue``) of the cell's errors
    """

    name: str
    kind: str
    score: float
    max_score: float
    auto_score: float | None = None
    manual_score: float | None = None
    extra_credit: float | None = None
    needs_manual_grade: bool = False
    comment: str = ""
    messages: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """A test passed when it scored every point; a written answer when a grader gave it full marks."""
        return self.score >= self.max_score and not self.needs_manual_grade


@dataclass
class NotebookGrade:
    """One notebook of a submission, its cells in gradebook order."""

    name: str
    score: float
    max_score: float
    late_penalty: float = 0.0
    cells: list[CellGrade] = field(default_factory=list)


@dataclass
class SubmissionGrade:
    """One student's grades for one assignment.

    status:   see NOT_SUBMITTED, GRADED, FAILED, NOT_GRADED
    problems: what went wrong or was repaired while autograding (from the autograde record)
    score:    the gradebook's score minus the late penalty, never below 0
    """

    assignment: str
    student: str
    first_name: str | None
    last_name: str | None
    email: str | None
    status: str
    timestamp: str | None
    score: float
    max_score: float
    late_penalty: float = 0.0
    needs_manual_grade: bool = False
    problems: list[str] = field(default_factory=list)
    variant: dict[str, int | float | str] | None = None
    """The student's recorded variant parameters of the assignment (docs/variants.md), or None."""
    notebooks: list[NotebookGrade] = field(default_factory=list)


def failure_messages(cell: nbformat.NotebookNode, folders: Sequence[str] = ()) -> list[str]:
    """``ename: evalue`` of each error output of a cell, plus any stderr text; ANSI colours removed and paths cut
    (`grader.tracebacks.scrub`: relative inside ``folders``, the submission's folder, else to their last part)."""
    messages = []
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            messages.append(message(output, folders))
        elif output.get("output_type") == "stream" and output.get("name") == "stderr":
            messages.append(scrub(ANSI.sub("", output.get("text", "")).strip(), folders))
    return [m for m in messages if m]


def autograded_notebook(
    ctx: Course, assignment: str, student: str, notebook: str
) -> nbformat.NotebookNode | None:
    """The autograded notebook of a submission, or None when there is none (or it cannot be read)."""
    path = ctx.autograded_dir(student, assignment) / f"{notebook}.ipynb"
    try:  # nbformat.read without its schema validation, which only logs (a fifth of `read_grades` for a class)
        return nbformat.convert(nbformat.reader.reads(path.read_text(encoding="utf-8")), 4)
    except Exception:
        return None


def _kind(cell) -> str:  # a GradeCell or TaskCell row
    if cell.__class__.__name__ == "TaskCell":
        return "task"
    return "test" if cell.cell_type == "code" and not _is_solution(cell) else "written"


def _variant(ctx: Course, assignment: str, student: str) -> dict[str, int | float | str] | None:
    """The recorded variant parameters, or None (no record, or one that cannot be read: grading reports that)."""
    try:
        record = variants.read_record(ctx.root, assignment, student)
    except variants.VariantError:
        return None
    return None if record is None else dict(record.parameters)


def _is_solution(cell) -> bool:
    return any(s.name == cell.name for s in cell.notebook.solution_cells)


def read_grades(
    ctx: Course, assignments: Sequence[str] = (), students: Sequence[str] = ()
) -> list[SubmissionGrade]:
    """Every (assignment, student) pair of the gradebook, filtered, sorted by assignment then student."""
    out = []
    with ctx.gradebook() as gb:
        chosen_assignments = [a for a in gb.assignments if not assignments or a.name in assignments]
        chosen_students = [s for s in gb.students if not students or s.id in students]
        for assignment in sorted(chosen_assignments, key=lambda a: a.name):
            for student in sorted(chosen_students, key=lambda s: s.id):
                out.append(_submission(ctx, gb, assignment, student))
    return out


def _submission(ctx: Course, gb, assignment, student) -> SubmissionGrade:  # type: ignore[no-untyped-def]
    base = dict(
        assignment=assignment.name,
        student=student.id,
        first_name=student.first_name,
        last_name=student.last_name,
        email=student.email,
    )
    base["variant"] = _variant(ctx, assignment.name, student.id)
    try:
        sub = gb.find_submission(assignment.name, student.id)
    except MissingEntry:
        return SubmissionGrade(**base, status=NOT_SUBMITTED, timestamp=None, score=0.0,
                               max_score=float(assignment.max_score))
    record = load_record(ctx, assignment.name, student.id)
    if record is None:
        graded = all(nb_path.exists() for nb_path in _autograded_paths(ctx, sub))
        status = GRADED if graded else NOT_GRADED
        problems: list[str] = []
    else:
        status = FAILED if record.status == "failed" else GRADED
        problems = list(record.problems)
    penalty = float(sub.late_submission_penalty or 0.0)
    grade = SubmissionGrade(
        **base,
        status=status,
        timestamp=sub.timestamp.isoformat() if sub.timestamp else None,
        score=max(0.0, float(sub.score) - penalty),
        max_score=float(sub.max_score),
        late_penalty=penalty,
        needs_manual_grade=bool(sub.needs_manual_grade),
        problems=problems,
    )
    for nb in sorted(sub.notebooks, key=lambda n: n.name):
        grade.notebooks.append(_notebook(ctx, gb, assignment.name, student.id, nb))
    return grade


def _autograded_paths(ctx: Course, sub) -> list[Path]:  # type: ignore[no-untyped-def]
    folder = ctx.autograded_dir(sub.student.id, sub.assignment.name)
    return [folder / f"{nb.name}.ipynb" for nb in sub.notebooks]


def _notebook(ctx: Course, gb, assignment: str, student: str, sub_nb) -> NotebookGrade:  # type: ignore[no-untyped-def]
    executed = autograded_notebook(ctx, assignment, student, sub_nb.name)
    folders = student_folders(str(ctx.autograded_dir(student, assignment)))
    cells_by_id = {}
    if executed is not None:
        cells_by_id = by_grade_id(c for c in executed.cells if utils.is_grade(c))
    order = [c.name for c in sub_nb.notebook.source_cells]
    grades = sorted(sub_nb.grades, key=lambda g: order.index(g.name) if g.name in order else len(order))
    nb_grade = NotebookGrade(
        name=sub_nb.name,
        score=float(sub_nb.score),
        max_score=float(sub_nb.max_score),
        late_penalty=float(sub_nb.late_submission_penalty or 0.0),
    )
    comments = {c.name: c for c in sub_nb.comments}
    for g in grades:
        kind = _kind(g.cell)
        comment = comments.get(g.name)
        text = ""
        if comment is not None:
            text = comment.manual_comment or comment.auto_comment or ""
        messages = failure_messages(cells_by_id[g.name], folders) if kind == "test" and g.name in cells_by_id else []
        nb_grade.cells.append(
            CellGrade(
                name=g.name,
                kind=kind,
                score=float(g.score),
                max_score=float(g.cell.max_score or 0.0),  # = nbgrader's Grade.max_score, without its query
                auto_score=g.auto_score,
                manual_score=g.manual_score,
                extra_credit=g.extra_credit,
                needs_manual_grade=bool(g.needs_manual_grade),
                comment=text,
                messages=messages,
            )
        )
    return nb_grade
