"""The files that give a notebook its learner's numbers: ``variant.py`` (the runtime) and ``variant.json`` (a record).

    release/<a>/variant.py               grader release: the runtime with the course key and the generator, so that
                                         each learner's notebook derives their numbers from their id (JupyterHub)
    personal/<a>/<student>/variant.*     grader release --per-student: a keyless runtime and that student's record
    submitted/<student>/<a>/variant.json what the learner's notebook saved (or was given): whom it was built for
    autograded/<student>/<a>/variant.*   grader autograde: a keyless runtime and the OWNER's record, over whatever
                                         the submission held, so the notebook runs with its owner's numbers

`grader.variant_runtime` is the runtime; `runtime_source` fills in its three constants. The grader-side derivation
(`grader.variants.streams`) calls the same function, so a notebook and its grader always agree.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from nbformat import NotebookNode

from grader import variant_runtime
from grader.grading import assignment_dir
from grader.variants import GENERATOR, Variant, course_key, lookup

MODULE = "variant.py"
"""The runtime's file name beside the notebook: the setup cell runs ``from variant import mine``."""
RECORD = variant_runtime.FILE
"""``variant.json``: the numbers the notebook runs with, and whom they were built for."""
METADATA = "grader"
"""The notebook metadata key a notebook made for one learner carries: ``{"student": ..., "assignment": ...}``."""


def runtime_source(course: Path | str, assignment: str, *, with_key: bool) -> str:
    """``variant.py`` for ``assignment``: the runtime with ``ASSIGNMENT``, ``GENERATOR`` and, when ``with_key`` (one
    release for a whole class, each notebook deriving its learner's numbers), the course ``KEY`` filled in."""
    generator = (assignment_dir(course, assignment) / f"{GENERATOR}.py").read_text(encoding="utf-8")
    values = {"ASSIGNMENT": assignment, "KEY": course_key(course).hex() if with_key else "", "GENERATOR": generator}
    text = Path(variant_runtime.__file__).read_text(encoding="utf-8")
    for name, value in values.items():
        text, count = re.subn(rf'^{name} = ""$', lambda _, n=name, v=value: f"{n} = {v!r}", text, count=1,
                              flags=re.MULTILINE)
        if count != 1:
            raise RuntimeError(f"{variant_runtime.__file__} lost its line {name} = \"\"")
    return f"# Made by grader for {assignment}; do not edit: your numbers come from here.\n" + text


def record_data(variant: Variant) -> dict[str, Any]:
    """What ``variant.json`` holds: whom the numbers are for, and the numbers."""
    return {"student": variant.student, "assignment": variant.assignment, "parameters": dict(variant.parameters),
            "version": variant.version}


def write_files(course: Path | str, folder: Path | str, variant: Variant, *, with_key: bool = False) -> None:
    """Put ``variant``'s ``variant.json`` and a ``variant.py`` (keyless unless ``with_key``) in ``folder``, replacing
    whatever files of those names were there (a learner's edited copies included)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in ((MODULE, runtime_source(course, variant.assignment, with_key=with_key)),
                       (RECORD, json.dumps(record_data(variant), indent=1) + "\n")):
        path = folder / name
        path.unlink(missing_ok=True)  # a read-only copy handed in stays the student's problem, not ours
        path.write_text(text, encoding="utf-8")


def write_runtime(course: Path | str, folder: Path | str, assignment: str, *, with_key: bool) -> Path:
    """Only ``variant.py`` (a release for a whole class: each notebook writes its own record)."""
    path = Path(folder) / MODULE
    path.unlink(missing_ok=True)
    path.write_text(runtime_source(course, assignment, with_key=with_key), encoding="utf-8")
    return path


def stamped(notebook: NotebookNode) -> str | None:
    """Whom ``notebook`` says it was made for (`stamp`), or None."""
    mark = notebook.get("metadata", {}).get(METADATA, {})
    student = mark.get("student") if isinstance(mark, dict) else None
    return student if isinstance(student, str) and student else None


def built_for(folder: Path | str, notebook: NotebookNode | None = None) -> str | None:
    """Whom the handed-in work in ``folder`` was built for, as it says: the notebook's metadata (a notebook made
    for one learner), else the ``variant.json`` it ran with; None when neither says (never run, or unreadable)."""
    if notebook is not None and stamped(notebook):
        return stamped(notebook)
    try:
        data = json.loads((Path(folder) / RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    student = data.get("student") if isinstance(data, dict) else None
    return student if isinstance(student, str) and student else None


def stamp(notebook: NotebookNode, variant: Variant) -> NotebookNode:
    """``notebook`` marked as made for ``variant.student`` (its metadata; nothing a learner sees changes)."""
    notebook.metadata[METADATA] = {"student": variant.student, "assignment": variant.assignment}
    return notebook


def give_owner(course: Path | str, assignment: str, student: str,
               folder: Path | str) -> tuple[dict[str, Any], str | None]:
    """Before grading ``student``'s work in ``folder``: note whom its handed-in ``variant.json`` says it was built
    for, then put the owner's files over it (the owner is the submission's folder, never what the notebook says),
    so that the notebook runs with its owner's numbers. Returns (the owner's parameters, whom it said)."""
    variant = lookup(course, assignment, student)
    claimed = built_for(folder)
    write_files(course, folder, variant, with_key=False)
    return dict(variant.parameters), claimed


def other_owner(notebook: NotebookNode, student: str, handed_in: str | None) -> list[str]:
    """The sentence for the grade report when ``notebook``, or its folder's handed-in record (``handed_in``, as
    `give_owner` returned it), says it was built for someone other than ``student``; none otherwise."""
    claimed = stamped(notebook) or handed_in
    if claimed is None or claimed == student:
        return []
    return [f"this notebook was built for student {claimed}; it was graded with {student}'s own numbers"]

