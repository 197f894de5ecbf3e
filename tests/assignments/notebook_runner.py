"""Helpers for the assignment tests: an in-process cell runner and the environment nbgrader's kernels need.

The runner executes code cells in one namespace, the way a kernel would, and reports per cell whether it raised or
wrote to stderr (nbgrader's rule for a test cell's points). It is fast enough to run every mistake of the library
on every push; the slow tests run the same notebooks through real nbgrader.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import sys
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import matplotlib
from nbformat import NotebookNode

from grader import variant_files, variants
from grader.build import build_course
from grader.course import EMBEDDED_COURSE, Course

REPO = Path(__file__).resolve().parents[2]
IGNORED = ("nnlib", "__pycache__", "release", "submitted", "autograded", "feedback", "*.db")
"""What a copy of the course leaves behind: built helpers and everything nbgrader generates."""


IN_PROCESS_STUDENT = "tester"
"""Whose variant the in-process runs of a copy use: the low extreme of every range (`extreme_variant`)."""


def copy_course(root: Path, in_process: bool = True) -> Course:
    """A copy of assignments/ at ``root`` with every helper package built (the repository's course is untouched);
    with ``in_process``, each assignment's variant files in its source folder (`give_source_variants`)."""
    shutil.copytree(EMBEDDED_COURSE, root, ignore=shutil.ignore_patterns(*IGNORED, "variants", "personal"))
    course = Course.at(root)
    build_course(course)
    if in_process:
        give_source_variants(course)
    return course


def give_source_variants(course: Course) -> list[Path]:
    """Give ``source/<name>/`` of each assignment with per-student variants the files its setup cell reads
    (`grader.variant_files`) for `IN_PROCESS_STUDENT`, at the low extreme of every range, so that the source
    notebook runs where it is (the suite's in-process runs, ``nbgrader validate``); the files written.

    Never leave them there in a course that nbgrader grades: ``nbgrader autograde`` copies the files of
    ``source/<name>/`` over the submission's, variant.json included (tests/real_nbgrader.py removes them)."""
    written = []
    for assignment in course.assignments():
        if variants.has_variants(course.root, assignment):
            folder = course.directory("source", assignment)
            variant_files.write_files(course.root, folder, extreme_variant(course.root, assignment,
                                                                           IN_PROCESS_STUDENT, 0))
            written += [folder / variant_files.MODULE, folder / variant_files.RECORD]
    return written


def extreme_variant(root: Path, assignment: str, student: str, which: int) -> variants.Variant:
    """Record ``student``'s variant of ``assignment`` as extreme ``which`` of its generator (0 low, -1 high:
    ``extremes()`` of ``grading/<assignment>/variants.py``) and return it."""
    generator = variants.generator(root, assignment)
    parameters = variants.plain_parameters(generator.extremes()[which], f"{assignment}: extremes()")
    variant = variants.Variant(student, assignment, parameters, generator.VERSION)
    variants.write_record(root, variant)
    return variant


def nbgrader_meta(cell: NotebookNode) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def is_test_cell(cell: NotebookNode) -> bool:
    meta = nbgrader_meta(cell)
    return cell.cell_type == "code" and bool(meta.get("grade")) and not meta.get("solution")


def graded_part(cell: NotebookNode) -> bool:
    """Cells a test cell depends on: every cell nbgrader tracks (locked setup and settings, solution cells, test
    cells), without the experiments between them."""
    return bool(nbgrader_meta(cell))


@dataclass(frozen=True)
class CellRun:
    """What happened when one cell ran."""

    grade_id: str | None
    error: str | None
    """"Name: message" of the exception the cell raised, or None."""
    stderr: str
    """What the cell wrote to stderr, warnings included."""

    @property
    def passed(self) -> bool:
        return self.error is None and not self.stderr


def run_cells(
    nb: NotebookNode, folder: Path, keep: Callable[[NotebookNode], bool] = lambda cell: True
) -> dict[str, CellRun]:
    """Run the code cells of ``nb`` that ``keep`` accepts, in order, in one namespace, with ``folder`` as the
    working directory and first on sys.path; return the runs of cells that have a grade_id."""
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    namespace: dict = {"__name__": "__main__"}
    runs: dict[str, CellRun] = {}
    with _in_folder(folder):
        for cell in nb.cells:
            if cell.cell_type != "code" or not keep(cell):
                continue
            err, error = io.StringIO(), None
            with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stderr(err):
                warnings.simplefilter("always")
                with contextlib.redirect_stdout(io.StringIO()):
                    try:
                        exec(compile(cell.source, f"<cell {nbgrader_meta(cell).get('grade_id')}>", "exec"), namespace)
                    except Exception as exc:  # a cell's failure is a result, not a crash of the runner
                        error = f"{type(exc).__name__}: {exc}"
            stderr = err.getvalue() + "".join(f"{w.category.__name__}: {w.message}\n" for w in caught)
            gid = nbgrader_meta(cell).get("grade_id")
            if gid is not None:
                runs[gid] = CellRun(gid, error, stderr)
    plt.close("all")
    return runs


@contextlib.contextmanager
def _in_folder(folder: Path) -> Iterator[None]:
    old_cwd, old_path = os.getcwd(), list(sys.path)
    os.chdir(folder)
    sys.path.insert(0, str(folder))
    try:
        yield
    finally:
        os.chdir(old_cwd)
        sys.path[:] = old_path
        for name in [m for m in sys.modules if m in ("nnlib", "variant") or m.startswith("nnlib.")]:
            del sys.modules[name]  # the next folder has its own helpers and its own variant.py


def kernel_env() -> dict[str, str]:
    """Environment for nbgrader and its kernels: this project importable, the virtualenv's tools on PATH."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH", "")]))
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env.pop("MPLBACKEND", None)  # the kernel picks its inline backend, as for a student
    return env
