"""Every failure kind reaches the command line as one line and exit code 1 or 2, never as a traceback: a broken
course config, a locked gradebook, a sandbox or an engine that cannot start, and a bug of our own."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from grader import cli
from grader.engine import local
from grader.errors import GradebookLockedError, InternalError, as_grader_error
from tests.grader.conftest import ASSIGNMENT, fill, submit

GRADER = [sys.executable, "-m", "grader.cli"]
PROJECT = Path(__file__).resolve().parents[2]


def grader(*args: str, env: dict[str, str] | None = None, timeout: float = 180) -> subprocess.CompletedProcess:
    """`grader ARGS` as a user runs it, in its own process (PYTHONPATH: this checkout)."""
    environ = {**os.environ, "PYTHONPATH": str(PROJECT), **(env or {})}
    return subprocess.run([*GRADER, *args], capture_output=True, text=True, env=environ, timeout=timeout)


def assert_one_line(result: subprocess.CompletedProcess, code: int, *words: str) -> str:
    """The command failed with ``code`` and said why in one line naming ``words``; no traceback anywhere."""
    assert result.returncode == code, (result.returncode, result.stderr[-2000:])
    assert "Traceback" not in result.stderr + result.stdout, result.stderr[-2000:]
    said = [line for line in result.stderr.splitlines() if line.startswith("grader ")]
    assert len(said) == 1, result.stderr
    assert all(word in said[0] for word in words), said[0]
    return said[0]


@pytest.mark.parametrize(
    ("config", "words"),
    [
        ("c = get_config()\nc.CourseDirectory.course_id = 'x'\nthis is broken(\n", ("line 3", "SyntaxError")),
        ("c = get_config()\nraise ValueError('boom')\n", ("line 2", "ValueError: boom")),
        ("c = get_config()\nc.CourseDirectory.db_url = 5\n", ("db_url", "expected a unicode string")),
    ],
    ids=["syntax", "raises", "wrong-type"],
)
def test_a_broken_course_config_is_a_usage_error_naming_the_file(tmp_path: Path, config: str, words) -> None:
    (tmp_path / "source" / "a").mkdir(parents=True)
    (tmp_path / "nbgrader_config.py").write_text(config)
    result = grader("autograde", "a", "--course", str(tmp_path))
    assert_one_line(result, 2, str(tmp_path / "nbgrader_config.py"), *words)


def test_a_locked_gradebook_says_so_and_changes_nothing(course: Path) -> None:
    """Another process holds the SQLite gradebook (nbgrader's formgrader, a second grader): SQLite waits its busy
    timeout (5 s), then the command stops with a message."""
    submit(course, "alice", fill(course))
    lock = sqlite3.connect(course / "gradebook.db", isolation_level=None)
    try:
        lock.execute("BEGIN EXCLUSIVE")
        result = grader("autograde", ASSIGNMENT, "--course", str(course), env={"GRADER_SANDBOX": "none"})
    finally:
        lock.close()
    assert_one_line(result, 1, "gradebook is locked by another process")
    assert not (course / "autograded" / "alice").exists()


def test_bubblewrap_missing_when_required(course: Path, tmp_path: Path) -> None:
    submit(course, "alice", fill(course))
    result = grader("autograde", ASSIGNMENT, "--course", str(course),
                    env={"GRADER_SANDBOX": "bwrap", "PATH": str(tmp_path)})  # no bwrap on this PATH
    assert_one_line(result, 1, "needs bubblewrap")


def test_a_sandbox_that_cannot_start_when_required(course: Path, tmp_path: Path) -> None:
    """A bwrap that fails as it does without user namespaces: one line from it, one from us, exit 1."""
    fake = tmp_path / "bin" / "bwrap"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\necho 'bwrap: setting up uid map: Permission denied' >&2\nexit 1\n")
    fake.chmod(0o755)
    submit(course, "alice", fill(course))
    result = grader("autograde", ASSIGNMENT, "--course", str(course),
                    env={"GRADER_SANDBOX": "bwrap", "PATH": f"{fake.parent}:/usr/bin:/bin"})
    assert_one_line(result, 1, "the bubblewrap sandbox does not work here")


def test_an_engine_that_cannot_start(course: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    """The warm server's process exits before its hello (as it does on an interpreter without IPython): the only
    fault injected is the program the server runs, at the process boundary."""
    submit(course, "alice", fill(course))
    monkeypatch.setenv("GRADER_SANDBOX", "none")
    monkeypatch.setattr(local, "BOOTSTRAP", "import sys; sys.exit(3)")
    assert cli.main(["autograde", ASSIGNMENT, "--course", str(course), "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert "the engine server did not start" in err
    assert "Traceback" not in err


def test_an_unexpected_error_is_one_line_unless_debugging() -> None:
    error = as_grader_error(KeyError("W1"))
    assert isinstance(error, InternalError)
    assert str(error) == "internal error, please report it: KeyError: 'W1' (run with GRADER_DEBUG=1 to see where)"
    assert isinstance(as_grader_error(RuntimeError("(sqlite3.OperationalError) database is locked")), InternalError)
    locked = type("OperationalError", (Exception,), {"__module__": "sqlalchemy.exc"})("database is locked")
    assert isinstance(as_grader_error(locked), GradebookLockedError)
    missing = as_grader_error(FileNotFoundError(2, "No such file or directory", "/nowhere/x.ipynb"))
    assert str(missing) == "No such file or directory: /nowhere/x.ipynb"
