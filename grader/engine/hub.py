"""The output side of a notebook's process: stdout/stderr batched as ipykernel batches them, fd capture, frames.

ipykernel's ``OutStream`` buffers what a cell writes and sends it as one ``stream`` message 0.2 s after the first
write (``flush_interval``), or earlier when something else must keep its order (a display, a result, a traceback,
the end of the cell: each flushes stdout then stderr first). It also captures the raw file descriptors 1 and 2, so
the output of ``os.system`` or of C code lands in the notebook. `Hub` reproduces both, so that the same cell yields
the same stream outputs, split at the same places, as under a kernel. Every message leaves as a frame on ``fd``.
"""

from __future__ import annotations

import io
import os
import select
import selectors
import threading
import time
from typing import Any

from grader.engine import protocol

FLUSH_INTERVAL = 0.2
"""Seconds between the first write into an empty stream buffer and its automatic flush (ipykernel's value)."""
STREAMS = ("stdout", "stderr")


class Hub:
    """Sends the notebook process's messages to the server; owns the stream buffers.

    ``max_output_bytes`` caps the bytes sent: the frame that would cross it is replaced by a ``limit`` event and
    the process ends (exit code 0), so a notebook that prints forever cannot fill the grader's memory.
    """

    def __init__(self, fd: int, max_output_bytes: int | None = None) -> None:
        self.fd = fd
        self.max_output_bytes = max_output_bytes
        self.bytes_sent = 0
        self.lock = threading.RLock()
        self._text: dict[str, list[str]] = {name: [] for name in STREAMS}
        self._buffered: dict[str, int] = {name: 0 for name in STREAMS}  # characters waiting in each stream
        self._deadline: dict[str, float | None] = {name: None for name in STREAMS}
        self._captured: dict[str, int] = {}
        self._main = threading.get_ident()
        self._emitting = False
        self.interrupt_pending = False
        """Set by the time-limit handler when it fired while the main thread was writing a frame: the
        KeyboardInterrupt is raised once the frame is out, so no frame is ever cut in half."""

    # -- frames -------------------------------------------------------------------------------------------
    def emit(self, event: dict[str, Any]) -> None:
        """Send one event (a dict) as a frame."""
        text = event.get("c", {}).get("text") if event.get("m") == "stream" else None
        limit = self.max_output_bytes
        if text is not None and limit is not None and self.bytes_sent + len(text) > limit:
            with self.lock:  # over the limit: a flood is never encoded whole
                self._stop_over_limit(event, len(text))
        frame = protocol.encode(event)
        main = threading.get_ident() == self._main
        with self.lock:
            if self.max_output_bytes is not None and self.bytes_sent + len(frame) > self.max_output_bytes:
                self._stop_over_limit(event, len(frame))
            self.bytes_sent += len(frame)
            if main:
                self._emitting = True
            try:
                protocol.write_all(self.fd, frame)
            except OSError:  # the server is gone: nobody will read the rest
                os._exit(70)
            finally:
                if main:
                    self._emitting = False
        if main and self.interrupt_pending:
            self.interrupt_pending = False
            raise KeyboardInterrupt

    @property
    def emitting(self) -> bool:
        return self._emitting

    def _stop_over_limit(self, event: dict[str, Any], size: int) -> None:
        """Send what still fits of a stream (the head of the flood is what a reader needs), then stop."""
        assert self.max_output_bytes is not None
        frames = []
        content = event.get("c", {})
        if event.get("m") == "stream":
            room = self.max_output_bytes - self.bytes_sent - 256
            keep = int(len(content["text"]) * room / size)
            for _ in range(2):  # a second, shorter cut when the text encodes longer than its characters
                head = protocol.encode({**event, "c": {**content, "text": content["text"][:keep]}}) if keep > 0 else b""
                if len(head) <= room + 256:
                    break
                keep = keep * room // len(head)
            if head and len(head) <= room + 256:
                frames.append(head)
        frames.append(protocol.encode({"t": "fatal", "status": "limit",
                                       "message": f"the notebook's output passed the {self.max_output_bytes}-byte "
                                                  "limit"}))
        try:
            for frame in frames:
                protocol.write_all(self.fd, frame)
        finally:
            os._exit(0)

    def limit_hit(self, note: str) -> None:
        """A cell ran into a resource limit without the notebook stopping: reported as a ``limit`` event."""
        self.emit({"t": "limit", "note": note, "time": time.time()})

    def iopub(self, msg_type: str, content: dict[str, Any]) -> None:
        """One Jupyter IOPub-style message (``stream``, ``display_data``, ``error``, ``status``...)."""
        self.emit({"t": "iopub", "m": msg_type, "c": content, "time": time.time()})

    # -- streams ------------------------------------------------------------------------------------------
    def write(self, name: str, text: str) -> None:
        """Append to a stream buffer; buffers whose 0.2 s are up are sent first, as ipykernel's timer would."""
        now = time.monotonic()
        with self.lock:
            self._flush_due(now)
            self._text[name].append(text)
            self._buffered[name] += len(text)
            if self._deadline[name] is None:
                self._deadline[name] = now + FLUSH_INTERVAL
            if self.max_output_bytes is not None and self.bytes_sent + self._buffered[name] > self.max_output_bytes:
                self._send(name)  # a flood is stopped as soon as it passes the limit, not held in memory

    def flush(self, name: str) -> None:
        """``sys.stdout.flush()``: send that stream's buffer now."""
        with self.lock:
            self._flush_due(time.monotonic())
            self._send(name)

    def flush_all(self) -> None:
        """What ipykernel does before a display, a result, a traceback and at the end of a cell. Bytes already
        waiting on the captured fds (a finished subprocess's output) are taken in first: ipykernel's flush waits
        for its I/O thread, which has usually read them by then."""
        with self.lock:
            self._drain()
            self._flush_due(time.monotonic())
            for name in STREAMS:
                self._send(name)

    def _flush_due(self, now: float) -> None:
        due = sorted((d, name) for name, d in self._deadline.items() if d is not None and d <= now)
        for _, name in due:
            self._send(name)

    def _send(self, name: str) -> None:
        parts = self._text[name]
        self._deadline[name] = None
        self._buffered[name] = 0
        if not parts:
            return
        text = "".join(parts)
        parts.clear()
        if text:
            self.iopub("stream", {"name": name, "text": text})

    def next_deadline(self) -> float | None:
        with self.lock:
            pending = [d for d in self._deadline.values() if d is not None]
        return min(pending) if pending else None

    # -- fd capture ---------------------------------------------------------------------------------------
    def capture_fds(self, read_fds: dict[str, int]) -> threading.Thread:
        """Start the I/O thread: it reads what lands on the captured fds and sends buffers when they are due."""
        thread = threading.Thread(target=self._io_loop, args=(read_fds,), name="engine-io", daemon=True)
        thread.start()
        return thread

    def _read_fd(self, name: str, fd: int) -> bool:
        """Move what is waiting on a captured fd into its stream; False at EOF. Call with the lock held."""
        try:
            data = os.read(fd, 65536)
        except BlockingIOError:
            return True
        if not data:
            return False
        # ipykernel decodes each chunk on its own, with errors="replace": so do we.
        self.write(name, data.decode(errors="replace"))
        return True

    def _drain(self) -> None:
        for name, fd in list(self._captured.items()):
            while True:
                try:
                    waiting = bool(select.select([fd], [], [], 0)[0])
                except (OSError, ValueError):
                    waiting = False
                if not waiting or not self._read_fd(name, fd):
                    break

    def _io_loop(self, read_fds: dict[str, int]) -> None:
        selector = selectors.DefaultSelector()
        for name, fd in read_fds.items():
            os.set_blocking(fd, False)
            selector.register(fd, selectors.EVENT_READ, name)
        with self.lock:
            self._captured = dict(read_fds)
        while True:
            deadline = self.next_deadline()
            timeout = 0.1 if deadline is None else min(0.1, max(0.0, deadline - time.monotonic()))
            for key, _ in selector.select(timeout):
                with self.lock:
                    if not self._read_fd(key.data, key.fd):
                        selector.unregister(key.fd)
                        self._captured.pop(key.data, None)
            with self.lock:
                self._flush_due(time.monotonic())


class HubStream(io.TextIOBase):
    """``sys.stdout`` / ``sys.stderr`` of the notebook's process (ipykernel's ``OutStream`` seen from the cell)."""

    def __init__(self, hub: Hub, name: str, fileno: int) -> None:
        super().__init__()
        self._hub = hub
        self.name = name  # type: ignore[misc]
        self._fileno = fileno

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return "UTF-8"

    def write(self, string: str) -> int:  # type: ignore[override]
        if not isinstance(string, str):
            raise TypeError(f"write() argument must be str, not {type(string)}")
        self._hub.write(self.name, string)
        return len(string)

    def writelines(self, lines: Any) -> None:  # type: ignore[override]
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        self._hub.flush(self.name)

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        # Like ipykernel: subprocesses handed sys.stdout write to the original stream, not into the notebook.
        return self._fileno
