"""The judge's side of one notebook: runs the hidden checks it is asked for, on the student's objects, remotely.

A check runs here, with the course's code, exactly as it would in the notebook, except that every object of the
student's is a `Remote`: calling one asks the notebook's process (`grader.judge.client`) to call the student's
object on the arguments given, and brings back its result as plain data (`grader.judge.wire`), with the arrays and
generators it was given as the student's code left them (written back here, so that a check sees an argument
changed in place), and a draw from NumPy's global generator when the student's code drew from the notebook's. A
callable of the check's own passed to the student's code (a recording ``f`` for a gradient check, an init function
for a profile) stays here: the student's code gets a stub whose calls this session serves.

What the notebook may ask is bounded: only the hidden calls the trusted notebook makes (`Expected`, matched in
order with their literal arguments), each judged once (asked again, it gets the same verdict), with limited calls
and messages. Every verdict is written to the judge's log, which the grader reads, before the notebook hears it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

import numpy as np

from grader.checks.answers import Answer, check_answer
from grader.judge import wire

MAX_CALLS = 20_000
"""Calls between the two sides (student functions called, callbacks served) in one notebook."""
MAX_MESSAGES = 100_000
"""Messages a notebook may send in all."""
MAX_VERDICT = 4000
"""Characters of a verdict's message kept: what a check says quotes the student's objects, which may be huge."""


class AbortedError(BaseException):
    """The notebook's side stopped the check (its cell was interrupted, it exited) or broke the protocol. Not an
    Exception: a check's ``except Exception`` (`grader.checks.call_student`) must not turn it into a verdict.
    ``resumable``: the notebook goes on (an interrupted cell), so the session waits for its next check."""

    def __init__(self, why: str, resumable: bool = False) -> None:
        super().__init__(why)
        self.resumable = resumable


@dataclass(frozen=True)
class Expected:
    """One hidden call of the trusted notebook: ``hidden.check(name, ...)`` in test cell ``grade_id``."""

    cell: int
    grade_id: str
    name: str
    args: tuple[Any, ...]
    """Per positional value after the name: the literal it must equal, or `ANY` (a student's value)."""
    kwargs: Mapping[str, Any] = field(default_factory=dict)

    def matches(self, name: str, values: list[Any], options: dict[str, Any]) -> bool:
        if name != self.name or len(values) != len(self.args) or set(options) != set(self.kwargs):
            return False
        pairs = [*zip(self.args, values, strict=True), *((self.kwargs[k], options[k]) for k in options)]
        return all(want is ANY or _same(want, got) for want, got in pairs)

    def to_dict(self) -> dict[str, Any]:
        def literal(value: Any) -> Any:
            return {"$any": True} if value is ANY else value

        return {"cell": self.cell, "grade_id": self.grade_id, "name": self.name,
                "args": [literal(a) for a in self.args], "kwargs": {k: literal(v) for k, v in self.kwargs.items()}}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Expected:
        def literal(value: Any) -> Any:
            return ANY if value == {"$any": True} else value

        return cls(int(data["cell"]), str(data["grade_id"]), str(data["name"]),
                   tuple(literal(a) for a in data["args"]), {k: literal(v) for k, v in data["kwargs"].items()})


class _Any:
    def __repr__(self) -> str:
        return "ANY"


ANY = _Any()
"""Where a hidden call passes a student's value: any value matches."""


def _same(want: Any, got: Any) -> bool:
    """Does ``got`` equal the literal ``want``, type for type (a literal is JSON: lists stand for tuples too)?"""
    if isinstance(want, list):
        return isinstance(got, list | tuple) and len(got) == len(want) and all(map(_same, want, got))
    return type(got) is type(want) and got == want


class Remote:
    """A student's callable, which stays in the notebook's process: calling it calls it there."""

    def __init__(self, session: Session, ref: int, name: str, keep: tuple[str, ...] | None = None) -> None:
        self._session, self._ref, self._keep = session, ref, keep
        self.__name__ = name

    def __repr__(self) -> str:
        return f"<function {self.__name__}>"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._session.call(self._ref, args, kwargs, self._keep)

    def only(self, keys: Sequence[str]) -> Remote:
        """This function, its results' arrays sent only under ``keys`` (`grader.checks.only`)."""
        return Remote(self._session, self._ref, self.__name__, tuple(str(k) for k in keys))


def _student_exception(type_name: str, message: str) -> Exception:
    """An exception that says what the student's code raised: a class of that name (an Exception subclass)."""
    name = type_name if type_name.isidentifier() else "Exception"
    return type(name, (Exception,), {"__module__": "builtins"})(message)


class Session:
    """One notebook's connection: the checks and answers of its assignment, its expected hidden calls, its log."""

    def __init__(self, sock: Any, functions: Mapping[str, Callable[..., Any]], answers: Mapping[str, Answer],
                 expected: list[Expected], log: TextIO, variant: Mapping[str, Any] | None = None) -> None:
        self.sock, self.functions, self.answers, self.log = sock, functions, answers, log
        self.variant = variant
        """The owner's variant parameters (`grader.variants`), which variant answers are judged against."""
        self.slots = expected
        self.verdicts: dict[int, dict[str, Any]] = {}
        self.callbacks: list[Any] = []
        """The check's own objects the notebook was given (callbacks, generators), by reference number."""
        self.calls = self.messages = 0
        self._next_id = 0

    # -- the wire ---------------------------------------------------------------------------------------------

    def _encode(self, value: Any) -> tuple[Any, list[bytearray]]:
        encoder = wire.Encoder(other=self._reference, generator=self._generator)
        return encoder(value), encoder.buffers

    def _reference(self, value: Any) -> Any:
        if isinstance(value, Remote):
            return {"$ref": value._ref}
        if callable(value):
            self.callbacks.append(value)
            return {"$cb": len(self.callbacks) - 1}
        return wire.describe(value)

    def _generator(self, value: np.random.Generator) -> dict[str, Any]:
        self.callbacks.append(value)
        return {"id": len(self.callbacks) - 1}

    def _decoder(self, buffers: list[bytearray]) -> wire.Decoder:
        return wire.Decoder(buffers, self._dereference, generator=self._generator_back)

    def _dereference(self, data: dict[str, Any]) -> Any:
        if "$ref" in data and type(data["$ref"]) is int:
            return Remote(self, data["$ref"], str(data.get("name", "f"))[:100])
        if "$cb" in data and type(data["$cb"]) is int and 0 <= data["$cb"] < len(self.callbacks):
            return self.callbacks[data["$cb"]]
        raise wire.WireError(f"unknown reference {json.dumps(data)[:100]}")

    def _generator_back(self, data: dict[str, Any]) -> np.random.Generator:
        back = data.get("back")
        if type(back) is int and 0 <= back < len(self.callbacks) \
                and isinstance(self.callbacks[back], np.random.Generator):
            mine = self.callbacks[back]
            mine.bit_generator.state = wire.generator(data["$rng"]).bit_generator.state
            return mine
        return wire.generator(data["$rng"])

    def _send(self, header: dict[str, Any], buffers: list[bytearray] = ()) -> None:
        try:
            wire.send(self.sock, header, buffers)
        except OSError as exc:
            raise AbortedError(f"the notebook's process is gone: {exc}") from None

    def _recv(self) -> tuple[dict[str, Any], list[bytearray]] | None:
        self.messages += 1
        if self.messages > MAX_MESSAGES:
            raise AbortedError(f"more than {MAX_MESSAGES} messages from the notebook")
        try:
            return wire.recv(self.sock)
        except (OSError, wire.WireError) as exc:
            raise AbortedError(f"the notebook broke the connection: {exc}") from None

    def _reply(self) -> tuple[dict[str, Any], list[bytearray]]:
        got = self._recv()
        if got is None:
            raise AbortedError("the notebook's process closed the connection")
        return got

    # -- calls ---------------------------------------------------------------------------------------------------

    def call(self, ref: int, args: tuple[Any, ...], kwargs: dict[str, Any], keep: tuple[str, ...] | None = None) -> Any:
        """Call the student's object ``ref`` in the notebook on ``args``; its result, or what it raised. ``keep``:
        of a mapping it returns, the keys whose arrays are sent (the others come as zeros of their shape)."""
        self.calls += 1
        if self.calls > MAX_CALLS:
            raise AbortedError(f"more than {MAX_CALLS} calls in one notebook")
        self._next_id += 1
        number = self._next_id
        data, buffers = self._encode([list(args), kwargs])
        self._send({"op": "call", "id": number, "target": ref, "args": data,
                    **({"keep": list(keep)} if keep is not None else {})}, buffers)
        while True:
            header, buffers = self._reply()
            op = header.get("op")
            if op in ("return", "raise") and header.get("global_random") is True:
                np.random.random()  # it drew from NumPy's global generator: so does this process, for the check
            try:
                if op == "return" and header.get("id") == number:
                    value, back = _pair(self._decoder(buffers)(header.get("value")))
                    write_back([list(args), kwargs], back)
                    return value
                if op == "raise" and header.get("id") == number:
                    write_back([list(args), kwargs], self._decoder(buffers)(header.get("back", [])))
                    raise _student_exception(str(header.get("type", "Exception")), str(header.get("message", "")))
            except wire.WireError as exc:
                raise AbortedError(f"the notebook sent a malformed reply: {exc}") from None
            if op == "callback":
                self._serve_callback(header, buffers)
            elif op == "abort":
                raise AbortedError(f"stopped by {str(header.get('why', 'the notebook'))[:100]}", resumable=True)
            else:
                raise AbortedError(f"the notebook sent {op!r} during a call")

    def _serve_callback(self, header: dict[str, Any], buffers: list[bytearray]) -> None:
        self.calls += 1
        if self.calls > MAX_CALLS:
            raise AbortedError(f"more than {MAX_CALLS} calls in one notebook")
        try:
            target = self._dereference({"$cb": header.get("cb")})
            args, kwargs = _pair(self._decoder(buffers)(header.get("args")))
        except wire.WireError as exc:
            raise AbortedError(f"a malformed callback: {exc}") from None
        if not callable(target) or type(args) is not list or type(kwargs) is not dict \
                or not all(type(k) is str for k in kwargs):
            raise AbortedError("a malformed callback")
        taken = wire.snapshot([args, kwargs])
        try:
            value = target(*args, **kwargs)
        except Exception as exc:  # a callback's error goes to the student's code, as it would in the notebook
            data, out = self._encode(wire.changed(taken))
            self._send({"op": "cb_raise", "type": type(exc).__name__, "message": str(exc), "back": data}, out)
            return
        data, out = self._encode([value, wire.changed(taken)])
        self._send({"op": "cb_return", "value": data}, out)

    # -- checks ---------------------------------------------------------------------------------------------------

    def serve(self) -> str:
        """Answer the notebook's checks until it hangs up, or breaks the protocol; why it ended."""
        try:
            while True:
                got = self._recv()
                if got is None:
                    return "the notebook closed the connection"
                header, buffers = got
                if header.get("op") == "abort":  # a check it stopped waiting for, whose verdict was sent
                    self._send({"op": "aborted"})
                    continue
                if header.get("op") != "check":
                    raise AbortedError(f"expected a check, got {header.get('op')!r}")
                self._check(header, buffers)
        except AbortedError as exc:
            return str(exc)

    def _check(self, header: dict[str, Any], buffers: list[bytearray]) -> None:
        name = header.get("name")
        try:
            values, options = _pair(self._decoder(buffers)(header.get("values")))
        except wire.WireError as exc:
            raise AbortedError(f"a malformed check: {exc}") from None
        if type(name) is not str or type(values) is not list or type(options) is not dict \
                or not all(type(k) is str for k in options):
            raise AbortedError("a malformed check")
        slot = self._slot(name, values, options)
        if slot is None:
            verdict = {"ok": False, "ename": "AssertionError",
                       "message": f"{name}: this is not one of the hidden tests of this notebook"}
        elif slot in self.verdicts:
            verdict = self.verdicts[slot]
        else:
            self._log({"slot": slot, "status": "started"})
            verdict, aborted = self._judge(name, values, options)
            self.verdicts[slot] = verdict
            self._log({"slot": slot, "status": "passed" if verdict["ok"] else "failed", **verdict})
            if aborted is not None:  # the notebook is not waiting for this verdict
                if aborted.resumable:
                    self._send({"op": "aborted"})
                    return
                raise aborted
        self._send({"op": "verdict", **verdict})

    def _slot(self, name: str, values: list[Any], options: dict[str, Any]) -> int | None:
        """The first hidden call not yet judged that this request is; else the first judged one it is."""
        fits = [i for i, slot in enumerate(self.slots) if slot.matches(name, values, options)]
        fresh = [i for i in fits if i not in self.verdicts]
        return (fresh or fits or [None])[0]

    def _judge(self, name: str, values: list[Any], options: dict[str, Any]
               ) -> tuple[dict[str, Any], AbortedError | None]:
        """The verdict of check ``name``, and the `AbortedError` that cut it short, if one did."""
        try:
            function = self.functions.get(name)
            if function is not None:
                function(*values, **options)
            elif name in self.answers and len(values) == 1 and not options:
                check_answer(self.answers, name, values[0], self.variant)
            else:
                raise LookupError(f"no check or answer named {name!r}")
        except AbortedError as exc:
            return {"ok": False, "ename": "AssertionError",
                    "message": f"{name}: the check did not finish ({exc})"}, exc
        except Exception as exc:
            return {"ok": False, "ename": type(exc).__name__[:100], "message": _cut(str(exc))}, None
        return {"ok": True, "ename": "", "message": ""}, None

    def _log(self, entry: dict[str, Any]) -> None:
        self.log.write(json.dumps(entry) + "\n")
        self.log.flush()


def _cut(text: str) -> str:
    return text if len(text) <= MAX_VERDICT else f"{text[:MAX_VERDICT]}... ({len(text) - MAX_VERDICT} more characters)"


def _pair(value: Any) -> tuple[Any, Any]:
    if type(value) is not list or len(value) != 2:
        raise AbortedError("a malformed reply")
    return value[0], value[1]


def write_back(given: Any, back: Any) -> None:
    """Put into ``given`` (the arguments as sent) the arrays and generators the other side changed in place."""
    if type(back) is not list:
        return
    for entry in back:
        if type(entry) is not list or len(entry) != 2 or type(entry[0]) is not list:
            continue
        target: Any = given
        try:
            for key in entry[0]:
                target = target[key]
        except (KeyError, IndexError, TypeError):
            continue
        new = entry[1]
        if isinstance(target, np.ndarray) and isinstance(new, np.ndarray) and target.shape == new.shape \
                and target.dtype == new.dtype and target.flags.writeable:
            target[...] = new
        elif isinstance(target, np.random.Generator) and isinstance(new, np.random.Generator):
            target.bit_generator.state = new.bit_generator.state


def iter_log(path: str) -> Iterator[dict[str, Any]]:
    """The entries of a judge's log (a line that is not JSON, as a write cut short, is skipped)."""
    if not os.path.exists(path):
        return
    with open(path) as lines:
        for line in lines:
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if isinstance(entry, dict):
                yield entry
