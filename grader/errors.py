"""Domain errors of the grader, and the process exit code each one becomes at the CLI boundary.

Library code raises these; only `grader.cli` turns them into exit codes:

====  ==========================================================================
code  meaning
====  ==========================================================================
0     success: everything asked for was done (and, for `check`, every public test passed)
1     something failed: a failing check, a submission that could not be graded, a release that broke
2     bad usage: an unknown option, course, assignment or file; nothing was changed
====  ==========================================================================
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2


class GraderError(Exception):
    """Something failed while doing what was asked (exit code 1)."""

    exit_code: int = EXIT_FAILURE


class UsageError(GraderError):
    """The command asked for something that does not exist or cannot be done as asked (exit code 2)."""

    exit_code = EXIT_USAGE


class CourseNotFoundError(UsageError):
    """The --course folder is missing or is not an nbgrader course."""


class AssignmentNotFoundError(UsageError):
    """An assignment named on the command line is not in the course (or not released yet)."""


class ReleaseError(GraderError):
    """Building helpers or nbgrader's generate_assignment failed for an assignment."""


class CollectError(GraderError):
    """Submissions could not be taken from the given folder or archive."""


DEBUG_VARIABLE = "GRADER_DEBUG"
"""Set to 1 to see the traceback of an unexpected error instead of its one-line message."""


class GradebookLockedError(GraderError):
    """Another process holds the gradebook's SQLite database."""


class InternalError(GraderError):
    """A failure the grader did not expect: a bug to report, said in one line (the traceback with GRADER_DEBUG=1)."""


def as_grader_error(exc: Exception) -> GraderError:
    """The one-line domain error of an exception that escaped a command: known failures of the libraries we call
    (a locked gradebook, a missing file) get their own message; anything else is an InternalError."""
    if isinstance(exc, GraderError):
        return exc
    text = str(exc)
    if type(exc).__module__.startswith(("sqlalchemy", "sqlite3")) and "database is locked" in text:
        return GradebookLockedError("the gradebook is locked by another process (another grader or nbgrader "
                                    "command?): wait for it to end, then run the command again")
    if isinstance(exc, OSError) and exc.strerror:
        where = f": {exc.filename}" if exc.filename else ""
        return GraderError(f"{exc.strerror}{where}")
    first = text.strip().splitlines()[0] if text.strip() else ""
    return InternalError(f"internal error, please report it: {type(exc).__name__}: {first} "
                         f"(run with {DEBUG_VARIABLE}=1 to see where)")
