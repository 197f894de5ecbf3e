"""Where a course's folders and gradebook are: an nbgrader course root, read through nbgrader's own config.

A course is a folder with ``nbgrader_config.py`` and ``source/<assignment>/<notebook>.ipynb`` (the layout
``nbgrader quickstart`` makes). Every other folder (``release/``, ``submitted/``, ``autograded/``, ``feedback/``) and
the gradebook are computed by nbgrader's :class:`~nbgrader.coursedir.CourseDirectory`, so a course that renames its
folders, changes ``directory_structure`` or points ``db_url`` elsewhere in its config works unchanged.

Every ``grader`` command takes ``--course DIR``; its default, :data:`DEFAULT_COURSE`, is ``assignments/`` of the
working directory, which is the course shipped with this project when a command runs from the repository root (and a
course repository's own ``assignments/`` in its CI). :data:`EMBEDDED_COURSE` is the shipped course wherever the
command runs (``grader demo`` grades it).
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
from dataclasses import dataclass, field
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.coursedir import CourseDirectory
from sqlalchemy.exc import SAWarning
from traitlets import TraitError
from traitlets.config import Config

from grader.errors import AssignmentNotFoundError, CourseNotFoundError, UsageError
from grader.grading import CONFIG_FILE, CourseConfigError, load_config

DEFAULT_COURSE = Path("assignments")
"""The default of every command's ``--course``: ``assignments/`` relative to the working directory."""
EMBEDDED_COURSE = Path(__file__).resolve().parents[1] / "assignments"
"""The course shipped with this project (absolute: the same folder wherever the command runs)."""
DEFAULT_COURSE_ID = "default_course"
STEPS = ("source", "release", "submitted", "autograded", "feedback")
"""nbgrader's folders, in the order an assignment goes through them."""


@dataclass(frozen=True)
class Course:
    """An nbgrader course on disk."""

    root: Path
    """The course folder (absolute)."""
    config: Config
    """Its nbgrader_config.py, including sections nbgrader does not know (``Helpers``)."""
    coursedir: CourseDirectory = field(repr=False, compare=False)
    """nbgrader's view of the course, configured as ``nbgrader`` run in :attr:`root` would be."""

    @classmethod
    def at(cls, root: str | Path = DEFAULT_COURSE) -> Course:
        """The course whose root folder is ``root`` (it may still be empty); a FileNotFoundError names a missing one."""
        root = Path(root).expanduser().resolve()
        if not root.is_dir():
            raise FileNotFoundError(f"course folder {root} does not exist")
        config = load_config(root)
        try:
            coursedir = CourseDirectory(config=config, log=nbgrader_logger())
        except TraitError as exc:  # a value of the right name and the wrong kind, e.g. db_url = 5
            raise CourseConfigError(f"{root / CONFIG_FILE}: {exc}") from None
        coursedir.root = str(root)
        return cls(root, config, coursedir)

    @property
    def db_url(self) -> str:
        """The gradebook's database URL (nbgrader's default: sqlite:///<root>/gradebook.db)."""
        return self.coursedir.db_url

    @property
    def course_id(self) -> str:
        """nbgrader's course id (``CourseDirectory.course_id``), ``default_course`` when unset."""
        return self.coursedir.course_id or DEFAULT_COURSE_ID

    # -- folders -----------------------------------------------------------------------------------------------

    def directory(self, step: str, assignment: str, student: str = ".") -> Path:
        """The folder of ``assignment`` at ``step`` (one of :data:`STEPS`); per student from ``submitted`` on."""
        if step not in STEPS:
            raise ValueError(f"unknown step {step!r}; known: {', '.join(STEPS)}")
        cd = self.coursedir
        return Path(cd.format_path(getattr(cd, f"{step}_directory"), student, assignment))

    def source_dir(self, assignment: str) -> Path:
        return self.directory("source", assignment)

    def release_dir(self, assignment: str) -> Path:
        return self.directory("release", assignment)

    def submitted_dir(self, student: str, assignment: str) -> Path:
        return self.directory("submitted", assignment, student)

    def autograded_dir(self, student: str, assignment: str) -> Path:
        return self.directory("autograded", assignment, student)

    def feedback_dir(self, student: str, assignment: str) -> Path:
        return self.directory("feedback", assignment, student)

    def records_dir(self, assignment: str) -> Path:
        """Where `grader autograde` keeps one record per graded submission (hidden from nbgrader's globs)."""
        return self.directory("autograded", assignment, ".grader")

    def assignments(self) -> list[str]:
        """Names of the assignments in the source folder (folders holding at least one notebook), sorted."""
        pattern = self.coursedir.format_path(self.coursedir.source_directory, ".", "*")
        return sorted(Path(p).name for p in glob.glob(pattern) if Path(p).is_dir() and any(Path(p).glob("*.ipynb")))

    def source_notebooks(self, assignment: str) -> list[Path]:
        """The source notebooks of ``assignment``, sorted by name."""
        return sorted(self.directory("source", assignment).glob("*.ipynb"))

    def submitted_students(self, assignment: str) -> list[str]:
        """Students that have a submitted folder for `assignment`, sorted."""
        step = self.coursedir.submitted_directory
        pattern = self.coursedir.format_path(step, "*", assignment)
        regexp = re.compile(
            self.coursedir.format_path(step, "(?P<student_id>[^/]+)", re.escape(assignment), escape=True) + "$"
        )
        found = []
        for p in glob.glob(pattern):
            m = regexp.match(p)
            if m and Path(p).is_dir():
                found.append(m.group("student_id"))
        return sorted(found)

    # -- gradebook ---------------------------------------------------------------------------------------------

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


def open_course(course: Path | str = DEFAULT_COURSE) -> Course:
    """The course of a command's ``--course``: CourseNotFoundError (a usage error) unless the folder exists and
    holds nbgrader_config.py or a source/ folder."""
    root = Path(course).expanduser().resolve()
    if not root.is_dir():
        raise CourseNotFoundError(f"course folder not found: {root} (pass --course DIR)")
    if not (root / CONFIG_FILE).exists() and not (root / "source").is_dir():
        raise CourseNotFoundError(
            f"{root} is not an nbgrader course: it has neither {CONFIG_FILE} nor a source/ folder"
        )
    ensure_alembic_on_path()
    return Course.at(root)


def scratch_copy(course: Course, dest: Path | str) -> Course:
    """A copy of ``course`` in the new folder ``dest``: its config and sources, nothing nbgrader generated, and a
    fresh SQLite gradebook inside the copy whatever ``db_url`` the course configures (so nothing done to the copy
    reaches the course's own gradebook or folders).

    Raises UsageError when ``dest`` exists, or when a step folder is configured as an absolute path (the copy would
    share it).
    """
    dest = Path(dest).resolve()
    if dest.exists():
        raise UsageError(f"{dest} already exists: a scratch copy of the course needs a new folder")
    steps = {step: getattr(course.coursedir, f"{step}_directory") for step in STEPS}
    shared = sorted(f"{step}_directory = {path}" for step, path in steps.items() if Path(path).is_absolute())
    if shared:
        raise UsageError(f"{course.root / CONFIG_FILE} sets absolute folders ({'; '.join(shared)}): a copy of the "
                         "course would share them; make them relative to the course root")
    source_top = Path(steps["source"]).parts[:1]
    generated = [Path(path).parts[0] for step, path in steps.items()
                 if step != "source" and Path(path).parts and Path(path).parts[:1] != source_top]
    shutil.copytree(course.root, dest,
                    ignore=shutil.ignore_patterns(*generated, "*.db", "__pycache__", ".ipynb_checkpoints"))
    config = dest / CONFIG_FILE
    text = config.read_text() if config.exists() else ""
    db_url = f"sqlite:///{dest / 'gradebook.db'}"
    config.write_text(f"{text.rstrip()}\n\n# added by grader: this copy has its own gradebook\n"
                      f"get_config().CourseDirectory.db_url = {db_url!r}\n")
    return Course.at(dest)


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
