"""Every assignment through the real nbgrader (its command line, as an instructor runs it): does the source validate,
does the release hide solutions and hidden tests, does one autograde call per assignment give the solution full
marks, the blank release zero without crashing, and every mistake of the library a loss on its target with a
message naming it? Every mistake is asked of ``grader autograde``, which grades every submission of the session's
pass (tests/real_nbgrader.py), and the first mistake of each test cell, the ones that pass hands nbgrader, of
nbgrader too. (How long the solution notebook takes is measured by benchmarks/notebook_budget.py.)"""

from __future__ import annotations

import ast
import subprocess
from dataclasses import dataclass

import nbformat
import pytest
from nbgrader.api import Gradebook
from specs import AssignmentSpec, mutants_for

from grader.course import Course
from grader.mutants import Mutant
from grader.submissions import is_solution_cell
from tests.real_nbgrader import covering

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Graded:
    """What one grader made of the submissions of one assignment."""

    course: Course
    spec: AssignmentSpec
    scores: dict[str, dict[str, tuple[float | None, float]]]
    """student -> grade_id -> (auto_score, max_score) as the grader wrote them to the gradebook."""
    messages: dict[str, dict[str, str]]
    """student -> grade_id -> error name and message of the failing cell in the autograded notebook."""
    validate: subprocess.CompletedProcess


def _graded(course: Course, spec: AssignmentSpec, students: frozenset[str],
            validate: subprocess.CompletedProcess) -> Graded:
    """What a grader of the session's pass made of ``students``, submissions of ``spec.name``, in ``course``."""
    name = spec.name
    scores: dict[str, dict[str, tuple[float | None, float]]] = {}
    with Gradebook(course.db_url) as gb:
        for student in students:
            notebook = gb.find_submission_notebook(name, name, student)
            scores[student] = {g.name: (g.auto_score, g.max_score) for g in notebook.grades}
    messages: dict[str, dict[str, str]] = {}
    for student in students:
        nb = nbformat.read(course.directory("autograded", name, student) / f"{name}.ipynb", as_version=4)
        messages[student] = {
            cell.metadata.nbgrader.grade_id: "\n".join(
                f"{o.ename}: {o.evalue}" if o.output_type == "error" else o.get("text", "")
                for o in cell.outputs
                if o.output_type == "error" or (o.output_type == "stream" and o.name == "stderr")
            )
            for cell in nb.cells
            if cell.cell_type == "code" and "nbgrader" in cell.metadata and cell.metadata.nbgrader.get("grade")
        }
    return Graded(course, spec, scores, messages, validate)


@pytest.fixture(scope="module")
def graded(real_nbgrader, assignment, spec) -> Graded:
    """What nbgrader made, in the session's one autograde call per assignment, of the submissions it was handed
    (tests/real_nbgrader.py: the solution, the blank release, three adversarial submissions and the first mutant of
    each test cell)."""
    run = real_nbgrader[assignment]
    assert run.autograde.returncode == 0, run.autograde.stderr[-3000:]  # every student in one call
    return _graded(run.course, spec, run.nbgrader_students, run.validate)


@pytest.fixture(scope="module")
def engine_graded(real_nbgrader, assignment, spec) -> Graded:
    """What ``grader autograde --executor fork`` made of every submission of the session's pass, every mutant's
    included."""
    run = real_nbgrader[assignment]
    assert run.fork.returncode == 0, (run.fork.stdout + run.fork.stderr)[-3000:]
    return _graded(run.fork_course, spec, run.students, run.validate)


def _auto(graded: Graded, student: str) -> dict[str, tuple[float, float]]:
    """The autograded cells (test cells) of a student: grade_id -> (score, max)."""
    return {k: v for k, v in graded.scores[student].items() if k.startswith("test_")}


def test_the_source_notebook_passes_nbgrader_validate(graded):
    assert graded.validate.returncode == 0, graded.validate.stdout[-3000:]
    assert "Success! Your notebook passes all the tests." in graded.validate.stdout


def test_the_release_has_stubs_and_public_tests_but_no_solutions_or_hidden_tests(graded):
    name = graded.spec.name
    folder = graded.course.directory("release", name)
    text = (folder / f"{name}.ipynb").read_text()
    secrets = ["BEGIN SOLUTION", "BEGIN HIDDEN TESTS", "from grader", "checks.check_"]
    assert [secret for secret in secrets if secret in text] == []
    # an answer variable appears only in its template line, `name = None`: never with its answer
    given = [
        (target.id, ast.unparse(node.value))
        for cell in nbformat.reads(text, as_version=4).cells
        if cell.cell_type == "code"
        for node in ast.walk(ast.parse(cell.source))
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name) and target.id in graded.spec.answers
    ]
    assert sorted(name for name, _ in given) == sorted(graded.spec.answers)
    assert [(name, value) for name, value in given if value != "None"] == []
    source = nbformat.read(graded.course.directory("source", name) / f"{name}.ipynb", as_version=4)
    solution_code_cells = sum(1 for c in source.cells if c.cell_type == "code" and is_solution_cell(c))
    assert text.count("raise NotImplementedError()") == solution_code_cells
    assert sorted(p.name for p in (folder / "nnlib").glob("*.py")) == sorted(graded.spec.shipped)


def test_the_solution_scores_full_marks_on_every_autograded_cell(graded):
    auto = _auto(graded, "solution")
    assert len(auto) >= graded.spec.min_test_cells
    assert all(score == top for score, top in auto.values()), graded.messages["solution"]
    assert sum(top for _, top in graded.scores["solution"].values()) == graded.spec.total


def test_the_blank_release_scores_zero_everywhere_without_crashing(graded):
    assert all(score == 0 for score, _ in graded.scores["blank"].values())
    # a stub raised, or an answer still holds its template's None
    reasons = ("NotImplementedError", "NameError", "got None")
    assert all(any(r in m for r in reasons) for m in graded.messages["blank"].values())


def _mutant_problems(graded: Graded, mutants: list[Mutant], grader: str) -> list[str]:
    """What is off, for each of ``mutants``, in what ``grader`` made of it: a target that kept its points or failed
    with a message missing a word of the mistake, or full marks."""
    problems = []
    for mutant in mutants:
        auto = _auto(graded, mutant.name)
        for target in mutant.targets:
            score, top = auto[target]
            message = graded.messages[mutant.name][target].lower()
            if score >= top:
                problems.append(f"{grader}: {mutant.name} kept the points of {target}")
            elif not all(word.lower() in message for word in mutant.expect):
                problems.append(f"{grader}: {mutant.name}: {target} failed with {message!r}, not naming "
                                f"{mutant.expect}")
        if sum(s for s, _ in auto.values()) >= sum(t for _, t in auto.values()):
            problems.append(f"{grader}: {mutant.name} scored full marks")
    return problems


def test_each_mutant_loses_points_on_its_target_with_a_message_naming_the_mistake(graded, engine_graded):
    """All mutants of the assignment through ``grader autograde``, and those real nbgrader grades (the first of each
    test cell) through nbgrader too, whose every cell tests/grader/test_parity_nbgrader.py also compares with ours;
    every problem is listed at once."""
    mutants = mutants_for(graded.spec.name)
    problems = [*_mutant_problems(engine_graded, mutants, "grader autograde"),
                *_mutant_problems(graded, covering(mutants), "nbgrader")]
    assert mutants and not problems, problems


def test_objects_equal_to_everything_score_nothing(graded):
    auto = _auto(graded, "always_equal")
    assert [auto[k][0] for k in graded.spec.always_equal_tests] == [0] * len(graded.spec.always_equal_tests)


def test_a_harmless_warning_in_a_solution_cell_costs_nothing(graded):
    assert all(score == top for score, top in _auto(graded, "noisy_solution").values())


def test_helpers_a_student_altered_are_replaced_by_the_built_ones(graded):
    name = graded.spec.name
    assert all(score == top for score, top in _auto(graded, "tampered_helpers").values())
    helper = graded.course.directory("autograded", name, "tampered_helpers") / "nnlib" / graded.spec.tampered_helper
    assert "a student edited" not in helper.read_text()
