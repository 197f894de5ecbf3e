"""One notebook's process: a fork of the warm server that sets itself up like a fresh kernel and runs the cells.

Setup, in order: its own process group (so the server can kill it with everything it started), the descriptors
(stdin from /dev/null, fds 1 and 2 captured, every descriptor of the server closed), the job's environment plus
ipykernel's additions, the job's folder as working directory, ``sys.path`` as a kernel has it ('' before
site-packages, none of the server's own entries), resource limits, fresh random seeds, ``input()`` refusing as in
nbclient. Then each code cell runs in the shell, with an interrupt (``KeyboardInterrupt``) at its time limit, and
every output leaves as a message as soon as ipykernel would send it: a kill loses nothing already sent. Around the
nbgrader graded cells, the warm server's tamper snapshot (`grader.guard`) is checked: a notebook that
replaced what grading relies on is stopped (``tampered``) before its next graded cell counts. An error caused by a
resource limit (MemoryError, EFBIG, ENOSPC, a refused fork) names that limit (`limit_note`).

In the sandbox the process arrives here already inside its own namespaces (`grader.engine.isolation`), with a
job whose ``cwd`` is its private copy of the folder and ``isolated`` set.

Events sent (all carry ``t``): ``hello`` (language_info), ``cell`` (index: a cell starts), ``iopub`` (a Jupyter
message: ``m`` type, ``c`` content, ``time``), ``reply`` (the execute_reply ``c``, ``seconds``, ``timed_out``),
``limit`` (``note``: a cell ran into a resource limit), ``fatal`` (``status``, ``message``, optionally the cell
``i``: the process stops on purpose), ``done``.
"""

from __future__ import annotations

import builtins
import contextlib
import ctypes
import getpass
import json
import os
import resource
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from typing import Any, NoReturn

from IPython.core.error import StdinNotImplementedError

from grader.engine.hub import Hub, HubStream
from grader.engine.sandbox import SECRETS_FILE
from grader.engine.shell import EngineShell, apply_kernel_environment, hidden_from_tracebacks, language_info
from grader.guard import Snapshot, describe

EVENT_FD = 3
RLIMITS = {"memory_bytes": "RLIMIT_AS", "cpu_seconds": "RLIMIT_CPU", "file_size_bytes": "RLIMIT_FSIZE",
           "processes": "RLIMIT_NPROC"}
"""`grader.engine.jobs.Limits` field → the ``resource`` limit that enforces it in the notebook's process."""
SKIP_TAG = "skip-execution"
PR_SET_PDEATHSIG = 1


def cell_source(cell: dict[str, Any]) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def should_run(cell: dict[str, Any]) -> bool:
    """nbclient's rule: code cells with non-blank source and without the ``skip-execution`` tag."""
    tags = (cell.get("metadata") or {}).get("tags") or []
    return cell.get("cell_type") == "code" and bool(cell_source(cell).strip()) and SKIP_TAG not in tags


def kernel_sys_path(base: list[str]) -> list[str]:
    """``base`` with '' inserted before the first site-/dist-packages entry (IPython's ``init_path``)."""
    path = [p for p in base if p != ""]
    for index, entry in enumerate(path):
        if os.path.basename(entry) in {"site-packages", "dist-packages"}:
            return [*path[:index], "", *path[index:]]
    return ["", *path]


class _CellClock:
    """The per-cell time limit: SIGALRM raises KeyboardInterrupt in the cell, as a kernel interrupt would."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.in_cell = False
        self.timed_out = False
        signal.signal(signal.SIGALRM, self._fire)

    @hidden_from_tracebacks
    def _fire(self, signum: int, frame: Any) -> None:
        self.timed_out = True
        if not self.in_cell:
            return
        if self.hub.emitting:
            self.hub.interrupt_pending = True
            return
        raise KeyboardInterrupt

    def start(self, seconds: float | None) -> None:
        self.timed_out = False
        self.in_cell = True
        if seconds:
            signal.setitimer(signal.ITIMER_REAL, seconds)

    def stop(self) -> None:
        self.in_cell = False
        signal.setitimer(signal.ITIMER_REAL, 0)


@hidden_from_tracebacks
def _no_raw_input(prompt: str = "") -> NoReturn:
    raise StdinNotImplementedError("raw_input was called, but this frontend does not support input requests.")


@hidden_from_tracebacks
def _no_getpass(prompt: str = "Password: ", stream: Any = None, **kwargs: Any) -> NoReturn:
    raise StdinNotImplementedError("getpass was called, but this frontend does not support input requests.")


def refuse_input() -> None:
    """``input()`` and ``getpass()`` raise as in nbclient (no stdin). Done by the warm server too, before its tamper
    snapshot, so that these replacements are the state the snapshot records."""
    builtins.input = _no_raw_input
    getpass.getpass = _no_getpass


def _setup_fds(event_fd: int) -> tuple[int, dict[str, int]]:
    """Event fd → 3, stdin → /dev/null, fds 1 and 2 → pipes read by the hub, every other fd closed."""
    if event_fd != EVENT_FD:
        os.dup2(event_fd, EVENT_FD, inheritable=False)
    os.closerange(EVENT_FD + 1, resource.getrlimit(resource.RLIMIT_NOFILE)[0])
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    readers = {}
    for fd, name in ((1, "stdout"), (2, "stderr")):
        read_end, write_end = os.pipe()
        os.dup2(write_end, fd)
        os.close(write_end)
        readers[name] = read_end
    return devnull, readers


def _take_secrets() -> None:
    """In the sandbox: the variables the host staged for this notebook alone (`SECRETS_FILE`), into its environment;
    the file is deleted before any of the notebook's code runs."""
    try:
        with open(SECRETS_FILE) as lines:
            values = json.load(lines)
        os.unlink(SECRETS_FILE)
    except (OSError, ValueError):
        return
    if isinstance(values, dict):
        os.environ.update({str(k): str(v) for k, v in values.items()})


def _setup_process(job: dict[str, Any], base_path: list[str]) -> None:
    env = job.get("env")
    tmp_vars = ("TMPDIR", "TEMP", "TMP")
    before = [os.environ.get(name) for name in tmp_vars]
    if env is not None:
        os.environ.clear()
        os.environ.update({str(k): str(v) for k, v in env.items()})
    os.environ.update({str(k): str(v) for k, v in (job.get("variables") or {}).items()})
    if job.get("isolated"):  # in the sandbox: its own HOME and /tmp (grader.engine.isolation)
        for name in tmp_vars:
            os.environ.pop(name, None)
        os.environ["HOME"] = str(job["home"])
    apply_kernel_environment(os.environ)
    if [os.environ.get(name) for name in tmp_vars] != before:
        tempfile.tempdir = None  # recomputed from this job's TMPDIR (it costs a test file: only when it changed)
    os.chdir(job["cwd"])
    if job.get("isolated"):
        _take_secrets()
    sys.path[:] = kernel_sys_path(base_path)
    ipykernel = sys.modules.get("ipykernel")
    launcher = os.path.join(os.path.dirname(os.path.dirname(ipykernel.__file__)) if ipykernel else "",
                            "ipykernel_launcher.py")
    sys.argv[:] = [launcher, "-f", os.path.join(tempfile.gettempdir(), f"kernel-{os.getpid()}.json"),
                   "--HistoryManager.hist_file=:memory:"]
    limits = job.get("limits") or {}
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a crash must not write a core file
    for field, name in RLIMITS.items():
        value = limits.get(field)
        if value is not None:
            hard = int(value)
            if field == "processes":
                value = hard = int(value) + (3 if job.get("isolated") else _tasks_of_this_user())
            if field == "cpu_seconds":  # SIGXCPU at the limit, SIGKILL a second later if it is ignored
                hard += 1
            resource.setrlimit(getattr(resource, name), (int(value), hard))
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        numpy.random.seed()  # a fresh kernel draws new seeds; a fork would repeat the server's
    backend = os.environ["MPLBACKEND"]
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None and backend != sys.modules["matplotlib"].rcParams._get("backend"):
        pyplot.switch_backend(backend)
    refuse_input()


def _tasks_of_this_user() -> int:
    """Processes and threads the real uid runs now: RLIMIT_NPROC counts them all, so outside the sandbox the
    notebook's own allowance goes on top. (In the sandbox the notebook has its own user namespace, where only it,
    its waiting parent and its namespace's pid 1 count.)"""
    uid, count = os.getuid(), 0
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == uid:
                    count += len(os.listdir(f"/proc/{entry.name}/task"))
            except OSError:  # it ended meanwhile
                continue
    return count


def _size(n: int) -> str:
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:g} {unit}"
    return f"{n} bytes"


def limit_note(limits: dict[str, Any], isolated: bool) -> Any:
    """(exception type, value) -> the sentence naming the resource limit behind that error, or None: what the
    notebook sees appended to a MemoryError at the memory limit, an EFBIG or ENOSPC write, a refused fork."""

    def note(etype: Any, evalue: Any) -> str | None:
        errno = getattr(evalue, "errno", None)
        memory, fsize = limits.get("memory_bytes"), limits.get("file_size_bytes")
        disk, processes = limits.get("disk_bytes"), limits.get("processes")
        if isinstance(evalue, MemoryError) and memory is not None:
            return f"the notebook reached its memory limit of {_size(int(memory))}"
        if errno == 27 and fsize is not None:  # EFBIG
            return f"a file the notebook writes may not pass {_size(int(fsize))}"
        if errno == 28 and disk is not None and isolated:  # ENOSPC
            return f"the notebook's folder and /tmp may hold {_size(int(disk))} in all"
        refused = errno == 11 or (isinstance(evalue, RuntimeError) and "can't start new thread" in str(evalue))
        if refused and processes is not None:  # EAGAIN from fork or clone
            return f"if this came from starting a process or thread: the notebook may run {processes} at once"
        return None

    return note


def die_with_parent(parent: int) -> None:
    """Ask Linux to SIGKILL this process when the server dies (PR_SET_PDEATHSIG), so that a notebook that kills
    the server does not leave the other notebooks running unwatched."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (AttributeError, OSError):  # not Linux: the server's EOF handling still applies
        return
    if os.getppid() != parent:  # the server died before the call
        os._exit(70)


def run_job(job: dict[str, Any], event_fd: int, shell: EngineShell, base_path: list[str],
            guard: Snapshot | None = None) -> NoReturn:
    """Run ``job`` (the dict of a `grader.engine.jobs.Job`) in this freshly forked process; never returns.

    ``guard``: the warm server's snapshot of what grading relies on (`grader.guard`), checked around the
    graded cells."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for signum in (signal.SIGTERM, signal.SIGCHLD, signal.SIGHUP):
        signal.signal(signum, signal.SIG_DFL)
    limits = job.get("limits") or {}
    try:
        devnull, readers = _setup_fds(event_fd)
    except OSError:
        os._exit(71)
    hub = Hub(EVENT_FD, limits.get("max_output_bytes"))
    try:
        _setup_process(job, base_path)
    except Exception as exc:  # a missing folder, an impossible limit: the job cannot start
        hub.emit({"t": "fatal", "status": "error", "message": f"could not start the notebook: {exc}"})
        os._exit(1)
    shell.hub = hub
    shell.limit_note = limit_note(limits, bool(job.get("isolated")))
    sys.stdout = HubStream(hub, "stdout", devnull)
    sys.stderr = HubStream(hub, "stderr", devnull)
    hub.capture_fds(readers)
    hub.emit({"t": "hello", "pid": os.getpid(), "time": time.time(), "language_info": language_info()})
    try:
        _run_cells(job, shell, hub, limits, _integrity(guard, shell, hub))
    except BaseException:  # the engine itself failed: say so rather than die silently
        hub.emit({"t": "fatal", "status": "error", "message": "engine failure: " + traceback.format_exc()})
        os._exit(1)
    _yield_cpu()
    os._exit(0)


def _yield_cpu() -> None:
    """Lowest CPU priority for what is left: the "done" event is out, and freeing this process's memory as it
    exits should not hold up the next notebook's start."""
    with contextlib.suppress(OSError):
        os.nice(19)


def _reply(shell: EngineShell, result: Any) -> dict[str, Any]:
    """The execute_reply content ipykernel would send for ``result`` (an IPython ExecutionResult)."""
    if result is None:  # interrupted outside the user's code
        return {"status": "error", "ename": "KeyboardInterrupt", "evalue": "", "traceback": [],
                "execution_count": shell.execution_count - 1}
    err = result.error_before_exec if result.error_before_exec is not None else result.error_in_exec
    content: dict[str, Any] = {"execution_count": shell.execution_count - 1}
    if result.success and not shell._last_traceback_during_displayhook:
        content["status"] = "ok"
        return content
    try:
        evalue = str(err)
    except Exception:
        evalue = "<exception str() failed>"
    content.update(status="error", traceback=shell._last_traceback or [], ename=str(type(err).__name__),
                   evalue=evalue)
    return content


def is_graded(cell: dict[str, Any]) -> bool:
    """An nbgrader grade cell (its points come from running it)."""
    return bool(((cell.get("metadata") or {}).get("nbgrader") or {}).get("grade"))


def _integrity(guard: Snapshot | None, shell: EngineShell, hub: Hub) -> Callable[[], list[str]]:
    """What the notebook's code has modified of what grading relies on: the server's snapshot, plus this
    process's own output path (an instance attribute shadowing a method of the hub, the shell's hub swapped)."""
    hub_methods = {name for name, value in vars(Hub).items() if callable(value)}
    changes = guard.changes if guard is not None else list

    def check() -> list[str]:
        try:
            found = changes()
            shadowed = sorted(hub_methods & set(vars(hub)))
            found += [f"the notebook's output hub.{name} was replaced" for name in shadowed]
            if shell.hub is not hub:
                found.append("the shell's output hub was replaced")
        except Exception as exc:  # the check itself was broken by the notebook's code
            found = [f"the integrity check failed ({type(exc).__name__})"]
        return found

    return check


def _run_cells(job: dict[str, Any], shell: EngineShell, hub: Hub, limits: dict[str, Any],
               integrity: Callable[[], list[str]]) -> None:
    clock = _CellClock(hub)
    unchecked = False  # has code run since the last integrity check?
    for index, cell in enumerate(job["notebook"].get("cells", [])):
        if not should_run(cell):
            continue
        graded = is_graded(cell)
        if graded and unchecked:
            _stop_if_tampered(hub, integrity, index, "before")
        unchecked = True
        source = cell_source(cell)
        hub.emit({"t": "cell", "i": index, "time": time.time()})
        hub.iopub("status", {"execution_state": "busy"})
        hub.iopub("execute_input", {"code": source, "execution_count": shell.execution_count})
        result = None
        start = time.perf_counter()
        try:
            clock.start(limits.get("cell_timeout"))
            result = shell.run_cell(source, store_history=True)
        except KeyboardInterrupt:
            pass
        finally:
            clock.stop()
        seconds = time.perf_counter() - start
        hub.flush_all()
        hub.emit({"t": "reply", "c": _reply(shell, result), "time": time.time(), "seconds": seconds,
                  "timed_out": clock.timed_out})
        hub.iopub("status", {"execution_state": "idle"})
        if graded:
            _stop_if_tampered(hub, integrity, index, "after")
            unchecked = False
        if shell.exit_now:
            hub.emit({"t": "fatal", "status": "died", "i": index,
                      "message": f"cell {index} called exit(), which ends a kernel: the notebook stopped there"})
            os._exit(0)
    hub.flush_all()
    hub.emit({"t": "done", "time": time.time()})


def _stop_if_tampered(hub: Hub, integrity: Callable[[], list[str]], index: int, when: str) -> None:
    """End the notebook (status ``tampered``, blamed on graded cell ``index``) if grading was tampered with."""
    changes = integrity()
    if changes:
        hub.flush_all()
        hub.emit({"t": "fatal", "status": "tampered", "i": index,
                  "message": f"{describe(changes)} (found {when} graded cell {index} ran)"})
        os._exit(0)
