"""nbgrader's formgrader in a real Jupyter server, for a test: on loopback, on a free port, in the course's folder,
with only the formgrader extension loaded; it stops when the test is done, and by itself after `IDLE_SECONDS`
without a request (a test that dies cannot leave it behind)."""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

HOST = "127.0.0.1"
IDLE_SECONDS = 120
START_SECONDS = 60
EXTENSIONS = {
    "nbgrader.server_extensions.formgrader": True,
    **{name: False for name in ("jupyterlab", "notebook", "notebook_shim", "jupyter_lsp", "jupyter_server_terminals",
                                "nbgrader.server_extensions.validate_assignment",
                                "nbgrader.server_extensions.assignment_list",
                                "nbgrader.server_extensions.course_list")},
}
"""The formgrader alone: the others (JupyterLab, the student-side nbgrader pages) only make the start slower."""


@dataclass(frozen=True)
class Formgrader:
    """A running server: its origin (``http://127.0.0.1:PORT/``), its token and its log file."""

    origin: str
    token: str
    log: Path

    def url(self, path: str) -> str:
        """The URL of `path` (``formgrader/...``) with the token that logs the browser in."""
        sep = "&" if "?" in path else "?"
        return f"{self.origin}{path.lstrip('/')}{sep}token={self.token}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


@contextmanager
def formgrader(course: Path, scratch: Path) -> Iterator[Formgrader]:
    """Run ``jupyter server`` in `course` (its root is the server's root) until the block ends; Jupyter's own
    config, data and runtime folders under `scratch`."""
    port, token = free_port(), secrets.token_hex(16)
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(scratch / "config"), "JUPYTER_DATA_DIR": str(scratch / "data"),
           "JUPYTER_RUNTIME_DIR": str(scratch / "runtime"), "JUPYTER_PLATFORM_DIRS": "1",
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    log = scratch / "formgrader.log"
    command = [
        sys.executable, "-m", "jupyter_server", f"--ServerApp.ip={HOST}", f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0", "--ServerApp.open_browser=False", f"--ServerApp.root_dir={course}",
        f"--IdentityProvider.token={token}", f"--ServerApp.shutdown_no_activity_timeout={IDLE_SECONDS}",
        *(["--allow-root"] if os.geteuid() == 0 else []),  # CI runs the tests as root
    ]
    (scratch / "config").mkdir(parents=True, exist_ok=True)
    (scratch / "config" / "jupyter_server_config.json").write_text(
        json.dumps({"ServerApp": {"jpserver_extensions": EXTENSIONS}}))
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=course, env=env, stdout=out, stderr=subprocess.STDOUT)
    server = Formgrader(f"http://{HOST}:{port}/", token, log)
    try:
        _wait_until_up(server, process)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_up(server: Formgrader, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log = server.log.read_text()[-3000:]
            raise RuntimeError(f"the Jupyter server ended (code {process.returncode}):\n{log}")
        try:
            with urllib.request.urlopen(server.url("formgrader/api/status"), timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the Jupyter server did not answer in {START_SECONDS} s:\n{server.log.read_text()[-3000:]}")
