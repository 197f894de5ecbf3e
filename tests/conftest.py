"""Fixtures shared by every test folder: the one pass of real nbgrader over the shipped course, run in the background.

When the session collects a test that uses ``real_nbgrader``, `pytest_collection_modifyitems` starts that pass
(``python -m tests.real_nbgrader FOLDER``, at a lower CPU priority) and moves the tests that use it to the end of the
run: nbgrader's minutes of kernel starts overlap the rest of the suite instead of adding to it. The fixture waits for
the process and loads what it graded; a failed pass fails those tests with the pass's traceback.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.real_nbgrader import LOG, REPO, RESULT, NbgraderRun, env

pytest_plugins = ["tests.browser"]
"""The browser fixtures, ``chromium`` and ``browser_page``, for every test under tests/."""

FIXTURE = "real_nbgrader"
NICENESS = 5
"""The background pass yields to the tests in the foreground, some of which hold notebooks to a 2 s cell limit."""
WAIT_SECONDS = 3600


class Background:
    """The real-nbgrader pass running as a child process, grading into :attr:`folder`."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.output = open(folder / "output.txt", "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.real_nbgrader", str(folder / "runs")],
            cwd=REPO, env=env(), stdout=self.output, stderr=subprocess.STDOUT,
            preexec_fn=lambda: os.nice(NICENESS), start_new_session=True,  # its own group: `stop` ends it all
        )

    def result(self) -> dict[str, NbgraderRun]:
        try:
            code = self.process.wait(WAIT_SECONDS)
        except subprocess.TimeoutExpired:
            self.stop()
            raise RuntimeError(f"the real-nbgrader pass took over {WAIT_SECONDS} s; see {self.folder}") from None
        runs = self.folder / "runs"
        if code != 0 or not (runs / RESULT).exists():
            log = runs / LOG
            why = log.read_text() if log.exists() else (self.folder / "output.txt").read_text(errors="replace")
            raise RuntimeError(f"the real-nbgrader pass failed (exit code {code}):\n{why[-6000:]}")
        return pickle.loads((runs / RESULT).read_bytes())

    def stop(self) -> None:
        """End the pass and everything it started (nbgrader, kernels, grader), if the session ends before it."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.output.close()


_BACKGROUND = pytest.StashKey[Background]()


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    needing = [item for item in items if FIXTURE in getattr(item, "fixturenames", ())]
    if not needing or config.option.collectonly:
        return
    others = [item for item in items if FIXTURE not in getattr(item, "fixturenames", ())]
    items[:] = others + needing
    config.stash[_BACKGROUND] = Background(Path(tempfile.mkdtemp(prefix="real-nbgrader-")))


def pytest_unconfigure(config: pytest.Config) -> None:
    background = config.stash.get(_BACKGROUND, None)
    if background is not None:
        background.stop()
        shutil.rmtree(background.folder, ignore_errors=True)


@pytest.fixture(scope="session")
def real_nbgrader(request: pytest.FixtureRequest) -> dict[str, NbgraderRun]:
    """Every assignment of the course released and autograded by real nbgrader (tests/real_nbgrader.py), once per
    session: tests/assignments/test_nbgrader.py and tests/grader/test_parity_nbgrader.py read the same run."""
    return request.config.stash[_BACKGROUND].result()
