"""Does ``grader autograde`` on a Dask `LocalCluster` grade as ``--jobs 2`` does, on the shipped course?

The session's run of tests/real_nbgrader.py graded a released copy of the course per assignment with ``grader
autograde --executor fork --jobs 2``. Here a copy of each is graded again on a real two-worker `LocalCluster` (the
engine in its default sandbox, as in that run), for the instructor's solution, the blank release and one mutant
(the first of the mistake library that nbgrader grades too), after their autograded notebooks were removed; then
both copies get their feedback written. Compared: the gradebook (points per grade cell, manual-grading flags,
automatic comments), every error's name and message, the printed output of every test cell, and the feedback page.
Every mutant is compared by ``benchmarks/autograde_bench.py --cluster`` (docs/distributed.md).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from grader import autograde, feedback, variants
from grader.course import Course
from grader.engine.dask_executor import DaskExecutor
from grader.grading import engine_settings
from grader.records import FAILED, GRADED, load_record
from tests.assignments.specs import mutants_for
from tests.grader.test_parity_nbgrader import Graded, _read
from tests.real_nbgrader import ASSIGNMENTS, BLANK, SOLUTION, NbgraderRun, covering

pytestmark = pytest.mark.slow

VOLATILE = [(re.compile(r" at 0x[0-9a-f]+"), " at 0xADDR"),
            (re.compile(r'\n?</pre><pre class="(stdout|stderr)">'), "\n")]
"""What differs between two runs of the same grader: object addresses, and where printed text was cut into stream
outputs (the engine, as ipykernel, sends what a cell printed 0.2 s after the first write; a loaded machine moves the
cut): consecutive blocks of printed text are joined."""


def students(assignment: str) -> list[str]:
    return [SOLUTION, BLANK, covering(mutants_for(assignment))[0].name]


def _copy(run: NbgraderRun, folder: Path, chosen: list[str]) -> Path:
    """A copy of the ``--jobs 2`` course without the chosen students' autograded notebooks, records or feedback."""
    root = Path(shutil.copytree(run.fork_root, folder))
    for student in chosen:
        shutil.rmtree(root / "autograded" / student, ignore_errors=True)
        shutil.rmtree(root / "feedback" / student, ignore_errors=True)
    shutil.rmtree(root / "autograded" / ".grader", ignore_errors=True)
    return root


def _feedback(root: Path, assignment: str, chosen: list[str]) -> dict[str, str]:
    written = feedback.run(course=root, assignment=assignment, students=chosen).written
    pages = {}
    for student, path in written:
        text = path.read_text().replace(str(root), "COURSE")
        for pattern, replacement in VOLATILE:
            text = pattern.sub(replacement, text)
        pages[student] = text
    return pages


@pytest.fixture(scope="module")
def both(real_nbgrader: dict[str, NbgraderRun], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """assignment -> (reports of the Dask run, what ``--jobs 2`` wrote, what the Dask run wrote, both feedbacks)."""
    folder = tmp_path_factory.mktemp("dask-parity")
    copies = {a: _copy(real_nbgrader[a], folder / a, students(a)) for a in ASSIGNMENTS}
    local = {a: Path(shutil.copytree(real_nbgrader[a].fork_root, folder / f"{a}-local")) for a in ASSIGNMENTS}
    out: dict[str, Any] = {}
    sent: dict[str, Any] = {}  # job id -> the variant its task carried
    with DaskExecutor(cluster="local:2", course=engine_settings(copies[ASSIGNMENTS[0]])) as executor:
        pack = executor._pack
        executor._pack = lambda job: (sent.__setitem__(job.id, job.variant), pack(job))[1]  # type: ignore[method-assign]
        for a in ASSIGNMENTS:
            sent.clear()
            result = autograde.run(course=copies[a], assignment=a, students=students(a), force=True,
                                   executor=executor)
            out[a] = {"reports": result.reports, "variants": dict(sent), "root": local[a]}
    for a in ASSIGNMENTS:
        chosen = frozenset(students(a))
        out[a]["local"] = _read(real_nbgrader[a].fork_root, a, real_nbgrader[a].fork, chosen)
        out[a]["dask"] = _read(copies[a], a, real_nbgrader[a].fork, chosen)
        out[a]["feedback"] = (_feedback(local[a], a, sorted(chosen)), _feedback(copies[a], a, sorted(chosen)))
    return out


def _errors(graded: Graded) -> dict[Any, list[tuple[str, str]]]:
    return {(key, i): [(o["ename"], o["evalue"]) for o in cell.outputs if o.output_type == "error"]
            for key, nb in graded.notebooks.items() for i, cell in enumerate(nb.cells) if cell.cell_type == "code"}


def _test_output(graded: Graded) -> dict[Any, str]:
    return {(key, i): "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
            for key, nb in graded.notebooks.items() for i, cell in enumerate(nb.cells)
            if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("grade")}


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_cluster_grades_each_submission_as_the_local_engine_does(both: dict[str, Any], assignment: str) -> None:
    got = both[assignment]
    reports = {r.student: r for r in got["reports"]}
    assert sorted(reports) == sorted(students(assignment))
    assert reports[SOLUTION].status == GRADED and reports[BLANK].score < reports[SOLUTION].score
    ctx = Course.at(got["root"])  # the --jobs 2 run's records: the same totals
    assert {s: (r.score, r.max_score) for s, r in reports.items()} == {
        s: (load_record(ctx, assignment, s).score, load_record(ctx, assignment, s).max_score) for s in reports}
    assert all(r.status != FAILED or "died" not in " ".join(r.problems) for r in reports.values())
    local, dask = got["local"], got["dask"]
    assert len(dask.notebooks) == len(local.notebooks) >= 3
    assert dask.grades == local.grades
    assert dask.comments == local.comments
    assert _errors(dask) == _errors(local)
    assert any(_errors(dask).values()), "no error to compare: the blank release should fail its tests"
    assert _test_output(dask) == _test_output(local)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_each_task_carries_the_submitters_recorded_variant(both: dict[str, Any], assignment: str) -> None:
    """The judge on the worker checks each answer against the submitter's numbers: the task brings them (and the
    points above, equal to --jobs 2's, show the worker's judge used them)."""
    sent = both[assignment]["variants"]
    assert sorted(sent) == sorted(f"{s}/{assignment}" for s in students(assignment))
    root = both[assignment]["root"]  # a copy of the --jobs 2 course: its recorded variants
    if not variants.has_variants(root, assignment):
        assert set(sent.values()) == {None}
        return
    for job, variant in sent.items():
        assert variant == dict(variants.lookup(root, assignment, job.partition("/")[0]).parameters), job


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_cluster_gives_the_same_feedback(both: dict[str, Any], assignment: str) -> None:
    local, dask = both[assignment]["feedback"]
    assert sorted(dask) == sorted(students(assignment))
    assert dask == local
