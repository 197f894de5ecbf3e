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

Every change is recorded in `changes` as a sentence for the per-student report. In an autograde run it reads the
source cells from the run's `grader.steps.SourceIndex` instead of querying the gradebook cell by cell.
"""

from __future__ import annotations

import re

from nbformat.notebooknode import NotebookNode
from nbgrader import utils
from nbgrader.preprocessors import ClearHiddenTests, OverwriteCells
from nbgrader.preprocessors.base import NbGraderPreprocessor
from traitlets import Bool

from grader.steps import run_of


class RestoreCells(OverwriteCells):
    """OverwriteCells that also restores nbgrader flags and missing test cells, and reports each change."""

    add_missing_cells = Bool(True, help="Add grade and task cells missing from a submission back.").tag(
        config=True
    )

    def preprocess(self, nb: NotebookNode, resources: dict) -> tuple[NotebookNode, dict]:
        self.changes: list[str] = []
        self._hider = ClearHiddenTests(parent=self)
        run = run_of(resources)
        if run is None:
            return super().preprocess(nb, resources)
        # OverwriteCells.preprocess, with the run's source cells in memory standing in for the gradebook
        meta = resources["nbgrader"]
        self.notebook_id, self.assignment_id, self.db_url = meta["notebook"], meta["assignment"], meta["db_url"]
        self.gradebook = run.source
        nb, resources = NbGraderPreprocessor.preprocess(self, nb, resources)
        if self.add_missing_cells:
            nb, resources = self.add_missing_grade_cells(nb, resources)
            nb, resources = self.add_missing_task_cells(nb, resources)
        return nb, resources

    def _flags(self, grade_id: str) -> dict[str, bool]:
        """The nbgrader flags the gradebook says cell `grade_id` has."""
        source_nb = self.gradebook.find_notebook(self.notebook_id, self.assignment_id)
        return {
            "grade": any(c.name == grade_id for c in source_nb.grade_cells),
            "solution": any(c.name == grade_id for c in source_nb.solution_cells),
            "task": any(c.name == grade_id for c in source_nb.task_cells),
        }

    def preprocess_cell(self, cell: NotebookNode, resources: dict, cell_index: int) -> tuple[NotebookNode, dict]:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id is None:
            return cell, resources
        known = {c.name for c in self.gradebook.find_notebook(self.notebook_id, self.assignment_id).source_cells}
        if grade_id not in known:
            return super().preprocess_cell(cell, resources, cell_index)

        meta = cell.metadata.nbgrader
        for flag, value in self._flags(grade_id).items():
            if bool(meta.get(flag, False)) != value:
                self.changes.append(f"cell '{grade_id}': metadata flag '{flag}' was edited; restored")
                meta[flag] = value
        if utils.is_grade(cell) and "points" not in meta:
            meta["points"] = self.gradebook.find_graded_cell(grade_id, self.notebook_id, self.assignment_id).max_score

        before_type, before_source, before_points = cell.cell_type, cell.source, meta.get("points")
        cell, resources = super().preprocess_cell(cell, resources, cell_index)

        if cell.cell_type != before_type:
            self.changes.append(f"cell '{grade_id}' was turned into {before_type}; restored as {cell.cell_type}")
        if utils.is_grade(cell) and before_points is not None and float(before_points) != float(meta["points"]):
            self.changes.append(f"cell '{grade_id}': points edited to {before_points}; restored to {meta['points']}")
        if cell.source != before_source and before_source != self._released_source(cell.source):
            self.changes.append(f"locked cell '{grade_id}' was edited; restored from the gradebook")
        return cell, resources

    def _released_source(self, source: str) -> str:
        """`source` with its hidden-test regions removed, as students received it."""
        probe = NotebookNode(cell_type="code", source=source, metadata={})
        self._hider._remove_hidden_test_region(probe)
        return probe.source

    def update_cell_type(self, cell: NotebookNode, cell_type: str) -> None:
        cell.pop("attachments", None)
        super().update_cell_type(cell, cell_type)

    def add_missing_grade_cells(self, nb: NotebookNode, resources: dict) -> tuple[NotebookNode, dict]:
        """Put each missing grade cell right after the nearest preceding gradebook cell still in the notebook."""
        source_nb = self.gradebook.find_notebook(self.notebook_id, self.assignment_id)
        order = [c.name for c in source_nb.source_cells]
        by_name = {c.name: c for c in source_nb.source_cells}
        solution_ids = {c.name for c in source_nb.solution_cells}

        def present() -> dict[str, int]:
            return {
                c.metadata["nbgrader"]["grade_id"]: i
                for i, c in enumerate(nb.cells)
                if "nbgrader" in c.metadata and "grade_id" in c.metadata["nbgrader"]
            }

        for grade_cell in source_nb.grade_cells:
            name = grade_cell.name
            where = present()
            if name in where or name not in by_name:
                continue
            before = [n for n in order[: order.index(name)] if n in where]
            position = where[before[-1]] + 1 if before else 0
            new_cell = self.missing_cell_transform(
                by_name[name], grade_cell.max_score, is_solution=name in solution_ids
            )
            if nb.get("nbformat_minor", 0) >= 5:
                new_cell["id"] = "restored-" + re.sub(r"[^A-Za-z0-9_-]", "-", name)[:55]
            nb.cells.insert(position, new_cell)
            self.changes.append(f"cell '{name}' was missing; added back from the gradebook")
        return nb, resources

    def add_missing_task_cells(self, nb: NotebookNode, resources: dict) -> tuple[NotebookNode, dict]:
        """Append missing task cells at the end, as nbgrader does (without its KeyError on emptied metadata)."""
        source_nb = self.gradebook.find_notebook(self.notebook_id, self.assignment_id)
        by_name = {c.name: c for c in source_nb.source_cells}
        present = {c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells}
        for task_cell in source_nb.task_cells:
            if task_cell.name not in present and task_cell.name in by_name:
                new_cell = self.missing_cell_transform(by_name[task_cell.name], task_cell.max_score, is_task=True)
                if nb.get("nbformat_minor", 0) >= 5:
                    new_cell["id"] = "restored-" + re.sub(r"[^A-Za-z0-9_-]", "-", task_cell.name)[:55]
                nb.cells.append(new_cell)
                self.changes.append(f"task cell '{task_cell.name}' was missing; added back at the end")
        return nb, resources
