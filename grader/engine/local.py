"""`LocalForkExecutor`: jobs run as forks of a warm server process on this machine, N at a time.

The server (`grader.engine.server`) is started once per executor with ``[*command_prefix, python, ...]`` and lives
until `close`. By default (``sandbox="auto"``) it runs in the bubblewrap sandbox of `grader.engine.sandbox`, each
notebook in namespaces of its own (`grader.engine.isolation`), and each job's folder is staged into the sandbox
just before it runs; where bubblewrap is missing or does not work, it runs unsandboxed after a loud warning. Either
way its environment is the grader's reduced to an allow-list (`grader.engine.sandbox.scrub_env`). It is started in
its own session: a Ctrl-C in the terminal reaches the grader, not the notebooks (which would record it as a
KeyboardInterrupt). If the server dies (a notebook killed it), each job that was running runs again alone on a new
server: the others finish normally and the culprit gets an error.

For a course with hidden checks, the executor also runs the course's judge (`grader.judge.host`), outside the
sandbox: each job that asks for it (`Job.judge`) is registered with a token before it is sent, its hidden tests run
there, and its result carries the judge's verdicts (`JobResult.verdicts`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib.util
import os
import sys
import time
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from grader.engine.base import Executor
from grader.engine.jobs import Job, JobResult
from grader.engine.process import EngineStartError, ServerDiedError, ServerProcess
from grader.engine.sandbox import (
    ENV_ALLOW,
    JUDGE_DIR,
    SANDBOX_VARIABLE,
    SANDBOXES,
    Sandbox,
    SandboxError,
    make_sandbox,
    scrub_env,
    warn_unsandboxed,
)
from grader.grading import TOKEN_VARIABLE, EngineSettings
from grader.judge.host import SOCKET_NAME, Judge

if TYPE_CHECKING:  # imported on first use: it loads nbgrader, which `start` should not wait for
    from grader.engine.record import NotebookRecorder

PROJECT_ROOT = Path(__file__).resolve().parents[2]
BOOTSTRAP = "import sys; sys.path[0] = sys.argv.pop(1); from grader.engine.server import main; main(sys.argv[1:])"
"""The server's ``-c`` program: its first ``sys.path`` entry is the project (which its children do not get)."""


BLAS_THREADS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
"""Read by NumPy's BLAS when the server imports it. Notebooks run side by side, so each gets one thread by
default: forks each spinning several OpenBLAS threads fight over the cores and run far slower."""


def _package_dirs(preload: Sequence[str]) -> list[str]:
    """Folders of the grader and of the preloaded modules' top-level packages (the sandbox shows them read-only,
    besides the Python environment)."""
    folders = [str(Path(__file__).resolve().parents[1])]
    for name in preload:
        try:
            spec = importlib.util.find_spec(name.partition(".")[0])
        except (ImportError, ValueError):
            continue
        if spec is not None and spec.submodule_search_locations:
            folders += list(spec.submodule_search_locations)
        elif spec is not None and spec.origin and os.path.isabs(spec.origin):
            folders.append(os.path.dirname(spec.origin))
    return folders


@dataclass
class _Flight:
    job: Job
    recorder: NotebookRecorder
    started: float
    alone: bool
    staged: Path | None = None
    judged: tuple[str, list[Any]] | None = None
    """The token and the hidden calls the judge was given for this notebook."""


@dataclass
class _Prepared:
    """A job made ready to send while others run: its recorder, its request, its folder staged into the sandbox
    (once the sandbox exists), or the error result that replaces it when staging failed."""

    job: Job
    recorder: NotebookRecorder
    data: dict[str, Any]
    staged: Path | None = None
    refused: JobResult | None = None


class LocalForkExecutor(Executor):
    """Runs jobs as forks of one warm server, ``jobs`` at a time (default: the number of cores).

    ``sandbox``: ``auto`` (bubblewrap when it works, else a `SandboxWarning` and none), ``bwrap`` (required:
    `EngineStartError` when it cannot be had) or ``none`` (`grader.engine.sandbox`); by default the environment
    variable ``GRADER_SANDBOX``, else ``auto`` (so a CI job can require the sandbox). ``command_prefix`` wraps the
    server's command (inside the sandbox's); ``python`` is the interpreter it runs (it needs IPython, ipykernel
    and this package); ``course`` what the course asks of the engine (`grader.grading.engine_settings`: modules
    to import before forking and to guard, and the course whose judge runs the hidden tests of the jobs that ask
    for one, `Job.judge`; default: a course without any); ``traceback_mode`` the IPython traceback
    mode of the notebooks (`grader.engine.shell.TRACEBACK_MODES`); ``server_env`` (default: this process's
    environment) the environment notebooks inherit when their job has ``env=None``, reduced to ``env_allow``
    (`grader.engine.sandbox.ENV_ALLOW`; None keeps it whole). A job's own ``env`` is used as given. ``spare``: the
    server forks the next job's process ahead of it (`grader.engine.server`); False forks each one when its job
    comes (for comparison: `benchmarks/engine_bench.py`).
    """

    name = "fork"

    def __init__(self, jobs: int | None = None, *, sandbox: str | None = None, command_prefix: Sequence[str] = (),
                 python: str = sys.executable, course: EngineSettings | None = None,
                 traceback_mode: str = "Plain", server_env: dict[str, str] | None = None,
                 env_allow: Sequence[str] | None = ENV_ALLOW, blas_threads: int | None = 1,
                 startup_timeout: float = 120.0, spare: bool = True) -> None:
        self.jobs = jobs or os.cpu_count() or 1
        if self.jobs < 1:
            raise ValueError(f"jobs must be at least 1, got {jobs}")
        sandbox = sandbox or os.environ.get(SANDBOX_VARIABLE) or "auto"
        if sandbox not in SANDBOXES:
            raise ValueError(f"unknown sandbox {sandbox!r}; known: {list(SANDBOXES)}")
        self.sandbox_mode = sandbox
        self.course = course or EngineSettings()
        self.python, self.preload = python, list(self.course.preload)
        self.argv = [*command_prefix, python, "-c", BOOTSTRAP, str(PROJECT_ROOT), "--preload", ",".join(self.preload),
                     "--watch", ",".join(self.course.watch), "--traceback-mode", traceback_mode,
                     *([] if spare else ["--no-spare"])]
        environ = dict(os.environ if server_env is None else server_env)
        self.server_env = environ if env_allow is None else scrub_env(environ, env_allow)
        if blas_threads is not None:
            for name in BLAS_THREADS:
                self.server_env.setdefault(name, str(blas_threads))
        self.startup_timeout = startup_timeout
        self._server: ServerProcess | None = None
        self._launched: ServerProcess | None = None  # started by `start`, not yet waited for
        self._sandbox: Sandbox | None = None
        self._tags = 0
        self._mapping = False
        self._landing: list[_Flight] = []  # finished, their staged folders not removed yet
        self._judge: Judge | None = None

    @property
    def sandboxed(self) -> bool:
        """True when the running server is in the bubblewrap sandbox (known once it started)."""
        return self._sandbox is not None

    @property
    def server(self) -> ServerProcess:
        """The running server, started on first use (in the sandbox when ``sandbox`` asks for it and it works)."""
        if self._server is None or self._server.proc.poll() is not None:
            self._server = self._start()
        return self._server

    def start(self) -> None:
        """Launch the warm server without waiting for it: it boots (about a second: IPython, NumPy, matplotlib)
        while the caller goes on, and the first use of `server` waits for it. A launch that fails here is tried
        again, with its errors and fallbacks, on first use. Does nothing while one runs or is launching."""
        judge = self._judge_for()
        if judge is not None:
            judge.start()  # boots beside the warm server
        if self._launched is None and (self._server is None or self._server.proc.poll() is not None):
            with contextlib.suppress(EngineStartError, SandboxError, OSError):
                self._launched = self._launch()

    def _judge_for(self) -> Judge | None:
        """The course's judge (`grader.judge`), made on first use; None for a course without a grading folder."""
        if self._judge is None and self.course.course is not None:
            self._judge = Judge(self.course.course, self.python)
        return self._judge

    def _launch(self) -> ServerProcess:
        """The server's process, started but not waited for; in the sandbox unless it is off."""
        if self._sandbox is None and self.sandbox_mode != "none":
            judge = self._judge_for()
            try:
                self._sandbox = make_sandbox(self.sandbox_mode, self.python, _package_dirs(self.preload),
                                             judge_dir=None if judge is None else str(judge.socket_dir))
            except SandboxError as exc:
                raise EngineStartError(str(exc)) from None
        if self._sandbox is None:
            return ServerProcess(self.argv, self.server_env)
        keep = [f"--keep={path}" for path in self._sandbox.kept_in_tmp()]  # the notebooks' /tmp shows them again
        argv = self._sandbox.command([*self.argv, "--isolate", *keep])
        return ServerProcess(argv, self._sandbox.env(self.server_env))

    def _start(self) -> ServerProcess:
        launched, self._launched = self._launched, None
        try:
            server = launched if launched is not None else self._launch()
            server.handshake(self.startup_timeout)
        except (EngineStartError, SandboxError) as exc:
            if self._sandbox is None:  # no sandbox to fall back from: the server itself does not start
                raise
            return self._fall_back(str(exc))
        why = server.hello.get("isolation_error", "") if self._sandbox is not None else ""
        if why:
            server.close()
            return self._fall_back(why)
        return server

    def _fall_back(self, why: str) -> ServerProcess:
        """The sandbox does not work here: an error when ``sandbox`` is ``bwrap``; with ``auto``, a warning (said
        once) and an unsandboxed server."""
        assert self._sandbox is not None
        self._sandbox.close()
        self._sandbox = None
        if self.sandbox_mode == "bwrap":
            raise EngineStartError(f"the bubblewrap sandbox does not work here: {why}")
        self.sandbox_mode = "none"
        warn_unsandboxed(f"the bubblewrap sandbox does not work here ({why})")
        server = ServerProcess(self.argv, self.server_env)
        server.handshake(self.startup_timeout)
        return server

    def close(self) -> None:
        if self._launched is not None:
            self._launched.close()
            self._launched = None
        if self._server is not None:
            self._server.close()
            self._server = None
        if self._sandbox is not None:
            self._sandbox.close()
            self._sandbox = None
        if self._judge is not None:
            self._judge.close()
            self._judge = None

    def _prepare(self, job: Job) -> _Prepared:
        """Everything about sending ``job`` that does not need a free slot, done while notebooks run (at ``--jobs
        1`` it would otherwise come between two notebooks): its recorder, its request, and its folder staged into
        the sandbox when the sandbox is already up (the first job's is staged when it is sent)."""
        from grader.engine.record import NotebookRecorder

        prepared = _Prepared(job, NotebookRecorder(job), job.to_dict())
        if self._sandbox is not None:
            self._stage(prepared)
        return prepared

    def _stage(self, prepared: _Prepared) -> None:
        """Stage the job's folder; a folder that cannot be staged makes the job an error result."""
        assert self._sandbox is not None
        started, job = time.perf_counter(), prepared.job
        try:
            prepared.data["cwd"], prepared.staged = self._sandbox.stage(job.cwd, job.limits.disk_bytes)
        except (OSError, SandboxError) as exc:
            prepared.refused = prepared.recorder.finish({"t": "exit", "killed": "spawn", "note": str(exc)},
                                                        time.perf_counter() - started)

    def _submit(self, prepared: _Prepared, alone: bool, flights: dict[str, _Flight]) -> JobResult | None:
        """Send a prepared job to the server; a job whose folder could not be staged into the sandbox is returned
        at once as an error result instead."""
        server = self._server_for(flights)
        if self._sandbox is not None and prepared.staged is None and prepared.refused is None:
            self._stage(prepared)
        if prepared.refused is not None:
            return prepared.refused
        self._tags += 1
        tag = str(self._tags)
        flight = flights[tag] = _Flight(prepared.job, prepared.recorder, time.perf_counter(), alone, prepared.staged)
        judge = self._judge_for() if prepared.job.judge is not None else None
        if judge is not None:
            socket = judge.socket_path if self._sandbox is None else f"{JUDGE_DIR}/{SOCKET_NAME}"
            token, variables, expected = judge.register(prepared.job.notebook, prepared.job.judge, socket,
                                                        variant=prepared.job.variant)
            if self._sandbox is not None and prepared.staged is not None:  # never through the warm server's memory
                self._sandbox.give_secrets(prepared.staged, {TOKEN_VARIABLE: variables.pop(TOKEN_VARIABLE)})
            prepared.data["variables"] = {**(prepared.data.get("variables") or {}), **variables}
            flight.judged = (token, expected)
        server.send({"op": "run", "tag": tag, "job": prepared.data})
        return None

    def _verdicts(self, flight: _Flight, result: JobResult) -> JobResult:
        """``result`` with what the judge recorded of the notebook's hidden tests (when one ran them)."""
        if flight.judged is None or self._judge is None:
            return result
        token, expected = flight.judged
        flight.judged = None
        return dataclasses.replace(result, verdicts=self._judge.finish(token, expected))

    def _server_for(self, flights: dict[str, _Flight]) -> ServerProcess:
        """The server that runs ``flights``; a new one only when none are running. While jobs run on a server that
        is gone, raises `ServerDiedError`: those jobs must be dealt with (`_server_died`) before a new server starts,
        or the batch would wait for them on a server that never heard of them."""
        if flights and (self._server is None or self._server.proc.poll() is not None):
            code = None if self._server is None else self._server.proc.poll()
            raise ServerDiedError(f"the engine server exited (code {code})")
        return self.server

    def _land(self, flight: _Flight | _Prepared) -> None:
        """A job is over (or will not be sent): its staged copy goes."""
        if flight.staged is not None and self._sandbox is not None:
            self._sandbox.unstage(flight.staged)

    def _land_all(self) -> None:
        """Land the jobs `_on_frame` finished."""
        while self._landing:
            self._land(self._landing.pop())

    def map(self, jobs: Iterable[Job]) -> Iterator[JobResult]:
        if self._mapping:
            raise RuntimeError("LocalForkExecutor.map is already running: one batch at a time per executor")
        self._mapping = True
        try:
            yield from self._map(jobs)
        finally:
            self._mapping = False

    def _map(self, jobs: Iterable[Job]) -> Iterator[JobResult]:
        """The batch loop. ``jobs`` is pulled lazily: one job is kept ready beyond the running ones (the caller's
        preparation of it overlaps the notebooks that run), and a finished job's slot is refilled before its result
        is handed back (the caller's scoring overlaps the next notebook)."""
        pending = iter(jobs)
        ready: deque[_Prepared] = deque()  # pulled from ``jobs`` and prepared, not sent yet
        flights: dict[str, _Flight] = {}
        suspects: deque[Job] = deque()  # were running when the server died: each runs again, alone
        exhausted = False

        def pull() -> bool:
            nonlocal exhausted
            job = None if exhausted else next(pending, None)
            exhausted = job is None
            if job is not None:
                ready.append(self._prepare(job))
            return job is not None

        def fill(out: list[JobResult]) -> None:
            """Send jobs while slots are free (a suspect only runs alone); a job refused at once goes to ``out``."""
            while not any(flight.alone for flight in flights.values()):
                if suspects:
                    if flights:
                        return
                    prepared, alone = self._prepare(suspects.popleft()), True
                elif len(flights) < self.jobs and (ready or pull()):
                    prepared, alone = ready.popleft(), False
                else:
                    return
                refused = self._submit(prepared, alone, flights)
                if refused is not None:
                    out.append(refused)

        try:
            while True:
                finished: list[JobResult] = []
                try:
                    fill(finished)
                    if finished:
                        yield from finished
                        continue
                    if not flights:
                        return
                    if not ready and not suspects:
                        pull()
                    for frame in self._server_for(flights).frames():
                        result = self._on_frame(frame, flights)
                        if result is not None:
                            finished.append(result)
                    if finished:
                        fill(finished)  # the next notebooks start before the finished ones are cleared away
                    self._land_all()
                except ServerDiedError as exc:
                    yield from finished
                    yield from self._server_died(flights, suspects, str(exc))
                    continue
                yield from finished
        finally:
            self._land_all()
            for prepared in ready:  # stopped early: their staged folders go
                self._land(prepared)
            if flights:  # stopped early or failed: leave nothing running
                self.close()

    def _on_frame(self, frame: dict[str, Any], flights: dict[str, _Flight]) -> JobResult | None:
        """Feed one frame to its job's recorder; the job's result when the frame ends it."""
        flight = flights.get(frame.get("tag"))  # type: ignore[arg-type]
        if flight is None:
            return None
        event = frame.get("ev")
        kind = event.get("t") if isinstance(event, dict) else None
        if kind == "exit" or (kind == "done" and not flight.recorder.broken):
            # "done": every cell ran; the result need not wait for the process's teardown
            # (milliseconds for a large address space), the server still reaps and cleans up.
            del flights[frame["tag"]]
            self._landing.append(flight)
            ending = event
            if kind == "done":
                flight.recorder.feed(event)
                ending = {"t": "exit", "code": 0, "time": event.get("time")}
            return self._verdicts(flight, flight.recorder.finish(ending, time.perf_counter() - flight.started))
        broken = flight.recorder.broken
        flight.recorder.feed(event)
        if flight.recorder.broken and not broken:
            self._server_for(flights).send({"op": "kill", "tag": frame["tag"]})
        return None

    def _server_died(self, flights: dict[str, _Flight], suspects: deque[Job], why: str) -> Iterator[JobResult]:
        """The server died (a notebook can kill its parent): every job that was running is a suspect and runs
        again alone on a new server; one that kills the server while alone is the culprit and gets an error."""
        if self._server is not None:
            self._server.close()
            self._server = None
        for flight in flights.values():
            self._land(flight)
            if flight.alone:
                yield self._verdicts(flight, flight.recorder.finish(
                    None, time.perf_counter() - flight.started, note=f"the notebook killed the engine server: {why}"))
            else:
                if flight.judged is not None and self._judge is not None:  # it runs again, with another token
                    self._judge.finish(*flight.judged)
                suspects.append(flight.job)
        flights.clear()
