"""Attacks on the course's judge (`grader.judge`) that reach past the attacker's own notebook: known weaknesses.

The corpus's batch (test_corpus.py) holds the attacks the judge withstands: whatever a notebook sends through its
own connection, it gains nothing, runs no code in the judge and learns none of its secrets. The attacks here harm
OTHER notebooks (or the grading host), so each gets a batch (or a judge) of its own, and each test says what must
hold against the weakness it was written for (all fixed):

- idle connections without a token locked every notebook out of the judge (at the server, and a notebook graded
  beside the flood lost its hidden tests): the server now evicts its oldest silent connection;
- a message that only announced an array made the judge, outside the sandbox, allocate its size (up to 1 GiB an
  array) at once: buffers now grow as bytes arrive;
- a notebook found other notebooks' judge tokens in the memory it inherited from the warm server, and with one
  took that notebook's judge before it connected: in the sandbox the token now comes in a file of the notebook's
  own staged folder.

The mini-batches run in the bubblewrap sandbox where it works, else without it (both show the same).
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import struct
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

import grader.judge.host
from grader.judge.client import Client
from grader.judge.host import Judge
from grader.judge.server import MAX_PENDING
from tests.adversarial.conftest import (
    RIGHT,
    answers,
    bwrap_works,
    cell,
    cell_scores,
    fresh_copy,
    grade,
    graded_outputs,
    source_notebook,
    submit,
)
from tests.adversarial.corpus import JUDGE_CONNECTION_FLOOD, STEAL_JUDGE_TOKENS_ATTACK, Target
from tests.grader.conftest import ASSIGNMENT

pytestmark = pytest.mark.slow

FULL_MARKS = {"test_answer": 1.0, "test_init": 2.0, "test_double": 1.0, "explain": None}


@pytest.fixture(scope="module")
def mode() -> str:
    """The sandbox the mini-batches run in: bubblewrap where it works."""
    return "bwrap" if not bwrap_works() else "none"


@pytest.fixture(scope="module")
def judge(released_adversarial: Path) -> Iterator[Judge]:
    """The hostile course's judge server, as an executor runs it (without notebooks)."""
    server = Judge(str(released_adversarial))
    try:
        server.ready()
        yield server
    finally:
        server.close()


def _rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))


def _judges(judge: Judge) -> set[int]:
    """The pids of the notebooks' judges: the server's children."""
    assert judge.proc is not None
    pid = judge.proc.pid
    with open(f"/proc/{pid}/task/{pid}/children") as children:
        return {int(word) for word in children.read().split()}


def test_idle_connections_do_not_lock_notebooks_out_of_the_judge(judge: Judge) -> None:
    """200 connections that never say a token (kept open) must not keep a registered notebook from its judge."""
    token, _, _ = judge.register(source_notebook(), ASSIGNMENT)
    with contextlib.ExitStack() as stack:
        for _ in range(200):
            idle = stack.enter_context(socket.socket(socket.AF_UNIX, socket.SOCK_STREAM))
            idle.settimeout(2.0)
            idle.connect(judge.socket_path)
        assert judge.proc is not None
        deadline = time.monotonic() + 5.0  # until the server has taken its fill of them
        while len(os.listdir(f"/proc/{judge.proc.pid}/fd")) < MAX_PENDING and time.monotonic() < deadline:
            time.sleep(0.05)
        client = Client(judge.socket_path, token)  # JudgeError: Connection reset by peer
        client.sock.close()


def test_a_connection_flood_costs_the_notebook_graded_beside_it_nothing(released_adversarial: Path, tmp_path: Path,
                                                                         mode: str) -> None:
    """``judge_connection_flood`` holds 200 tokenless connections for 1.5 s while an honest student, graded beside
    it (two at a time), reaches its first hidden test 1 s into its notebook: the student must keep full marks."""
    course = fresh_copy(released_adversarial, tmp_path)
    JUDGE_CONNECTION_FLOOD.build(Target(course, 0), JUDGE_CONNECTION_FLOOD.name)
    slow = answers(course, **RIGHT)
    cell(slow, "answer").source = f"{RIGHT['answer']}\nimport time\ntime.sleep(1.0)"
    submit(course, "slow_but_right", slow)
    grade(course, mode)
    scores = cell_scores(course)
    assert scores[JUDGE_CONNECTION_FLOOD.name] == {"test_answer": 0.0, "test_init": 0.0, "test_double": 0.0,
                                                   "explain": None}
    assert scores["slow_but_right"] == FULL_MARKS, graded_outputs(course, "slow_but_right")


def test_an_announced_array_costs_the_judge_nothing_before_it_arrives(judge: Judge) -> None:
    """A notebook's check message that announces a 512 MiB array and sends none of it must not grow its judge by
    anything near that (the judge's own memory is not limited by the course's Limits)."""
    token, _, _ = judge.register(source_notebook(), ASSIGNMENT)
    before = _judges(judge)
    client = Client(judge.socket_path, token)
    try:
        deadline = time.monotonic() + 5.0
        while not _judges(judge) - before and time.monotonic() < deadline:
            time.sleep(0.05)
        (mine,) = _judges(judge) - before
        start = _rss_kib(mine)
        header = json.dumps({"op": "check", "name": "q1_first_step_W1_moves", "values": [[1], {"$dict": []}],
                             "nb": 1}).encode()
        client.sock.sendall(struct.pack(">I", len(header)) + header + struct.pack(">Q", 1 << 29))  # and no array
        time.sleep(1.0)
        assert _rss_kib(mine) - start < 128 << 10, "the judge took the announced 512 MiB at once"
    finally:
        client.sock.close()


def _shared_prefix_tokens(n: int = 16) -> str:
    """Judge tokens that all start with the same 8 hex digits (see `STEAL_JUDGE_TOKENS_ATTACK`)."""
    return "7e57ab1e" + os.urandom(n - 4).hex()


def test_no_notebook_finds_another_notebooks_judge_token(released_adversarial: Path, tmp_path: Path, mode: str,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Three ``steal_judge_tokens`` notebooks, graded two at a time among five honest ones (the first thief starts
    beside the first honest notebook, the others after two honest ones), scan their own memory for other notebooks'
    judge tokens: none may find one. (Beside a notebook that reaches its first hidden test late, a thief that finds
    its token takes its judge: that student scored 1 of 4, in 6 of 8 batches, in both sandbox modes, while the token
    passed through the warm server.) In the sandbox the token reaches a notebook in a file of its own staged folder
    (`grader.engine.sandbox.SECRETS_FILE`), never through the server whose memory later notebooks inherit."""
    if mode != "bwrap":
        pytest.skip("without the sandbox a notebook can read other notebooks' memory and folders anyway; the judge "
                    "token is kept out of the warm server in the sandbox only")
    monkeypatch.setattr(grader.judge.host, "secrets", SimpleNamespace(token_hex=_shared_prefix_tokens))
    course = fresh_copy(released_adversarial, tmp_path)
    thieves = ["b_thief", "e_thief", "h_thief"]
    for letter in "acdfg":
        submit(course, f"{letter}_honest", answers(course, **RIGHT))
    for thief in thieves:
        STEAL_JUDGE_TOKENS_ATTACK.build(Target(course, 0), thief)
    grade(course, mode)
    found = {thief: graded_outputs(course, thief) for thief in thieves}
    assert all("tokens of other notebooks: " in shown for shown in found.values()), found
    assert [thief for thief, shown in found.items() if "tokens of other notebooks: 0" not in shown] == []
