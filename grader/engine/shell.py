"""The IPython shell of the fork engine: a plain InteractiveShell that reports its outputs as ipykernel's does.

ipykernel's ``ZMQInteractiveShell`` differs from a plain ``InteractiveShell`` only in where outputs go: its display
publisher, display hook and ``_showtraceback`` turn them into IOPub messages, after flushing stdout and stderr.
The classes below do the same into a `grader.engine.hub.Hub`, mirroring ipykernel 7's code line by line, and use
ipykernel's own JSON cleaning and cell compiler (so warnings name cells ``/tmp/ipykernel_<pid>/<hash>.py`` as in a
kernel). Everything else (magics, display formatting, ``run_cell``, error handling) is IPython's own code.

The shell is built once in the warm server and every notebook's process is a fork of it, so each notebook starts
from the same pristine shell that never ran a cell.
"""

from __future__ import annotations

import sys
from typing import Any

from ipykernel.compiler import XCachingCompiler
from ipykernel.jsonutil import encode_images, json_clean
from IPython.core.autocall import ExitAutocall
from IPython.core.displayhook import DisplayHook
from IPython.core.displaypub import DisplayPublisher
from IPython.core.interactiveshell import InteractiveShell
from traitlets import Type, default
from traitlets.config import Config

TRACEBACK_MODES = ("Plain", "Context", "Verbose", "Minimal")
"""IPython traceback modes. ``Plain`` is the engine's default: it still names the cell and line and shows the
failing source line, at a small part of the cost of ``Context`` (ipykernel's default; docs/engine.md measures
both). Tracebacks differ in decoration only: ``ename`` and ``evalue`` do not depend on the mode."""


HIDDEN_CODE: set[Any] = set()
"""Code objects of the engine's own raisers (the time-limit interrupt, ``input()``): a traceback ends before them,
in the student's code, as it does when a kernel is interrupted."""


def hidden_from_tracebacks(function: Any) -> Any:
    """Decorator: frames of ``function`` are cut from the end of tracebacks shown in notebooks."""
    HIDDEN_CODE.add(function.__code__)
    return function


def _strip_hidden(tb: Any) -> Any:
    previous, node = None, tb
    while node is not None:
        if node.tb_frame.f_code in HIDDEN_CODE and previous is not None:
            previous.tb_next = None
            break
        previous, node = node, node.tb_next
    return tb


class EngineDisplayPublisher(DisplayPublisher):
    """``display(...)``, ``update_display`` and ``clear_output`` as ipykernel's ``ZMQDisplayPublisher``."""

    def publish(self, data: Any, metadata: Any = None, *, transient: Any = None, update: bool = False,
                **kwargs: Any) -> None:
        hub = self.shell.hub
        hub.flush_all()
        if metadata is None:
            metadata = {}
        if transient is None:
            transient = {}
        self._validate_data(data, metadata)
        content = {"data": encode_images(data), "metadata": metadata, "transient": transient}
        hub.iopub("update_display_data" if update else "display_data", json_clean(content))

    def clear_output(self, wait: bool = False) -> None:
        hub = self.shell.hub
        hub.flush_all()
        hub.iopub("clear_output", json_clean({"wait": wait}))


class EngineDisplayHook(DisplayHook):
    """The value of a cell's last expression as an ``execute_result``, as ipykernel's ``ZMQShellDisplayHook``."""

    msg: dict[str, Any] | None = None

    def start_displayhook(self) -> None:
        self.msg = {"data": {}, "metadata": {}}

    def write_output_prompt(self) -> None:
        if self.msg is not None:
            self.msg["execution_count"] = self.prompt_count

    def write_format_data(self, format_dict: Any, md_dict: Any = None) -> None:
        if self.msg is not None:
            self.msg["data"] = json_clean(encode_images(format_dict))
            self.msg["metadata"] = md_dict

    def finish_displayhook(self) -> None:
        hub = self.shell.hub
        hub.flush_all()
        if self.msg and self.msg["data"]:
            hub.iopub("execute_result", self.msg)
        self.msg = None


class EngineExitAutocall(ExitAutocall):
    """``exit()`` / ``quit()`` as in a kernel: ``exit(keep_kernel=True)`` does nothing, anything else ends it."""

    def __call__(self, keep_kernel: bool = False) -> None:  # type: ignore[override]
        self._ip.keepkernel_on_exit = keep_kernel
        self._ip.ask_exit()


class EngineShell(InteractiveShell):
    """InteractiveShell whose outputs go to ``self.hub`` (set in each notebook's process)."""

    display_pub_class = Type(EngineDisplayPublisher)
    displayhook_class = Type(EngineDisplayHook)
    hub: Any = None
    limit_note: Any = None
    """Set per notebook (`grader.engine.child`): (exception type, value) -> a sentence naming the resource limit
    that error comes from (MemoryError at the memory limit...), or None."""
    keepkernel_on_exit: bool | None = None
    _last_traceback: list[str] | None = None
    _last_traceback_during_displayhook = False

    @default("exiter")
    def _default_exiter(self) -> ExitAutocall:
        return EngineExitAutocall(self)

    def init_environment(self) -> None:
        """ipykernel sets these in the kernel's environment; done per notebook by `apply_kernel_environment`."""

    def ask_exit(self) -> None:
        self.exit_now = not self.keepkernel_on_exit

    def enable_gui(self, gui: str | None = None) -> None:
        """``%matplotlib inline`` asks for no event loop (ipykernel's ``enable_gui(None)`` does nothing); a
        real GUI loop (``%matplotlib qt``, ``%gui tk``) needs a kernel."""
        if gui not in (None, "inline"):
            raise NotImplementedError(f"the GUI event loop {gui!r} needs a Jupyter kernel (the kernel executor)")

    def _get_exc_info(self, exc_tuple: Any = None) -> Any:
        etype, value, tb = super()._get_exc_info(exc_tuple)
        return etype, value, _strip_hidden(tb)

    def run_cell(self, *args: Any, **kwargs: Any) -> Any:
        self._last_traceback = None
        self._last_traceback_during_displayhook = False
        return super().run_cell(*args, **kwargs)

    def error_value(self, etype: Any, evalue: Any) -> str:
        """``str(evalue)``, with the limit it ran into named when it is a resource limit's error (`limit_note`)."""
        text = str(evalue)
        note = self.limit_note(etype, evalue) if self.limit_note is not None else None
        if not note:
            return text
        self.hub.limit_hit(note)
        return f"{text} [{note}]" if text else note

    def _showtraceback(self, etype: Any, evalue: Any, stb: Any) -> None:
        # try to preserve ordering of tracebacks and print statements (ipykernel's comment)
        self.hub.flush_all()
        content = {"traceback": stb, "ename": str(etype.__name__), "evalue": self.error_value(etype, evalue)}
        if getattr(self.displayhook, "msg", None) is not None:
            self._last_traceback_during_displayhook = True
        self.hub.iopub("error", json_clean(content))
        self._last_traceback = stb


KERNEL_ENVIRONMENT = {"TERM": "xterm-color", "CLICOLOR": "1", "FORCE_COLOR": "1", "CLICOLOR_FORCE": "1",
                      "PAGER": "cat", "GIT_PAGER": "cat"}
"""What ipykernel's ``ZMQInteractiveShell.init_environment`` puts into the kernel's ``os.environ``."""
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"
"""The matplotlib backend ipykernel selects when ``MPLBACKEND`` is unset (an Agg canvas shown as PNG)."""


def apply_kernel_environment(environ: Any) -> None:
    """Make ``environ`` what a kernel started with it would see (ipykernel's additions)."""
    if not environ.get("MPLBACKEND"):
        environ["MPLBACKEND"] = INLINE_BACKEND
    environ.update(KERNEL_ENVIRONMENT)


def build_shell(traceback_mode: str = "Plain") -> EngineShell:
    """The pristine shell every notebook's process starts from (history in memory, as nbclient asks)."""
    if traceback_mode not in TRACEBACK_MODES:
        raise ValueError(f"unknown traceback mode {traceback_mode!r}; known: {list(TRACEBACK_MODES)}")
    config = Config()
    config.HistoryManager.hist_file = ":memory:"
    shell = EngineShell.instance(config=config, compiler_class=XCachingCompiler)
    shell.InteractiveTB.set_mode(traceback_mode)
    return shell


def language_info() -> dict[str, Any]:
    """The ``language_info`` ipykernel reports and nbclient stores in ``notebook.metadata``."""
    return {"name": "python", "version": sys.version.split()[0], "mimetype": "text/x-python",
            "codemirror_mode": {"name": "ipython", "version": 3}, "pygments_lexer": "ipython3",
            "nbconvert_exporter": "python", "file_extension": ".py"}
