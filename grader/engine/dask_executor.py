"""`DaskExecutor`: notebooks graded on a Dask cluster, each worker running our fork engine, the gradebook staying here.

    grader autograde backprop --cluster local:4                  # a LocalCluster of 4 workers on this machine
    grader autograde backprop --cluster tcp://10.0.0.5:8786      # a running scheduler (dask-jobqueue, by hand)

The grading process keeps everything that decides and records a grade but running the notebook: it sanitizes each
submission, packs its job with the files of its folder as bytes (`grader.engine.dask_worker.Packed`), and sends
the jobs in chunks of `DaskExecutor.chunk`, a few chunks per worker in flight, so that a worker always has its next
chunk while this process scores the last one. Each worker runs the chunk on the fork engine that
`grader.engine.dask_worker.EnginePlugin` started there once (sandbox, limits and the course's judge, with the
submitter's variant), and returns the `JobResult`\\ s; this process scores and writes them, the gradebook's single
writer, as with the local engine.

Faults:

- a worker that dies (killed, out of memory, preempted) while running a chunk: Dask runs the chunk again on another
  worker; the notebooks of a chunk Dask gives up on (``KilledWorker``: ``allowed_failures + 1`` of its workers died)
  are suspects, and run again one at a time, each alone on the cluster (no other task of the run is out, so none
  can be the one that killed the worker, as the local engine's suspects run alone). A suspect that takes its worker
  down alone is the culprit: its result says it died (`JobResult.status` ``died``), its cells score 0, and no other
  notebook is lost;
- a lost scheduler: `ClusterLostError`, after every result that came back has been handed on (and so recorded).

`distributed` is an optional dependency (``pip install 'symmetry-grader[distributed]'``): `grader.engine` imports
this module only when the executor is asked for, and says which extra to install when it is missing.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import CancelledError
from pathlib import Path

import dask.config
from distributed import Client, Future, KilledWorker, LocalCluster, as_completed

from grader.engine.base import Executor
from grader.engine.dask_worker import PLUGIN_PREFIX, EnginePlugin, Packed, engine_pids, pack_course, run_chunk
from grader.engine.jobs import Job, JobResult
from grader.engine.sandbox import SANDBOX_VARIABLE, SANDBOXES
from grader.errors import GraderError, UsageError
from grader.grading import ASSIGNMENT_VARIABLE, EngineSettings

POLL_SECONDS = 0.02
"""How often a wait for the next finished task looks at the client's connection."""
LOCAL = "local:"
"""``local:N``: a `distributed.LocalCluster` of N single-threaded worker processes on this machine, on loopback."""
LOCAL_CONFIG = {
    # In a long run a worker holds only the task it runs: a worker that dies takes down no waiting chunk with it;
    # and with nothing queued on the workers there is nothing to steal.
    "distributed.scheduler.worker-saturation": 1.0,
    "distributed.scheduler.work-stealing": False,
    # The scheduler runs in the grading process, beside the notebooks on the same cores: its event-loop probe and
    # system monitor (for a dashboard we do not start) at their defaults took 2.7% of a core, 1.4% at these.
    "distributed.admin.tick.interval": "500ms",
    "distributed.admin.system-monitor.interval": "5s",
}
"""Dask settings of the clusters `local:N` starts."""
CHUNK_PER_SLOT = 4
"""Default notebooks per task: this many per notebook a worker runs at once. A chunk's notebooks share one task's
scheduling (a few milliseconds) and one round trip; a worker's last chunk cannot be shared with an idle one, so a run
ends at most about one chunk's time after the busiest worker's last start (docs/distributed.md)."""
WORKERS_REFRESH = 5.0
"""Seconds between two questions to the scheduler about how many workers there are (it answers with all of them)."""
MAX_FOLDER_BYTES = 256 << 20
"""A job whose folder holds more than this is not sent (its notebook scores 0, with the reason): every byte of it
would cross the network and sit in the scheduler's memory."""


class ClusterError(GraderError):
    """The Dask cluster could not be reached, or its workers could not run notebooks."""


class ClusterLostError(ClusterError):
    """The connection to the scheduler was lost during a run; what was graded before is kept."""


def parse_cluster(address: str) -> int | str:
    """The worker count of ``local:N``, or a scheduler address as given; UsageError for a malformed one."""
    if address.startswith(LOCAL):
        count = address[len(LOCAL):]
        if not count.isdigit() or int(count) < 1:
            raise UsageError(f"--cluster {address}: local:N takes a number of workers N >= 1, e.g. local:2")
        return int(count)
    if not address or any(c.isspace() for c in address):
        raise UsageError(f"--cluster {address!r}: give a scheduler address (tcp://HOST:8786) or local:N")
    return address


@dataclasses.dataclass
class _Task:
    """A chunk sent to the cluster: its jobs, when it left, and whether it runs alone (a suspect)."""

    chunk: list[Packed]
    started: float
    alone: bool = False


class DaskExecutor(Executor):
    """Runs jobs on the Dask cluster ``cluster`` (`parse_cluster`), ``jobs`` notebooks at once on each worker
    (default: the worker's threads, 1 on a ``local:N`` cluster).

    ``course``: what the course asks of the engine (`grader.grading.engine_settings`); its root's
    ``nbgrader_config.py``, ``grading/`` and non-notebook ``source/`` files are shipped to every worker once.
    ``sandbox``: the workers' engine sandbox (as `grader.engine.local.LocalForkExecutor`'s, default
    ``GRADER_SANDBOX`` of this process, else ``auto``). ``chunk``: notebooks per task (default `CHUNK_PER_SLOT`
    per notebook a worker runs at once). ``allowed_failures``: for a ``local:N`` cluster, how many workers a task may
    take down before Dask gives up on it (a remote scheduler has its own setting,
    ``distributed.scheduler.allowed-failures``). ``timeout``: seconds to connect, and to get a lost scheduler back.
    """

    name = "dask"

    def __init__(self, jobs: int | None = None, *, cluster: str, course: EngineSettings | None = None,
                 sandbox: str | None = None, chunk: int | None = None, allowed_failures: int = 1,
                 timeout: float = 30.0) -> None:
        if jobs is not None and jobs < 1:
            raise ValueError(f"jobs must be at least 1, got {jobs}")
        if chunk is not None and chunk < 1:
            raise ValueError(f"chunk must be at least 1, got {chunk}")
        self.target = parse_cluster(cluster)
        self.address = cluster
        self.jobs, self.chunk_size, self.allowed_failures, self.timeout = jobs, chunk, allowed_failures, timeout
        sandbox = sandbox or os.environ.get(SANDBOX_VARIABLE) or "auto"
        if sandbox not in SANDBOXES:
            raise ValueError(f"unknown sandbox {sandbox!r}; known: {list(SANDBOXES)}")
        self.sandbox = sandbox
        self.course = course or EngineSettings()
        self.root = Path(self.course.course) if self.course.course else None
        self._cluster: LocalCluster | None = None
        self._client: Client | None = None
        self._starting: threading.Thread | None = None
        self._failure: BaseException | None = None
        self._shared: dict[str, dict[str, bytes]] = {}  # assignment -> its source/ files, by relative path
        self.plugin = f"{PLUGIN_PREFIX}{uuid.uuid4().hex[:12]}"
        """The name of this executor's `EnginePlugin` on the workers."""

    # -- the cluster -----------------------------------------------------------------------------------------

    def start(self) -> None:
        """Connect (or start the local cluster) and start the engine on every worker, in the background: a local
        cluster's workers boot while the grader imports nbgrader; `map` waits."""
        if self._client is None and self._starting is None:
            self._failure = None
            self._starting = threading.Thread(target=self._connect_safely, name="grader-dask-start", daemon=True)
            self._starting.start()

    def _connect_safely(self) -> None:
        try:
            self._connect()
        except BaseException as exc:  # handed to the caller's thread by `client`
            self._failure = exc

    def _connect(self) -> None:
        if isinstance(self.target, int):
            with dask.config.set(LOCAL_CONFIG):
                self._cluster = LocalCluster(n_workers=self.target, threads_per_worker=1, processes=True,
                                             host="127.0.0.1", dashboard_address=None, silence_logs=logging.CRITICAL,
                                             scheduler_kwargs={"allowed_failures": self.allowed_failures,
                                                               # its health routes; 8787 may be another's
                                                               "dashboard_address": "127.0.0.1:0"})
            address = self._cluster.scheduler_address
        else:
            address = self.target
        try:
            self._client = Client(address, timeout=self.timeout, set_as_default=False)
        except (OSError, TimeoutError) as exc:
            raise ClusterError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
        course = pack_course(self.root) if self.root is not None else b""
        plugin = EnginePlugin(self.plugin, course, dataclasses.replace(self.course, course=None), self.jobs,
                              self.sandbox)
        self._client.register_plugin(plugin, name=self.plugin)

    @property
    def client(self) -> Client:
        """The connected client, the engine registered on the workers (waits for `start`)."""
        self.start()
        if self._starting is not None:
            self._starting.join()
            self._starting = None
        if self._failure is not None:
            failure, self._failure = self._failure, None
            self.close()
            if isinstance(failure, GraderError):
                raise failure
            raise ClusterError(f"the Dask cluster {self.address} did not start: {type(failure).__name__}: "
                               f"{failure}") from failure
        assert self._client is not None
        return self._client

    def engine_pids(self) -> dict[str, dict[str, int | None]]:
        """Worker address -> the process ids of that worker and of its engine's warm server and judge."""
        return self.client.run(engine_pids, self.plugin)

    def close(self) -> None:
        """Stop the engines on the workers, disconnect, and stop a local cluster."""
        if self._starting is not None:
            self._starting.join()
            self._starting = None
        client, self._client = self._client, None
        if client is not None:
            if self._cluster is None and client.status == "running":  # a shared cluster's workers stay
                with contextlib.suppress(Exception):
                    client.unregister_worker_plugin(self.plugin)
            with contextlib.suppress(Exception):
                client.close()
        cluster, self._cluster = self._cluster, None
        if cluster is not None:
            with contextlib.suppress(Exception):
                cluster.close()

    # -- the batch -------------------------------------------------------------------------------------------

    def _slots(self) -> tuple[int, int]:
        """(workers, notebooks a worker runs at once) as the scheduler knows them now."""
        workers = self.client.scheduler_info().get("workers", {})
        threads = max((w.get("nthreads", 1) for w in workers.values()), default=1)
        return max(1, len(workers)), self.jobs or threads

    def map(self, jobs: Iterable[Job]) -> Iterator[JobResult]:
        client = self.client
        workers, per_worker = self._slots()
        size = self.chunk_size or CHUNK_PER_SLOT * per_worker
        pending = iter(jobs)
        flying: dict[Future, _Task] = {}
        suspects: deque[Packed] = deque()  # were in a task Dask gave up on: each runs again, alone
        finished = as_completed(loop=client.loop)
        exhausted = False
        asked = time.monotonic()

        def send(chunk: list[Packed], alone: bool = False) -> None:
            key = f"grader-chunk-{uuid.uuid4().hex}"
            try:
                future = client.submit(run_chunk, self.plugin, chunk, key=key, pure=False)
            except Exception as exc:
                raise self._lost(exc, flying) from exc
            flying[future] = _Task(chunk, time.perf_counter(), alone)
            finished.add(future)

        def fill(out: list[JobResult]) -> None:
            """Send chunks until each worker has one running and one waiting (more when workers joined: the
            scheduler is asked every few seconds). While there are suspects, only they run, one at a time."""
            nonlocal exhausted, workers, asked
            if suspects:
                if not flying:
                    send([suspects.popleft()], alone=True)
                return
            if not exhausted and time.monotonic() - asked > WORKERS_REFRESH:
                workers, asked = self._slots()[0], time.monotonic()
            while not exhausted and len(flying) < 2 * workers + 1:
                chunk: list[Packed] = []
                while len(chunk) < size:
                    job = next(pending, None)
                    if job is None:
                        exhausted = True
                        break
                    packed = self._pack(job)
                    if isinstance(packed, JobResult):
                        out.append(packed)
                    else:
                        chunk.append(packed)
                if chunk:
                    send(chunk)

        try:
            while True:
                ready: list[JobResult] = []
                fill(ready)
                yield from ready
                if not flying:
                    if exhausted and not suspects:
                        return
                    continue
                future = self._next_done(finished, flying)
                task = flying.pop(future)
                results = self._outcome(future, task, suspects, flying)
                refused: list[JobResult] = []
                fill(refused)  # the next chunk leaves before these are scored
                yield from results
                yield from refused
        finally:
            if flying:  # stopped early or failed: cancel what is still out there
                with contextlib.suppress(Exception):
                    client.cancel(list(flying))

    def _next_done(self, finished: as_completed, flying: dict[Future, _Task]) -> Future:
        """The next finished task. A client that lost its scheduler does not always cancel what is out there (seen
        under load: the futures stay pending for ever), so a client not running for `timeout` seconds is a lost
        scheduler."""
        lost_since: float | None = None
        while not finished.has_ready():
            if self.client.status == "running":
                lost_since = None
            elif lost_since is None:
                lost_since = time.monotonic()
            elif time.monotonic() - lost_since > self.timeout:
                raise self._lost(CancelledError(), flying)
            time.sleep(POLL_SECONDS)
        return next(finished)

    def _outcome(self, future: Future, task: _Task, suspects: deque[Packed],
                 flying: dict[Future, _Task]) -> list[JobResult]:
        """The results of a finished task. A task Dask gave up on (its workers died) makes its notebooks suspects;
        a suspect that takes its worker down running alone is the culprit. A lost scheduler raises
        `ClusterLostError`."""
        try:
            results = future.result()
        except KilledWorker as exc:
            if not task.alone:
                suspects.extend(task.chunk)
                return []
            return [_culprit(task.chunk[0].job, time.perf_counter() - task.started, exc)]
        except Exception as exc:
            if future.status == "cancelled" or self._client is None or self._client.status != "running":
                raise self._lost(exc, flying) from exc
            raise ClusterError(f"a Dask worker could not run notebooks: {type(exc).__name__}: {exc}") from exc
        finally:
            future.release()
        return list(results)

    def _lost(self, exc: BaseException, flying: dict[Future, _Task]) -> ClusterLostError:
        left = sum(len(task.chunk) for task in flying.values()) + 1  # the one whose task was cancelled, too
        why = "" if isinstance(exc, CancelledError) else f" ({type(exc).__name__}: {_first_line(exc)})"
        return ClusterLostError(f"lost the connection to the Dask scheduler at {self.address}{why}; what was graded "
                                f"is kept, about {left} notebook(s) in flight were not: run the command again to "
                                "grade the rest")

    # -- packing ---------------------------------------------------------------------------------------------

    def _pack(self, job: Job) -> Packed | JobResult:
        """``job`` with its folder's files as bytes; files equal to the course's ``source/<assignment>/`` file of the
        same path are named, not sent (every worker has the course). A folder too big to send is an error result."""
        assignment = job.variables.get(ASSIGNMENT_VARIABLE) or job.judge or ""
        shared = self._source_files(assignment)
        folder = Path(job.cwd)
        files: dict[str, bytes] = {}
        same: list[str] = []
        total = 0
        try:
            for path in sorted(folder.rglob("*")):
                if not path.is_file() or path.is_symlink():
                    continue
                relative = path.relative_to(folder).as_posix()
                total += path.stat().st_size
                if total > MAX_FOLDER_BYTES:
                    return _refused(job, f"the submission's folder holds more than {MAX_FOLDER_BYTES >> 20} MiB, too "
                                         "much to send to a Dask worker")
                data = path.read_bytes()
                if shared.get(relative) == data:
                    same.append(relative)
                else:
                    files[relative] = data
        except OSError as exc:
            return _refused(job, f"the submission's folder could not be read: {exc}")
        return Packed(job, files, tuple(same), assignment if same else "")

    def _source_files(self, assignment: str) -> dict[str, bytes]:
        """The files of ``source/<assignment>/`` the workers have (`pack_course`), by relative path."""
        if assignment not in self._shared:
            files: dict[str, bytes] = {}
            folder = self.root / "source" / assignment if self.root is not None and assignment else None
            if folder is not None and folder.is_dir() and "/" not in assignment:
                for path in folder.rglob("*"):
                    relative = path.relative_to(folder)
                    if (path.is_file() and not path.is_symlink() and path.suffix != ".ipynb"
                            and "__pycache__" not in relative.parts and ".ipynb_checkpoints" not in relative.parts):
                        files[relative.as_posix()] = path.read_bytes()
            self._shared[assignment] = files
        return self._shared[assignment]


def _refused(job: Job, why: str) -> JobResult:
    """An error result for a job that was never sent: none of its cells ran (so none scores)."""
    from grader.engine.record import NotebookRecorder

    return NotebookRecorder(job).finish({"t": "exit", "killed": "spawn", "note": why}, 0.0)


def _culprit(job: Job, seconds: float, exc: KilledWorker) -> JobResult:
    """The result of a notebook that took its Dask worker down each time it ran, alone: it died; every hidden test
    of it is ``missing``, as the judge would say of a notebook that never reached it."""
    from grader.engine.record import NotebookRecorder
    from grader.judge.expected import hidden_calls

    note = (f"the notebook's process took its Dask worker down each time it ran ({_first_line(exc)}); it was "
            "not run again")
    result = dataclasses.replace(NotebookRecorder(job).finish(None, seconds, note=note), status="died")
    if job.judge is None:
        return result
    verdicts = tuple({"cell": call.cell, "grade_id": call.grade_id, "name": call.name, "status": "missing",
                      "ename": "", "message": ""} for call in hidden_calls(job.notebook))
    return dataclasses.replace(result, verdicts=verdicts)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    line = text[0] if text else type(exc).__name__
    return line if len(line) <= 200 else line[:197] + "..."

