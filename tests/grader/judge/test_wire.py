"""grader/judge/wire.py: does every plain value cross between the notebook and the judge intact, does a student's
object arrive as plain data or an inert stand-in, and is a malformed message refused without anything unpickled?"""

from __future__ import annotations

import json
import math
import pickle
import socket
import struct
import threading
from typing import Any

import numpy as np
import pytest

from grader.judge import wire


def _no_reference(data: dict[str, Any]) -> Any:
    raise wire.WireError(f"no references here: {data}")


def round_trip(value: Any) -> Any:
    """``value`` encoded, through JSON text, and decoded, as a message carries it."""
    encoder = wire.Encoder()
    data = json.loads(json.dumps(encoder(value)))
    return wire.Decoder([bytearray(b) for b in encoder.buffers], other=_no_reference)(data)


def decode(data: Any, buffers: list[bytes] = ()) -> Any:
    return wire.Decoder([bytearray(b) for b in buffers], other=_no_reference)(data)


# -- plain values ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [
    None, True, False, 0, -7, 2**200, -(2**100), 0.1, -0.0, 1e308, "", "héllo ✓", [], [1, "a", None],
    (), (1, (2, 3)), {}, {"a": 1}, {1: "one", (1, 2): "pair", None: 0, 2.5: "half", False: "no"},
    {"a": [1, (2, {"b": [None, 3.5]})], "c": ()},
], ids=repr)
def test_plain_values_arrive_equal_and_of_the_same_type(value: Any) -> None:
    """Do None, bools, ints (huge too), floats, str, lists, tuples and dicts (any hashable keys) round-trip?"""
    got = round_trip(value)
    assert got == value
    assert type(got) is type(value)
    assert repr(got) == repr(value)  # bool stays bool, -0.0 stays -0.0, tuples stay tuples all the way down


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_non_finite_floats_arrive_as_floats(value: float) -> None:
    got = round_trip(value)
    assert type(got) is float
    assert repr(got) == repr(value)


@pytest.mark.parametrize("array", [
    np.arange(6, dtype=np.float64).reshape(2, 3) / 7,
    np.arange(-3, 3, dtype=np.int64), np.arange(4, dtype=np.uint8), np.array([1, 2], dtype=np.int16),
    np.array([True, False]), np.array([1 + 2j, -3j]), np.array([1.5], dtype=np.float32),
    np.array(3.25), np.array(7, dtype=np.int32), np.zeros((0,)), np.zeros((3, 0, 2)), np.array([np.nan, np.inf]),
    np.arange(1.0, 2.0, 0.25).astype(">f8"),
], ids=lambda a: f"{a.dtype.str}{a.shape}")
def test_arrays_arrive_with_their_dtype_shape_and_values(array: np.ndarray) -> None:
    """Do float64, int, bool and complex arrays, 0-d and empty ones, arrive with their dtype, shape and bytes?"""
    got = round_trip(array)
    assert type(got) is np.ndarray
    assert got.dtype == array.dtype and got.shape == array.shape
    assert got.tobytes() == array.tobytes()


def test_a_non_contiguous_array_arrives_with_the_values_it_shows() -> None:
    base = np.arange(24, dtype=np.float64).reshape(4, 6)
    for view in (base[:, ::2], base.T, base[::-1, 1:4], np.asfortranarray(base)):
        got = round_trip(view)
        assert got.shape == view.shape
        np.testing.assert_array_equal(got, view)


def test_a_received_array_is_writable_and_its_own() -> None:
    """Can the receiver change an array in place (a student's function may), without touching the buffers of
    another array of the same message?"""
    first, second = round_trip([np.zeros(3), np.zeros(3)])
    first[0] = 1.0
    assert first.flags.writeable and second[0] == 0.0


@pytest.mark.parametrize("scalar", [
    np.float64(0.5), np.float32(-1.25), np.int8(-3), np.int64(2**40), np.uint16(9), np.bool_(True),
    np.complex128(1 - 1j), np.str_("abc"),
], ids=repr)
def test_numpy_scalars_keep_their_type(scalar: np.generic) -> None:
    got = round_trip(scalar)
    assert type(got) is type(scalar)
    assert got == scalar


@pytest.mark.parametrize("array", [np.array(["a", "bc", "déf"]), np.array([["x"], ["yz"]]), np.array("solo")],
                         ids=repr)
def test_text_arrays_arrive_as_text_arrays(array: np.ndarray) -> None:
    got = round_trip(array)
    assert type(got) is np.ndarray and got.dtype == array.dtype and got.shape == array.shape
    np.testing.assert_array_equal(got, array)


def test_an_object_array_arrives_item_by_item() -> None:
    array = np.empty(4, dtype=object)
    array[:] = [1, "x", None, [1, 2]]
    got = round_trip(array.reshape(2, 2))
    assert got.dtype == object and got.shape == (2, 2)
    assert got.ravel().tolist() == [1, "x", None, [1, 2]]


@pytest.mark.parametrize("bits", [np.random.PCG64, np.random.PCG64DXSM, np.random.Philox, np.random.SFC64,
                                  np.random.MT19937], ids=lambda b: b.__name__)
def test_a_generator_arrives_in_the_same_state(bits: type[np.random.BitGenerator]) -> None:
    """Does a Generator arrive as a new Generator of the same bit generator, drawing the same numbers next, and
    can it be watched for changes in place?"""
    rng = np.random.Generator(bits(1))
    rng.standard_normal(5)
    wire.snapshot([rng])
    got = round_trip(rng)
    assert isinstance(got, np.random.Generator) and got is not rng
    assert type(got.bit_generator) is bits
    np.testing.assert_array_equal(got.random(4), rng.random(4))


# -- subclasses and unknown objects ---------------------------------------------------------------------------------


class AlwaysEqualInt(int):
    def __eq__(self, other: object) -> bool:
        return True

    __hash__ = int.__hash__


class LoudStr(str):
    def __str__(self) -> str:
        return "something else"


class ZeroFloat(float):
    def __float__(self) -> float:
        return 0.0


class LyingArray(np.ndarray):
    @property
    def dtype(self) -> np.dtype:  # type: ignore[override]
        return np.dtype(np.float64)


@pytest.mark.parametrize(("value", "plain"), [
    (AlwaysEqualInt(3), 3), (LoudStr("abc"), "abc"), (ZeroFloat(2.5), 2.5),
], ids=lambda v: type(v).__name__)
def test_a_subclass_of_a_plain_type_arrives_as_the_plain_value_it_holds(value: Any, plain: Any) -> None:
    got = round_trip(value)
    assert type(got) is type(plain) and repr(got) == repr(plain)


def test_an_int_that_equals_everything_arrives_as_a_number_that_does_not() -> None:
    got = round_trip([AlwaysEqualInt(3)])[0]
    assert got == 3 and got != 4


def test_an_array_subclass_that_lies_about_its_dtype_arrives_as_a_base_array_with_its_true_dtype() -> None:
    liar = np.arange(3, dtype=np.int32).view(LyingArray)
    assert liar.dtype == np.float64  # what it says
    got = round_trip(liar)
    assert type(got) is np.ndarray and got.dtype == np.int32
    np.testing.assert_array_equal(got, [0, 1, 2])


class Thing:
    def __repr__(self) -> str:
        return "Thing(" + "x" * 1000 + ")"


class BadRepr:
    def __repr__(self) -> str:
        raise RuntimeError("no")


def test_an_unknown_object_arrives_as_an_opaque_stand_in_named_after_its_type() -> None:
    got = round_trip(Thing())
    assert isinstance(got, wire.Opaque) and type(got).__name__ == "Thing"
    assert repr(got) == repr(Thing())[: wire.MAX_REPR]


def test_a_stand_in_equals_nothing_not_even_itself() -> None:
    got = round_trip(Thing())
    assert [got == other for other in (got, 0, "Thing", repr(got), round_trip(Thing()))] == [False] * 5


@pytest.mark.parametrize("value", [BadRepr(), print, {1, 2}, [1, 2].__iter__(), np.datetime64("2024-01-01")],
                         ids=lambda v: type(v).__name__)
def test_other_objects_arrive_as_stand_ins(value: Any) -> None:
    """Functions, sets, iterators, datetimes, an object whose repr raises: stand-ins, never the object."""
    got = round_trip(value)
    assert isinstance(got, wire.Opaque) and type(got).__name__ == type(value).__name__


def test_a_stand_in_from_a_type_name_that_is_not_an_identifier_is_an_object() -> None:
    got = decode({"$obj": "os.system; rm", "repr": "anything"})
    assert isinstance(got, wire.Opaque) and type(got).__name__ == "object" and repr(got) == "anything"


# -- framing --------------------------------------------------------------------------------------------------------


@pytest.fixture
def pair() -> tuple[socket.socket, socket.socket]:
    a, b = socket.socketpair()
    a.settimeout(10)
    b.settimeout(10)
    yield a, b
    a.close()
    b.close()


def test_a_message_with_arrays_crosses_a_socket(pair: tuple[socket.socket, socket.socket]) -> None:
    """Does a large array (3 MB) arrive whole, along with its header?"""
    a, b = pair
    big = np.random.default_rng(0).standard_normal(3 * 2**20 // 8)
    encoder = wire.Encoder()
    data = encoder({"big": big, "small": np.arange(3), "text": "ok"})
    sender = threading.Thread(target=wire.send, args=(a, {"op": "x", "value": data}, encoder.buffers))
    sender.start()
    header, buffers = wire.recv(b)
    sender.join(10)
    assert header["op"] == "x" and header["nb"] == 2
    got = wire.Decoder(buffers, other=_no_reference)(header["value"])
    np.testing.assert_array_equal(got["big"], big)
    np.testing.assert_array_equal(got["small"], np.arange(3))
    assert got["text"] == "ok"


def test_recv_says_none_when_the_peer_closes_between_messages(pair: tuple[socket.socket, socket.socket]) -> None:
    a, b = pair
    wire.send(a, {"op": "one"})
    a.close()
    assert wire.recv(b)[0] == {"op": "one", "nb": 0}
    assert wire.recv(b) is None


def _frame(header: bytes, *buffers: bytes) -> bytes:
    return struct.pack(">I", len(header)) + header + b"".join(struct.pack(">Q", len(x)) + x for x in buffers)


@pytest.mark.parametrize("stream", [
    pytest.param(struct.pack(">I", wire.MAX_HEADER + 1), id="oversized header length"),
    pytest.param(_frame(b"not json"), id="header not JSON"),
    pytest.param(_frame(b"[1, 2]"), id="header not an object"),
    pytest.param(_frame(b'{"nb": "2"}'), id="buffer count not a number"),
    pytest.param(_frame(json.dumps({"nb": wire.MAX_BUFFERS + 1}).encode()), id="too many buffers"),
    pytest.param(_frame(b'{"nb": 1}') + struct.pack(">Q", wire.MAX_BUFFER + 1), id="oversized buffer"),
    pytest.param(_frame(b'{"op": "check"}')[:-3], id="truncated header"),
    pytest.param(_frame(b'{"nb": 1}', b"12345678")[:-2], id="truncated buffer"),
])
def test_a_malformed_stream_is_refused(pair: tuple[socket.socket, socket.socket], stream: bytes) -> None:
    a, b = pair
    a.sendall(stream)
    a.close()
    with pytest.raises(wire.WireError):
        wire.recv(b)


# -- malformed values -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("data", "buffers"), [
    pytest.param({"$nd": 0, "dtype": "|O", "shape": [1]}, [b"\0" * 8], id="object dtype"),
    pytest.param({"$nd": 0, "dtype": "|O8", "shape": [1]}, [b"\0" * 8], id="object dtype with size"),
    pytest.param({"$nd": 0, "dtype": "[('a', '<f8')]", "shape": [1]}, [b"\0" * 8], id="record dtype"),
    pytest.param({"$nd": 0, "dtype": "|V8", "shape": [1]}, [b"\0" * 8], id="void dtype"),
    pytest.param({"$nd": 0, "dtype": "<M8[s]", "shape": [1]}, [b"\0" * 8], id="datetime dtype"),
    pytest.param({"$nd": 0, "dtype": "<f8", "shape": [2]}, [b"\0" * 8], id="shape larger than the buffer"),
    pytest.param({"$nd": 0, "dtype": "<f8", "shape": [1]}, [b"\0" * 9], id="buffer larger than the shape"),
    pytest.param({"$nd": 0, "dtype": "<f8", "shape": [-1]}, [b"\0" * 8], id="negative shape"),
    pytest.param({"$nd": 0, "dtype": "<f8", "shape": [1.0]}, [b"\0" * 8], id="float shape"),
    pytest.param({"$nd": 1, "dtype": "<f8", "shape": [1]}, [b"\0" * 8], id="no such buffer"),
    pytest.param({"$nd": "0", "dtype": "<f8", "shape": [1]}, [b"\0" * 8], id="buffer index not a number"),
    pytest.param({"$items": [1], "dtype": "<f8", "shape": [1]}, [], id="items of a byte dtype"),
    pytest.param({"$items": [1, 2], "dtype": "|O", "shape": [3]}, [], id="items that do not fill the shape"),
    pytest.param({"$items": {"a": 1}, "dtype": "|O", "shape": [1]}, [], id="items not a list"),
    pytest.param({"$float": "1e5"}, [], id="a finite float in disguise"),
    pytest.param({"$tuple": 3}, [], id="tuple not a list"),
    pytest.param({"$dict": [[1, 2, 3]]}, [], id="dict entry not a pair"),
    pytest.param({"$dict": [[[1], 2]]}, [], id="unhashable dict key"),
    pytest.param({"$rng": {"bit_generator": "RandomState"}}, [], id="unknown bit generator"),
    pytest.param({"$rng": {"bit_generator": "PCG64", "state": "x"}}, [], id="malformed generator state"),
    pytest.param({"$pickle": "gASVBQAAAAAAAACMAXiULg=="}, [], id="unknown tag"),
    pytest.param({}, [], id="empty object"),
])
def test_a_malformed_value_is_refused(data: Any, buffers: list[bytes]) -> None:
    with pytest.raises(wire.WireError):
        decode(data, buffers)


def test_too_deep_nesting_is_refused_both_ways() -> None:
    deep: Any = 0
    for _ in range(wire.MAX_DEPTH + 2):
        deep = [deep]
    with pytest.raises(wire.WireError):
        wire.Encoder()(deep)
    data: Any = 0
    for _ in range(wire.MAX_DEPTH + 2):
        data = {"$tuple": [data]}
    with pytest.raises(wire.WireError):
        decode(data)


def test_a_self_referencing_list_is_refused_rather_than_recursing_forever() -> None:
    loop: list[Any] = []
    loop.append(loop)
    with pytest.raises(wire.WireError):
        wire.Encoder()(loop)


# -- nothing unpickled ----------------------------------------------------------------------------------------------


class Boom:
    def __reduce__(self) -> tuple[Any, ...]:
        return (exec, ("raise SystemExit('unpickled!')",))


def test_bytes_and_subclassed_containers_travel_as_their_base_type() -> None:
    """bytes arrive as bytes; a named tuple as a tuple, a dict or list subclass as a dict or list (a check written
    for tuples accepts a student's named tuple, as in-process)."""
    import collections

    pair = collections.namedtuple("Pair", "a b")(1, b"\x00\xff")
    assert round_trip(b"\x00\xffbytes") == b"\x00\xffbytes"
    got = round_trip([pair, collections.OrderedDict(k=1), collections.UserList([1])])
    assert got[0] == (1, b"\x00\xff") and type(got[0]) is tuple and got[1] == {"k": 1} and type(got[1]) is dict


def test_a_pickle_sent_as_bytes_of_an_array_stays_bytes() -> None:
    payload = pickle.dumps(Boom())
    got = decode({"$nd": 0, "dtype": "|u1", "shape": [len(payload)]}, [payload])
    assert got.dtype == np.uint8 and got.tobytes() == payload


def test_a_stand_in_can_only_ever_be_a_stand_in() -> None:
    """Whatever a ``$obj`` says (a type of this process, a pickle in its repr), it decodes to an inert Opaque."""
    payload = pickle.dumps(Boom()).decode("latin-1")
    for name in ("Boom", "ndarray", "int", "function", "Generator", "type"):
        got = decode({"$obj": name, "repr": payload})
        assert isinstance(got, wire.Opaque) and type(got).__name__ == name
        assert type(got).__mro__[1] is wire.Opaque
        assert repr(got) == payload[: wire.MAX_REPR]


def test_an_object_array_of_stand_ins_holds_only_stand_ins() -> None:
    got = decode({"$items": [{"$obj": "Boom", "repr": "x"}, 1], "dtype": "|O", "shape": [2]})
    assert isinstance(got[0], wire.Opaque) and got[1] == 1


# -- in-place changes -----------------------------------------------------------------------------------------------


def test_changed_reports_the_arrays_and_generators_changed_in_place_with_their_paths() -> None:
    a, b, rng, other = np.zeros(2), np.zeros(2), np.random.default_rng(0), np.random.default_rng(1)
    value = [a, (b, {"rng": rng, "other": other, 7: [np.ones(1)]})]
    taken = wire.snapshot(value)
    a[0] = 1.0
    rng.random()
    assert wire.changed(taken) == [[[0], a], [[1, 1, "rng"], rng]]


# -- known bugs -----------------------------------------------------------------------------------------------------


def test_a_bytes_array_arrives_intact() -> None:
    array = np.array([b"ab", b"c"])
    got = round_trip(array)
    assert got.dtype == array.dtype
    np.testing.assert_array_equal(got, array)


@pytest.mark.parametrize(("data", "buffers"), [
    pytest.param({"$nd": 0, "dtype": "<i3", "shape": [1]}, [b"\0" * 3], id="dtype <i3"),
    pytest.param({"$nd": 0, "dtype": "?8", "shape": [1]}, [b"\0" * 8], id="dtype ?8"),
    pytest.param({"$nd": 0, "dtype": "<f8", "shape": [1] * 70}, [b"\0" * 8], id="70 dimensions"),
    pytest.param({"$nd": 0, "dtype": "<f8", "shape": [0, 2**63]}, [b""], id="huge empty dimension"),
    pytest.param({"$items": [{"$obj": "x", "repr": "é"}], "dtype": "|S3", "shape": [1]}, [], id="S from text"),
])
def test_every_malformed_value_is_refused_with_a_wire_error(data: Any, buffers: list[bytes]) -> None:
    with pytest.raises(wire.WireError):
        decode(data, buffers)


def test_a_header_nested_too_deep_for_json_is_refused_with_a_wire_error(
        pair: tuple[socket.socket, socket.socket]) -> None:
    a, b = pair
    payload = b"[" * 20_000 + b"]" * 20_000
    a.sendall(struct.pack(">I", len(payload)) + payload)
    with pytest.raises(wire.WireError):
        wire.recv(b)
