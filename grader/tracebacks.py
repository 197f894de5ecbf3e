"""The student-facing view of an error output: its message and the student's own frames, nothing of the grader's.

An error output (nbformat) holds ``ename``, ``evalue`` and ``traceback``, the list of strings IPython printed:
headers, one string per frame, the message and, for chained exceptions, a separator and the next exception's
strings. A frame is the student's when its code is a notebook cell (``Cell In[N], line L``) or a file inside the
submission's folder (shown relative to it, ``File ./helper.py:3``). Every other frame (the grader, the judge, the
course's checks, nbgrader, site-packages, the standard library, compiled modules) is dropped, and every other
absolute path in the text is cut to its last part (``…/data.csv``), so that no path of the grading machine shows.

- `clean_notebook` rewrites the tracebacks of an executed notebook that way, keeping their shape (the fork engine's
  notebooks, `grader.engine.record`);
- `student_frames`, `message` and `render` give the text a feedback page and ``grader check`` show.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping, MutableMapping, Sequence
from typing import Any

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
"""Terminal colour codes, as IPython puts them in tracebacks."""

_CELL = re.compile(r"^\s*(?:Cell In\[(?P<n>\d+)\], line \d+|Input In \[(?P<m>\d+)\]|<ipython-input-(?P<k>\d+)-)")
"""A frame in a notebook cell (IPython 8.5+, 8.0-8.4, 7)."""
_FILE = re.compile(r'^\s*File (?:"(?P<quoted>[^"\n]+)", line \d+|(?P<path>[^\n]+?):\d+(?=[,\s]|$))')
"""A frame in a file: IPython's ``File /path:12, in f()`` (or ``File /path:12 in f``), Python's ``File "/path",
line 12, in f``."""
_CHAIN = ("The above exception was the direct cause", "During handling of the above exception")
_HEADER = "Traceback (most recent call last)"
_SIMILAR = re.compile(r"^\s*\[\.\.\. skipping similar frames")
_HIDDEN = re.compile(r"^\s*\[\.\.\. skipping hidden")
_PATH = re.compile(r"(?<![\w.~/-])~?/(?:[^\s/'\"`:;,()\[\]{}<>\x1b]+/)+[^\s/'\"`:;,()\[\]{}<>\x1b]*")
"""An absolute path of at least two parts (``/a/b``; ``~/a/b`` as IPython writes paths under the home folder)."""
REPEATED = "[the frame above repeats {} more times]"


def _forms(path: str) -> set[str]:
    """``path`` as written (IPython writes ``~/x`` for a path under the home folder of the process that printed
    it), with this process's home folder expanded, and with its symbolic links resolved."""
    full = os.path.expanduser(path)
    return {os.path.normpath(path), os.path.normpath(full), os.path.realpath(full) if os.path.isabs(full) else full}


def _inside(path: str, folders: Sequence[str]) -> str | None:
    """``path`` relative to the folder of ``folders`` that holds it, or None. A path already written relative to the
    submission's folder (``./helper.py``) stays so; another relative path (``numpy/random/mtrand.pyx``, a compiled
    module's) is nobody's folder. A folder given as ``~/name`` matches paths written so (the notebook's home folder
    is not this process's)."""
    if path.startswith("./"):
        return path[2:]
    if not path.startswith(("/", "~")):
        return None
    for folder in folders:
        for root in _forms(folder):
            for candidate in _forms(path):
                if candidate.startswith(root.rstrip(os.sep) + os.sep):
                    return os.path.relpath(candidate, root)
    return None


def scrub(text: str, folders: Sequence[str] = ()) -> str:
    """``text`` with every absolute path cut: relative (``./data.csv``) inside a folder of ``folders``, else to its
    last part (``…/data.csv``)."""

    def short(match: re.Match[str]) -> str:
        path = match.group(0)
        inside = _inside(path, folders)
        if inside is not None:
            return f"./{inside}"
        return "…/" + (path.rstrip("/").rsplit("/", 1)[-1] or "")

    return _PATH.sub(short, text)


def _kind(text: str, folders: Sequence[str]) -> tuple[str, str | None]:
    """What one traceback string is: ("cell", the cell's number), ("file", the path relative to the submission's
    folder) or ("frame", None) for someone else's frame, ("chain" | "header" | "similar" | "hidden" | "text", None).
    ``text`` has no colour codes."""
    cell = _CELL.match(text)
    if cell:
        return "cell", next(n for n in cell.group("n", "m", "k") if n is not None)
    file = _FILE.match(text)
    if file:
        inside = _inside(file.group("quoted") or file.group("path"), folders)
        return ("file", inside) if inside is not None else ("frame", None)
    stripped = text.strip()
    if stripped.startswith(_CHAIN):
        return "chain", None
    if _HEADER in stripped or (stripped and set(stripped) <= {"-"}):
        return "header", None
    if _SIMILAR.match(text):
        return "similar", None
    if _HIDDEN.match(text):
        return "hidden", None
    return "text", None


def _retarget(frame: str, folders: Sequence[str]) -> str:
    """A frame of the submission's files with its path written relative to the submission's folder."""
    file = _FILE.match(ANSI.sub("", frame))
    assert file is not None
    path = file.group("quoted") or file.group("path")
    return frame.replace(path, f"./{_inside(path, folders)}", 1)


def clean(traceback: Iterable[str], folders: Sequence[str] = ()) -> list[str]:
    """A traceback list without anyone's frames but the student's, paths cut (`scrub`), its shape kept: headers,
    messages and chain separators stay, with their colours."""
    kept: list[str] = []
    after_own = False
    for raw in map(str, traceback):
        kind, _ = _kind(ANSI.sub("", raw), folders)
        if kind == "cell" or (kind == "similar" and after_own):
            kept.append(raw)
        elif kind == "file":
            kept.append(_retarget(raw, folders))
        elif kind in ("chain", "header", "text"):
            kept.append(scrub(raw, folders))
        after_own = kind in ("cell", "file")
    return kept


def clean_output(output: MutableMapping[str, Any], folders: Sequence[str] = ()) -> None:
    """Clean an error output's ``traceback`` in place (`clean`); never leaves it empty."""
    if output.get("output_type") != "error":
        return
    cleaned = clean(output.get("traceback") or [], folders)
    output["traceback"] = cleaned or [message(output, folders)]


def clean_notebook(nb: Mapping[str, Any], folders: Sequence[str] = ()) -> None:
    """Clean every error output of a notebook in place (`clean_output`)."""
    for cell in nb.get("cells", []):
        for output in cell.get("outputs", []) or []:
            clean_output(output, folders)


def message(output: Mapping[str, Any], folders: Sequence[str] = ()) -> str:
    """``ename: evalue`` of an error output (``ename`` alone when there is no value), colours removed, paths cut."""
    text = f"{output.get('ename', '')}: {output.get('evalue', '')}".strip().rstrip(":")
    return scrub(ANSI.sub("", text), folders)


def student_frames(traceback: Iterable[str], folders: Sequence[str] = (), *, skip_cell: int | None = None
                   ) -> list[str]:
    """The student's frames of a traceback list, as text, oldest first; of a chained exception's earlier parts,
    also the message when one of their frames is the student's (the final message is `message`'s).

    folders:   the submission's folder, as the code that raised saw it (its files are the student's)
    skip_cell: a cell whose frames are left out (a test cell's own lines: the feedback shows its public part)
    """
    sections: list[list[tuple[str, str, str | None]]] = [[]]
    for raw in traceback:
        text = ANSI.sub("", str(raw))
        kind, detail = _kind(text, folders)
        if kind == "chain":
            sections.append([])
        else:
            sections[-1].append((kind, text, detail))
    shown: list[str] = []
    for number, section in enumerate(sections):
        frames: list[str] = []
        after_own = False  # IPython's "[... skipping similar frames]" stays after a frame that stays
        for kind, text, detail in section:
            own = kind == "file" or (kind == "cell" and (skip_cell is None or detail != str(skip_cell)))
            if own:
                frames.append((_retarget(text, folders) if kind == "file" else text).rstrip())
            elif kind == "similar" and after_own:
                frames.append(text.strip())
            after_own = own
        if not frames:
            continue
        shown.extend(frames)
        texts = [text for kind, text, _ in section if kind == "text"]
        if number < len(sections) - 1 and texts:
            shown.append(scrub(texts[-1].strip(), folders))
    return _collapse(shown)


def _collapse(lines: list[str]) -> list[str]:
    """Runs of one frame repeated (a deep recursion) shown once, with how many more times it came."""
    out: list[str] = []
    run = 0
    for line in [*lines, None]:
        if out and line == out[-1]:
            run += 1
            continue
        if run:
            out.append(REPEATED.format(run))
            run = 0
        if line is not None:
            out.append(line)
    return out


def render(frames: Sequence[str], final: str) -> str:
    """Frames then the message ``final``, one block of text. A SyntaxError's frame already ends with its own
    message (without the cell's file name that ``evalue`` adds): it is not said twice."""
    last = frames[-1].splitlines() if frames else []
    if last and last[-1].startswith(f"{final.split(':', 1)[0]}:"):
        return "\n".join(frames)
    return "\n".join([*frames, final])
