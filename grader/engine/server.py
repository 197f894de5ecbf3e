"""The warm server: imports the heavy libraries and builds the IPython shell once, then forks a process per job.

Run as ``python -m grader.engine.server`` (or through a command prefix such as ``bwrap ...``); it speaks frames
(`grader.engine.protocol`) on its stdin/stdout and nothing else there. Requests: ``{"op": "run", "tag", "job"}``,
``{"op": "kill", "tag"}``, ``{"op": "exit"}``. Replies: ``{"t": "hello", ...}`` once, then ``{"tag", "ev"}`` with
every event of that job's process (`grader.engine.child`), the last being ``{"t": "exit", "code", "signal",
"killed", "time", "cpu"}`` when the process is gone. The server enforces the time limits it can see: a cell still
running ``interrupt_grace`` seconds after its own limit, a notebook past ``notebook_timeout`` or past the sum of its
cells' limits; it kills the process group. It is a child subreaper: what a notebook leaves running outside its
process group comes back to it and is killed.

The process for the next job is forked ahead of it, once a notebook has started or a process was reaped: a spare
that sets itself up as far as it can without its job (in the sandbox: its namespaces, mounts and pid 1) and waits
for the job on a pipe; at ``--jobs 1`` this takes forking out of the gap between two notebooks. A job whose disk
limit differs from the spare's, or whose frame does not fit in the spare's pipe, gets a process forked for it.

With ``--isolate`` (in the bubblewrap sandbox) each fork first enters namespaces of its own
(`grader.engine.isolation`), whose private /tmp shows again the folders given with ``--keep`` (read-only folders of
the sandbox under /tmp: a venv or a checkout there); the server checks at start that this works and says so in its
hello (``isolation_error``), and makes itself non-dumpable. Before forking anything it takes the tamper snapshot
(`grader.guard`, `WATCHED`) every notebook is checked against.

The server is single-threaded (it forks) and never imports a student's module: only ``--preload`` names, resolved
from its own ``sys.path``, whose first entry (its bootstrap directory) the children do not get. Nor does it import a
course's checks, answer keys or solutions: everything it holds, every notebook can read (the checks run in the
course's judge, `grader.judge`). ``--watch`` adds the course's modules to what the guard watches.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import gc
import os
import selectors
import signal
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from grader.engine import isolation, protocol
from grader.engine.child import die_with_parent, refuse_input, run_job, should_run
from grader.engine.shell import INLINE_BACKEND, TRACEBACK_MODES, EngineShell, build_shell
from grader.engine.warm import DEFAULT_PRELOAD, WATCHED, isolation_works, open_files, preload, shell_probes, warm_up
from grader.guard import Snapshot

CHUNK = 1 << 16
JOB_PIPE_BYTES = 1 << 20
"""Asked for as the size of a spare's job pipe (Linux allows up to /proc/sys/fs/pipe-max-size, 1 MiB by default):
a job whose frame fits is handed over in one write; a larger one gets a process forked for it."""
BACKSTOP_SLACK = 2.0
"""Seconds added to Σ cell limits for the hard deadline of a notebook without ``notebook_timeout``."""


@dataclass
class _Child:
    tag: str
    pid: int
    pipe: int | None
    pidfd: int | None
    reader: protocol.FrameReader
    limits: dict[str, Any]
    started: float = field(default_factory=time.monotonic)
    cell: int | None = None
    cell_deadline: float | None = None
    killed: str | None = None
    note: str = ""

    backstop: float | None = None

    @property
    def notebook_deadline(self) -> float | None:
        limit = self.limits.get("notebook_timeout")
        ends = [end for end in (self.backstop, None if limit is None else self.started + limit) if end is not None]
        return min(ends) if ends else None

    @property
    def deadline_name(self) -> str:
        """Which limit `notebook_deadline` is: ``notebook_timeout``, or ``backstop`` when Σ cell limits is earlier."""
        limit = self.limits.get("notebook_timeout")
        late = limit is None or (self.backstop is not None and self.backstop < self.started + limit)
        return "backstop" if late else "notebook_timeout"

    def deadlines(self) -> list[float]:
        return [d for d in (self.notebook_deadline, self.cell_deadline) if d is not None]


@dataclass
class _Spare:
    """A notebook's process forked before its job is known (`Server._fork`): in the sandbox it has entered its
    namespaces, made for ``disk_bytes`` of disk (`grader.engine.isolation.prepare`), and it waits for its job on
    ``job_pipe`` (-1 once the job was written, or for a process forked with its job)."""

    pid: int
    events: int
    job_pipe: int
    disk_bytes: int | None


class Server:
    """The fork-and-relay loop (see the module docstring)."""

    def __init__(self, in_fd: int, out_fd: int, shell: EngineShell, base_path: list[str], isolate: bool = False,
                 guard: Snapshot | None = None, keep: Sequence[str] = (), spares: bool = True) -> None:
        self.in_fd, self.out_fd = in_fd, out_fd
        self.shell, self.base_path = shell, base_path
        self.isolate, self.guard, self.keep = isolate, guard, list(keep)
        self.selector = selectors.DefaultSelector()
        self.selector.register(in_fd, selectors.EVENT_READ, ("client", None))
        os.set_blocking(out_fd, False)
        self.requests = protocol.FrameReader()
        self.out = bytearray()
        self.writing = False
        self.children: dict[int, _Child] = {}
        self.orphans: set[int] = set()
        self.spares = spares
        self.spare: _Spare | None = None
        self.spare_disk: int | bool | None = False  # the disk limit spares are made for; False: no job came yet
        self.closing = False
        self.pid = os.getpid()

    # -- output to the client ---------------------------------------------------------------------------------
    def send(self, obj: dict[str, Any]) -> None:
        self.out += protocol.encode(obj)
        self._write_out()

    def _write_out(self) -> None:
        try:
            while self.out:
                n = os.write(self.out_fd, self.out)
                del self.out[:n]
        except BlockingIOError:
            pass
        except OSError:  # the client is gone
            self.out.clear()
            self.closing = True
        want = bool(self.out)
        if want != self.writing:
            if want:
                self.selector.register(self.out_fd, selectors.EVENT_WRITE, ("out", None))
            else:
                self.selector.unregister(self.out_fd)
            self.writing = want

    # -- the loop ---------------------------------------------------------------------------------------------
    def serve(self) -> None:
        while not (self.closing and not self.children and not self.out):
            deadlines = [d for child in self.children.values() if child.killed is None for d in child.deadlines()]
            polling = any(child.pidfd is None for child in self.children.values())
            timeout = max(0.0, min(deadlines) - time.monotonic()) if deadlines else None
            if polling:
                timeout = 0.02 if timeout is None else min(timeout, 0.02)
            for key, _ in self.selector.select(timeout):
                kind, child = key.data
                if kind == "client":
                    self._read_client()
                elif kind == "out":
                    self._write_out()
                elif kind == "pipe":
                    self._read_child(child)
                elif kind == "pidfd":
                    self._reap(child)
            self._enforce_deadlines()
            if polling:
                for child in [c for c in self.children.values() if c.pidfd is None]:
                    self._reap(child, block=False)

    def _read_client(self) -> None:
        try:
            data = os.read(self.in_fd, CHUNK)
        except OSError:
            data = b""
        if not data:
            self.selector.unregister(self.in_fd)
            self._shutdown()
            return
        for request in self.requests.feed(data):
            op = request.get("op")
            if op == "run":
                try:
                    self._spawn(str(request["tag"]), request["job"])
                except OSError as exc:  # fork refused (process or memory limits): that job fails, not the server
                    self.send({"tag": request["tag"], "ev": {
                        "t": "exit", "killed": "spawn", "time": time.time(), "code": None, "signal": None,
                        "note": f"could not start the notebook's process: {exc}"}})
            elif op == "kill":
                for child in list(self.children.values()):
                    if child.tag == request.get("tag"):
                        self._kill(child, "cancelled")
            elif op == "exit":
                self._shutdown()

    def _shutdown(self) -> None:
        self.closing = True
        if self.spare is not None:
            self._discard(self.spare)
            self.spare = None
        for child in list(self.children.values()):
            self._kill(child, "cancelled")

    # -- children ---------------------------------------------------------------------------------------------
    def _spawn(self, tag: str, job: dict[str, Any]) -> None:
        """Start ``job``: hand it to the spare process when there is one made for its disk limit, else fork a
        process for it. The next job's spare is forked once this notebook has started (`_make_spare`)."""
        limits = job.get("limits") or {}
        disk = limits.get("disk_bytes") if self.isolate else None
        spare, self.spare = self.spare, None
        if spare is not None and (spare.disk_bytes != disk or not self._hand_over(spare, job)):
            self._discard(spare)
            spare = None
        if spare is None:
            spare = self._fork(disk, job)
        pidfd = os.pidfd_open(spare.pid) if hasattr(os, "pidfd_open") else None
        max_output = limits.get("max_output_bytes")
        max_frame = protocol.MAX_FRAME if max_output is None else int(max_output) + (1 << 20)
        child = _Child(tag, spare.pid, spare.events, pidfd, protocol.FrameReader(max_frame), limits)
        if limits.get("cell_timeout"):
            # The cell deadlines rest on the child's own "cell"/"reply" events, which its code could forge: without
            # a notebook limit, no notebook may outlive every one of its cells running to the cell limit.
            cells = sum(should_run(cell) for cell in job["notebook"].get("cells", []))
            per_cell = limits["cell_timeout"] + limits.get("interrupt_grace", 4.0)
            child.backstop = child.started + cells * per_cell + BACKSTOP_SLACK
        self.children[spare.pid] = child
        os.set_blocking(spare.events, False)
        self.selector.register(spare.events, selectors.EVENT_READ, ("pipe", child))
        if pidfd is not None:
            self.selector.register(pidfd, selectors.EVENT_READ, ("pidfd", child))
        self.spare_disk = disk

    def _make_spare(self) -> None:
        """Fork the next job's process ahead of its job, for the disk limit of the last job, unless one is waiting.
        Called when a notebook has started (its hello) and when a notebook's process was reaped, not when a job is
        handed over: the spare's set-up then overlaps a running notebook instead of the start of the next one."""
        if self.spares and self.spare is None and not self.closing and self.spare_disk is not False:
            with contextlib.suppress(OSError):  # no spare: the next job forks its own (and reports a refusal)
                self.spare = self._fork(self.spare_disk)

    def _fork(self, disk_bytes: int | None, job: dict[str, Any] | None = None) -> _Spare:
        """Fork a notebook's process: for ``job``, or without one (a spare that sets itself up as far as it can
        and then waits for its job on a pipe: `_hand_over`). In the sandbox its namespaces are made for
        ``disk_bytes`` of disk."""
        read_end, write_end = os.pipe()
        job_read, job_write = os.pipe() if job is None else (-1, -1)
        pid = os.fork()
        if pid == 0:  # the notebook's process
            try:
                os.setpgid(0, 0)
                die_with_parent(self.pid)
                os.close(read_end)
                if job_write >= 0:
                    os.close(job_write)
                # in the sandbox, the rest runs in the notebook's own namespaces (grader.engine.isolation)
                staging = isolation.prepare(disk_bytes, write_end, self.keep) if self.isolate else None
                if job is None:
                    job = protocol.read_frame(job_read)
                    os.close(job_read)
                    if job is None:  # let go unused
                        os._exit(0)
                if staging is not None:
                    job = isolation.arrive(job, staging, write_end)
                run_job(job, write_end, self.shell, self.base_path, self.guard)
            finally:
                os._exit(70)
        os.close(write_end)
        if job_read >= 0:
            os.close(job_read)
            with contextlib.suppress(OSError):  # room for a whole job, so that handing it over never blocks
                fcntl.fcntl(job_write, fcntl.F_SETPIPE_SZ, JOB_PIPE_BYTES)
            os.set_blocking(job_write, False)
        with contextlib.suppress(OSError):
            os.setpgid(pid, pid)
        return _Spare(pid, read_end, job_write, disk_bytes)

    def _hand_over(self, spare: _Spare, job: dict[str, Any]) -> bool:
        """Write ``job`` to the spare in one go; False when it does not fit in the pipe or the spare is gone."""
        frame = protocol.encode(job)
        try:
            if len(frame) > fcntl.fcntl(spare.job_pipe, fcntl.F_GETPIPE_SZ):
                return False
            written = os.write(spare.job_pipe, frame)
        except OSError:  # BrokenPipeError: it died; BlockingIOError: cannot happen in an empty pipe of that size
            return False
        if written != len(frame):  # pragma: no cover - a pipe with room for the frame takes it whole
            return False
        os.close(spare.job_pipe)
        spare.job_pipe = -1
        return True

    def _discard(self, spare: _Spare) -> None:
        """End a spare that will not be used; it is reaped with the orphans."""
        for fd in (spare.events, spare.job_pipe):
            if fd >= 0:
                os.close(fd)
        with contextlib.suppress(OSError):
            os.killpg(spare.pid, signal.SIGKILL)
        self.orphans.add(spare.pid)

    def _read_child(self, child: _Child) -> None:
        while child.pipe is not None:
            try:
                data = os.read(child.pipe, CHUNK)
            except BlockingIOError:
                return
            if not data:
                self._close_pipe(child)
                return
            try:
                events = child.reader.feed(data)
            except protocol.ProtocolError as exc:
                child.note = f"the notebook's process sent a malformed message ({exc})"
                self._kill(child, "protocol")
                self._close_pipe(child)
                return
            for event in events:
                self._track(child, event)
                self.send({"tag": child.tag, "ev": event})

    def _track(self, child: _Child, event: Any) -> None:
        if not isinstance(event, dict):
            return
        if event.get("t") == "hello":
            self._make_spare()
        elif event.get("t") == "cell":
            child.cell = event.get("i")
            limit = child.limits.get("cell_timeout")
            grace = child.limits.get("interrupt_grace", 4.0)
            child.cell_deadline = None if not limit else time.monotonic() + limit + grace
        elif event.get("t") == "reply":
            child.cell_deadline = None

    def _close_pipe(self, child: _Child) -> None:
        if child.pipe is not None:
            self.selector.unregister(child.pipe)
            os.close(child.pipe)
            child.pipe = None

    def _kill(self, child: _Child, reason: str) -> None:
        if child.killed is None:
            child.killed = reason
        for kill in (os.killpg, os.kill):
            with contextlib.suppress(OSError):
                kill(child.pid, signal.SIGKILL)

    def _enforce_deadlines(self) -> None:
        now = time.monotonic()
        for child in list(self.children.values()):
            if child.killed is not None:
                continue
            deadline = child.notebook_deadline
            if deadline is not None and now >= deadline:
                self._kill(child, child.deadline_name)
            elif child.cell_deadline is not None and now >= child.cell_deadline:
                self._kill(child, "cell_timeout")

    def _reap(self, child: _Child, block: bool = True) -> None:
        """The process ended: take its last frames, kill what it left behind, report how it ended."""
        if not block and os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is None:
            return
        self._read_child(child)
        with contextlib.suppress(OSError):
            os.killpg(child.pid, signal.SIGKILL)  # its pid is still held (zombie), so the group is still its own
        _, status, usage = os.wait4(child.pid, 0)
        self._sweep_orphans()
        self._close_pipe(child)
        if child.pidfd is not None:
            self.selector.unregister(child.pidfd)
            os.close(child.pidfd)
        del self.children[child.pid]
        self._make_spare()
        self.send({"tag": child.tag, "ev": {
            "t": "exit", "time": time.time(), "killed": child.killed, "note": child.note, "cell": child.cell,
            "code": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
            "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
            "cpu": usage.ru_utime + usage.ru_stime}})

    def _sweep_orphans(self) -> None:
        """Kill and reap the processes this server adopted as a subreaper: what a notebook started and left running
        outside its process group (a ``setsid`` fork bomb, or, in the sandbox, a notebook that escaped its
        parent-death signal). The server's only own children are the jobs' processes."""
        try:
            with open(f"/proc/self/task/{self.pid}/children") as listing:
                pids = {int(word) for word in listing.read().split()}
        except OSError:  # no CONFIG_PROC_CHILDREN: the process groups and namespaces have to do
            return
        for pid in pids - set(self.children) - {self.spare.pid if self.spare else 0}:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
            self.orphans.add(pid)
        for pid in list(self.orphans):
            with contextlib.suppress(ChildProcessError):
                if os.waitpid(pid, os.WNOHANG)[0] == 0:
                    continue
            self.orphans.discard(pid)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m grader.engine.server", description=__doc__.split("\n")[0])
    parser.add_argument("--preload", default=",".join(DEFAULT_PRELOAD),
                        help="comma-separated modules to import before forking (skipped when not importable)")
    parser.add_argument("--watch", default="", help="comma-separated modules the guard watches besides its own list")
    parser.add_argument("--traceback-mode", default="Plain", choices=TRACEBACK_MODES,
                        help="IPython traceback mode of the notebooks")
    parser.add_argument("--no-spare", action="store_true",
                        help="fork each notebook's process when its job comes, not ahead of it")
    parser.add_argument("--isolate", action="store_true",
                        help="run each notebook in namespaces of its own (in the bubblewrap sandbox)")
    parser.add_argument("--keep", action="append", default=[], metavar="FOLDER",
                        help="with --isolate: a read-only folder under /tmp (the venv, the project) that each "
                             "notebook's private /tmp shows again; repeatable")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    base_path = list(sys.path[1:])  # sys.path[0] is the server's own entry: children do not get it
    in_fd, out_fd = os.dup(0), os.dup(1)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)  # a stray print in the server can no longer corrupt the protocol
    os.environ.setdefault("MPLBACKEND", INLINE_BACKEND)
    shell = build_shell(args.traceback_mode)
    watch = [name for name in args.watch.split(",") if name]
    loaded, failed = preload([name for name in args.preload.split(",") if name])
    warm_up(shell)
    refuse_input()
    guard = Snapshot([*WATCHED, *watch], probes=shell_probes(shell))
    isolation.become_subreaper()  # orphans of the notebooks come back here to be killed (Server._sweep_orphans)
    isolation_error = ""
    if args.isolate:
        isolation.set_dumpable(False)  # notebooks (same uid) may not ptrace the server or read its memory
        isolation_error = isolation_works(args.keep)
    gc.collect()
    gc.freeze()  # the children share these pages; keep their garbage collector off them
    server = Server(in_fd, out_fd, shell, base_path, isolate=args.isolate, guard=guard, keep=args.keep,
                    spares=not args.no_spare)
    server.send({"t": "hello", "pid": os.getpid(), "python": sys.version, "preloaded": loaded, "failed": failed,
                 "startup_seconds": time.perf_counter() - started, "isolated": args.isolate,
                 "isolation_error": isolation_error, "guarded": len(guard), "guard_fast": guard.fast,
                 "open_files": open_files()})
    server.serve()


if __name__ == "__main__":
    main()
