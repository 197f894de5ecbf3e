"""The worker side of the Dask executor: our fork engine started once per Dask worker, and the task that runs a chunk.

`EnginePlugin` is a Dask ``WorkerPlugin``. The executor registers it with the cluster (`grader.engine.dask_executor`),
and Dask calls its `EnginePlugin.setup` on every worker, those that join later and those a nanny restarts included.
There it unpacks the course files it carries (``nbgrader_config.py``, ``grading/`` and the non-notebook files of
``source/``: the checks the judge runs and the helpers every submission's folder gets; workers share no filesystem
with the grader) into a folder of its own, and starts a `grader.engine.local.LocalForkExecutor` on them: the warm
server (in its bubblewrap sandbox, with its limits) and the course's judge, two ``subprocess`` children. Dask's worker
processes are daemonic and may not start ``multiprocessing`` children; the engine never does. `EnginePlugin.teardown`
closes them when the worker closes; when a worker is killed outright, both see their stdin close and exit.

`run_chunk` is the task: a list of `Packed` jobs in, their `JobResult`\\ s out. Each job's folder is rebuilt from
bytes (the files the submission's folder had, the shared helpers taken from the course copy), its variables point to
the worker's course copy, its variant (`grader.engine.jobs.Job.variant`) goes to the worker's judge with it, never to
the notebook's process. One chunk runs at a time per worker, its notebooks ``jobs`` at once.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import os
import shutil
import tarfile
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from distributed import WorkerPlugin, get_worker

from grader.engine.jobs import GRADING_ENV, Job, JobResult
from grader.grading import COURSE_VARIABLE, EngineSettings

PLUGIN_PREFIX = "grader-engine-"
"""Each executor registers its plugin as this and a name of its own: two grading runs may share a cluster (a plugin
registered again under the same name would replace the other run's engine)."""


NANNY_ENVIRON = ("MALLOC_TRIM_THRESHOLD_", "PYTHONHASHSEED")
"""What a Dask nanny sets in its worker's environment that the engine's processes must not inherit, so that they run
as under ``--jobs``: glibc handing every freed 64 KiB back to the system made the judge's NumPy (whose time is
inside the notebooks' cells) fault its pages in again and again, and a fixed hash seed would make every notebook
iterate its sets in the same order."""


@dataclass(frozen=True)
class Packed:
    """One job as a task carries it: the job (its ``cwd`` the grader's, replaced on the worker) and the files of its
    folder as bytes."""

    job: Job
    files: dict[str, bytes] = field(default_factory=dict)
    """Relative path -> content: the files of the job's folder that are not the course's shared ones."""
    shared: tuple[str, ...] = ()
    """Relative paths of files of the job's folder that are the same as the course's ``source/<assignment>/`` file
    of that path: copied from the worker's course copy, not sent again."""
    source: str = ""
    """The assignment whose ``source/`` folder ``shared`` refers to."""


def pack_course(root: Path, ignore: tuple[str, ...] = ()) -> bytes:
    """The course files a worker needs, as a gzipped tar: ``nbgrader_config.py``, ``grading/`` and ``source/``
    without its notebooks (they hold the solutions, which no worker needs) and without ``ignore`` patterns."""
    skip = shutil.ignore_patterns("*.ipynb", "__pycache__", ".ipynb_checkpoints", *ignore)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for top in ("nbgrader_config.py", "grading", "source"):
            path = root / top
            if path.is_file():
                tar.add(path, arcname=top)
            elif path.is_dir():
                for folder, dirs, files in os.walk(path):
                    dropped = skip(folder, [*dirs, *files])
                    dirs[:] = sorted(d for d in dirs if d not in dropped)
                    for name in sorted(f for f in files if f not in dropped):
                        full = Path(folder) / name
                        tar.add(full, arcname=str(full.relative_to(root)), recursive=False)
    return buffer.getvalue()


class EnginePlugin(WorkerPlugin):
    """Starts the fork engine on a worker (`setup`) and stops it with the worker (`teardown`).

    ``name``: what it is registered as (`PLUGIN_PREFIX` and the executor's own); ``course``: the course files
    (`pack_course`); ``settings``: the course's ``c.Engine`` preload and watch; ``jobs``: notebooks at once on each
    worker (None: the worker's threads); ``sandbox``: the engine's sandbox mode.
    """

    def __init__(self, name: str, course: bytes, settings: EngineSettings, jobs: int | None, sandbox: str) -> None:
        self.name, self.course, self.settings, self.jobs, self.sandbox = name, course, settings, jobs, sandbox
        self.folder: Path | None = None
        self.executor: Any = None  # a LocalForkExecutor once set up
        self.lock: threading.Lock | None = None  # made on the worker (a lock does not pickle)
        self.made = 0

    def setup(self, worker: Any) -> None:
        from grader.engine import _environment
        from grader.engine.local import LocalForkExecutor

        for name in NANNY_ENVIRON:  # the engine's children inherit this process's environment
            os.environ.pop(name, None)
        self.lock = threading.Lock()
        self.folder = Path(tempfile.mkdtemp(prefix="grader-worker-"))
        root = self.folder / "course"
        root.mkdir()
        if self.course:
            with tarfile.open(fileobj=io.BytesIO(self.course), mode="r:gz") as tar:
                tar.extractall(root, filter="data")
        (self.folder / "jobs").mkdir()
        settings = dataclasses.replace(self.settings, course=str(root) if (root / "grading").is_dir() else None)
        with _environment(GRADING_ENV):
            self.executor = LocalForkExecutor(self.jobs or worker.state.nthreads, sandbox=self.sandbox,
                                              course=settings)
        self.executor.start()  # boots while the worker takes its first task

    def teardown(self, worker: Any) -> None:
        if self.executor is not None:
            self.executor.close()
            self.executor = None
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None

    @property
    def root(self) -> Path:
        assert self.folder is not None, "the plugin was not set up"
        return self.folder / "course"

    def pids(self) -> dict[str, int | None]:
        """Process ids of the engine's warm server and judge on this worker (None: not running)."""
        executor = self.executor
        server = None if executor is None or executor._server is None else executor._server.proc.pid
        judge = None if executor is None or executor._judge is None or executor._judge.proc is None \
            else executor._judge.proc.pid
        return {"worker": os.getpid(), "server": server, "judge": judge}

    def run(self, chunk: list[Packed]) -> list[JobResult]:
        """Run the chunk's jobs on this worker's engine; one result per job, with the job's own id and folder."""
        assert self.lock is not None, "the plugin was not set up"
        with self.lock:
            assert self.folder is not None and self.executor is not None, "the plugin was not set up"
            folders: dict[str, tuple[Path, Job]] = {}
            try:
                jobs = []
                for packed in chunk:
                    self.made += 1
                    folder = self.folder / "jobs" / str(self.made)
                    self._unpack(packed, folder)
                    variables = {**packed.job.variables}
                    if COURSE_VARIABLE in variables:
                        variables[COURSE_VARIABLE] = str(self.root)
                    folders[packed.job.id] = (folder, packed.job)
                    jobs.append(dataclasses.replace(packed.job, cwd=str(folder), variables=variables))
                results = list(self.executor.map(jobs))
            finally:
                for folder, _ in folders.values():
                    shutil.rmtree(folder, ignore_errors=True)
            return results

    def _unpack(self, packed: Packed, folder: Path) -> None:
        source = self.root / "source" / packed.source
        folder.mkdir(parents=True)
        for relative in packed.shared:
            target = _inside(folder, relative)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(_inside(source, relative), target)
        for relative, data in packed.files.items():
            target = _inside(folder, relative)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)


def _inside(folder: Path, relative: str) -> Path:
    """``folder / relative``, refusing a path that leaves ``folder``."""
    target = (folder / relative).resolve()
    if not target.is_relative_to(folder.resolve()):
        raise ValueError(f"a job's file {relative!r} is outside its folder")
    return target


def run_chunk(plugin: str, chunk: list[Packed]) -> list[JobResult]:
    """The Dask task: run ``chunk`` on the engine the `EnginePlugin` registered as ``plugin`` started here."""
    engine = get_worker().plugins.get(plugin)
    if engine is None:
        raise RuntimeError(f"this Dask worker has no {plugin} plugin: the executor registers it first")
    return engine.run(chunk)


def engine_pids(plugin: str, dask_worker: Any) -> dict[str, int | None]:
    """For ``client.run`` (which passes ``dask_worker``): the process ids of this worker and of the warm server
    and judge of the engine ``plugin`` started, once the server is up."""
    engine = dask_worker.plugins.get(plugin)
    if engine is None:
        return {"worker": os.getpid(), "server": None, "judge": None}
    with contextlib.suppress(Exception):
        _ = engine.executor.server if engine.executor is not None else None  # started, not only launched
    return engine.pids()
