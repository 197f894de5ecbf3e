"""grader/submissions.py: are solution, blank and mutant submissions made from the release the way a student would
make them (only solution cells change, metadata and tests untouched)?"""

from __future__ import annotations

import copy

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
from nbgrader.preprocessors import ClearSolutions

from grader.course import Course
from grader.mutants import Mutant, MutantSet
from grader.submissions import (
    SubmissionError,
    blank_submission,
    mutant_function,
    mutant_submission,
    replace_cell,
    solution_submission,
    strip_solution_markers,
    write_submission,
)


def _cell(make, source, grade_id, **nbgrader):
    cell = make(source)
    cell.metadata["nbgrader"] = {"grade_id": grade_id, "schema_version": 3, "task": False, **nbgrader}
    return cell


@pytest.fixture
def source() -> nbformat.NotebookNode:
    return new_notebook(
        cells=[
            new_markdown_cell("# Title"),
            _cell(
                new_code_cell,
                "def square(x):\n    ### BEGIN SOLUTION\n    return x * x\n    ### END SOLUTION",
                "square",
                grade=False,
                solution=True,
                locked=False,
            ),
            _cell(new_code_cell, "answer = 42", "answer", grade=False, solution=True, locked=False),
            _cell(
                new_code_cell, "assert square(3) == 9", "test_square", grade=True, solution=False, locked=True, points=1
            ),
            _cell(new_markdown_cell, "Because.", "why", grade=True, solution=True, locked=False, points=2),
        ],
        metadata={"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}},
    )


@pytest.fixture
def release(source) -> nbformat.NotebookNode:
    nb, _ = ClearSolutions().preprocess(copy.deepcopy(source), {})
    for cell in nb.cells:
        if "nbgrader" in cell.metadata:
            cell.metadata.nbgrader["checksum"] = f"sum-{cell.metadata.nbgrader['grade_id']}"
    return nb


def _by_id(nb):
    return {c.metadata.nbgrader.grade_id: c for c in nb.cells if "nbgrader" in c.metadata}


def test_strip_solution_markers_keeps_the_code_between_them():
    assert strip_solution_markers("a\n    ### BEGIN SOLUTION\n    b\n    ### END SOLUTION\nc") == "a\n    b\nc"


def test_the_solution_fills_every_solution_cell_and_touches_nothing_else(source, release):
    assert "NotImplementedError" in _by_id(release)["square"].source
    solved = _by_id(solution_submission(release, source))
    assert solved["square"].source == "def square(x):\n    return x * x"
    assert solved["answer"].source == "answer = 42"
    assert solved["why"].source == "Because."
    assert solved["test_square"].source == _by_id(release)["test_square"].source
    assert solved["square"].metadata.nbgrader.checksum == "sum-square"  # the release's metadata stays
    assert "NotImplementedError" in _by_id(release)["square"].source  # the release itself is not modified


def test_the_blank_is_the_release_as_a_copy(release):
    blank = blank_submission(release)
    assert blank == release and blank is not release
    blank.cells[1].source = "changed"
    assert release.cells[1].source != "changed"


def test_a_mutant_replaces_one_cell_of_the_solution(source, release):
    wrong = Mutant("square_plus", "a1", "square", "def square(x):\n    return x + x\n", ("test_square",), ("x",), "d")
    nb = _by_id(mutant_submission(release, source, wrong))
    assert nb["square"].source == wrong.code
    assert nb["answer"].source == "answer = 42"


def _edit(name: str, cell: str, replace: dict[str, str]) -> Mutant:
    mutants = MutantSet("a1")
    mutants.edit(name=name, cell=cell, replace=replace, targets=("test_square",), expect=("x",), description="d")
    return mutants.mutants[0]


def test_an_edit_mutant_is_the_source_notebooks_solution_edited(source, release):
    nb = _by_id(mutant_submission(release, source, _edit("square_plus", "square", {"x * x": "x + x"})))
    assert nb["square"].source == "def square(x):\n    return x + x"
    assert nb["answer"].source == "answer = 42"


def test_a_stale_edit_is_reported_with_the_notebook_the_mutant_and_the_text(source, release):
    """The solution changed under the edit: making the submission fails, and says what to fix."""
    stale = _edit("square_plus", "square", {"x ** 2": "x + x"})
    with pytest.raises(SubmissionError, match=r"^hw.ipynb: mutant 'square_plus' of a1 replaces 'x \*\* 2' in solution "
                                              r"cell 'square', but that text is not in it"):
        mutant_submission(release, source, stale, name="hw.ipynb")
    with pytest.raises(SubmissionError, match="no solution cell 'cube' for mutant 'cube_plus' to edit"):
        mutant_submission(release, source, _edit("cube_plus", "cube", {"x": "y"}))


def test_an_edit_mutants_function_runs_after_the_solutions_earlier_cells(source):
    """Without a notebook run: the edited cell runs where the notebook would run it, here after a setup cell."""
    setup = _cell(new_code_cell, "from json import dumps as show\nimport math", "setup", grade=False, solution=False,
                  locked=True)
    source.cells.insert(1, setup)
    twice = mutant_function(source, _edit("square_shown", "square", {"return x * x": "return show(x * x)"}))
    assert twice(3) == "9"
    aliased = mutant_function(source, _edit("square_floor", "square", {"x * x": "math.floor(x * x)"}),
                              modules={"math": "numpy"})
    assert aliased.__globals__["math"].__name__ == "numpy"  # the notebook's package, as another one
    with pytest.raises(SubmissionError, match="defines no function"):
        mutant_function(source, _edit("answer_43", "answer", {"42": "43"}))


def test_unknown_or_missing_cells_are_named(source, release):
    with pytest.raises(SubmissionError, match=r"no solution cell with grade_id 'cube'.*\['answer', 'square', 'why'\]"):
        replace_cell(release, "cube", "pass")
    with pytest.raises(SubmissionError, match="no solution cell with grade_id 'test_square'"):
        replace_cell(release, "test_square", "pass")  # a test cell is not the student's to replace
    trimmed = copy.deepcopy(source)
    trimmed.cells = [c for c in trimmed.cells if c.metadata.get("nbgrader", {}).get("grade_id") != "answer"]
    with pytest.raises(SubmissionError, match="solution cell 'answer' that the source notebook does not have"):
        solution_submission(release, trimmed)


def test_replace_cell_clears_outputs(release):
    release.cells[1].outputs = [nbformat.v4.new_output("stream", text="old")]
    release.cells[1].execution_count = 3
    cell = _by_id(replace_cell(release, "square", "def square(x):\n    return 0"))["square"]
    assert cell.outputs == [] and cell.execution_count is None


def test_write_submission_uses_nbgraders_layout(tmp_path, release):
    course = Course.at(tmp_path)
    path = write_submission(course, "a1", "alice", "hw", release)
    assert path == tmp_path / "submitted" / "alice" / "a1" / "hw.ipynb"
    assert nbformat.read(path, as_version=4) == release
