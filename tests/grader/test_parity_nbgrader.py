"""Does ``grader autograde`` (the fork engine) grade every assignment exactly as ``nbgrader autograde`` does?

For every assignment of the course (the folders of ``source/``) and the submissions real nbgrader grades in the
session's run of tests/real_nbgrader.py (the instructor's solution, the blank release and, for each test cell, the
first mutant of the course's mistake library that targets it: that module's `covering`; its `nbgrader_students`
says why they suffice), the same submissions are graded by real ``nbgrader autograde`` (one call per assignment,
which tests/assignments/test_nbgrader.py reads too) into one copy of the released course, and by ``grader autograde
--executor fork`` into another, which holds every mutant. Compared: the gradebook rows (points per grade cell,
manual-grading flags, automatic comments), the error name and message of every error output, the printed output of
every test cell, and the nbformat shape of error outputs. Tracebacks may differ in decoration only: the engine
formats them in IPython's ``Plain`` mode, a kernel in ``Context`` mode (see docs/engine.md).

Three things vary between two runs of nbgrader itself and are normalized: where a stream is cut into outputs
(ipykernel flushes stdout every 0.2 s, so consecutive stream outputs are joined), the kernel's process id in file
names (``/tmp/ipykernel_<pid>/``) and object addresses in reprs (``<... object at 0x7f...>``). Both graders run
with one BLAS thread, so that floating-point sums, and the numbers printed from them, are computed in the same
order. A submission nbgrader fails on (a kernel that did not start on a loaded machine) is graded by a second
call, as an instructor would do.
"""

from __future__ import annotations

import json
import re
import subprocess
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbgrader.api import Gradebook
from traitlets.config.loader import PyFileConfigLoader

from tests.assignments.specs import mutants_for
from tests.real_nbgrader import ASSIGNMENTS, BLANK, SOLUTION, NbgraderRun, covering

pytestmark = pytest.mark.slow

GLOBAL_RANDOM = re.compile(r"\bnp\.random\.(?!default_rng\b|Generator\b|SeedSequence\b|PCG64\b)\w+\s*\(")
"""A call that draws from NumPy's global random state, seeded afresh in every kernel: what such a notebook prints
changes from run to run under nbgrader too."""
VOLATILE = [(re.compile(r"ipykernel_\d+"), "ipykernel_PID"), (re.compile(r" at 0x[0-9a-f]+"), " at 0xADDR")]


@dataclass(frozen=True)
class Graded:
    """One grader's results for one assignment."""

    process: subprocess.CompletedProcess
    grades: dict[tuple[str, str, str], tuple[float | None, float, bool]]
    """(student, notebook, grade cell) -> (auto_score, max_score, needs_manual_grade)."""
    comments: dict[tuple[str, str, str], str | None]
    """(student, notebook, solution cell) -> auto_comment."""
    notebooks: dict[tuple[str, str], nbformat.NotebookNode]
    """(student, notebook) -> the autograded notebook."""


@dataclass(frozen=True)
class Pair:
    students: frozenset[str]
    nbgrader: Graded
    fork: Graded


def _problems(process: subprocess.CompletedProcess) -> str:
    """The error lines of a grader's log (nbgrader logs an error's traceback long before its summary), then its
    last lines."""
    lines = (process.stdout + process.stderr).splitlines()
    marked = [i for i, line in enumerate(lines) if "ERROR" in line or "Traceback" in line]
    shown = sorted({j for i in marked[:5] for j in range(i, min(i + 25, len(lines)))})
    return "\n".join([*(lines[j] for j in shown), "...", *lines[-20:]])


def _students(assignment: str) -> frozenset[str]:
    """The submissions compared: solution, blank and the mutants nbgrader graded (named after them)."""
    return frozenset({SOLUTION, BLANK, *(m.name for m in covering(mutants_for(assignment)))})


def _read(root: Path, assignment: str, process: subprocess.CompletedProcess, students: frozenset[str]) -> Graded:
    """What a grader wrote for ``students`` (the others of its course are left out)."""
    config = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
    grades, comments = {}, {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SQLAlchemy's autoflush warning under nbgrader 0.9
        with Gradebook(f"sqlite:///{root / 'gradebook.db'}", config.CourseDirectory.get("course_id") or
                       "default_course") as gb:
            for submission in gb.assignment_submissions(assignment):
                if submission.student.id not in students:
                    continue
                for nb in submission.notebooks:
                    for g in nb.grades:
                        grades[(submission.student.id, nb.name, g.name)] = (g.auto_score, g.max_score,
                                                                            g.needs_manual_grade)
                    for c in nb.comments:
                        comments[(submission.student.id, nb.name, c.name)] = c.auto_comment
    notebooks = {(path.parts[-3], path.stem): nbformat.read(path, as_version=4)
                 for path in sorted((root / "autograded").glob(f"*/{assignment}/*.ipynb"))
                 if path.parts[-3] in students}
    return Graded(process, grades, comments, notebooks)


@pytest.fixture(scope="module")
def graded(real_nbgrader: dict[str, NbgraderRun]) -> dict[str, Pair]:
    """Every assignment's submissions graded by both graders, from the session's run (tests/real_nbgrader.py: the
    fork engine graded a copy of the released course with every submission in it, nbgrader the ones compared)."""
    pairs = {}
    for a in ASSIGNMENTS:
        nbgrader, students = real_nbgrader[a], _students(a)
        assert students <= nbgrader.nbgrader_students, sorted(students - nbgrader.nbgrader_students)
        pairs[a] = Pair(students, _read(nbgrader.root, a, nbgrader.graded, students),
                        _read(nbgrader.fork_root, a, nbgrader.fork, students))
    return pairs


# -- what is compared --------------------------------------------------------------------------------------------

def _normalize(text: str) -> str:
    for pattern, replacement in VOLATILE:
        text = pattern.sub(replacement, text)
    return text


def shown(outputs: list[Any]) -> list[dict[str, Any]]:
    """A cell's outputs as a reader sees them: each run of consecutive stream outputs joined per stream (where
    ipykernel cuts a stream depends on timing), errors as name and message, everything else as it is; process ids
    and object addresses in text normalized."""
    out: list[dict[str, Any]] = []
    streams: dict[str, Any] | None = None
    for output in outputs:
        kind = output["output_type"]
        if kind == "stream":
            if streams is None:
                streams = {"output_type": "stream"}
                out.append(streams)
            streams[output["name"]] = streams.get(output["name"], "") + _normalize(output["text"])
            continue
        streams = None
        if kind == "error":
            out.append({"output_type": kind, "ename": output["ename"], "evalue": _normalize(output["evalue"])})
        else:
            data = {k: _normalize(v) if isinstance(v, str) else v for k, v in output.get("data", {}).items()}
            out.append({"output_type": kind, "data": data, "metadata": dict(output.get("metadata", {})),
                        "execution_count": output.get("execution_count")})
    return out


def is_test_cell(cell: Any) -> bool:
    meta = cell.metadata.get("nbgrader", {})
    return cell.cell_type == "code" and bool(meta.get("grade")) and not meta.get("solution")


def code_cells(graded: Graded) -> dict[tuple[str, str, int], Any]:
    """(student, notebook, cell index) -> code cell of the autograded notebooks."""
    return {(student, name, i): cell for (student, name), nb in graded.notebooks.items()
            for i, cell in enumerate(nb.cells) if cell.cell_type == "code"}


def differences(expected: dict[Any, Any], actual: dict[Any, Any], limit: int = 8) -> list[str]:
    """The keys whose values differ (nbgrader's first, then ours), for a readable failure."""
    keys = sorted((k for k in set(expected) | set(actual) if expected.get(k, "MISSING") != actual.get(k, "MISSING")),
                  key=str)
    return [f"{k}:\n  nbgrader: {json.dumps(expected.get(k, 'MISSING'), default=str)[:700]}\n"
            f"  fork:     {json.dumps(actual.get(k, 'MISSING'), default=str)[:700]}" for k in keys[:limit]] + (
        [f"... and {len(keys) - limit} more"] if len(keys) > limit else [])


# -- the tests ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_both_graders_grade_every_submission_without_failing(graded, assignment):
    pair = graded[assignment]
    for name, result in (("nbgrader", pair.nbgrader), ("fork", pair.fork)):
        assert result.process.returncode == 0, f"{name}:\n{_problems(result.process)}"
        assert {student for student, _, _ in result.grades} == pair.students, name
        assert {student for student, _ in result.notebooks} == pair.students, name


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_comparison_sees_passing_and_failing_cells_and_errors(graded, assignment):
    """Is there something to compare: full and zero scores, and error outputs (the blank release raises)?"""
    reference = graded[assignment].nbgrader
    auto = [(score, top) for score, top, manual in reference.grades.values() if not manual and top > 0]
    assert any(score == top for score, top in auto) and any(score == 0 for score, _ in auto)
    blank_errors = [o for (student, _, _), cell in code_cells(reference).items() if student == "blank"
                    for o in cell.outputs if o.output_type == "error"]
    assert blank_errors


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_grade_cell_gets_the_same_points(graded, assignment):
    pair = graded[assignment]
    assert pair.fork.grades == pair.nbgrader.grades, "\n".join(differences(pair.nbgrader.grades, pair.fork.grades))


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_gradebook_gets_the_same_automatic_comments(graded, assignment):
    pair = graded[assignment]
    assert pair.fork.comments == pair.nbgrader.comments, "\n".join(
        differences(pair.nbgrader.comments, pair.fork.comments))


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_error_has_the_same_name_and_message(graded, assignment):
    pair = graded[assignment]

    def errors(result: Graded) -> dict[Any, list[tuple[str, str]]]:
        return {key: [(o.ename, _normalize(o.evalue)) for o in cell.outputs if o.output_type == "error"]
                for key, cell in code_cells(result).items()}

    expected, actual = errors(pair.nbgrader), errors(pair.fork)
    assert actual == expected, "\n".join(differences(expected, actual))


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_test_cell_prints_the_same_output(graded, assignment):
    """Streams (stdout and stderr, which alone costs a test cell its points), results, displays and errors."""
    pair = graded[assignment]

    def tests(result: Graded) -> dict[Any, list[dict[str, Any]]]:
        return {key: shown(cell.outputs) for key, cell in code_cells(result).items() if is_test_cell(cell)}

    expected, actual = tests(pair.nbgrader), tests(pair.fork)
    assert expected and actual == expected, "\n".join(differences(expected, actual))


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_error_outputs_have_the_same_nbformat_shape(graded, assignment):
    """Same keys as nbgrader's error output, a traceback that is a list of strings, and valid nbformat."""
    pair = graded[assignment]
    ours, theirs = code_cells(pair.fork), code_cells(pair.nbgrader)
    for key, cell in theirs.items():
        expected = [o for o in cell.outputs if o.output_type == "error"]
        actual = [o for o in ours[key].outputs if o.output_type == "error"] if key in ours else []
        assert len(actual) == len(expected), f"{key}: {len(actual)} error outputs, nbgrader has {len(expected)}"
        for mine, reference in zip(actual, expected, strict=True):
            assert sorted(mine) == sorted(reference), key
            assert isinstance(mine.traceback, list) and all(isinstance(line, str) for line in mine.traceback), key
            assert mine.traceback, key
    for nb in pair.fork.notebooks.values():
        nbformat.validate(nb)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_code_cell_shows_the_same_output_and_count(graded, assignment):
    """Solution and experiment cells too (figures included, byte for byte), except in notebooks that draw from
    NumPy's global random state, whose numbers change on every run of nbgrader itself."""
    pair = graded[assignment]
    drawn = {key for key, nb in pair.nbgrader.notebooks.items()
             if any(c.cell_type == "code" and GLOBAL_RANDOM.search(c.source) for c in nb.cells)}

    def everything(result: Graded) -> dict[Any, Any]:
        return {key: (cell.execution_count, shown(cell.outputs)) for key, cell in code_cells(result).items()
                if key[:2] not in drawn}

    expected, actual = everything(pair.nbgrader), everything(pair.fork)
    assert len(drawn) < len(pair.nbgrader.notebooks), "every notebook draws from the global random state"
    assert actual == expected, "\n".join(differences(expected, actual))
