"""grader check: what a student (or a student repository's CI) runs on their notebook before submitting.

The notebook is executed from a clean state in its own folder (nbgrader's `Execute`, as autograde runs it), then
every public test cell is scored by nbgrader's own `determine_grade`. A test passes when it earns all its points.
A test cell whose source no longer matches the checksum it was released with counts as failed: its result cannot
be trusted (nbgrader's validate only warns). Written answers are listed but do not count. ``ok`` (exit code 0) only
when at least one test was found and every one passed; nbgrader's ``validate`` exits 0 either way (nbgrader #1908).
A failed test shows what the feedback shows (`grader.tracebacks`): its message and the frames of the student's own
code behind it, never a frame of the grader or of a library.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbgrader import utils
from nbgrader.preprocessors import ClearOutput
from traitlets.config import Config

from grader.course import load_config
from grader.engine.base import Executor
from grader.engine.jobs import Job, Limits
from grader.engine.kernel import KernelExecutor
from grader.errors import GraderError, UsageError
from grader.grades import failure_messages
from grader.outcomes import mark_not_run, stop_message
from grader.tracebacks import scrub, student_frames

PASSED, FAILED, MODIFIED, WRITTEN = "passed", "failed", "modified", "written"


@dataclass
class TestOutcome:
    """One graded cell of the checked notebook.

    name:       the cell's grade_id
    status:     "passed", "failed", "modified" (the test's source was edited: failed), or "written" (an answer
                a person grades; not counted)
    points:     points earned (None for written answers)
    max_points: points available
    message:    why it failed (``ename: evalue``), or a note for written answers
    frames:     the frames of the student's own code behind a failure, outside the test cell (`grader.tracebacks`)
    """

    name: str
    status: str
    points: float | None
    max_points: float
    message: str = ""
    frames: list[str] = field(default_factory=list)


@dataclass
class CheckResult:
    """The outcome of checking one notebook; ``seconds``: how long the check took (wall time)."""

    notebook: Path
    tests: list[TestOutcome] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def counted(self) -> list[TestOutcome]:
        return [t for t in self.tests if t.status != WRITTEN]

    @property
    def ok(self) -> bool:
        """True when the notebook has public tests and every one passed."""
        return bool(self.counted) and all(t.status == PASSED for t in self.counted)

    @property
    def points(self) -> float:
        return sum(t.points or 0.0 for t in self.counted)

    @property
    def max_points(self) -> float:
        return sum(t.max_points for t in self.counted)


def run(*, notebook: Path | str, timeout: float | None = None, executor: Executor | None = None) -> CheckResult:
    """Execute `notebook` in its folder and score its public tests.

    timeout: seconds per cell (default: ``Execute.timeout`` of an nbgrader_config.py beside the notebook or in a
             parent folder, else nbgrader's 30)
    Raises UsageError when the file is missing, GraderError when it is not a readable notebook.
    """
    started = time.perf_counter()
    path = Path(notebook).expanduser().resolve()
    if not path.is_file():
        raise UsageError(f"no such notebook: {path}")
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as exc:
        raise GraderError(f"{path.name} is not a readable notebook: {type(exc).__name__}: {exc}") from exc
    config = _config_near(path)
    if timeout is not None:
        config.Execute.timeout = int(timeout) if float(timeout).is_integer() else timeout
    nb, _ = ClearOutput(config=config).preprocess(nb, {})
    cell_timeout = config.Execute.get("timeout", 30)
    limits = Limits(cell_timeout=cell_timeout)
    job = Job(id=path.stem, notebook=nb, cwd=str(path.parent), limits=limits)
    runner = executor or KernelExecutor()
    outcome = next(iter(runner.map([job])))
    executed = nbformat.from_dict(outcome.notebook)
    result = CheckResult(path)
    folders = [str(path.parent)]
    if outcome.status != "ok":
        result.problems.append(scrub(f"{stop_message(executed, outcome)}; the cells after it did not run", folders))
        mark_not_run(executed, outcome)
    for cell in executed.cells:
        outcome_of_cell = score_cell(cell, folders)
        if outcome_of_cell is not None:
            result.tests.append(outcome_of_cell)
    if not result.counted:
        result.problems.append("no autograded test cell found: is this a notebook released with nbgrader?")
    result.seconds = time.perf_counter() - started
    return result


def score_cell(cell: nbformat.NotebookNode, folders: Sequence[str] = ()) -> TestOutcome | None:
    """Score one executed cell with nbgrader's determine_grade; None for cells that are not graded. ``folders``:
    the notebook's folder (its files are the student's code)."""
    if not utils.is_grade(cell):
        return None
    meta = cell.metadata["nbgrader"]
    name = meta.get("grade_id", "?")
    max_points = float(meta.get("points", 0))
    if utils.is_solution(cell) or cell.cell_type != "code":
        answered = meta.get("checksum") != utils.compute_checksum(cell)
        return TestOutcome(name, WRITTEN, None, max_points, "answered" if answered else "no answer yet")
    if "checksum" in meta and meta["checksum"] != utils.compute_checksum(cell):
        return TestOutcome(name, MODIFIED, 0.0, max_points, "this test cell was edited: restore it from the release")
    points, _ = utils.determine_grade(cell)
    points = float(points or 0.0)
    messages = failure_messages(cell, folders)
    if points >= max_points and not utils.has_failed(cell):
        return TestOutcome(name, PASSED, points, max_points)
    message = " | ".join(messages) or f"earned {points:g} of {max_points:g} points"
    frames = [frame for output in cell.get("outputs", []) if output.get("output_type") == "error"
              for frame in student_frames(output.get("traceback", []), folders, skip_cell=cell.get("execution_count"))]
    return TestOutcome(name, FAILED, points, max_points, message, frames)


def _config_near(path: Path) -> Config:
    """The nbgrader_config.py of the notebook's folder or the nearest parent folder that has one."""
    for folder in [path.parent, *path.parent.parents]:
        if (folder / "nbgrader_config.py").is_file():
            return load_config(folder)
    return Config()
