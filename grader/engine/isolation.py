"""Inside the sandbox: a world of its own for each notebook's process, so that notebooks cannot reach each other.

The warm server runs in one bubblewrap sandbox (`grader.engine.sandbox`) and forks a process per job; without more,
those processes would share the sandbox's uid, /tmp, process list and staging folder. `prepare`, called in the fork
(S), and `arrive`, called in the notebook's process once its job came, give the job its own (the server forks S
for the next job while others run, so that all of `prepare` is done before that job is known; `enter` does both
at once):

- user, mount, pid and ipc namespaces (``unshare``; the uid stays the same, mapped onto itself). A notebook counts
  its processes in its own user namespace, so ``Limits.processes`` holds a fork bomb to that notebook alone;
- a tmpfs of ``Limits.disk_bytes`` at `NOTEBOOK_HOME`, holding a copy of the job's staged folder (the notebook runs
  in it) and the notebook's /tmp and /dev/shm; it vanishes with the namespace: nothing the notebook writes
  survives it or reaches the host's disk;
- on that /tmp, the sandbox's read-only folders that lie under /tmp (``keep``: a venv or a checkout in /tmp, as in
  a clean clone in CI) again at their paths, so that the notebook can import what the server imports; nothing else
  of the sandbox's /tmp (the server's scratch, another notebook's files) is there;
- the staging folder covered by an empty read-only tmpfs (no other job's files are visible). S takes a descriptor
  of it first, through which N copies its own job's folder in `arrive` and which N then closes, before any of the
  job's code runs;
- a pid 1 for the new pid namespace: a ``sleep`` spawned without copying the server (vfork and exec; no
  capability survives the exec). Then S forks N, the notebook's process (pid 2), which mounts the namespace's
  /proc (it sees no process but its own, its children and that ``sleep``) and drops every capability before any
  of the job's code runs. S waits for N, kills the ``sleep`` (the kernel then kills everything left in the
  namespace: an escaped fork bomb included) and ends as N ended (exit code or signal), so the server sees the
  notebook's own status, and its ``wait4`` on S counts N's CPU time. When the server kills S's process group at a
  time limit, N (parent-death signal) and the ``sleep`` (same group) go with it.

N cannot signal or ptrace the server or another notebook (they are outside its pid namespace), cannot kill its
pid 1 (the kernel protects a namespace's init from its own members), and cannot undo the mounts (no capabilities;
``no_new_privs``). Everything here is Linux system calls through ctypes; the sandbox itself is bubblewrap's.
"""

from __future__ import annotations

import ctypes
import os
import resource
import shutil
import signal
import stat
from collections.abc import Sequence
from typing import Any, NoReturn

from grader.engine import protocol
from grader.engine.sandbox import JOBS_DIR, NOTEBOOK_HOME

CLONE_NEWNS, CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID = 0x00020000, 0x08000000, 0x10000000, 0x20000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_BIND, MS_REC, MS_PRIVATE = 1, 2, 4, 8, 4096, 16384, 1 << 18
PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_CAPBSET_DROP, PR_SET_CHILD_SUBREAPER, PR_SET_NO_NEW_PRIVS = 1, 4, 24, 36, 38
PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 47, 4
CAPABILITY_VERSION_3 = 0x20080522
LAST_CAPABILITY = 63

INIT_PROGRAMS = ("/usr/bin/sleep", "/bin/sleep")
"""What may serve as pid 1 of a notebook's namespace (it only waits to be killed)."""

_libc = ctypes.CDLL(None, use_errno=True)


class IsolationError(OSError):
    """A namespace, mount or capability call failed."""


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise IsolationError(errno, f"{what}: {os.strerror(errno)}")


def _bytes(text: str | None) -> bytes | None:
    return None if text is None else text.encode()


def _mount(source: str | None, target: str, kind: str | None, flags: int, data: str | None = None) -> None:
    _check(_libc.mount(_bytes(source), _bytes(target), _bytes(kind), ctypes.c_ulong(flags), _bytes(data)),
           f"mount {kind or source} on {target}")


def _prctl(option: int, arg: int = 0) -> int:
    """Linux's prctl; -1 elsewhere (the sandbox is Linux-only, the server's own calls are best effort)."""
    prctl = getattr(_libc, "prctl", None)
    if prctl is None:
        return -1
    return prctl(option, ctypes.c_ulong(arg), ctypes.c_ulong(0), ctypes.c_ulong(0), ctypes.c_ulong(0))


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def drop_capabilities() -> None:
    """No capability left (bounding, ambient, effective, permitted, inheritable) and ``no_new_privs`` set."""
    for cap in range(LAST_CAPABILITY + 1):
        if _prctl(PR_CAPBSET_DROP, cap) != 0 and ctypes.get_errno() != 22:  # EINVAL: beyond the kernel's last cap
            _check(-1, f"dropping capability {cap} from the bounding set")
    _prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL)
    header, data = _CapHeader(CAPABILITY_VERSION_3, 0), (_CapData * 2)()
    _check(_libc.capset(ctypes.byref(header), data), "capset")
    _check(_prctl(PR_SET_NO_NEW_PRIVS, 1), "no_new_privs")


def set_dumpable(dumpable: bool) -> None:
    """PR_SET_DUMPABLE: a process that is not dumpable cannot be ptraced or have its memory read by its uid."""
    _prctl(PR_SET_DUMPABLE, int(dumpable))


def become_subreaper() -> None:
    """PR_SET_CHILD_SUBREAPER: orphaned descendants of this process are re-parented to it, not to init."""
    _prctl(PR_SET_CHILD_SUBREAPER, 1)


def _write(path: str, text: str) -> None:
    with open(path, "w") as file:
        file.write(text)


def _fail(event_fd: int, message: str) -> NoReturn:
    """Tell the server this job could not start, and end S."""
    protocol.write_all(event_fd, protocol.encode({"t": "fatal", "status": "error", "message": message}))
    os._exit(1)


def _make_world(disk_bytes: int | None, keep: Sequence[str]) -> int:
    """In S: the namespaces and mounts of a job with ``disk_bytes`` of disk, ``keep`` shown again on its /tmp; returns
    a descriptor of the staging folder taken before it was covered (the notebook's process copies its own folder
    through it, then closes it: `arrive`)."""
    uid, gid = os.getuid(), os.getgid()
    _check(_libc.unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC), "unshare")
    _write("/proc/self/setgroups", "deny")
    _write("/proc/self/uid_map", f"{uid} {uid} 1")
    _write("/proc/self/gid_map", f"{gid} {gid} 1")
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    size = f"size={int(disk_bytes)}," if disk_bytes is not None else ""
    _mount("tmpfs", NOTEBOOK_HOME, "tmpfs", MS_NOSUID | MS_NODEV, f"{size}mode=0755,uid={uid},gid={gid}")
    tmp = os.path.join(NOTEBOOK_HOME, ".tmp")
    os.mkdir(tmp)
    os.chmod(tmp, 0o1777)
    handles = [os.open(path, os.O_PATH | os.O_CLOEXEC) for path in keep]  # /tmp still shows them: hold on to them
    for target in ("/tmp", "/dev/shm"):
        if os.path.isdir(target):
            _mount(tmp, target, None, MS_BIND)
    for path, handle in zip(keep, handles, strict=True):
        _show_again(path, handle)
    staging = os.open(JOBS_DIR, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    _mount("tmpfs", JOBS_DIR, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=4k,mode=0555")
    return staging


def _show_again(path: str, handle: int) -> None:
    """Bind the folder (or file) ``handle`` was opened on, a read-only bind of the sandbox now covered by the
    notebook's /tmp, at its own ``path`` on that /tmp. A bind copies the mount's read-only flag (and the notebook,
    without capabilities, cannot remount it); checked all the same, since a writable venv or checkout would let one
    notebook change the code every later notebook imports."""
    try:
        if stat.S_ISDIR(os.fstat(handle).st_mode):
            os.makedirs(path, mode=0o755, exist_ok=True)
        else:
            os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, 0o644))
        _mount(f"/proc/self/fd/{handle}", path, None, MS_BIND | MS_REC)
    finally:
        os.close(handle)
    if not os.statvfs(path).f_flag & os.ST_RDONLY:
        raise IsolationError(f"{path} would be writable in the notebook")


def prepare(disk_bytes: int | None, event_fd: int, keep: Sequence[str] = ()) -> int:
    """Called in the server's fork S before its job is known: build a job's world (``disk_bytes`` of disk, its /tmp
    showing the read-only folders ``keep`` again) and return, in the notebook's process N only, a descriptor of the
    staging folder for `arrive`. S never returns."""
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    set_dumpable(True)  # the server is not dumpable; S must be, to write its own uid_map
    try:
        staging = _make_world(disk_bytes, keep)
        init = _spawn_init()
        notebook = os.fork()
    except Exception as exc:
        _fail(event_fd, f"could not start the notebook in its sandbox: {exc}")
    if notebook:
        os.close(event_fd)
        os.nice(19)  # S only waits (N, forked already, keeps its priority): its own end must not slow a notebook
        _relay(notebook, init)
    try:
        _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # S killed at a limit: N goes too (and S's group, pid 1 with it)
        _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
        drop_capabilities()
    except Exception as exc:
        _fail(event_fd, f"could not start the notebook in its sandbox: {exc}")
    return staging


def arrive(job: dict[str, Any], staging: int, event_fd: int) -> dict[str, Any]:
    """In N, once its job came: copy the job's staged folder (``cwd``, under `JOBS_DIR`) into the notebook's tmpfs
    through ``staging``, close that descriptor (no other job's folder stays in reach), and return the job to run
    (``cwd`` its private folder, ``home`` set, ``isolated`` true)."""
    try:
        path = os.path.normpath(str(job["cwd"]))
        staged = os.path.relpath(path, JOBS_DIR)
        if staged.startswith(os.pardir):
            raise IsolationError(f"{path} is not in the staging folder")
        os.fchdir(staging)
        if not os.path.isdir(staged):
            raise FileNotFoundError(f"no such folder: {os.path.basename(path)}")
        work = os.path.join(NOTEBOOK_HOME, os.path.basename(path))
        shutil.copytree(staged, work, symlinks=True)
        os.chmod(work, 0o755)
        os.chdir(NOTEBOOK_HOME)
    except Exception as exc:
        _fail(event_fd, f"could not start the notebook in its sandbox: {exc}")
    finally:
        os.close(staging)
    return {**job, "cwd": work, "home": NOTEBOOK_HOME, "isolated": True}


def enter(job: dict[str, Any], event_fd: int, keep: Sequence[str] = ()) -> dict[str, Any]:
    """`prepare` and `arrive` at once, for a job known when S is forked."""
    limits = job.get("limits") or {}
    return arrive(job, prepare(limits.get("disk_bytes"), event_fd, keep), event_fd)


def _spawn_init() -> int | None:
    """pid 1 of the new pid namespace: a ``sleep`` started with vfork+exec (no copy of the server's memory, no
    capabilities left after exec), so that the notebook is an ordinary process (it can kill itself with a signal,
    SIGXCPU stops it) and the namespace lives until S kills this init. None when there is no ``sleep``: the
    notebook is then pid 1 itself."""
    for sleep in INIT_PROGRAMS:
        if os.access(sleep, os.X_OK):
            return os.posix_spawn(sleep, [sleep, "2147483647"], {})
    return None


def _relay(notebook: int, init: int | None) -> NoReturn:
    """In S: wait for the notebook's process N, end its namespace (kill pid 1: every process left in it dies),
    then end as N ended (its exit code, or its signal). The server's ``wait4`` on S also counts N's CPU time."""
    while True:
        try:
            _, status = os.waitpid(notebook, 0)
            break
        except InterruptedError:
            continue
    if init is not None:
        os.kill(init, signal.SIGKILL)
        os.waitpid(init, 0)
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        if number not in (signal.SIGKILL, signal.SIGSTOP):  # the two that have no handler to reset
            signal.signal(number, signal.SIG_DFL)
            signal.pthread_sigmask(signal.SIG_UNBLOCK, [number])
        os.kill(os.getpid(), number)
        os._exit(128 + number)
    os._exit(os.waitstatus_to_exitcode(status))
