"""grader stats: an item-analysis page per assignment (one self-contained HTML file), and its numbers as CSV and JSON.

From the gradebook's grades (`grader.grades.read_grades`, the rows `feedback` and `export` render) it builds the
class's table of points, one row per student who submitted and one column per graded cell, and computes with
`grader.stats` the score histogram, each cell's facility, discrimination, discriminative efficiency and facility by
quintile of the total, the flags, and Cronbach's alpha; `grader.stats_failures` groups each test's failure messages
and matches them to the mistake library. `grader.stats_plots` draws the plots; the Jinja2 template
``templates/stats.html.j2`` lays out the page, each plot beside a table of its numbers. Nothing on it loads from the
network and nothing runs a script: it opens from disk, offline.

Written answers a person has yet to grade are left out of their cell's statistics (the page says how many), and
out of alpha; the totals the cells are compared with are the sums of the cells' current points.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import jinja2
import numpy as np

from grader import stats, stats_plots
from grader.course import DEFAULT_COURSE, Course, open_course
from grader.grades import FAILED, NOT_SUBMITTED, SubmissionGrade, read_grades
from grader.grading import GRADING_DIR, mutants_for
from grader.mutants import Mutant
from grader.stats import ItemStats, Measure
from grader.stats_failures import FailureGroup, group_failures

TEMPLATES = Path(__file__).parent / "templates"
DEFAULT_OUTPUT = Path("stats")
TOP_GROUPS = 8
"""Failure groups shown per test cell (the JSON has them all)."""

_environment = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, undefined=jinja2.StrictUndefined
)


@dataclass
class Cell:
    """One graded cell of the assignment, a column of the table.

    name:     the cell's grade_id ("notebook: grade_id" when the assignment has several notebooks)
    kind:     "test", "written" or "task"
    pending:  students whose score on it waits for a person
    stats:    its statistics over the students whose score counts
    failures: for tests, the groups of failure messages, most students first
    """

    name: str
    kind: str
    max_score: float
    pending: int
    stats: ItemStats
    failures: list[FailureGroup] = field(default_factory=list)


@dataclass
class AssignmentStats:
    """The item analysis of one assignment.

    students:      those who submitted, in table order
    not_submitted: students of the gradebook who did not
    scores:        the gradebook's score of each submission (late penalty taken off), in `students` order
    pending:       submissions that still wait for manual grading
    failed:        submissions that could not be graded in full
    alpha:         Cronbach's alpha over the cells graded for every student (`alpha_cells` of them)
    histogram:     (low, high, count) bins of `scores`
    mistakes:      the library's mistakes some failure group matches, by name, in library order
    library:       the mistake library's file, relative to the course ("" when the assignment has none)
    problems:      what could not be read (a broken mistake library), said on the page
    """

    assignment: str
    course_id: str
    max_score: float
    students: list[str]
    not_submitted: list[str]
    scores: list[float]
    pending: int
    failed: int
    mean: Measure
    median: Measure
    sd: Measure
    alpha: Measure
    alpha_cells: int
    histogram: list[tuple[float, float, int]]
    cells: list[Cell]
    mistakes: dict[str, Mutant]
    library: str
    problems: list[str] = field(default_factory=list)

    @property
    def flagged(self) -> list[Cell]:
        return [c for c in self.cells if c.stats.flags]


@dataclass
class StatsResult:
    """The files written by one `run`, per assignment: (html, csv, json)."""

    written: dict[str, tuple[Path, Path, Path]] = field(default_factory=dict)


def run(*, course: Path | str = DEFAULT_COURSE, assignments: Sequence[str] = (),
        output: Path | str = DEFAULT_OUTPUT) -> StatsResult:
    """Write ``<output>/<assignment>.html``, ``.csv`` and ``.json`` for each of `assignments` (default: every
    assignment in the gradebook)."""
    ctx = open_course(course)
    for name in assignments:
        ctx.require_released(name)
    grades = read_grades(ctx, assignments)
    chosen = list(assignments) or _released(ctx)
    folder = Path(output)
    folder.mkdir(parents=True, exist_ok=True)
    result = StatsResult()
    for name in chosen:
        analysis = analyse(name, [g for g in grades if g.assignment == name], ctx.course_id,
                           *_library(ctx, name))
        paths = (folder / f"{name}.html", folder / f"{name}.csv", folder / f"{name}.json")
        paths[0].write_text(render_html(analysis))
        paths[1].write_text(to_csv(analysis))
        paths[2].write_text(to_json(analysis))
        result.written[name] = paths
    return result


def _released(ctx: Course) -> list[str]:
    """The assignments of the gradebook, by name (released, whether or not anyone submitted)."""
    with ctx.gradebook() as gb:
        return sorted(a.name for a in gb.assignments)


def _library(ctx: Course, assignment: str) -> tuple[list[Mutant], str, list[str]]:
    path = ctx.root / GRADING_DIR / assignment / "mistakes.py"
    if not path.exists():
        return [], "", []
    try:
        return mutants_for(ctx.root, assignment), path.relative_to(ctx.root).as_posix(), []
    except Exception as exc:  # a broken library (any error of its code) must not hide the statistics
        return [], "", [f"the mistake library {path.name} could not be loaded ({type(exc).__name__}: {exc}); "
                        "failures are grouped without it"]


def _unscored(item: ItemStats, why: str) -> ItemStats:
    """`item` with every statistic replaced by `why` (a written answer no one has graded yet)."""
    none = Measure(None, why)
    return replace(item, mean=none, facility=none, sd=none, discrimination=none, efficiency=none,
                   quintiles=(none,) * stats.QUINTILES)


def _columns(grades: Sequence[SubmissionGrade]) -> list[tuple[str, str, str, float]]:
    """(notebook, grade_id, kind, max_score) of every graded cell, in notebook and gradebook order."""
    seen: dict[tuple[str, str], tuple[str, str, str, float]] = {}
    for g in grades:
        for nb in g.notebooks:
            for cell in nb.cells:
                seen.setdefault((nb.name, cell.name), (nb.name, cell.name, cell.kind, cell.max_score))
    return list(seen.values())


def analyse(assignment: str, grades: Sequence[SubmissionGrade], course_id: str = "",
            mistakes: Sequence[Mutant] = (), library: str = "", problems: Sequence[str] = ()) -> AssignmentStats:
    """The item analysis of one assignment's grades (every student of the gradebook, submitted or not)."""
    submitted = [g for g in grades if g.status != NOT_SUBMITTED]
    columns = _columns(submitted)
    several = len({nb for nb, _, _, _ in columns}) > 1
    n, k = len(submitted), len(columns)
    points = np.zeros((n, k))
    waiting = np.zeros((n, k), dtype=bool)
    messages: list[dict[str, list[str]]] = [{} for _ in columns]
    index = {(nb, name): j for j, (nb, name, _, _) in enumerate(columns)}
    for i, g in enumerate(submitted):
        for nb in g.notebooks:
            for cell in nb.cells:
                j = index[(nb.name, cell.name)]
                points[i, j] = cell.score
                waiting[i, j] = cell.needs_manual_grade
                if cell.kind == "test" and not cell.passed:
                    messages[j][g.student] = list(cell.messages)
    totals = points.sum(axis=1)
    students = [g.student for g in submitted]
    cells = []
    for j, (nb, name, kind, max_score) in enumerate(columns):
        counted = ~waiting[:, j]
        label = f"{nb}: {name}" if several else name
        item = stats.item_stats(label, points[counted, j], totals[counted], max_score)
        if not counted.any() and waiting[:, j].any():
            item = _unscored(item, f"all {int(waiting[:, j].sum())} wait for a person")
        groups = group_failures(name, messages[j], mistakes, students) if kind == "test" else []
        cells.append(Cell(label, kind, max_score, int(waiting[:, j].sum()), item, groups))
    complete = ~waiting.any(axis=0)
    scores = [g.score for g in submitted]
    max_score = max([g.max_score for g in grades] or [0.0])
    used = {g.mistake.name for c in cells for g in c.failures if g.mistake is not None}
    return AssignmentStats(
        assignment=assignment, course_id=course_id, max_score=max_score, students=students,
        not_submitted=[g.student for g in grades if g.status == NOT_SUBMITTED], scores=scores,
        pending=sum(g.needs_manual_grade for g in submitted), failed=sum(g.status == FAILED for g in submitted),
        mean=stats.mean(scores), median=stats.median(scores), sd=stats.sd(scores),
        alpha=stats.cronbach_alpha(points[:, complete]), alpha_cells=int(complete.sum()),
        histogram=stats.histogram(scores, max_score), cells=cells,
        mistakes={m.name: m for m in mistakes if m.name in used}, library=library, problems=list(problems),
    )


# -- rendering -------------------------------------------------------------------------------------------------

def render_html(analysis: AssignmentStats) -> str:
    """The self-contained page."""
    plots = {}
    if analysis.students:
        items = [c.stats for c in analysis.cells]
        plots = {
            "histogram": stats_plots.histogram(analysis.histogram, analysis.mean.value, analysis.median.value,
                                               analysis.max_score),
            "facility": stats_plots.facility(items),
            "discrimination": stats_plots.discrimination(items),
            "quintiles": stats_plots.quintiles(items),
        }
    return _environment.get_template("stats.html.j2").render(
        a=analysis, plots=plots, top=TOP_GROUPS, quintiles=range(stats.QUINTILES),
        thresholds={"low": stats.LOW_DISCRIMINATION, "easy": stats.TOO_EASY, "hard": stats.TOO_HARD},
        generated=dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    )


def anchor(name: str) -> str:
    """The id of a mistake's entry on the page."""
    return f"mistake-{name}"


_environment.globals["anchor"] = anchor

CSV_FIELDS = ("assignment", "cell", "kind", "max_score", "n", "pending", "mean", "facility", "sd", "discrimination",
              "efficiency", *(f"q{q + 1}_facility" for q in range(stats.QUINTILES)), "flags", "failures", "notes")


def _number(m: Measure) -> Any:
    return "" if m.value is None else round(m.value, 6)


def to_csv(analysis: AssignmentStats) -> str:
    """One row per graded cell; a statistic without a value is empty, and the notes column says why."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    for c in analysis.cells:
        s = c.stats
        named = {"mean": s.mean, "facility": s.facility, "sd": s.sd, "discrimination": s.discrimination,
                 "efficiency": s.efficiency}
        notes = sorted({f"{key}: {m.why}" for key, m in named.items() if m.value is None})
        writer.writerow({
            "assignment": analysis.assignment, "cell": c.name, "kind": c.kind, "max_score": c.max_score,
            "n": s.n, "pending": c.pending, **{key: _number(m) for key, m in named.items()},
            **{f"q{q + 1}_facility": _number(m) for q, m in enumerate(s.quintiles)},
            "flags": "; ".join(s.flags), "failures": sum(g.count for g in c.failures), "notes": "; ".join(notes),
        })
    return buffer.getvalue()


def _measure(m: Measure) -> dict[str, Any]:
    return {"value": m.value, "why": m.why} if m.value is None else {"value": m.value}


def to_json(analysis: AssignmentStats) -> str:
    """Every number of the page; a statistic without a value is ``{"value": null, "why": "..."}``."""
    a = analysis
    document = {
        "schema": "symmetry-grader/stats", "version": 1, "course": a.course_id, "assignment": a.assignment,
        "generated": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "max_score": a.max_score, "submitted": len(a.students), "not_submitted": a.not_submitted,
        "waiting_for_manual_grading": a.pending, "not_graded_in_full": a.failed,
        "mean": _measure(a.mean), "median": _measure(a.median), "sd": _measure(a.sd),
        "cronbach_alpha": {**_measure(a.alpha), "cells": a.alpha_cells},
        "histogram": [{"low": lo, "high": hi, "count": n} for lo, hi, n in a.histogram],
        "scores": dict(zip(a.students, a.scores, strict=True)),
        "cells": [{
            "cell": c.name, "kind": c.kind, "max_score": c.max_score, "n": c.stats.n, "pending": c.pending,
            "mean": _measure(c.stats.mean), "facility": _measure(c.stats.facility), "sd": _measure(c.stats.sd),
            "discrimination": _measure(c.stats.discrimination), "efficiency": _measure(c.stats.efficiency),
            "quintile_facility": [_measure(q) for q in c.stats.quintiles], "flags": list(c.stats.flags),
            "failures": [{"pattern": g.pattern, "example": g.example, "students": g.students,
                          "mistake": g.mistake.name if g.mistake else None, "also_matches": g.also}
                         for g in c.failures],
        } for c in a.cells],
        "mistakes": {name: {"description": m.description, "cell": m.cell, "targets": list(m.targets),
                            "expect": list(m.expect)} for name, m in a.mistakes.items()},
        "mistake_library": a.library, "problems": a.problems,
    }
    return json.dumps(document, indent=1) + "\n"
