"""Tamper detection: a snapshot of the modules grading relies on, taken before student code runs, and a check.

A student's code runs in the same process as the tests that grade it, so it can replace ``np.allclose`` with a
function that always says True, swap a ``grader.checks`` function for a no-op, or give IPython a custom exception
handler that swallows the failing test's AssertionError. None of that can be prevented from inside the process,
but all of it leaves a trace: an attribute of a module or class that is no longer the object it was. `Snapshot`
records, for every attribute of the watched modules and of the (mutable) classes they define, the object it held,
each module's ``sys.modules`` entry and type, and the code, defaults and keyword defaults of every Python function
among them (a function's ``__code__`` can be swapped in place). `Snapshot.changes` says what differs. New attributes
are not changes (NumPy adds its lazily imported submodules; a student may add ``np.float = float``).

Used twice: the fork engine takes one in the warm server and checks it around graded cells (`grader.engine.child`),
and ``grader.checks`` takes its own at import and checks it around every check. What it cannot stop (code written
to find and disarm this very check) is in docs/security.md.

Comparing ~17,000 attributes one by one costs about a millisecond a check, and ten more on a forked child's first
check: taking a reference writes the object's reference count, so the child copies every page the objects live on.
`_Tripwires` is the fast path on CPython: it reads, straight from memory and in one NumPy gather, the version tag
CPython bumps on every change of a dict and the code, defaults and keyword-defaults pointers of every watched
function, without touching the objects. Only a namespace whose tag moved is compared attribute by attribute.
"""

from __future__ import annotations

import functools
import gc
import os
import sys
import sysconfig
import types
from collections.abc import Callable, Iterable, Mapping
from itertools import chain
from operator import attrgetter, is_, itemgetter
from typing import Any

_MISSING = object()
FUNCTION_PARTS = ("__code__", "__defaults__", "__kwdefaults__")
"""Attributes of a Python function that change what it does without replacing it."""
_PARTS = attrgetter(*FUNCTION_PARTS)
_IMMUTABLE = 1 << 8
"""``Py_TPFLAGS_IMMUTABLETYPE``: classes written in C whose attributes cannot be set (``numpy.ndarray``, ``int``)."""


def _function_of(value: Any) -> types.FunctionType | None:
    """The Python function behind ``value``: itself, or the implementation a NumPy array-function dispatcher
    (``np.allclose``, ``np.isclose``...) calls."""
    if isinstance(value, types.FunctionType):
        return value
    if type(value).__name__ == "_ArrayFunctionDispatcher":
        function = getattr(value, "_implementation", None)
        return function if isinstance(function, types.FunctionType) else None
    return None


def module_names(patterns: Iterable[str]) -> list[str]:
    """Loaded modules matching ``patterns`` (``numpy.*`` is numpy and every loaded module under it)."""
    loaded = [name for name, module in list(sys.modules.items()) if isinstance(module, types.ModuleType)]
    names = set()
    for pattern in patterns:
        prefix = pattern[:-2] if pattern.endswith(".*") else None
        names.update(n for n in loaded if n == pattern or (prefix and (n == prefix or n.startswith(prefix + "."))))
    return sorted(names)


def trusted_roots(packages: Iterable[str] = ()) -> list[str]:
    """Folders code may legitimately come from: the interpreter's and the environment's library folders, plus
    the folders of the (imported) top-level ``packages`` (each as given and with symlinks resolved)."""
    roots = {sys.prefix, sys.base_prefix, sys.exec_prefix, *sysconfig.get_paths().values()}
    for name in packages:
        module = sys.modules.get(name)
        if getattr(module, "__file__", None):
            roots.add(os.path.dirname(module.__file__))
    return sorted({path for root in roots if root for path in (os.path.abspath(root), os.path.realpath(root))})


@functools.lru_cache(maxsize=4096)
def _real_file(name: str) -> str:
    return name if name.startswith("<") else os.path.realpath(name)


def _code_file(function: types.FunctionType) -> str:
    return _real_file(function.__code__.co_filename)


class Snapshot:
    """The state of some modules' namespaces at one moment; `changes` compares the present with it.

    ``modules``: module names or ``prefix.*`` patterns (modules not loaded are skipped: import what must be
    watched first). ``probes``: (label, zero-argument function) pairs whose result must stay *equal* to what it was
    (e.g. the custom exception handlers of an IPython shell). ``trusted``: folders (`trusted_roots`); when given, a
    module-level function of a watched module whose code comes from anywhere else (a notebook cell, a file the
    student wrote) is a change from the start. That catches what was replaced before the snapshot, as happens when
    a test cell first imports ``grader.checks`` in a kernel, after the student's cells ran. ``ignore``: attributes
    (``"builtins.input"``) that legitimately change (ipykernel and the engine swap ``input`` per notebook).
    ``fast=False`` compares every attribute at every check, as happens anyway where `_Tripwires` cannot vouch for
    the interpreter's memory layout.
    """

    def __init__(self, modules: Iterable[str], probes: Iterable[tuple[str, Callable[[], Any]]] = (),
                 trusted: Iterable[str] | None = None, ignore: Iterable[str] = (), fast: bool = True) -> None:
        self.modules = module_names(modules)
        self._ignore = set(ignore)
        self._spaces: list[tuple[str, Mapping[str, Any], tuple[str, ...], Callable[[Any], Any], tuple[Any, ...]]] = []
        self._functions: list[tuple[str, types.FunctionType, bool]] = []  # (label, function, module-level)
        self._seen: set[int] = set()
        mods = {name: sys.modules[name] for name in self.modules}
        self._add("sys.modules", sys.modules, tuple(mods))
        self._types = tuple(type(module) for module in mods.values())
        for name, module in mods.items():
            self._watch(name, vars(module), name)
        del self._seen
        self._parts = tuple(chain.from_iterable(_PARTS(f) for _, f, _ in self._functions))
        self._probes = [(label, probe, probe()) for label, probe in probes]
        self._foreign: list[str] = []
        if trusted is not None:
            roots = ("<frozen", *(os.path.join(root, "") for root in trusted))
            self._foreign = [f"{label} was replaced by code from {_code_file(f)}" for label, f, top in self._functions
                             if top and not (f.__code__.co_filename.startswith(roots)
                                             or _code_file(f).startswith(roots))]
        self._tripwires = _Tripwires.build(
            [namespace for _, namespace, _, _, _ in self._spaces], [f for _, f, _ in self._functions]) if fast else None

    @property
    def fast(self) -> bool:
        """Does `changes` take the fast path (`_Tripwires`)?"""
        return self._tripwires is not None

    def _add(self, label: str, namespace: Mapping[str, Any], keys: tuple[str, ...]) -> None:
        if keys:
            getter = itemgetter(*keys) if len(keys) > 1 else (lambda ns, key=keys[0]: (ns[key],))
            self._spaces.append((label, namespace, keys, getter, tuple(getter(namespace))))

    def _watch(self, label: str, namespace: Mapping[str, Any], module: str | None) -> None:
        items = [(key, value) for key, value in namespace.items() if f"{label}.{key}" not in self._ignore]
        self._add(label, namespace, tuple(k for k, _ in items))
        for key, value in items:
            function = _function_of(value)
            if function is not None and id(function) not in self._seen:  # NumPy exports a function many times
                self._seen.add(id(function))
                self._functions.append((f"{label}.{key}", function, module is not None))
            own_class = isinstance(value, type) and module is not None and value.__module__ == module
            if own_class and not value.__flags__ & _IMMUTABLE and id(value) not in self._seen:
                self._seen.add(id(value))
                self._watch(f"{label}.{key}", vars(value), None)  # one level deep: a class's methods

    def __len__(self) -> int:
        return sum(len(keys) for _, _, keys, _, _ in self._spaces) + len(self._parts) + len(self._probes)

    def changes(self, limit: int = 5) -> list[str]:
        """What differs from the snapshot, as at most ``limit`` phrases (``numpy.allclose was replaced``).

        Identity, never equality: an impostor whose ``__eq__`` says True is still an impostor. When nothing changed
        (the common case) the comparison runs in C."""
        found = list(self._foreign)
        wires = self._tripwires
        moved = range(len(self._spaces)) if wires is None else wires.moved_namespaces()
        for index in moved:
            label, namespace, keys, getter, values = self._spaces[index]
            try:
                if all(map(is_, getter(namespace), values)):
                    if wires is not None:
                        wires.vouch(index)  # changed, but not what is watched: fast again until it changes again
                    continue
            except KeyError:
                pass
            for key, value in zip(keys, values, strict=True):
                current = namespace.get(key, _MISSING)
                if current is not value:
                    what = "deleted" if current is _MISSING else "replaced"
                    found.append(f"sys.modules[{key!r}] was {what}" if namespace is sys.modules
                                 else f"{label}.{key} was {what}")
        modules = [sys.modules.get(name) for name in self.modules]
        if not all(map(is_, map(type, modules), self._types)):
            found += [f"the module {name} was given another class" for name, module, kind
                      in zip(self.modules, modules, self._types, strict=True) if type(module) is not kind]
        if (wires is None or wires.functions_moved()) and not all(
                map(is_, chain.from_iterable(map(_PARTS, (f for _, f, _ in self._functions))), self._parts)):
            for index, (label, function, _) in enumerate(self._functions):
                found += [f"{label}.{part} was replaced" for offset, part in enumerate(FUNCTION_PARTS)
                          if getattr(function, part) is not self._parts[3 * index + offset]]
        for label, probe, value in self._probes:
            try:
                same = bool(probe() == value)
            except Exception:
                same = False
            if not same:
                found.append(f"{label} changed")
        return found[:limit]


class _Tripwires:
    """What changed among watched dicts and functions, read from raw memory without touching a Python object.

    CPython (3.11 here) keeps in every dict a 64-bit version tag, renewed from a global counter by every insertion,
    replacement and deletion, 24 bytes into the object (after the header and ``ma_used``), and in every function its
    ``__code__``, ``__defaults__`` and ``__kwdefaults__`` pointers 48, 56 and 64 bytes in (NULL for None). An
    object's address is its ``id``. One read-only NumPy array viewing the address span of all of them, read only at
    those addresses and only of objects the snapshot keeps alive, gathers the words in one C loop.

    `build` checks that layout on the objects themselves (``ma_used`` against ``len`` for every dict, the pointers
    against ``id`` for every function, a probe dict whose tag must move when it changes) and returns None, which
    leaves the slow path, when anything disagrees: another interpreter, or a view that is not this process's memory.
    """

    _USED, _TAG, _CODE = 16, 24, 48

    def __init__(self, memory: Any, base: int, dicts: list[dict[str, Any]], functions: list[types.FunctionType],
                 ) -> None:
        import numpy as np

        self._np = np
        self._memory = memory
        self._dicts = dicts  # keeps the dicts (and, through the snapshot, the functions) at their addresses
        to_slot = functools.partial(self._slots, base)
        self._tag_slots = to_slot([id(d) + self._TAG for d in dicts])
        self._function_slots = to_slot([id(f) + self._CODE + 8 * k for f in functions for k in range(3)])
        self._tags = self._read(self._tag_slots)
        self._pointers = self._read(self._function_slots).tobytes()

    def _slots(self, base: int, addresses: list[int]) -> Any:
        return self._np.array([(address - base) // 8 for address in addresses], dtype=self._np.intp)

    def _read(self, slots: Any) -> Any:
        return self._memory[slots]  # a gather in C: no Python object is touched, no page written

    @classmethod
    def build(cls, namespaces: list[Mapping[str, Any]], functions: list[types.FunctionType]) -> _Tripwires | None:
        if sys.implementation.name != "cpython" or "numpy" not in sys.modules:
            return None
        dicts = [_dict_of(namespace) for namespace in namespaces]
        if any(d is None for d in dicts):
            return None
        probe: dict[str, int] = {"a": 1}
        addresses = [id(d) for d in (*dicts, probe)] + [id(f) for f in functions]
        base, top = min(addresses), max(addresses) + 128
        np = sys.modules["numpy"]
        memory = np.asarray(_RawSpan(base, top - base))
        word = functools.partial(cls._word, memory, base)
        tag = word(id(probe) + cls._TAG)
        probe["a"] = 2
        if word(id(probe) + cls._USED) != 1 or word(id(probe) + cls._TAG) == tag:
            return None
        if any(word(id(d) + cls._USED) != len(d) for d in dicts):
            return None
        parts = (tuple(0 if part is None else id(part) for part in _PARTS(f)) for f in functions)  # None is NULL
        if any((word(id(f) + cls._CODE), word(id(f) + cls._CODE + 8), word(id(f) + cls._CODE + 16)) != expected
               for f, expected in zip(functions, parts, strict=True)):
            return None
        return cls(memory, base, dicts, functions)

    @staticmethod
    def _word(memory: Any, base: int, address: int) -> int:
        return int(memory[(address - base) // 8])

    # The checks below call only methods of ndarray (a C type no code can patch), never a function of the numpy
    # module, which a notebook could replace before the check that would notice it.

    def moved_namespaces(self) -> list[int]:
        """Indexes of the dicts whose tag is not the one recorded (or vouched for) last."""
        return (self._read(self._tag_slots) != self._tags).nonzero()[0].tolist()

    def vouch(self, index: int) -> None:
        """Dict ``index`` was compared attribute by attribute and found as it was: record its tag as it is now."""
        self._tags[index] = self._memory[self._tag_slots[index]]

    def functions_moved(self) -> bool:
        return self._read(self._function_slots).tobytes() != self._pointers


class _RawSpan:
    """``length`` bytes of this process's memory from ``address``, as NumPy's array interface (64-bit words)."""

    def __init__(self, address: int, length: int) -> None:
        self.__array_interface__ = {"data": (address, True), "shape": (length // 8,), "typestr": "<u8",
                                    "version": 3}


def _dict_of(namespace: Mapping[str, Any]) -> dict[str, Any] | None:
    """The dict behind a namespace: itself, or the one a class's ``mappingproxy`` shows."""
    if type(namespace) is dict:
        return namespace
    if isinstance(namespace, types.MappingProxyType):
        inner = [d for d in gc.get_referents(namespace) if isinstance(d, dict)]  # ctypes types: a dict subclass
        return inner[0] if len(inner) == 1 else None
    return None


def describe(changes: list[str]) -> str:
    """One sentence for a student: what was modified, and why the grading stops trusting the notebook."""
    return (f"code in this notebook modified what the grading relies on ({'; '.join(changes)}); tests cannot be "
            "trusted after that, so they fail. Remove the code that replaces or patches NumPy, grader.checks or "
            "IPython")
