"""grader validate: does each assignment grade as it must? Meant for the course repository's own CI.

For every assignment (default: every folder of ``source/``), in a scratch copy of the course
(`grader.course.scratch_copy`: the course's gradebook and folders are never touched):

1. build the helpers and release it (`grader.release`);
2. make submissions from the release (`grader.submissions`): the instructor's ``solution``, the ``blank`` release,
   and one per mutant of the mistake library (``grading/<name>/mistakes.py``);
3. autograde them all (`grader.autograde`, the fast fork engine by default, one warm server for every assignment);
4. judge each from the gradebook:

   - the solution: full marks on every autograded cell, graded without a problem;
   - the blank release: zero on every autograded cell, graded without failing (a crash, a dead process);
   - a mutant: fewer points than the maximum on each of its target cells, and each target's failure message
     containing every word the mutant expects (the grading must name the mistake, not merely fail).

An assignment with per-student variants (docs/variants.md) is graded so once per variant with ``variants=N``: the
generator's ``extremes()`` first (the ends of every range), then the variants of the ids ``validate-1``, ...; every
submission of a round is recorded with that round's numbers. Without it, each submission has its own id's variant.

The result says, per submission, whether it went as expected and why not; ``ok`` is False when anything did not.
"""

from __future__ import annotations

import contextlib
import functools
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from grader import autograde, cells, release
from grader import variants as _variants
from grader.autograde import AutogradeResult, Progress
from grader.cells import is_solution_cell
from grader.course import DEFAULT_COURSE, Course, open_course, scratch_copy
from grader.engine import DEFAULT_EXECUTOR, grading_executor
from grader.engine.base import Executor
from grader.errors import AssignmentNotFoundError
from grader.grades import CellGrade, read_grades
from grader.grading import mutants_for
from grader.mutants import Mutant
from grader.records import FAILED
from grader.submissions import (
    SubmissionError,
    blank_submission,
    mutant_submission,
    solution_submission,
    write_submission,
)

SOLUTION, BLANK, MUTANT = "solution", "blank", "mutant"
MUTANT_PREFIX = "mutant-"
"""Student id of a mutant's submission: this prefix and the mutant's name."""


@dataclass
class Check:
    """One submission validate graded, and whether it went as it must.

    assignment: the assignment
    kind:       "solution", "blank" or "mutant"
    name:       the mutant's name, else the kind
    student:    the student id it was graded under in the scratch course
    score:      points on the autograded cells (written answers are not counted)
    max_score:  points available on the autograded cells
    ok:         True when it went as it must
    detail:     one line: what it showed, or what went wrong
    variant:    the variant it was graded with, as "name=value, ..." (a run with ``variants``), else ""
    """

    assignment: str
    kind: str
    name: str
    student: str
    score: float = 0.0
    max_score: float = 0.0
    ok: bool = False
    detail: str = ""
    variant: str = ""


@dataclass
class AssignmentRun:
    """One assignment's submissions: how many, and how long releasing and grading them took."""

    name: str
    submissions: int = 0
    mutants: int = 0
    seconds: float = 0.0
    variants: int = 0
    """How many variants each submission was graded on (0: each its own id's)."""


@dataclass
class ValidateResult:
    """The outcome of one `run`: a check per submission, in assignment order (solution, blank, then mutants)."""

    course: Path
    checks: list[Check] = field(default_factory=list)
    assignments: list[AssignmentRun] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """True when every check passed (and there was at least one)."""
        return bool(self.checks) and all(c.ok for c in self.checks)

    @property
    def failures(self) -> list[Check]:
        return [c for c in self.checks if not c.ok]


@dataclass
class _Planned:
    check: Check
    mutant: Mutant | None = None


def run(
    *,
    course: Path | str = DEFAULT_COURSE,
    assignments: Sequence[str] = (),
    jobs: int | None = None,
    executor: str = DEFAULT_EXECUTOR,
    mutants: Callable[[str], list[Mutant]] | None = None,
    progress: Callable[[str], Progress | None] = lambda name: None,
    workdir: Path | str | None = None,
    variants: int | None = None,
) -> ValidateResult:
    """Validate `assignments` (default: all of the course's source folder).

    jobs, executor: how notebooks run (`grader.autograde.run`); one executor serves every assignment
    mutants:        the mistakes of an assignment (default: the course's library, `grader.grading.mutants_for`)
    progress:       gives the autograde progress of an assignment (default: none)
    workdir:        where the scratch course is made (kept); default: a temporary folder, removed at the end
    variants:       grade an assignment with per-student variants on this many of them (`variant_sets`)
    Raises UsageError for an unknown course or assignment, ReleaseError when an assignment cannot be released.
    """
    started = time.perf_counter()
    original = open_course(course)
    available = original.assignments()
    names = list(dict.fromkeys(assignments)) or available
    unknown = [n for n in names if n not in available]
    if unknown or not names:
        raise AssignmentNotFoundError(
            f"no source folder for: {', '.join(unknown) or 'any assignment'} "
            f"(assignments in {original.root}: {', '.join(available) or 'none'})"
        )
    result = ValidateResult(original.root)
    with _scratch(workdir) as folder:
        scratch = scratch_copy(original, folder / original.root.name)
        release.run(course=scratch.root, assignments=names)
        with grading_executor(executor, jobs=jobs, course=scratch.root) as runner:
            for name in names:
                begun = time.perf_counter()
                mistakes = (mutants or functools.partial(mutants_for, scratch.root))(name)
                rounds: list[dict | None] = [None]
                if variants and _variants.has_variants(scratch.root, name):
                    rounds = list(variant_sets(scratch.root, name, variants))
                checks = []
                for number, parameters in enumerate(rounds, 1):
                    checks += validate_assignment(scratch, name, mistakes, runner, progress(name), parameters, number)
                result.checks.extend(checks)
                result.assignments.append(AssignmentRun(name, len(checks), len(mistakes), time.perf_counter() - begun,
                                                        0 if rounds == [None] else len(rounds)))
    result.seconds = time.perf_counter() - started
    return result


@contextlib.contextmanager
def _scratch(workdir: Path | str | None) -> Iterator[Path]:
    if workdir is not None:
        path = Path(workdir).resolve()
        path.mkdir(parents=True, exist_ok=True)
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="grader-validate-") as tmp:
        yield Path(tmp)


def variant_sets(course: Path | str, assignment: str, n: int) -> Iterator[dict[str, _variants.Value]]:
    """``n`` parameter sets of the assignment's generator: its ``extremes()`` first (when it defines them; the ends
    of every range), then the variants of the ids ``validate-1``, ``validate-2``... (derived with the course key)."""
    generator = _variants.generator(course, assignment)
    where = f"grading/{assignment}/{_variants.GENERATOR}.py: extremes()"
    extremes = list(generator.extremes()) if callable(getattr(generator, "extremes", None)) else []
    for parameters in extremes[:n]:
        yield _variants.plain_parameters(parameters, where)
    for k in range(1, n - len(extremes[:n]) + 1):
        yield dict(_variants.derive(course, assignment, f"validate-{k}").parameters)


def validate_assignment(
    course: Course, assignment: str, mistakes: Sequence[Mutant], executor: Executor, progress: Progress | None = None,
    parameters: dict[str, _variants.Value] | None = None, number: int = 1,
) -> list[Check]:
    """Submit, autograde and judge the solution, the blank release and every mutant of one released assignment;
    with ``parameters``, every one of them recorded with that variant first, its student id ending in
    ``-v<number>``."""
    label = ", ".join(f"{k}={v}" for k, v in (parameters or {}).items())
    suffix = "" if parameters is None else f"-v{number}"
    plan = [_Planned(Check(assignment, SOLUTION, SOLUTION, SOLUTION + suffix, variant=label)),
            _Planned(Check(assignment, BLANK, BLANK, BLANK + suffix, variant=label))]
    plan += [_Planned(Check(assignment, MUTANT, m.name, MUTANT_PREFIX + m.name + suffix, variant=label), m)
             for m in mistakes]
    if parameters is not None:
        version = _variants.generator(course.root, assignment).VERSION
        for p in plan:
            _variants.write_record(course.root, _variants.Variant(p.check.student, assignment, dict(parameters),
                                                                  version))
    graded = [p for p in plan if _submit(course, assignment, p)]
    outcome = autograde.run(course=course.root, assignment=assignment, students=[p.check.student for p in graded],
                            executor=executor, progress=progress) if graded else AutogradeResult(assignment, [])
    reports = {r.student: r for r in outcome.reports}
    grades = {g.student: g for g in read_grades(course, [assignment], [p.check.student for p in graded])}
    for p in graded:
        grade = grades.get(p.check.student)
        cells = {c.name: c for nb in (grade.notebooks if grade else []) for c in nb.cells if c.kind == "test"}
        check, report = p.check, reports[p.check.student]
        check.score = sum(c.score for c in cells.values())
        check.max_score = sum(c.max_score for c in cells.values())
        if report.status == FAILED:
            check.ok, check.detail = False, "could not be graded in full: " + "; ".join(report.problems)
        elif p.mutant is not None:
            check.ok, check.detail = judge_mutant(cells, p.mutant)
        elif check.kind == SOLUTION:
            check.ok, check.detail = judge_solution(cells, report.problems)
        else:
            check.ok, check.detail = judge_blank(cells)
    return [p.check for p in plan]


def _submit(course: Course, assignment: str, planned: _Planned) -> bool:
    """Write the planned submission (every notebook of the assignment); False, with the reason, when it cannot be."""
    check, mutant = planned.check, planned.mutant
    releases = sorted(course.release_dir(assignment).glob("*.ipynb"))
    if not releases:
        check.detail = f"no released notebook in {course.release_dir(assignment)}"
        return False
    notebooks = {p.stem: (nbformat.read(p, as_version=4),
                          nbformat.read(course.source_dir(assignment) / p.name, as_version=4)) for p in releases}
    hosts = [] if mutant is None else [n for n, (_, src) in notebooks.items() if _has_solution_cell(src, mutant.cell)]
    if mutant is not None and not hosts:
        check.detail = (f"the mutant replaces cell '{mutant.cell}', which no notebook of {assignment} has as a "
                        "solution cell; fix the mutant's cell")
        return False
    try:
        for name, (released, source) in notebooks.items():
            if check.kind == BLANK:
                nb = blank_submission(released)
            elif mutant is not None and name == hosts[0]:
                nb = mutant_submission(released, source, mutant, name=f"{name}.ipynb")
            else:
                nb = solution_submission(released, source, name=f"{name}.ipynb")
            write_submission(course, assignment, check.student, name, nb)
    except SubmissionError as exc:
        check.detail = str(exc)
        return False
    return True


def _has_solution_cell(nb: nbformat.NotebookNode, grade_id: str) -> bool:
    return any(is_solution_cell(c) and cells.grade_id(c) == grade_id for c in nb.cells)


def _points(cell: CellGrade) -> str:
    return f"{cell.name} {cell.score:g}/{cell.max_score:g}"


def _why(cell: CellGrade) -> str:
    return f"{_points(cell)} ({' | '.join(cell.messages) or 'no message'})"


def judge_solution(cells: dict[str, CellGrade], problems: Sequence[str]) -> tuple[bool, str]:
    """Did the solution score full marks on every autograded cell (`cells`: grade_id -> grade), with nothing for
    grading to repair? Returns (ok, one line saying why)."""
    short = [c for c in cells.values() if c.score < c.max_score]
    if not cells:
        return False, "no autograded cell: nothing checks this assignment"
    if short:
        return False, "not full marks: " + "; ".join(_why(c) for c in short)
    if problems:
        return False, "full marks, but grading repaired it: " + "; ".join(problems)
    return True, f"full marks on all {len(cells)} autograded cells"


def judge_blank(cells: dict[str, CellGrade]) -> tuple[bool, str]:
    """Did the blank release score nothing on every autograded cell? Returns (ok, one line saying why)."""
    scoring = [c for c in cells.values() if c.score > 0]
    if scoring:
        return False, "points without any work: " + "; ".join(_points(c) for c in scoring)
    return True, f"zero on all {len(cells)} autograded cells"


def judge_mutant(cells: dict[str, CellGrade], mutant: Mutant) -> tuple[bool, str]:
    """Did every target of the mutant lose points, with a failure message holding every expected word
    (case-insensitive)? Returns (ok, one line saying why)."""
    wrong = []
    for target in mutant.targets:
        cell = cells.get(target)
        if cell is None:
            wrong.append(f"target '{target}' is not an autograded cell of {mutant.assignment}")
        elif cell.score >= cell.max_score:
            wrong.append(f"kept the points of {_points(cell)}")
        else:
            message = " ".join(cell.messages).lower()
            missing = [w for w in mutant.expect if w.lower() not in message]
            if missing:
                wrong.append(f"{cell.name}'s message lacks {missing}: {' | '.join(cell.messages) or 'no message'}")
    if wrong:
        return False, "; ".join(wrong)
    return True, f"loses points on {', '.join(mutant.targets)}"
