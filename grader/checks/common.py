"""The safety layer of every check: run a student's code quietly, turn its results into trusted values, and refuse
to judge when the student's code has tampered with what judging relies on.

- :func:`quiet` swallows warnings and stderr writes (nbgrader gives zero to a test cell that writes to stderr);
- :func:`call_student` turns an exception in the student's code into an AssertionError naming the call, with a hint
  for the usual causes;
- :func:`as_float_array` and :func:`as_params` return plain float64 copies after checking type, shape and dtype,
  so that no student object is ever compared with its own ``__eq__``;
- :data:`np` is NumPy as it was when ``grader.checks`` was imported: a namespace of private references to its
  functions (and to those of ``np.random``, ``np.linalg``, ``np.testing``), so ``np.allclose = lambda *a: True``
  in a notebook changes nothing the checks call;
- :func:`seal` (run once, at the end of the package's ``__init__``) takes a `grader.engine.guard.Snapshot` of NumPy,
  ``reference``, ``grader.checks``, ``math``, ``operator`` and ``builtins``, wraps every public ``check_*`` so that
  it fails with a clear message when any of them was modified (before or during the check), points every checks
  module's ``np`` at the private namespace, and makes the ``grader.checks`` modules refuse to have their functions
  replaced (``checks.check_shapes = lambda *a: None`` raises AttributeError; a function swapped through
  ``vars()`` raises AssertionError when a test cell looks it up).
"""

from __future__ import annotations

import contextlib
import functools
import io
import sys
import types
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, NoReturn

import numpy
import numpy.linalg
import numpy.random
import numpy.testing  # imported so that the guard watches it: test cells may call np.testing

from grader.engine.guard import Snapshot, describe, module_names, trusted_roots


def _private(module: types.ModuleType) -> types.SimpleNamespace:
    return types.SimpleNamespace(**vars(module))


np = _private(numpy)
np.random, np.linalg, np.testing = _private(numpy.random), _private(numpy.linalg), _private(numpy.testing)
"""NumPy's namespace as it was at import: the checks call these references, never numpy's live attributes."""

WATCHED = ("numpy.*", "reference.*", "grader.checks.*", "grader", "math", "operator", "builtins")
"""What the checks rely on (`grader.engine.guard` patterns); modified by the student's code, a check fails."""
UNWATCHED = ("builtins.input", "builtins.exit", "builtins.quit", "builtins.get_ipython")
"""Not the student's doing: ``input`` is swapped by ipykernel around every cell and by the fork engine in every
notebook; IPython's builtin trap hides ``exit``/``quit`` and adds ``get_ipython`` while a cell runs."""
TRUSTED_PACKAGES = ("numpy", "reference", "grader")
_snapshot: list[Snapshot] = []


def integrity_problems() -> list[str]:
    """What the student's code modified among :data:`WATCHED` (empty before :func:`seal` and when untouched)."""
    return _snapshot[0].changes() if _snapshot else []


def _verify(check: str) -> None:
    problems = integrity_problems()
    if problems:
        raise AssertionError(f"{check}: {describe(problems)}")


def guarded(check: Callable[..., Any]) -> Callable[..., Any]:
    """``check`` that first and last verifies :data:`WATCHED` is untouched (the student's code runs in between)."""

    @functools.wraps(check)
    def run_check(*args: Any, **kwargs: Any) -> Any:
        _verify(check.__name__)
        try:
            return check(*args, **kwargs)
        finally:
            _verify(check.__name__)  # tampering during the check outranks its verdict

    run_check.__guarded__ = True  # type: ignore[attr-defined]
    return run_check


def _seal_module(module: types.ModuleType, names: Sequence[str]) -> None:
    """Make ``names`` of ``module`` impossible to rebind, and a lookup of a name swapped behind its back fail."""
    originals = {name: vars(module)[name] for name in names if name in vars(module)}
    label = module.__name__

    class SealedModule(types.ModuleType):
        def __setattr__(self, name: str, value: Any) -> None:
            if name == "__class__" or (name in originals and value is not originals[name]):
                raise AttributeError(f"{label}.{name} is part of the grading and cannot be replaced")
            super().__setattr__(name, value)

        def __delattr__(self, name: str) -> None:
            if name in originals:
                raise AttributeError(f"{label}.{name} is part of the grading and cannot be deleted")
            super().__delattr__(name)

        def __getattribute__(self, name: str) -> Any:
            value = super().__getattribute__(name)
            if name in originals and value is not originals[name]:
                raise AssertionError(f"{label}.{name} was replaced by code in this notebook; the grading cannot "
                                     "trust it, so this test fails")
            return value

    module.__class__ = SealedModule


def seal(package: str) -> None:
    """Arm the checks of ``package`` (``grader.checks``): see the module docstring. Idempotent."""
    if _snapshot or package not in sys.modules:
        return
    root = sys.modules[package]
    for name in module_names([f"{package}.*"]):
        module = sys.modules[name]
        if vars(module).get("np") is numpy:
            module.np = np
    for name in getattr(root, "__all__", ()):
        value = vars(root).get(name)
        if name.startswith("check_") and callable(value) and not getattr(value, "__guarded__", False):
            setattr(root, name, guarded(value))
    for name in module_names([f"{package}.*"]):
        module = sys.modules[name]
        _seal_module(module, [n for n in vars(module) if not n.startswith("__")])
    parent, _, child = package.rpartition(".")
    if parent:
        vars(sys.modules[parent]).setdefault(child, root)
        _seal_module(sys.modules[parent], [child])
    _snapshot.append(Snapshot(WATCHED, trusted=trusted_roots(TRUSTED_PACKAGES), ignore=UNWATCHED))


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Swallow Python warnings, NumPy floating-point warnings and stderr writes made inside the block."""
    with warnings.catch_warnings(), np.errstate(all="ignore"), contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        yield


def fail(function: str, message: str) -> NoReturn:
    """Raise the AssertionError a test cell shows: ``"<function>: <message>"``."""
    raise AssertionError(f"{function}: {message}")


_ERROR_HINTS: dict[str, str] = {
    "cannot be interpreted as an integer": (
        "np.random.randn and np.random.rand take the sizes as separate numbers (randn(3, 2), not randn((3, 2))); "
        "with a Generator pass the shape as one tuple: rng.standard_normal((n_l, n_prev))"
    ),
    "NotImplementedError": "the function is not written yet (it still raises NotImplementedError)",
}
"""Substrings of an exception raised by the student's code -> a hint about the usual cause."""


def call_student(function: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)`` run quietly; an exception becomes an AssertionError naming the call and a hint."""
    if not callable(fn):
        fail(function, f"{function} is not a function (it is a {type(fn).__name__})")
    try:
        with quiet():
            return fn(*args, **kwargs)
    except Exception as error:  # the student's code may raise anything: report it, do not crash the check
        text = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
        hint = next((h for key, h in _ERROR_HINTS.items() if key in text), None)
        shown = ", ".join([_short(a) for a in args] + [f"{k}={_short(v)}" for k, v in kwargs.items()])
        fail(function, f"calling {function}({shown}) raised {text}" + (f". Hint: {hint}" if hint else ""))


def _short(value: Any) -> str:
    if isinstance(value, np.random.Generator):
        return "rng"
    if isinstance(value, np.ndarray):
        return f"<array of shape {value.shape}>"
    text = repr(value)
    if " at 0x" in text:  # a default repr: an address means nothing to a student, the type name may
        return getattr(value, "__name__", None) or f"<{type(value).__name__}>"
    return text


def as_float_array(value: Any, name: str, shape: tuple[int, ...], function: str, *, column: bool = False) -> np.ndarray:
    """A float64 copy of ``value`` (a base-class ndarray), after checking it is a float64 array of ``shape``.

    The messages name the usual causes: a single number (``rng.normal(a, b)`` reads a and b as mean and std), a
    list, a 1-D or a transposed array, a row instead of a column, an integer or float32 dtype.
    """
    number = isinstance(value, (float, int, np.number)) and not isinstance(value, (bool, np.bool_))
    if number or (isinstance(value, np.ndarray) and value.ndim == 0):
        fail(
            function,
            f"{name} is a single number ({float(value):.4g}), not an array of shape {shape}. rng.normal(a, b) "
            f"reads a and b as the mean and the standard deviation and returns ONE number: pass the shape as "
            f"size=..., e.g. rng.normal(0.0, std, size={shape}), or use rng.standard_normal({shape}) * std",
        )
    if not isinstance(value, np.ndarray):
        fail(function, f"{name} must be a NumPy array of shape {shape}; got a {type(value).__name__}")
    base = np.asarray(value)  # a plain ndarray view: a subclass cannot fake its dtype or shape here
    got = tuple(int(n) for n in base.shape)
    if got != shape:
        if len(shape) == 2 and got == shape[::-1] and shape[0] != shape[1]:
            if column:
                fail(function, f"{name} has shape {got}, a row; it must be a column of shape {shape}: (n_l, 1)")
            fail(
                function,
                f"{name} has shape {got} but must be {shape} = (n_l, n_(l-1)): it is transposed. Row i of W_l holds "
                f"the incoming weights of unit i of layer l, so W_l has one row per unit of layer l and one column "
                f"per unit of layer l-1 (Z_l = W_l A_(l-1) + b_l)",
            )
        if base.ndim == 1 and got[0] == shape[0]:
            fail(
                function,
                f"{name} has shape {got}, a 1-D array; it must be 2-D with shape {shape}"
                + (": a column, e.g. np.zeros((n_l, 1))" if column else ""),
            )
        fail(function, f"{name} has shape {got} but must have shape {shape}")
    if base.dtype != np.float64:
        fail(
            function,
            f"{name} has dtype {base.dtype}; parameters must be float64 (np.zeros and rng.standard_normal give "
            f"float64 unless you ask for another dtype)",
        )
    array = np.array(base, dtype=np.float64)
    if not np.all(np.isfinite(array)):
        fail(function, f"{name} contains inf or NaN")
    return array


def as_params(value: Any, layer_dims: Sequence[int], function: str) -> dict[str, np.ndarray]:
    """``{"W1": (n_1, n_0), "b1": (n_1, 1), ...}`` as float64 copies, after checking keys, shapes and dtypes."""
    if not isinstance(value, Mapping):
        fail(function, f"must return a dict {{'W1': ..., 'b1': ..., ...}}; got a {type(value).__name__}")
    L = len(layer_dims) - 1
    wanted = [f"{p}{l}" for l in range(1, L + 1) for p in ("W", "b")]
    keys = list(value.keys())
    if any(not isinstance(k, str) for k in keys):
        fail(function, f"the keys of the dict must be the strings {wanted}; got {keys!r}")
    keys = [str.__str__(k) for k in keys]
    if sorted(keys) != sorted(wanted):
        missing, extra = sorted(set(wanted) - set(keys)), sorted(set(keys) - set(wanted))
        hint = " Layers are numbered from 1 (W1 is the first weight matrix)." if "W0" in extra else ""
        fail(
            function,
            f"for layer_dims={list(layer_dims)} the dict must have exactly the keys {wanted}; "
            f"missing {missing}, unexpected {extra}.{hint}",
        )
    params: dict[str, np.ndarray] = {}
    for l in range(1, L + 1):
        n, n_prev = int(layer_dims[l]), int(layer_dims[l - 1])
        params[f"W{l}"] = as_float_array(value[f"W{l}"], f"W{l}", (n, n_prev), function)
        params[f"b{l}"] = as_float_array(value[f"b{l}"], f"b{l}", (n, 1), function, column=True)
    return params
