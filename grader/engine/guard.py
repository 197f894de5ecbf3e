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
and ``grader.checks`` takes its own at import and checks it around every check. A check of ~15,000 attributes
costs under a millisecond. What it cannot stop (code written to find and disarm this very check) is in
docs/security.md.
"""

from __future__ import annotations

import functools
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
    """

    def __init__(self, modules: Iterable[str], probes: Iterable[tuple[str, Callable[[], Any]]] = (),
                 trusted: Iterable[str] | None = None, ignore: Iterable[str] = ()) -> None:
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
        for label, namespace, keys, getter, values in self._spaces:
            try:
                if all(map(is_, getter(namespace), values)):
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
        if not all(map(is_, chain.from_iterable(map(_PARTS, (f for _, f, _ in self._functions))), self._parts)):
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


def describe(changes: list[str]) -> str:
    """One sentence for a student: what was modified, and why the grading stops trusting the notebook."""
    return (f"code in this notebook modified what the grading relies on ({'; '.join(changes)}); tests cannot be "
            "trusted after that, so they fail. Remove the code that replaces or patches NumPy, grader.checks or "
            "IPython")
