"""The autograde steps that touch the gradebook, sharing one session and one read of the source cells per run.

nbgrader's OverwriteKernelspec, OverwriteCells, SaveAutoGrades and AssignLatePenalties each open the gradebook for
every notebook and query it cell by cell, SaveAutoGrades commits after every cell, and CheckCellMetadata re-checks
its JSON schema for every cell: together about 200 ms a submission here, more than the engine needs to run a light
notebook. The steps below apply the same rules and write the same rows, but take a `RunGradebook` from
``resources["nbgrader"]["run"]``: one session for the whole run, the assignment's source cells read once into
plain data (`SourceIndex`, which answers the lookups `OverwriteCells` makes); they never commit: the run commits once
per notebook, after its last step. Without a ``run`` in the resources each step behaves exactly as nbgrader's (it
opens its own gradebook and commits).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import fastjsonschema
import jsonschema
from nbformat.notebooknode import NotebookNode
from nbgrader import utils
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.nbgraderformat import MetadataValidator, ValidationError
from nbgrader.nbgraderformat.common import BaseMetadataValidator
from nbgrader.preprocessors import AssignLatePenalties, CheckCellMetadata, OverwriteKernelspec, SaveAutoGrades
from nbgrader.preprocessors.base import NbGraderPreprocessor

RUN_KEY = "run"
"""Where a step finds the run's `RunGradebook`: ``resources["nbgrader"][RUN_KEY]``."""


# -- the source cells, read once ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class SourceCell:
    """A cell as released (nbgrader's ``SourceCell``): what a locked or missing cell is restored from."""

    name: str
    cell_type: str
    locked: bool
    checksum: str | None
    source: str


@dataclass(frozen=True)
class Cell:
    """A grade, solution or task cell of the source notebook: its name, id in the gradebook and points."""

    name: str
    id: str
    max_score: float = 0.0
    cell_type: str = ""


@dataclass(frozen=True)
class SourceNotebook:
    """What the gradebook knows of one released notebook, as plain data (nbgrader's ``Notebook`` attributes)."""

    name: str
    kernelspec: str | None
    source_cells: list[SourceCell]
    grade_cells: list[Cell]
    solution_cells: list[Cell]
    task_cells: list[Cell]
    by_name: dict[str, SourceCell] = field(default_factory=dict, repr=False)

    @classmethod
    def read(cls, notebook: Any) -> SourceNotebook:
        """From nbgrader's ORM ``Notebook``."""
        sources = [SourceCell(c.name, c.cell_type, bool(c.locked), c.checksum, c.source) for c in notebook.source_cells]
        return cls(
            name=notebook.name,
            kernelspec=notebook.kernelspec,
            source_cells=sources,
            grade_cells=[Cell(c.name, c.id, float(c.max_score), c.cell_type) for c in notebook.grade_cells],
            solution_cells=[Cell(c.name, c.id) for c in notebook.solution_cells],
            task_cells=[Cell(c.name, c.id, float(c.max_score), c.cell_type) for c in notebook.task_cells],
            by_name={c.name: c for c in sources},
        )

    def grade_cell_id(self, name: str) -> str | None:
        """The cell a Grade row of ``name`` belongs to: its grade cell, else its task cell (``find_grade``'s order)."""
        return next((c.id for c in [*self.grade_cells, *self.task_cells] if c.name == name), None)

    def comment_cell_id(self, name: str) -> str | None:
        """The cell a Comment row of ``name`` belongs to: its solution cell, else its task cell (``find_comment``)."""
        return next((c.id for c in [*self.solution_cells, *self.task_cells] if c.name == name), None)


class SourceIndex:
    """The source notebooks of one assignment, read from the gradebook once; answers the gradebook lookups that
    nbgrader's OverwriteCells makes (``find_notebook``, ``find_source_cell``, ``find_graded_cell``) from memory,
    raising `MissingEntry` as the gradebook does."""

    def __init__(self, gb: Gradebook, assignment: str) -> None:
        self.assignment = assignment
        self.notebooks = {nb.name: SourceNotebook.read(nb) for nb in gb.find_assignment(assignment).notebooks}

    def find_notebook(self, notebook: str, assignment: str) -> SourceNotebook:
        if assignment != self.assignment or notebook not in self.notebooks:
            raise MissingEntry(f"No such notebook: {assignment}/{notebook}")
        return self.notebooks[notebook]

    def find_source_cell(self, name: str, notebook: str, assignment: str) -> SourceCell:
        cell = self.find_notebook(notebook, assignment).by_name.get(name)
        if cell is None:
            raise MissingEntry(f"No such source cell: {assignment}/{notebook}/{name}")
        return cell

    def find_graded_cell(self, name: str, notebook: str, assignment: str) -> Cell:
        source = self.find_notebook(notebook, assignment)
        found = next((c for c in [*source.grade_cells, *source.task_cells] if c.name == name), None)
        if found is None:
            raise MissingEntry(f"No such graded cell: {assignment}/{notebook}/{name}")
        return found


class RunGradebook:
    """One gradebook session for a whole autograde run, and the assignment's `SourceIndex`.

    Steps write through `gb` without committing; the run calls `commit` once per notebook (and `rollback` when a
    step failed half-way, so that nothing of it is saved). `close` ends the session."""

    def __init__(self, db_url: str, assignment: str, course_id: str = "default_course") -> None:
        self.gb = Gradebook(db_url, course_id)
        try:
            self.source = SourceIndex(self.gb, assignment)
        except BaseException:
            self.gb.close()
            raise

    def __deepcopy__(self, memo: dict[int, Any]) -> RunGradebook:
        return self  # a handle: nbconvert deep-copies the resources it hands to steps, and they must share it

    def commit(self) -> None:
        self.gb.db.commit()

    def rollback(self) -> None:
        self.gb.db.rollback()

    def close(self) -> None:
        self.gb.close()

    def __enter__(self) -> RunGradebook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def run_of(resources: dict[str, Any]) -> RunGradebook | None:
    """The `RunGradebook` a pipeline put in the resources, if any."""
    return (resources.get("nbgrader") or {}).get(RUN_KEY)


# -- the steps ------------------------------------------------------------------------------------------------

def _bind(step: Any, resources: dict[str, Any]) -> RunGradebook | None:
    """Give a gradebook step the ids of the notebook and the run's session, as nbgrader's own ``preprocess`` sets
    them up before its cells; None (nothing set) when the resources carry no run."""
    run = run_of(resources)
    if run is not None:
        meta = resources["nbgrader"]
        step.notebook_id, step.assignment_id, step.student_id = meta["notebook"], meta["assignment"], meta["student"]
        step.gradebook = run.gb
    return run


class SharedKernelspec(OverwriteKernelspec):
    """OverwriteKernelspec reading the released kernelspec from the run's `SourceIndex`."""

    def preprocess(self, nb: NotebookNode, resources: dict[str, Any]) -> tuple[NotebookNode, dict[str, Any]]:
        run = run_of(resources)
        if run is None:
            return super().preprocess(nb, resources)
        meta = resources["nbgrader"]
        kernelspec = run.source.find_notebook(meta["notebook"], meta["assignment"]).kernelspec
        if kernelspec:
            nb.metadata["kernelspec"] = json.loads(kernelspec)
        return nb, resources


class SaveScores(SaveAutoGrades):
    """SaveAutoGrades on the run's session: the notebook's Grade and Comment rows loaded in one query each and set
    by nbgrader's rules (`_add_score`, `_add_comment`); the run commits them."""

    _grades: dict[str, Any] | None = None
    _comments: dict[str, Any] | None = None

    def preprocess(self, nb: NotebookNode, resources: dict[str, Any]) -> tuple[NotebookNode, dict[str, Any]]:
        self._grades = self._comments = None
        run = _bind(self, resources)
        if run is None:
            return super().preprocess(nb, resources)
        self._source = run.source.find_notebook(self.notebook_id, self.assignment_id)
        submitted = run.gb.find_submission_notebook(self.notebook_id, self.assignment_id, self.student_id)
        self._grades = {g.cell_id: g for g in submitted.grades}
        self._comments = {c.cell_id: c for c in submitted.comments}
        return NbGraderPreprocessor.preprocess(self, nb, resources)

    def _row(self, rows: dict[str, Any], cell_id: str | None, what: str, name: str) -> Any:
        if cell_id not in rows:
            raise MissingEntry(f"No such {what}: {self.assignment_id}/{self.notebook_id}/{name} for {self.student_id}")
        return rows[cell_id]

    def _add_score(self, cell: NotebookNode, resources: dict[str, Any]) -> None:
        if self._grades is None:
            return super()._add_score(cell, resources)
        name = cell.metadata["nbgrader"]["grade_id"]
        grade = self._row(self._grades, self._source.grade_cell_id(name), "grade", name)
        grade.auto_score, _ = utils.determine_grade(cell, self.log)
        # as nbgrader: a score a grader already gave, or no automatic score, leaves the cell for manual review
        grade.needs_manual_grade = grade.manual_score is not None or grade.auto_score is None

    def _add_comment(self, cell: NotebookNode, resources: dict[str, Any]) -> None:
        if self._comments is None:
            return super()._add_comment(cell, resources)
        name = cell.metadata["nbgrader"]["grade_id"]
        comment = self._row(self._comments, self._source.comment_cell_id(name), "comment", name)
        unchanged = cell.metadata.nbgrader.get("checksum", None) == utils.compute_checksum(cell)
        comment.auto_comment = "No response." if unchanged and not utils.is_task(cell) else None


class LatePenalties(AssignLatePenalties):
    """AssignLatePenalties on the run's session (nbgrader's rule and plugin); the run commits it."""

    def preprocess(self, nb: NotebookNode, resources: dict[str, Any]) -> tuple[NotebookNode, dict[str, Any]]:
        run = _bind(self, resources)
        if run is None:
            return super().preprocess(nb, resources)
        self.init_plugin()
        submission = run.gb.find_submission(self.assignment_id, self.student_id)
        notebook = run.gb.find_submission_notebook(self.notebook_id, self.assignment_id, self.student_id)
        notebook.late_submission_penalty = None
        if submission.total_seconds_late > 0:
            self.log.warning("%s is %s seconds late", submission, submission.total_seconds_late)
            penalty = self.plugin_inst.late_submission_penalty(
                self.student_id, notebook.score, submission.total_seconds_late
            )
            if penalty is not None:
                notebook.late_submission_penalty = self._check_late_penalty(notebook, penalty)
        return nb, resources


class _CompiledSchema(BaseMetadataValidator):
    """nbgrader's per-cell schema check with the schema compiled once: ``jsonschema.validate`` checks the schema
    itself and builds a validator on every call (about 0.6 ms a cell). fastjsonschema (nbformat's own validator)
    passes sound metadata; metadata it rejects goes through jsonschema, so the error raised is nbgrader's own."""

    def __init__(self) -> None:
        super().__init__()
        kind = jsonschema.validators.validator_for(self.schema)
        kind.check_schema(self.schema)
        self._validator = kind(self.schema)
        self._fast = fastjsonschema.compile(self.schema)

    def validate_cell(self, cell: NotebookNode) -> None:
        if "nbgrader" not in cell.metadata:
            return
        meta = cell.metadata["nbgrader"]
        if meta.get("schema_version", 0) != self.schema_version:
            return super().validate_cell(cell)  # raises nbgrader's SchemaTooOld/TooNew error
        try:
            self._fast(meta)
            return
        except fastjsonschema.JsonSchemaException:
            pass
        error = jsonschema.exceptions.best_match(self._validator.iter_errors(meta))
        if error is not None:
            raise error


class FastMetadataValidator(MetadataValidator, _CompiledSchema):
    """nbgrader's current MetadataValidator (its grade_id, points and cell-type rules) over `_CompiledSchema`."""


class CheckMetadata(CheckCellMetadata):
    """CheckCellMetadata with one `FastMetadataValidator` per process instead of one per notebook."""

    _validator: FastMetadataValidator | None = None

    def preprocess(self, nb: NotebookNode, resources: dict[str, Any]) -> tuple[NotebookNode, dict[str, Any]]:
        if CheckMetadata._validator is None:
            CheckMetadata._validator = FastMetadataValidator()
        try:
            CheckMetadata._validator.validate_nb(nb)
        except ValidationError as exc:
            self.log.error("%s", exc)
            raise ValidationError("Notebook failed to validate; the nbgrader metadata may be corrupted.") from exc
        return nb, resources
