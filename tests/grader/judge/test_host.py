"""grader/judge/host.py and server.py: does the judge server serve each registered notebook once, alone, refuse the
rest, and leave the executor a verdict per hidden call, whatever the notebook did?"""

from __future__ import annotations

import socket
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from grader.checks import only
from grader.judge import wire
from grader.judge.client import Client, JudgeError
from grader.judge.host import Judge

CHECKS = '''
import numpy as np

from grader.checks import as_number, call_student, fail, only


def double(fn):
    """fn(x) = 2 x on values the notebook never shows."""
    for x in (-1.5, 0.0, 7.0):
        got = as_number(call_student("double", fn, x), "double")
        if got != 2 * x:
            fail("double", f"double({x}) must be {2 * x}, got {got}")


def big_biases(fn):
    """fn() returns {"W": (2000, 1000), "b": (2000, 1)}; only b is judged, and only b travels."""
    out = call_student("big", only(fn, ["b"]), 0)
    if out["W"].shape != (2000, 1000) or out["W"].dtype != np.float64 or np.any(out["W"] != 0):
        fail("big", f"W came as {out['W'].shape} {out['W'].dtype} with its numbers")
    if not np.array_equal(out["b"], np.arange(2000.0).reshape(2000, 1)):
        fail("big", "b did not travel")
'''
ANSWERS = '''
from grader.checks import Answer

ANSWERS = {"q": Answer("letter", "b", "read the plot")}
'''


def notebook(*hidden: str) -> dict:
    """A notebook whose test cells (one per line of ``hidden``) hold those hidden calls."""
    return {"cells": [{"cell_type": "code", "source": f"from grader import hidden\n{line}\n",
                       "metadata": {"nbgrader": {"grade": True, "solution": False, "grade_id": f"t{k}"}}}
                      for k, line in enumerate(hidden)]}


@pytest.fixture(scope="module")
def judge(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("judged") / "course"
    for name, text in {"grading/a1/checks.py": CHECKS, "grading/a1/answers.py": ANSWERS,
                       "grading/broken/checks.py": "import no_such_module_anywhere\n"}.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(textwrap.dedent(text))
    started = Judge(str(root))
    started.start()
    yield started
    started.close()


def test_the_server_loads_every_assignment_and_names_what_failed(judge: Judge) -> None:
    hello = judge.ready()
    assert hello["assignments"] == ["a1"]
    assert "ModuleNotFoundError" in hello["failed"]["broken"]


def test_a_registered_notebook_gets_its_judge_and_the_executor_its_verdicts(judge: Judge) -> None:
    token, variables, expected = judge.register(notebook('hidden.check("double", f)', 'hidden.check("q", q)'), "a1")
    assert variables["GRADER_JUDGE"] == judge.socket_path and variables["GRADER_JUDGE_TOKEN"] == token
    client = Client(judge.socket_path, token)
    client.check("double", (lambda x: 2 * x,), {})
    with pytest.raises(AssertionError, match=r"'a' is not right\. Hint: read the plot"):
        client.check("q", ("a",), {})
    client.sock.close()
    verdicts = judge.finish(token, expected)
    assert [(v["grade_id"], v["name"], v["status"]) for v in verdicts] == [("t0", "double", "passed"),
                                                                         ("t1", "q", "failed")]
    assert "'a' is not right" in verdicts[1]["message"]


def test_a_hidden_call_that_never_reached_the_judge_is_missing(judge: Judge) -> None:
    token, _, expected = judge.register(notebook('hidden.check("double", f)'), "a1")
    assert judge.finish(token, expected)[0]["status"] == "missing"


def test_unknown_tokens_and_second_connections_are_refused(judge: Judge) -> None:
    with pytest.raises(JudgeError, match="not being graded"):
        Client(judge.socket_path, "no-such-token")
    token, _, expected = judge.register(notebook('hidden.check("double", f)'), "a1")
    first = Client(judge.socket_path, token)
    with pytest.raises(JudgeError, match="has a judge already"):
        Client(judge.socket_path, token)
    first.sock.close()
    judge.finish(token, expected)


def test_a_notebook_of_an_assignment_whose_checks_failed_to_load_is_told_why(judge: Judge) -> None:
    token, _, expected = judge.register(notebook('hidden.check("x", f)'), "broken")
    with pytest.raises(JudgeError, match="checks of broken could not be loaded: ModuleNotFoundError"):
        Client(judge.socket_path, token)
    judge.finish(token, expected)


def test_a_judge_left_waiting_is_ended_and_its_check_unfinished(judge: Judge) -> None:
    """The notebook asked, then never answered the judge's call (a process frozen or killed mid-check)."""
    token, _, expected = judge.register(notebook('hidden.check("double", f)'), "a1")
    client = Client(judge.socket_path, token)
    data, buffers = client._encode([[lambda x: 2 * x], {}])
    wire.send(client.sock, {"op": "check", "name": "double", "values": data}, buffers)
    assert wire.recv(client.sock)[0]["op"] == "call"  # the judge waits for the answer, which never comes
    verdicts = judge.finish(token, expected)
    assert verdicts[0]["status"] == "unfinished"
    client.sock.settimeout(5)
    assert wire.recv(client.sock) is None  # the judge was ended: its end of the socket closed


def test_idle_connections_without_a_token_do_not_stall_a_notebook(judge: Judge) -> None:
    idle = []
    for _ in range(40):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(judge.socket_path)
        idle.append(sock)
    try:
        token, _, expected = judge.register(notebook('hidden.check("double", f)'), "a1")
        began = time.perf_counter()
        client = Client(judge.socket_path, token)
        client.check("double", (lambda x: 2 * x,), {})
        assert time.perf_counter() - began < 5
        client.sock.close()
        assert judge.finish(token, expected)[0]["status"] == "passed"
    finally:
        for sock in idle:
            sock.close()


def test_a_check_asks_only_for_the_arrays_it_judges(judge: Judge) -> None:
    """`grader.checks.only`: the 16 MB W stays in the notebook; its shape and dtype arrive, as zeros."""
    token, _, expected = judge.register(notebook('hidden.check("big_biases", f)'), "a1")
    client = Client(judge.socket_path, token)
    def student(seed):
        return {"W": np.ones((2000, 1000)), "b": np.arange(2000.0).reshape(2000, 1)}

    client.check("big_biases", (student,), {})
    client.sock.close()
    assert judge.finish(token, expected)[0]["status"] == "passed"


def test_in_the_notebooks_process_only_is_the_function_itself() -> None:
    def f(seed):
        return {"W": np.ones(3)}

    assert only(f, ["b"]) is f


def test_closing_removes_the_judges_folders(tmp_path: Path) -> None:
    (tmp_path / "grading" / "a1").mkdir(parents=True)
    (tmp_path / "grading" / "a1" / "checks.py").write_text(CHECKS)
    judge = Judge(str(tmp_path))
    judge.ready()
    root = judge.root
    judge.close()
    assert not root.exists()
