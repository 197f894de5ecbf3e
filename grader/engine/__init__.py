"""How notebooks are executed: jobs in, executed notebooks out, through a pluggable executor.

``fork`` (the default) runs each notebook as a fork of a warm server that has already imported IPython, NumPy,
matplotlib, the course's modules and its checks: a few milliseconds of overhead per notebook instead of a kernel
start-up, with outputs recorded as nbgrader's ``Execute`` preprocessor records them; by default in a bubblewrap
sandbox, each notebook in namespaces of its own (`grader.engine.sandbox`, `grader.engine.isolation`,
docs/security.md).
``kernel`` is nbgrader's own path (a fresh Jupyter kernel per notebook, unsandboxed), for notebooks that need a
real kernel (see `grader.engine.kernel`).
``dask`` runs the fork engine on every worker of a Dask cluster (`grader.engine.dask_executor`, docs/distributed.md;
the optional extra ``symmetry-grader[distributed]``).

    from grader.engine import Job, make_executor
    with make_executor("fork", jobs=2) as executor:
        for result in executor.map(jobs):
            print(result.id, result.status, result.total_cell_seconds)

This package stays light on purpose: the warm server imports ``grader.engine.server`` and must not pay for
nbgrader's import, so the executors are imported on first use.
"""

from __future__ import annotations

import contextlib
import importlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from grader.engine.jobs import GRADING_ENV, STATUSES, CellRun, Job, JobResult, Limits, Status
from grader.errors import UsageError
from grader.grading import engine_settings

if TYPE_CHECKING:
    from grader.engine.base import Executor
    from grader.engine.dask_executor import DaskExecutor
    from grader.engine.kernel import KernelExecutor
    from grader.engine.local import LocalForkExecutor

EXECUTORS: dict[str, str] = {"fork": "grader.engine.local:LocalForkExecutor",
                             "kernel": "grader.engine.kernel:KernelExecutor",
                             "dask": "grader.engine.dask_executor:DaskExecutor"}
"""Executor name → ``module:class`` (imported when used)."""
EXTRAS: dict[str, tuple[str, tuple[str, ...]]] = {"dask": ("distributed", ("dask", "distributed"))}
"""Executor name → (the optional extra of symmetry-grader it needs, the top-level modules that extra brings)."""
DEFAULT_EXECUTOR = "fork"
"""The executor a grading run uses unless told otherwise."""


def executor_class(name: str) -> type[Executor]:
    """The executor class registered as ``name``."""
    try:
        module, _, attribute = EXECUTORS[name].partition(":")
    except KeyError:
        raise ValueError(f"unknown executor {name!r}; known: {sorted(EXECUTORS)}") from None
    try:
        loaded = importlib.import_module(module)
    except ImportError as exc:
        extra, modules = EXTRAS.get(name, ("", ()))
        if extra and (exc.name or "").partition(".")[0] in modules:
            raise UsageError(f"the {name} executor needs the optional extra: pip install "
                             f"'symmetry-grader[{extra}]' ({exc})") from None
        raise
    return getattr(loaded, attribute)


def make_executor(name: str, **options: Any) -> Executor:
    """The executor registered as ``name``, built with ``options`` (e.g. ``jobs=4``)."""
    return executor_class(name)(**options)


@contextlib.contextmanager
def grading_executor(name: str = DEFAULT_EXECUTOR, jobs: int | None = None,
                     course: Path | str | None = None, **options: Any) -> Iterator[Executor]:
    """The executor ``name`` (``jobs`` at once) as grading the course at ``course`` uses it, started at once and
    closed on exit: the fork engine's warm server boots (about a second) while the caller goes on, so a command that
    makes it before loading nbgrader (``grader autograde``) reaches its first notebook that much sooner. The course's
    ``c.Engine`` settings and its checks come with it (`grader.grading.engine_settings`).

    Its notebooks see `GRADING_ENV`: a fork server takes its environment when it is made (a kernel when it starts,
    which `grader.autograde.run` covers). ``options`` go to the executor (``cluster=`` for ``dask``). Raises
    UsageError for an unknown name, or for one whose optional extra is not installed.
    """
    if name not in EXECUTORS:
        raise UsageError(f"unknown executor {name!r}; known: {', '.join(EXECUTORS)}")
    settings = engine_settings(course) if course is not None and Path(course).is_dir() else None
    with _environment(GRADING_ENV):
        executor = make_executor(name, jobs=jobs, course=settings, **options)
    try:
        executor.start()
        yield executor
    finally:
        executor.close()


@contextlib.contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    """``values`` set in os.environ for the block, then put back (nbgrader's ``setenv`` would import nbgrader)."""
    before = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in before.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def __getattr__(name: str) -> Any:
    lazy = {"Executor": "grader.engine.base:Executor", **{v.rpartition(":")[2]: v for v in EXECUTORS.values()}}
    if name in lazy:
        module, _, attribute = lazy[name].partition(":")
        return getattr(importlib.import_module(module), attribute)
    raise AttributeError(f"module 'grader.engine' has no attribute {name!r}")


__all__ = ["DEFAULT_EXECUTOR", "EXECUTORS", "EXTRAS", "STATUSES", "CellRun", "DaskExecutor", "Executor", "Job",
           "JobResult", "KernelExecutor", "Limits", "LocalForkExecutor", "Status", "executor_class", "grading_executor",
           "make_executor"]
