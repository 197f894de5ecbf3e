"""The one place that reaches into nbgrader (0.9.6): its steps and converter code as the grader reuses them.

Everything here copies a piece of nbgrader (its code, run on the run's shared gradebook session instead of a session
it opens itself), overrides one of its methods, or calls one of its private methods (``_add_score``,
``_add_comment``, ``_check_late_penalty``, ``_remove_hidden_test_region``); no other module of `grader` does, but
the engine's kernel executor, which extends nbgrader's ``Execute`` (its public hook; the engine may not import this
module, which imports the gradebook steps). The pin ``nbgrader>=0.9.6,<0.10`` keeps the version, and
tests/grader/test_nbgrader_adapter.py compares the source of each nbgrader function in `MIRRORED` with the hash
recorded here, naming what to re-check when one changed.

The steps of `grader.autograde` that use the gradebook: nbgrader's classes on the run's `grader.steps.RunGradebook`
(one session, the source cells read once, a commit per notebook by the run), same rules and same rows:

- `SharedKernelspec`, `SaveScores`, `LatePenalties`: OverwriteKernelspec, SaveAutoGrades, AssignLatePenalties;
- `CheckMetadata`: CheckCellMetadata with the metadata schema compiled once per process;
- `OverwriteCellsFromSource`: OverwriteCells, with hooks for what `grader.restore.RestoreCells` adds and reports.

The converter's part (nbgrader's ``Autograde``): `init_assignment`, `zero_scores`, `notebook_resources`. And
`remove_hidden_tests`: ClearHiddenTests' cut of a hidden-test region, for restore and feedback.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import fastjsonschema
import jsonschema
from nbconvert.exporters.exporter import ResourcesDict
from nbformat.notebooknode import NotebookNode
from nbgrader import utils
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.nbgraderformat import MetadataValidator, ValidationError
from nbgrader.nbgraderformat.common import BaseMetadataValidator
from nbgrader.preprocessors import (
    AssignLatePenalties,
    CheckCellMetadata,
    ClearHiddenTests,
    OverwriteCells,
    OverwriteKernelspec,
    SaveAutoGrades,
)
from nbgrader.preprocessors.base import NbGraderPreprocessor
from nbgrader.utils import find_all_files, rmtree

from grader import cells
from grader.course import Course, quiet_sqlalchemy
from grader.steps import RUN_KEY, RunGradebook, SourceNotebook, run_of

NBGRADER_VERSION = "0.9.6"
"""The nbgrader whose code this module mirrors."""


@dataclass(frozen=True)
class Mirrored:
    """An nbgrader function this module copies, overrides or relies on, as it is in `NBGRADER_VERSION`."""

    path: str
    """Where it is imported from, e.g. ``nbgrader.preprocessors.SaveAutoGrades._add_score``."""
    sha256: str
    """Of its source (``inspect.getsource``, UTF-8) in `NBGRADER_VERSION`."""
    recheck: str
    """What here follows it, to compare with its new source when the hash changed."""


_PP, _CONV, _API = "nbgrader.preprocessors", "nbgrader.converters", "nbgrader.api.Gradebook"
MIRRORED = (
    Mirrored(f"{_PP}.OverwriteKernelspec.preprocess",
             "28cc17a228e741a2f944ed6112bb550178e66acccac4fbb1c62b0f43b1038115",
             "SharedKernelspec.preprocess copies it"),
    Mirrored(f"{_PP}.SaveAutoGrades.preprocess",
             "edef3c387d5c104ad026362a7f707227d23864bc93c17aeaf345e21628219dd5",
             "SaveScores.preprocess copies it"),
    Mirrored(f"{_PP}.SaveAutoGrades.preprocess_cell",
             "95ddcd4eb3d5ce7f4cee108a6c9f1d36fbe5f93e22821255bb632cc00d6480a1",
             "SaveScores relies on it calling _add_score for grade cells, _add_comment for solution and task cells"),
    Mirrored(f"{_PP}.SaveAutoGrades._add_score",
             "ee891a8fe3657ce730a6d175977bd253a5acb3650ffa2728ed391ba1b6bd61e1",
             "SaveScores._add_score copies its rule"),
    Mirrored(f"{_PP}.SaveAutoGrades._add_comment",
             "31f0186fac9c23ecc42306c7ddc20f8a3a7cb3581d42b52ea0519b5956c9c207",
             "SaveScores._add_comment copies its rule"),
    Mirrored(f"{_PP}.AssignLatePenalties.preprocess",
             "e4fa96a4c466680a1c829e9451345a215c2612032be57951958c4f054a41853c",
             "LatePenalties.preprocess copies it"),
    Mirrored(f"{_PP}.AssignLatePenalties._check_late_penalty",
             "c004151bf101382cafb8577d5eaa31743934daa3bcec64bdfb35367a56ccad37",
             "LatePenalties calls it"),
    Mirrored(f"{_PP}.CheckCellMetadata.preprocess",
             "f8dfe8c496d03e526c73f55837efef711749488700fe21e046e3e9d5be65550c",
             "CheckMetadata.preprocess copies it"),
    Mirrored("nbgrader.nbgraderformat.common.BaseMetadataValidator.__init__",
             "f172a64c77fe67b116cbd71c7bbe0f60b5ad7550488bb75bc87775f26d6de954",
             "_CompiledSchema compiles the schema it loads"),
    Mirrored("nbgrader.nbgraderformat.common.BaseMetadataValidator.validate_cell",
             "e5f97f45a9aba510674c72eb1d7246f297175e2f1bd1193a03494f6071af3265",
             "_CompiledSchema.validate_cell replaces it (schema version errors, then the schema)"),
    Mirrored("nbgrader.nbgraderformat.MetadataValidator.validate_cell",
             "53eb5b8ac9370fed677c93bbb2539a7f6779c17bef9fefe43c12085943d5c7ec",
             "FastMetadataValidator relies on it calling super().validate_cell before its own rules"),
    Mirrored(f"{_PP}.OverwriteCells.preprocess",
             "3a94b453d8e53bee91209586b5a08c27cd88216f8fa48f218a3b1b1cf035b037",
             "OverwriteCellsFromSource.preprocess copies it"),
    Mirrored(f"{_PP}.OverwriteCells.preprocess_cell",
             "663c856017e542deed1cb35e9b80c0fa6425141b04826d693685570b89ad8ec1",
             "OverwriteCellsFromSource wraps it; SourceIndex answers its find_source_cell and find_graded_cell"),
    Mirrored(f"{_PP}.OverwriteCells.update_cell_type",
             "acec012bf1971427da92149b033eba65df1d476d441320a20b833ab54d4171f1",
             "OverwriteCellsFromSource.update_cell_type extends it"),
    Mirrored(f"{_PP}.OverwriteCells.add_missing_grade_cells",
             "f4ca1468d48ab2df65ab9832b740c96e224511fbd78390056de0a940bdf5f9c1",
             "OverwriteCellsFromSource.add_missing_grade_cells replaces it"),
    Mirrored(f"{_PP}.OverwriteCells.add_missing_task_cells",
             "479e921aed437e9f99ce0ba52eda872f196932ec5f5b56a7addc15f991b05658",
             "OverwriteCellsFromSource.add_missing_task_cells replaces it"),
    Mirrored(f"{_PP}.OverwriteCells.missing_cell_transform",
             "46157994037b2d404594c67aa595a5c35c0637d4d623230fbc060b4dda25574d",
             "OverwriteCellsFromSource calls it with grader.steps.SourceCell (name, cell_type, locked, ...)"),
    Mirrored(f"{_PP}.ClearHiddenTests._remove_hidden_test_region",
             "68ef91dd1923292430b1ace26ead7e553e66e3526ed51ae9a2516e16ce7e7766",
             "remove_hidden_tests calls it"),
    Mirrored(f"{_CONV}.Autograde.init_assignment",
             "a7c144dc746ec205e6739e3071a69356ed3c2cb96fa566449e712cdb91417efa",
             "init_assignment and zero_scores copy it"),
    Mirrored(f"{_CONV}.base.BaseConverter.init_assignment",
             "bcfda8a38bd242811155417345b96d16e35245612781b3f6706187aa8943df59",
             "init_assignment copies it"),
    Mirrored(f"{_CONV}.base.BaseConverter.init_destination",
             "44418928db4f5b91bbccf83d88b0226c8d8221f39b866c2134b773b3dd341949",
             "init_assignment copies its --force removal"),
    Mirrored(f"{_CONV}.base.BaseConverter.init_single_notebook_resources",
             "fb0abcdb270601c678cb04b3d143fb2aa36b68ab222d3eb392c23f13f779b4da",
             "notebook_resources copies it"),
    Mirrored(f"{_PP}.Execute.on_cell_executed",
             "e2154da9c7efffa02bd75cda2d888ba4d565ebbb3d189ed0b7863db522993fab",
             "grader.engine.kernel._Execute extends it; grader.engine.record calls it after every cell"),
    Mirrored(f"{_API}.find_notebook",
             "30dabad607684e865a9a3e1a102719d17db08e3de58c651dcdb741ff77fd783b",
             "grader.steps.SourceIndex.find_notebook answers as it does"),
    Mirrored(f"{_API}.find_source_cell",
             "0d0ef04711fab86a910faaa2af660e32decc263e1f83a60cb0d3c657948e44ce",
             "grader.steps.SourceIndex.find_source_cell answers as it does"),
    Mirrored(f"{_API}.find_graded_cell",
             "68291d97eb3cd85bcbb881d3fb8c428f2bce6de1f08a2f30abfbf9a1e692bda3",
             "grader.steps.SourceIndex.find_graded_cell answers as it does (grade cells, then task cells)"),
    Mirrored(f"{_API}.find_grade",
             "b1a48e74233391cece11457e55f8803db5cd1e8e7421f587d80eb78ffcc45beb",
             "SourceNotebook.grade_cell_id (for SaveScores) finds the same row"),
    Mirrored(f"{_API}.find_comment",
             "bcb9b4f7da3c07527c51b04caad2ad28c6c14c332bd10ca30fff94cb981e590d",
             "SourceNotebook.comment_cell_id (for SaveScores) finds the same row"),
)


# -- the gradebook steps, on the run's session --------------------------------------------------------------------

def _bind(step: Any, resources: dict[str, Any]) -> RunGradebook:
    """Give a gradebook step the ids of the notebook and the run's session, as nbgrader's own ``preprocess`` sets
    them up before its cells."""
    run = run_of(resources)
    meta = resources["nbgrader"]
    step.notebook_id, step.assignment_id, step.student_id = meta["notebook"], meta["assignment"], meta["student"]
    step.gradebook = run.gb
    return run


class SharedKernelspec(OverwriteKernelspec):
    """OverwriteKernelspec reading the released kernelspec from the run's `SourceIndex`."""

    def preprocess(self, nb: NotebookNode, resources: dict[str, Any]) -> tuple[NotebookNode, dict[str, Any]]:
        meta = resources["nbgrader"]
        kernelspec = run_of(resources).source.find_notebook(meta["notebook"], meta["assignment"]).kernelspec
        if kernelspec:
            nb.metadata["kernelspec"] = json.loads(kernelspec)
        return nb, resources


class SaveScores(SaveAutoGrades):
    """SaveAutoGrades on the run's session: the notebook's Grade and Comment rows loaded in one query each and set
    by nbgrader's rules (`_add_score`, `_add_comment`); the run commits them."""

    def preprocess(self, nb: NotebookNode, resources: dict[str, Any]) -> tuple[NotebookNode, dict[str, Any]]:
        run = _bind(self, resources)
        self._source = run.source.find_notebook(self.notebook_id, self.assignment_id)
        submitted = run.gb.find_submission_notebook(self.notebook_id, self.assignment_id, self.student_id)
        self._grades = {g.cell_id: g for g in submitted.grades}
        self._comments = {c.cell_id: c for c in submitted.comments}
        return NbGraderPreprocessor.preprocess(self, nb, resources)  # the cell loop, without nbgrader's own session

    def _row(self, rows: dict[str, Any], cell_id: str | None, what: str, name: str) -> Any:
        if cell_id not in rows:
            raise MissingEntry(f"No such {what}: {self.assignment_id}/{self.notebook_id}/{name} for {self.student_id}")
        return rows[cell_id]

    def _add_score(self, cell: NotebookNode, resources: dict[str, Any]) -> None:
        name = cell.metadata["nbgrader"]["grade_id"]
        grade = self._row(self._grades, self._source.grade_cell_id(name), "grade", name)
        grade.auto_score, _ = utils.determine_grade(cell, self.log)
        # as nbgrader: a score a grader already gave, or no automatic score, leaves the cell for manual review
        grade.needs_manual_grade = grade.manual_score is not None or grade.auto_score is None

    def _add_comment(self, cell: NotebookNode, resources: dict[str, Any]) -> None:
        name = cell.metadata["nbgrader"]["grade_id"]
        comment = self._row(self._comments, self._source.comment_cell_id(name), "comment", name)
        unchanged = cell.metadata.nbgrader.get("checksum", None) == utils.compute_checksum(cell)
        comment.auto_comment = "No response." if unchanged and not utils.is_task(cell) else None


class LatePenalties(AssignLatePenalties):
    """AssignLatePenalties on the run's session (nbgrader's rule and plugin); the run commits it."""

    def preprocess(self, nb: NotebookNode, resources: dict[str, Any]) -> tuple[NotebookNode, dict[str, Any]]:
        run = _bind(self, resources)
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
    itself and builds a validator on every call, for every cell. fastjsonschema (nbformat's own validator)
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


class OverwriteCellsFromSource(OverwriteCells):
    """OverwriteCells on the run's `SourceIndex`, where a subclass sees each cell the source has before and after
    nbgrader's check (`before_overwrite`, `after_overwrite`) and each cell put back (`cell_added`).

    Two differences with nbgrader's: a missing grade cell goes right after the nearest preceding source cell still in
    the notebook (or first), where nbgrader looks up the one cell before it and raises KeyError when that one was
    deleted too; a markdown cell turned back into code loses its ``attachments``, which fail nbformat's validation.
    """

    def preprocess(self, nb: NotebookNode, resources: dict[str, Any]) -> tuple[NotebookNode, dict[str, Any]]:
        # OverwriteCells.preprocess, with the run's source cells in memory standing in for the gradebook
        meta = resources["nbgrader"]
        self.notebook_id, self.assignment_id, self.db_url = meta["notebook"], meta["assignment"], meta["db_url"]
        self.gradebook = run_of(resources).source
        self.start_notebook()
        nb, resources = NbGraderPreprocessor.preprocess(self, nb, resources)
        if self.add_missing_cells:
            nb, resources = self.add_missing_grade_cells(nb, resources)
            nb, resources = self.add_missing_task_cells(nb, resources)
        return nb, resources

    def source_notebook(self) -> SourceNotebook:
        """The released notebook being restored, from the run's `SourceIndex`."""
        return self.gradebook.find_notebook(self.notebook_id, self.assignment_id)

    def start_notebook(self) -> None:
        """Called before the first cell of each notebook."""

    def before_overwrite(self, cell: NotebookNode, grade_id: str) -> Any:
        """Called before nbgrader's check of a cell the source has; what it returns is given to `after_overwrite`."""

    def after_overwrite(self, cell: NotebookNode, grade_id: str, before: Any) -> None:
        """Called after nbgrader's check of a cell the source has."""

    def cell_added(self, name: str, *, task: bool) -> None:
        """Called for each missing grade cell (``task`` False) or task cell put back."""

    def preprocess_cell(self, cell: NotebookNode, resources: dict, cell_index: int) -> tuple[NotebookNode, dict]:
        grade_id = cells.grade_id(cell)
        if grade_id is None or grade_id not in self.source_notebook().by_name:
            return super().preprocess_cell(cell, resources, cell_index)  # nbgrader drops an unknown grade_id
        before = self.before_overwrite(cell, grade_id)
        cell, resources = super().preprocess_cell(cell, resources, cell_index)
        self.after_overwrite(cell, grade_id, before)
        return cell, resources

    def update_cell_type(self, cell: NotebookNode, cell_type: str) -> None:
        cell.pop("attachments", None)
        super().update_cell_type(cell, cell_type)

    def add_missing_grade_cells(self, nb: NotebookNode, resources: dict) -> tuple[NotebookNode, dict]:
        """Put each missing grade cell right after the nearest preceding source cell still in the notebook."""
        source_nb = self.source_notebook()
        order = [c.name for c in source_nb.source_cells]
        solution_ids = {c.name for c in source_nb.solution_cells}
        for grade_cell in source_nb.grade_cells:
            name, where = grade_cell.name, cells.positions(nb.cells)
            if name in where or name not in source_nb.by_name:
                continue
            before = [n for n in order[: order.index(name)] if n in where]
            new_cell = self.missing_cell_transform(
                source_nb.by_name[name], grade_cell.max_score, is_solution=name in solution_ids
            )
            nb.cells.insert(where[before[-1]] + 1 if before else 0, _with_id(nb, new_cell, name))
            self.cell_added(name, task=False)
        return nb, resources

    def add_missing_task_cells(self, nb: NotebookNode, resources: dict) -> tuple[NotebookNode, dict]:
        """Append missing task cells at the end, as nbgrader does (without its KeyError on emptied metadata)."""
        source_nb = self.source_notebook()
        present = {cells.grade_id(c) for c in nb.cells}
        for task_cell in source_nb.task_cells:
            name = task_cell.name
            if name not in present and name in source_nb.by_name:
                new_cell = self.missing_cell_transform(source_nb.by_name[name], task_cell.max_score, is_task=True)
                nb.cells.append(_with_id(nb, new_cell, name))
                self.cell_added(name, task=True)
        return nb, resources



def _with_id(nb: NotebookNode, cell: NotebookNode, name: str) -> NotebookNode:
    """``cell`` with the id nbformat 4.5 requires (nbgrader's missing cells have none), made from its grade_id."""
    if nb.get("nbformat_minor", 0) >= 5:
        cell["id"] = "restored-" + re.sub(r"[^A-Za-z0-9_-]", "-", name)[:55]
    return cell


def remove_hidden_tests(cell: NotebookNode, hider: ClearHiddenTests) -> bool:
    """Cut the hidden-test regions out of ``cell.source`` in place, as ``hider`` (ClearHiddenTests, with its
    delimiters) does at release: True when one was cut; RuntimeError on nested or unclosed delimiters."""
    return hider._remove_hidden_test_region(cell)


# -- the converter's part, for one submission ---------------------------------------------------------------------

def init_assignment(ctx: Course, gb: Gradebook, *, assignment: str, student: str, src: Path, dest: Path) -> None:
    """nbgrader's Autograde.init_assignment (with ``--force``) for the submission in ``src``, on the run's session:
    ``dest`` made afresh with the submitted files other than notebooks, then the source's (but those of
    ``Autograde.exclude_overwriting``); the student and the submission (dated by its timestamp.txt) created or
    updated; nothing committed. Notebooks not submitted are for `zero_scores`."""
    if dest.exists():
        rmtree(str(dest))
    dest.mkdir(parents=True)
    ignore = list(ctx.coursedir.ignore)
    _copy_files(src, dest, ignore)

    timestamp = ctx.coursedir.get_existing_timestamp(str(src))
    with quiet_sqlalchemy():
        gb.update_or_create_student(student)
        if timestamp:
            gb.update_or_create_submission(assignment, student, timestamp=timestamp)
        else:
            gb.update_or_create_submission(assignment, student)

    source = ctx.source_dir(assignment)
    excluded = {str(source / x) for x in ctx.config.Autograde.get("exclude_overwriting", {}).get(assignment, [])}
    _copy_files(source, dest, ignore, excluded)


def _copy_files(src: Path, dest: Path, ignore: list[str], excluded: Collection[str] = ()) -> None:
    """Copy the files of ``src`` but notebooks, ``ignore`` patterns and ``excluded`` paths into ``dest``."""
    for path in sorted(set(find_all_files(str(src), [*ignore, "*.ipynb"])) - set(excluded)):
        target = dest / Path(path).relative_to(src)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.unlink(missing_ok=True)
        shutil.copy(path, target, follow_symlinks=False)


def zero_scores(gb: Gradebook, *, assignment: str, student: str, notebook: str) -> None:
    """nbgrader's score for a notebook not submitted: 0 on each of its grade cells, none left for manual grading
    (nothing when the gradebook has no such submitted notebook); not committed."""
    try:
        submission = gb.find_submission_notebook(notebook, assignment, student)
    except MissingEntry:
        return
    for grade in submission.grades:
        grade.auto_score = 0
        grade.needs_manual_grade = False


def notebook_resources(
    *, student: str, assignment: str, notebook: str, dest: Path, db_url: str, run: RunGradebook | None
) -> ResourcesDict:
    """What nbgrader's converter hands its steps for one notebook (nbconvert's ResourcesDict: missing keys are
    None), with the run's shared gradebook at `grader.steps.RUN_KEY`."""
    resources, metadata = ResourcesDict(), ResourcesDict()
    metadata.update(name=notebook, path=str(dest))
    resources.update(
        unique_key=notebook,
        output_files_dir=f"{notebook}_files",
        output_extension=".ipynb",
        metadata=metadata,
        nbgrader={"student": student, "assignment": assignment, "notebook": notebook, "db_url": db_url, RUN_KEY: run},
    )
    return resources
