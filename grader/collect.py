"""grader collect: take submissions from a folder ``<student>/<file>.ipynb`` or an LMS archive into ``submitted/``.

An archive (``.zip``, ``.tar.gz``; archives inside it too) is unpacked by nbgrader's zip_collect `ExtractorPlugin`;
every file, from a folder or an archive, is then matched by nbgrader's `FileNameCollectorPlugin`, whose
``named_regexp`` (from ``--regexp``, else ``FileNameCollectorPlugin.named_regexp`` in nbgrader_config.py, else
`DEFAULT_REGEXP`) is applied to the file's path relative to the folder or archive and must name a ``student_id``
and a ``file_id`` (optionally a ``timestamp``). Students new to the gradebook are added. Nothing is silently
dropped: every file that is not collected is listed with the reason.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from nbgrader.plugins import ExtractorPlugin, FileNameCollectorPlugin
from nbgrader.utils import parse_utc

from grader.course import DEFAULT_COURSE, Course, nbgrader_logger, open_course, quiet_sqlalchemy
from grader.errors import CollectError, UsageError

DEFAULT_REGEXP = r"(?:.*/)?(?P<student_id>[^/]+)/(?P<file_id>[^/]+)$"
"""A file's last folder is the student: ``alice/ps1.ipynb``, ``export/alice/ps1.ipynb``."""

TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S.%f UTC"


@dataclass
class Collected:
    """One student's submission, as now in ``submitted/<student>/<assignment>/``.

    student:     the student id
    files:       notebook names written
    timestamp:   the submission time written to timestamp.txt (UTC)
    new_student: True when the student was not in the gradebook before
    notes:       what was done beyond a plain copy (a renamed notebook, a replaced submission)
    """

    student: str
    files: list[str]
    timestamp: str
    new_student: bool = False
    notes: list[str] = field(default_factory=list)


@dataclass
class Skipped:
    """A file (or a whole student) that was not collected, and why."""

    path: str
    reason: str


@dataclass
class CollectResult:
    """What one `run` collected and skipped."""

    assignment: str
    collected: list[Collected] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


@dataclass
class _Candidate:
    source: Path
    label: str
    student: str
    file_id: str
    timestamp: dt.datetime


def run(
    *,
    course: Path | str = DEFAULT_COURSE,
    assignment: str,
    source: Path | str,
    regexp: str | None = None,
    force: bool = False,
) -> CollectResult:
    """Collect the submissions of `assignment` found in `source` (a folder or an archive)."""
    ctx = open_course(course)
    ctx.require_released(assignment)
    source = Path(source).expanduser().resolve()
    if not source.exists():
        raise UsageError(f"no such folder or archive: {source}")
    with ctx.gradebook() as gb:
        expected = sorted(f"{nb.name}.ipynb" for nb in gb.find_assignment(assignment).notebooks)
        known_students = {s.id for s in gb.students}

    result = CollectResult(assignment)
    with _Unpacked(ctx, source) as root:
        by_student: dict[str, list[_Candidate]] = {}
        for cand in _match(ctx, root, regexp, result):
            by_student.setdefault(cand.student, []).append(cand)
        for student in sorted(by_student):
            files, notes = _choose(by_student[student], expected, result)
            if not files:
                continue
            collected = _transfer(ctx, assignment, student, files, force, result)
            if collected is None:
                continue
            collected.notes = notes + collected.notes
            collected.new_student = student not in known_students
            result.collected.append(collected)

    if result.collected:
        with ctx.gradebook() as gb, quiet_sqlalchemy():
            for item in result.collected:
                gb.update_or_create_student(item.student)
    return result


class _Unpacked:
    """Context manager: the folder to read submissions from (an archive is unpacked into a temporary folder)."""

    def __init__(self, ctx: Course, source: Path) -> None:
        self.ctx, self.source = ctx, source
        self.tmp: tempfile.TemporaryDirectory[str] | None = None

    def __enter__(self) -> Path:
        if self.source.is_dir():
            return self.source
        self.tmp = tempfile.TemporaryDirectory(prefix="grader-collect-")
        archive_dir, extracted = Path(self.tmp.name, "archive"), Path(self.tmp.name, "extracted")
        archive_dir.mkdir()
        extracted.mkdir()
        shutil.copy(self.source, archive_dir / self.source.name)
        extractor = ExtractorPlugin(config=self.ctx.config, log=nbgrader_logger())
        if not any(self.source.name.endswith(ext) for ext in extractor.zip_ext):
            raise UsageError(
                f"{self.source} is neither a folder nor an archive ({', '.join(extractor.zip_ext)})"
            )
        try:
            extractor.extract(str(archive_dir), str(extracted))
        except Exception as exc:
            raise CollectError(f"could not unpack {self.source}: {type(exc).__name__}: {exc}") from exc
        inner = [p for p in extracted.iterdir()]
        return inner[0] if len(inner) == 1 and inner[0].is_dir() else extracted

    def __exit__(self, *exc: object) -> None:
        if self.tmp is not None:
            self.tmp.cleanup()


def _files(root: Path) -> Iterator[Path]:
    for path in sorted(root.rglob("*")):
        if path.is_file() and ".ipynb_checkpoints" not in path.parts and "__MACOSX" not in path.parts:
            yield path


def _match(ctx: Course, root: Path, regexp: str | None, result: CollectResult) -> list[_Candidate]:
    """Run nbgrader's FileNameCollectorPlugin on every file under `root`."""
    collector = FileNameCollectorPlugin(config=ctx.config, log=nbgrader_logger())
    if regexp:
        collector.named_regexp = regexp
    elif not collector.named_regexp:
        collector.named_regexp = DEFAULT_REGEXP
    candidates = []
    for path in _files(root):
        label = str(path.relative_to(root))
        if path.name == "timestamp.txt":
            continue
        if path.suffix not in collector.valid_ext:
            result.skipped.append(Skipped(label, f"not a notebook ({', '.join(collector.valid_ext)})"))
            continue
        info = collector.collect(label)
        if not info or not info.get("student_id") or not info.get("file_id"):
            result.skipped.append(
                Skipped(label, f"its path does not match {collector.named_regexp!r} (student folder missing?)")
            )
            continue
        candidates.append(_Candidate(path, label, info["student_id"], Path(info["file_id"]).name,
                                     _timestamp(path, info.get("timestamp"))))
    return candidates


def _timestamp(path: Path, matched: str | None) -> dt.datetime:
    """Submission time: from the file name, else a timestamp.txt beside it, else the file's modification time."""
    if matched:
        return parse_utc(matched)
    beside = path.parent / "timestamp.txt"
    if beside.exists() and beside.read_text().strip():
        return parse_utc(beside.read_text().strip())
    return dt.datetime.fromtimestamp(path.stat().st_mtime, tz=dt.timezone.utc).replace(tzinfo=None)


def _choose(cands: list[_Candidate], expected: list[str], result: CollectResult) -> tuple[list[_Candidate], list[str]]:
    """The files to keep for one student: expected names only, newest of duplicates, a lone notebook renamed."""
    notes: list[str] = []
    unknown = [c for c in cands if c.file_id not in expected]
    if len(expected) == 1 and len(cands) == 1 and unknown:
        cand = unknown[0]
        notes.append(f"'{cand.file_id}' collected as '{expected[0]}' (the assignment's only notebook)")
        cand.file_id = expected[0]
        unknown = []
    for cand in unknown:
        reason = f"not a notebook of this assignment (expected: {', '.join(expected)})"
        result.skipped.append(Skipped(cand.label, reason))
    newest: dict[str, _Candidate] = {}
    for cand in sorted((c for c in cands if c.file_id in expected), key=lambda c: c.timestamp):
        if cand.file_id in newest:
            older = newest[cand.file_id]
            result.skipped.append(Skipped(older.label, f"an older copy of {cand.file_id} ({cand.label} is newer)"))
        newest[cand.file_id] = cand
    return list(newest.values()), notes


def _digest(paths: list[Path]) -> str:
    h = hashlib.sha256()
    for p in sorted(paths, key=lambda p: p.name):
        h.update(p.name.encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()


def _transfer(
    ctx: Course, assignment: str, student: str, files: list[_Candidate], force: bool, result: CollectResult
) -> Collected | None:
    """Copy one student's files into submitted/, with timestamp.txt; None when skipped."""
    dest = ctx.submitted_dir(student, assignment)
    timestamp = max(c.timestamp for c in files).strftime(TIMESTAMP_FORMAT)
    notes = []
    if dest.exists():
        old = sorted(dest.glob("*.ipynb"))
        with tempfile.TemporaryDirectory() as tmp:
            staged = []
            for cand in files:
                staged.append(Path(tmp, cand.file_id))
                shutil.copy(cand.source, staged[-1])
            unchanged = _digest(old) == _digest(staged)
        if unchanged:
            result.skipped.append(Skipped(student, "already collected, unchanged"))
            return None
        if not force:
            result.skipped.append(
                Skipped(student, f"already collected with different content in {dest}; use --force to replace it")
            )
            return None
        shutil.rmtree(dest)
        notes.append("replaced an earlier collected submission")
    dest.mkdir(parents=True)
    for cand in files:
        shutil.copy(cand.source, dest / cand.file_id)
    (dest / "timestamp.txt").write_text(timestamp + "\n")
    return Collected(student, sorted(c.file_id for c in files), timestamp, notes=notes)
