"""What the gradebook steps of an autograde run share: one gradebook session, and the source cells read once.

nbgrader's OverwriteKernelspec, OverwriteCells, SaveAutoGrades and AssignLatePenalties each open the gradebook for
every notebook and query it cell by cell, and SaveAutoGrades commits after every cell: together more of a
submission's time than the engine needs to run a light notebook (docs/engine.md gives the figures). The versions
of those steps in `grader.nbgrader_adapter` (and `grader.restore.RestoreCells`) apply the same rules and write the
same rows, but take the `RunGradebook` found at ``resources["nbgrader"]["run"]``: one session for the whole run,
the assignment's source cells read once into plain data (`SourceIndex`, which answers the lookups `OverwriteCells`
makes); they never commit: the run commits once per notebook, after its last step.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from nbgrader.api import Gradebook, MissingEntry

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


def run_of(resources: dict[str, Any]) -> RunGradebook:
    """The `RunGradebook` a pipeline put in the resources; ValueError when there is none (the gradebook steps work
    only inside a run, e.g. `grader.autograde.run`)."""
    run = (resources.get("nbgrader") or {}).get(RUN_KEY)
    if not isinstance(run, RunGradebook):
        raise ValueError(f"a gradebook step needs the run's RunGradebook at resources['nbgrader'][{RUN_KEY!r}]; "
                         f"found {type(run).__name__}")
    return run
