"""Your own numbers for this assignment: read from variant.json beside the notebook, or derived from your id.

Every learner's experiment has numbers of its own (a batch size, a depth...), and the answers that depend on them
are graded against the numbers of the notebook's owner. The notebook's locked setup cell runs::

    from variant import mine
    P = mine()          # {"m": 23, ...}: use P["m"] wherever the notebook says so

Where the numbers come from, first that applies:

1. ``variant.json`` in the notebook's folder: given with a notebook made for you (``grader release
   --per-student``), written by the grader when it grades, or saved by an earlier run of this cell;
2. your id, ``JUPYTERHUB_USER`` on a JupyterHub, else the id you type when asked: the numbers are derived from it
   with this course's key (``KEY`` below, in a notebook released to a whole class) and saved to variant.json.

This file is ``grader/variant_runtime.py`` of symmetry-grader, with ``ASSIGNMENT``, ``KEY`` and ``GENERATOR`` filled
in when the assignment is released (`grader.variants.runtime_source`); it needs only NumPy. grader.variants derives
every grader-side variant with the `streams` below, so a learner's notebook and the grader always agree.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ASSIGNMENT = ""
"""The assignment these numbers are for."""
KEY = ""
"""The course key (hex) when the notebook derives its learner's numbers itself (one release for a whole class);
empty in a notebook made for one learner, who has variant.json."""
GENERATOR = ""
"""The source of the assignment's generator (``grading/<assignment>/variants.py``): VERSION and parameters(stream)."""
FILE = "variant.json"
"""The record of the numbers, in the notebook's folder."""
ID_VARIABLE = "JUPYTERHUB_USER"
"""Where a JupyterHub says who the learner is."""


def streams(key: bytes, assignment: str, student: str,
            override: int | None = None) -> Callable[[str], np.random.Generator]:
    """``stream(question)``: a PCG64 generator seeded with HMAC-SHA256(key, "<assignment>\\0<student>\\0<question>");
    with ``override`` (an instructor's seed), "\\0seed\\0<override>" takes the student id's place. Each call is a
    new generator with the same draws, one stream per question."""
    identity = student if override is None else f"\0seed\0{override}"
    prefix = f"{assignment}\0{identity}\0"

    def stream(question: str) -> np.random.Generator:
        if not isinstance(question, str) or "\0" in question:
            raise ValueError(f"a question of a stream is a name without NUL; got {question!r}")
        digest = hmac.new(key, (prefix + question).encode(), hashlib.sha256).digest()
        return np.random.Generator(np.random.PCG64(np.random.SeedSequence(int.from_bytes(digest, "big"))))

    return stream


def _keyless() -> RuntimeError:
    return RuntimeError(f"this notebook was made for one learner and its {FILE} is missing: ask your instructor for "
                        "your own copy of the assignment")


def derive(student: str) -> dict[str, Any]:
    """``student``'s numbers, from this course's key and the generator given with this file."""
    if not KEY or not GENERATOR:
        raise _keyless()
    namespace: dict[str, Any] = {"__name__": "variant_generator"}
    exec(compile(GENERATOR, "variants.py", "exec"), namespace)
    return dict(namespace["parameters"](streams(bytes.fromhex(KEY), ASSIGNMENT, student)))


def _ask() -> str:
    """The id the learner types, when nothing says who they are."""
    try:
        typed = input("Your student id, as your course knows it (it chooses your numbers): ")
    except Exception:  # a kernel without a keyboard (a grader without variant.json): no one to ask
        typed = ""
    typed = typed.strip()
    if not typed or "/" in typed or "\0" in typed:
        raise RuntimeError(f"no student id: run this cell again and type your id (on a JupyterHub, {ID_VARIABLE} "
                           "gives it); it chooses the numbers of your experiments")
    return typed


def mine(folder: str | os.PathLike[str] = ".") -> dict[str, Any]:
    """The learner's numbers (see the module's docstring): printed, and returned as a dict."""
    path = Path(folder) / FILE
    record = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None
    if record is not None and record.get("assignment") != ASSIGNMENT:
        raise RuntimeError(f"{path} is for {record.get('assignment')!r}, not {ASSIGNMENT!r}: delete it and run this "
                           "cell again")
    if record is None:
        if not KEY:
            raise _keyless()
        student = os.environ.get(ID_VARIABLE, "").strip() or _ask()
        record = {"student": student, "assignment": ASSIGNMENT, "parameters": derive(student)}
        path.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    student, parameters = str(record["student"]), dict(record["parameters"])
    hub_user = os.environ.get(ID_VARIABLE, "").strip()
    if hub_user and hub_user != student and KEY:
        print(f"Warning: {FILE} was made for {student}, but you are {hub_user}. Your work is graded with your own "
              f"numbers: delete {FILE} and run this cell again.")
    shown = ", ".join(f"{name} = {value}" for name, value in parameters.items())
    print(f"Your numbers ({student}): {shown}")
    return parameters
