"""Where a course's folders and gradebook are: an nbgrader course root read through nbgrader's own config.

A course is a folder with ``nbgrader_config.py`` and ``source/<assignment>/<notebook>.ipynb`` (the layout
``nbgrader quickstart`` makes). Paths are computed by nbgrader's :class:`~nbgrader.coursedir.CourseDirectory`, so
a course that renames its folders or changes ``directory_structure`` in its config still works.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from nbgrader.coursedir import CourseDirectory
from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

CONFIG_FILE = "nbgrader_config.py"
DEFAULT_COURSE = Path(__file__).resolve().parents[1] / "assignments"
"""The course shipped with this project."""

STEPS = ("source", "release", "submitted", "autograded", "feedback")
"""nbgrader's folders, in the order an assignment goes through them."""


def load_config(root: Path) -> Config:
    """The traitlets config of ``root/nbgrader_config.py`` (an empty config when the course has none)."""
    path = Path(root) / CONFIG_FILE
    if not path.is_file():
        return Config()
    return PyFileConfigLoader(CONFIG_FILE, path=str(path.parent)).load_config()


@dataclass(frozen=True)
class Course:
    """An nbgrader course on disk."""

    root: Path
    """The course folder (absolute)."""
    config: Config
    """Its nbgrader_config.py, including sections nbgrader does not know (``Helpers``)."""

    @classmethod
    def at(cls, root: str | Path = DEFAULT_COURSE) -> Course:
        """The course whose root folder is ``root``; a FileNotFoundError names a missing folder."""
        root = Path(root).resolve()
        if not root.is_dir():
            raise FileNotFoundError(f"course folder {root} does not exist")
        return cls(root, load_config(root))

    @property
    def coursedir(self) -> CourseDirectory:
        """nbgrader's view of the course, configured like ``nbgrader`` run in :attr:`root` would be."""
        return CourseDirectory(config=self.config, root=str(self.root))

    @property
    def db_url(self) -> str:
        """The gradebook's database URL (nbgrader's default: sqlite:///<root>/gradebook.db)."""
        return self.coursedir.db_url

    def directory(self, step: str, assignment: str, student: str = ".") -> Path:
        """The folder of ``assignment`` at ``step`` (one of :data:`STEPS`); per student from ``submitted`` on."""
        if step not in STEPS:
            raise ValueError(f"unknown step {step!r}; known: {', '.join(STEPS)}")
        cd = self.coursedir
        return Path(cd.format_path(getattr(cd, f"{step}_directory"), student, assignment))

    def assignments(self) -> list[str]:
        """Names of the assignments in the source folder (folders holding at least one notebook), sorted."""
        source = Path(self.coursedir.format_path(self.coursedir.source_directory, ".", "."))
        if not source.is_dir():
            return []
        return sorted(p.name for p in source.iterdir() if p.is_dir() and any(p.glob("*.ipynb")))

    def source_notebooks(self, assignment: str) -> list[Path]:
        """The source notebooks of ``assignment``, sorted by name."""
        return sorted(self.directory("source", assignment).glob("*.ipynb"))
