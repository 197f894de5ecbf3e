"""What the warm server prepares once, before it forks: the preloaded modules, the warm-up of IPython and
matplotlib, the modules the guard watches, the shell state it probes, and the check that isolation works.

Everything here runs in the server (`grader.engine.server`) and is inherited by every notebook's process.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import os
import stat
import sys
from collections.abc import Sequence
from typing import Any

from grader import grading
from grader.engine import isolation, protocol
from grader.engine.sandbox import JOBS_DIR
from grader.engine.shell import EngineShell

DEFAULT_PRELOAD = (*grading.DEFAULT_PRELOAD, "grader.hidden")
"""Imported by the server before it forks, when importable: every notebook then finds them ready (a course adds its
own: `grader.grading.EngineSettings`). ``grader.hidden`` (the judge's client, and the checks' library) is always
among them: it seals its modules when imported, which a notebook importing it later would show the guard as
tampering."""

class _NullHub:
    """Swallows the warm-up cells' messages."""

    def flush_all(self) -> None: ...

    def iopub(self, msg_type: str, content: dict[str, Any]) -> None: ...


def warm_up(shell: EngineShell) -> None:
    """Pay the first-use costs once here rather than in every child (lazy imports and caches of IPython's cell
    and traceback machinery, display formatting, NumPy's entropy seeding, matplotlib's first PNG render and its
    mathtext parser).

    The warm-up cells run ``silent`` without history: no execution count, no ``In``/``Out``, no user variable,
    so every child still starts from a shell that never ran a cell."""
    shell.hub = _NullHub()
    try:
        shell.run_cell("pass", store_history=False, silent=True)
        shell.run_cell("assert False, 'warm-up'", store_history=False, silent=True)
    finally:
        shell.hub = None
        shell._last_traceback = None
        for name in ("last_type", "last_value", "last_traceback", "last_exc"):
            if hasattr(sys, name):
                delattr(sys, name)
    shell.display_formatter.format(1)
    if "numpy" in sys.modules:
        sys.modules["numpy"].random.seed()
    if "matplotlib.pyplot" in sys.modules:
        from matplotlib.figure import Figure

        figure = Figure()
        axes = figure.add_subplot()
        axes.plot([0, 1], [1, 0])
        axes.set_title("warm-up")
        shell.display_formatter.format(figure)
        figure = Figure()  # log axes: tick labels go through mathtext, whose parser is built on first use
        axes = figure.add_subplot()
        axes.loglog([1e-12, 1e-1], [1e-10, 1.0], label="warm-up")
        axes.legend()
        shell.display_formatter.format(figure)
        release_font_files()


def release_font_files() -> None:
    """Drop every matplotlib font object the warm-up created, so that no child inherits one.

    A font object reads its file lazily through an open descriptor and closes it when freed. matplotlib empties its
    font cache in every fork (os.register_at_fork), but the fonts held by its mathtext cache would live on in the
    child; the child closes the server's descriptors (`grader.engine.child`), their numbers are reused for its own
    pipes, and when a notebook's 50 math labels pushed those fonts out of the cache, freeing them closed the
    notebook's output capture. Only the parser itself, the costly part, stays built."""
    from matplotlib import font_manager, mathtext

    mathtext.MathTextParser._parse_cached.cache_clear()
    font_manager._get_font.cache_clear()
    gc.collect()


WATCHED = (*grading.DEFAULT_WATCH, "grader", "grader.checks.*", "grader.hidden", "grader.judge.*", "grader.guard",
           "grader.engine.*", "json.*", "IPython.core.interactiveshell", "IPython.core.displayhook",
           "IPython.core.displaypub", "IPython.core.ultratb", "ipykernel.jsonutil")
"""What the engine's guard watches in every course (`grader.guard`): the libraries tests call, the judge's client
and the checks' library, and the path a cell's outputs and errors take to the notebook. A course adds its
``c.Engine.watch``."""


def open_files() -> list[str]:
    """Regular files this process holds open beyond its standard streams. Every child closes them (they are the
    server's), so a library object still bound to one would later read from or close whatever the child opened
    under the same number: the server reports them in its hello, and should have none."""
    found = []
    for name in os.listdir("/proc/self/fd") if os.path.isdir("/proc/self/fd") else []:
        with contextlib.suppress(OSError):  # the listing's own descriptor, gone by now
            if int(name) > 2 and stat.S_ISREG(os.stat(int(name)).st_mode):
                found.append(os.readlink(f"/proc/self/fd/{name}"))
    return sorted(found)


def shell_probes(shell: EngineShell) -> list[tuple[str, Any]]:
    """Per-shell state a notebook could use to make failing tests look passed: custom exception handlers (they
    swallow a test's AssertionError), input and AST transformers (they rewrite the test cells), instance attributes
    shadowing the shell's methods (a silent ``showtraceback``), the display hook and publisher."""
    manager = shell.input_transformer_manager
    kind = type(shell)
    return [
        ("IPython's custom exception handlers", lambda: (shell.custom_exceptions, shell.CustomTB)),
        ("IPython's input transformers", lambda: (shell.input_transformer_manager, *manager.cleanup_transforms, None,
                                                  *manager.line_transforms, None, *shell.input_transformers_post)),
        ("IPython's AST transformers", lambda: tuple(shell.ast_transformers)),
        ("the shell's methods", lambda: sorted(k for k in vars(shell) if callable(getattr(kind, k, None)))),
        ("the shell's output machinery", lambda: (shell.displayhook, shell.display_pub, shell.InteractiveTB,
                                                  shell.SyntaxTB, shell.compile, type(shell))),
    ]


def isolation_works(keep: Sequence[str] = ()) -> str:
    """Run an empty job through `grader.engine.isolation` once, ``keep`` shown again in its /tmp: "" when it works,
    else why not."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(read_end)
            isolation.enter({"cwd": JOBS_DIR, "limits": {"disk_bytes": 1 << 20}}, write_end, keep)
        finally:
            os._exit(0)
    os.close(write_end)
    _, status = os.waitpid(pid, 0)
    with os.fdopen(read_end, "rb") as pipe:
        said = pipe.read()
    if status == 0 and not said:
        return ""
    try:
        return protocol.FrameReader().feed(said)[0]["message"]
    except (protocol.ProtocolError, IndexError, KeyError, TypeError):
        return f"the isolation test ended with wait status {status}"


def preload(names: list[str]) -> tuple[list[str], dict[str, str]]:
    """Import ``names`` and `DEFAULT_PRELOAD`; returns the ones imported and the failures (name → error)."""
    loaded, failed = [], {}
    for name in dict.fromkeys([*names, *DEFAULT_PRELOAD]):
        try:
            importlib.import_module(name)
        except Exception as exc:
            failed[name] = f"{type(exc).__name__}: {exc}"
            continue
        loaded.append(name)
        if name == "matplotlib.pyplot":
            # Load the backend now, with the shell in place: matplotlib_inline then hooks into it exactly as it
            # does in a kernel on the first plot.
            sys.modules[name]._get_backend_mod()
    return loaded, failed
