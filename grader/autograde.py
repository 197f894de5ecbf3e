"""grader autograde: grade every submission of an assignment into nbgrader's gradebook; no broken notebook stops it.

The pipeline is nbgrader's own list of steps (its `Autograde` converter's sanitize + autograde preprocessors), with
these substitutions: `RestoreCells` for OverwriteCells (flags and missing test cells restored, every change
reported), a batch execution step for the Execute preprocessor, and for the steps that use the gradebook, versions
that share one session and one read of the source cells per run (`grader.steps`; the steps are nbgrader's code in
`grader.nbgrader_adapter`: same rules, same rows)::

    ClearOutput, DeduplicateIds, SharedKernelspec, RestoreCells, CheckMetadata,       <- sanitize
    EXECUTE                                                                           <- any Executor
    IgnorePattern, ClearMetadataPreprocessor, LimitOutput, SaveScores,
    LatePenalties, CheckMetadata                                                      <- score, save

Each submission is prepared and finished in this process (so the gradebook has one writer) and executed by an
executor of `grader.engine`, ``jobs`` notebooks at once: ``fork`` by default (forks of a warm server), ``kernel`` for
nbgrader's own path (a fresh Jupyter kernel per notebook). Submissions are prepared as the executor asks for work,
so preparing one overlaps running others. What happens to a broken submission:

- a notebook that is not valid JSON / nbformat, or is missing: every grade cell of it gets 0;
- a process that dies (``os._exit``, a kill signal, memory): cells already run keep their scores, the cell that
  stopped it (`JobResult.stopped`) and every later code cell get an error output and so 0; written answers are kept
  for manual grading;
- an endless loop: nbgrader's per-cell timeout (``Execute.timeout``) interrupts it; that cell fails, the rest runs;
- deleted, retyped or re-flagged test cells: restored from the gradebook before running.

A record per submission (``autograded/.grader/<assignment>/<student>.json``) is written last; a submission whose
record matches the submitted files (a hash of them, timestamp.txt included) is skipped unless ``force`` or unless it
could not be graded in full last time (it is tried again, so a second run still reports it). So an interrupted run,
started again, grades only what was not finished.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import nbformat
from nbconvert.exporters import NotebookExporter
from nbconvert.exporters.exporter import ResourcesDict
from nbconvert.preprocessors import ClearMetadataPreprocessor
from nbgrader.api import MissingEntry
from nbgrader.preprocessors import ClearOutput, DeduplicateIds, Execute, IgnorePattern, LimitOutput
from nbgrader.utils import setenv

from grader import nbgrader_adapter, variant_files, variants
from grader.course import DEFAULT_COURSE, Course, ensure_alembic_on_path, nbgrader_logger, open_course
from grader.engine import DEFAULT_EXECUTOR, grading_executor
from grader.engine.base import Executor
from grader.engine.jobs import GRADING_ENV, Job, JobResult, Limits
from grader.errors import GraderError, UsageError
from grader.grading import ASSIGNMENT_VARIABLE, COURSE_VARIABLE, assignment_dir
from grader.nbgrader_adapter import CheckMetadata, LatePenalties, SaveScores, SharedKernelspec
from grader.outcomes import cell_name, mark_not_run, stop_message
from grader.records import (
    FAILED,
    GRADED,
    SKIPPED,
    SubmissionReport,
    fingerprint_submission,
    load_record,
    record_path,
    save_record,
)
from grader.restore import RestoreCells
from grader.steps import RunGradebook
from grader.verdicts import apply_verdicts

EXECUTE = "execute"
"""Marks where the execution step sits in a list of steps; an `Executor` does it for the whole batch."""

DEFAULT_STEPS: tuple[Any, ...] = (
    ClearOutput,
    DeduplicateIds,
    SharedKernelspec,
    RestoreCells,
    CheckMetadata,
    EXECUTE,
    IgnorePattern,
    ClearMetadataPreprocessor,
    LimitOutput,
    SaveScores,
    LatePenalties,
    CheckMetadata,
)

MAX_NOTEBOOK_BYTES = 100_000_000
"""A submitted notebook larger than this is not read (all its cells score 0): a 1 GB file must not be parsed."""


@dataclass
class AutogradeResult:
    """The outcome of one `run`: a report per submission, in student order."""

    assignment: str
    reports: list[SubmissionReport]

    @property
    def ok(self) -> bool:
        """True when no submission failed to grade."""
        return all(r.status != FAILED for r in self.reports)

    def count(self, status: str) -> int:
        return sum(r.status == status for r in self.reports)


class Progress(Protocol):
    """Told about the batch as it goes (the CLI draws a progress bar or prints lines)."""

    def start(self, total: int) -> None: ...

    def update(self, report: SubmissionReport) -> None: ...

    def close(self) -> None: ...


def run(
    *,
    course: Path | str = DEFAULT_COURSE,
    assignment: str,
    students: Sequence[str] = (),
    jobs: int | None = None,
    force: bool = False,
    executor: Executor | str = DEFAULT_EXECUTOR,
    progress: Progress | None = None,
    steps: Sequence[Any] = DEFAULT_STEPS,
) -> AutogradeResult:
    """Grade the submissions of `assignment` (all, or only `students`) into the course's gradebook.

    jobs:     notebooks executed at once when `executor` is a name (default: the number of cores)
    force:    regrade submissions already graded and unchanged
    executor: a name of `grader.engine.EXECUTORS` (``fork``, ``kernel``), made for this run and closed after it,
              or an `Executor` the caller made (and closes), e.g. to share one warm server between assignments
    steps:    the pipeline; must contain `EXECUTE` once
    Raises UsageError for an unknown assignment, student or executor; never for a broken submission.
    """
    ctx = open_course(course)
    ctx.require_released(assignment)
    available = ctx.submitted_students(assignment)
    chosen = list(dict.fromkeys(students)) or available
    unknown = [s for s in chosen if s not in available]
    if unknown:
        raise UsageError(
            f"no submission of '{assignment}' for: {', '.join(unknown)} "
            f"(looked in {ctx.submitted_dir('*', assignment)})"
        )
    require_checks(ctx, assignment)
    grading = _Grading(ctx, assignment, steps)

    reports: dict[str, SubmissionReport] = {}
    todo: dict[str, str] = {}  # student -> fingerprint of the submission
    for student in chosen:
        previous = load_record(ctx, assignment, student)
        fingerprint = fingerprint_submission(ctx.submitted_dir(student, assignment))
        done = previous is not None and previous.fingerprint == fingerprint and previous.status != FAILED
        if done and not force and ctx.autograded_dir(student, assignment).is_dir():
            reports[student] = SubmissionReport(
                student, SKIPPED, previous.score, previous.max_score, previous.problems, fingerprint
            )
        else:
            todo[student] = fingerprint

    with contextlib.ExitStack() as stack:
        runner = (stack.enter_context(grading_executor(executor, jobs, course=ctx.root)) if isinstance(executor, str)
                  else executor)
        stack.enter_context(setenv(**GRADING_ENV))
        if progress:
            progress.start(len(chosen))
            for report in reports.values():
                progress.update(report)
        try:
            for report in grading.grade(todo, runner):
                reports[report.student] = report
                if progress:
                    progress.update(report)
        finally:
            if progress:
                progress.close()
    return AutogradeResult(assignment, [reports[s] for s in chosen if s in reports])


def require_checks(ctx: Course, assignment: str) -> None:
    """Import the hidden checks and the answer key of ``assignment`` once here, before any notebook needs them:
    GraderError naming the file when they are broken (else every hidden test of the class would fail with it)."""
    from grader.checks.loader import find

    try:
        find(ctx.root, assignment)
    except Exception as exc:  # the instructor's code may raise anything on import
        where = assignment_dir(ctx.root, assignment)
        raise GraderError(f"the hidden checks of '{assignment}' ({where}) cannot be loaded, so no notebook would be "
                          f"graded right: {type(exc).__name__}: {exc}") from exc


@dataclass
class _Pending:
    """A submission between preparation and its last executed notebook."""

    student: str
    fingerprint: str
    dest: Path
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)
    failed: bool = False
    waiting: set[str] = field(default_factory=set)
    variant: dict[str, Any] | None = None  # the owner's parameters; None: the assignment has no variants
    built_for: str | None = None  # whom the handed-in variant.json says it was built for


class _Grading:
    """The pipeline bound to one course and assignment."""

    def __init__(self, ctx: Course, assignment: str, steps: Sequence[Any]) -> None:
        if list(steps).count(EXECUTE) != 1:
            raise ValueError("the autograde steps must contain EXECUTE exactly once")
        cut = list(steps).index(EXECUTE)
        self.ctx, self.assignment = ctx, assignment
        self.run: RunGradebook | None = None
        """The run's gradebook session, while `grade` runs."""
        self.log = nbgrader_logger()
        self.before = self._make_steps(steps[:cut])
        self.after = self._make_steps(steps[cut + 1 :])
        self.timeout_ename = ctx.config.Execute.get("error_on_timeout", {}).get("ename", "CellTimeoutError")
        self.limits = Limits.from_config(  # c.Limits.<field> in nbgrader_config.py; Execute.timeout per cell
            ctx.config.get("Limits"), cell_timeout=ctx.config.Execute.get("timeout", Execute.timeout.default_value)
        )
        self.variables = {COURSE_VARIABLE: str(ctx.root), ASSIGNMENT_VARIABLE: assignment}
        """What tells the notebooks' hidden tests whose checks they call (`grader.hidden`)."""

    def _make_steps(self, steps: Iterable[Any]) -> list[Any]:
        """The steps as preprocessors configured as nbconvert's exporter would make them (the course's config, our
        logger); `_apply` runs them in place, without the exporter's two deep copies of every notebook."""
        parent = NotebookExporter(config=self.ctx.config, log=self.log)
        return [step(parent=parent) if isinstance(step, type) else step for step in steps]

    @staticmethod
    def _apply(steps: list[Any], nb: nbformat.NotebookNode, resources: ResourcesDict) -> nbformat.NotebookNode:
        for step in steps:
            nb, resources = step(nb, resources)
        return nb

    def _resources(self, student: str, notebook: str, dest: Path) -> ResourcesDict:
        """What nbgrader's converter hands its steps for one notebook, with the run's shared gradebook."""
        return nbgrader_adapter.notebook_resources(student=student, assignment=self.assignment, notebook=notebook,
                                                   dest=dest, db_url=self.ctx.db_url, run=self.run)

    # -- the batch -------------------------------------------------------------------------------------------

    def grade(self, students: dict[str, str], executor: Executor) -> Iterator[SubmissionReport]:
        """Grade ``students`` (id -> fingerprint of the submission) through `executor`, on one gradebook session:
        each submission is prepared when the executor asks for more work, and finished as its notebooks come back."""
        ensure_alembic_on_path()
        with RunGradebook(self.ctx.db_url, self.assignment, self.ctx.course_id) as run:
            self.run = run
            try:
                yield from self._grade(students, executor)
            finally:
                self.run = None

    def _grade(self, students: dict[str, str], executor: Executor) -> Iterator[SubmissionReport]:
        pending: dict[str, _Pending] = {}
        unrunnable: list[SubmissionReport] = []  # prepared, with no notebook to run

        def jobs() -> Iterator[Job]:
            for student, fingerprint in students.items():
                state, student_jobs = self._prepare_safely(student, fingerprint)
                if student_jobs:
                    pending[student] = state
                    yield from student_jobs
                else:
                    unrunnable.append(self._close(state))

        for result in executor.map(jobs()):
            yield from _drain(unrunnable)
            student, _, notebook = result.id.partition("/")
            state = pending[student]
            self._finish_safely(state, notebook, result)
            state.waiting.discard(notebook)
            if not state.waiting:
                yield self._close(pending.pop(student))
        yield from _drain(unrunnable)
        for state in pending.values():  # an executor that lost jobs
            state.failed = True
            state.problems.append("some notebooks never came back from execution; they were not graded")
            yield self._close(state)

    def _prepare_safely(self, student: str, fingerprint: str) -> tuple[_Pending, list[Job]]:
        src = self.ctx.submitted_dir(student, self.assignment)
        state = _Pending(student, fingerprint, self.ctx.autograded_dir(student, self.assignment))
        start = time.perf_counter()
        try:
            jobs = self._prepare(state, src)
        except Exception as exc:
            self.run.rollback()
            state.failed = True
            state.problems.append(f"could not be prepared for grading: {_brief(exc)}")
            jobs = []
        state.seconds += time.perf_counter() - start
        return state, jobs

    def _finish_safely(self, state: _Pending, notebook: str, result: JobResult) -> None:
        start = time.perf_counter()
        try:
            self._finish(state, notebook, result)
        except Exception as exc:
            self.run.rollback()
            state.failed = True
            state.problems.append(f"{notebook}.ipynb: could not be scored ({_brief(exc)}); all its cells scored 0")
            self._zero(state.student, [notebook])
        state.seconds += result.wall_seconds + time.perf_counter() - start

    def _close(self, state: _Pending) -> SubmissionReport:
        score, max_score = self._totals(state.student)
        report = SubmissionReport(
            student=state.student,
            status=FAILED if state.failed else GRADED,
            score=score,
            max_score=max_score,
            problems=state.problems,
            fingerprint=state.fingerprint,
            seconds=round(state.seconds, 3),
        )
        save_record(self.ctx, self.assignment, report)
        return report

    # -- one submission --------------------------------------------------------------------------------------

    def _prepare(self, state: _Pending, src: Path) -> list[Job]:
        """nbgrader's Autograde.init_assignment, then the sanitize steps for each notebook."""
        ctx, assignment, student, dest = self.ctx, self.assignment, state.student, state.dest
        record_path(ctx, assignment, student).unlink(missing_ok=True)
        nbgrader_adapter.init_assignment(ctx, self.run.gb, assignment=assignment, student=student, src=src, dest=dest)
        self._give_variant(state)
        expected = list(self.run.source.notebooks)

        submitted = {p.stem: p for p in sorted(src.glob("*.ipynb"))}
        for name in sorted(set(submitted) - set(expected)):
            state.problems.append(
                f"{name}.ipynb is not a notebook of '{assignment}' (expected: "
                f"{', '.join(n + '.ipynb' for n in expected)}); ignored"
            )
        missing = [n for n in expected if n not in submitted]
        for name in missing:
            state.failed = True
            state.problems.append(f"{name}.ipynb was not submitted; all its cells scored 0")
        self._zero(student, missing)

        jobs = []
        for name in expected:
            if name in submitted:
                job = self._sanitize(state, name, submitted[name])
                if job is not None:
                    jobs.append(job)
                    state.waiting.add(name)
        return jobs

    def _sanitize(self, state: _Pending, notebook: str, path: Path) -> Job | None:
        try:
            if path.stat().st_size > MAX_NOTEBOOK_BYTES:
                raise ValueError(f"{path.stat().st_size:,} bytes, over the {MAX_NOTEBOOK_BYTES:,} a notebook may have")
            nb = nbformat.read(path, as_version=4)
        except Exception as exc:
            state.failed = True
            state.problems.append(
                f"{notebook}.ipynb is not a readable notebook ({_brief(exc)}); all its cells scored 0"
            )
            self._zero(state.student, [notebook])
            return None
        if state.variant is not None:
            claims = variant_files.other_owner(nb, state.student, state.built_for)
            state.problems.extend(f"{notebook}.ipynb: {p}" for p in claims)
        try:
            nb = self._apply(self.before, nb, self._resources(state.student, notebook, state.dest))
        except Exception as exc:
            self.run.rollback()
            state.failed = True
            state.problems.append(f"{notebook}.ipynb could not be sanitized ({_brief(exc)}); all its cells scored 0")
            self._zero(state.student, [notebook])
            return None
        for pp in self.before:
            state.problems.extend(f"{notebook}.ipynb: {c}" for c in getattr(pp, "changes", []))
        # Not written to the folder before it runs: as under nbgrader, the notebook's code does not find itself there.
        return Job(id=f"{state.student}/{notebook}", notebook=nb, cwd=str(state.dest), limits=self.limits,
                   variables=self.variables, judge=self.assignment, variant=state.variant)

    def _finish(self, state: _Pending, notebook: str, result: JobResult) -> None:
        """Record timeouts and dead kernels in the notebook, then score and save it (nbgrader's last steps)."""
        nb = nbformat.from_dict(result.notebook)
        if result.status != "ok":
            state.failed = True
            scored = "the cells that did not run" if result.stopped is None else "that cell and every later code cell"
            state.problems.append(f"{notebook}.ipynb: {stop_message(nb, result)}; {scored} scored 0")
            mark_not_run(nb, result)
        if result.verdicts is not None:  # the judge's record, not what the notebook's process showed, decides
            state.problems.extend(f"{notebook}.ipynb: {p}" for p in apply_verdicts(nb, result.verdicts))
        for index, cell in enumerate(nb.cells):
            if cell.cell_type == "code" and any(o.get("ename") == self.timeout_ename for o in cell.outputs):
                state.problems.append(
                    f"{notebook}.ipynb: cell {cell_name(nb, index)} ran past the {self.limits.cell_timeout:g} s "
                    "limit and was interrupted"
                )
        for index, note in result.notes:
            state.problems.append(f"{notebook}.ipynb: cell {cell_name(nb, index)} hit a limit: {note}")
        nb = self._apply(self.after, nb, self._resources(state.student, notebook, state.dest))
        self.run.commit()
        output = nbformat.writes(nb)
        target = state.dest / f"{notebook}.ipynb"
        target.unlink(missing_ok=True)
        target.write_text(output)
        target.chmod(0o444)

    def _give_variant(self, state: _Pending) -> None:
        """For an assignment with variants: the owner's numbers in the folder the notebook runs in
        (`grader.variant_files.give_owner`)."""
        if variants.has_variants(self.ctx.root, self.assignment):
            state.variant, state.built_for = variant_files.give_owner(self.ctx.root, self.assignment, state.student,
                                                                      state.dest)

    def _zero(self, student: str, notebooks: Iterable[str]) -> None:
        """Score 0 on every grade cell of these submitted notebooks (what nbgrader does for a missing notebook)."""
        notebooks = list(notebooks)
        if not notebooks:
            return
        for name in notebooks:
            nbgrader_adapter.zero_scores(self.run.gb, assignment=self.assignment, student=student, notebook=name)
        self.run.commit()

    def _totals(self, student: str) -> tuple[float, float]:
        gb = self.run.gb
        try:
            submission = gb.find_submission(self.assignment, student)
        except MissingEntry:
            return 0.0, float(gb.find_assignment(self.assignment).max_score)
        return float(submission.score), float(submission.max_score)


def _drain(reports: list[SubmissionReport]) -> Iterator[SubmissionReport]:
    """Yield and remove every report of the list."""
    while reports:
        yield reports.pop(0)


def _brief(exc: BaseException) -> str:
    """An exception as one short line."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    text = text if len(text) <= 160 else text[:157] + "..."
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
