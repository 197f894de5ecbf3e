"""Length-prefixed JSON frames: how the client, the warm server and its children talk over pipes.

A frame is a 4-byte big-endian payload length followed by the UTF-8 JSON payload (one object). JSON, not pickle:
frames that started in a notebook's process are untrusted, and unpickling them outside the sandbox would run
whatever code they carry.
"""

from __future__ import annotations

import json
import os
import struct
from typing import Any

HEADER = struct.Struct(">I")
MAX_FRAME = 1 << 30


class ProtocolError(Exception):
    """A peer sent bytes that are not a well-formed frame."""


def _default(obj: Any) -> Any:
    """JSON fallback for the odd object in display metadata (what jupyter_client's packer would do)."""
    from jupyter_client.jsonutil import json_default

    try:
        return json_default(obj)
    except TypeError:
        return repr(obj)


def encode(obj: Any) -> bytes:
    """One frame: header + JSON (ASCII-escaped, so lone surrogates in student output cannot break it)."""
    payload = json.dumps(obj, default=_default, separators=(",", ":")).encode("ascii")
    return HEADER.pack(len(payload)) + payload


def write_all(fd: int, data: bytes | memoryview) -> None:
    """Write every byte to a blocking fd."""
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def read_frame(fd: int, max_frame: int = MAX_FRAME) -> Any:
    """Block until one whole frame arrives on ``fd`` and return its object; None at EOF before a frame began."""
    reader, out = FrameReader(max_frame), []
    while not out:
        data = os.read(fd, 1 << 20)
        if not data:
            if reader.pending:
                raise ProtocolError(f"the stream ended {reader.pending} bytes into a frame")
            return None
        out = reader.feed(data)
    if len(out) > 1 or reader.pending:
        raise ProtocolError("more than one frame where one was expected")
    return out[0]


class FrameReader:
    """Incremental decoder: feed it whatever bytes arrived, get back the complete frames."""

    def __init__(self, max_frame: int = MAX_FRAME) -> None:
        self.max_frame = max_frame
        self._buf = bytearray()
        self.bytes_seen = 0

    def feed(self, data: bytes) -> list[Any]:
        """Decoded objects of every frame completed by ``data``; raises `ProtocolError` on a bad frame."""
        self._buf += data
        self.bytes_seen += len(data)
        out = []
        while len(self._buf) >= HEADER.size:
            (size,) = HEADER.unpack_from(self._buf)
            if size > self.max_frame:
                raise ProtocolError(f"frame of {size} bytes is over the {self.max_frame}-byte limit")
            end = HEADER.size + size
            if len(self._buf) < end:
                break
            payload = bytes(self._buf[HEADER.size:end])
            del self._buf[:end]
            try:
                out.append(json.loads(payload))
            except ValueError as exc:
                raise ProtocolError(f"frame is not JSON: {exc}") from None
        return out

    @property
    def pending(self) -> int:
        """Bytes of an incomplete frame still buffered (non-zero at EOF means a truncated frame)."""
        return len(self._buf)
