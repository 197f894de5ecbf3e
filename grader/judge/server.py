"""The judge server: a course's checks and answer keys, outside every notebook's process, one judge per notebook.

Run as ``python -m grader.judge.server --course ROOT --socket PATH --logs DIR``. It imports the checks and the answer
key of every assignment of the course (and what they import, the course's solutions included) once, listens on the
Unix socket PATH (the notebooks' sandbox shows its folder), and speaks frames (`grader.engine.protocol`) with the
executor that started it on stdin/stdout:

- requests: ``{"op": "job", "token", "assignment", "expected"}`` before a notebook runs (`grader.judge.expected`),
  ``{"op": "end", "token"}`` after it, ``{"op": "exit"}``;
- replies: ``{"t": "hello", "assignments", "failed"}`` once, when it is ready.

A notebook connects and says ``{"op": "hello", "token"}``. A token the executor registered, not yet served, gets its
own judge: a fork of this server that serves that connection alone (`grader.judge.session`), within resource
limits, and writes its verdicts to ``DIR/<token>.jsonl``; the executor reads them when the notebook is done. A
connection that does not say a registered token within `HANDSHAKE_SECONDS` is closed; a flood of connections or
requests on one costs other notebooks nothing (each judge is its own process, and the server only reads hellos).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import selectors
import signal
import socket
import sys
import time
from dataclasses import dataclass, field
from typing import Any

from grader.engine import protocol
from grader.judge import wire
from grader.judge.session import Expected, Session

HANDSHAKE_SECONDS = 2.0
MAX_PENDING = 64
"""Connections waiting to say their token; the oldest silent one is closed when another comes (a notebook says its
token as it connects: only a connection kept open without a word waits here)."""
BACKLOG = 1024
MAX_HELLO = 4096
JUDGE_LIMITS = {"RLIMIT_AS": 8 << 30, "RLIMIT_CPU": 1800, "RLIMIT_CORE": 0}
"""What one judge (one notebook's) may use: the checks train small networks and hold arrays of tens of MB."""


@dataclass
class _Job:
    assignment: str
    expected: list[Expected]
    variant: dict[str, Any] | None = None
    """The owner's variant parameters, from the grading process (never from the notebook)."""
    judge: int | None = None
    """The pid of the judge serving it, once its notebook connected (a positive number)."""
    served: bool = False
    """A notebook connected with this token already: another connection with it is refused."""


@dataclass
class _Pending:
    sock: socket.socket
    since: float = field(default_factory=time.monotonic)
    data: bytearray = field(default_factory=bytearray)
    token: str | None = None
    """The token it said, when the executor has not registered it yet (its registration may be on its way)."""


def load_course(root: str) -> tuple[dict[str, tuple[dict, dict]], dict[str, str]]:
    """The checks and answer key of every assignment of the course with a grading folder, and the failures."""
    from grader.checks.loader import find
    from grader.grading import grading_assignments

    loaded, failed = {}, {}
    for assignment in grading_assignments(root):
        try:
            loaded[assignment] = find(root, assignment)
        except Exception as exc:  # a broken grading folder: its notebooks' checks will say so
            failed[assignment] = f"{type(exc).__name__}: {exc}"
    return loaded, failed


class Server:
    """The accept-and-fork loop (see the module docstring)."""

    def __init__(self, course: str, path: str, logs: str, out: int = 1) -> None:
        self.logs, self.out = logs, out
        self.checks, self.failed = load_course(course)
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        if os.path.exists(path):
            os.unlink(path)
        self.listener.bind(path)
        os.chmod(path, 0o666)  # the sandbox's notebooks run as another user
        self.listener.listen(BACKLOG)
        self.listener.setblocking(False)
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.listener, selectors.EVENT_READ, "accept")
        self.selector.register(0, selectors.EVENT_READ, "control")
        self.control = protocol.FrameReader()
        self.jobs: dict[str, _Job] = {}
        self.pending: dict[int, _Pending] = {}
        self.judges: dict[int, str] = {}

    def say(self, obj: dict[str, Any]) -> None:
        protocol.write_all(self.out, protocol.encode(obj))

    def serve(self) -> None:
        self.say({"t": "hello", "assignments": sorted(self.checks), "failed": self.failed, "pid": os.getpid()})
        while True:
            for key, _ in self.selector.select(timeout=1.0):
                if key.data == "accept":
                    self._accept()
                elif key.data == "control":
                    if not self._control():
                        return
                else:
                    self._hello(key.fileobj)
            self._expire()
            self._reap()

    def _control(self) -> bool:
        data = os.read(0, 1 << 20)
        if not data:
            return False
        for request in self.control.feed(data):
            op = request.get("op")
            if op == "exit":
                return False
            if op == "job":
                expected = [Expected.from_dict(e) for e in request.get("expected", [])]
                token = str(request["token"])
                variant = request.get("variant")
                self.jobs[token] = _Job(str(request["assignment"]), expected,
                                        dict(variant) if isinstance(variant, dict) else None)
                for waiting in [p for p in self.pending.values() if p.token == token]:
                    self._admit(waiting, token)
            elif op == "end":
                job = self.jobs.pop(str(request.get("token")), None)
                if job is not None and job.judge is not None:
                    _kill(job.judge)
                    self.judges.pop(job.judge, None)
        return True

    def _accept(self) -> None:
        """Take every waiting connection; read its hello at once when it came with it (a notebook's does). A flood
        of silent connections only ever evicts its own oldest: it cannot keep a notebook out."""
        while True:
            try:
                conn, _ = self.listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            conn.setblocking(False)
            while len(self.pending) >= MAX_PENDING:
                oldest = min(self.pending.values(), key=lambda p: (bool(p.data), p.since))
                self._drop(oldest.sock)
            self.pending[conn.fileno()] = _Pending(conn)
            self.selector.register(conn, selectors.EVENT_READ, "hello")
            self._hello(conn)

    def _hello(self, conn: socket.socket) -> None:
        pending = self.pending.get(conn.fileno())
        if pending is None or pending.sock is not conn:
            return
        try:
            chunk = conn.recv(MAX_HELLO)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            chunk = b""
        pending.data += chunk
        if not chunk or len(pending.data) > MAX_HELLO:
            self._drop(conn)
            return
        frame = _hello_frame(pending.data)
        if frame is None:
            return
        token = frame.get("token") if frame.get("op") == "hello" else None
        if not isinstance(token, str):
            self._drop(conn, "this notebook is not being graded")
        elif token not in self.jobs:
            pending.token = token  # admitted if its registration comes within HANDSHAKE_SECONDS
        else:
            self._admit(pending, token)

    def _admit(self, pending: _Pending, token: str) -> None:
        conn, job = pending.sock, self.jobs[token]
        if job.served or job.assignment not in self.checks:
            why = ("this notebook has a judge already" if job.served else f"the checks of {job.assignment} could "
                   f"not be loaded: {self.failed.get(job.assignment, 'no grading folder')}")
            self._drop(conn, why)
            return
        self.selector.unregister(conn)
        del self.pending[conn.fileno()]
        job.served = True
        job.judge = self._fork(conn, token, job)

    def _fork(self, conn: socket.socket, token: str, job: _Job) -> int:
        pid = os.fork()
        if pid:
            conn.close()
            self.judges[pid] = token
            return pid
        code = 1
        try:
            self.selector.close()
            self.listener.close()
            for other in self.pending.values():
                other.sock.close()
            os.close(0)
            os.close(self.out)  # the executor's pipes: the judge of one notebook never speaks to it
            for name, value in JUDGE_LIMITS.items():
                limit = getattr(resource, name)
                resource.setrlimit(limit, (value, value))
            conn.setblocking(True)
            functions, answers = self.checks[job.assignment]
            with open(os.path.join(self.logs, f"{token}.jsonl"), "a") as log:
                wire.send(conn, {"op": "welcome"})
                why = Session(conn, functions, answers, job.expected, log, job.variant).serve()
                log.write(json.dumps({"end": why}) + "\n")
            code = 0
        finally:
            os._exit(code)

    def _drop(self, conn: socket.socket, why: str = "") -> None:
        if why:
            with contextlib.suppress(OSError):
                conn.settimeout(1.0)
                wire.send(conn, {"op": "refused", "why": why})
        self.selector.unregister(conn)
        self.pending.pop(conn.fileno(), None)
        conn.close()

    def _expire(self) -> None:
        late = time.monotonic() - HANDSHAKE_SECONDS
        for pending in [p for p in self.pending.values() if p.since < late]:
            self._drop(pending.sock, "this notebook is not being graded" if pending.token else "")

    def _reap(self) -> None:
        while self.judges:
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            token = self.judges.pop(pid, None)
            job = self.jobs.get(token) if token else None
            if job is not None and job.judge == pid:
                job.judge = None  # gone; a second connection with the token is still refused (served)


def _hello_frame(data: bytearray) -> dict[str, Any] | None:
    """The hello message once whole (a header without buffers), else None; {} when malformed."""
    if len(data) < wire.HEADER.size:
        return None
    (size,) = wire.HEADER.unpack_from(data)
    if size > MAX_HELLO:
        return {}
    if len(data) < wire.HEADER.size + size:
        return None
    try:
        frame = json.loads(bytes(data[wire.HEADER.size:wire.HEADER.size + size]))
    except ValueError:
        return {}
    return frame if isinstance(frame, dict) else {}


def _kill(pid: int) -> None:
    """SIGKILL to one judge (never to a group: ``pid`` is a positive process id, checked)."""
    if pid > 0:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m grader.judge.server", description=__doc__.split("\n")[0])
    parser.add_argument("--course", required=True, metavar="ROOT")
    parser.add_argument("--socket", required=True, metavar="PATH")
    parser.add_argument("--logs", required=True, metavar="DIR")
    args = parser.parse_args(argv)
    out = os.dup(1)
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)  # a print in a course's module cannot break the frames
    server = Server(args.course, args.socket, args.logs, out)
    try:
        server.serve()
    finally:
        for pid in list(server.judges):
            _kill(pid)


if __name__ == "__main__":
    sys.exit(main())
