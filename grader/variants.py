"""Per-student variants: each student's parameters of an assignment, derived from a course key, recorded, overridable.

    course/
      .grader-variant-key             the course's key (hex), made on first use, mode 0600, git-ignored;
                                      GRADER_VARIANT_KEY (hex) in the environment wins over it
      grading/<name>/variants.py      the generator: VERSION = "1" and parameters(stream) -> {"depth": 3, ...}
      variants/<name>/<student>.json  the record: what the student got, with the generator's version

A question's stream is a `numpy.random.Generator` seeded from HMAC-SHA256(key, "<assignment>\\0<student>\\0<question>"),
so each part of an assignment draws from its own stream and parts do not move together. An instructor's override
seed takes the student id's place in that message (marked, so that it never equals anyone's id).

The first `lookup` of a student derives their parameters and records them; every later one returns the record, even
after the generator's code, its VERSION or NumPy changed: a regrade uses the numbers the student was given. `refresh`
derives again with the current generator; `set_override` gives one student another seed. docs/variants.md says what
the key protects and what it does not.

This module is light (NumPy and `grader.grading`, no nbgrader): a notebook's setup cell may come to import it.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import secrets
import tempfile
import types
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from grader import variant_runtime as runtime
from grader.errors import GraderError, UsageError
from grader.grading import assignment_dir, import_part

KEY_VARIABLE = "GRADER_VARIANT_KEY"
"""The course key as hex, in the environment: wins over the key file (a CI secret, a grading machine's setting)."""
KEY_FILE = ".grader-variant-key"
"""The course key as hex, in the course root: made on first use when the environment has none."""
KEY_BYTES = 32
MIN_KEY_BYTES = 16
RECORDS_DIR = "variants"
"""The folder of the course root that holds ``<assignment>/<student>.json``, one record per student."""
GENERATOR = "variants"
"""The grading module (`grader.grading.PARTS`) that generates an assignment's parameters."""

Value = int | float | str
Stream = Callable[[str], np.random.Generator]
"""``stream(question)``: a new generator for that question, the same draws every call."""


class VariantError(GraderError):
    """A variant cannot be derived or read: a bad record, a bad student or assignment name."""


class VariantKeyError(VariantError):
    """The course key (environment or key file) is not a hex key of at least `MIN_KEY_BYTES` bytes."""


class GeneratorError(VariantError):
    """``grading/<assignment>/variants.py`` is missing, malformed, or raised."""


class ParameterValueError(VariantError):
    """A generator returned something other than a dict of names to plain int, float or str."""


class OverrideError(UsageError):
    """An override seed an instructor asked for cannot be used (not a non-negative int, or another student's)."""


@dataclass(frozen=True)
class Variant:
    """One student's parameters of one assignment, as recorded."""

    student: str
    assignment: str
    parameters: dict[str, Value] = field(default_factory=dict)
    """What the generator returned: names to plain int, float or str."""
    version: str = ""
    """The generator's VERSION when they were derived."""
    override: int | None = None
    """The instructor's seed that replaced the student id in the derivation; None when there is none."""


# -- the key -------------------------------------------------------------------------------------------------------

def _parse_key(text: str, where: str) -> bytes:
    try:
        key = bytes.fromhex(text.strip())
    except ValueError:
        key = b""
    if len(key) < MIN_KEY_BYTES:  # never echo the text: it may be most of a key
        raise VariantKeyError(f"{where} is not a hex key of at least {MIN_KEY_BYTES} bytes; make one with "
                              "python -c 'import secrets; print(secrets.token_hex(32))'")
    return key


def course_key(course: Path | str) -> bytes:
    """The course's key: `KEY_VARIABLE` when set, else `KEY_FILE` of the course root, made (mode 0600) when missing.

    Two processes making it at once agree: the file appears whole (written aside, then linked), and the second reads
    the first's."""
    text = os.environ.get(KEY_VARIABLE, "")
    if text.strip():
        return _parse_key(text, f"the environment's {KEY_VARIABLE}")
    path = Path(course) / KEY_FILE
    if not path.exists():
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f"{KEY_FILE}.", suffix=".tmp")  # mode 0600
        try:
            with os.fdopen(fd, "w") as file:
                file.write(secrets.token_bytes(KEY_BYTES).hex() + "\n")
            with contextlib.suppress(FileExistsError):
                os.link(tmp, path)
        finally:
            os.unlink(tmp)
    return _parse_key(path.read_text(encoding="ascii", errors="replace"), str(path))


# -- deriving ------------------------------------------------------------------------------------------------------

def _name(value: str, what: str) -> str:
    if not isinstance(value, str) or not value or "\0" in value or "/" in value or value in (".", ".."):
        raise VariantError(f"{what} {value!r} is not a usable name (non-empty, no '/' or NUL)")
    return value


def streams(key: bytes, assignment: str, student: str, override: int | None = None) -> Stream:
    """The streams of ``student`` in ``assignment``: ``stream(question)`` is a PCG64 generator seeded with
    HMAC-SHA256(key, "<assignment>\\0<student>\\0<question>"); with ``override``, the student id's place holds
    "\\0seed\\0<override>" instead, which no student id (a name without NUL) can equal. The derivation itself is
    `grader.variant_runtime.streams`, the code learners' notebooks run, so both always agree."""
    student = _name(student, "student") if override is None else student
    derived = runtime.streams(key, _name(assignment, "assignment"), student, override)

    def stream(question: str) -> np.random.Generator:
        try:
            return derived(question)
        except ValueError as exc:
            raise VariantError(str(exc)) from None

    return stream


def has_variants(course: Path | str, assignment: str) -> bool:
    """Whether ``assignment`` has a generator, ``grading/<assignment>/variants.py``."""
    return (assignment_dir(course, assignment) / f"{GENERATOR}.py").is_file()


def generator(course: Path | str, assignment: str) -> types.ModuleType:
    """``grading/<assignment>/variants.py``, imported once like the checks (`grader.grading.import_part`), checked
    to define ``VERSION`` (a non-empty str) and ``parameters`` (a function)."""
    path = assignment_dir(course, assignment) / f"{GENERATOR}.py"
    try:
        module = import_part(course, assignment, GENERATOR)
    except Exception as exc:  # the generator is the course's code: whatever importing it raises, it is broken
        raise GeneratorError(f"{path}: importing it raised {_one_line(exc)}") from None
    if module is None:
        raise GeneratorError(f"{path} is missing: write VERSION = '1' and def parameters(stream) -> dict there")
    version = getattr(module, "VERSION", None)
    if not isinstance(version, str) or not version:
        raise GeneratorError(f"{path} must define VERSION, a non-empty str such as '1'; got {version!r}")
    if not callable(getattr(module, "parameters", None)):
        raise GeneratorError(f"{path} must define def parameters(stream) -> dict[str, int | float | str]")
    return module


def plain_parameters(values: Any, where: str) -> dict[str, Value]:
    """``values`` as a dict of names to plain int, float (finite) or str, the only values a record holds exactly;
    ParameterValueError naming ``where``, the name and the fix otherwise (a NumPy scalar or a bool included)."""
    if not isinstance(values, Mapping):
        raise ParameterValueError(f"{where} must return a dict of names to int, float or str; "
                                  f"got {type(values).__name__}")
    plain: dict[str, Value] = {}
    for name, value in values.items():
        if not isinstance(name, str) or not name:
            raise ParameterValueError(f"{where}: parameter names are non-empty str; got {name!r}")
        if type(value) not in (int, float, str):
            raise ParameterValueError(f"{where}: {name!r} is a {type(value).__module__}.{type(value).__name__}; "
                                      "give a plain int, float or str (wrap it: int(...), float(...), str(...))")
        if type(value) is float and not math.isfinite(value):
            raise ParameterValueError(f"{where}: {name!r} is {value}; give a finite number")
        plain[name] = value
    return plain


def derive(course: Path | str, assignment: str, student: str, override: int | None = None) -> Variant:
    """``student``'s parameters of ``assignment`` from the course key and the current generator; nothing recorded."""
    module = generator(course, assignment)
    stream = streams(course_key(course), assignment, student, override)
    where = f"{assignment_dir(course, assignment) / GENERATOR}.py: parameters()"
    try:
        values = module.parameters(stream)
    except Exception as exc:  # the course's code: the message names it and what it raised
        raise GeneratorError(f"{where} raised {_one_line(exc)} for student {student!r}") from None
    return Variant(student, assignment, plain_parameters(values, where), module.VERSION, override)


# -- the record ----------------------------------------------------------------------------------------------------

def record_path(course: Path | str, assignment: str, student: str) -> Path:
    """``variants/<assignment>/<student>.json`` of the course root."""
    return Path(course) / RECORDS_DIR / _name(assignment, "assignment") / f"{_name(student, 'student')}.json"


_BROKEN = "restore it from a backup, or delete it to derive the variant again"


def read_record(course: Path | str, assignment: str, student: str) -> Variant | None:
    """The recorded variant of ``student``, or None when there is none; VariantError when the file is not one."""
    path = record_path(course, assignment, student)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise VariantError(f"{path} is not a variant record ({_one_line(exc)}); {_BROKEN}") from None
    fields = {"student", "assignment", "parameters", "version", "override"}
    owner = (data.get("student"), data.get("assignment")) if isinstance(data, dict) else None
    if owner != (student, assignment) or set(data) != fields:
        raise VariantError(f"{path} is not {student!r}'s variant record of {assignment!r}; {_BROKEN}")
    version, override = data["version"], data["override"]
    if not isinstance(version, str) or not (override is None or (type(override) is int and override >= 0)):
        raise VariantError(f"{path} holds a malformed version or override; {_BROKEN}")
    return Variant(student, assignment, plain_parameters(data["parameters"], str(path)), version, override)


def write_record(course: Path | str, variant: Variant) -> Path:
    """Record ``variant`` (written aside, then moved over the old record: a reader never sees half of one)."""
    path = record_path(course, variant.assignment, variant.student)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f"{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            json.dump(asdict(variant), file, indent=1)
            file.write("\n")
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return path


def recorded(course: Path | str, assignment: str) -> dict[str, Variant]:
    """Every recorded variant of ``assignment``, by student."""
    folder = Path(course) / RECORDS_DIR / _name(assignment, "assignment")
    found = {}
    for path in sorted(folder.glob("*.json")):
        variant = read_record(course, assignment, path.stem)
        if variant is not None:
            found[path.stem] = variant
    return found


# -- what graders and instructors call -----------------------------------------------------------------------------

def lookup(course: Path | str, assignment: str, student: str) -> Variant:
    """``student``'s variant of ``assignment``: the record when there is one (whatever the generator is now), else
    derived and recorded."""
    variant = read_record(course, assignment, student)
    if variant is None:
        variant = derive(course, assignment, student)
        write_record(course, variant)
    return variant


def refresh(course: Path | str, assignment: str, student: str) -> Variant:
    """Derive ``student``'s variant again with the current generator (keeping their override) and record it."""
    previous = read_record(course, assignment, student)
    variant = derive(course, assignment, student, previous.override if previous else None)
    write_record(course, variant)
    return variant


def set_override(course: Path | str, assignment: str, student: str, seed: int | None) -> Variant:
    """Give ``student`` the variant of ``seed`` in ``assignment`` (None: their own again), derived and recorded.

    A seed takes the place of the student id, so two students with one seed would share numbers: a seed another
    student of the assignment holds is refused."""
    if seed is not None and not (type(seed) is int and seed >= 0):
        raise OverrideError(f"an override seed is a non-negative int; got {seed!r}")
    if seed is not None:
        holders = sorted(s for s, v in recorded(course, assignment).items() if v.override == seed and s != student)
        if holders:
            raise OverrideError(f"seed {seed} is already {holders[0]}'s override in {assignment}; choose another")
    variant = derive(course, assignment, student, seed)
    write_record(course, variant)
    return variant


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__
