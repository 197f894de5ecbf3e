"""init_symmetry through the real nbgrader (its command line, as an instructor runs it): does the source validate,
does the release hide solutions and hidden tests, does one autograde call give the solution full marks, the blank
release zero without crashing, and every mistake of the library a loss on its target with a message naming it?
And does the solution notebook, hidden tests included, run in under 10 seconds?"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbgrader.api import Gradebook
from notebook_runner import ASSIGNMENT, kernel_env

from grader.build import build_course
from grader.course import DEFAULT_COURSE, Course
from grader.mutants import mutants_for
from grader.submissions import (
    blank_submission,
    mutant_submission,
    replace_cell,
    solution_sources,
    solution_submission,
    write_submission,
)

pytestmark = pytest.mark.slow

MUTANTS = {m.name: m for m in mutants_for(ASSIGNMENT)}
ALWAYS_EQUAL_ANSWERS = """
class AlwaysEqual:
    def __eq__(self, other):
        return True

    __hash__ = object.__hash__


q1_first_step_W1_moves = AlwaysEqual()
q1_rank_W1_after_two_steps = AlwaysEqual()
q1_relu_negative_bias = AlwaysEqual()
"""


@dataclass(frozen=True)
class Graded:
    course: Course
    scores: dict[str, dict[str, tuple[float | None, float]]]
    """student -> grade_id -> (auto_score, max_score) as nbgrader wrote them to the gradebook."""
    messages: dict[str, dict[str, str]]
    """student -> grade_id -> error name and message of the failing cell in the autograded notebook."""
    validate: subprocess.CompletedProcess
    autograde_seconds: float


def _nbgrader(course: Course, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(Path(sys.executable).parent / "nbgrader"), *args],
        cwd=course.root,
        env=kernel_env(),
        capture_output=True,
        text=True,
        timeout=1200,
    )


def _noisy_solution(source_nb) -> str:
    """The He solution with a harmless warning at definition time and inside the function."""
    solution = solution_sources(source_nb)["init_he"]
    return "import warnings\nwarnings.warn('defining he', UserWarning)\n" + solution.replace(
        "    params = {}\n", "    params = {}\n    warnings.warn('inside he', UserWarning)\n", 1
    )


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> Graded:
    root = tmp_path_factory.mktemp("nbgrader") / "course"
    shutil.copytree(
        DEFAULT_COURSE,
        root,
        ignore=shutil.ignore_patterns("nnlib", "__pycache__", "release", "submitted", "autograded", "feedback", "*.db"),
    )
    course = Course.at(root)
    build_course(course)
    source_path = course.directory("source", ASSIGNMENT) / f"{ASSIGNMENT}.ipynb"
    validate = _nbgrader(course, "validate", str(source_path))
    generated = _nbgrader(course, "generate_assignment", ASSIGNMENT, "--force")
    assert generated.returncode == 0, generated.stderr[-3000:]

    release = nbformat.read(course.directory("release", ASSIGNMENT) / f"{ASSIGNMENT}.ipynb", as_version=4)
    source = nbformat.read(source_path, as_version=4)
    solution = solution_submission(release, source)
    submissions = {
        "solution": solution,
        "blank": blank_submission(release),
        "always_equal": replace_cell(solution, "q1_answers", ALWAYS_EQUAL_ANSWERS),
        "noisy_solution": replace_cell(solution, "init_he", _noisy_solution(source)),
        "tampered_helpers": solution,
    }
    submissions.update({name: mutant_submission(release, source, m) for name, m in MUTANTS.items()})
    for student, nb in submissions.items():
        write_submission(course, ASSIGNMENT, student, ASSIGNMENT, nb)
    tampered = course.directory("submitted", ASSIGNMENT, "tampered_helpers") / "nnlib"
    tampered.mkdir()
    (tampered / "__init__.py").write_text("")
    (tampered / "network.py").write_text("raise ImportError('a student edited the helpers')\n")

    start = time.perf_counter()
    autograded = _nbgrader(course, "autograde", ASSIGNMENT, "--force")  # every student in one call
    seconds = time.perf_counter() - start
    assert autograded.returncode == 0, autograded.stderr[-3000:]

    scores: dict[str, dict[str, tuple[float | None, float]]] = {}
    with Gradebook(course.db_url) as gb:
        for student in submissions:
            notebook = gb.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, student)
            scores[student] = {g.name: (g.auto_score, g.max_score) for g in notebook.grades}
    messages: dict[str, dict[str, str]] = {}
    for student in submissions:
        nb = nbformat.read(course.directory("autograded", ASSIGNMENT, student) / f"{ASSIGNMENT}.ipynb", as_version=4)
        messages[student] = {
            cell.metadata.nbgrader.grade_id: "\n".join(
                f"{o.ename}: {o.evalue}" if o.output_type == "error" else o.get("text", "")
                for o in cell.outputs
                if o.output_type == "error" or (o.output_type == "stream" and o.name == "stderr")
            )
            for cell in nb.cells
            if cell.cell_type == "code" and "nbgrader" in cell.metadata and cell.metadata.nbgrader.get("grade")
        }
    return Graded(course, scores, messages, validate, seconds)


def _auto(graded: Graded, student: str) -> dict[str, tuple[float, float]]:
    """The autograded cells (test cells) of a student: grade_id -> (score, max)."""
    return {k: v for k, v in graded.scores[student].items() if k.startswith("test_")}


def test_the_source_notebook_passes_nbgrader_validate(graded):
    assert graded.validate.returncode == 0, graded.validate.stdout[-3000:]
    assert "Success! Your notebook passes all the tests." in graded.validate.stdout


def test_the_release_has_stubs_and_public_tests_but_no_solutions_or_hidden_tests(graded):
    folder = graded.course.directory("release", ASSIGNMENT)
    text = (folder / f"{ASSIGNMENT}.ipynb").read_text()
    secrets = ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS", "from grader", "checks.check_", "q1_first_step_W1_moves = 2")
    assert [secret for secret in secrets if secret in text] == []
    assert text.count("raise NotImplementedError()") == 9  # six functions and three answer cells
    assert sorted(p.name for p in (folder / "nnlib").glob("*.py")) == [
        "__init__.py",
        "activations.py",
        "data.py",
        "losses.py",
        "network.py",
        "train.py",
    ]


def test_the_solution_scores_full_marks_on_every_autograded_cell(graded):
    auto = _auto(graded, "solution")
    assert len(auto) >= 20 and all(score == top for score, top in auto.values()), graded.messages["solution"]
    assert sum(top for _, top in graded.scores["solution"].values()) == 34


def test_the_blank_release_scores_zero_everywhere_without_crashing(graded):
    assert all(score == 0 for score, _ in graded.scores["blank"].values())
    assert all("NotImplementedError" in m or "NameError" in m for m in graded.messages["blank"].values())


@pytest.mark.parametrize("name", list(MUTANTS))
def test_each_mutant_loses_points_on_its_target_with_a_message_naming_the_mistake(graded, name):
    mutant = MUTANTS[name]
    auto = _auto(graded, name)
    for target in mutant.targets:
        score, top = auto[target]
        assert score < top, f"{name} kept the points of {target}"
        message = graded.messages[name][target].lower()
        assert all(word.lower() in message for word in mutant.expect), (mutant.expect, message)
    assert sum(s for s, _ in auto.values()) < sum(t for _, t in auto.values())


def test_objects_equal_to_everything_score_nothing(graded):
    auto = _auto(graded, "always_equal")
    assert [auto[k][0] for k in ("test_q1_first_step", "test_q1_rank", "test_q1_relu")] == [0, 0, 0]


def test_a_harmless_warning_in_a_solution_cell_costs_nothing(graded):
    assert all(score == top for score, top in _auto(graded, "noisy_solution").values())


def test_helpers_a_student_altered_are_replaced_by_the_built_ones(graded):
    assert all(score == top for score, top in _auto(graded, "tampered_helpers").values())
    network = graded.course.directory("autograded", ASSIGNMENT, "tampered_helpers") / "nnlib" / "network.py"
    assert "a student edited" not in network.read_text()


def test_the_solution_runs_in_under_ten_seconds_with_hidden_tests(graded):
    """Time the autograded solution notebook (hidden tests restored) cell by cell, kernel start excluded."""
    folder = graded.course.directory("autograded", ASSIGNMENT, "solution")
    nb = nbformat.read(folder / f"{ASSIGNMENT}.ipynb", as_version=4)
    assert any("BEGIN HIDDEN TESTS" in c.source for c in nb.cells)
    client = NotebookClient(nb, timeout=60, kernel_name="python3", resources={"metadata": {"path": str(folder)}})
    with client.setup_kernel(env=kernel_env()):
        start = time.perf_counter()
        for index, cell in enumerate(nb.cells):
            client.execute_cell(cell, index)
        seconds = time.perf_counter() - start
    print(
        f"\ninit_symmetry solution: {seconds:.2f} s of cells; autograde of {len(graded.scores)} submissions: "
        f"{graded.autograde_seconds:.1f} s"
    )
    assert seconds < 10
