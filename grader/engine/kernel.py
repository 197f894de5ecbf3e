"""`KernelExecutor`: jobs run by nbgrader's own ``Execute`` preprocessor, one fresh Jupyter kernel per notebook.

This is exactly what ``nbgrader autograde`` does (about a second of kernel start-up per notebook). It is the
reference the fork engine is tested against, and the path for notebooks the fork engine cannot run: a
kernelspec other than this Python (another interpreter, another language), a notebook that needs a real kernel's
machinery (ipywidgets comms, ``%connect_info``, the debugger, an interactive GUI event loop such as
``%matplotlib qt``), or code that must not share the grader's pre-imported modules.

It is not sandboxed: the kernel runs with the grader's rights, only the two time limits of `Limits` apply, and a
job without its own ``env`` gets the grader's environment reduced to the allow-list of `grader.engine.sandbox`
(docs/security.md says what that leaves open). For a course with hidden checks, the course's judge runs them, as
for the fork engine (`grader.judge`), and the result carries its verdicts.

The kernel's channels are encrypted (CurveZMQ) when its kernelspec supports it, as ipykernel's does, which is also
what silences its warning about plain TCP; its own stderr (its log, not the notebook's: ipykernel sends that as
outputs) goes to a temporary file, not to the grader's terminal, and a kernel that dies or cannot start has its last
line there added to the job's message. The notebook's outputs are nbgrader's, tracebacks included.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import math
import os
import re
import signal
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import IO, Any

from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbclient.util import run_sync
from nbgrader.preprocessors import Execute
from traitlets import Dict, TraitError

from grader.engine.base import Executor
from grader.engine.child import should_run
from grader.engine.jobs import CellRun, Job, JobResult, Status
from grader.engine.record import load_notebook
from grader.engine.sandbox import scrub_env
from grader.grading import EngineSettings
from grader.judge.host import Judge
from grader.tracebacks import ANSI

STAMP = "%Y-%m-%dT%H:%M:%S.%fZ"
KERNEL_LOG = re.compile(r"^\[\w+\] (?:DEBUG|INFO|WARNING) \| ")
"""A routine line of a kernel's own log (``[IPKernelApp] WARNING | ...``): not why it died."""
LAST_WORDS_BYTES = 4096


class _Execute(Execute):
    """nbgrader's Execute, starting its kernel with the job's environment, encrypted channels where the kernel
    supports them and its stderr into ``kernel_stderr``, and noting which cells ran."""

    kernel_env = Dict(allow_none=True, default_value=None)

    def __init__(self, kernel_stderr: IO[bytes] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.kernel_stderr = kernel_stderr
        self.runs: list[CellRun] = []
        self.running: int | None = None
        self.running_since = 0.0
        self.on_cell_execute = self._cell_starts

    async def async_start_new_kernel(self, **kwargs: Any) -> None:
        if self.kernel_env is not None:
            kwargs.setdefault("env", dict(self.kernel_env))
        kwargs.setdefault("stderr", self.kernel_stderr)
        if self.km is not None and self.km.has_trait("transport_encryption"):
            with contextlib.suppress(TraitError):  # TraitError: this pyzmq has no CurveZMQ, so plain TCP
                self.km.transport_encryption = "auto"  # Curve keys for kernels whose spec declares support
        await super().async_start_new_kernel(**kwargs)

    start_new_kernel = run_sync(async_start_new_kernel)

    def _cell_starts(self, cell: Any, cell_index: int) -> None:
        self.running, self.running_since = cell_index, time.perf_counter()

    def on_cell_executed(self, **kwargs: Any) -> None:
        super().on_cell_executed(**kwargs)
        cell, index, reply = kwargs["cell"], kwargs["cell_index"], kwargs["execute_reply"]
        content = reply["content"]
        status = "ok" if content["status"] == "ok" else "error"
        if content.get("ename") == (self.error_on_timeout or {}).get("ename"):
            status = "timeout"
        self.runs.append(CellRun(index, _cell_seconds(cell, time.perf_counter() - self.running_since), status))
        self.running = None


def _cell_seconds(cell: Any, fallback: float) -> float:
    """Kernel-side seconds of a cell (execute_input → execute_reply timestamps), else ``fallback``."""
    stamps = cell.get("metadata", {}).get("execution", {})
    try:
        start = datetime.datetime.strptime(stamps["iopub.execute_input"], STAMP)
        end = datetime.datetime.strptime(stamps["shell.execute_reply"], STAMP)
    except (KeyError, ValueError):
        return fallback
    return max(0.0, (end - start).total_seconds())


def run_kernel_job(job: Job, kernel_name: str = "", judge: Judge | None = None) -> JobResult:
    """Execute ``job`` with nbgrader's Execute preprocessor in a fresh kernel (limits: the two time limits); with
    ``judge``, its hidden tests run there (when the job asks for a judge)."""
    if judge is None or job.judge is None:
        return _run_kernel_job(job, kernel_name)
    token, variables, expected = judge.register(job.notebook, job.judge, variant=job.variant)
    result = _run_kernel_job(dataclasses.replace(job, variables={**job.variables, **variables}), kernel_name)
    return dataclasses.replace(result, verdicts=judge.finish(token, expected))


def last_words(stderr: IO[bytes]) -> str:
    """The last line a kernel wrote to its stderr that is not a routine line of its log ("" when none)."""
    stderr.seek(0, os.SEEK_END)
    stderr.seek(max(0, stderr.tell() - LAST_WORDS_BYTES))
    lines = [ANSI.sub("", line).strip() for line in stderr.read().decode(errors="replace").splitlines()]
    lines = [line for line in lines if line and not KERNEL_LOG.match(line)]
    return lines[-1][:300] if lines else ""


def _run_kernel_job(job: Job, kernel_name: str = "") -> JobResult:
    with tempfile.TemporaryFile() as kernel_stderr:  # the kernel's own stderr: read if it dies
        return _run_in_kernel(job, kernel_name, kernel_stderr)


def _run_in_kernel(job: Job, kernel_name: str, kernel_stderr: IO[bytes]) -> JobResult:
    started = time.perf_counter()
    notebook = load_notebook(job.notebook)
    limits = job.limits
    env = job.environment(scrub_env(os.environ))  # no tokens or credentials for the kernel
    client = _Execute(timeout=None if limits.cell_timeout is None else math.ceil(limits.cell_timeout),
                      iopub_timeout=math.ceil(limits.interrupt_grace), kernel_env=env, kernel_stderr=kernel_stderr)
    if kernel_name:
        client.kernel_name = kernel_name
    expired = threading.Event()
    timer = None
    if limits.notebook_timeout is not None:
        def kill_kernel() -> None:
            expired.set()
            provisioner = getattr(client.km, "provisioner", None)
            pid = getattr(provisioner, "pid", None)
            if pid:
                os.kill(pid, signal.SIGKILL)

        timer = threading.Timer(limits.notebook_timeout, kill_kernel)
        timer.daemon = True
        timer.start()
    status: Status = "ok"
    message = ""
    try:
        if not os.path.isdir(job.cwd):
            raise FileNotFoundError(f"no such folder: {job.cwd}")
        client.preprocess(notebook, {"metadata": {"path": job.cwd}})
    except DeadKernelError:
        status, message = "died", "the kernel died"
        if expired.is_set():
            status, message = "timeout", f"the notebook ran past its {limits.notebook_timeout:g} s limit"
    except CellTimeoutError as exc:
        status, message = "timeout", f"a cell did not stop after being interrupted ({exc})".splitlines()[0]
    except Exception as exc:
        status, message = "error", f"could not run the notebook: {type(exc).__name__}: {exc}"
    finally:
        if timer is not None:
            timer.cancel()
        words = last_words(kernel_stderr) if status != "ok" else ""
    runs = list(client.runs)
    stopped = None
    if status != "ok" and client.running is not None:
        stopped = client.running
        message = f"{message} during cell {stopped}"
        runs.append(CellRun(stopped, time.perf_counter() - client.running_since,
                            "timeout" if status == "timeout" else "died"))
    if words:
        message = f"{message} (the kernel's last words: {words})"
    last = max((run.index for run in runs), default=-1)
    not_run = tuple(i for i, cell in enumerate(notebook.cells) if should_run(cell) and i > last)
    return JobResult(id=job.id, notebook=notebook, status=status, message=message, cells=tuple(runs),
                     not_run=not_run if status != "ok" else (), stopped=stopped,
                     wall_seconds=time.perf_counter() - started)


class KernelExecutor(Executor):
    """nbgrader's kernel path, ``jobs`` notebooks at a time (threads, each driving its own kernel). Of ``course``
    only the course is used (its judge runs the hidden tests): each kernel imports what its notebook imports."""

    name = "kernel"

    def __init__(self, jobs: int | None = 1, *, kernel_name: str = "", course: EngineSettings | None = None) -> None:
        self.jobs = jobs or os.cpu_count() or 1
        self.kernel_name = kernel_name
        self.course = course or EngineSettings()
        self._judge: Judge | None = None

    def _judge_for(self) -> Judge | None:
        if self._judge is None and self.course.course is not None:
            self._judge = Judge(self.course.course)
        return self._judge

    def start(self) -> None:
        judge = self._judge_for()
        if judge is not None:
            judge.start()

    def close(self) -> None:
        if self._judge is not None:
            self._judge.close()
            self._judge = None

    def map(self, jobs: Iterable[Job]) -> Iterator[JobResult]:
        judge = self._judge_for()
        if self.jobs == 1:
            for job in jobs:
                yield run_kernel_job(job, self.kernel_name, judge)
            return
        with ThreadPoolExecutor(max_workers=self.jobs) as pool:
            futures = [pool.submit(run_kernel_job, job, self.kernel_name, judge) for job in jobs]
            for future in as_completed(futures):
                yield future.result()
