"""The student's side of the judge: a thin client, with no secrets, that `grader.hidden.check` talks through.

It sends a check's name and the student's values (`grader.judge.wire`: plain data, and references to the student's
functions, which stay here), then does what the judge asks until the verdict comes: call a student's function on
the arguments the judge chose, quietly (warnings and stderr swallowed, as a check does), and send back what it
returned or raised, with the arrays and generators it changed in place. A callable of the judge's (a recording
``f``, an init function) arrives as a stub whose calls the judge serves. A failed verdict is raised here as the
exception the check raised (``AssertionError`` and its message), so the test cell fails as it would in-process;
the grade does not depend on it, since the judge keeps its own record. When the verdict names an exception the
student's code raised during the check, it is raised *from* that exception, so the traceback shows the student's
own frame and line (`grader.tracebacks` keeps those and drops this module's).

A ``KeyboardInterrupt`` or ``SystemExit`` (a cell's time limit) stops the check wherever it comes, in the student's
code or while the client waits: the judge is told (``abort``), records the check as failed, and acknowledges
(``aborted``); the next check first drops whatever the judge had sent for the old one.
"""

from __future__ import annotations

import builtins
import contextlib
import socket
from typing import Any

import numpy as np

from grader.checks.common import quiet
from grader.judge import wire
from grader.judge.session import write_back


class JudgeError(ConnectionError):
    """The judge could not be reached, or refused this notebook."""


def _exception(ename: Any, message: Any) -> Exception:
    """The exception a verdict names (a built-in one; AssertionError otherwise)."""
    kind = getattr(builtins, str(ename), None)
    if not (isinstance(kind, type) and issubclass(kind, Exception)):
        kind = AssertionError
    return kind(str(message))


class Client:
    """One connection to the judge, for the whole notebook."""

    def __init__(self, path: str, token: str) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            self.sock.connect(path)
            wire.send(self.sock, {"op": "hello", "token": token})
            reply = wire.recv(self.sock)
        except (OSError, wire.WireError) as exc:
            self.sock.close()
            raise JudgeError(f"the judge at {path} cannot be reached: {exc}") from None
        if reply is None or reply[0].get("op") != "welcome":
            self.sock.close()
            raise JudgeError(f"the judge refused this notebook: {(reply or ({},))[0].get('why', 'no answer')}")
        self.objects: list[Any] = []
        """The student's objects the judge holds references to (its ``$ref`` numbers)."""
        self.stubs: dict[int, Any] = {}
        self.from_judge: dict[int, tuple[int, Any]] = {}
        """id() of a generator made here from one of the judge's -> (the judge's number, the generator)."""
        self.busy = False
        self.aborted = False
        """A check was cut short (an interrupt): the judge's acknowledgment is awaited before the next one."""
        self.raised: Exception | None = None
        """What the student's code last raised during the current check."""

    # -- the wire ---------------------------------------------------------------------------------------------

    def _encode(self, value: Any) -> tuple[Any, list[bytes]]:
        encoder = wire.Encoder(other=self._reference, generator=self._generator)
        return encoder(value), encoder.buffers

    def _reference(self, value: Any) -> Any:
        for number, stub in self.stubs.items():
            if stub is value:
                return {"$cb": number}
        if callable(value):
            self.objects.append(value)
            name = getattr(value, "__name__", None)
            name = str.__str__(name) if isinstance(name, str) else str(type(value).__name__)
            return {"$ref": len(self.objects) - 1, "name": name[:100]}
        return wire.describe(value)

    def _generator(self, value: np.random.Generator) -> dict[str, Any]:
        known = self.from_judge.get(id(value))
        return {"back": known[0]} if known and known[1] is value else {}

    def _decoder(self, buffers: list[bytearray]) -> wire.Decoder:
        return wire.Decoder(buffers, self._dereference, generator=self._generator_from_judge)

    def _dereference(self, data: dict[str, Any]) -> Any:
        if "$cb" in data and type(data["$cb"]) is int:
            return self._stub(data["$cb"])
        if "$ref" in data and type(data["$ref"]) is int and 0 <= data["$ref"] < len(self.objects):
            return self.objects[data["$ref"]]
        raise wire.WireError("unknown reference")

    def _generator_from_judge(self, data: dict[str, Any]) -> np.random.Generator:
        made = wire.generator(data["$rng"])
        if type(data.get("id")) is int:
            self.from_judge[id(made)] = (data["id"], made)
        return made

    def _recv(self) -> tuple[dict[str, Any], list[bytearray]]:
        got = wire.recv(self.sock)
        if got is None:
            raise JudgeError("the judge closed the connection")
        return got

    # -- checks ---------------------------------------------------------------------------------------------------

    def check(self, name: str, values: tuple[Any, ...], options: dict[str, Any]) -> None:
        """Have the judge run check ``name`` on ``values``; raise what it raised when it fails."""
        if self.busy:
            raise RuntimeError("hidden.check cannot be called while a check runs")
        self.busy, self.raised = True, None
        try:
            if self.aborted:
                self._resync()
            data, buffers = self._encode([list(values), dict(options)])
            wire.send(self.sock, {"op": "check", "name": str(name), "values": data}, buffers)
            verdict = self._until("verdict")
        except BaseException as exc:  # an interrupt (a cell's time limit) or an exit: the judge is told, once
            if not self.aborted:
                self.aborted = True
                with contextlib.suppress(OSError):
                    wire.send(self.sock, {"op": "abort", "why": type(exc).__name__})
            raise
        finally:
            self.busy = False
            cause, self.raised = self.raised, None
        if not verdict.get("ok"):
            error = _exception(verdict.get("ename"), verdict.get("message"))
            if cause is not None and type(cause).__name__ in str(verdict.get("message")):
                raise error from cause  # the student's frames come first in the traceback
            raise error

    def _resync(self) -> None:
        """After a check cut short: drop what the judge sent for it (a call, a verdict) up to its acknowledgment."""
        while True:
            header, _ = self._recv()
            if header.get("op") == "aborted":
                self.aborted = False
                return

    def _until(self, *ops: str) -> dict[str, Any]:
        """Serve the judge's calls until a message of one of ``ops`` comes; that message (buffers in ``$b``)."""
        while True:
            header, buffers = self._recv()
            op = header.get("op")
            if op == "call":
                self._serve_call(header, buffers)
            elif op in ops:
                return {**header, "$b": buffers}
            else:
                raise JudgeError(f"the judge sent {op!r} out of turn")

    def _serve_call(self, header: dict[str, Any], buffers: list[bytearray]) -> None:
        number, target = header.get("id"), header.get("target")
        if not (type(target) is int and 0 <= target < len(self.objects)):
            raise JudgeError("the judge called an unknown object")
        args, kwargs = self._decoder(buffers)(header.get("args"))
        taken, global_state = wire.snapshot([args, kwargs]), _global_state()
        try:
            with quiet():
                value = self.objects[target](*args, **kwargs)
        except Exception as exc:  # the student's code raised: the check says so, as call_student does
            self.raised = exc
            data, out = self._encode(wire.changed(taken))
            wire.send(self.sock, {"op": "raise", "id": number, "type": type(exc).__name__, "message": _text(exc),
                                  "back": data, "global_random": _global_state() != global_state}, out)
            return
        drew = _global_state() != global_state
        keep = header.get("keep")
        try:
            if type(keep) is list and isinstance(value, dict):
                value = {k: v if k in keep else wire.skeleton(v) for k, v in dict.items(value)}
            data, out = self._encode([value, wire.changed(taken)])
        except Exception as exc:  # what it returned cannot travel: the check says so, as if it had raised
            data, out = self._encode(wire.changed(taken))
            wire.send(self.sock, {"op": "raise", "id": number, "type": "ValueError", "back": data,
                                  "message": f"what it returned cannot be sent to the grader ({_text(exc)[:200]})",
                                  "global_random": drew}, out)
            return
        wire.send(self.sock, {"op": "return", "id": number, "value": data, "global_random": drew}, out)

    def _stub(self, number: int) -> Any:
        if number in self.stubs:
            return self.stubs[number]

        def callback(*args: Any, **kwargs: Any) -> Any:
            data, buffers = self._encode([list(args), kwargs])
            wire.send(self.sock, {"op": "callback", "cb": number, "args": data}, buffers)
            reply = self._until("cb_return", "cb_raise")
            decode = self._decoder(reply["$b"])
            if reply["op"] == "cb_raise":
                write_back([list(args), kwargs], decode(reply.get("back", [])))
                raise _exception(reply.get("type"), reply.get("message"))
            value, back = decode(reply.get("value"))
            write_back([list(args), kwargs], back)
            return value

        callback.__name__ = "f"
        self.stubs[number] = callback
        return callback


_get_state = np.random.get_state


def _global_state() -> tuple[Any, ...]:
    """NumPy's global generator's state, comparable: a check asks whether the student's code drew from it."""
    name, keys, *rest = _get_state()
    return (name, keys.tobytes(), *rest)


def _text(error: BaseException) -> str:
    try:
        return str(error)
    except Exception:
        return ""
