"""The fork engine's sandbox, host side: bubblewrap around the warm server, the jobs' staging folder, a clean env.

With ``sandbox="bwrap"`` (or ``"auto"`` when ``bwrap`` is installed and works) the warm server runs in a bubblewrap
sandbox that sees only this::

    /usr /bin /sbin /lib* and a few files of /etc     read-only, from the host
    the Python prefixes, the venv, grader/             read-only, at their host paths (sys.path works unchanged)
    the packages the course preloads                   read-only, at their host paths
    /run/grader/jobs                                   read-only: the staged folders of the jobs in flight
    /run/grader/judge                                  read-only: the socket of the course's judge (`grader.judge`)
    /tmp  /proc  /dev                                  the sandbox's own

with no network (``--unshare-net``), its own user, pid, ipc and uts namespaces, and an environment reduced to an
allow-list (`scrub_env`). The course (source/, grading/, the gradebook, other students' folders) is not there, nor
the package the course's checks compute their truth with: the judge holds them, outside. The host
copies each job's folder into the staging folder just before the job starts and deletes it when it ends
(`Sandbox.stage`); inside, each notebook gets a world of its own, with its folder on a private tmpfs, where no
other notebook can see or signal it (`grader.engine.isolation`).

A venv or a checkout under /tmp (a clean clone in CI) is part of the view like any other: the sandbox's private
/tmp, and each notebook's after it, show those read-only folders again at their paths (`Sandbox.kept_in_tmp`) and
nothing else of the host's /tmp. No folder shown may hold /tmp itself or the staging folder (`SandboxError`).

Run as root, the sandbox drops to an unprivileged uid (``nobody``): a privileged bwrap builds the read-only view
(root can reach a Python installed under /root), then ``setpriv`` (or Python) becomes that uid and runs the
unprivileged bwrap that makes the namespaces. Root's processes are exempt from RLIMIT_NPROC, so only this way does
the process limit hold a fork bomb.

Without bubblewrap (``sandbox="none"``, or ``"auto"`` where it is missing) notebooks run in their real folders with
the grader's rights: the limits and the clean environment still apply, nothing else does; `choose` warns loudly.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import uuid
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from grader.errors import GraderError

SANDBOXES = ("auto", "bwrap", "none")
"""``auto``: bwrap when it is installed and works, else none with a warning; ``bwrap``: required; ``none``."""
SANDBOX_VARIABLE = "GRADER_SANDBOX"
"""Environment variable giving the fork engine's sandbox when the code does not (``GRADER_SANDBOX=bwrap``)."""
JOBS_DIR = "/run/grader/jobs"
"""Where the staged job folders appear inside the sandbox (read-only)."""
SECRETS_FILE = ".grader-secrets.json"
"""Variables for one notebook's environment that must not pass through the warm server (whose memory every later
notebook's process inherits): written into the job's staged folder, read and deleted by the notebook's process
before any of its code runs (`grader.engine.child`)."""
JUDGE_DIR = "/run/grader/judge"
"""Where the judge's socket folder appears inside the sandbox (read-only: connecting needs no write access)."""
MAX_STAGED_BYTES = 1 << 30
"""Largest job folder staged when the job sets no ``disk_bytes``."""
MAX_STAGED_FILES = 10_000
SANDBOX_UID = 65534
"""The uid (``nobody``) the sandbox runs as when the grader is root."""
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
ETC_FILES = ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime", "/etc/timezone",
             "/etc/alternatives", "/etc/nsswitch.conf", "/etc/passwd", "/etc/group", "/etc/mime.types",
             "/etc/fonts", "/etc/matplotlibrc")
"""What of /etc a Python with NumPy and matplotlib needs; nothing else of the host's /etc is visible."""
ENV_ALLOW = ("PATH", "LANG", "LANGUAGE", "TZ", "TERM", "HOME", "USER", "LOGNAME", "NBGRADER_EXECUTION",
             "MPLBACKEND", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "PYTHONHASHSEED",
             "PYTHONIOENCODING", "PYTHONUTF8", "PYDEVD_DISABLE_FILE_VALIDATION", "SOURCE_DATE_EPOCH")
"""The variables of the grader's environment that notebooks see (besides ``LC_*``); everything else (tokens,
credentials, ``CI_*``, ``GITHUB_*``, ``AWS_*``, ``PYTHONPATH``...) is dropped."""
ENV_ALLOW_PREFIXES = ("LC_",)
NOTEBOOK_HOME = "/home/student"
"""Inside the sandbox: the private tmpfs of each notebook (``HOME``), holding its folder and its /tmp."""
SANDBOX_HOME = "/tmp"
"""``HOME`` of the warm server in the sandbox (its scratch tmpfs); notebooks get their own (`isolation.HOME`)."""
TMP = "/tmp"
"""Private in the sandbox and again in each notebook: a fresh tmpfs, showing only the view's folders under it."""


class SandboxWarning(UserWarning):
    """Grading runs without the sandbox: student code has the grader's rights."""


class SandboxError(GraderError):
    """``sandbox="bwrap"`` was asked for and cannot be had."""


def scrub_env(environ: Mapping[str, str], allow: Iterable[str] = ENV_ALLOW,
              prefixes: Sequence[str] = ENV_ALLOW_PREFIXES) -> dict[str, str]:
    """The allow-listed part of ``environ``: names in ``allow`` or starting with one of ``prefixes``."""
    allowed = set(allow)
    return {k: v for k, v in environ.items() if k in allowed or k.startswith(tuple(prefixes))}


def find_bwrap() -> str | None:
    """The path of bubblewrap, or None."""
    return shutil.which("bwrap")


def _python_paths(python: str) -> list[str]:
    """Folders ``python`` loads code from: its prefixes and the site folders on its sys.path. Another venv's python
    is a symlink to the same interpreter but has other prefixes: ``python`` is compared unresolved."""
    script = ("import json, sys; print(json.dumps([sys.prefix, sys.base_prefix, sys.exec_prefix, "
              "sys.base_exec_prefix, *[p for p in sys.path if p.endswith(('site-packages', 'dist-packages'))]]))")
    if os.path.abspath(python) == os.path.abspath(sys.executable):
        paths = [sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
                 *[p for p in sys.path if p.endswith(("site-packages", "dist-packages"))]]
    else:
        out = subprocess.run([python, "-I", "-c", script], capture_output=True, text=True, cwd="/", check=True)
        paths = json.loads(out.stdout)
    return [*paths, os.path.dirname(os.path.realpath(python))]


def _inside(path: str, folder: str) -> bool:
    """``path`` is ``folder`` or lies under it (both absolute and normalized)."""
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def _outermost(paths: Iterable[str]) -> list[str]:
    """Existing ``paths`` (absolute, symlinks kept) without those inside another one or inside SYSTEM_DIRS."""
    kept: list[str] = []
    candidates = {os.path.abspath(p) for p in paths if p and os.path.exists(p)}
    candidates |= {os.path.realpath(p) for p in candidates}
    for path in sorted(candidates, key=len):
        inside = [*kept, *(d for d in SYSTEM_DIRS if os.path.isdir(d) and not os.path.islink(d))]
        if not any(_inside(path, k) for k in inside):
            kept.append(path)
    return kept


def _parents(paths: Iterable[str]) -> list[str]:
    """Every ancestor folder of ``paths`` (outermost first), to be created world-traversable in the sandbox."""
    found = {str(parent) for p in paths for parent in Path(p).parents if str(parent) != "/"}
    return sorted(found, key=lambda p: (p.count("/"), p))


@dataclass
class Sandbox:
    """A bubblewrap sandbox for one warm server: the command that starts it, and the host's staging folder.

    ``packages`` are host folders of code the server imports (the engine's own ``grader``, what the course
    preloads); ``uid`` is the uid the sandbox runs as (`SANDBOX_UID` when the grader is root, else None: the
    grader's own); ``judge_dir`` the host folder of the judge's socket, shown at `JUDGE_DIR`.
    """

    bwrap: str
    python: str
    packages: Sequence[str]
    uid: int | None = None
    judge_dir: str | None = None
    jobs_root: Path = field(init=False)

    def __post_init__(self) -> None:
        self.jobs_root = Path(tempfile.mkdtemp(prefix="grader-jobs-"))
        if self.uid is not None:
            os.chown(self.jobs_root, self.uid, self.uid)

    # -- the command ------------------------------------------------------------------------------------------
    @functools.cached_property
    def binds(self) -> list[str]:
        """Host folders bound read-only at the same path: Python's prefixes and site folders, the packages.

        Raises `SandboxError` for a folder that holds /tmp or the staging folder: showing it would show every
        job's staged copy (and, for /tmp, whatever a course or a test keeps there)."""
        binds = _outermost([*_python_paths(self.python), *self.packages])
        hidden = {TMP, str(self.jobs_root), os.path.realpath(self.jobs_root)}
        for path in binds:
            held = sorted(h for h in hidden if _inside(h, path))
            if held:
                raise SandboxError(f"the sandbox would show {path} (a Python or package folder), which holds "
                                   f"{held[0]}: move the environment or the project out of it")
        return binds

    def kept_in_tmp(self) -> list[str]:
        """The binds under /tmp (a venv or a checkout in /tmp, as in a clean clone in CI). The sandbox's /tmp is a
        fresh tmpfs: these are bound again on it (`tmp_view`), and each notebook's own /tmp shows them again too
        (the server's ``--keep``, `grader.engine.isolation`); without that, Python could not start in there."""
        return [path for path in self.binds if _inside(path, TMP)]

    def view(self) -> list[str]:
        """bwrap arguments of the read-only view: system folders, a few /etc files, Python, the packages (those
        under /tmp come with the sandbox's /tmp, `tmp_view`)."""
        binds = [path for path in self.binds if not _inside(path, TMP)]
        args: list[str] = []
        for folder in [*_parents([*binds, *ETC_FILES, JOBS_DIR, JUDGE_DIR]), NOTEBOOK_HOME]:
            if not os.path.islink(folder):
                args += ["--perms", "0755", "--dir", folder]
        for path in SYSTEM_DIRS:
            if os.path.islink(path):
                args += ["--symlink", os.readlink(path), path]
            elif os.path.exists(path):
                args += ["--ro-bind", path, path]
        for path in ETC_FILES:
            args += ["--ro-bind-try", path, path]
        for path in binds:
            args += ["--ro-bind", path, path]
        judge = ["--ro-bind", self.judge_dir, JUDGE_DIR] if self.judge_dir else []
        return [*args, "--ro-bind", str(self.jobs_root), JOBS_DIR, *judge]

    def tmp_view(self) -> list[str]:
        """bwrap arguments of the sandbox's /tmp: a fresh tmpfs, then the binds under /tmp (`kept_in_tmp`) again
        on it, read-only at their paths. bwrap mounts in the order given: a bind before the tmpfs would vanish
        under it. The same arguments serve the unprivileged bwrap of a root grader, whose sources are then the
        privileged bwrap's binds."""
        kept = self.kept_in_tmp()
        args = ["--tmpfs", TMP]
        for folder in _parents(kept):
            if _inside(folder, TMP) and folder != TMP and not os.path.islink(folder):
                args += ["--perms", "0755", "--dir", folder]
        for path in kept:
            args += ["--ro-bind", path, path]
        return args

    def command(self, argv: Sequence[str]) -> list[str]:
        """``argv`` run inside the sandbox. Raises `SandboxError` when the view would show too much (`binds`)."""
        inner = [self.bwrap, "--unshare-all", "--die-with-parent", "--new-session", *self.tmp_view(),
                 "--proc", "/proc", "--dev", "/dev", "--chdir", "/"]
        if self.uid is None:
            return [*inner[:4], *self.view(), *inner[4:], "--", *argv]
        return [self.bwrap, "--die-with-parent", *self.view(), "--dev", "/dev", "--bind", "/proc", "/proc",
                *self.tmp_view(), "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--",
                *_become(self.uid, self.python), *inner[:4], "--ro-bind", "/", "/", *inner[4:], "--", *argv]

    def env(self, base: Mapping[str, str]) -> dict[str, str]:
        """The server's environment: ``base`` with a HOME and config folders in the sandbox's scratch /tmp."""
        return {**base, "HOME": SANDBOX_HOME, "MPLCONFIGDIR": f"{SANDBOX_HOME}/matplotlib",
                "IPYTHONDIR": f"{SANDBOX_HOME}/ipython"}

    # -- staging ----------------------------------------------------------------------------------------------
    def stage(self, cwd: str, max_bytes: int | None = None) -> tuple[str, Path]:
        """Copy the job folder ``cwd`` into the staging folder; returns its path inside the sandbox and on the host
        (for `unstage`). Symlinks are copied as links, never followed; devices, pipes and sockets are left out, and
        so is the staging folder itself. A folder holding more than ``max_bytes`` (default `MAX_STAGED_BYTES`) or
        `MAX_STAGED_FILES` files raises `SandboxError` before anything big is copied. A missing folder stays
        missing (the job then fails inside)."""
        limit = MAX_STAGED_BYTES if max_bytes is None else max_bytes
        token = self.jobs_root / uuid.uuid4().hex
        name = os.path.basename(os.path.normpath(cwd)) or "work"
        token.mkdir()
        try:
            if os.path.isdir(cwd):
                self._copy(Path(cwd), token / name, limit)
            if self.uid is not None:
                for path in [token, *token.rglob("*")]:
                    os.lchown(path, self.uid, self.uid)
        except BaseException:
            self.unstage(token)
            raise
        return f"{JOBS_DIR}/{token.name}/{name}", token

    def give_secrets(self, staged: Path, values: dict[str, str]) -> None:
        """Write ``values`` into the staged job folder under ``staged`` (`SECRETS_FILE`, readable by the sandbox's
        uid only); nothing when the job has no folder."""
        for folder in [p for p in staged.iterdir() if p.is_dir() and not p.is_symlink()][:1]:
            path = folder / SECRETS_FILE
            path.unlink(missing_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
            with os.fdopen(fd, "w") as out:
                json.dump(values, out)
            if self.uid is not None:
                os.lchown(path, self.uid, self.uid)

    def _copy(self, source: Path, target: Path, limit: int) -> None:
        plan: list[tuple[Path, os.stat_result]] = []
        total = 0
        skip = os.path.realpath(self.jobs_root)
        for folder, dirs, files in os.walk(source):
            dirs[:] = [d for d in dirs if os.path.realpath(os.path.join(folder, d)) != skip]
            for entry in [*dirs, *files]:
                path = Path(folder, entry)
                info = path.lstat()
                if stat.S_ISREG(info.st_mode):
                    total += info.st_size
                plan.append((path, info))
            if total > limit or len(plan) > MAX_STAGED_FILES:
                raise SandboxError(f"the folder {source} holds more than {limit:,} bytes or {MAX_STAGED_FILES:,} "
                                   "files: too much to copy into the sandbox (Limits.disk_bytes)")
        target.mkdir()
        for path, info in plan:
            dest = target / path.relative_to(source)
            if stat.S_ISLNK(info.st_mode):
                dest.symlink_to(os.readlink(path))
            elif stat.S_ISDIR(info.st_mode):
                dest.mkdir()
            elif stat.S_ISREG(info.st_mode):
                shutil.copyfile(path, dest, follow_symlinks=False)
                os.chmod(dest, stat.S_IMODE(info.st_mode) | 0o600)

    def unstage(self, staged: Path) -> None:
        shutil.rmtree(staged, ignore_errors=True)

    def close(self) -> None:
        shutil.rmtree(self.jobs_root, ignore_errors=True)


def _become(uid: int, python: str) -> list[str]:
    """A command prefix that drops from root to ``uid`` (no supplementary groups) and runs the rest."""
    setpriv = shutil.which("setpriv")
    if setpriv:
        return [setpriv, f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--"]
    drop = (f"import os, sys; os.setgroups([]); os.setresgid({uid}, {uid}, {uid}); os.setresuid({uid}, {uid}, "
            f"{uid}); os.execvp(sys.argv[1], sys.argv[1:])")
    return [python, "-I", "-c", drop]


def make_sandbox(mode: str, python: str, packages: Sequence[str], judge_dir: str | None = None) -> Sandbox | None:
    """The sandbox for ``mode`` (`SANDBOXES`), or None for ``none`` and for ``auto`` without bubblewrap (which
    warns: a `SandboxWarning` saying what is not defended). Raises SandboxError for ``bwrap`` without it."""
    if mode not in SANDBOXES:
        raise ValueError(f"unknown sandbox {mode!r}; known: {list(SANDBOXES)}")
    if mode == "none":
        return None
    bwrap = find_bwrap()
    if bwrap is None:
        if mode == "bwrap":
            raise SandboxError("sandbox='bwrap' needs bubblewrap: install it (apt-get install bubblewrap)")
        warn_unsandboxed("bubblewrap (bwrap) is not installed")
        return None
    return Sandbox(bwrap, python, packages, uid=SANDBOX_UID if os.geteuid() == 0 else None, judge_dir=judge_dir)


def warn_unsandboxed(why: str) -> None:
    """The loud warning of grading without the sandbox."""
    warnings.warn(
        f"GRADING WITHOUT A SANDBOX: {why}. Student code runs with the grader's rights: it can read the hidden "
        "tests in source/, the course's checks and answers in grading/ and the gradebook, other students' folders "
        "and the network. Time, memory, CPU, output, file-size and process limits and the clean environment still "
        "apply. Install bubblewrap "
        "(apt-get install bubblewrap) for the sandbox; see docs/security.md.",
        SandboxWarning, stacklevel=3)
