"""Does the tamper guard see every way a notebook can change what grading relies on, and nothing else?

`Snapshot` is tested on a throwaway module; the engine's use of it is in engine/test_engine_guard.py.
"""

from __future__ import annotations

import sys
import types
from collections.abc import Iterator
from typing import Any

import pytest

from grader.guard import Snapshot, trusted_roots

SOURCE = '''
import math

def tolerance(scale=1.0, *, floor=1e-8):
    return floor * scale

class Judge:
    def verdict(self, value):
        return value == 42

CONSTANT = 3
'''


@pytest.fixture
def victim() -> Iterator[types.ModuleType]:
    """A module named ``victim_pkg_for_guard`` whose code file lies in a (fake) trusted folder."""
    module = types.ModuleType("victim_pkg_for_guard")
    module.__file__ = "/trusted/victim_pkg_for_guard.py"
    exec(compile(SOURCE, module.__file__, "exec"), vars(module))
    for value in vars(module).values():
        if isinstance(value, type):
            value.__module__ = module.__name__
    sys.modules[module.__name__] = module
    yield module
    del sys.modules[module.__name__]


@pytest.fixture(params=[True, False], ids=["fast", "slow"])
def fast(request: pytest.FixtureRequest) -> bool:
    """Every test of `Snapshot` runs on both paths: the tripwires read from memory, and attribute by attribute."""
    return request.param


@pytest.fixture
def snapshot(fast: bool) -> Any:
    def make(**kwargs: Any) -> Snapshot:
        guard = Snapshot(["victim_pkg_for_guard"], fast=fast, **kwargs)
        assert guard.fast is fast  # on CPython the fast path must be taken, not silently fall back
        return guard

    return make


def test_an_untouched_module_has_no_changes(victim: types.ModuleType, snapshot) -> None:
    assert snapshot().changes() == []


@pytest.mark.parametrize(
    ("tamper", "words"),
    [
        (lambda m: setattr(m, "tolerance", lambda *a, **k: 1e9), "victim_pkg_for_guard.tolerance was replaced"),
        (lambda m: delattr(m, "CONSTANT"), "victim_pkg_for_guard.CONSTANT was deleted"),
        (lambda m: setattr(m.tolerance, "__code__", (lambda scale=1.0, *, floor=1e-8: 1e9).__code__),
         "tolerance.__code__ was replaced"),
        (lambda m: setattr(m.tolerance, "__defaults__", (1e12,)), "tolerance.__defaults__ was replaced"),
        (lambda m: setattr(m.tolerance, "__defaults__", None), "tolerance.__defaults__ was replaced"),
        (lambda m: vars(m).__setitem__("CONSTANT", 4), "victim_pkg_for_guard.CONSTANT was replaced"),
        (lambda m: vars(m).pop("CONSTANT"), "victim_pkg_for_guard.CONSTANT was deleted"),
        (lambda m: setattr(m.tolerance, "__kwdefaults__", {"floor": 1.0}), "tolerance.__kwdefaults__ was replaced"),
        (lambda m: setattr(m.Judge, "verdict", lambda self, value: True), "Judge.verdict was replaced"),
        (lambda m: sys.modules.__setitem__(m.__name__, types.ModuleType("fake")),
         "sys.modules['victim_pkg_for_guard']"),
        (lambda m: setattr(m, "__class__", type("Other", (types.ModuleType,), {})), "was given another class"),
    ],
    ids=["function", "deleted", "code", "defaults", "no defaults", "dict item", "dict popped", "kwdefaults",
         "method", "sys.modules", "module class"],
)
def test_every_kind_of_tampering_is_named(victim: types.ModuleType, snapshot, tamper: Any, words: str) -> None:
    guard = snapshot()
    tamper(victim)
    assert any(words in change for change in guard.changes()), guard.changes()


def test_an_impostor_that_claims_equality_is_still_caught(victim: types.ModuleType, snapshot) -> None:
    """Identity, not ==: an object whose __eq__ always says True does not pass for the original."""

    class Impostor:
        def __eq__(self, other: object) -> bool:
            return True

        __hash__ = object.__hash__

    guard = snapshot()
    victim.CONSTANT = Impostor()
    assert guard.changes() == ["victim_pkg_for_guard.CONSTANT was replaced"]


def test_new_attributes_are_not_tampering(victim: types.ModuleType, snapshot) -> None:
    """A student may add np.float = float, NumPy adds its lazy submodules: neither is a change."""
    guard = snapshot()
    victim.extra = object()
    assert guard.changes() == []


def test_a_replacement_made_before_the_snapshot_is_caught_by_where_its_code_lives(victim: types.ModuleType,
                                                                                  snapshot) -> None:
    """With `trusted` folders, a function whose code comes from a notebook cell is a change from the start."""
    assert snapshot(trusted=["/trusted"]).changes() == []
    victim.tolerance = eval("lambda *a, **k: 1e9")  # code from "<string>", as a cell's would be from a kernel file
    assert snapshot(trusted=["/trusted"]).changes() == ["victim_pkg_for_guard.tolerance was replaced by code from "
                                                        "<string>"]
    assert any(root.endswith("site-packages") for root in trusted_roots(["numpy"]))


def test_a_change_is_reported_at_every_check_and_an_undone_one_no_longer(victim: types.ModuleType, snapshot) -> None:
    """The fast path re-records a namespace's version only after comparing it whole and finding it as it was: a
    change stays visible until it is undone, and a change after that is seen again."""
    guard = snapshot()
    original = victim.tolerance
    victim.tolerance = print
    assert guard.changes() == guard.changes() == ["victim_pkg_for_guard.tolerance was replaced"]
    victim.tolerance = original
    victim.extra = 1
    assert guard.changes() == guard.changes() == []
    victim.Judge.verdict = lambda self, value: True
    assert guard.changes() == ["victim_pkg_for_guard.Judge.verdict was replaced"]


def test_probes_compare_by_equality(victim: types.ModuleType, snapshot) -> None:
    handlers: list[Any] = []
    guard = snapshot(probes=[("the handlers", lambda: tuple(handlers))])
    assert guard.changes() == []
    handlers.append(print)
    assert guard.changes() == ["the handlers changed"]
