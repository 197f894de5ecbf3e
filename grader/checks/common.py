"""The safety layer of every check: run a student's code quietly and turn its results into trusted values.

- :func:`quiet` swallows warnings and stderr writes (nbgrader gives zero to a test cell that writes to stderr);
- :func:`call_student` turns an exception in the student's code into an AssertionError naming the call, with a hint
  for the usual causes;
- :func:`as_float_array` and :func:`as_number` return plain float64 values after checking type, shape and dtype, so
  that no student object is ever compared with its own ``__eq__``;
- :data:`np` is NumPy as it was when ``grader.checks`` was imported: a namespace of private references to its
  functions (and to those of ``np.random``, ``np.linalg``, ``np.testing``), so ``np.allclose = lambda *a: True``
  in a notebook changes nothing the checks call (`grader.checks.seal` points a course's check modules at it too).
"""

from __future__ import annotations

import contextlib
import io
import numbers
import types
import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import Any, NoReturn

import numpy
import numpy.linalg
import numpy.random
import numpy.testing  # imported so that the guard watches it: test cells may call np.testing


def _private(module: types.ModuleType) -> types.SimpleNamespace:
    return types.SimpleNamespace(**vars(module))


np = _private(numpy)
np.random, np.linalg, np.testing = _private(numpy.random), _private(numpy.linalg), _private(numpy.testing)
"""NumPy's namespace as it was at import: the checks call these references, never numpy's live attributes."""


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


def as_float_array(value: Any, name: str, shape: tuple[int, ...], function: str, *, column: bool = False,
                   layout: str = "") -> np.ndarray:
    """A float64 copy of ``value`` (a base-class ndarray), after checking it is a float64 array of ``shape``.

    The messages name the usual causes: a single number (``rng.normal(a, b)`` reads a and b as mean and std), a
    list, a 1-D or a transposed array, a row instead of a ``column``, an integer or float32 dtype. ``layout`` is
    added to the message for a transposed array: what the rows and columns mean in the course's convention.
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
                fail(function, f"{name} has shape {got}, a row; it must be a column of shape {shape}")
            why = f". {layout}" if layout else ""
            fail(function, f"{name} has shape {got} but must be {shape}: it is transposed{why}")
        if base.ndim == 1 and got[0] == shape[0]:
            fail(
                function,
                f"{name} has shape {got}, a 1-D array; it must be 2-D with shape {shape}"
                + (f": a column, e.g. np.zeros({shape})" if column else ""),
            )
        fail(function, f"{name} has shape {got} but must have shape {shape}")
    if base.dtype != np.float64:
        fail(
            function,
            f"{name} has dtype {base.dtype}; it must be float64 (np.zeros and rng.standard_normal give float64 "
            f"unless you ask for another dtype)",
        )
    array = np.array(base, dtype=np.float64)
    if not np.all(np.isfinite(array)):
        fail(function, f"{name} contains inf or NaN")
    return array


def only(fn: Callable[..., Any], keys: Sequence[str]) -> Callable[..., Any]:
    """``fn`` asked to send back, of the mapping it returns, the arrays under ``keys`` only, for a check that judges
    part of a large result: in the judge (`grader.judge`) the other arrays arrive as zeros of their shape and dtype
    (check their shape, not their values) instead of crossing the channel. In the notebook's process, ``fn``."""
    from grader.judge.session import Remote

    return fn.only(keys) if isinstance(fn, Remote) else fn


def as_number(value: Any, function: str) -> float:
    """A plain float from a Python or NumPy real number (or a 0-d array); anything else fails with a message."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Real, np.floating, np.integer)):
        fail(function, f"must return one number (a float); got a {type(value).__name__}")
    return float(value)
