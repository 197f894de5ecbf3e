"""Terminal rendering of the commands' results: aligned tables, per-student lines and the autograde progress.

Nothing here computes a grade; each function turns a result dataclass into text for the CLI to print.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TextIO

from tqdm import tqdm

from grader.autograde import FAILED, SKIPPED, AutogradeResult, SubmissionReport
from grader.check import CheckResult
from grader.collect import CollectResult
from grader.release import ReleaseResult


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """Columns padded to their widest cell; numbers right-aligned."""
    cells = [[str(h) for h in headers], *[["" if c is None else str(c) for c in row] for row in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    numeric = [all(_is_number(r[i]) for r in cells[1:]) and len(cells) > 1 for i in range(len(headers))]

    def line(row: list[str]) -> str:
        parts = [c.rjust(w) if num else c.ljust(w) for c, w, num in zip(row, widths, numeric, strict=True)]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(cells[0]), rule, *(line(r) for r in cells[1:])])


def _is_number(text: str) -> bool:
    try:
        float(text.split("/")[0])
    except ValueError:
        return False
    return True


def submission_line(report: SubmissionReport) -> str:
    """One line per submission: who, status, score; then one indented line per problem."""
    head = f"{report.student}: {report.status} {report.score:g}/{report.max_score:g}"
    if report.status != SKIPPED:
        head += f" ({report.seconds:.1f} s)"
    return "\n".join([head, *(f"  {report.student}: {p}" for p in report.problems)])


class AutogradeProgress:
    """A tqdm bar when `stream` is a terminal, with problems printed above it; plain lines otherwise (CI logs)."""

    def __init__(self, stream: TextIO | None = None, bar: bool | None = None) -> None:
        self.stream = stream or sys.stderr
        self.bar_enabled = self.stream.isatty() if bar is None else bar
        self.bar: tqdm | None = None
        self.done = 0
        self.total = 0

    def start(self, total: int) -> None:
        self.total = total
        if self.bar_enabled:
            self.bar = tqdm(total=total, file=self.stream, unit="submission", dynamic_ncols=True)

    def update(self, report: SubmissionReport) -> None:
        self.done += 1
        if self.bar is not None:
            self.bar.set_postfix_str(report.student, refresh=False)
            if report.problems:
                self.bar.write(submission_line(report), file=self.stream)
            self.bar.update(1)
        else:
            print(f"[{self.done}/{self.total}] {submission_line(report)}", file=self.stream, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def autograde_summary(result: AutogradeResult) -> str:
    rows = [(r.student, r.status, f"{r.score:g}/{r.max_score:g}", len(r.problems)) for r in result.reports]
    text = table(("student", "status", "score", "problems"), rows)
    counts = ", ".join(f"{result.count(s)} {s}" for s in ("graded", SKIPPED, FAILED))
    failed = [r for r in result.reports if r.status == FAILED]
    lines = [text, "", f"{result.assignment}: {counts}"]
    if failed:
        lines.append("could not be graded in full:")
        lines.extend(f"  {r.student}: {p}" for r in failed for p in r.problems)
    return "\n".join(lines)


def check_report(result: CheckResult) -> str:
    rows = [
        (t.name, t.status, "" if t.points is None else f"{t.points:g}/{t.max_points:g}", t.message)
        for t in result.tests
    ]
    lines = [f"{result.notebook.name}", table(("test", "result", "points", "message"), rows)] if rows else []
    lines.extend(f"problem: {p}" for p in result.problems)
    passed = sum(t.status == "passed" for t in result.counted)
    verdict = "all public tests pass" if result.ok else "NOT all public tests pass"
    lines.append(f"{passed}/{len(result.counted)} tests passed, {result.points:g}/{result.max_points:g} points: "
                 f"{verdict}")
    return "\n".join(lines)


def release_report(result: ReleaseResult) -> str:
    rows = [
        (a.name, ", ".join(a.notebooks), len(a.files), a.tests, a.manual, f"{a.max_score:g}")
        for a in result.assignments
    ]
    notes = [f"{a.name}: {a.build_note}" for a in result.assignments if a.build_note]
    return "\n".join([table(("assignment", "notebooks", "files", "tests", "manual", "points"), rows), *notes])


def collect_report(result: CollectResult) -> str:
    lines = [f"{result.assignment}: {len(result.collected)} collected, {len(result.skipped)} skipped"]
    for c in result.collected:
        new = " (new student)" if c.new_student else ""
        lines.append(f"  collected {c.student}{new}: {', '.join(c.files)} at {c.timestamp}")
        lines.extend(f"    {n}" for n in c.notes)
    for s in result.skipped:
        lines.append(f"  skipped {s.path}: {s.reason}")
    return "\n".join(lines)
