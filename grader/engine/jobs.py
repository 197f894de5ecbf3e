"""The unit of work of the engine as plain data: a `Job` in, a `JobResult` out, both JSON-friendly.

A job is one notebook to execute in one working folder under some limits. Nothing in here knows how the
notebook runs; `grader.engine.local` (fork server) and `grader.engine.kernel` (Jupyter kernel) do.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Literal

Status = Literal["ok", "timeout", "died", "limit", "tampered", "error"]
STATUSES: tuple[str, ...] = ("ok", "timeout", "died", "limit", "tampered", "error")
"""What became of a job:

- ``ok``: every code cell ran (cells may still have raised: that is recorded in their outputs, as nbgrader does).
- ``timeout``: a cell did not stop within ``cell_timeout + interrupt_grace``, or the notebook ran past
  ``notebook_timeout``; the process was killed. (A cell that stops when interrupted at ``cell_timeout`` is not a
  job timeout: it gets nbgrader's ``CellTimeoutError`` output and the notebook goes on.)
- ``died``: the notebook's process ended on its own before the last cell (``os._exit``, a crash, ``exit()``).
  nbgrader reports the same situation as ``DeadKernelError`` and grades nothing of the notebook.
- ``limit``: a resource limit other than time was exceeded (output size, CPU seconds).
- ``tampered``: the notebook's code replaced something the grading relies on (a NumPy function, ``grader.checks``,
  IPython's cell machinery; see `grader.guard`); the notebook was stopped before its next graded cell ran on.
- ``error``: the engine could not run the job (bad notebook, missing folder, engine failure).
"""
GRADING_ENV = {"NBGRADER_EXECUTION": "autograde"}
"""What nbgrader autograde sets in the environment of the code it grades (so a notebook can tell it is graded)."""


@dataclass(frozen=True)
class Limits:
    """Resource limits of one job. ``None`` means unlimited.

    The defaults suit a course notebook (seconds of NumPy, a few plots) graded on a shared machine; a course sets
    others in its ``nbgrader_config.py`` as ``c.Limits.<field> = value`` (`Limits.from_config`). Only the two time
    limits apply to the kernel executor; the fork engine enforces all of them (``disk_bytes`` in its sandbox only).
    A notebook that exceeds one is stopped (``timeout``, ``limit``) or gets the error in the cell that hit it
    (``MemoryError``, ``OSError``), with the limit named in the error message.
    """

    cell_timeout: float | None = 30.0
    """Seconds a cell may run before it is interrupted (nbgrader's ``Execute.timeout``, default 30)."""
    interrupt_grace: float = 4.0
    """Seconds an interrupted cell gets to stop before the process is killed (nbclient's ``iopub_timeout``)."""
    notebook_timeout: float | None = 900.0
    """Wall seconds for the whole notebook, from process start; the process is killed after that."""
    max_output_bytes: int | None = 10_000_000
    """Bytes of outputs (streams, displays, tracebacks as JSON) the notebook may produce."""
    memory_bytes: int | None = 2 << 30
    """Address-space limit (RLIMIT_AS) of the notebook's process, the ~300 MB the warm server had mapped included;
    allocations beyond it raise MemoryError."""
    cpu_seconds: int | None = 900
    """CPU-time limit (RLIMIT_CPU); the process is killed by SIGXCPU beyond it."""
    file_size_bytes: int | None = 128 << 20
    """Largest file the notebook may write (RLIMIT_FSIZE); bigger writes fail with OSError (EFBIG)."""
    processes: int | None = 64
    """Processes and threads the notebook may run at once besides its own main thread (RLIMIT_NPROC, counted in
    the notebook's own user namespace in the sandbox; without it, on top of what the user already runs; not
    enforceable for root without the sandbox)."""
    disk_bytes: int | None = 512 << 20
    """Bytes the notebook may store in its folder and /tmp together: in the sandbox they live on a private tmpfs
    of this size (writes beyond it fail with OSError, ENOSPC). Without the sandbox, files go to the real folder."""

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if value is not None and (not isinstance(value, int | float) or value < 0 or math.isnan(value)):
                raise ValueError(f"Limits.{f.name} must be a non-negative number or None, got {value!r}")

    @classmethod
    def from_config(cls, section: Any, **overrides: Any) -> Limits:
        """Limits from a config section (a ``c.Limits`` traitlets section, or any mapping) and ``overrides``."""
        return cls.from_dict({**dict(section or {}), **overrides})

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Limits:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown limits {unknown}; known: {sorted(known)}")
        return cls(**data)


@dataclass(frozen=True)
class Job:
    """One notebook to execute.

    ``notebook`` is the nbformat-4 JSON as a dict (an ``nbformat.NotebookNode`` is one). ``cwd`` is the folder the
    notebook runs in (its helper files are there; nbgrader runs a notebook in its own folder). ``env`` is the
    complete environment of the notebook's process, or ``None`` to inherit the executor's; ``variables`` are set on
    top of either (which course and assignment the notebook belongs to: `grader.hidden`). ``judge``: the assignment
    whose checks the executor's judge runs for the notebook's hidden tests (`grader.judge`; the notebook's test cells
    must be the instructor's, as after `grader.restore`), or None. ``variant``: the owner's variant parameters
    (`grader.variants`), handed to the judge only: never part of what the notebook's process is sent.
    """

    id: str
    notebook: dict[str, Any]
    cwd: str
    limits: Limits = field(default_factory=Limits)
    env: dict[str, str] | None = None
    variables: dict[str, str] = field(default_factory=dict)
    judge: str | None = None
    variant: dict[str, Any] | None = None

    def environment(self, inherited: dict[str, str]) -> dict[str, str]:
        """The notebook's whole environment when it would otherwise inherit ``inherited``."""
        return {**(inherited if self.env is None else self.env), **self.variables}

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "notebook": self.notebook, "cwd": self.cwd, "limits": asdict(self.limits),
                "env": self.env, "variables": self.variables, "judge": self.judge}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Job:
        return cls(id=str(data["id"]), notebook=data["notebook"], cwd=str(data["cwd"]),
                   limits=Limits.from_dict(data.get("limits") or {}), env=data.get("env"),
                   variables=dict(data.get("variables") or {}), judge=data.get("judge"))


@dataclass(frozen=True)
class CellRun:
    """One code cell that started running."""

    index: int
    """Position of the cell in ``notebook["cells"]``."""
    seconds: float
    """Wall seconds of the cell's own code (from the start of ``run_cell`` to its end, or to the kill)."""
    status: str
    """``ok``, ``error`` (it raised: the error is in its outputs), ``timeout`` (interrupted or killed at a time
    limit) or ``died`` (the process ended during this cell)."""


@dataclass(frozen=True)
class JobResult:
    """What became of a `Job`: the executed notebook (partial when the job did not end ``ok``) and how it went."""

    id: str
    notebook: dict[str, Any]
    status: Status
    message: str = ""
    """Empty when ``ok``; otherwise one sentence for the grade report: what happened, in which cell."""
    cells: tuple[CellRun, ...] = ()
    """The code cells that started, in order."""
    not_run: tuple[int, ...] = ()
    """Indices of code cells that should have run but did not (the process ended first). A caller that scores
    the notebook must not give points for these: nbgrader's ``determine_grade`` reads "no output" as a pass."""
    stopped: int | None = None
    """When the job did not end ``ok``: the cell during which it ended (or that called ``exit()``), if any. The
    engine leaves that cell's outputs as they were (nbclient adds nothing either); marking it is the caller's."""
    wall_seconds: float = 0.0
    """Wall seconds from handing the job to the executor to its result."""
    notes: tuple[tuple[int | None, str], ...] = ()
    """Limits the notebook ran into without being stopped (a MemoryError at the memory limit, a write refused at
    the file-size limit...): (index of the cell, sentence naming the limit), for the grade report."""
    verdicts: tuple[dict[str, Any], ...] | None = None
    """When a judge ran the notebook's hidden tests (`Job.judge`): one verdict per hidden call of its test cells,
    ``{"cell", "grade_id", "name", "status", "ename", "message"}``, status ``passed``, ``failed``, ``unfinished``
    or ``missing`` (never asked); the judge's record, whatever the notebook's process showed. None: no judge."""

    @property
    def total_cell_seconds(self) -> float:
        """Σ seconds of the cells' own code: the floor under which no executor can go."""
        return sum(c.seconds for c in self.cells)

    @property
    def cell_seconds(self) -> dict[int, float]:
        return {c.index: c.seconds for c in self.cells}

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["total_cell_seconds"] = self.total_cell_seconds
        return data
