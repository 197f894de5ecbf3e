"""A course's judge as an executor runs it: the judge server's process, a token per notebook, and its verdicts.

    judge = Judge(course_root)
    judge.start()                                   # boots beside the executor's own start-up
    token, variables, expected = judge.register(notebook, assignment, socket)   # before the notebook runs
    verdicts = judge.finish(token, expected)        # after: one per hidden call of the notebook

The server runs outside the notebooks' sandbox, as the grader. Its socket lives in a folder of its own
(`socket_dir`, which the sandbox shows at `grader.engine.sandbox.JUDGE_DIR`); the verdict logs in another, which no
notebook sees.
"""

from __future__ import annotations

import os
import secrets
import selectors
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from grader.engine import protocol
from grader.errors import GraderError
from grader.grading import JUDGE_VARIABLE, TOKEN_VARIABLE
from grader.judge.expected import hidden_calls
from grader.judge.session import Expected, iter_log

SOCKET_NAME = "judge.sock"
PROJECT_ROOT = Path(__file__).resolve().parents[2]
BOOTSTRAP = "import sys; sys.path[0] = sys.argv.pop(1); from grader.judge.server import main; main(sys.argv[1:])"
BLAS_THREADS = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
"""The judges run beside the notebooks: one BLAS thread each, as the notebooks have."""


class JudgeStartError(GraderError):
    """The judge server did not start, or did not say it was ready."""


class Judge:
    """The judge server of the course at ``course`` (a root with a grading folder)."""

    def __init__(self, course: str, python: str = sys.executable) -> None:
        self.course, self.python = course, python
        self.root = Path(tempfile.mkdtemp(prefix="grader-judge-"))
        self.socket_dir = self.root / "socket"
        self.logs = self.root / "verdicts"
        self.socket_dir.mkdir()
        self.socket_dir.chmod(0o755)  # the sandbox's notebooks run as another user
        self.logs.mkdir(mode=0o700)
        self.proc: subprocess.Popen | None = None
        self.hello: dict[str, Any] | None = None
        self._reader = protocol.FrameReader()
        self._lock = threading.Lock()  # the kernel executor registers notebooks from several threads

    @property
    def socket_path(self) -> str:
        return str(self.socket_dir / SOCKET_NAME)

    def start(self) -> None:
        """Launch the server without waiting for it (`ready` waits)."""
        if self.proc is not None:
            return
        argv = [self.python, "-c", BOOTSTRAP, str(PROJECT_ROOT), "--course", self.course,
                "--socket", self.socket_path, "--logs", str(self.logs)]
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd="/",
                                     env={**os.environ, **BLAS_THREADS}, start_new_session=True)

    def ready(self, timeout: float = 120.0) -> dict[str, Any]:
        """Wait for the server's hello (what it loaded, what failed); JudgeStartError when none comes."""
        with self._lock:
            return self._ready(timeout)

    def _ready(self, timeout: float) -> dict[str, Any]:
        if self.hello is not None:
            return self.hello
        self.start()
        assert self.proc is not None and self.proc.stdout is not None
        deadline = time.monotonic() + timeout
        with selectors.DefaultSelector() as selector:
            selector.register(self.proc.stdout, selectors.EVENT_READ)
            while self.hello is None:
                left = deadline - time.monotonic()
                if left <= 0 or not selector.select(left):
                    raise JudgeStartError(f"the judge server said nothing within {timeout:g} s")
                data = os.read(self.proc.stdout.fileno(), 1 << 16)
                if not data:
                    raise JudgeStartError(f"the judge server exited (code {self.proc.wait()})")
                frames = self._reader.feed(data)
                if frames:
                    self.hello = frames[0]
        return self.hello

    def _send(self, obj: dict[str, Any]) -> None:
        assert self.proc is not None and self.proc.stdin is not None
        with self._lock:
            protocol.write_all(self.proc.stdin.fileno(), protocol.encode(obj))

    def register(self, notebook: dict[str, Any], assignment: str, socket: str | None = None,
                 variant: dict[str, Any] | None = None) -> tuple[str, dict[str, str], list[Expected]]:
        """Tell the server a notebook of ``assignment`` will run: its token, the variables that lead its hidden
        tests to the judge (at ``socket``, where the notebook sees the socket; default: `socket_path`), and its
        hidden calls (read from ``notebook``, whose test cells must be trusted). ``variant``: the owner's
        parameters, against which the judge checks variant answers."""
        self.ready()
        token = secrets.token_hex(16)
        expected = hidden_calls(notebook)
        self._send({"op": "job", "token": token, "assignment": assignment,
                    "expected": [e.to_dict() for e in expected], "variant": variant})
        return token, {JUDGE_VARIABLE: socket or self.socket_path, TOKEN_VARIABLE: token}, expected

    def finish(self, token: str, expected: Sequence[Expected]) -> tuple[dict[str, Any], ...]:
        """The verdict of each hidden call of the notebook (``missing`` when it never reached the judge,
        ``unfinished`` when its check did not end); the notebook's judge is ended and its log removed."""
        log = self.logs / f"{token}.jsonl"
        seen: dict[int, dict[str, Any]] = {}
        for entry in iter_log(str(log)):
            slot = entry.get("slot")
            if type(slot) is int and 0 <= slot < len(expected):
                seen[slot] = entry
        if self.proc is not None and self.proc.poll() is None:
            self._send({"op": "end", "token": token})
        log.unlink(missing_ok=True)
        out = []
        for i, call in enumerate(expected):
            entry = seen.get(i, {"status": "missing"})
            status = entry.get("status") if entry.get("status") in ("passed", "failed") else (
                "unfinished" if entry.get("status") == "started" else "missing")
            out.append({"cell": call.cell, "grade_id": call.grade_id, "name": call.name, "status": status,
                        "ename": str(entry.get("ename", "")), "message": str(entry.get("message", ""))})
        return tuple(out)

    def close(self) -> None:
        if self.proc is not None:
            if self.proc.poll() is None:
                try:
                    self._send({"op": "exit"})
                    self.proc.wait(timeout=5)
                except (OSError, subprocess.TimeoutExpired):
                    self.proc.kill()
                    self.proc.wait()
            for pipe in (self.proc.stdin, self.proc.stdout):
                if pipe is not None:
                    pipe.close()
            self.proc = None
        shutil.rmtree(self.root, ignore_errors=True)
