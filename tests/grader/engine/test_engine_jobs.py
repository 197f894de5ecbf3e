"""Are jobs plain data with validated limits, are frames decoded safely, and is the executor registry strict?"""

from __future__ import annotations

import json

import pytest

from grader.engine import EXECUTORS, Job, Limits, executor_class, make_executor
from grader.engine.child import kernel_sys_path, should_run
from grader.engine.protocol import HEADER, FrameReader, ProtocolError, encode


def test_a_job_survives_a_json_round_trip(make_nb):
    """Is a Job plain JSON data (what a distributed executor would ship)?"""
    job = Job("s1", make_nb("print(1)"), "/tmp/s1", Limits(cell_timeout=5, memory_bytes=1 << 30), env={"A": "1"})
    assert Job.from_dict(json.loads(json.dumps(job.to_dict()))) == job


@pytest.mark.parametrize("bad", [{"cell_timeout": -1}, {"max_output_bytes": float("nan")}, {"cpu_seconds": "9"}])
def test_nonsense_limits_are_refused(bad):
    with pytest.raises(ValueError, match="Limits"):
        Limits(**bad)


def test_unknown_limits_are_named():
    with pytest.raises(ValueError, match="wall_clock"):
        Limits.from_dict({"wall_clock": 3})


def test_unknown_executor_lists_the_known_ones():
    with pytest.raises(ValueError, match=r"fork.*kernel"):
        make_executor("cluster")
    assert sorted(EXECUTORS) == ["dask", "fork", "kernel"]
    assert executor_class("fork").name == "fork" and executor_class("kernel").name == "kernel"


def test_frames_split_anywhere_decode_the_same():
    """Are frames decoded whole however the bytes arrive?"""
    objects = [{"t": "iopub", "text": "é\ud800 lone surrogate"}, {"n": 1}, [1, 2]]
    data = b"".join(encode(o) for o in objects)
    reader = FrameReader()
    got = [obj for i in range(len(data)) for obj in reader.feed(data[i:i + 1])]
    assert got == objects and reader.pending == 0


def test_oversized_and_non_json_frames_are_protocol_errors():
    with pytest.raises(ProtocolError, match="limit"):
        FrameReader(max_frame=10).feed(encode({"text": "x" * 100}))
    with pytest.raises(ProtocolError, match="JSON"):
        FrameReader().feed(HEADER.pack(3) + b"{x}")


def test_cells_run_by_nbclients_rule(make_nb):
    """Code cells with non-blank source and no skip-execution tag run; nothing else does."""
    nb = make_nb("1", "  \n", "#md x", ("2", {"tags": ["skip-execution"]}), ("3", {"tags": ["raises-exception"]}))
    assert [should_run(c) for c in nb.cells] == [True, False, False, False, True]


def test_the_working_folder_goes_where_ipython_puts_it():
    """Is '' inserted before site-packages (IPython's init_path), and only once?"""
    base = ["/py/lib/python311.zip", "/py/lib/python3.11", "", "/venv/lib/python3.11/site-packages", "/x"]
    assert kernel_sys_path(base) == ["/py/lib/python311.zip", "/py/lib/python3.11", "",
                                     "/venv/lib/python3.11/site-packages", "/x"]
    assert kernel_sys_path(["/a"]) == ["", "/a"]
