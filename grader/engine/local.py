"""`LocalForkExecutor`: jobs run as forks of a warm server process on this machine, N at a time.

The server (`grader.engine.server`) is started once per executor with ``[*command_prefix, python, ...]``, so a
sandbox can wrap it (``command_prefix=["bwrap", ...]``), and lives until `close`. It is started in its own session:
a Ctrl-C in the terminal reaches the grader, not the notebooks (which would record it as a KeyboardInterrupt).
If the server dies (a notebook killed it), each job that was running runs again alone on a new server: the others
finish normally and the culprit gets an error.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import subprocess
import sys
import time
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.engine import protocol
from grader.engine.base import Executor
from grader.engine.jobs import Job, JobResult
from grader.engine.record import NotebookRecorder
from grader.engine.server import DEFAULT_PRELOAD

PROJECT_ROOT = Path(__file__).resolve().parents[2]
BOOTSTRAP = "import sys; sys.path[0] = sys.argv.pop(1); from grader.engine.server import main; main(sys.argv[1:])"
"""The server's ``-c`` program: its first ``sys.path`` entry is the project (which its children do not get)."""


BLAS_THREADS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
"""Read by NumPy's BLAS when the server imports it. Notebooks run side by side, so each gets one thread by
default: two forks each spinning two OpenBLAS threads on two cores ran 4x slower than with one thread each."""


class ServerDiedError(Exception):
    """The warm server process ended or stopped speaking the protocol."""


class EngineStartError(RuntimeError):
    """The warm server could not start (wrong interpreter, missing IPython, a broken sandbox command)."""


class _Server:
    """A running warm server and the frames on its pipes."""

    def __init__(self, argv: list[str], env: dict[str, str] | None, startup_timeout: float) -> None:
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd="/", env=env,
                                     start_new_session=True)
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.in_fd, self.out_fd = self.proc.stdout.fileno(), self.proc.stdin.fileno()
        os.set_blocking(self.in_fd, False)
        os.set_blocking(self.out_fd, False)
        self.reader = protocol.FrameReader()
        self.out = bytearray()
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.in_fd, selectors.EVENT_READ)
        try:
            frames = self.frames(timeout=startup_timeout)
        except ServerDiedError as exc:
            frames = []
            why = str(exc)
        else:
            why = f"no answer within {startup_timeout:g} s"
        if not frames or frames[0].get("t") != "hello":
            self.close()
            raise EngineStartError(f"the engine server did not start ({why}): {' '.join(argv[:3])} ...")
        self.hello = frames[0]
        self.backlog = frames[1:]

    def send(self, obj: dict[str, Any]) -> None:
        self.out += protocol.encode(obj)
        self._flush()

    def _flush(self) -> None:
        try:
            while self.out:
                del self.out[:os.write(self.out_fd, self.out)]
        except BlockingIOError:
            pass
        except OSError as exc:
            raise ServerDiedError(f"the engine server stopped reading ({exc})") from None

    def frames(self, timeout: float | None = None) -> list[dict[str, Any]]:
        """Block until some frames arrive (or ``timeout``); raises `ServerDiedError` at EOF."""
        if getattr(self, "backlog", None):
            frames, self.backlog = self.backlog, []
            return frames
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            writing = bool(self.out)
            if writing:
                self.selector.register(self.out_fd, selectors.EVENT_WRITE)
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            ready = self.selector.select(left)
            if writing:
                self.selector.unregister(self.out_fd)
            frames: list[dict[str, Any]] = []
            for key, _ in ready:
                if key.fd == self.out_fd:
                    self._flush()
                    continue
                try:
                    data = os.read(self.in_fd, 1 << 20)
                except BlockingIOError:
                    continue
                if not data:
                    raise ServerDiedError(f"the engine server exited (code {self.proc.poll()})")
                try:
                    frames += self.reader.feed(data)
                except protocol.ProtocolError as exc:
                    raise ServerDiedError(f"the engine server sent garbage ({exc})") from None
            if frames or (deadline is not None and time.monotonic() >= deadline):
                return frames

    def close(self) -> None:
        with contextlib.suppress(ServerDiedError):
            self.send({"op": "exit"})
        for stream in (self.proc.stdin, self.proc.stdout):
            with contextlib.suppress(OSError):
                stream.close()  # type: ignore[union-attr]
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.selector.close()


@dataclass
class _Flight:
    job: Job
    recorder: NotebookRecorder
    started: float
    alone: bool


class LocalForkExecutor(Executor):
    """Runs jobs as forks of one warm server, ``jobs`` at a time (default: the number of cores).

    ``command_prefix`` wraps the server's command (a sandbox); ``python`` is the interpreter it runs (it needs
    IPython, ipykernel and this package); ``preload`` the modules it imports before forking; ``traceback_mode``
    the IPython traceback mode of the notebooks (`grader.engine.shell.TRACEBACK_MODES`); ``server_env`` the
    server's environment, which notebooks inherit when their job has ``env=None``.
    """

    name = "fork"

    def __init__(self, jobs: int | None = None, *, command_prefix: Sequence[str] = (), python: str = sys.executable,
                 preload: Sequence[str] = DEFAULT_PRELOAD, traceback_mode: str = "Plain",
                 server_env: dict[str, str] | None = None, blas_threads: int | None = 1,
                 startup_timeout: float = 120.0) -> None:
        self.jobs = jobs or os.cpu_count() or 1
        if self.jobs < 1:
            raise ValueError(f"jobs must be at least 1, got {jobs}")
        self.argv = [*command_prefix, python, "-c", BOOTSTRAP, str(PROJECT_ROOT), "--preload", ",".join(preload),
                     "--traceback-mode", traceback_mode]
        self.server_env = dict(os.environ if server_env is None else server_env)
        if blas_threads is not None:
            for name in BLAS_THREADS:
                self.server_env.setdefault(name, str(blas_threads))
        self.startup_timeout = startup_timeout
        self._server: _Server | None = None
        self._tags = 0
        self._mapping = False

    @property
    def server(self) -> _Server:
        """The running server, started on first use."""
        if self._server is None or self._server.proc.poll() is not None:
            self._server = _Server(self.argv, self.server_env, self.startup_timeout)
        return self._server

    def close(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None

    def _submit(self, job: Job, alone: bool, flights: dict[str, _Flight]) -> None:
        self._tags += 1
        tag = str(self._tags)
        flights[tag] = _Flight(job, NotebookRecorder(job), time.perf_counter(), alone)
        self.server.send({"op": "run", "tag": tag, "job": job.to_dict()})

    def map(self, jobs: Iterable[Job]) -> Iterator[JobResult]:
        if self._mapping:
            raise RuntimeError("LocalForkExecutor.map is already running: one batch at a time per executor")
        self._mapping = True
        try:
            yield from self._map(jobs)
        finally:
            self._mapping = False

    def _map(self, jobs: Iterable[Job]) -> Iterator[JobResult]:
        pending = iter(jobs)
        flights: dict[str, _Flight] = {}
        suspects: deque[Job] = deque()  # were running when the server died: each runs again, alone
        exhausted = False
        try:
            while True:
                try:
                    if suspects:
                        if not flights:
                            self._submit(suspects.popleft(), True, flights)
                    else:
                        while not exhausted and len(flights) < self.jobs:
                            job = next(pending, None)
                            if job is None:
                                exhausted = True
                            else:
                                self._submit(job, False, flights)
                    if not flights:
                        return
                    frames = self.server.frames()
                except ServerDiedError as exc:
                    yield from self._server_died(flights, suspects, str(exc))
                    continue
                for frame in frames:
                    flight = flights.get(frame.get("tag"))  # type: ignore[arg-type]
                    if flight is None:
                        continue
                    event = frame.get("ev")
                    kind = event.get("t") if isinstance(event, dict) else None
                    if kind == "exit" or (kind == "done" and not flight.recorder.broken):
                        # "done": every cell ran; the result need not wait for the process's teardown
                        # (milliseconds for a large address space), the server still reaps and cleans up.
                        del flights[frame["tag"]]
                        ending = event
                        if kind == "done":
                            flight.recorder.feed(event)
                            ending = {"t": "exit", "code": 0, "time": event.get("time")}
                        yield flight.recorder.finish(ending, time.perf_counter() - flight.started)
                        continue
                    broken = flight.recorder.broken
                    flight.recorder.feed(event)
                    if flight.recorder.broken and not broken:
                        self.server.send({"op": "kill", "tag": frame["tag"]})
        finally:
            if flights:  # stopped early or failed: leave nothing running
                self.close()

    def _server_died(self, flights: dict[str, _Flight], suspects: deque[Job], why: str) -> Iterator[JobResult]:
        """The server died (a notebook can kill its parent): every job that was running is a suspect and runs
        again alone on a new server; one that kills the server while alone is the culprit and gets an error."""
        if self._server is not None:
            self._server.close()
            self._server = None
        for flight in flights.values():
            if flight.alone:
                yield flight.recorder.finish(None, time.perf_counter() - flight.started,
                                             note=f"the notebook killed the engine server: {why}")
            else:
                suspects.append(flight.job)
        flights.clear()
