"""The record of one graded submission (``autograded/.grader/<assignment>/<student>.json``): how it was graded and
a hash of the files it was graded from, so that `grader autograde` run again skips what is done.

Written by `grader.autograde` last, after the gradebook; read back by `grader.grades` for the problems it lists.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from grader.course import Course

GRADED, FAILED, SKIPPED = "graded", "failed", "skipped"


@dataclass
class SubmissionReport:
    """How one student's submission was graded (also stored as its record).

    student:     the student id
    status:      "graded"; "failed" when some of it could not be graded (unreadable or missing notebook, dead
                 kernel, an internal error); "skipped" when already graded and unchanged
    score:       points in the gradebook after grading (manual scores included, late penalty not)
    max_score:   points available
    problems:    one sentence per thing that went wrong or was repaired, for the per-student error lines
    fingerprint: hash of the submitted files this grading is for
    seconds:     wall time spent on it in this run
    """

    student: str
    status: str
    score: float = 0.0
    max_score: float = 0.0
    problems: list[str] = field(default_factory=list)
    fingerprint: str = ""
    seconds: float = 0.0



def fingerprint_submission(folder: Path) -> str:
    """sha256 over the relative paths and bytes of every file of a submitted folder (timestamp.txt included)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_symlink() or p.is_file()):
        digest.update(str(path.relative_to(folder)).encode())
        digest.update(b"\0")
        if path.is_symlink():  # never followed: a link to the gradebook or /dev/zero is hashed as a link
            digest.update(b"->" + os.readlink(path).encode())
        else:
            with path.open("rb") as file:  # streamed: a 1 GB submission must not sit in memory
                for chunk in iter(lambda: file.read(1 << 20), b""):
                    digest.update(chunk)
        digest.update(b"\0")
    return digest.hexdigest()


def record_path(ctx: Course, assignment: str, student: str) -> Path:
    return ctx.records_dir(assignment) / f"{student}.json"


def load_record(ctx: Course, assignment: str, student: str) -> SubmissionReport | None:
    """The stored report of the last finished grading of a submission, or None."""
    path = record_path(ctx, assignment, student)
    try:
        data = json.loads(path.read_text())
        return SubmissionReport(**data)
    except (OSError, ValueError, TypeError):
        return None


def save_record(ctx: Course, assignment: str, report: SubmissionReport) -> None:
    path = record_path(ctx, assignment, report.student)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(asdict(report), indent=1))
    os.replace(tmp, path)
