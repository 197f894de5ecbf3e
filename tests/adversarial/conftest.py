"""A small course for hostile submissions, graded as one batch by the real pipeline (grader.autograde, fork engine).

Assignment ``ps1`` (built with nbgrader's generate_assignment by `tests.grader.conftest.generate`) has three solution
cells and three test cells whose hidden parts call ``grader.hidden`` (with the checks and the answer key of
``tests/adversarial/grading/ps1/``, the course's grading folder) and NumPy's testing functions. The checks and the
answer key compute the truth with the grading folder's ``solution.py`` (imported relatively), which also holds
`JUDGE_SECRET`: all of it lives in the course's judge (`grader.judge`), never in a notebook's process, and the secret
must never show up in what a student gets back:

- ``answer`` then ``test_answer`` (1 point): the answer ``q1_first_step_W1_moves`` (2);
- ``init`` then ``test_init`` (2 points): ``zeros_init``, an all-zeros init (``hidden-marker-7f3a`` is in its hidden
  region: it must never show up in what a student gets back);
- ``double`` then ``test_double`` (1 point): ``np.allclose`` in public, ``np.testing.assert_allclose`` hidden;
- ``explain``: a written answer (1 point, graded by hand).

Honest students (`HONEST`) score 4, 3 and 1. Every attacker starts from wrong answers to all three (a legitimate
score of 0) and adds one attack: whatever the attack, the attacker must still score 0, and every honest student
must score exactly what they score when graded alone. Limits are small (``c.Limits`` in the course config) so the
batch stays fast.
"""

from __future__ import annotations

import copy
import functools
import json
import shutil
import socket
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
from nbgrader.api import Gradebook

from grader.autograde import AutogradeResult
from grader.course import quiet_sqlalchemy
from grader.engine.sandbox import find_bwrap
from tests.grader.conftest import ASSIGNMENT, TIMESTAMP, generate

GRADING = Path(__file__).resolve().parent / "grading"
"""The course's grading folder: the checks and answer key its hidden tests call."""
HIDDEN_MARKER = "hidden-marker-7f3a"
JUDGE_SECRET = "judge-secret-5e1b"
"""``SECRET`` of the grading folder's solution.py: only the judge holds it."""
SECRETS = {"CI_JOB_TOKEN": "ci-secret-5d1e", "GITHUB_TOKEN": "ghp-secret-93ab", "AWS_SECRET_ACCESS_KEY": "aws-4c2f"}
"""Put in the grader's environment while grading: no notebook may see them."""

CONFIG = """\
c = get_config()
c.CourseDirectory.course_id = "adversarial"
c.Execute.timeout = 2
c.Limits.interrupt_grace = 1
c.Limits.notebook_timeout = 40
c.Limits.max_output_bytes = 1_000_000
c.Limits.memory_bytes = 1 << 30
c.Limits.cpu_seconds = 30
c.Limits.processes = 24
c.Limits.file_size_bytes = 8 << 20
c.Limits.disk_bytes = 32 << 20
"""

RIGHT = {
    "answer": "q1_first_step_W1_moves = 2",
    "init": "def initialize_parameters_zeros(layer_dims):\n"
            "    return {f'{p}{l}': np.zeros((layer_dims[l], layer_dims[l - 1] if p == 'W' else 1))\n"
            "            for l in range(1, len(layer_dims)) for p in 'Wb'}",
    "double": "def double(x):\n    return 2 * x",
}
WRONG = {
    "answer": "q1_first_step_W1_moves = 1",
    "init": RIGHT["init"].replace("np.zeros", "np.ones"),
    "double": "def double(x):\n    return x",
}
HONEST = {"good": {}, "partial": {"double": WRONG["double"]},
          "weak": {"answer": WRONG["answer"], "init": WRONG["init"]}}
"""Honest students: the parts they got wrong (4, 3 and 1 points of 4)."""
HONEST_POINTS = {"good": 4.0, "partial": 3.0, "weak": 1.0}
TESTS = ("test_answer", "test_init", "test_double")


def _tagged(cell, **nbgrader):
    cell.metadata["nbgrader"] = {"schema_version": 3, **nbgrader}
    return cell


def _solution(grade_id: str) -> nbformat.NotebookNode:
    body = RIGHT[grade_id]
    source = f"### BEGIN SOLUTION\n{body}\n### END SOLUTION"
    return _tagged(new_code_cell(source), grade=False, solution=True, locked=False, grade_id=grade_id)


def _test(grade_id: str, public: str, hidden: str, points: int) -> nbformat.NotebookNode:
    source = f"{public}\n### BEGIN HIDDEN TESTS\n{hidden}\n### END HIDDEN TESTS"
    return _tagged(new_code_cell(source), grade=True, solution=False, locked=True, grade_id=grade_id, points=points)


def source_notebook() -> nbformat.NotebookNode:
    cells = [
        new_markdown_cell("# Hostile submissions welcome"),
        _tagged(new_code_cell("import numpy as np"), grade=False, solution=False, locked=True, grade_id="setup"),
        _solution("answer"),
        _test("test_answer", 'assert q1_first_step_W1_moves is not None, "answer q1"',
              'from grader import hidden\nhidden.check("q1_first_step_W1_moves", q1_first_step_W1_moves)', 1),
        _solution("init"),
        _test("test_init",
              'params = initialize_parameters_zeros([3, 2, 1])\nassert set(params) == {"W1", "b1", "W2", "b2"}',
              f"# {HIDDEN_MARKER}\nfrom grader import hidden\n"
              'hidden.check("zeros_init", initialize_parameters_zeros)', 2),
        _solution("double"),
        _test("test_double", 'assert np.allclose(double(np.arange(3.0)), [0.0, 2.0, 4.0]), "double must double"',
              "np.testing.assert_allclose(double(np.array([1.5, -2.0])), [3.0, -4.0])", 1),
        _tagged(new_markdown_cell("Why?\n\n### BEGIN SOLUTION\nBecause.\n### END SOLUTION"), grade=True,
                solution=True, locked=False, grade_id="explain", points=1),
    ]
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


@pytest.fixture(scope="session")
def released_adversarial(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The released course (gradebook included), built once."""
    root = tmp_path_factory.mktemp("adversarial") / "course"
    (root / "source" / ASSIGNMENT).mkdir(parents=True)
    (root / "nbgrader_config.py").write_text(CONFIG)
    nbformat.write(source_notebook(), root / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    shutil.copytree(GRADING, root / "grading", ignore=shutil.ignore_patterns("__pycache__"))
    generate(root)
    return root


def released(course: Path) -> nbformat.NotebookNode:
    return nbformat.read(course / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)


def cell(nb: nbformat.NotebookNode, grade_id: str) -> nbformat.NotebookNode:
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def answers(course: Path, **parts: str) -> nbformat.NotebookNode:
    """The released notebook with ``parts`` (grade_id -> solution code) written in, the rest left wrong."""
    nb = copy.deepcopy(released(course))
    for grade_id in ("answer", "init", "double"):
        cell(nb, grade_id).source = parts.get(grade_id, WRONG[grade_id])
    cell(nb, "explain").source = "Why?\n\nBecause it is."
    return nb


def submit(course: Path, student: str, nb: nbformat.NotebookNode | None = None, raw: bytes | None = None,
           files: dict[str, str] | None = None, links: dict[str, str] | None = None) -> Path:
    """Write a submission: a notebook (or raw bytes as the notebook file), extra files, symlinks."""
    folder = course / "submitted" / student / ASSIGNMENT
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{ASSIGNMENT}.ipynb"
    if raw is not None:
        path.write_bytes(raw)
    elif nb is not None:
        nbformat.write(nb, path)
    for name, text in (files or {}).items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    for name, target in (links or {}).items():
        (folder / name).symlink_to(target)
    (folder / "timestamp.txt").write_text(TIMESTAMP + "\n")
    return path


def cell_scores(course: Path) -> dict[str, dict[str, float | None]]:
    """student -> grade cell -> auto_score, straight from the gradebook."""
    out: dict[str, dict[str, float | None]] = {}
    with quiet_sqlalchemy(), Gradebook(f"sqlite:///{course / 'gradebook.db'}", "adversarial") as gb:
        for sub in gb.assignment_submissions(ASSIGNMENT):
            for nb in sub.notebooks:
                for grade in nb.grades:
                    out.setdefault(sub.student.id, {})[grade.name] = grade.auto_score
    return out


@dataclass
class Listener:
    """A TCP port on the host's loopback; `connections` says whether anyone connected."""

    sock: socket.socket = field(default_factory=socket.socket)

    def __post_init__(self) -> None:
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.setblocking(False)

    @property
    def port(self) -> int:
        return self.sock.getsockname()[1]

    def connections(self) -> int:
        count = 0
        while True:
            try:
                conn, _ = self.sock.accept()
            except BlockingIOError:
                return count
            conn.close()
            count += 1


@pytest.fixture(scope="session")
def listener() -> Iterator[Listener]:
    listening = Listener()
    yield listening
    listening.sock.close()


@functools.cache
def bwrap_works() -> str:
    """"" when the bubblewrap sandbox can run here, else why not (found out once per session)."""
    if find_bwrap() is None:
        return "bubblewrap (bwrap) is not installed"
    from grader.engine import Job, LocalForkExecutor
    from grader.engine.process import EngineStartError

    try:
        with tempfile.TemporaryDirectory() as folder, LocalForkExecutor(jobs=1, sandbox="bwrap") as executor:
            result = executor.run(Job("probe", new_notebook(cells=[new_code_cell("1")]), folder))
    except EngineStartError as exc:
        return str(exc)
    return "" if result.status == "ok" else result.message


def fresh_copy(released_course: Path, where: Path) -> Path:
    root = where / "course"
    shutil.copytree(released_course, root)
    return root


def grade(course: Path, mode: str, jobs: int = 2) -> AutogradeResult:
    """`grader.autograde.run` on every submission of the course, with the fork engine in sandbox ``mode``."""
    from grader import autograde
    from grader.engine import LocalForkExecutor
    from grader.grading import engine_settings

    with LocalForkExecutor(jobs=jobs, sandbox=mode, course=engine_settings(course)) as executor:
        return autograde.run(course=course, assignment=ASSIGNMENT, executor=executor)


def graded_outputs(course: Path, student: str) -> str:
    """Everything the student's graded notebook's cells output (streams, results, errors), as one text."""
    path = course / "autograded" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    if not path.is_file():
        return ""
    nb = nbformat.read(path, as_version=4)
    return "\n".join(json.dumps(output) for cell in nb.cells for output in cell.get("outputs", []))
