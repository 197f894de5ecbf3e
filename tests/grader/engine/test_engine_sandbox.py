"""Does the bubblewrap sandbox give each notebook a world of its own, and is grading without it loud but safe?

The tests that need bubblewrap skip (saying why) where it is missing or cannot run; the fallback tests run
everywhere. One sandboxed warm server serves the module; one more runs a Python environment placed under /tmp.
"""

from __future__ import annotations

import ast
import os
import site
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from grader.engine import Job, Limits, LocalForkExecutor
from grader.engine import sandbox as sandbox_module
from grader.engine.process import EngineStartError
from grader.engine.sandbox import JOBS_DIR, NOTEBOOK_HOME, Sandbox, SandboxError, SandboxWarning, scrub_env
from grader.grading import DEFAULT_PRELOAD, EngineSettings


def _bwrap_problem() -> str:
    if sandbox_module.find_bwrap() is None:
        return "bubblewrap (bwrap) is not installed"
    try:
        with LocalForkExecutor(jobs=1, sandbox="bwrap") as executor:
            executor.server  # noqa: B018 (starting it is the test)
    except EngineStartError as exc:
        return str(exc)
    return ""


PROBLEM = _bwrap_problem()
needs_bwrap = pytest.mark.skipif(bool(PROBLEM), reason=f"the bubblewrap sandbox cannot run here: {PROBLEM}")


@pytest.fixture(scope="module")
def boxed() -> Iterator[LocalForkExecutor]:
    """A sandboxed warm server, two notebooks at a time, with secrets in the environment it was made from."""
    if PROBLEM:
        pytest.skip(PROBLEM)
    secrets = {**os.environ, "CI_JOB_TOKEN": "ci-token-1f", "AWS_SECRET_ACCESS_KEY": "aws-key-2e"}
    with LocalForkExecutor(jobs=2, sandbox="bwrap", server_env=secrets) as executor:
        yield executor


def outputs(result: Any, index: int = 0) -> str:
    cell = result.notebook.cells[index]
    return "".join(o.get("text", "") + o.get("evalue", "") for o in cell.outputs)


def value(result: Any, index: int = 0) -> Any:
    return ast.literal_eval(outputs(result, index).strip())


@needs_bwrap
def test_a_notebook_runs_in_a_private_copy_of_its_folder(make_nb, tmp_path, boxed):
    """Is the cwd a copy of the job's folder (helpers importable), private, and is what it writes kept from the
    host?"""
    (tmp_path / "work").mkdir()
    (tmp_path / "work" / "helper.py").write_text("VALUE = 41\n")
    nb = make_nb("import os, helper\nopen('written.txt', 'w').write('x')\n"
                 "here = sorted(set(os.listdir('.')) - {'__pycache__'})\n"
                 "print((os.getcwd(), helper.VALUE, here, os.environ['HOME']))")
    result = boxed.run(Job("copy", nb, str(tmp_path / "work")))
    assert result.status == "ok", result.message
    assert value(result) == (f"{NOTEBOOK_HOME}/work", 41, ["helper.py", "written.txt"], NOTEBOOK_HOME)
    assert sorted(os.listdir(tmp_path / "work")) == ["helper.py"]
    assert boxed.sandboxed and os.listdir(boxed._sandbox.jobs_root) == []  # nothing staged is left


@needs_bwrap
def test_the_next_job_is_staged_while_a_notebook_runs(make_nb, tmp_path):
    """At --jobs 1 the next job's folder is staged while the current notebook runs, not between the two."""
    (tmp_path / "work").mkdir()
    slow, quick = make_nb("import time\ntime.sleep(3)"), make_nb("1")
    seen: list[int] = []
    with LocalForkExecutor(jobs=1, sandbox="bwrap") as executor:
        executor.server  # noqa: B018 (started, so that the sandbox exists)
        jobs_root = executor._sandbox.jobs_root
        consumer = threading.Thread(target=lambda: seen.extend(
            len(r.id) for r in executor.map([Job("slow", slow, str(tmp_path / "work")),
                                             Job("quick", quick, str(tmp_path / "work"))])))
        consumer.start()
        staged = 0
        while consumer.is_alive() and staged < 2:
            staged = max(staged, len(os.listdir(jobs_root)))
            time.sleep(0.01)
        consumer.join()
        assert staged == 2  # the slow one's folder and the quick one's, while the slow one ran
        assert len(seen) == 2 and os.listdir(jobs_root) == []


@needs_bwrap
def test_the_host_the_course_and_the_network_are_out_of_reach(make_nb, tmp_path, boxed):
    """Are host files outside the view, the project's hidden tests, and the network all unreachable?"""
    secret = tmp_path / "gradebook.db"
    secret.write_text("hidden")
    project_source = Path(__file__).resolve().parents[3] / "assignments" / "source"
    probes = [str(secret), str(project_source), "/root/.bash_history", "/etc/shadow", "/etc/hostname"]
    nb = make_nb(
        f"import os, socket\nseen = [p for p in {probes!r} if os.path.exists(p)]\n"
        "try:\n    socket.create_connection(('1.1.1.1', 53), timeout=1)\n    net = 'reached'\n"
        "except OSError as error:\n    net = type(error).__name__\n"
        "print((seen, net, os.listdir('/run/grader/jobs'), sorted(os.listdir('/etc'))[:3]))"
    )
    result = boxed.run(Job("reach", nb, str(tmp_path)))
    seen, net, staged, _ = value(result)
    assert (seen, net, staged) == ([], "OSError", [])


@needs_bwrap
def test_notebooks_running_at_once_cannot_see_or_signal_each_other(make_nb, tmp_path, boxed):
    """While A sleeps with a file in its folder and /tmp, does B see only its own processes and no file of A (its
    /tmp holds only the way to a venv or checkout kept there), and does signalling everything it can (kill -1)
    leave A unharmed?"""
    kept = sorted({str(Path("/tmp", Path(p).relative_to("/tmp").parts[0])) for p in boxed._sandbox.kept_in_tmp()})
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
    sleeper = make_nb("import time\nopen('mine.txt', 'w').write('a')\nopen('/tmp/a.txt', 'w').write('a')\n"
                      "time.sleep(1.2)\nprint('a survived')")
    prober = make_nb(
        "import glob, os, signal, time\ntime.sleep(0.3)\n"
        "pids = sorted(int(p) for p in os.listdir('/proc') if p.isdigit())\n"
        "found = glob.glob('/home/*/*/mine.txt') + sorted(glob.glob('/tmp/*')) + glob.glob('/run/grader/jobs/*')\n"
        "try:\n    os.kill(-1, signal.SIGKILL)\nexcept ProcessLookupError:\n    pass\n"
        "print((pids, found, os.getpid(), os.getppid()))"
    )
    results = {r.id: r for r in boxed.map([Job("a", sleeper, str(tmp_path / "a")),
                                           Job("b", prober, str(tmp_path / "b"))])}
    assert results["a"].status == "ok" and outputs(results["a"]) == "a survived\n"
    pids, found, pid, ppid = value(results["b"])
    assert (pids, found, pid, ppid) == ([1, 2], kept, 2, 0)  # pid 1 is the namespace's init, outside: nothing


@needs_bwrap
def test_a_fork_bomb_is_held_to_the_process_limit_and_does_not_outlive_its_notebook(make_nb, tmp_path, boxed):
    """Does a notebook get at most `processes` forks (each in a session of its own), while another notebook still
    starts threads, and is no process of the bomb left under the warm server once the job is over?"""
    assert _left_under_server(boxed) == []
    bomb = make_nb("import os, time\nn = 0\nwhile True:\n    try:\n        if os.fork() == 0:\n"
                   "            os.setsid()\n            time.sleep(60)\n            os._exit(0)\n        n += 1\n"
                   "    except OSError as error:\n        print(n, type(error).__name__)\n        raise")
    neighbour = make_nb("import threading, time\ntime.sleep(0.3)\nt = threading.Thread(target=time.sleep, args=(0,))\n"
                        "t.start(); t.join()\nprint('threads still start')")
    results = {r.id: r for r in boxed.map([Job("bomb", bomb, str(tmp_path), Limits(processes=10)),
                                           Job("neighbour", neighbour, str(tmp_path))])}
    forks, kind = outputs(results["bomb"]).split()[:2]
    assert kind == "BlockingIOError" and int(forks) <= 10
    assert "the notebook may run 10 at once" in outputs(results["bomb"])
    assert outputs(results["neighbour"]) == "threads still start\n"
    assert _left_under_server(boxed) == []


def _left_under_server(executor: LocalForkExecutor, within: float = 5.0) -> list[str]:
    """What still runs under the warm server after ``within`` seconds (no job running: nothing should)."""
    deadline = time.monotonic() + within
    while True:
        tree = _descendants(executor._server.proc.pid)
        wrapped = [pid for pid in tree if b"grader.engine.server" in _read(f"/proc/{pid}/cmdline")]
        server = [pid for pid in wrapped if not _descendants(pid) & set(wrapped)]  # bwrap's argv has it too
        left = [_read(f"/proc/{pid}/stat")[:60].decode() for pid in _descendants(server[0])] if server else ["?"]
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.05)


def _read(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError:  # it ended meanwhile
        return b""


def _descendants(root: int) -> set[int]:
    """Processes under ``root`` in the host's process tree."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    parents[int(entry)] = int(stat.read().rpartition(")")[2].split()[1])
            except (OSError, ValueError):
                continue
    found, frontier = set(), {root}
    while frontier:
        frontier = {pid for pid, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


@needs_bwrap
def test_the_disk_and_memory_limits_are_named_in_the_error_and_the_result(make_nb, tmp_path, boxed):
    """Does writing past disk_bytes fail with ENOSPC and a MemoryError at memory_bytes, each saying which limit,
    and both land in JobResult.notes?"""
    nb = make_nb("open('big.bin', 'wb').write(b'x' * (8 << 20))",
                 "hog = bytearray(2 << 30)",
                 "print('went on')")
    result = boxed.run(Job("limits", nb, str(tmp_path), Limits(disk_bytes=4 << 20, memory_bytes=1 << 30)))
    assert result.status == "ok"
    assert "No space left on device" in outputs(result, 0) and "may hold 4 MiB in all" in outputs(result, 0)
    assert "memory limit of 1 GiB" in outputs(result, 1)
    assert outputs(result, 2) == "went on\n"
    assert [index for index, _ in result.notes] == [0, 1]


@needs_bwrap
def test_a_spare_made_for_one_disk_limit_never_runs_a_job_with_another(make_nb, tmp_path, boxed):
    """The spare process is forked with its tmpfs sized for the last job's disk limit: a job with another limit
    must get a process made for its own, in both directions."""
    write = make_nb("open('big.bin', 'wb').write(b'x' * (8 << 20))\nprint('written')")
    roomy = boxed.run(Job("roomy", write, str(tmp_path)))  # the default 512 MiB
    time.sleep(0.5)  # reaped: a spare for 512 MiB is forked
    tight = boxed.run(Job("tight", write, str(tmp_path), Limits(disk_bytes=4 << 20)))
    time.sleep(0.5)  # a spare for 4 MiB
    roomy_again = boxed.run(Job("roomy again", write, str(tmp_path)))
    assert outputs(roomy) == outputs(roomy_again) == "written\n"
    assert "No space left on device" in outputs(tight)


@needs_bwrap
def test_the_cpu_limit_stops_a_sandboxed_notebook(make_nb, tmp_path, boxed):
    """pid 1 of its namespace ignores SIGXCPU; is the notebook still stopped, and reported as a CPU limit?"""
    nb = make_nb("while True:\n    pass", "print('never')")
    result = boxed.run(Job("cpu", nb, str(tmp_path), Limits(cpu_seconds=1, cell_timeout=20)))
    assert result.status == "limit" and "1 s of CPU time" in result.message
    assert result.not_run == (1,)


@needs_bwrap
def test_killing_its_parent_only_ends_the_notebook_itself(make_nb, tmp_path, boxed):
    """os.kill(os.getppid(), SIGKILL) reaches no server from the sandbox; the other notebook finishes."""
    killer = make_nb("import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\nprint('after')")
    other = make_nb("import time\ntime.sleep(0.5)\nprint('finished')")
    results = {r.id: r for r in boxed.map([Job("killer", killer, str(tmp_path)), Job("other", other, str(tmp_path))])}
    assert outputs(results["other"]) == "finished\n" and results["other"].status == "ok"
    assert results["killer"].status in ("ok", "died")


@needs_bwrap
@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("import os\nos._exit(3)", "exited with code 3"),
        ("import ctypes\nctypes.string_at(0)", "SIGSEGV"),
        ("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)", "SIGKILL"),
    ],
)
def test_a_process_that_dies_in_the_sandbox_gets_the_same_verdict(make_nb, tmp_path, boxed, code, words):
    """os._exit, a segfault and a self-kill end a sandboxed job as they end an unsandboxed one."""
    result = boxed.run(Job("dies", make_nb("print('ok')", code, "print('never')"), str(tmp_path)))
    assert result.status == "died" and words in result.message and "during cell 1" in result.message
    assert result.stopped == 1 and result.not_run == (2,)


@needs_bwrap
@pytest.mark.slow
def test_the_sandbox_changes_no_output(tmp_path, boxed, fork, make_nb, clean_env, cell_shapes):
    """Does the parity notebook (streams, displays, plots, magics, errors, helpers) record the same outputs inside
    the sandbox as outside it?"""
    from tests.grader.engine.test_engine_parity import FEATURES

    folder = tmp_path / "work"
    folder.mkdir()
    (folder / "helper.py").write_text("def boom():\n    raise RuntimeError('boom from helper')\n\n"
                                      "def value():\n    return 41\n")
    job = Job("features", make_nb(*FEATURES), str(folder), Limits(cell_timeout=30), env=clean_env)
    inside, outside = boxed.run(job), fork.run(job)
    assert inside.status == outside.status == "ok", inside.message
    for index, (want, got) in enumerate(zip(cell_shapes(outside.notebook), cell_shapes(inside.notebook), strict=True)):
        assert got == want, f"cell {index}: {FEATURES[index]!r}"


@needs_bwrap
def test_a_folder_too_big_to_stage_is_that_jobs_error(make_nb, tmp_path, boxed):
    (tmp_path / "data.bin").write_bytes(b"x" * (2 << 20))
    result = boxed.run(Job("big", make_nb("1"), str(tmp_path), Limits(disk_bytes=1 << 20)))
    assert result.status == "error" and "too much to copy into the sandbox" in result.message


@needs_bwrap
def test_secrets_of_the_graders_environment_do_not_reach_the_notebook(make_nb, tmp_path, boxed):
    nb = make_nb("import os\nprint(sorted(os.environ))")
    names = value(boxed.run(Job("env", nb, str(tmp_path))))
    assert "CI_JOB_TOKEN" not in names and "AWS_SECRET_ACCESS_KEY" not in names and "PATH" in names


def test_the_allow_list_keeps_only_harmless_variables():
    environ = {"PATH": "/bin", "LC_ALL": "C", "HOME": "/root", "CI_JOB_TOKEN": "x", "GITHUB_TOKEN": "y",
               "AWS_ACCESS_KEY_ID": "z", "PYTHONPATH": "/work", "NBGRADER_EXECUTION": "autograde"}
    assert scrub_env(environ) == {"PATH": "/bin", "LC_ALL": "C", "HOME": "/root", "NBGRADER_EXECUTION": "autograde"}


def test_without_bubblewrap_auto_warns_loudly_and_still_grades_with_limits(make_nb, tmp_path, monkeypatch):
    """Where bwrap is missing, does sandbox='auto' warn, run unsandboxed, keep the limits and scrub the env?"""
    monkeypatch.setattr(sandbox_module, "find_bwrap", lambda: None)
    monkeypatch.setenv("CI_JOB_TOKEN", "ci-token-3a")
    nb = make_nb("import os, resource\n"
                 "print(('CI_JOB_TOKEN' in os.environ, resource.getrlimit(resource.RLIMIT_AS)[0]))")
    with pytest.warns(SandboxWarning, match="GRADING WITHOUT A SANDBOX"), LocalForkExecutor(jobs=1) as executor:
        result = executor.run(Job("plain", nb, str(tmp_path), Limits(memory_bytes=3 << 30)))
        assert not executor.sandboxed
    assert value(result) == (False, 3 << 30)


def test_asking_for_bubblewrap_where_it_is_missing_is_an_error(make_nb, tmp_path, monkeypatch):
    monkeypatch.setattr(sandbox_module, "find_bwrap", lambda: None)
    with warnings.catch_warnings(), LocalForkExecutor(jobs=1, sandbox="bwrap") as executor:
        warnings.simplefilter("error")
        with pytest.raises(EngineStartError, match="needs bubblewrap"):
            executor.run(Job("x", make_nb("1"), str(tmp_path)))


def test_an_unknown_sandbox_is_refused():
    with pytest.raises(ValueError, match=r"auto.*bwrap.*none"):
        LocalForkExecutor(sandbox="docker")


def test_the_environment_chooses_the_sandbox_when_the_code_does_not(monkeypatch):
    """GRADER_SANDBOX lets a CI job require (or refuse) the sandbox without a command-line option."""
    monkeypatch.setenv("GRADER_SANDBOX", "bwrap")
    assert LocalForkExecutor().sandbox_mode == "bwrap"
    assert LocalForkExecutor(sandbox="none").sandbox_mode == "none"
    monkeypatch.delenv("GRADER_SANDBOX")
    assert LocalForkExecutor().sandbox_mode == "auto"
    monkeypatch.setenv("GRADER_SANDBOX", "docker")
    with pytest.raises(ValueError, match="docker"):
        LocalForkExecutor()


def test_staging_never_follows_links_and_never_copies_the_staging_folder(tmp_path):
    """Are symlinks staged as links (a link to the gradebook stays a dangling link inside) and the staging folder
    itself skipped when the job folder contains it?"""
    box = sandbox_module.Sandbox("bwrap", "python", [], uid=None)
    try:
        work = tmp_path / "work"
        work.mkdir()
        (tmp_path / "gradebook.db").write_text("secret")
        (work / "leak").symlink_to(tmp_path / "gradebook.db")
        (work / "notes.txt").write_text("mine")
        inside, staged = box.stage(str(work))
        assert inside == f"{JOBS_DIR}/{staged.name}/work"
        assert os.readlink(staged / "work" / "leak") == str(tmp_path / "gradebook.db")
        assert (staged / "work" / "notes.txt").read_text() == "mine"
    finally:
        box.close()
    assert not box.jobs_root.exists()


# -- a Python environment or a checkout under /tmp (a clean clone in CI) -------------------------------------------
def _last_mounts(command: list[str], bwrap: str, path: str) -> list[str]:
    """For each bwrap in ``command``, the last of its mounts that decides what ``path`` shows: "tmpfs" (a tmpfs on
    /tmp hides it), "bind" (bound at its own path) or "" (neither)."""
    found: list[str] = []
    for start in [index for index, arg in enumerate(command) if arg == bwrap]:
        args = command[start + 1:command.index("--", start)]
        last = ""
        for index, flag in enumerate(args):
            if flag == "--tmpfs" and args[index + 1] == "/tmp":
                last = "tmpfs"
            elif flag == "--ro-bind" and args[index + 1:index + 3] == [path, path]:
                last = "bind"
        found.append(last)
    return found


@pytest.mark.parametrize("uid", [None, sandbox_module.SANDBOX_UID])
def test_a_folder_under_tmp_is_bound_again_on_the_sandboxs_own_tmp(uid, monkeypatch):
    """With a package folder under /tmp, does every bwrap of the command (two when the grader is root) bind it
    read-only *after* its tmpfs on /tmp (bwrap mounts in order: before, the tmpfs hid it and the server could not
    start), and is it among the folders the server shows again in each notebook's /tmp?"""
    monkeypatch.setattr(sandbox_module.os, "chown", lambda *args: None)  # uid=65534 chowns the staging folder
    with tempfile.TemporaryDirectory(dir="/tmp") as folder:
        package = os.path.join(folder, "project", "package")
        os.makedirs(package)
        box = Sandbox("bwrap", sys.executable, [package], uid=uid)
        try:
            command = box.command(["python", "-c", "pass"])
            kept = box.kept_in_tmp()
        finally:
            box.close()
    assert package in kept and all(path.startswith("/tmp/") for path in kept)
    assert _last_mounts(command, "bwrap", package) == ["bind"] * (1 if uid is None else 2)


@pytest.mark.parametrize("held", ["/tmp", "staging"])
def test_a_folder_holding_tmp_or_the_staging_folder_is_never_shown(held):
    """A package folder that holds /tmp itself, or every job's staged copy, would show them all: refused."""
    box = Sandbox("bwrap", sys.executable, [], uid=None)
    try:
        box.packages = [str(box.jobs_root) if held == "staging" else "/tmp"]
        with pytest.raises(SandboxError, match="which holds"):
            box.command(["python"])
    finally:
        box.close()


def _venv_under_tmp(root: Path) -> Path:
    """A venv at ``root/venv`` whose site folder adds this environment's (IPython, NumPy, this package), and a
    package ``tmp_probe`` at ``root/project`` on its path; returns its python."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root / "venv")], check=True)
    python = root / "venv" / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                             check=True, capture_output=True, text=True).stdout.strip()
    lines = [f"import site; site.addsitedir({folder!r})" for folder in site.getsitepackages()]
    Path(purelib, "zz_outer.pth").write_text("\n".join([*lines, str(root / "project"), ""]))
    (root / "project" / "tmp_probe").mkdir(parents=True)
    (root / "project" / "tmp_probe" / "__init__.py").write_text("")
    (root / "project" / "tmp_probe" / "late.py").write_text("VALUE = 'imported late'\n")
    return python


@needs_bwrap
def test_a_python_environment_under_tmp_runs_sandboxed_and_shows_nothing_else_of_tmp(make_nb, tmp_path,
                                                                                      monkeypatch):
    """A clean clone in /tmp: with the venv (sys.prefix) and a preloaded package under /tmp, does the sandboxed
    server start, can a notebook import a module of that package the server never imported, are both read-only,
    is the notebook's /tmp its own, and is nothing else there: not the venv's sibling, not the course (also under
    /tmp here)?"""
    course = tmp_path / "course"
    (course / "source").mkdir(parents=True)
    (course / "gradebook.db").write_text("hidden")
    with tempfile.TemporaryDirectory(dir="/tmp") as folder:
        root = Path(folder)
        python = _venv_under_tmp(root)
        (root / "gradebook.db").write_text("hidden")
        monkeypatch.syspath_prepend(str(root / "project"))  # where the executor finds the preloaded package
        nb = make_nb(
            "import os, sys, tmp_probe.late\nopen('/tmp/mine.txt', 'w').write('x')\n"
            f"paths = [{str(course)!r}, {str(course / 'gradebook.db')!r}, {str(root / 'gradebook.db')!r}]\n"
            "ro = [bool(os.statvfs(p).f_flag & os.ST_RDONLY) for p in (sys.prefix, tmp_probe.__path__[0])]\n"
            f"print((sys.prefix, tmp_probe.late.VALUE, ro, sorted(os.listdir({folder!r})),\n"
            "       [p for p in paths if os.path.exists(p)], os.path.exists('/tmp/mine.txt')))")
        with LocalForkExecutor(jobs=1, sandbox="bwrap", python=str(python),
                               course=EngineSettings(preload=(*DEFAULT_PRELOAD, "tmp_probe"))) as executor:
            result = executor.run(Job("under-tmp", nb, str(course)))
        errors = [o for o in result.notebook.cells[0].outputs if o.output_type == "error"]
        assert result.status == "ok" and not errors, result.message + outputs(result)
        assert value(result) == (str(root / "venv"), "imported late", [True, True], ["project", "venv"], [], True)
