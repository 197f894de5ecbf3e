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
