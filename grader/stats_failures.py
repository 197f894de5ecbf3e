"""The common failures of a test cell: its failure messages grouped once numbers and names are normalised, each group
matched to the typical mistake of the assignment's mistake library (``grading/<name>/mistakes.py``) it shows.

Two students whose wrong code differs only in a number (``got 0.37``, ``got 0.41``) or in a quoted name
(``name 'W' is not defined``, ``name 'b' is not defined``) read the same message: `normalise` makes them equal, and
`group_failures` counts them as one group. A mistake of the library matches a group when the group's cell is one of
its targets and a member's message holds every word it expects (the rule `grader validate` checks each mutant by);
the most specific match (most expected words) is the group's mistake.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from grader.mutants import Mutant

NO_MESSAGE = "(no failure message)"
"""The message of a failed cell that showed none (scored below its points without an error output)."""
MAX_PATTERN = 400
"""Characters of a normalised message kept as its group's key."""

_HEX = re.compile(r"\b0x[0-9a-fA-F]+\b")
_QUOTED = re.compile(r"'[^'\n]{0,80}'|\"[^\"\n]{0,80}\"")
_NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?(?![\w])")
_NUMBER_RUN = re.compile(r"#(?:[\s,]+#)+")
_ARRAY = re.compile(r"\[[\[\]#…\s,.]*#[\[\]#…\s,.]*\]")
_SPACE = re.compile(r"\s+")


def normalise(message: str, names: Sequence[str] = ()) -> str:
    """The message with every number made ``#``, runs and arrays of numbers ``[…]``, quoted text ``'…'``,
    addresses ``0x…`` and each of `names` (student ids) ``<student>``; whitespace collapsed."""
    text = _HEX.sub("0x…", message)
    if any(names):
        text = _names(tuple(names)).sub("<student>", text)
    text = _QUOTED.sub("'…'", text)
    text = _NUMBER.sub("#", text)
    text = _NUMBER_RUN.sub("#…", text)
    text = _ARRAY.sub("[…]", text)
    return _SPACE.sub(" ", text).strip()[:MAX_PATTERN]


@functools.lru_cache(maxsize=8)
def _names(names: tuple[str, ...]) -> re.Pattern[str]:
    """One pattern for every name (a class's student ids), longest first, each a whole word."""
    alternatives = "|".join(re.escape(n) for n in sorted(filter(None, names), key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)")


@dataclass
class FailureGroup:
    """Students whose failure of one test cell reads the same once normalised.

    cell:     the test cell's name
    pattern:  the normalised message
    example:  one member's message as it was
    students: the members, sorted
    mistake:  the library's mistake it matches (the most specific), None when none does
    also:     other mistakes it matches, by name
    """

    cell: str
    pattern: str
    example: str
    students: list[str] = field(default_factory=list)
    mistake: Mutant | None = None
    also: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.students)


def matches(mutant: Mutant, cell: str, message: str) -> bool:
    """Is `message`, of test cell `cell`, what `mutant` produces: `cell` among its targets, every expected word in it
    (case-insensitive)?"""
    text = message.lower()
    return cell in mutant.targets and all(word.lower() in text for word in mutant.expect)


def group_failures(cell: str, failures: Mapping[str, Sequence[str]], mistakes: Sequence[Mutant] = (),
                   names: Sequence[str] = ()) -> list[FailureGroup]:
    """The groups of one test cell, most students first (then by pattern). `failures` maps each student who failed
    it to the cell's messages (the first, the hidden test's, names the group; none gives `NO_MESSAGE`)."""
    groups: dict[str, FailureGroup] = {}
    texts: dict[str, list[str]] = {}
    for student in sorted(failures):
        messages = [m for m in failures[student] if m.strip()]
        first = messages[0] if messages else NO_MESSAGE
        pattern = normalise(first, names)
        group = groups.setdefault(pattern, FailureGroup(cell, pattern, first))
        group.students.append(student)
        texts.setdefault(pattern, []).append(" ".join(messages))
    for pattern, group in groups.items():
        found = [m for m in mistakes if any(matches(m, cell, text) for text in texts[pattern])]
        found.sort(key=lambda m: (-len(m.expect), -sum(len(w) for w in m.expect)))  # stable: library order on ties
        if found:
            group.mistake = found[0]
            group.also = [m.name for m in found[1:]]
    return sorted(groups.values(), key=lambda g: (-g.count, g.pattern))
