"""One pass of real nbgrader over the shipped course, shared by the tests that need it.

`grade_course` does, for every assignment of ``assignments/source/`` at once (each in its own copy of the course,
as its own chain of processes, so that the two cores of a CI machine are both busy):

1. copy the course and build its helpers; ``nbgrader validate`` the source notebook;
2. release it twice, as the two tools an instructor may use: ``grader release`` and then ``nbgrader
   generate_assignment --force`` (whose release and gradebook the rest works from);
3. copy that course as it is (released, nothing handed in, nothing graded) for the other grader, and hand in there
   every submission the course is checked with (`submissions`): the instructor's solution, the blank release, one
   per mutant of the course's mistake library, and for an assignment of :data:`specs.SPECS` three adversarial ones
   (objects equal to everything, a solution that prints warnings, helpers a student edited);
4. hand in the same submissions to nbgrader's course, but of the mutants only those of `covering`: the first
   mutant of the library for each test cell it targets (`nbgrader_students` says why that is enough);
5. run ``nbgrader autograde <assignment> --force`` once on those. When that call fails (nbgrader removes what it
   failed on: a kernel that did not start on a loaded machine), a second call grades what is left, as an
   instructor would; both calls are kept, so that a test can ask for the first to have succeeded;
6. grade the copy, every submission, with ``grader autograde --executor fork --jobs 2``.

tests/assignments/test_nbgrader.py reads what each grader made of its submissions (every mutant through our engine,
the covering ones through nbgrader too), and tests/grader/test_parity_nbgrader.py compares the two graders cell by
cell on what nbgrader graded. Both get it through the session fixture ``real_nbgrader`` of tests/conftest.py, so the
pass runs once per test session. It takes minutes of mostly waiting on kernels, so tests/conftest.py runs it in a
background process (``python -m tests.real_nbgrader FOLDER``, `main`) from the moment the tests that need it are
collected, and runs those tests last.
"""

from __future__ import annotations

import argparse
import ast
import functools
import os
import pickle
import shutil
import subprocess
import sys
import threading
import traceback
from collections.abc import Collection, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from grader import variants
from grader.course import Course
from grader.mutants import Mutant
from grader.submissions import (
    blank_submission,
    mutant_submission,
    replace_cell,
    solution_sources,
    solution_submission,
    write_submission,
)
from tests.assignments.notebook_runner import copy_course, extreme_variant, give_source_variants
from tests.assignments.specs import SPECS, AssignmentSpec, mutants_for, with_warnings

REPO = Path(__file__).resolve().parents[1]
COURSE = REPO / "assignments"
BIN = Path(sys.executable).parent
ASSIGNMENTS = sorted(p.name for p in (COURSE / "source").iterdir() if p.is_dir() and any(p.glob("*.ipynb")))

FORK_ARGS = ("--executor", "fork", "--jobs", "2", "--no-progress")
"""How step 6 runs ``grader autograde``."""
SOLUTION, BLANK = "solution", "blank"
ALWAYS_EQUAL, NOISY_SOLUTION, TAMPERED_HELPERS = "always_equal", "noisy_solution", "tampered_helpers"
ADVERSARIAL = (ALWAYS_EQUAL, NOISY_SOLUTION, TAMPERED_HELPERS)
"""Student ids of the three adversarial submissions of an assignment of the spec table."""

ALWAYS_EQUAL_CLASS = """
class AlwaysEqual:
    def __eq__(self, other):
        return True

    __hash__ = object.__hash__

"""


@dataclass(frozen=True)
class NbgraderRun:
    """One assignment released and autograded by real nbgrader in its own copy of the course."""

    assignment: str
    root: Path
    """The course copy nbgrader released and graded (gradebook, release/, submitted/, autograded/), with the
    submissions of :attr:`nbgrader_students`."""
    fork_root: Path
    """A copy of that course made once released, with every submission (:attr:`students`), graded by ``grader
    autograde`` instead."""
    students: frozenset[str]
    """Every student id handed in (solution, blank, the mutants' names and, for a spec'd assignment, ADVERSARIAL)."""
    nbgrader_students: frozenset[str]
    """Those also handed in to nbgrader's course (`nbgrader_students`): all but the mutants left out of `covering`."""
    validate: subprocess.CompletedProcess
    """``nbgrader validate`` of the source notebook(s)."""
    autograde: subprocess.CompletedProcess
    """The one ``nbgrader autograde <assignment> --force`` call over every submission of :attr:`root`."""
    regrade: subprocess.CompletedProcess | None
    """The second ``nbgrader autograde`` call, made only when the first one failed."""
    fork: subprocess.CompletedProcess
    """The ``grader autograde`` call on :attr:`fork_root` (`FORK_ARGS`)."""

    @functools.cached_property
    def course(self) -> Course:
        """The course at :attr:`root` (made on first use: a Course holds nbgrader objects that do not pickle)."""
        return Course.at(self.root)

    @functools.cached_property
    def fork_course(self) -> Course:
        """The course at :attr:`fork_root`, which ``grader autograde`` graded."""
        return Course.at(self.fork_root)

    @property
    def graded(self) -> subprocess.CompletedProcess:
        """The call that finished the grading: the second when there was one, else the first."""
        return self.regrade or self.autograde


def env() -> dict[str, str]:
    """What an instructor's shell gives nbgrader and grader: this project importable (the hidden tests import
    grader.hidden), the venv's tools on PATH, one BLAS thread, matplotlib's backend left to the kernel, and no
    PYTEST_CURRENT_TEST (ipykernel stops capturing file descriptors 1 and 2 when it sees it)."""
    out = {k: v for k, v in os.environ.items() if k not in ("PYTEST_CURRENT_TEST", "MPLBACKEND")}
    out["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), out.get("PYTHONPATH", "")]))
    out["PATH"] = os.pathsep.join([str(BIN), out.get("PATH", "")])
    return out | {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def run(argv: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(argv, cwd=cwd, env=env(), capture_output=True, text=True, timeout=3600)


def _always_equal_answers(source_nb: NotebookNode, cell: str) -> str:
    """The answer cell ``cell`` with every variable bound to an object that claims to equal anything."""
    names = [
        t.id for n in ast.parse(solution_sources(source_nb)[cell]).body if isinstance(n, ast.Assign) for t in n.targets
    ]
    return ALWAYS_EQUAL_CLASS + "".join(f"{name} = AlwaysEqual()\n" for name in names)


def submissions(course: Course, assignment: str) -> frozenset[str]:
    """Write every submission of ``assignment`` into ``course`` (released); return the student ids.

    A submission changes one cell of one notebook; its other notebooks (if the assignment has several) are solved.
    """
    mutants = mutants_for(assignment)
    spec: AssignmentSpec | None = SPECS.get(assignment)
    students: set[str] = set()
    changed: set[str] = set()
    for source_path in sorted(course.directory("source", assignment).glob("*.ipynb")):
        source = nbformat.read(source_path, as_version=4)
        release = nbformat.read(course.directory("release", assignment) / source_path.name, as_version=4)
        ids = {c.metadata.get("nbgrader", {}).get("grade_id") for c in release.cells}
        solution = solution_submission(release, source, name=source_path.name)
        made = {SOLUTION: solution, BLANK: blank_submission(release)}
        for mutant in mutants:
            made[mutant.name] = mutant_submission(release, source, mutant) if mutant.cell in ids else solution
        if spec is not None:
            made[ALWAYS_EQUAL] = made[NOISY_SOLUTION] = made[TAMPERED_HELPERS] = solution
            if spec.always_equal_cell in ids:
                answers = _always_equal_answers(source, spec.always_equal_cell)
                made[ALWAYS_EQUAL] = replace_cell(solution, spec.always_equal_cell, answers)
                changed.add(ALWAYS_EQUAL)
            if spec.noisy_cell in ids:
                noisy = with_warnings(solution_sources(source)[spec.noisy_cell])
                made[NOISY_SOLUTION] = replace_cell(solution, spec.noisy_cell, noisy)
                changed.add(NOISY_SOLUTION)
        for student, nb in made.items():
            if variants.has_variants(course.root, assignment):  # every grader here at the high extreme
                extreme_variant(course.root, assignment, student, -1)
            write_submission(course, assignment, student, source_path.stem, nb)
        students |= set(made)
    if spec is not None:
        missing = {ALWAYS_EQUAL: spec.always_equal_cell, NOISY_SOLUTION: spec.noisy_cell}
        if changed != set(missing):
            raise ValueError(f"{assignment}: no notebook has the cells {[missing[s] for s in set(missing) - changed]} "
                             "that specs.py names")
        tampered = course.directory("submitted", assignment, TAMPERED_HELPERS) / "nnlib"
        tampered.mkdir()
        (tampered / "__init__.py").write_text("")
        (tampered / spec.tampered_helper).write_text("raise ImportError('a student edited the helpers')\n")
    return frozenset(students)


def covering(mutants: Sequence[Mutant]) -> list[Mutant]:
    """The mutants, in library order, that target a test cell none before them in this list targets: the first
    mutant of every test cell the library targets."""
    covered: set[str] = set()
    chosen = []
    for mutant in mutants:
        if not covered.issuperset(mutant.targets):
            chosen.append(mutant)
            covered.update(mutant.targets)
    return chosen


def nbgrader_students(assignment: str, students: Collection[str]) -> frozenset[str]:
    """Those of ``students`` (an assignment's submissions) that real nbgrader grades too: all but the mutants, and
    of the mutants those of `covering`.

    Whether each mutant is caught, and named, is asked of our engine for every mutant (by
    tests/assignments/test_nbgrader.py), and of the checks run in-process as under nbgrader (by
    tests/assignments/test_notebooks.py). What nbgrader is needed for is parity: the two graders run a hidden check in
    different places (in the notebook's kernel under nbgrader, in the judge under ``grader autograde``, the student's
    values sent over its wire), so both must grade every hidden check passing and failing. The solution passes every
    test cell; the blank release fails every one, its stubs raising in the student's code or its answers None; the
    adversarial submissions bring objects equal to everything, warnings and edited helpers; the first mutant of each
    targeted test cell fails that cell's check on a wrong value, with the message the check makes of it. Another
    mutant of the same cell takes the same path with other wrong values. The ways a value can cross the wire other
    than as a returned array or number (an array changed in place, a generator advanced, a draw from NumPy's global
    generator) are compared with the in-process check by tests/grader/judge/test_session.py, and in the shipped
    course some covering mutants take them too (an in-place change, a global draw).
    """
    left_out = {m.name for m in mutants_for(assignment)} - {m.name for m in covering(mutants_for(assignment))}
    return frozenset(students) - left_out


_IN_PROCESS = threading.Lock()
"""Held by the steps that run Python in this process rather than in a child: CPython 3.11 cannot parse ASTs in two
threads at once (grader/build.py's _PARSE_LOCK says why), and these steps parse the course's code."""


def grade_assignment(folder: Path, assignment: str) -> NbgraderRun:
    """Steps 1 to 6 of the module's docstring for one assignment, in ``folder`` (made here)."""
    with _IN_PROCESS:
        course = copy_course(folder / "course", in_process=False)
        given = give_source_variants(course)  # the source notebook runs where it is for nbgrader validate...
    sources = sorted(course.directory("source", assignment).glob("*.ipynb"))
    validate = run([str(BIN / "nbgrader"), "validate", *map(str, sources)], cwd=course.root)
    for path in given:  # ...and nbgrader autograde must not copy its variant files over the submissions'
        path.unlink()
    release = run([str(BIN / "grader"), "release", "--course", str(course.root), assignment], cwd=course.root)
    generate = run([str(BIN / "nbgrader"), "generate_assignment", assignment, "--force"], cwd=course.root)
    for name, done in (("grader release", release), ("nbgrader generate_assignment", generate)):
        if done.returncode != 0:  # nothing to hand in
            raise RuntimeError(f"{name} failed on {assignment}:\n{done.stdout[-2000:]}{done.stderr[-3000:]}")
    with _IN_PROCESS:
        fork_course = Course.at(Path(shutil.copytree(course.root, folder / "fork")))
        students = submissions(fork_course, assignment)
        for_nbgrader = nbgrader_students(assignment, students)
        for student in for_nbgrader:
            shutil.copytree(fork_course.directory("submitted", assignment, student),
                            course.directory("submitted", assignment, student))
    autograde = run([str(BIN / "nbgrader"), "autograde", assignment, "--force"], cwd=course.root)
    regrade = None
    if autograde.returncode != 0:  # nbgrader removed what it failed on: a second call grades only that
        regrade = run([str(BIN / "nbgrader"), "autograde", assignment], cwd=course.root)
    # Step 6 after nbgrader, not beside it: run at once, the two made the load 9 and slowed the tests in front.
    fork = run([str(BIN / "grader"), "autograde", "--course", str(fork_course.root), assignment, *FORK_ARGS],
               cwd=REPO)
    return NbgraderRun(assignment, course.root, fork_course.root, students, for_nbgrader, validate, autograde, regrade,
                       fork)


def grade_course(folder: Path) -> dict[str, NbgraderRun]:
    """Every assignment of the course through `grade_assignment`, all at once, each in ``folder/<assignment>``."""
    with ThreadPoolExecutor(len(ASSIGNMENTS)) as pool:
        futures = {a: pool.submit(grade_assignment, folder / a, a) for a in ASSIGNMENTS}
        return {a: future.result() for a, future in futures.items()}


RESULT, LOG = "runs.pickle", "log.txt"
"""What `main` leaves in its folder: the pickled runs when it succeeded, else the traceback in :data:`LOG`."""


def main(argv: list[str] | None = None) -> int:
    """``python -m tests.real_nbgrader FOLDER``: `grade_course` into FOLDER, its runs pickled to FOLDER/runs.pickle."""
    parser = argparse.ArgumentParser(prog="python -m tests.real_nbgrader", description=main.__doc__)
    parser.add_argument("folder", type=Path)
    folder = parser.parse_args(argv).folder
    folder.mkdir(parents=True, exist_ok=True)
    try:
        runs = grade_course(folder)
    except BaseException:
        (folder / LOG).write_text(traceback.format_exc())
        return 1
    partial = folder / (RESULT + ".part")
    partial.write_bytes(pickle.dumps(runs))
    partial.rename(folder / RESULT)
    return 0


if __name__ == "__main__":  # run as a script, this module is __main__: pickle the runs under their importable name
    from tests.real_nbgrader import main as importable_main

    sys.exit(importable_main())
