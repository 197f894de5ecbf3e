"""Terminal rendering of the commands' results: aligned tables, per-student lines and the autograde progress.

Nothing here computes a grade; each function turns a result dataclass into text for the CLI to print.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, TextIO

from tqdm import tqdm

from grader.grades import FAILED as GRADES_FAILED
from grader.grades import NOT_SUBMITTED, SubmissionGrade
from grader.records import FAILED, SKIPPED, SubmissionReport

if TYPE_CHECKING:  # the results' types only: importing the commands here would undo the CLI's lazy imports
    from grader.autograde import AutogradeResult
    from grader.check import CheckResult
    from grader.collect import CollectResult
    from grader.demo import DemoResult
    from grader.release import ReleaseResult
    from grader.validate import ValidateResult


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
    """The table of tests, the student's own frames behind each failure, problems, the verdict and the time."""
    rows = [
        (t.name, t.status, "" if t.points is None else f"{t.points:g}/{t.max_points:g}", t.message)
        for t in result.tests
    ]
    lines = [f"{result.notebook.name}", table(("test", "result", "points", "message"), rows)] if rows else []
    traced: dict[tuple[str, ...], list[str]] = {}  # the same frames behind several failures are shown once
    for test in result.tests:
        if test.frames:
            traced.setdefault(tuple(test.frames), []).append(test.name)
    for frames, names in traced.items():
        lines += ["", f"{', '.join(names)} failed in your code:"]
        lines += ["    " + line for frame in frames for line in frame.splitlines()]
    if traced:
        lines += ["(Cell In[N] is the N-th code cell that ran, from the top; empty cells do not count)", ""]
    lines.extend(f"problem: {p}" for p in result.problems)
    passed = sum(t.status == "passed" for t in result.counted)
    verdict = "all public tests pass" if result.ok else "NOT all public tests pass"
    lines.append(f"{passed}/{len(result.counted)} tests passed, {result.points:g}/{result.max_points:g} points: "
                 f"{verdict} (checked in {result.seconds:.1f} s)")
    return "\n".join(lines)


def release_report(result: ReleaseResult) -> str:
    rows = [
        (a.name, ", ".join(a.notebooks), len(a.files), a.tests, a.manual, f"{a.max_score:g}")
        for a in result.assignments
    ]
    notes = [f"{a.name}: {a.build_note}" for a in result.assignments if a.build_note]
    notes += [f"{a.name}: {a.variants}" for a in result.assignments if a.variants]
    for a in result.assignments:
        if a.personal:
            folders = sorted(a.personal.values())
            notes.append(f"{a.name}: {len(folders)} notebook(s) made for one student each, in {folders[0].parent}/")
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


def validate_report(result: ValidateResult) -> str:
    """One row per submission validate graded, the failures spelled out below, one verdict line."""
    varied = any(c.variant for c in result.checks)
    rows = [
        (c.assignment, c.kind, "" if c.kind != "mutant" else c.name, *((c.variant,) if varied else ()),
         f"{c.score:g}/{c.max_score:g}", "ok" if c.ok else "FAILED", c.detail if c.ok else "see below")
        for c in result.checks
    ]
    head = ("assignment", "submission", "mutant", *(("variant",) if varied else ()), "points", "result", "detail")
    lines = [table(head, rows), ""]
    for a in result.assignments:
        rounds = f" on {a.variants} variants" if a.variants else ""
        lines.append(f"{a.name}: solution, blank and {a.mutants} mutant(s) graded{rounds} in {a.seconds:.1f} s")
    if result.failures:
        lines.append("")
        lines.extend(f"FAILED {c.assignment} {c.name}" + (f" [{c.variant}]" if c.variant else "") + f": {c.detail}"
                     for c in result.failures)
    verdict = (f"all {len(result.checks)} checks passed" if result.ok
               else f"{len(result.failures)} of {len(result.checks)} checks FAILED")
    lines.append(f"validate: {verdict} ({result.seconds:.1f} s)")
    return "\n".join(lines)


def grade_table(grades: Sequence[SubmissionGrade]) -> str:
    """Students down, assignments across: points earned / available (after any late penalty), and the total."""
    assignments = sorted({g.assignment for g in grades})
    by_pair = {(g.student, g.assignment): g for g in grades}
    rows = []
    for student in sorted({g.student for g in grades}):
        cells, score, top = [], 0.0, 0.0
        for name in assignments:
            g = by_pair.get((student, name))
            if g is None or g.status == NOT_SUBMITTED:
                cells.append("-")
                top += g.max_score if g is not None else 0.0
                continue
            cells.append(f"{g.score:g}/{g.max_score:g}" + (" !" if g.status == GRADES_FAILED else ""))
            score, top = score + g.score, top + g.max_score
        rows.append((student, *cells, f"{score:g}/{top:g}"))
    return table(("student", *assignments, "total"), rows)


def demo_report(result: DemoResult) -> str:
    """What the class handed in, the grade table, and where everything was written."""
    handed = [(s.assignment, s.student, s.kind, s.description) for s in result.submissions]
    manual = {g.assignment: sum(c.max_score for nb in g.notebooks for c in nb.cells if c.kind != "test")
              for g in result.grades if g.notebooks}
    notes = ", ".join(f"{name} {points:g}" for name, points in sorted(manual.items()) if points)
    exports = result.exports
    lines = [
        "What the class handed in",
        table(("assignment", "student", "submission", "the mistake, in the student's words"), handed),
        "",
        "Grades (autograded points / all points)",
        grade_table(result.grades),
    ]
    if notes:
        lines.append(f"written answers wait for a person (nbgrader formgrader): {notes} point(s)")
    if any(not r.ok for r in result.autograded):
        lines.append("! = could not be graded in full (see the autograde lines above)")
    lines += [
        "",
        f"everything is in {result.folder}",
        f"  course:     {result.course.root} (gradebook {result.course.db_url})",
        f"  feedback:   {len(result.feedback)} HTML report(s) under "
        f"{os.path.commonpath(result.feedback) if result.feedback else '-'}",
        *(f"  {fmt + ':':<11} {paths[0]}" for fmt, paths in exports.items() if fmt != "gradescope" and paths),
    ]
    if exports.get("gradescope"):
        first = exports["gradescope"][0]
        lines.append(f"  gradescope: {len(exports['gradescope'])} results.json, e.g. {first}")
    lines.append(f"demo finished in {result.seconds:.1f} s")
    return "\n".join(lines)
