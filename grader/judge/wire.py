"""What crosses between a hidden test's client (in the student's process) and its judge: plain data, framed.

A message is a JSON header followed by the raw bytes of the arrays it carries::

    header length (4 bytes, big-endian) | header (UTF-8 JSON) | per array: length (8 bytes) | its bytes

Values are encoded recursively (`encode`), and decoded (`decode`) strictly, with limits: nothing is unpickled and
no code of the sender runs in the receiver.

- ``None``, ``bool``, ``int``, ``float``, ``str``: themselves (subclasses become their base type first, so an
  ``int`` whose ``__eq__`` always says True arrives as the number it holds);
- ``list``: a list; ``tuple``: ``{"$tuple": [...]}``; ``dict``: ``{"$dict": [[key, value], ...]}``;
- NumPy arrays (any subclass becomes a base ``ndarray``; no object dtypes): ``{"$nd": i, "dtype", "shape"}``, the
  bytes being the i-th buffer; a NumPy scalar is a 0-d array with ``"scalar": true``;
- a ``numpy.random.Generator``: ``{"$rng": its bit generator's state}`` (plain numbers);
- anything else is left to the sender's ``other`` hook: a reference to an object that stays on its side (a
  student's function, a judge's callback) or ``{"$obj": type name, "repr": ...}``, a stand-in that compares equal
  to nothing and says what it stood for.
"""

from __future__ import annotations

import json
import math
import re
import socket
import struct
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

HEADER = struct.Struct(">I")
LENGTH = struct.Struct(">Q")
MAX_HEADER = 64 << 20
MAX_BUFFER = 1 << 30
MAX_BUFFERS = 4096
MAX_DEPTH = 48
MAX_ITEMS = 1_000_000
MAX_REPR = 400
"""Characters of a stand-in's ``repr`` kept (a student's object may say anything, at any length)."""
_DTYPE = re.compile(r"[<>|=]?[biufc?]\d{0,2}")
"""The dtypes that travel as bytes: booleans, integers, floats and complex numbers."""
_TEXT = re.compile(r"[<>|=]?[US]\d{1,6}")
"""Text dtypes, which travel item by item (as do object arrays, whose items are encoded like any value)."""


class WireError(Exception):
    """A peer sent a message that is not well formed, or over a limit."""


class Opaque:
    """What stands for an object of the other side that is not plain data (a class named after its type)."""

    _shown = ""

    def __repr__(self) -> str:
        return self._shown

    def __eq__(self, other: object) -> bool:
        return False

    __hash__ = object.__hash__


_OPAQUE_TYPES: dict[str, type[Opaque]] = {}


def opaque(type_name: str, shown: str) -> Opaque:
    """A stand-in whose ``type(...).__name__`` is ``type_name`` and whose repr is ``shown``."""
    name = type_name if type_name.isidentifier() else "object"
    kind = _OPAQUE_TYPES.get(name)
    if kind is None:
        kind = _OPAQUE_TYPES[name] = type(name, (Opaque,), {"__module__": "grader.judge.wire"})
    stand_in = kind()
    stand_in._shown = shown[:MAX_REPR]
    return stand_in


def describe(value: Any) -> dict[str, str]:
    """The ``$obj`` form of ``value``: its type's name and its repr (the repr may run the owner's code)."""
    try:
        shown = repr(value)
        shown = shown if isinstance(shown, str) else object.__repr__(value)
    except Exception:
        shown = object.__repr__(value)
    return {"$obj": str(type(value).__name__)[:100], "repr": str.__str__(shown)[:MAX_REPR]}


class Skipped:
    """An array left out of a result (`grader.checks.only`): its shape and dtype travel, not its numbers."""

    def __init__(self, shape: tuple[int, ...], dtype: str) -> None:
        self.shape, self.dtype = shape, dtype


def skeleton(value: Any) -> Any:
    """``value`` with each array inside lists, tuples and dicts replaced by a `Skipped` (the rest as it is)."""
    if isinstance(value, np.ndarray) and _DTYPE.fullmatch(value.dtype.str):
        return Skipped(tuple(int(n) for n in value.shape), value.dtype.str)
    if isinstance(value, list | tuple):
        return type(value)(skeleton(item) for item in value) if type(value) in (list, tuple) else value
    if type(value) is dict:
        return {k: skeleton(v) for k, v in value.items()}
    return value


class Encoder:
    """Turns one message's values into JSON-able data plus buffers; ``other(value)`` encodes what is not plain."""

    def __init__(self, other: Callable[[Any], Any] = describe,
                 generator: Callable[[np.random.Generator], dict[str, Any]] | None = None) -> None:
        """``other(value)`` encodes what is not plain data; ``generator(value)`` adds fields to a generator's
        encoding (a reference that keeps its identity)."""
        self.other, self.generator, self.buffers, self._items = other, generator, [], 0

    def __call__(self, value: Any, depth: int = 0) -> Any:
        self._items += 1
        if depth > MAX_DEPTH or self._items > MAX_ITEMS:
            raise WireError(f"a value nested deeper than {MAX_DEPTH} or with more than {MAX_ITEMS} items")
        if value is None or type(value) in (bool, str):
            return value
        if type(value) is int:
            return value
        if type(value) is float:
            return value if math.isfinite(value) else {"$float": repr(value)}
        if isinstance(value, str) and not isinstance(value, np.generic):
            return str.__str__(value)
        if isinstance(value, np.ndarray | np.generic):
            return self._array(value, depth)
        if type(value) is Skipped:
            return {"$skip": list(value.shape), "dtype": value.dtype}
        if isinstance(value, int) and not isinstance(value, bool):  # Python's bool cannot be subclassed
            return int.__int__(value)
        if isinstance(value, float):
            return self(float.__float__(value), depth)
        if isinstance(value, list):  # a subclass travels as the list it holds
            return [self(v, depth + 1) for v in list.__iter__(value)]
        if isinstance(value, tuple):  # a named tuple too
            return {"$tuple": [self(v, depth + 1) for v in tuple.__iter__(value)]}
        if isinstance(value, dict):
            return {"$dict": [[self(k, depth + 1), self(v, depth + 1)] for k, v in dict.items(value)]}
        if isinstance(value, bytes):
            return {"$bytes": bytes.__bytes__(value).decode("latin-1")}
        if isinstance(value, np.random.Generator):
            return {**self.state(value), **(self.generator(value) if self.generator else {})}
        return self.other(value)

    def state(self, value: np.random.Generator) -> dict[str, Any]:
        """``{"$rng": ...}``: the generator's bit generator state, encoded (MT19937's holds an array)."""
        return {"$rng": self(value.bit_generator.state, MAX_DEPTH - 4)}

    def _array(self, value: np.ndarray | np.generic, depth: int) -> dict[str, Any]:
        array = np.ndarray.__array__(value) if isinstance(value, np.ndarray) else np.asarray(value)
        if type(array) is not np.ndarray:
            array = array.view(np.ndarray)
        if not _DTYPE.fullmatch(array.dtype.str):  # text, objects, records: element by element
            if array.size > MAX_ITEMS or (not _TEXT.fullmatch(array.dtype.str) and not array.dtype.hasobject):
                return self.other(value)
            items = [self(item, depth + 1) for item in array.ravel().tolist()]
            return {"$items": items, "dtype": array.dtype.str if not array.dtype.hasobject else "|O",
                    "shape": list(array.shape), **({"scalar": True} if isinstance(value, np.generic) else {})}
        self.buffers.append(np.ascontiguousarray(array).tobytes())
        if len(self.buffers) > MAX_BUFFERS:
            raise WireError(f"more than {MAX_BUFFERS} arrays in one message")
        out = {"$nd": len(self.buffers) - 1, "dtype": array.dtype.str, "shape": list(array.shape)}
        if isinstance(value, np.generic):
            out["scalar"] = True
        return out


class Decoder:
    """Turns a message's data and buffers back into values; ``other(data)`` decodes references."""

    def __init__(self, buffers: list[bytearray], other: Callable[[dict[str, Any]], Any],
                 generator: Callable[[dict[str, Any]], np.random.Generator] | None = None) -> None:
        self.buffers, self.other, self.generator, self._items = buffers, other, generator, 0

    def __call__(self, data: Any) -> Any:
        """The value ``data`` encodes; `WireError` for anything malformed, whatever NumPy would have raised."""
        try:
            return self._decode(data, 0)
        except WireError:
            raise
        except (TypeError, ValueError, OverflowError, UnicodeError, RecursionError, MemoryError) as exc:
            raise WireError(f"a malformed value: {type(exc).__name__}: {exc}"[:300]) from None

    def _decode(self, data: Any, depth: int) -> Any:
        self._items += 1
        if depth > MAX_DEPTH or self._items > MAX_ITEMS:
            raise WireError(f"a value nested deeper than {MAX_DEPTH} or with more than {MAX_ITEMS} items")
        if data is None or type(data) in (bool, int, float, str):
            return data
        if type(data) is list:
            return [self._decode(v, depth + 1) for v in data]
        if type(data) is not dict or len(data) < 1:
            raise WireError(f"cannot decode {type(data).__name__}")
        if "$tuple" in data:
            return tuple(self._decode(v, depth + 1) for v in _list(data["$tuple"]))
        if "$dict" in data:
            pairs = [_list(pair) for pair in _list(data["$dict"])]
            if any(len(pair) != 2 for pair in pairs):
                raise WireError("a dict entry is not a pair")
            out = {}
            for key, value in pairs:
                key = self._decode(key, depth + 1)
                try:
                    out[key] = self._decode(value, depth + 1)
                except TypeError:
                    raise WireError("a dict key is not hashable") from None
            return out
        if "$float" in data:
            text = data["$float"]
            if text not in ("nan", "inf", "-inf"):
                raise WireError(f"not a float: {text!r}")
            return float(text)
        if "$nd" in data:
            return self._array(data)
        if "$skip" in data:
            return self._skipped(data)
        if "$items" in data:
            return self._items_array(data, depth)
        if "$rng" in data:
            data = {**data, "$rng": self._decode(data["$rng"], MAX_DEPTH - 4)}
            return self.generator(data) if self.generator else generator(data["$rng"])
        if "$bytes" in data:
            text = data["$bytes"]
            if type(text) is not str:
                raise WireError("malformed bytes")
            return text.encode("latin-1")
        if "$obj" in data:
            return opaque(str(data["$obj"]), str(data.get("repr", "")))
        return self.other(data)

    def _array(self, data: dict[str, Any]) -> np.ndarray | np.generic:
        index, dtype, shape = data.get("$nd"), data.get("dtype"), data.get("shape")
        if not (type(index) is int and 0 <= index < len(self.buffers)) or not isinstance(dtype, str) \
                or not _DTYPE.fullmatch(dtype) or not isinstance(shape, list) \
                or not all(type(n) is int and n >= 0 for n in shape):
            raise WireError(f"malformed array: {data!r}"[:200])
        kind = np.dtype(dtype)
        buffer = self.buffers[index]
        if math.prod(shape) * kind.itemsize != len(buffer):
            raise WireError(f"an array of shape {shape} and dtype {dtype} does not fit {len(buffer)} bytes")
        array = np.frombuffer(buffer, dtype=kind).reshape(shape)  # a bytearray: writable, and this array's own
        return array[()] if data.get("scalar") and not shape else array


    def _skipped(self, data: dict[str, Any]) -> np.ndarray:
        shape, dtype = data.get("$skip"), data.get("dtype")
        if not isinstance(dtype, str) or not _DTYPE.fullmatch(dtype) or not isinstance(shape, list) \
                or not all(type(n) is int and n >= 0 for n in shape):
            raise WireError("a malformed skipped array")
        kind = np.dtype(dtype)
        if math.prod(shape) * kind.itemsize > MAX_BUFFER:
            raise WireError(f"a skipped array of shape {shape} is over the limit")
        return np.zeros(shape, dtype=kind)

    def _items_array(self, data: dict[str, Any], depth: int) -> np.ndarray | np.generic:
        dtype, shape = data.get("dtype"), data.get("shape")
        if not isinstance(dtype, str) or not (_TEXT.fullmatch(dtype) or dtype == "|O") or not isinstance(shape, list) \
                or not all(type(n) is int and n >= 0 for n in shape):
            raise WireError("malformed array of items")
        items = [self._decode(item, depth + 1) for item in _list(data.get("$items"))]
        if len(items) != math.prod(shape):
            raise WireError(f"{len(items)} items do not fill an array of shape {shape}")
        array = np.empty(len(items), dtype=object)
        array[:] = items
        array = array.reshape(shape) if dtype == "|O" else array.astype(dtype).reshape(shape)
        return array[()] if data.get("scalar") and not shape else array


def _list(value: Any) -> list[Any]:
    if type(value) is not list:
        raise WireError(f"expected a list, got {type(value).__name__}")
    return value


def generator(state: Any) -> np.random.Generator:
    """A Generator in ``state`` (a bit generator's state as `numpy.random.BitGenerator.state` gives it)."""
    if not isinstance(state, dict) or state.get("bit_generator") not in ("PCG64", "PCG64DXSM", "Philox", "SFC64",
                                                                          "MT19937"):
        raise WireError("malformed generator state")
    bits = getattr(np.random, state["bit_generator"])()
    try:
        bits.state = state
    except (TypeError, ValueError, KeyError) as exc:
        raise WireError(f"malformed generator state: {exc}") from None
    return np.random.Generator(bits)


# -- framing --------------------------------------------------------------------------------------------------------

def send(sock: socket.socket, header: dict[str, Any], buffers: list[bytes] = ()) -> None:
    """Send one message (blocking)."""
    payload = json.dumps({**header, "nb": len(buffers)}, separators=(",", ":")).encode()
    parts = [HEADER.pack(len(payload)), payload]
    for buffer in buffers:
        parts += [LENGTH.pack(len(buffer)), buffer]
    sock.sendall(b"".join(parts))


def recv(sock: socket.socket) -> tuple[dict[str, Any], list[bytearray]] | None:
    """One message (blocking): its header and buffers; None when the peer closed before a message began."""
    head = _exactly(sock, HEADER.size, allow_eof=True)
    if head is None:
        return None
    (size,) = HEADER.unpack(head)
    if size > MAX_HEADER:
        raise WireError(f"a header of {size} bytes is over the limit")
    try:
        header = json.loads(_exactly(sock, size))
    except (ValueError, RecursionError) as exc:
        raise WireError(f"a header is not JSON: {type(exc).__name__}: {exc}"[:300]) from None
    count = header.get("nb", 0) if isinstance(header, dict) else None
    if not isinstance(header, dict) or type(count) is not int or not 0 <= count <= MAX_BUFFERS:
        raise WireError("a header is not a JSON object with a buffer count")
    buffers, total = [], 0
    for _ in range(count):
        (length,) = LENGTH.unpack(_exactly(sock, LENGTH.size))
        total += length
        if length > MAX_BUFFER or total > MAX_BUFFER:
            raise WireError(f"arrays of {total} bytes in one message are over the limit")
        buffers.append(_exactly(sock, length))
    return header, buffers


CHUNK = 1 << 20


def _exactly(sock: socket.socket, n: int, allow_eof: bool = False) -> bytearray | None:
    """``n`` bytes, read as they arrive: memory grows with what came, never with what a header announced."""
    data = bytearray()
    while len(data) < n:
        chunk = sock.recv(min(n - len(data), CHUNK))
        if not chunk:
            if allow_eof and not data:
                return None
            raise WireError(f"the connection closed {len(data)} bytes into {n}")
        data += chunk
    return data


def walk_arrays(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    """(path, item) for every array and generator inside lists, tuples and dicts of ``value``."""
    if isinstance(value, np.ndarray | np.random.Generator):
        yield path, value
    elif type(value) in (list, tuple):
        for i, item in enumerate(value):
            yield from walk_arrays(item, (*path, i))
    elif type(value) is dict:
        for key, item in value.items():
            if type(key) in (str, int):
                yield from walk_arrays(item, (*path, key))


def fingerprint(item: Any) -> Any:
    """What tells whether an array or a generator was changed in place: its bytes, or its state."""
    if isinstance(item, np.random.Generator):
        return _frozen(item.bit_generator.state)
    return (item.shape, item.dtype.str, np.ndarray.tobytes(item))


def _frozen(value: Any) -> Any:
    """``value`` (a generator's state: dicts, numbers, arrays) as something comparable with ``==``."""
    if isinstance(value, dict):
        return tuple(sorted((str(k), _frozen(v)) for k, v in value.items()))
    if isinstance(value, np.ndarray):
        return (value.dtype.str, value.shape, value.tobytes())
    return value


def snapshot(value: Any) -> list[tuple[tuple[Any, ...], Any, Any]]:
    """(path, item, fingerprint) of every array and generator in ``value``, before someone else's code runs."""
    return [(path, item, fingerprint(item)) for path, item in walk_arrays(value)]


def changed(taken: list[tuple[tuple[Any, ...], Any, Any]]) -> list[list[Any]]:
    """[path, item] of what changed since `snapshot` (to be written back into the owner's objects)."""
    return [[list(path), item] for path, item, before in taken if fingerprint(item) != before]
