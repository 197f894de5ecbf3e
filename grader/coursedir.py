"""Where an nbgrader course lives: its folders, its nbgrader_config.py and its gradebook, as one object.

Every `grader` command takes ``--course DIR`` (default ``assignments/``). A folder is a course when it holds an
``nbgrader_config.py`` or a ``source/`` folder; its layout is nbgrader's own (``source/``, ``release/``,
``submitted/``, ``autograded/``, ``feedback/``, ``gradebook.db``), read through nbgrader's `CourseDirectory` so
that a course configured differently (another ``directory_structure``, another ``db_url``) works unchanged.
"""

from __future__ import annotations

import contextlib
import glob
import logging
import os
import re
import shutil
import sys
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.coursedir import CourseDirectory
from sqlalchemy.exc import SAWarning
from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

from grader.errors import AssignmentNotFoundError, CourseNotFoundError

DEFAULT_COURSE = Path("assignments")
CONFIG_FILE = "nbgrader_config.py"
DEFAULT_COURSE_ID = "default_course"


@dataclass(frozen=True)
class CourseContext:
    """One nbgrader course opened for grading.

    root:      the course folder (absolute)
    config:    nbgrader's traitlets config, as loaded from ``root/nbgrader_config.py`` (empty when absent)
    coursedir: nbgrader's CourseDirectory, configured from ``config`` with ``root`` forced to the course folder
    """

    root: Path
    config: Config
    coursedir: CourseDirectory

    @property
    def db_url(self) -> str:
        """The gradebook's SQLAlchemy URL (``sqlite:///<root>/gradebook.db`` unless configured)."""
        return self.coursedir.db_url

    @property
    def course_id(self) -> str:
        """nbgrader's course id (``CourseDirectory.course_id``), ``default_course`` when unset."""
        return self.coursedir.course_id or DEFAULT_COURSE_ID

    def path(self, step: str, student: str, assignment: str) -> Path:
        """The folder of one step (e.g. ``self.coursedir.submitted_directory``) for a student and assignment."""
        return Path(self.coursedir.format_path(step, student, assignment))

    def source_dir(self, assignment: str) -> Path:
        return self.path(self.coursedir.source_directory, ".", assignment)

    def release_dir(self, assignment: str) -> Path:
        return self.path(self.coursedir.release_directory, ".", assignment)

    def submitted_dir(self, student: str, assignment: str) -> Path:
        return self.path(self.coursedir.submitted_directory, student, assignment)

    def autograded_dir(self, student: str, assignment: str) -> Path:
        return self.path(self.coursedir.autograded_directory, student, assignment)

    def feedback_dir(self, student: str, assignment: str) -> Path:
        return self.path(self.coursedir.feedback_directory, student, assignment)

    def records_dir(self, assignment: str) -> Path:
        """Where `grader autograde` keeps one record per graded submission (hidden from nbgrader's globs)."""
        return self.path(self.coursedir.autograded_directory, ".grader", assignment)

    def source_assignments(self) -> list[str]:
        """Names of the assignments that have a source folder, sorted."""
        pattern = self.coursedir.format_path(self.coursedir.source_directory, ".", "*")
        return sorted(Path(p).name for p in _glob(pattern) if Path(p).is_dir())

    def submitted_students(self, assignment: str) -> list[str]:
        """Students that have a submitted folder for `assignment`, sorted."""
        step = self.coursedir.submitted_directory
        pattern = self.coursedir.format_path(step, "*", assignment)
        regexp = re.compile(
            self.coursedir.format_path(step, "(?P<student_id>[^/]+)", re.escape(assignment), escape=True) + "$"
        )
        found = []
        for p in _glob(pattern):
            m = regexp.match(p)
            if m and Path(p).is_dir():
                found.append(m.group("student_id"))
        return sorted(found)

    @contextlib.contextmanager
    def gradebook(self) -> Iterator[Gradebook]:
        """nbgrader's Gradebook on this course's database, closed on exit."""
        ensure_alembic_on_path()
        gb = Gradebook(self.db_url, self.course_id)
        try:
            yield gb
        finally:
            gb.close()

    def require_released(self, assignment: str) -> None:
        """Raise AssignmentNotFoundError unless `assignment` is in the gradebook (i.e. it was released)."""
        with self.gradebook() as gb:
            try:
                gb.find_assignment(assignment)
            except MissingEntry:
                known = ", ".join(a.name for a in gb.assignments) or "none"
                raise AssignmentNotFoundError(
                    f"assignment '{assignment}' is not in the gradebook of {self.root} (released: {known}); "
                    f"run `grader release {assignment}` first"
                ) from None


def _glob(pattern: str) -> list[str]:
    return glob.glob(pattern)


def load_config(root: Path) -> Config:
    """nbgrader's config for a course: ``root/nbgrader_config.py`` if present, else an empty Config."""
    path = root / CONFIG_FILE
    if not path.exists():
        return Config()
    return PyFileConfigLoader(CONFIG_FILE, path=str(root)).load_config()


def open_course(course: Path | str = DEFAULT_COURSE) -> CourseContext:
    """Open the course folder `course` (default ``assignments/``).

    Raises CourseNotFoundError when the folder is missing or holds neither nbgrader_config.py nor source/.
    """
    root = Path(course).expanduser().resolve()
    if not root.is_dir():
        raise CourseNotFoundError(f"course folder not found: {root} (pass --course DIR)")
    if not (root / CONFIG_FILE).exists() and not (root / "source").is_dir():
        raise CourseNotFoundError(
            f"{root} is not an nbgrader course: it has neither {CONFIG_FILE} nor a source/ folder"
        )
    ensure_alembic_on_path()
    config = load_config(root)
    coursedir = CourseDirectory(config=config, log=nbgrader_logger())
    coursedir.root = str(root)
    return CourseContext(root=root, config=config, coursedir=coursedir)


def nbgrader_logger() -> logging.Logger:
    """The logger nbgrader's classes write to here: silent unless given a handler (``grader -v`` does)."""
    log = logging.getLogger("grader.nbgrader")
    log.propagate = False
    if not log.handlers:
        log.addHandler(logging.NullHandler())
    return log


@contextlib.contextmanager
def quiet_sqlalchemy() -> Iterator[None]:
    """Silence SQLAlchemy's SAWarning about autoflush that nbgrader 0.9's gradebook raises under SQLAlchemy 2.x.

    nbgrader's `update_or_create_submission` triggers it on every new submission; the rows it writes are right
    (a test compares them with plain ``nbgrader autograde``), but the warning is a RuntimeWarning, which this
    project's test settings turn into errors.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SAWarning)
        yield


def ensure_alembic_on_path() -> None:
    """Make the ``alembic`` command findable: nbgrader runs it to stamp a new gradebook.

    Inside a virtualenv that is not activated (``.venv/bin/grader``, ``make test``) the venv's bin folder is not
    on PATH; it is where this interpreter lives, so it is added.
    """
    if shutil.which("alembic"):
        return
    bindir = str(Path(sys.executable).parent)
    os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")
