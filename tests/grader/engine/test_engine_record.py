"""Does the recorder turn a notebook process's events into the notebook nbclient would write, and refuse junk?"""

from __future__ import annotations

from typing import Any

import pytest

from grader.engine.jobs import Job, Limits
from grader.engine.record import NotebookRecorder

T = 1_800_000_000.0


def iopub(msg_type: str, **content: Any) -> dict[str, Any]:
    return {"t": "iopub", "m": msg_type, "c": content, "time": T}


def cell_events(index: int, *outputs: dict[str, Any], reply: dict[str, Any] | None = None,
                timed_out: bool = False) -> list[dict[str, Any]]:
    """The events of one cell, as `grader.engine.child` sends them."""
    return [{"t": "cell", "i": index, "time": T}, iopub("status", execution_state="busy"),
            iopub("execute_input", code="...", execution_count=index + 1), *outputs,
            {"t": "reply", "c": reply or {"status": "ok", "execution_count": index + 1}, "time": T + 0.5,
             "seconds": 0.5, "timed_out": timed_out},
            iopub("status", execution_state="idle")]


def record(nb: dict[str, Any], events: list[Any], exit_event: dict[str, Any] | None = None,
           limits: Limits | None = None) -> Any:
    recorder = NotebookRecorder(Job("j", nb, "/tmp", limits or Limits()))
    for event in events:
        recorder.feed(event)
    return recorder.finish(exit_event if exit_event is not None else {"t": "exit", "code": 0, "time": T + 1}, 1.0)


def test_outputs_and_counts_are_recorded_as_nbclient_does(make_nb):
    """Are streams, results, clear_output(wait) and display updates applied by nbclient's own logic?"""
    nb = make_nb("print('x')", "#md text", "display")
    events = [{"t": "hello", "language_info": {"name": "python"}},
              *cell_events(0, iopub("stream", name="stdout", text="x\n"),
                           iopub("execute_result", data={"text/plain": "1"}, metadata={}, execution_count=1)),
              *cell_events(2, iopub("display_data", data={"text/plain": "'old'"}, metadata={},
                                    transient={"display_id": "d"}),
                           iopub("clear_output", wait=True),
                           iopub("display_data", data={"text/plain": "'new'"}, metadata={}, transient={}),
                           iopub("update_display_data", data={"text/plain": "'gone'"}, metadata={},
                                 transient={"display_id": "d"})),
              {"t": "done", "time": T}]
    result = record(nb, events)
    assert result.status == "ok" and result.message == ""
    cells = result.notebook.cells
    assert cells[0].execution_count == 1
    assert [o["output_type"] for o in cells[0].outputs] == ["stream", "execute_result"]
    assert [o["data"]["text/plain"] for o in cells[2].outputs] == ["'new'"]
    assert set(cells[0].metadata["execution"]) == {"iopub.status.busy", "iopub.execute_input",
                                                    "shell.execute_reply", "iopub.status.idle"}
    assert result.notebook.metadata["language_info"] == {"name": "python"}
    assert [c.index for c in result.cells] == [0, 2] and result.total_cell_seconds == 1.0


def test_a_reply_error_without_an_error_output_is_appended_as_nbgrader_does(make_nb):
    """Does nbgrader's on_cell_executed add the reply's error when no output carries it?"""
    reply = {"status": "error", "ename": "ExceptionGroup", "evalue": "eg", "traceback": [], "execution_count": 1}
    result = record(make_nb("raise eg"), [*cell_events(0, reply=reply), {"t": "done", "time": T}])
    [error] = result.notebook.cells[0].outputs
    assert (error["ename"], error["evalue"]) == ("ExceptionGroup", "eg")
    assert error["traceback"] == ["ERROR: An error occurred while showtraceback was disabled"]
    assert result.cells[0].status == "error"


def test_a_timed_out_cell_gets_nbgraders_cell_timeout_error(make_nb):
    """Is an interrupted cell's reply replaced by nbgrader's error_on_timeout (CellTimeoutError)?"""
    interrupt = iopub("error", ename="KeyboardInterrupt", evalue="", traceback=["..."])
    reply = {"status": "error", "ename": "KeyboardInterrupt", "evalue": "", "traceback": [], "execution_count": 1}
    result = record(make_nb("while True: pass"),
                    [*cell_events(0, interrupt, reply=reply, timed_out=True), {"t": "done", "time": T}])
    assert [o["ename"] for o in result.notebook.cells[0].outputs] == ["KeyboardInterrupt", "CellTimeoutError"]
    assert result.status == "ok" and result.cells[0].status == "timeout"


def test_a_process_ending_mid_cell_leaves_a_partial_notebook(make_nb):
    """Does a death inside a cell keep its outputs so far and list the cells that never ran?"""
    nb = make_nb("print(1)", "import os; os._exit(0)", "print(3)", "#md end", "print(5)")
    events = [*cell_events(0, iopub("stream", name="stdout", text="1\n")),
              {"t": "cell", "i": 1, "time": T}, iopub("status", execution_state="busy"),
              iopub("stream", name="stdout", text="partial\n")]
    result = record(nb, events, {"t": "exit", "code": 0, "signal": None, "killed": None, "time": T + 2})
    assert result.status == "died" and "during cell 1" in result.message and "code 0" in result.message
    assert result.stopped == 1 and result.not_run == (2, 4)
    assert result.notebook.cells[1].outputs[0]["text"] == "partial\n"
    assert [(c.index, c.status, c.seconds) for c in result.cells] == [(0, "ok", 0.5), (1, "died", 2.0)]


@pytest.mark.parametrize(("killed", "status", "words"), [
    ("cell_timeout", "timeout", "interrupted at its 2 s limit"),
    ("notebook_timeout", "timeout", "past its 9 s limit during cell 0"),
    ("cancelled", "error", "cancelled"),
])
def test_kills_by_the_server_say_why(make_nb, killed, status, words):
    """Does each kind of kill give its own status and message?"""
    events = [{"t": "cell", "i": 0, "time": T}]
    result = record(make_nb("loop"), events, {"t": "exit", "signal": 9, "killed": killed, "time": T + 3},
                    Limits(cell_timeout=2, notebook_timeout=9))
    assert result.status == status and words in result.message
    assert result.stopped == 0


@pytest.mark.parametrize("bad", [
    "not an object",
    {"t": "mystery"},
    {"t": "cell", "i": 5, "time": T},  # no such cell
    {"t": "cell", "i": 1, "time": T},  # a markdown cell
    {"t": "cell", "i": 2, "time": T},  # skips cell 0
    {"t": "done", "time": T},  # before cells 0 and 2 ran
    iopub("stream", name="stdout", text="outside a cell"),
])
def test_malformed_events_end_the_job_as_an_error(make_nb, bad):
    """Is any event that does not fit the protocol or the notebook reported, not trusted?"""
    result = record(make_nb("1", "#md m", "2"), [bad, {"t": "done", "time": T}])
    assert result.status == "error" and "invalid message" in result.message


def test_invalid_output_content_is_rejected(make_nb):
    """Does an output that nbformat would not accept make the job an error?"""
    bogus = iopub("display_data", data="not a mime bundle", metadata={})
    result = record(make_nb("1"), [*cell_events(0, bogus), {"t": "done", "time": T}])
    assert result.status == "error"


def test_the_server_dying_is_an_error_result(make_nb):
    """With no exit event at all (the server died), is the job an error that says so?"""
    recorder = NotebookRecorder(Job("j", make_nb("1"), "/tmp"))
    result = recorder.finish(None, 0.1, note="the server died")
    assert result.status == "error" and result.message == "the server died"
