"""The Dask executor on real clusters: a `LocalCluster` of worker processes, and a scheduler and worker started as
processes of their own (for the lost scheduler), grading the tiny course of tests/grader/conftest.py.

The cluster here runs the engine unsandboxed (``sandbox="none"``): that is what lets a notebook kill its worker.
Parity with ``--jobs 2`` on the shipped course, sandboxed, is test_dask_parity.py's.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest

from grader import autograde, cli
from grader.course import Course
from grader.engine.dask_executor import ClusterLostError, DaskExecutor
from grader.engine.jobs import Job, JobResult
from grader.grading import engine_settings
from grader.records import FAILED, GRADED, SKIPPED, SubmissionReport, load_record
from tests.grader.conftest import ASSIGNMENT, fill, submit

pytestmark = pytest.mark.slow

SLOW_SQUARE = "    import time\n    time.sleep({seconds})\n    return x * x"
"""A right answer that takes its time: the notebook is still running when the test kills its worker."""
KILL_MY_WORKER = (
    "    import os, signal\n"
    "    server = os.getppid()  # the engine's warm server; its parent is the Dask worker\n"
    "    worker = int(open(f'/proc/{server}/stat').read().rsplit(')', 1)[1].split()[1])\n"
    "    os.kill(worker, signal.SIGKILL)\n"
    "    return x * x"
)
FULL_MARKS = 3.0
"""ps1's automatic points: test_square (2) and test_cube (1); the written answer is graded by hand."""


def gone(pid: int | None, within: float = 15.0) -> bool:
    """True once no process ``pid`` is left (a zombie of ours counts as gone)."""
    deadline = time.monotonic() + within
    while pid is not None and time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                if stat.read().rsplit(")", 1)[1].split()[0] == "Z":
                    return True
        except FileNotFoundError:
            return True
        time.sleep(0.1)
    return pid is None


class Counting:
    """An executor wrapper that counts the results its `map` hands on, per job id."""

    def __init__(self, inner: DaskExecutor) -> None:
        self.inner, self.seen = inner, Counter()

    def map(self, jobs: Iterable[Job]) -> Iterator[JobResult]:
        for result in self.inner.map(jobs):
            self.seen[result.id] += 1
            yield result


class Reports:
    """A `grader.autograde.Progress` that keeps the reports and calls ``then`` after the first one."""

    def __init__(self, then=None) -> None:
        self.reports: list[SubmissionReport] = []
        self.then = then

    def start(self, total: int) -> None: ...

    def update(self, report: SubmissionReport) -> None:
        self.reports.append(report)
        if len(self.reports) == 1 and self.then is not None:
            self.then()

    def close(self) -> None: ...


@pytest.fixture(scope="module")
def cluster(released_course: Path) -> Iterator[DaskExecutor]:
    """Two single-threaded workers on loopback, the engine unsandboxed, two notebooks per task. Dask gives up on a
    task at the first worker it takes down (``allowed_failures=0``; `grader autograde` allows one), so that every
    fault here costs one worker restart, not two: the executor's own way (a chunk sent again one notebook per task,
    a notebook alone that takes its worker down is the culprit) is what is tested."""
    executor = DaskExecutor(cluster="local:2", course=engine_settings(released_course), sandbox="none", chunk=2,
                            allowed_failures=0)
    executor.start()
    yield executor
    pids = executor.engine_pids()
    executor.close()
    left = [pid for worker in pids.values() for pid in worker.values() if not gone(pid)]
    assert not left, f"processes left after the cluster closed: {left}"


def test_each_worker_runs_its_own_engine_and_judge(cluster: DaskExecutor) -> None:
    pids = cluster.engine_pids()
    assert len(pids) == 2
    for worker in pids.values():
        assert worker["server"] and worker["judge"], worker
        for child in (worker["server"], worker["judge"]):  # children of the (daemonic) worker process
            with open(f"/proc/{child}/stat") as stat:
                assert int(stat.read().rsplit(")", 1)[1].split()[1]) == worker["worker"]


def test_a_worker_killed_mid_batch_loses_nothing_and_grades_each_submission_once(
        cluster: DaskExecutor, course: Path) -> None:
    students = [f"s{i}" for i in range(4)]
    for student in students:
        submit(course, student, fill(course, square=SLOW_SQUARE.format(seconds=0.6)))
    before = cluster.engine_pids()
    killed: dict[str, int] = {}

    def kill_a_busy_worker() -> None:
        """Once a worker has been running a notebook for a while, SIGKILL it."""
        client = cluster.client
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            busy = [address for address, keys in client.processing().items() if keys]
            if busy:
                time.sleep(0.3)  # into its first notebook
                killed["pid"] = before[busy[0]]["worker"]
                os.kill(killed["pid"], signal.SIGKILL)
                return
            time.sleep(0.05)

    killer = threading.Thread(target=kill_a_busy_worker)
    counting = Counting(cluster)
    killer.start()
    try:
        result = autograde.run(course=course, assignment=ASSIGNMENT, executor=counting)  # type: ignore[arg-type]
    finally:
        killer.join()
    assert killed, "no worker was killed"
    suspicious = cluster.client.run_on_scheduler(
        lambda dask_scheduler: dask_scheduler.task_prefixes["grader-chunk"].suspicious)
    assert suspicious >= 1, "the worker was killed while it ran no task"
    assert [r.status for r in result.reports] == [GRADED] * 4, [r.problems for r in result.reports]
    assert all(r.score == FULL_MARKS for r in result.reports)
    assert sorted(counting.seen) == [f"{s}/{ASSIGNMENT}" for s in students]
    assert set(counting.seen.values()) == {1}, counting.seen
    victim = next(w for w in before.values() if w["worker"] == killed["pid"])
    assert gone(victim["server"]) and gone(victim["judge"]), "the dead worker's engine lived on"
    assert killed["pid"] not in [w["worker"] for w in cluster.engine_pids().values()]


def test_a_notebook_that_kills_its_worker_dies_alone_with_its_message(cluster: DaskExecutor, course: Path) -> None:
    submit(course, "killer", fill(course, square=KILL_MY_WORKER))
    for student in ("ann", "bob", "cy"):
        submit(course, student, fill(course))
    result = autograde.run(course=course, assignment=ASSIGNMENT, executor=cluster)
    reports = {r.student: r for r in result.reports}
    assert {s: reports[s].status for s in ("ann", "bob", "cy")} == {"ann": GRADED, "bob": GRADED, "cy": GRADED}
    assert all(reports[s].score == FULL_MARKS for s in ("ann", "bob", "cy"))
    killer = reports["killer"]
    assert killer.status == FAILED and killer.score == 0.0
    assert any("took its Dask worker down" in p for p in killer.problems), killer.problems
    assert load_record(Course.at(course), ASSIGNMENT, "killer").status == FAILED  # type: ignore[union-attr]


@pytest.fixture
def scheduler(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen]]:
    """(address, process) of a scheduler, and one worker, each a process of its own, on loopback; the worker gives
    up on its own a few seconds after the scheduler is gone."""
    address_file = tmp_path / "scheduler.json"
    python = [sys.executable, "-m"]
    quiet = {**os.environ, "DASK_LOGGING__DISTRIBUTED": "error"}
    scheduler = subprocess.Popen([*python, "distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", "0",
                                  "--no-dashboard", "--scheduler-file", str(address_file)], env=quiet,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    worker = subprocess.Popen([*python, "distributed.cli.dask_worker", "--scheduler-file", str(address_file),
                               "--nthreads", "1", "--no-nanny", "--no-dashboard", "--host", "127.0.0.1",
                               "--death-timeout", "3"], env=quiet, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)  # it waits for the scheduler's file
    try:
        deadline = time.monotonic() + 60
        while not address_file.is_file() or not address_file.read_text().strip().endswith("}"):
            assert time.monotonic() < deadline and scheduler.poll() is None, "the scheduler did not start"
            time.sleep(0.1)
        yield json.loads(address_file.read_text())["address"], scheduler
    finally:
        for process in (scheduler, worker):
            if process.poll() is None:
                process.kill()
            process.wait(timeout=30)


def test_a_lost_scheduler_is_one_clear_error_and_the_next_run_grades_only_the_rest(
        scheduler: tuple[str, subprocess.Popen], cluster: DaskExecutor, course: Path) -> None:
    address, process = scheduler
    students = [f"s{i}" for i in range(4)]
    for student in students:
        submit(course, student, fill(course, square=SLOW_SQUARE.format(seconds=0.4)))
    lost = DaskExecutor(cluster=address, course=engine_settings(course), sandbox="none", chunk=1, timeout=5)
    progress = Reports(then=process.kill)  # SIGKILL, once the first submission is graded
    try:
        with pytest.raises(ClusterLostError, match=r"^lost the connection to the Dask scheduler at tcp://127.0.0.1:"
                                                   r"\d+; what was graded is kept, .* run the command again") as lost_:
            autograde.run(course=course, assignment=ASSIGNMENT, executor=lost, progress=progress)
    finally:
        lost.close()
    assert "\n" not in str(lost_.value)
    graded = [r.student for r in progress.reports]
    assert graded and len(graded) < 4, graded
    ctx = Course.at(course)
    assert all(load_record(ctx, ASSIGNMENT, s).status == GRADED for s in graded)  # type: ignore[union-attr]

    again = autograde.run(course=course, assignment=ASSIGNMENT, executor=cluster)
    statuses = {r.student: r.status for r in again.reports}
    assert statuses == {s: SKIPPED if s in graded else GRADED for s in students}
    assert all(r.score == FULL_MARKS for r in again.reports)


def test_the_command_line_says_which_extra_to_install_without_dask(
        released_course: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # importing it now raises ImportError
    monkeypatch.delitem(sys.modules, "grader.engine.dask_executor", raising=False)
    monkeypatch.delitem(sys.modules, "grader.engine.dask_worker", raising=False)
    code = cli.main(["autograde", "--course", str(released_course), ASSIGNMENT, "--cluster", "local:2"])
    error = capsys.readouterr().err.strip()
    assert code == 2 and len(error.splitlines()) == 1, error
    assert "pip install 'symmetry-grader[distributed]'" in error


@pytest.mark.parametrize(("options", "message"), [
    (["--cluster", "local:0"], "local:N takes a number of workers N >= 1"),
    (["--cluster", "local:two"], "local:N takes a number of workers N >= 1"),
    (["--cluster", "local:1", "--executor", "kernel"], "does not take --executor kernel"),
])
def test_a_malformed_cluster_option_is_a_usage_error(released_course: Path, capsys: pytest.CaptureFixture[str],
                                                     options: list[str], message: str) -> None:
    assert cli.main(["autograde", "--course", str(released_course), ASSIGNMENT, *options]) == 2
    assert message in capsys.readouterr().err
