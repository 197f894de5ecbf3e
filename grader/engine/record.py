"""Rebuilds the executed notebook from a notebook process's events, with nbclient's and nbgrader's own code.

The events are Jupyter messages (`grader.engine.child`); they go through the ``process_message`` of a real
nbgrader ``Execute`` preprocessor (an nbclient ``NotebookClient``) and its ``on_cell_executed`` hook. So outputs,
``execution_count``, display-id updates, ``clear_output(wait=True)``, the timing metadata and nbgrader's rule
"append the reply's error when no output carries it" (how a timed-out cell gets its ``CellTimeoutError``) are
recorded by the very code nbgrader runs; nothing here re-implements them.

Events come from student-controlled processes: each is checked, and a malformed one ends the job as an error.
The tracebacks the process printed are cleaned here, on the grader's side, when the job ends (`grader.tracebacks`):
only the student's frames are kept, so no frame of the grader, the judge or any library, and no path of the
grading machine, reaches the autograded notebook.
"""

from __future__ import annotations

import copy
import datetime
import os
import posixpath
import signal
from typing import Any

import nbformat
from nbclient.client import timestamp
from nbclient.exceptions import CellExecutionComplete
from nbformat.v4.rwbase import rejoin_lines
from nbgrader.preprocessors import Execute

from grader.engine.child import should_run
from grader.engine.jobs import CellRun, Job, JobResult, Status
from grader.engine.sandbox import NOTEBOOK_HOME
from grader.tracebacks import clean_notebook

IOPUB_TYPES = frozenset({"status", "execute_input", "stream", "display_data", "update_display_data",
                         "execute_result", "error", "clear_output"})
FATAL_STATUSES = frozenset({"error", "died", "limit", "tampered"})
MSG_ID = "engine"
MAX_NOTES = 20
"""Limit notes kept per job (a loop hitting the memory limit a thousand times needs saying once or so)."""


class BadEventError(Exception):
    """An event that does not fit the protocol or the notebook."""


def _require(condition: bool, what: str) -> None:
    if not condition:
        raise BadEventError(what)


def _date(seconds: Any) -> datetime.datetime:
    _require(isinstance(seconds, int | float), "time must be a number")
    return datetime.datetime.fromtimestamp(seconds, tz=datetime.timezone.utc)


def load_notebook(notebook: dict[str, Any]) -> nbformat.NotebookNode:
    """A private NotebookNode copy of ``notebook`` with multi-line strings joined (as nbformat.reads does)."""
    return rejoin_lines(nbformat.from_dict(copy.deepcopy(notebook)))


def _describe_exit(event: dict[str, Any]) -> str:
    if event.get("signal"):
        try:
            name = signal.Signals(event["signal"]).name
        except ValueError:
            name = f"signal {event['signal']}"
        return f"was killed by {name}"
    return f"exited with code {event.get('code')}"


def student_folders(cwd: str) -> tuple[str, ...]:
    """A job's folder as the notebook's own code may have named it: the folder itself, or its copy in the sandbox's
    home (which IPython writes ``~/<name>``, the sandbox's home being the notebook's)."""
    name = os.path.basename(os.path.normpath(cwd))
    return cwd, posixpath.join(NOTEBOOK_HOME, name), f"~/{name}"


class NotebookRecorder:
    """Feeds one job's events into a notebook; `finish` turns it into a `JobResult`."""

    def __init__(self, job: Job, client: Execute | None = None) -> None:
        self.job = job
        self.nb = load_notebook(job.notebook)
        self.client = client if client is not None else Execute()
        self.client.nb = self.nb
        self.client.reset_execution_trackers()
        self.client.clear_before_next_output = False
        self.current: int | None = None
        self.cell_started = 0.0
        self.last_started = -1
        self.reply: dict[str, Any] | None = None
        self.runs: list[CellRun] = []
        self.fatal: tuple[Status, str] | None = None
        self.done = False
        self.broken = ""
        self.exit_cell: int | None = None
        self.notes: list[tuple[int | None, str]] = []

    # -- events ---------------------------------------------------------------------------------------------------
    def feed(self, event: Any) -> None:
        """Apply one event; a bad one marks the job broken (see `finish`) and later events are ignored."""
        if self.broken:
            return
        try:
            self._feed(event)
        except Exception as exc:
            self.broken = f"the notebook's process sent an invalid message ({type(exc).__name__}: {exc})"

    def _feed(self, event: Any) -> None:
        _require(isinstance(event, dict), "an event must be an object")
        kind = event.get("t")
        if kind == "hello":
            _require(isinstance(event.get("language_info"), dict), "language_info must be an object")
            self.nb.metadata["language_info"] = event["language_info"]
        elif kind == "cell":
            _require(self.current is None, "a cell started before the previous one ended")
            _require(event.get("i") == self._next_cell(), f"cell {event.get('i')!r} is not the next code cell to run")
            self._start(event["i"], event.get("time"))
        elif kind == "iopub":
            _require(self.current is not None, "output outside a cell")
            msg_type, content = event.get("m"), event.get("c")
            _require(msg_type in IOPUB_TYPES and isinstance(content, dict), f"bad message {msg_type!r}")
            transient = content.get("transient")
            _require(transient is None or isinstance(transient, dict), "transient must be an object")
            msg = {"msg_type": msg_type, "header": {"msg_type": msg_type, "date": _date(event.get("time"))},
                   "parent_header": {"msg_id": MSG_ID}, "metadata": {}, "content": content}
            cell = self.nb.cells[self.current]
            if msg_type == "status":
                _require(content.get("execution_state") in ("busy", "idle"), "bad execution_state")
                if content["execution_state"] == "idle":
                    _require(self.reply is not None, "a cell ended without a reply")
            try:
                self.client.process_message(msg, cell, self.current)
            except CellExecutionComplete:
                self._complete()
        elif kind == "reply":
            _require(self.current is not None and self.reply is None, "a reply outside a cell")
            content = event.get("c")
            _require(isinstance(content, dict) and content.get("status") in ("ok", "error"), "bad reply")
            _require(isinstance(event.get("seconds"), int | float), "bad seconds")
            _date(event.get("time"))
            self.reply = event
            if self.client.record_timing:
                stamp = timestamp({"header": {"date": _date(event["time"])}})
                self.nb.cells[self.current]["metadata"]["execution"]["shell.execute_reply"] = stamp
        elif kind == "fatal":
            _require(event.get("status") in FATAL_STATUSES and isinstance(event.get("message"), str), "bad fatal")
            self.fatal = (event["status"], event["message"])
            cell = event.get("i")
            if isinstance(cell, int) and 0 <= cell < len(self.nb.cells):
                self.exit_cell = cell
        elif kind == "limit":
            _require(isinstance(event.get("note"), str), "bad limit note")
            if len(self.notes) < MAX_NOTES:
                self.notes.append((self.current, event["note"][:300]))
        elif kind == "done":
            _require(self.current is None and self._next_cell() is None, "'done' before the last cell ran")
            self.done = True
        else:
            raise BadEventError(f"unknown event {kind!r}")

    def _next_cell(self) -> int | None:
        """The code cell that must run next (cells run in order, none skipped, as in nbclient)."""
        cells = self.nb.cells
        return next((i for i in range(self.last_started + 1, len(cells)) if should_run(cells[i])), None)

    def _start(self, index: int, seconds: Any) -> None:
        cell = self.nb.cells[index]
        if self.client.record_timing:
            cell["metadata"]["execution"] = {}
        cell.outputs = []
        self.client.clear_before_next_output = False
        self.current, self.last_started = index, index
        self.cell_started = _date(seconds).timestamp()
        self.reply = None

    def _complete(self) -> None:
        """The cell's idle message: nbclient's end of ``async_execute_cell`` with nbgrader's hook."""
        assert self.current is not None and self.reply is not None
        index, event = self.current, self.reply
        content = event["c"]
        if event.get("timed_out") and self.client.interrupt_on_timeout and self.client.error_on_timeout:
            content = {**self.client.error_on_timeout, "status": "error"}
        reply = {"content": content, "header": {"date": _date(event["time"])}, "parent_header": {"msg_id": MSG_ID}}
        hook = self.client.on_cell_executed
        if hook:
            hook(cell=self.nb.cells[index], cell_index=index, execute_reply=reply)
        status = "timeout" if event.get("timed_out") else ("error" if content["status"] == "error" else "ok")
        self.runs.append(CellRun(index, float(event["seconds"]), status))
        self.current, self.reply = None, None

    # -- the end --------------------------------------------------------------------------------------------------
    def finish(self, exit_event: dict[str, Any] | None, wall_seconds: float, note: str = "") -> JobResult:
        """The result once the process is gone (``exit_event`` from the server; ``None`` if the server died)."""
        if self.current is not None and self.reply is not None and not self.broken:
            self._complete()  # it ended between its reply and its idle message
        exit_event = exit_event or {}
        status, message = self._verdict(exit_event, note)
        stopped = None if status == "ok" else (self.current if self.current is not None else self.exit_cell)
        if self.current is not None:
            self._abort_cell(status, exit_event.get("time"))
        clean_notebook(self.nb, student_folders(self.job.cwd))
        not_run = tuple(i for i, cell in enumerate(self.nb.cells) if should_run(cell) and i > self.last_started)
        return JobResult(id=self.job.id, notebook=self.nb, status=status, message=message, cells=tuple(self.runs),
                         not_run=not_run, stopped=stopped, wall_seconds=wall_seconds, notes=tuple(self.notes))

    def _verdict(self, exit_event: dict[str, Any], note: str) -> tuple[Status, str]:
        killed, limits, cell = exit_event.get("killed"), self.job.limits, self.current
        during = f" during cell {cell}" if cell is not None else ""
        if self.broken:
            return "error", self.broken
        if killed == "cell_timeout":
            return "timeout", (f"cell {cell} was interrupted at its {limits.cell_timeout:g} s limit, did not stop "
                               f"within {limits.interrupt_grace:g} s, and was killed")
        if killed in ("notebook_timeout", "backstop"):
            if killed == "backstop" or limits.notebook_timeout is None:
                return "timeout", f"the notebook ran past the time all its cells were allowed{during} and was killed"
            return "timeout", f"the notebook ran past its {limits.notebook_timeout:g} s limit{during} and was killed"
        if killed in ("protocol", "spawn"):
            return "error", str(exit_event.get("note") or "the notebook's process sent a malformed message")
        if killed == "cancelled":
            return "error", "the job was cancelled"
        if self.fatal is not None:
            return self.fatal
        if not exit_event:
            return "error", note or "the engine server stopped while running this notebook"
        if self.done and exit_event.get("code") == 0:
            return "ok", ""
        how = _describe_exit(exit_event)
        cpu, sig = exit_event.get("cpu"), exit_event.get("signal")
        used_up = isinstance(cpu, int | float) and limits.cpu_seconds is not None and cpu >= limits.cpu_seconds - 0.05
        if limits.cpu_seconds is not None and (sig == signal.SIGXCPU or (sig == signal.SIGKILL and used_up)):
            return "limit", f"the notebook used more than its {limits.cpu_seconds} s of CPU time{during}"
        where = during or (" after its last cell" if self.done else " between cells")
        return "died", f"the notebook's process {how}{where}"

    def _abort_cell(self, status: Status, seconds: Any) -> None:
        """The process ended inside a cell: note the cell's run. Its outputs stay as they were when it ended;
        like nbclient, the engine adds no output of its own (marking the cell is the caller's business)."""
        assert self.current is not None
        end = seconds if isinstance(seconds, int | float) else self.cell_started
        self.runs.append(CellRun(self.current, max(0.0, end - self.cell_started),
                                 "timeout" if status == "timeout" else "died"))
        self.current = None
