"""What each assignment of the course must contain: the table the notebook tests are parametrised over.

A test that holds for every notebook (valid metadata, hidden tests through ``grader.hidden``, solution full marks,
stubs zero, every mutant caught, ...) takes the ``assignment`` fixture and reads the numbers it needs here. The
numbers live with each assignment, in the ``[spec]`` table of ``grading/<name>/assignment.toml``: adding an
assignment adds nothing here.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from grader.checks.loader import answer_key
from grader.course import EMBEDDED_COURSE, Course
from grader.grading import course_mutants, import_part, read_settings
from grader.mutants import Mutant


@dataclass(frozen=True)
class AssignmentSpec:
    """The contract of one assignment's notebook."""

    name: str
    functions: dict[str, list[str]]
    """The functions learners write -> their argument names, in order."""
    answers: frozenset[str]
    """The auto-graded answer variables."""
    points: tuple[int, int, int]
    """(code, answers, written): the points of the function tests, the answer tests and the written answers."""
    written: tuple[str, ...]
    """grade_ids of the manually graded markdown answers, in notebook order."""
    min_test_cells: int
    min_mutants: int
    shipped: tuple[str, ...]
    """Files of the helper package released next to the notebook."""
    noisy_cell: str
    """A function's solution cell that the warning tests make print warnings."""
    always_equal_cell: str
    """An answer cell that the adversarial test fills with objects equal to everything."""
    always_equal_tests: tuple[str, ...]
    """The test cells of that answer cell (they must score 0)."""
    tampered_helper: str
    """A helper module the tampering test replaces by a broken copy in a submission."""

    @property
    def total(self) -> int:
        return sum(self.points)


def _spec(name: str) -> AssignmentSpec:
    """The spec of assignment ``name`` from its grading folder: ``[spec]`` and ``[helpers]`` of its assignment.toml,
    and the keys of its answer key."""
    settings = read_settings(EMBEDDED_COURSE, name)
    table = dict(settings.spec)
    missing = sorted({f.name for f in fields(AssignmentSpec)} - {"name", "answers", "shipped"} - set(table))
    if missing:
        raise LookupError(f"grading/{name}/assignment.toml: this repository's tests need its [spec] table to say "
                          f"{missing} (docs/instructors.md, Adding an assignment)")
    answers = frozenset(answer_key(import_part(EMBEDDED_COURSE, name, "answers")))
    shipped = ("__init__.py", *sorted(f"{module}.py" for module in settings.ship or ()))
    return AssignmentSpec(
        name=name,
        functions={function: list(args) for function, args in table.pop("functions").items()},
        answers=answers,
        points=tuple(table.pop("points")),
        written=tuple(table.pop("written")),
        shipped=tuple(sorted(shipped)),
        always_equal_tests=tuple(table.pop("always_equal_tests")),
        **table,
    )


SPECS: dict[str, AssignmentSpec] = {name: _spec(name) for name in Course.at(EMBEDDED_COURSE).assignments()}
"""Every assignment of the course, found in its source folder, its spec in its grading folder."""
MUTANTS: dict[str, Mutant] = course_mutants(EMBEDDED_COURSE, list(SPECS))
"""The course's mistake library, every assignment's, by name."""


def mutants_for(assignment: str) -> list[Mutant]:
    """The mistakes of one assignment of the course, in the order its mistakes.py defines them."""
    return [m for m in MUTANTS.values() if m.assignment == assignment]


def with_warnings(source: str) -> str:
    """A solution cell's source that warns when it is run and every time its function is called (and makes NumPy
    warn too): a student's harmless noise, which must cost no points."""
    lines = source.split("\n")
    start = next(i for i, line in enumerate(lines) if line.startswith("def "))
    body = start + 1
    if lines[body].strip().startswith('"""'):  # skip the docstring, one line or several
        quotes = lines[body].count('"""')
        while quotes < 2:
            body += 1
            quotes += lines[body].count('"""')
        body += 1
    noise = ["    warnings.warn('inside the function', UserWarning)", "    np.log(np.zeros(1))"]
    head = ["import warnings", "warnings.warn('defining it', UserWarning)"]
    return "\n".join([*head, *lines[:body], *noise, *lines[body:]])
