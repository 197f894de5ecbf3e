"""The execution step of the autograde pipeline: plain-data jobs in, executed notebooks out; nbgrader's kernel path.

The step is swappable: anything with ``map(jobs) -> iterator of JobResult`` over `grader.engine.jobs`' plain-data
`Job` / `JobResult` can run the jobs (the fork engine of `grader.engine` plugs in here). `KernelExecutor` is the
default and runs each notebook exactly as ``nbgrader autograde`` does: nbgrader's `Execute` preprocessor, one fresh
Jupyter kernel per notebook. A job that kills its kernel comes back as a partly executed notebook with status
``died``, the cell that was running, and the code cells that never ran (`not_run`); scoring those as 0 is
`grader.autograde`'s business.
"""

from __future__ import annotations

import json
import multiprocessing
import subprocess
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any, Protocol

import nbformat
from nbclient.exceptions import DeadKernelError
from nbgrader.preprocessors import Execute
from nbgrader.utils import setenv
from traitlets.config import Config

from grader.engine.jobs import CellRun, Job, JobResult


class Executor(Protocol):
    """Runs a batch of jobs; yields one `JobResult` per job, in any order (`grader.engine`'s contract)."""

    def map(self, jobs: Iterable[Job]) -> Iterator[JobResult]: ...


KERNEL_DIED = "the kernel died (os._exit, a kill signal, or out of memory)"
"""The `failure` of a job whose kernel process ended while a cell was running."""


class _TrackedExecute(Execute):
    """nbgrader's Execute preprocessor that remembers which cell it is running."""

    current_cell: int | None = None

    def preprocess_cell(self, cell, resources, index):  # type: ignore[no-untyped-def]
        self.current_cell = index
        return super().preprocess_cell(cell, resources, index)

    def start_new_kernel(self, **kwargs: Any) -> None:
        # the kernel process's own stderr carries only ipykernel's start-up chatter; student output comes over
        # the kernel's messages, untouched
        kwargs.setdefault("stderr", subprocess.DEVNULL)
        super().start_new_kernel(**kwargs)


def execute_with_kernel(job: Job, config: Config) -> JobResult:
    """Run one job with nbgrader's `Execute` (its timeout and options come from `config`, not `job.limits`)."""
    nb = nbformat.from_dict(job.notebook)
    pp = _TrackedExecute(config=config)
    status, message = "ok", ""
    start = time.perf_counter()
    env = job.env if job.env is not None else {}
    with setenv(**env):
        try:
            nb, _ = pp(nb, {"metadata": {"path": job.cwd}})
        except DeadKernelError:
            status, message = "died", KERNEL_DIED
        except Exception as exc:  # the kernel could not start, stopped answering, ...: this job only
            status, message = "error", f"execution stopped: {type(exc).__name__}: {exc}".strip()
    failed = pp.current_cell if status != "ok" else None
    cells: tuple[CellRun, ...] = ()
    not_run: tuple[int, ...] = ()
    if failed is not None:
        cells = (CellRun(index=failed, seconds=0.0, status="died" if status == "died" else "error"),)
        not_run = tuple(i for i, c in enumerate(nb.cells) if i > failed and c.cell_type == "code")
    return JobResult(
        id=job.id,
        notebook=plain_notebook(nb),
        status=status,  # type: ignore[arg-type]
        message=message,
        cells=cells,
        not_run=not_run,
        wall_seconds=time.perf_counter() - start,
    )


def plain_notebook(nb: nbformat.NotebookNode) -> dict[str, Any]:
    """A NotebookNode as plain JSON data (so that it crosses process boundaries and compares with ==)."""
    return json.loads(json.dumps(nbformat.reads(nbformat.writes(nb), as_version=4)))


class KernelExecutor:
    """nbgrader's kernel path: one fresh Jupyter kernel per notebook.

    jobs == 1 runs in this process, one notebook after the other (exactly nbgrader's behaviour); jobs > 1 runs
    that many notebooks at once in a pool of worker processes, each starting its own kernels.
    """

    def __init__(self, config: Config | None = None, jobs: int = 1) -> None:
        if jobs < 1:
            raise ValueError(f"jobs must be at least 1, got {jobs}")
        self.config = config if config is not None else Config()
        self.jobs = jobs

    def map(self, jobs: Iterable[Job]) -> Iterator[JobResult]:
        todo = list(jobs)
        if self.jobs == 1 or len(todo) <= 1:
            for job in todo:
                yield execute_with_kernel(job, self.config)
            return
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=min(self.jobs, len(todo)), mp_context=context) as pool:
            futures = {pool.submit(execute_with_kernel, job, self.config): job for job in todo}
            try:
                for future in as_completed(futures):
                    job = futures[future]
                    try:
                        yield future.result()
                    except Exception as exc:  # a worker process died: only its job is lost
                        message = f"execution stopped: the worker process failed ({type(exc).__name__}: {exc})"
                        not_run = tuple(i for i, c in enumerate(job.notebook["cells"]) if c["cell_type"] == "code")
                        yield JobResult(id=job.id, notebook=job.notebook, status="error", message=message,
                                        not_run=not_run)
            finally:
                for future in futures:
                    future.cancel()
