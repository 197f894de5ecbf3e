"""The executor interface: something that turns `Job`s into `JobResult`s, yielding each as soon as it is ready.

A local fork pool and a Jupyter-kernel pool implement it today; a distributed executor only has to implement
`Executor.map` (jobs and results are plain JSON-friendly data) and be added to ``grader.engine.EXECUTORS``.
"""

from __future__ import annotations

import abc
from collections.abc import Iterable, Iterator
from types import TracebackType
from typing import ClassVar

from grader.engine.jobs import Job, JobResult


class Executor(abc.ABC):
    """Runs jobs. Use as a context manager, or call `close` when done."""

    name: ClassVar[str]

    @abc.abstractmethod
    def map(self, jobs: Iterable[Job]) -> Iterator[JobResult]:
        """Run every job and yield each result when it is ready (completion order, not input order).

        One job's failure (a crash, a timeout, a broken notebook) is its result's status: it never stops the
        others. Stopping the iteration early cancels the jobs still running.
        """

    def start(self) -> None:  # noqa: B027 (optional hook: executors with nothing to start need not override it)
        """Get ready to run jobs without waiting for it (a warm server boots in the background); `map` waits."""

    def run(self, job: Job) -> JobResult:
        """Run one job."""
        return next(iter(self.map([job])))

    def close(self) -> None:  # noqa: B027 (optional hook: executors without resources need not override it)
        """Release processes and other resources (the executor can be used again afterwards)."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
