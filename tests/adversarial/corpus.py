"""The hostile submissions: one per attack, each with what must be true after grading besides scoring nothing.

Every attacker submits wrong answers to all three questions (worth 0) plus one attack; an attack that worked would
show as points. `Attack.expect` names what else must hold: a phrase of the grade report (the attack was seen and
named), text that must appear in or stay out of the graded notebook, a file that must stay untouched. Attacks that
only a sandbox can stop (reading the course, writing elsewhere, the network, a fork bomb run as root) say so; they
are skipped, with that reason, where bubblewrap cannot run.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell

from tests.adversarial.conftest import HIDDEN_MARKER, SECRETS, TESTS, WRONG, answers, cell, submit
from tests.grader.conftest import ASSIGNMENT


@dataclass(frozen=True)
class Target:
    """What an attack may know: the course's absolute path, a host port listening on loopback, a victim."""

    course: Path
    port: int
    victim: str = "good"


@dataclass(frozen=True)
class Attack:
    name: str
    what: str
    build: Callable[[Target, str], None]
    """Writes the submission of student ``name`` for this attack."""
    sandbox: bool = False
    """Only the bubblewrap sandbox stops it."""
    reported: tuple[str, ...] = ()
    """Phrases that must all appear in the student's grade report (its problems)."""
    shown: tuple[str, ...] = ()
    """Text that must appear in the graded notebook (the attack's own cell says what happened)."""
    or_stopped_in_time: bool = False
    """A resource attack that a slow (loaded) machine may stop at the cell's time limit before it reaches the
    resource limit: then the report names the time limit instead of `reported` and `shown`. The scores are checked
    the same either way; tests/grader/engine pins each resource limit with time to spare."""
    hidden: tuple[str, ...] = field(default=(HIDDEN_MARKER, *SECRETS.values()))
    """Text that must not appear in the graded notebook's outputs nor in the report."""


def code(source: str, where: str = "answer") -> Callable[[Target, str], None]:
    """An attack written into a solution cell, after its wrong answer."""

    def build(target: Target, student: str) -> None:
        nb = answers(target.course)
        attack = source.format(course=target.course, port=target.port, victim=target.victim)
        cell(nb, where).source = f"{WRONG[where]}\n{attack}"
        submit(target.course, student, nb)

    return build


def notebook(edit: Callable[[nbformat.NotebookNode], None]) -> Callable[[Target, str], None]:
    """An attack on the notebook's structure or metadata."""

    def build(target: Target, student: str) -> None:
        nb = answers(target.course)
        edit(nb)
        submit(target.course, student, nb)

    return build


def _points_and_flags(nb: nbformat.NotebookNode) -> None:
    for name in TESTS:
        meta = cell(nb, name).metadata.nbgrader
        meta["points"], meta["grade"] = 100, False
    cell(nb, "answer").metadata.nbgrader["points"] = 50


def _delete_tests(nb: nbformat.NotebookNode) -> None:
    nb.cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") not in TESTS]


def _tests_first(nb: nbformat.NotebookNode) -> None:
    tests = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") in TESTS]
    nb.cells = tests + [c for c in nb.cells if c not in tests]


def _tests_to_markdown(nb: nbformat.NotebookNode) -> None:
    for name in TESTS:
        test = cell(nb, name)
        test.cell_type = "markdown"
        del test["outputs"], test["execution_count"]


def _forged_grade_cell(nb: nbformat.NotebookNode) -> None:
    forged = new_code_cell("print('free points')")
    forged.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True, "points": 100,
                                   "grade_id": "bonus", "schema_version": 3}
    copied = copy.deepcopy(cell(nb, "test_answer"))
    copied.source = "pass"
    copied["id"] = "copied-test-answer"
    nb.cells[2:2] = [forged, copied]


AGREEABLE = {
    "answer": "class Anything(int):\n    def __eq__(self, other):\n        return True\n"
              "    __ne__ = lambda self, o: False\n    __hash__ = int.__hash__\nq1_first_step_W1_moves = Anything(1)",
    "init": "class Agreeable(np.ndarray):\n    def __eq__(self, other):\n        return np.ones(self.shape, bool)\n"
            "    def __ne__(self, other):\n        return np.zeros(self.shape, bool)\n"
            "def initialize_parameters_zeros(layer_dims):\n"
            "    return {f'{p}{l}': np.ones((layer_dims[l], layer_dims[l - 1] if p == 'W' else 1)).view(Agreeable)\n"
            "            for l in range(1, len(layer_dims)) for p in 'Wb'}",
    "double": "def double(x):\n    return Anything(0)",
}


def _agreeable(target: Target, student: str) -> None:
    submit(target.course, student, answers(target.course, **AGREEABLE))


def _invalid_json(target: Target, student: str) -> None:
    submit(target.course, student, raw=b'{"cells": [ {"cell_type": "code", this is not json')


def _huge_notebook(target: Target, student: str) -> None:
    path = submit(target.course, student, raw=b'{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}')
    with path.open("r+b") as file:
        file.truncate(1 << 30)  # 1 GB, sparse: nothing is written to disk


def _symlinks(target: Target, student: str) -> None:
    nb = answers(target.course)
    cell(nb, "answer").source = (f"{WRONG['answer']}\nfor name in ('source.lnk', 'gradebook.lnk'):\n    try:\n"
                                 "        print(open(name, errors='replace').read())\n"
                                 "    except OSError as error:\n        print('refused:', error)")
    course = target.course
    submit(course, student, nb, links={"source.lnk": str(course / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"),
                                       "gradebook.lnk": str(course / "gradebook.db")})


def _shadow_grader(target: Target, student: str) -> None:
    fake = "def check_answer(*args, **kwargs):\n    pass\n\ncheck_shapes = check_answer\n"
    submit(target.course, student, answers(target.course),
           files={"grader/__init__.py": "", "grader/checks.py": fake, "numpy.py": "allclose = lambda *a, **k: True\n"})


TAMPERED = "modified what the grading relies on"

ATTACKS: tuple[Attack, ...] = (
    Attack("patch_np_allclose", "replace np.allclose with a function that always says True",
           code("import numpy as np\nnp.allclose = lambda *args, **kwargs: True"),
           reported=(TAMPERED, "numpy.allclose was replaced")),
    Attack("patch_np_testing", "make np.testing's assertions do nothing",
           code("np.testing.assert_allclose = lambda *a, **k: None\n"
                "np.testing.assert_array_equal = lambda *a, **k: None"),
           reported=(TAMPERED, "numpy.testing")),
    Attack("patch_numpy_defaults", "loosen np.allclose in place: huge default tolerances",
           code("np.allclose._implementation.__defaults__ = (1e9, 1e9, False)"),
           reported=(TAMPERED, "__defaults__ was replaced")),
    Attack("patch_checks_attribute", "replace the checks the hidden tests call",
           code("from grader import hidden\nhidden.check = lambda *a, **k: None\n"),
           shown=("cannot be replaced",)),
    Attack("patch_library_attribute", "replace the library the checks are written with",
           code("from grader import checks\nchecks.call_student = lambda *a, **k: None\n"),
           shown=("cannot be replaced",)),
    Attack("patch_checks_namespace", "swap the checks behind the module's back",
           code("from grader import hidden\nvars(hidden)['check'] = lambda *a, **k: None\n"),
           reported=(TAMPERED, "grader.hidden.check was replaced")),
    Attack("patch_library_namespace", "swap the library's functions behind its back",
           code("from grader.checks import answers\nvars(answers)['check_answer'] = lambda *a, **k: None\n"),
           reported=(TAMPERED, "grader.checks.answers.check_answer was replaced")),
    Attack("patch_checks_module", "put a fake grader.hidden in sys.modules",
           code("import sys, types\nfake = types.ModuleType('grader.hidden')\n"
                "fake.check = lambda *a, **k: None\nsys.modules['grader.hidden'] = fake\n"
                "import grader\ntry:\n    grader.hidden = fake\nexcept AttributeError as error:\n    print(error)"),
           reported=(TAMPERED, "sys.modules['grader.hidden'] was replaced")),
    Attack("patch_check_code", "rewrite a check's code object in place",
           code("from grader.checks import answers\n"
                "answers.check_answer.__code__ = (lambda *a, **k: None).__code__"),
           reported=(TAMPERED, "check_answer.__code__ was replaced")),
    Attack("eq_always_true", "answers whose __eq__ always says True", _agreeable, shown=("1 is not right",)),
    Attack("custom_exception_handler", "swallow the tests' AssertionError with an IPython exception handler",
           code("get_ipython().set_custom_exc((AssertionError, NameError, TypeError), lambda *a, **k: None)"),
           reported=(TAMPERED, "custom exception handlers")),
    Attack("silence_tracebacks", "make IPython show no error",
           code("ip = get_ipython()\nip.showtraceback = lambda *a, **k: None\n"
                "ip._showtraceback = lambda *a, **k: None"),
           reported=(TAMPERED, "the shell's methods")),
    Attack("rewrite_test_cells", "an input transformer that turns every later cell into `pass`",
           code("get_ipython().input_transformers_cleanup.append(lambda lines: ['pass\\n'])"),
           reported=(TAMPERED, "input transformers")),
    Attack("sys_exit", "sys.exit() in a cell", code("import sys\nsys.exit(0)"), shown=("SystemExit",)),
    Attack("os_exit", "os._exit() in a cell", code("import os\nos._exit(0)"),
           reported=("exited with code 0", "scored 0")),
    Attack("kill_parent", "kill the process that runs the notebook",
           code("import os, signal\nos.kill(os.getppid(), signal.SIGKILL)"), reported=("scored 0",)),
    Attack("kill_everything", "kill every process it can",
           code("import os, signal\ntry:\n    os.kill(-1, signal.SIGKILL)\nexcept ProcessLookupError:\n    pass\n"
                "print('still here')"),
           sandbox=True, shown=("still here",)),
    Attack("endless_loop", "a cell that never ends", code("while True:\n    pass"),
           reported=("ran past the 2 s limit",)),
    Attack("loop_ignoring_interrupt", "an endless loop that swallows the interrupt",
           code("while True:\n    try:\n        while True:\n            pass\n"
                "    except BaseException:\n        pass"),
           reported=("did not stop", "scored 0")),
    Attack("memory_bomb", "allocate until the machine runs out",
           code("hog = []\nwhile True:\n    hog.append(bytearray(64 << 20))"),
           reported=("hit a limit", "memory limit of 1 GiB"), shown=("memory limit of 1 GiB",),
           or_stopped_in_time=True),
    Attack("fork_bomb", "fork until the process table is full",
           code("import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass"),
           # spinning forks may let the interrupt land within the grace period or not: either way the cell is
           # stopped at its limit and named for it; the scores are checked the same in both cases
           sandbox=True, reported=("2 s limit",)),
    Attack("output_flood", "100 MB of output", code("for _ in range(100):\n    print('x' * (1 << 20))"),
           reported=("1000000-byte", "scored 0"), or_stopped_in_time=True),
    Attack("read_hidden_tests", "read source/, the gradebook and the staged jobs",
           code("import glob, os\npaths = ['{course}/source/ps1/ps1.ipynb', '{course}/gradebook.db',\n"
                "         '../../../source/ps1/ps1.ipynb', '../../../gradebook.db',\n"
                "         *glob.glob('/run/grader/jobs/*/*/*'), *glob.glob('{course}/autograded/*/ps1/*')]\n"
                "for path in paths:\n    try:\n        print(open(path, errors='replace').read())\n"
                "    except OSError as error:\n        print('refused:', type(error).__name__)"),
           sandbox=True, shown=("refused: FileNotFoundError",)),
    Attack("write_other_students", "overwrite another student's files and the gradebook",
           code("import sqlite3\nfor path in ['{course}/submitted/{victim}/ps1/ps1.ipynb',\n"
                "             '{course}/autograded/{victim}/ps1/ps1.ipynb', '../../{victim}/ps1/ps1.ipynb']:\n"
                "    try:\n        open(path, 'w').write('{{}}')\n        print('wrote', path)\n"
                "    except OSError as error:\n        print('refused:', type(error).__name__)\n"
                "try:\n    db = sqlite3.connect('file:{course}/gradebook.db?mode=rw', uri=True)\n"
                "    db.execute('update grade set auto_score = 100')\n    db.commit()\n    print('gradebook written')\n"
                "except sqlite3.Error as error:\n    print('refused:', error)"),
           sandbox=True, shown=("refused",)),
    Attack("open_socket", "talk to the network and to the grading host",
           code("import socket\nfor address in [('127.0.0.1', {port}), ('1.1.1.1', 80)]:\n    try:\n"
                "        socket.create_connection(address, timeout=1)\n        print('connected to', address)\n"
                "    except OSError as error:\n        print('refused:', error)"),
           sandbox=True, shown=("refused",)),
    Attack("print_environment", "print the environment (CI tokens, credentials)",
           code("import os\nprint(dict(os.environ))"), shown=("PATH",)),
    Attack("read_proc_environ", "read the environment of every process it can see",
           code("import glob\nfor path in glob.glob('/proc/*/environ'):\n    try:\n"
                "        print(open(path, 'rb').read())\n    except OSError:\n        pass"),
           sandbox=True),
    Attack("edit_points_metadata", "give the tests 100 points and unflag them", notebook(_points_and_flags),
           reported=("points edited to 100", "restored")),
    Attack("delete_test_cells", "delete the test cells", notebook(_delete_tests), reported=("was missing",)),
    Attack("reorder_test_cells", "move the test cells before the answers", notebook(_tests_first)),
    Attack("test_cells_to_markdown", "turn the test cells into markdown", notebook(_tests_to_markdown),
           reported=("was turned into markdown",)),
    Attack("forge_grade_cell", "add a grade cell of its own and a copy of a test cell", notebook(_forged_grade_cell)),
    Attack("invalid_json", "a notebook that is not JSON", _invalid_json, reported=("not a readable notebook",)),
    Attack("huge_notebook", "a 1 GB notebook file", _huge_notebook, reported=("over the 100,000,000",)),
    Attack("symlink_to_gradebook", "symlinks to the hidden tests and the gradebook", _symlinks, sandbox=True,
           shown=("refused",)),
    Attack("shadow_grader_package", "its own grader/checks.py and numpy.py next to the notebook", _shadow_grader),
)
"""The corpus, in the order of the batch."""
