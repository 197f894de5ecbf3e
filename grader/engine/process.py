"""The warm server's process as the executor sees it: started, its hello awaited, frames written and read.

`grader.engine.local.LocalForkExecutor` starts one (`grader.engine.server` runs inside) and drives it with these
frames (`grader.engine.protocol`); errors: `EngineStartError` when no hello comes, `ServerDiedError` afterwards.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import subprocess
import time
from typing import Any

from grader.engine import protocol
from grader.errors import GraderError


class ServerDiedError(Exception):
    """The warm server process ended or stopped speaking the protocol."""


class EngineStartError(GraderError):
    """The warm server could not start (wrong interpreter, missing IPython, a broken sandbox command)."""


class ServerProcess:
    """A running warm server and the frames on its pipes."""

    def __init__(self, argv: list[str], env: dict[str, str] | None) -> None:
        """Start the server's process; `handshake` waits until it is ready."""
        self.argv = argv
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd="/", env=env,
                                     start_new_session=True)
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.in_fd, self.out_fd = self.proc.stdout.fileno(), self.proc.stdin.fileno()
        os.set_blocking(self.in_fd, False)
        os.set_blocking(self.out_fd, False)
        self.reader = protocol.FrameReader()
        self.out = bytearray()
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.in_fd, selectors.EVENT_READ)
        self.hello: dict[str, Any] = {}
        self.backlog: list[dict[str, Any]] = []

    def handshake(self, timeout: float) -> None:
        """Wait for the server's hello; `EngineStartError` (the process closed) when none comes."""
        try:
            frames = self.frames(timeout=timeout)
        except ServerDiedError as exc:
            frames = []
            why = str(exc)
        else:
            why = f"no answer within {timeout:g} s"
        if not frames or frames[0].get("t") != "hello":
            self.close()
            raise EngineStartError(f"the engine server did not start ({why}): {' '.join(self.argv[:3])} ...")
        self.hello = frames[0]
        self.backlog = frames[1:]

    def send(self, obj: dict[str, Any]) -> None:
        self.out += protocol.encode(obj)
        self._flush()

    def _flush(self) -> None:
        try:
            while self.out:
                del self.out[:os.write(self.out_fd, self.out)]
        except BlockingIOError:
            pass
        except OSError as exc:
            raise ServerDiedError(f"the engine server stopped reading ({exc})") from None

    def frames(self, timeout: float | None = None) -> list[dict[str, Any]]:
        """Block until some frames arrive (or ``timeout``); raises `ServerDiedError` at EOF."""
        if self.backlog:
            frames, self.backlog = self.backlog, []
            return frames
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            writing = bool(self.out)
            if writing:
                self.selector.register(self.out_fd, selectors.EVENT_WRITE)
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            ready = self.selector.select(left)
            if writing:
                self.selector.unregister(self.out_fd)
            frames: list[dict[str, Any]] = []
            for key, _ in ready:
                if key.fd == self.out_fd:
                    self._flush()
                    continue
                try:
                    data = os.read(self.in_fd, 1 << 20)
                except BlockingIOError:
                    continue
                if not data:
                    raise ServerDiedError(f"the engine server exited (code {self.proc.poll()})")
                try:
                    frames += self.reader.feed(data)
                except protocol.ProtocolError as exc:
                    raise ServerDiedError(f"the engine server sent garbage ({exc})") from None
            if frames or (deadline is not None and time.monotonic() >= deadline):
                return frames

    def close(self) -> None:
        with contextlib.suppress(ServerDiedError):
            self.send({"op": "exit"})
        for stream in (self.proc.stdin, self.proc.stdout):
            with contextlib.suppress(OSError):
                stream.close()  # type: ignore[union-attr]
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.selector.close()
