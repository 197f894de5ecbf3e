"""RestoreCells: nbgrader's OverwriteCells, made to survive what students do to notebooks, and to say what it fixed.

nbgrader's OverwriteCells puts locked and test cells back as the gradebook has them (source, cell type, points).
Left alone it misses three things this step adds:

- a test cell whose ``grade`` flag was edited away in the metadata stops being a grade cell, so its score is never
  written and the formgrader shows "needs manual grading" forever (nbgrader #1682): the flags (grade, solution,
  task) are restored from the gradebook too;
- a deleted test cell is not put back unless ``add_missing_cells`` is set, and nbgrader's own re-insertion looks up
  the preceding source cell by id and raises KeyError when that cell was deleted as well: here a missing test cell
  goes right after the nearest preceding gradebook cell still present (or first), never failing;
- a markdown cell turned back into code keeps its ``attachments`` key, which fails nbformat's validation: dropped.

Every change is recorded in `changes` as a sentence for the per-student report. It reads the source cells from the
run's `grader.steps.SourceIndex` instead of querying the gradebook cell by cell; how it hooks into nbgrader's
OverwriteCells (and the placement of a missing cell) is `grader.nbgrader_adapter.OverwriteCellsFromSource`.
"""

from __future__ import annotations

from typing import Any

from nbformat.notebooknode import NotebookNode
from nbgrader import utils
from nbgrader.preprocessors import ClearHiddenTests
from traitlets import Bool

from grader.nbgrader_adapter import OverwriteCellsFromSource, remove_hidden_tests


class RestoreCells(OverwriteCellsFromSource):
    """OverwriteCells that also restores nbgrader flags and missing test cells, and reports each change."""

    add_missing_cells = Bool(True, help="Add grade and task cells missing from a submission back.").tag(
        config=True
    )

    def start_notebook(self) -> None:
        self.changes: list[str] = []
        self._hider = ClearHiddenTests(parent=self)

    def _flags(self, grade_id: str) -> dict[str, bool]:
        """The nbgrader flags the gradebook says cell `grade_id` has."""
        source_nb = self.source_notebook()
        return {
            "grade": any(c.name == grade_id for c in source_nb.grade_cells),
            "solution": any(c.name == grade_id for c in source_nb.solution_cells),
            "task": any(c.name == grade_id for c in source_nb.task_cells),
        }

    def before_overwrite(self, cell: NotebookNode, grade_id: str) -> tuple[str, str, Any]:
        """Restore the flags (and the points of a grade cell that lost them); the cell's type, source and points."""
        meta = cell.metadata.nbgrader
        for flag, value in self._flags(grade_id).items():
            if bool(meta.get(flag, False)) != value:
                self.changes.append(f"cell '{grade_id}': metadata flag '{flag}' was edited; restored")
                meta[flag] = value
        if utils.is_grade(cell) and "points" not in meta:
            meta["points"] = self.gradebook.find_graded_cell(grade_id, self.notebook_id, self.assignment_id).max_score
        return cell.cell_type, cell.source, meta.get("points")

    def after_overwrite(self, cell: NotebookNode, grade_id: str, before: tuple[str, str, Any]) -> None:
        """Report what nbgrader's check changed in the cell."""
        before_type, before_source, before_points = before
        meta = cell.metadata.nbgrader
        if cell.cell_type != before_type:
            self.changes.append(f"cell '{grade_id}' was turned into {before_type}; restored as {cell.cell_type}")
        if utils.is_grade(cell) and before_points is not None and float(before_points) != float(meta["points"]):
            self.changes.append(f"cell '{grade_id}': points edited to {before_points}; restored to {meta['points']}")
        if cell.source != before_source and before_source != self._released_source(cell.source):
            self.changes.append(f"locked cell '{grade_id}' was edited; restored from the gradebook")

    def cell_added(self, name: str, *, task: bool) -> None:
        if task:
            self.changes.append(f"task cell '{name}' was missing; added back at the end")
        else:
            self.changes.append(f"cell '{name}' was missing; added back from the gradebook")

    def _released_source(self, source: str) -> str:
        """`source` with its hidden-test regions removed, as students received it."""
        probe = NotebookNode(cell_type="code", source=source, metadata={})
        remove_hidden_tests(probe, self._hider)
        return probe.source
