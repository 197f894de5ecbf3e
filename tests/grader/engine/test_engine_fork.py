"""Does the fork engine keep notebooks apart, stop them at their limits, and survive whatever they do?"""

from __future__ import annotations

import os
import threading
import time
from typing import Any

import pytest

from grader.engine import Job, JobResult, Limits, LocalForkExecutor
from grader.engine.local import PROJECT_ROOT
from grader.engine.process import EngineStartError


def stdout(cell: Any) -> str:
    return "".join(o["text"] for o in cell.outputs if o["output_type"] == "stream" and o["name"] == "stdout")


def result_value(cell: Any) -> str:
    [result] = [o for o in cell.outputs if o["output_type"] == "execute_result"]
    return result["data"]["text/plain"]


def test_nothing_of_one_notebook_leaks_into_the_next(make_nb, tmp_path, fork):
    """Do globals and imported modules of one job stay out of the next job forked by the same server?"""
    first, second = tmp_path / "a", tmp_path / "b"
    for folder, name in ((first, "A"), (second, "B")):
        folder.mkdir()
        (folder / "nnlib.py").write_text(f"NAME = {name!r}\n")
    writer = make_nb("leak = 'secret'\nimport sys, nnlib\nsys.modules['numpy'].leaked = True\nnnlib.NAME")
    reader = make_nb(
        "import sys\n('leak' in globals(), 'nnlib' in sys.modules, hasattr(sys.modules['numpy'], 'leaked'))",
        "import nnlib\nnnlib.NAME",
    )
    results = {r.id: r for r in fork.map([Job("writer", writer, str(first))])}
    results |= {r.id: r for r in fork.map([Job("reader", reader, str(second))])}
    assert result_value(results["writer"].notebook.cells[0]) == "'A'"
    assert result_value(results["reader"].notebook.cells[0]) == "(False, False, False)"
    assert result_value(results["reader"].notebook.cells[1]) == "'B'"


def test_a_notebook_runs_in_its_folder_with_a_kernels_sys_path(make_nb, tmp_path, fork):
    """Is the working directory the job's folder, '' on sys.path (IPython's place), the server's entry gone?"""
    nb = make_nb(
        f"import os, sys\n(os.getcwd() == {str(tmp_path)!r}, '' in sys.path, "
        f"sys.path.index('') > 0, {str(PROJECT_ROOT)!r} in sys.path, sys.argv[0].endswith('launcher.py'))"
    )
    result = fork.run(Job("where", nb, str(tmp_path)))
    assert result_value(result.notebook.cells[0]) == "(True, True, True, False, True)"


def test_the_job_environment_replaces_the_servers(make_nb, tmp_path, fork):
    """Does a job's env become os.environ, plus only what ipykernel adds (MPLBACKEND, TERM, PAGER...)?"""
    nb = make_nb("import os\nsorted(os.environ)")
    result = fork.run(Job("env", nb, str(tmp_path), env={"ONLY_THIS": "1", "PATH": os.environ["PATH"]}))
    names = eval(result_value(result.notebook.cells[0]))
    assert names == sorted(
        ["ONLY_THIS", "PATH", "MPLBACKEND", "TERM", "CLICOLOR", "FORCE_COLOR", "CLICOLOR_FORCE", "PAGER", "GIT_PAGER"]
    )


def test_the_warm_server_hands_no_open_file_to_its_children(fork):
    """After its warm-up (imports, a plot, a log-scale plot) the server holds no file a library object could still
    read from or close in a child, where that descriptor number means something else."""
    assert fork.server.hello["open_files"] == []


def test_a_notebook_with_many_math_labels_keeps_its_output_capture(make_nb, tmp_path, fork):
    """70 math labels push the warm-up's entries out of matplotlib's mathtext cache (50 entries); the fonts they held
    were the server's, and freeing them once closed the descriptor of this notebook's output capture."""
    plot = ("import matplotlib.pyplot as plt\nfig, ax = plt.subplots()\n"
            "for k in range(70):\n    ax.text(0.5, k / 70, f'$x_{{{k}}}^2$')\nplt.show()")
    nb = make_nb(plot, "import os\nprint('printed')\nos.system('echo from a subprocess')")
    result = fork.run(Job("math", nb, str(tmp_path)))
    assert result.status == "ok", result.message
    plotted, echoed = result.notebook.cells
    assert [o["output_type"] for o in plotted.outputs] == ["display_data"]  # no engine traceback on stderr
    assert stdout(echoed) == "printed\nfrom a subprocess\n"


PROCESS_START = ("import os\nfields = open('/proc/self/stat').read().rsplit(')', 1)[1].split()\n"
                 "print(int(fields[19]) / os.sysconf('SC_CLK_TCK'))")
"""A cell printing when its process started (seconds since boot, as CLOCK_BOOTTIME counts them)."""


def started_at(result: JobResult) -> float:
    assert result.status == "ok", result.message
    return float(stdout(result.notebook.cells[0]))


def test_the_next_notebooks_process_is_forked_before_its_job_is_sent(make_nb, tmp_path, fork):
    """Once a notebook's process is gone, the server forks the next one ahead (a spare waiting for its job), so
    that forking, and in the sandbox building the namespaces, no longer comes between two notebooks."""
    fork.run(Job("before", make_nb("1"), str(tmp_path)))
    time.sleep(1.0)  # the finished process is reaped and the spare forked meanwhile
    sent = time.clock_gettime(time.CLOCK_BOOTTIME)
    started = started_at(fork.run(Job("probe", make_nb(PROCESS_START), str(tmp_path))))
    assert started < sent - 0.3, f"forked {started - sent:+.3f} s after its job was sent"


def test_without_spares_each_process_is_forked_when_its_job_comes(make_nb, tmp_path):
    """``spare=False`` (what benchmarks/engine_bench.py compares with) forks after the job is sent."""
    with LocalForkExecutor(jobs=1, sandbox="none", spare=False) as executor:
        executor.run(Job("before", make_nb("1"), str(tmp_path)))
        time.sleep(0.5)
        sent = time.clock_gettime(time.CLOCK_BOOTTIME)
        started = started_at(executor.run(Job("probe", make_nb(PROCESS_START), str(tmp_path))))
    assert started >= sent - 0.05  # /proc counts in clock ticks (10 ms): the start may read up to a tick early


def test_a_spare_that_died_before_its_job_came_is_replaced(make_nb, tmp_path):
    """A notebook that kills the spare (unsandboxed, it can: same user, its parent's child): the next job gets a
    process forked for it and runs normally."""
    killer = make_nb("import os, signal, time\ntime.sleep(0.5)\n"
                     "server = os.getppid()\n"
                     "others = [int(p) for p in open(f'/proc/{server}/task/{server}/children').read().split()]\n"
                     "others = [p for p in others if p != os.getpid()]\n"
                     "for pid in others:\n    os.kill(pid, signal.SIGKILL)\n"
                     "def state(pid):\n"
                     "    try:\n        return open(f'/proc/{pid}/stat').read().rsplit(')', 1)[1].split()[0]\n"
                     "    except OSError:\n        return 'gone'\n"
                     "while any(state(pid) not in ('Z', 'gone') for pid in others):  # dead, its pipes closed\n"
                     "    time.sleep(0.01)\n"
                     "print(len(others))")
    with LocalForkExecutor(jobs=1, sandbox="none") as executor:
        first, killed = executor.map([Job("first", make_nb("1"), str(tmp_path)), Job("killer", killer, str(tmp_path))])
        after = executor.run(Job("after", make_nb("print('ran')"), str(tmp_path)))
    assert first.status == "ok" and killed.status == "ok", killed.message
    assert int(stdout(killed.notebook.cells[0])) >= 1  # the spare was there to be killed
    assert after.status == "ok", after.message
    assert stdout(after.notebook.cells[0]) == "ran\n"


def test_a_job_too_big_for_the_spares_pipe_gets_a_process_of_its_own(make_nb, tmp_path, fork):
    """A spare takes its job in one write to a pipe of at most 1 MiB; a notebook of 3 MB is forked with its job."""
    fork.run(Job("before", make_nb("1"), str(tmp_path)))
    time.sleep(0.5)
    big = make_nb("text = '" + "x" * (3 << 20) + "'\nprint(len(text))", PROCESS_START)
    sent = time.clock_gettime(time.CLOCK_BOOTTIME)
    result = fork.run(Job("big", big, str(tmp_path)))
    assert result.status == "ok", result.message
    assert stdout(result.notebook.cells[0]) == f"{3 << 20}\n"
    assert float(stdout(result.notebook.cells[1])) >= sent - 0.05  # its own process, not the spare (tick: 10 ms)


def test_resource_limits_are_applied_to_the_notebooks_process(make_nb, tmp_path, fork):
    """Are memory, CPU and file-size limits set as rlimits in the notebook's process?"""
    nb = make_nb("import resource as r\n[r.getrlimit(x)[0] for x in (r.RLIMIT_AS, r.RLIMIT_CPU, r.RLIMIT_FSIZE)]")
    limits = Limits(memory_bytes=8 << 30, cpu_seconds=100, file_size_bytes=1 << 20)
    result = fork.run(Job("rlimits", nb, str(tmp_path), limits))
    assert result_value(result.notebook.cells[0]) == f"[{8 << 30}, 100, {1 << 20}]"


def test_a_cell_that_ignores_the_interrupt_is_killed_and_its_output_kept(make_nb, tmp_path, fork):
    """Is a cell that swallows KeyboardInterrupt killed after the grace period, keeping what it printed?"""
    nb = make_nb(
        "print('first cell')",
        "print('stubborn', flush=True)\nwhile True:\n    try:\n        while True:\n            pass\n"
        "    except KeyboardInterrupt:\n        pass",
        "print('never')",
    )
    result = fork.run(Job("stubborn", nb, str(tmp_path), Limits(cell_timeout=0.5, interrupt_grace=0.5)))
    assert result.status == "timeout"
    assert result.stopped == 1 and result.not_run == (2,)
    assert "cell 1" in result.message and "0.5 s" in result.message
    assert stdout(result.notebook.cells[0]) == "first cell\n"
    assert stdout(result.notebook.cells[1]) == "stubborn\n"
    assert [c.status for c in result.cells] == ["ok", "timeout"]
    assert result.cells[1].seconds >= 1.0


def test_a_notebook_past_its_total_limit_is_killed(make_nb, tmp_path, fork):
    """Does notebook_timeout stop a notebook whose cells are each within their own limit?"""
    nb = make_nb(*["import time\ntime.sleep(0.3)"] * 5)
    result = fork.run(Job("slow", nb, str(tmp_path), Limits(cell_timeout=10, notebook_timeout=0.5)))
    assert result.status == "timeout" and "0.5 s limit" in result.message
    assert result.stopped == 1 and result.not_run == (2, 3, 4)


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("import os\nos._exit(3)", "exited with code 3"),
        ("import ctypes\nctypes.string_at(0)", "SIGSEGV"),
        ("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)", "SIGKILL"),
    ],
)
def test_a_process_that_dies_gives_a_clear_error(make_nb, tmp_path, fork, code, words):
    """Do os._exit, a segfault and a self-kill end the job as 'died', naming the cell and the cause?"""
    result = fork.run(Job("dies", make_nb("print('ok')", code, "print('never')"), str(tmp_path)))
    assert result.status == "died"
    assert words in result.message and "during cell 1" in result.message
    assert result.stopped == 1 and result.not_run == (2,)
    assert stdout(result.notebook.cells[0]) == "ok\n"


def test_exit_ends_the_notebook_like_a_kernel(make_nb, tmp_path, fork):
    """Does exit() end the notebook after its cell ('died'), while exit(keep_kernel=True) does not?"""
    nb = make_nb("exit(keep_kernel=True)\nprint('still here')", "exit()", "print('never')")
    result = fork.run(Job("exit", nb, str(tmp_path)))
    assert result.status == "died" and "exit()" in result.message
    assert stdout(result.notebook.cells[0]) == "still here\n"
    assert result.stopped == 1 and result.not_run == (2,)


def test_a_missing_folder_is_an_error_result(make_nb, tmp_path, fork):
    """Is a job whose folder does not exist reported as an error, not an exception?"""
    result = fork.run(Job("nofolder", make_nb("1"), str(tmp_path / "missing")))
    assert result.status == "error" and "missing" in result.message


def test_output_past_the_limit_stops_the_notebook(make_nb, tmp_path, fork):
    """Does a notebook printing without end stop at max_output_bytes with status 'limit'?"""
    nb = make_nb("while True:\n    print('x' * 1000)")
    result = fork.run(Job("flood", nb, str(tmp_path), Limits(max_output_bytes=200_000)))
    assert result.status == "limit" and "200000-byte" in result.message
    assert 100_000 < len(stdout(result.notebook.cells[0])) < 200_000


def test_a_flood_printed_at_once_is_cut_at_the_limit_without_being_sent_whole(make_nb, tmp_path, fork):
    """Is a 200 MB burst stopped as soon as it passes max_output_bytes, its head kept, well within the cell's time
    limit (it is never encoded whole)?"""
    nb = make_nb("chunk = 'x' * (1 << 20)\nfor _ in range(200):\n    print(chunk)")
    result = fork.run(Job("burst", nb, str(tmp_path), Limits(max_output_bytes=300_000, cell_timeout=20)))
    assert result.status == "limit" and "300000-byte" in result.message
    assert 200_000 < len(stdout(result.notebook.cells[0])) < 300_000


def test_jobs_run_concurrently_and_results_come_as_they_finish(make_nb, tmp_path, fork):
    """With jobs=2, do two notebooks' cells overlap in time, and does the quicker one come back first?"""
    stamp = "import time\nstart = time.time()\ntime.sleep({})\nprint(start, time.time())"
    slow = Job("slow", make_nb(stamp.format(0.8)), str(tmp_path))
    quick = Job("quick", make_nb(stamp.format(0.4)), str(tmp_path))
    results = list(fork.map([slow, quick]))
    assert [r.id for r in results] == ["quick", "slow"]
    (a0, a1), (b0, b1) = ([float(x) for x in stdout(r.notebook.cells[0]).split()] for r in results)
    assert max(a0, b0) < min(a1, b1), "the two notebooks did not run at the same time"


def test_stopping_early_cancels_running_jobs(make_nb, tmp_path):
    """Does abandoning map() kill the notebooks still running, leaving no process behind?"""
    sleeper = make_nb("import os, pathlib, time\npathlib.Path(f'{os.getpid()}.pid').write_text('')\ntime.sleep(60)")
    jobs = [Job("quick", make_nb("1"), str(tmp_path))] + [Job(f"slow{i}", sleeper, str(tmp_path)) for i in (1, 2)]
    with LocalForkExecutor(jobs=3, sandbox="none") as executor:
        results = executor.map(jobs)
        assert next(results).id == "quick"
        deadline = time.monotonic() + 10
        while len(list(tmp_path.glob("*.pid"))) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        results.close()
    pids = [int(p.stem) for p in tmp_path.glob("*.pid")]
    assert len(pids) == 2

    def alive(pid: int) -> bool:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True

    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(alive(pid) for pid in pids)


@pytest.mark.slow
def test_a_notebook_that_kills_the_server_does_not_take_others_down(make_nb, tmp_path):
    """When a notebook kills the warm server, do the other running notebooks still finish ok?"""
    killer = make_nb("import os, signal, time\ntime.sleep(0.3)\nos.kill(os.getppid(), signal.SIGKILL)")
    victim = make_nb("import time\ntime.sleep(0.8)\nprint('finished')")
    with LocalForkExecutor(jobs=2, sandbox="none") as executor:
        results = {
            r.id: r for r in executor.map([Job("killer", killer, str(tmp_path)), Job("victim", victim, str(tmp_path))])
        }
    assert results["victim"].status == "ok"
    assert stdout(results["victim"].notebook.cells[0]) == "finished\n"
    assert results["killer"].status == "error" and "killed the engine server" in results["killer"].message


@pytest.mark.slow
def test_a_server_killed_while_the_caller_is_busy_is_noticed_not_waited_for(make_nb, tmp_path):
    """The caller takes its time over each result (scoring it), so the server a notebook kills is already gone,
    and reaped, when the batch next looks at it: are the jobs it ran still run again, rather than waited for on a
    new server that never heard of them?"""
    quick = make_nb("print('quick')")
    killer = make_nb("import os, signal, time\ntime.sleep(0.2)\nos.kill(os.getppid(), signal.SIGKILL)")
    slow = make_nb("import time\ntime.sleep(1.0)\nprint('slow')")
    jobs = [Job("quick", quick, str(tmp_path)), Job("slow", slow, str(tmp_path)), Job("killer", killer, str(tmp_path)),
            Job("after", quick, str(tmp_path))]
    results: dict[str, JobResult] = {}

    def consume() -> None:
        with LocalForkExecutor(jobs=2, sandbox="none") as executor:
            for result in executor.map(jobs):
                results[result.id] = result
                time.sleep(0.6)  # the killer kills the server meanwhile

    worker = threading.Thread(target=consume, daemon=True)
    worker.start()
    worker.join(60)
    assert not worker.is_alive(), f"the batch hung; results so far: {sorted(results)}"
    assert sorted(results) == ["after", "killer", "quick", "slow"]
    assert {k: r.status for k, r in results.items() if k != "killer"} == {"after": "ok", "quick": "ok", "slow": "ok"}
    assert results["killer"].status == "error" and "killed the engine server" in results["killer"].message


@pytest.mark.slow
def test_a_cell_that_forges_its_reply_and_blocks_the_alarm_is_still_stopped(make_nb, tmp_path, fork):
    """Can notebook code escape the time limits by faking the end of its cell and ignoring the interrupt?"""
    forger = ("import json, os, signal, struct, time\n"
              "signal.signal(signal.SIGALRM, signal.SIG_IGN)\n"
              "fake = json.dumps({'t': 'reply', 'c': {'status': 'ok', 'execution_count': 1}, 'time': time.time(),\n"
              "                   'seconds': 0.1, 'timed_out': False}).encode()\n"
              "os.write(3, struct.pack('>I', len(fake)) + fake)\n"
              "while True:\n    pass")
    started = time.monotonic()
    result = fork.run(Job("forger", make_nb(forger), str(tmp_path), Limits(cell_timeout=0.5, interrupt_grace=0.5)))
    assert result.status == "timeout"
    assert time.monotonic() - started < 10


def test_a_server_that_cannot_start_is_an_exception_not_a_hang(make_nb, tmp_path):
    """Does a broken server command (here: a sandbox prefix that fails) raise EngineStartError at once?"""
    executor = LocalForkExecutor(jobs=1, sandbox="none", command_prefix=["false"])
    with pytest.raises(EngineStartError, match="did not start"):
        list(executor.map([Job("j", make_nb("1"), str(tmp_path))]))


def test_a_server_that_cannot_start_fails_the_same_after_start(make_nb, tmp_path):
    """`start` does not wait: the broken server's error comes on first use, as without it."""
    executor = LocalForkExecutor(jobs=1, sandbox="none", command_prefix=["false"])
    executor.start()
    with pytest.raises(EngineStartError, match="did not start"):
        list(executor.map([Job("j", make_nb("1"), str(tmp_path))]))


def test_start_boots_the_server_in_the_background(make_nb, tmp_path):
    """`start` returns before the server has said hello; the first job runs on that same process; `close` right
    after `start` leaves no server behind."""
    with LocalForkExecutor(jobs=1, sandbox="none") as executor:
        executor.start()
        launched = executor._launched
        assert launched is not None and launched.hello == {}  # not waited for
        result = executor.run(Job("first", make_nb("print('ran')"), str(tmp_path)))
        assert executor.server is launched and launched.hello["pid"] == launched.proc.pid
    assert result.status == "ok" and stdout(result.notebook.cells[0]) == "ran\n"
    unused = LocalForkExecutor(jobs=1, sandbox="none")
    unused.start()
    process = unused._launched.proc
    unused.close()
    assert process.poll() is not None
