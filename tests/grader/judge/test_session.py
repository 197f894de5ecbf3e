"""grader/judge/session.py and client.py: does a check run in the judge see the student's functions, arrays,
generators and draws as it would in-process, does the notebook see its verdict, and does the judge hold the notebook
to its hidden calls and its limits?"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import struct
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from grader.checks import Answer, as_float_array, as_number, call_student, check_answer, fail
from grader.judge import session as session_module
from grader.judge import wire
from grader.judge.client import Client
from grader.judge.session import ANY, Expected, Session, iter_log

TIMEOUT = 10.0
"""Seconds either side waits for the other before giving up: a broken test fails instead of hanging."""


class Judge:
    """A `Session` served in a thread on a Unix socket as the judge server serves one (hello, welcome, serve, close);
    ``client`` is a real `Client` connected to it. Here both sides share one process (and NumPy's global state)."""

    def __init__(self, log_path: Path, functions: Mapping[str, Callable[..., Any]], expected: list[Expected],
                 answers: Mapping[str, Answer] | None = None) -> None:
        self.log_path, self.reason, self.error, self.hello = log_path, None, None, None
        self._dir = tempfile.mkdtemp(prefix="judge-", dir="/tmp")  # a short path: AF_UNIX allows about 100 bytes
        path = os.path.join(self._dir, "s")
        self._listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._listener.bind(path)
        self._listener.listen(1)
        self._listener.settimeout(TIMEOUT)
        self._thread = threading.Thread(target=self._serve, args=(functions, answers or {}, expected), daemon=True)
        self._thread.start()
        self.client = Client(path, "the-token")
        self.client.sock.settimeout(TIMEOUT)

    def _serve(self, functions: Mapping[str, Any], answers: Mapping[str, Answer], expected: list[Expected]) -> None:
        try:
            conn, _ = self._listener.accept()
            with conn, open(self.log_path, "w") as log:
                conn.settimeout(TIMEOUT)
                self.hello = wire.recv(conn)[0]
                wire.send(conn, {"op": "welcome"})
                self.reason = Session(conn, functions, answers, expected, log).serve()
        except BaseException as exc:  # shown by `ended` or at teardown
            self.error = exc

    def ended(self) -> str:
        """Why the session ended (after waiting for it to end); what it raised, if it did not return."""
        self._thread.join(TIMEOUT)
        assert not self._thread.is_alive(), "the session did not end"
        error, self.error = self.error, None
        if error is not None:
            raise error
        return self.reason

    def log(self) -> list[dict[str, Any]]:
        return list(iter_log(str(self.log_path)))

    def close(self) -> BaseException | None:
        self.client.sock.close()
        self._thread.join(TIMEOUT)
        self._listener.close()
        shutil.rmtree(self._dir, ignore_errors=True)
        return self.error


@pytest.fixture
def judge(tmp_path: Path) -> Iterator[Callable[..., Judge]]:
    made: list[Judge] = []

    def make(functions: Mapping[str, Callable[..., Any]], expected: list[Expected],
             answers: Mapping[str, Answer] | None = None) -> Judge:
        made.append(Judge(tmp_path / f"judge{len(made)}.jsonl", functions, expected, answers))
        return made[-1]

    yield make
    errors = [error for error in (j.close() for j in made) if error is not None]
    assert not errors, f"a session raised: {errors!r}"


@pytest.fixture(autouse=True)
def global_random_state() -> Iterator[None]:
    state = np.random.get_state()
    yield
    np.random.set_state(state)


def expect(name: str, *args: Any, cell: int = 0, **kwargs: Any) -> Expected:
    """A hidden call ``hidden.check(name, *args, **kwargs)``; by default one student's value (`ANY`)."""
    return Expected(cell, f"test_{name}", name, args or (ANY,), kwargs)


# -- checks and students ------------------------------------------------------------------------------------------


def double(fn: Callable[..., Any]) -> None:
    """fn(x) = 2 x on values the notebook never shows."""
    for x in (-1.5, 0.0, 7.0):
        got = as_number(call_student("double", fn, x), "double")
        if got != 2 * x:
            fail("double", f"double({x}) must be {2 * x}, got {got}")


def twice(x: float) -> float:
    return 2 * x


def thrice(x: float) -> float:
    return 3 * x


def _in_process(check: Callable[..., Any], *args: Any) -> str:
    """The message of the AssertionError ``check(*args)`` raises in this process, as a notebook would show it."""
    with pytest.raises(AssertionError) as raised:
        check(*args)
    return str(raised.value)


def _same_state(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
    return a[0] == b[0] and np.array_equal(a[1], b[1]) and a[2:] == b[2:]


# -- verdicts -------------------------------------------------------------------------------------------------------


def test_the_client_says_hello_with_its_token(judge: Callable[..., Judge]) -> None:
    j = judge({"double": double}, [expect("double")])
    j.client.check("double", (twice,), {})
    assert j.hello == {"op": "hello", "token": "the-token", "nb": 0}


def test_a_passing_check_returns_quietly(judge: Callable[..., Judge]) -> None:
    j = judge({"double": double}, [expect("double")])
    assert j.client.check("double", (twice,), {}) is None


def test_a_failing_check_raises_its_assertion_error_with_its_message(judge: Callable[..., Judge]) -> None:
    j = judge({"double": double}, [expect("double")])
    with pytest.raises(AssertionError) as raised:
        j.client.check("double", (thrice,), {})
    assert str(raised.value) == _in_process(double, thrice) == "double: double(-1.5) must be -3.0, got -4.5"


def test_a_check_raising_another_builtin_exception_keeps_its_type(judge: Callable[..., Judge]) -> None:
    def profile(fn: Any, aspect: str) -> None:
        raise ValueError(f"unknown aspect {aspect!r}; known: shape, values")

    j = judge({"profile": profile}, [expect("profile", ANY, ANY)])
    with pytest.raises(ValueError, match=r"^unknown aspect 'size'; known: shape, values$"):
        j.client.check("profile", (twice, "size"), {})


def test_a_check_raising_an_exception_class_of_its_own_fails_with_an_assertion_error(
        judge: Callable[..., Judge]) -> None:
    class CourseError(Exception):
        pass

    def broken(fn: Any) -> None:
        raise CourseError("the course's check broke")

    j = judge({"broken": broken}, [expect("broken")])
    with pytest.raises(AssertionError, match=r"^the course's check broke$"):
        j.client.check("broken", (twice,), {})


class StudentError(Exception):
    pass


def _raiser(error: BaseException) -> Callable[..., Any]:
    def layer(*args: Any, **kwargs: Any) -> Any:
        raise error

    return layer


@pytest.mark.parametrize("error", [
    ZeroDivisionError("division by zero"), NotImplementedError(), KeyError("W1"), ValueError(),
    TypeError("'tuple' object cannot be interpreted as an integer"), StudentError("custom"), AssertionError("mine"),
    ValueError("two", "args"),
], ids=repr)
def test_a_student_function_that_raises_fails_with_the_message_it_gets_in_process(
        judge: Callable[..., Judge], error: Exception) -> None:
    """Is ``call_student``'s message (the call's arguments, the exception's type and text, the hint) the same when
    the student's function runs in the notebook and raises there?"""
    def layer_check(fn: Any) -> None:
        call_student("layer", fn, np.zeros((2, 3)), 3, np.random.default_rng(0), scheme="he")

    j = judge({"layer": layer_check}, [expect("layer")])
    with pytest.raises(AssertionError) as raised:
        j.client.check("layer", (_raiser(error),), {})
    assert str(raised.value) == _in_process(layer_check, _raiser(error))
    assert str(raised.value).startswith("layer: calling layer(<array of shape (2, 3)>, 3, rng, scheme='he') raised ")


# -- arrays, generators, callbacks ----------------------------------------------------------------------------------


def test_arrays_the_student_changes_in_place_are_changed_for_the_check(judge: Callable[..., Judge]) -> None:
    seen: dict[str, Any] = {}

    def mutation(fn: Any) -> None:
        a, b, c, untouched = np.zeros(2), np.zeros((2, 2)), np.zeros(3), np.zeros(1)
        call_student("mutation", fn, a, (c, untouched), out=b)
        seen.update(a=a, b=b, c=c, untouched=untouched)

    def student(a: np.ndarray, pair: tuple[np.ndarray, np.ndarray], out: np.ndarray) -> None:
        a += 1
        out[:] = 2
        pair[0][1] = 5

    j = judge({"mutation": mutation}, [expect("mutation")])
    j.client.check("mutation", (student,), {})
    assert seen["a"].tolist() == [1, 1] and seen["b"].tolist() == [[2, 2], [2, 2]]
    assert seen["c"].tolist() == [0, 5, 0] and seen["untouched"].tolist() == [0]


def test_a_generator_the_student_advances_is_advanced_for_the_check(judge: Callable[..., Judge]) -> None:
    seen: dict[str, Any] = {}

    def draws(fn: Any) -> None:
        rng = np.random.default_rng(5)
        seen["drawn"] = call_student("draws", fn, rng)
        seen["next"] = rng.random()

    j = judge({"draws": draws}, [expect("draws")])
    j.client.check("draws", (lambda rng: rng.standard_normal(3),), {})
    reference = np.random.default_rng(5)
    np.testing.assert_array_equal(seen["drawn"], reference.standard_normal(3))
    assert seen["next"] == reference.random()


def test_a_callback_is_served_and_its_side_effects_are_the_checks(judge: Callable[..., Judge]) -> None:
    """A recording ``f`` given to the student's function stays in the judge: every call the student makes to it
    runs there, with its arguments, and what it returns goes back to the student."""
    seen: dict[str, Any] = {}

    def gradient(fn: Any) -> None:
        calls: list[Any] = []

        def f(x: np.ndarray) -> float:
            calls.append(np.array(x, copy=True))
            return float(np.sum(x**2))

        out = as_float_array(call_student("gradient", fn, f, np.array([1.0, 2.0])), "grad", (2,), "gradient")
        seen.update(calls=calls, out=out)

    def numerical_gradient(f: Callable[..., Any], x: np.ndarray, h: float = 1e-4) -> np.ndarray:
        grad = np.zeros_like(x)
        for i in range(x.size):
            x[i] += h
            up = f(x)
            x[i] -= 2 * h
            down = f(x)
            x[i] += h
            grad[i] = (up - down) / (2 * h)
        return grad

    j = judge({"gradient": gradient}, [expect("gradient")])
    j.client.check("gradient", (numerical_gradient,), {})
    assert len(seen["calls"]) == 4
    np.testing.assert_allclose(seen["calls"][0], [1.0001, 2.0])
    np.testing.assert_allclose(seen["out"], [2.0, 4.0], rtol=1e-6)


def test_an_error_in_a_callback_reaches_the_student_code_as_that_error(judge: Callable[..., Judge]) -> None:
    seen: dict[str, Any] = {}

    def strict(fn: Any) -> None:
        def f(x: Any) -> None:
            raise ValueError(f"f takes an array, got {type(x).__name__}")

        seen["out"] = call_student("strict", fn, f)

    def student(f: Callable[..., Any]) -> str:
        try:
            f("text")
        except ValueError as error:
            return f"caught {error}"
        return "not caught"

    j = judge({"strict": strict}, [expect("strict")])
    j.client.check("strict", (student,), {})
    assert seen["out"] == "caught f takes an array, got str"


def test_an_array_a_callback_changes_in_place_is_changed_for_the_student(judge: Callable[..., Judge]) -> None:
    seen: dict[str, Any] = {}

    def filler(fn: Any) -> None:
        def fill(a: np.ndarray) -> None:
            a[:] = 7.0

        seen["out"] = call_student("filler", fn, fill)

    def student(fill: Callable[..., Any]) -> np.ndarray:
        a = np.zeros(3)
        fill(a)
        return a

    j = judge({"filler": filler}, [expect("filler")])
    j.client.check("filler", (student,), {})
    assert seen["out"].tolist() == [7.0, 7.0, 7.0]


def test_the_generator_given_comes_back_to_a_callback_as_the_very_same_object(judge: Callable[..., Judge]) -> None:
    """Can a check tell "the very rng given" (handed on to its init callback) from another generator?"""
    seen: list[Any] = []

    def profile(fn: Any) -> None:
        rng, other = np.random.default_rng(0), np.random.default_rng(0)

        def init(dims: list[int], g: np.random.Generator) -> dict[str, Any]:
            seen.append((g is rng, g is other, isinstance(g, np.random.Generator)))
            return {"W1": g.standard_normal((dims[1], dims[0]))}

        call_student("profile", fn, [3, 2], init, rng, other)

    def student(dims: list[int], init: Callable[..., Any], rng: np.random.Generator, other: Any) -> None:
        init(dims, rng)
        init(dims, np.random.default_rng(0))  # same state as the check's ``other``, but not it
        init(dims, rng)

    j = judge({"profile": profile}, [expect("profile")])
    j.client.check("profile", (student,), {})
    assert seen == [(True, False, True), (False, False, True), (True, False, True)]


def test_draws_of_the_student_and_of_a_callback_from_the_given_generator_interleave(
        judge: Callable[..., Judge]) -> None:
    """Student, callback, student, check: four draws from one generator, in that order, as in one process."""
    seen: dict[str, Any] = {}

    def shared(fn: Any) -> None:
        rng = np.random.default_rng(0)

        def keep(g: np.random.Generator) -> None:
            seen["callback"] = g.random()

        seen["student"] = call_student("shared", fn, rng, keep)
        seen["check"] = rng.random()

    def student(rng: np.random.Generator, keep: Callable[..., Any]) -> list[float]:
        first = rng.random()
        keep(rng)
        return [first, rng.random()]

    j = judge({"shared": shared}, [expect("shared")])
    j.client.check("shared", (student,), {})
    draws = np.random.default_rng(0).random(4).tolist()
    assert [seen["student"][0], seen["callback"], seen["student"][1], seen["check"]] == draws


def _global_draws(seen: dict[str, Any]) -> Callable[..., None]:
    def randomness(fn: Any) -> None:
        seen["before"] = np.random.get_state()
        call_student("randomness", fn, np.random.default_rng(1))
        seen["after"] = np.random.get_state()

    return randomness


def test_a_draw_from_numpys_global_generator_in_the_notebook_is_a_draw_in_the_judge(
        judge: Callable[..., Judge]) -> None:
    """The student's draw advances this process's global state once (both sides share it here); the judge, told
    the notebook drew, draws once more: two draws. A judge that did not follow would see one."""
    seen: dict[str, Any] = {}
    j = judge({"randomness": _global_draws(seen)}, [expect("randomness")])
    j.client.check("randomness", (lambda rng: np.random.standard_normal(2),), {})
    np.random.set_state(seen["before"])
    np.random.standard_normal(2)
    np.random.random()
    assert _same_state(seen["after"], np.random.get_state())


def test_a_function_that_does_not_draw_from_the_global_generator_leaves_it_unchanged(
        judge: Callable[..., Judge]) -> None:
    seen: dict[str, Any] = {}
    j = judge({"randomness": _global_draws(seen)}, [expect("randomness")])
    j.client.check("randomness", (lambda rng: rng.standard_normal(2),), {})
    assert _same_state(seen["after"], seen["before"])


# -- hidden calls ---------------------------------------------------------------------------------------------------


def _counting(runs: list[Any], check: Callable[..., Any]) -> Callable[..., Any]:
    def counted(*args: Any, **kwargs: Any) -> Any:
        runs.append(args)
        return check(*args, **kwargs)

    return counted


def test_a_call_with_another_literal_than_the_hidden_test_is_refused(judge: Callable[..., Judge]) -> None:
    runs: list[Any] = []
    j = judge({"scheme": _counting(runs, lambda fn, scheme: None)}, [expect("scheme", ANY, "he")])
    with pytest.raises(AssertionError, match=r"^scheme: this is not one of the hidden tests of this notebook$"):
        j.client.check("scheme", (twice, "xavier"), {})
    assert runs == [] and j.log() == []
    j.client.check("scheme", (twice, "he"), {})
    assert len(runs) == 1


def test_keyword_literals_must_match_too(judge: Callable[..., Judge]) -> None:
    runs: list[Any] = []
    j = judge({"profile": _counting(runs, lambda fn, aspect: None)}, [expect("profile", ANY, aspect="shape")])
    for options in ({"aspect": "values"}, {}, {"aspect": "shape", "extra": 1}):
        with pytest.raises(AssertionError, match="not one of the hidden tests"):
            j.client.check("profile", (twice,), options)
    with pytest.raises(AssertionError, match="not one of the hidden tests"):
        j.client.check("profile", (twice, "shape"), {})
    j.client.check("profile", (twice,), {"aspect": "shape"})
    assert len(runs) == 1


@pytest.mark.parametrize("student", [twice, thrice], ids=["passing", "failing"])
def test_each_hidden_call_is_judged_once_and_asked_again_gets_the_same_verdict(
        judge: Callable[..., Judge], student: Callable[..., Any]) -> None:
    """A notebook cannot retry a hidden test until it passes (a second request, even with a better function, gets
    the recorded verdict without running the check again)."""
    runs: list[Any] = []
    j = judge({"double": _counting(runs, double)}, [expect("double")])
    outcomes = []
    for fn in (student, student, twice, thrice):
        try:
            j.client.check("double", (fn,), {})
            outcomes.append("passed")
        except AssertionError as error:
            outcomes.append(str(error))
    assert len(runs) == 1
    assert outcomes == [outcomes[0]] * 4


def test_two_identical_hidden_calls_are_judged_once_each(judge: Callable[..., Judge]) -> None:
    runs: list[Any] = []
    j = judge({"double": _counting(runs, double)}, [expect("double", cell=1), expect("double", cell=2)])
    j.client.check("double", (twice,), {})
    with pytest.raises(AssertionError):
        j.client.check("double", (thrice,), {})
    j.client.check("double", (thrice,), {})  # both judged: the first verdict again
    assert len(runs) == 2


def test_a_name_no_hidden_test_uses_is_refused(judge: Callable[..., Judge]) -> None:
    runs: list[Any] = []
    j = judge({"double": double, "other": _counting(runs, double)}, [expect("double")])
    for name in ("other", "unknown"):
        with pytest.raises(AssertionError, match=rf"^{name}: this is not one of the hidden tests of this notebook$"):
            j.client.check(name, (twice,), {})
    assert runs == []


def test_a_hidden_call_with_no_check_behind_it_fails_with_a_lookup_error(judge: Callable[..., Judge]) -> None:
    j = judge({}, [expect("ghost")])
    with pytest.raises(LookupError, match="no check or answer named 'ghost'"):
        j.client.check("ghost", (twice,), {})


def test_an_answer_is_checked_against_the_key_as_in_process(judge: Callable[..., Judge]) -> None:
    key = {"q_sign": Answer("letter", "b", "a square is never negative", wrong={"a": "that is the negative one"})}
    j = judge({}, [expect("q_sign"), expect("q_sign")], answers=key)
    with pytest.raises(AssertionError) as raised:
        j.client.check("q_sign", ("(a)",), {})
    assert str(raised.value) == _in_process(check_answer, key, "q_sign", "(a)")
    j.client.check("q_sign", (np.str_("B"),), {})


def test_the_log_says_started_then_passed_or_failed_for_each_hidden_call(judge: Callable[..., Judge]) -> None:
    j = judge({"double": double}, [expect("double", cell=1), expect("double", cell=2)])
    j.client.check("double", (twice,), {})
    with pytest.raises(AssertionError):
        j.client.check("double", (thrice,), {})
    assert j.log() == [
        {"slot": 0, "status": "started"},
        {"slot": 0, "status": "passed", "ok": True, "ename": "", "message": ""},
        {"slot": 1, "status": "started"},
        {"slot": 1, "status": "failed", "ok": False, "ename": "AssertionError",
         "message": "double: double(-1.5) must be -3.0, got -4.5"},
    ]


def test_iter_log_skips_a_line_cut_short_and_a_missing_log(tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    log.write_text('{"slot": 0, "status": "started"}\n[1]\n{"slot": 0, "sta')
    assert list(iter_log(str(log))) == [{"slot": 0, "status": "started"}]
    assert list(iter_log(str(tmp_path / "missing.jsonl"))) == []


# -- interruptions, garbage, limits ---------------------------------------------------------------------------------


def test_an_interrupted_student_function_stops_the_cell_and_fails_its_check_only(judge: Callable[..., Judge]) -> None:
    def interrupted(x: float) -> float:
        raise KeyboardInterrupt

    j = judge({"double": double}, [expect("double", cell=1), expect("double", cell=2)])
    with pytest.raises(KeyboardInterrupt):
        j.client.check("double", (interrupted,), {})
    j.client.check("double", (twice,), {})
    log = j.log()
    assert [(e["slot"], e["status"]) for e in log] == [(0, "started"), (0, "failed"), (1, "started"), (1, "passed")]
    assert log[1]["message"] == "double: the check did not finish (stopped by KeyboardInterrupt)"


def _message(header: dict[str, Any], buffers: list[bytes] = ()) -> bytes:
    a, b = socket.socketpair()
    with a, b:
        wire.send(a, header, buffers)
        return b.recv(1 << 16)


def _check(values: Any, name: Any = "double") -> bytes:
    return _message({"op": "check", "name": name, "values": values})


@pytest.mark.parametrize(("garbage", "why"), [
    pytest.param(struct.pack(">I", 7) + b"garbage", "the notebook broke the connection: a header is not JSON",
                 id="not JSON"),
    pytest.param(struct.pack(">I", wire.MAX_HEADER + 1), "the notebook broke the connection: a header of",
                 id="oversized header"),
    pytest.param(struct.pack(">I", 100) + b"{}", "the notebook broke the connection: the connection closed",
                 id="cut short"),
    pytest.param(_message({"op": "hello", "token": "again"}), "expected a check, got 'hello'", id="not a check"),
    pytest.param(_check({"$tuple": 3}), "a malformed check", id="malformed values"),
    pytest.param(_check([1]), "a malformed reply", id="values not a pair"),
    pytest.param(_check([[], {"$dict": []}], name=3), "a malformed check", id="name not a string"),
    pytest.param(_check([[], {"$dict": [[1, 2]]}]), "a malformed check", id="option not named by a string"),
    pytest.param(_check([[{"$cb": 5}], {"$dict": []}]), "a malformed check: unknown reference", id="unknown callback"),
])
def test_garbage_from_the_notebook_ends_the_session_with_a_reason(
        judge: Callable[..., Judge], garbage: bytes, why: str) -> None:
    j = judge({"double": double}, [expect("double")])
    j.client.sock.sendall(garbage)
    j.client.sock.shutdown(socket.SHUT_WR)
    assert j.ended().startswith(why)
    assert j.log() == []


def test_the_notebook_closing_the_connection_ends_the_session(judge: Callable[..., Judge]) -> None:
    j = judge({"double": double}, [expect("double")])
    j.client.check("double", (twice,), {})
    j.client.sock.close()
    assert j.ended() == "the notebook closed the connection"


def test_a_malformed_reply_during_a_call_fails_the_check_and_ends_the_session(judge: Callable[..., Judge]) -> None:
    j = judge({"double": double}, [expect("double")])
    sock = j.client.sock
    wire.send(sock, {"op": "check", "name": "double", "values": [[{"$ref": 0, "name": "f"}], {"$dict": []}]})
    call, _ = wire.recv(sock)
    assert call["op"] == "call" and call["target"] == 0
    wire.send(sock, {"op": "return", "id": call["id"], "value": [{"$nope": 1}, []]})
    assert j.ended().startswith("the notebook sent a malformed reply")
    assert [e["status"] for e in j.log()] == ["started", "failed"]
    assert j.log()[1]["message"].startswith("double: the check did not finish (the notebook sent a malformed reply")


def test_another_message_during_a_call_fails_the_check_and_ends_the_session(judge: Callable[..., Judge]) -> None:
    j = judge({"double": double}, [expect("double")])
    sock = j.client.sock
    wire.send(sock, {"op": "check", "name": "double", "values": [[{"$ref": 0, "name": "f"}], {"$dict": []}]})
    assert wire.recv(sock)[0]["op"] == "call"
    wire.send(sock, {"op": "check", "name": "double", "values": [[1], {"$dict": []}]})
    assert j.ended() == "the notebook sent 'check' during a call"
    assert j.log()[-1]["status"] == "failed"


@pytest.mark.parametrize("through", ["student calls", "callbacks"])
def test_the_calls_of_a_notebook_are_limited(
        judge: Callable[..., Judge], monkeypatch: pytest.MonkeyPatch, through: str) -> None:
    monkeypatch.setattr(session_module, "MAX_CALLS", 3)

    def many(fn: Any) -> None:
        for _ in range(5 if through == "student calls" else 1):
            call_student("many", fn, lambda: 1.0)

    def student(f: Callable[..., Any]) -> None:
        for _ in range(0 if through == "student calls" else 10):
            f()

    j = judge({"many": many}, [expect("many")])
    with pytest.raises(OSError):  # the judge hangs up: JudgeError, or a broken pipe in a callback
        j.client.check("many", (student,), {})
    assert j.ended() == "more than 3 calls in one notebook"
    assert j.log()[-1]["message"] == "many: the check did not finish (more than 3 calls in one notebook)"


# -- known bugs -----------------------------------------------------------------------------------------------------


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def test_a_verdict_the_notebook_stopped_waiting_for_is_not_taken_for_the_next_checks(
        judge: Callable[..., Judge]) -> None:
    release = threading.Event()

    def slow(fn: Any) -> None:
        release.wait(TIMEOUT)
        fail("slow", "wrong")

    j = judge({"slow": slow, "double": double}, [expect("slow"), expect("double")])
    previous = signal.signal(signal.SIGALRM, _interrupt)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.2)
        with pytest.raises(KeyboardInterrupt):
            j.client.check("slow", (twice,), {})
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    release.set()
    try:
        j.client.check("double", (twice,), {})  # the judge passes it
    except AssertionError:
        assert wire.recv(j.client.sock)[0]["op"] == "call"  # the judge is judging "double": let it hear the close
        raise


def test_a_result_that_cannot_travel_fails_its_own_check_only(judge: Callable[..., Judge]) -> None:
    def deep() -> Any:
        value: Any = 0.0
        for _ in range(wire.MAX_DEPTH + 5):
            value = [value]
        return value

    j = judge({"returns": lambda fn: call_student("returns", fn), "double": double},
              [expect("returns"), expect("double")])
    with pytest.raises(Exception):  # noqa: B017 - the cell fails, whatever the message
        j.client.check("returns", (deep,), {})
    j.client.check("double", (twice,), {})


def test_a_check_with_a_malformed_dtype_ends_the_session_with_a_reason(judge: Callable[..., Judge]) -> None:
    j = judge({"double": double}, [expect("double")])
    j.client.sock.sendall(_message({"op": "check", "name": "double",
                                    "values": [[{"$nd": 0, "dtype": "<i3", "shape": [1]}], {"$dict": []}]},
                                   [b"abc"]))
    with contextlib.suppress(OSError):
        j.client.sock.shutdown(socket.SHUT_WR)
    assert j.ended().startswith("a malformed check")


def test_a_notebook_gone_before_the_judge_calls_it_ends_the_session_with_a_reason(
        judge: Callable[..., Judge]) -> None:
    j = judge({"double": double}, [expect("double")])
    wire.send(j.client.sock, {"op": "check", "name": "double",
                              "values": [[{"$ref": 0, "name": "f"}], {"$dict": []}]})
    j.client.sock.close()
    assert j.ended() in ("the notebook's process closed the connection",
                         "the notebook's process is gone: [Errno 32] Broken pipe")  # closed before, or while, asked
    assert "did not finish" in j.log()[-1]["message"]
