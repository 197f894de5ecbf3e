"""grader/tracebacks.py: does a student see their own frames and the message of an error, and nothing of the grader
(its frames, the checks', the libraries', the grading machine's paths), in feedback and in the graded notebook?

The tracebacks come from real IPython (in a subprocess, Plain and Context modes) and from real grading: the tiny
course with a hidden check whose student function raises inside it, graded by the fork engine and by the kernel
executor, then rendered by `grader feedback`.
"""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest

from grader import autograde, feedback, tracebacks
from grader.engine.local import PROJECT_ROOT
from tests.grader.conftest import ASSIGNMENT, cell, fill, generate, submit, write_source

ABSOLUTE = re.compile(r"(?<![\w.~/-])~?/(?:[\w.@+-]+/)+[\w.@+-]+")
"""An absolute path of two parts or more, as it would show in text."""

# -- real IPython tracebacks ------------------------------------------------------------------------------------------

SAMPLES = r'''
import json, sys
submission, machine = sys.argv[1:3]
sys.path[:0] = [submission, machine]
from IPython.core.interactiveshell import InteractiveShell
from ipykernel.compiler import XCachingCompiler
from traitlets.config import Config
config = Config()
config.HistoryManager.hist_file = ":memory:"
shell = InteractiveShell.instance(config=config, compiler_class=XCachingCompiler)
shown = []
shell._showtraceback = lambda etype, evalue, stb: shown.append(
    {"output_type": "error", "ename": etype.__name__, "evalue": str(evalue), "traceback": stb})
shell.run_cell("import helper, checker\ndef square(x):\n    return helper.boom(x)\n", store_history=True)
cases = {
    "check": "checker.negatives(square)",
    "syntax": "def f(:\n    pass",
    "recursion": "def r(n):\n    return r(n + 1)\nr(0)",
    "missing": f"open({machine + '/data.csv'!r})",
    "own file": f"open({submission + '/data.csv'!r})",
}
samples = {}
for mode in ("Plain", "Context"):
    shell.InteractiveTB.set_mode(mode)
    for name, code in cases.items():
        shell.run_cell(code, store_history=True)
        samples[f"{mode} {name}"] = {**shown[-1], "count": shell.execution_count - 1}
print(json.dumps(samples))
'''
HELPER = "def boom(x):\n    raise ValueError(f'negative input {x} in boom')\n"
CHECKER = textwrap.dedent('''
    def negatives(fn):
        try:
            return fn(-3)
        except Exception as exc:
            raise AssertionError(f"square raised {type(exc).__name__}: {exc}") from exc
''')


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, dict], Path, Path]:
    """IPython's error outputs for a few cases, and the submission's and the grading machine's folders."""
    root = tmp_path_factory.mktemp("samples")
    submission, machine = root / "submission", root / "grading_machine"
    submission.mkdir()
    machine.mkdir()
    (submission / "helper.py").write_text(HELPER)
    (machine / "checker.py").write_text(CHECKER)
    env = {**os.environ, "IPYTHONDIR": str(root / "ipython")}  # IPython's profile folder, not the home's
    done = subprocess.run([sys.executable, "-c", SAMPLES, str(submission), str(machine)], cwd=submission, env=env,
                          capture_output=True, text=True, timeout=120, check=True)
    return json.loads(done.stdout), submission, machine


def plain(lines: list[str]) -> str:
    return "\n".join(tracebacks.ANSI.sub("", line) for line in lines)


@pytest.mark.parametrize("mode", ["Plain", "Context"])
def test_the_student_sees_their_cell_and_file_and_nothing_of_the_check(samples, mode: str) -> None:
    """A check calls the student's function, which raises in the student's helper file: are the student's cell and
    file shown (the file relative to their folder), and the checker's frames, folder and path not?"""
    outputs, submission, machine = samples
    output = outputs[f"{mode} check"]
    assert "checker.py" in plain(output["traceback"])  # IPython shows the checker: there is something to drop
    frames = tracebacks.student_frames(output["traceback"], [str(submission)], skip_cell=output["count"])
    text = tracebacks.render(frames, tracebacks.message(output, [str(submission)]))
    assert "return helper.boom(x)" in text and "raise ValueError(f'negative input {x} in boom')" in text
    assert "./helper.py:2" in text
    assert "ValueError: negative input -3 in boom" in text  # what the student's code raised, before the check's
    assert text.endswith("AssertionError: square raised ValueError: negative input -3 in boom")
    assert "checker" not in text and "negatives" not in text and machine.name not in text
    assert not ABSOLUTE.search(text), text
    calling = tracebacks.student_frames(output["traceback"], [str(submission)])
    assert "checker.negatives(square)" in plain(calling)  # the calling cell, unless it is skipped


@pytest.mark.parametrize("mode", ["Plain", "Context"])
def test_a_cleaned_traceback_keeps_its_shape_without_the_checker(samples, mode: str) -> None:
    """What the fork engine writes into the graded notebook: headers, messages and the chain stay, colours too."""
    outputs, submission, _ = samples
    output = outputs[f"{mode} check"]
    cleaned = tracebacks.clean(output["traceback"], [str(submission)])
    text = plain(cleaned)
    assert "The above exception was the direct cause of the following exception" in text
    assert "./helper.py:2" in text and "checker.negatives(square)" in text
    assert "checker.py" not in text and not ABSOLUTE.search(text), text
    assert text.rstrip().endswith("AssertionError: square raised ValueError: negative input -3 in boom")
    assert any("\x1b[" in line for line in cleaned)


def test_paths_in_messages_are_cut_to_the_students_folder_or_to_their_last_part(samples) -> None:
    outputs, submission, machine = samples
    for mode in ("Plain", "Context"):
        missing = tracebacks.message(outputs[f"{mode} missing"], [str(submission)])
        own = tracebacks.message(outputs[f"{mode} own file"], [str(submission)])
        assert str(machine) in outputs[f"{mode} missing"]["evalue"]
        assert missing == "FileNotFoundError: [Errno 2] No such file or directory: '…/data.csv'"
        assert own == "FileNotFoundError: [Errno 2] No such file or directory: './data.csv'"


def test_a_syntax_error_is_said_once_and_a_deep_recursion_once_with_a_count(samples) -> None:
    outputs, submission, _ = samples
    for mode in ("Plain", "Context"):
        syntax = outputs[f"{mode} syntax"]
        text = tracebacks.render(tracebacks.student_frames(syntax["traceback"]), tracebacks.message(syntax))
        assert text.count("SyntaxError") == 1 and "def f(:" in text
    recursion = outputs["Plain recursion"]
    assert len(recursion["traceback"]) > 100
    frames = tracebacks.student_frames(recursion["traceback"], [str(submission)])
    assert len(frames) == 3 and re.fullmatch(r"\[the frame above repeats \d+ more times\]", frames[-1])


def test_an_error_of_the_graders_own_frames_keeps_its_message() -> None:
    """A traceback with nothing of the student's left still says what happened."""
    output = {"output_type": "error", "ename": "LookupError", "evalue": "no check named 'x'",
              "traceback": ["  File /opt/grader/hidden.py:59 in check\n    raise LookupError(...)\n"]}
    tracebacks.clean_output(output)
    assert output["traceback"] == ["LookupError: no check named 'x'"]


# -- real grading -------------------------------------------------------------------------------------------------

CHECKS = '''
from grader.checks import as_number, call_student, fail


def negatives(fn):
    """square(-3) is 9."""
    if as_number(call_student("square", fn, -3), "square") != 9:
        fail("square", "the square of a negative number must be positive")
'''
HIDDEN_CHECK = '''assert square(2) == 4, "square(2) should be 4"
### BEGIN HIDDEN TESTS
from grader import hidden
hidden.check("negatives", square)
### END HIDDEN TESTS'''
RAISER = "    if x < 0:\n        raise ValueError('negative input in my_square_body')\n    return x * x"
IMPORTER = "    from mysq import sq\n    return sq(x)"
MYSQ = "def sq(x):\n    if x < 0:\n        raise ValueError('negative input in mysq')\n    return x * x\n"
READER = "    import os\n    open(os.path.abspath('numbers.txt'))\n    return x ** 3"
"""A cube that opens a missing file of its folder by its absolute path: the message names the path."""


@pytest.fixture(scope="module", params=["fork", "kernel"])
def judged(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The tiny course whose hidden test is a check of the judge, graded with an executor, with feedback: student
    ``raiser``'s square raises inside the check, ``importer``'s in a module of their own folder (and their cube
    opens a missing file by its absolute path)."""
    root = tmp_path_factory.mktemp(f"judged_{request.param}") / "course"
    write_source(root)
    source = root / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    nb = nbformat.read(source, as_version=4)
    cell(nb, "test_square").source = HIDDEN_CHECK
    nbformat.write(nb, source)
    (root / "grading" / ASSIGNMENT / "checks.py").write_text(CHECKS)
    generate(root)
    submit(root, "raiser", fill(root, square=RAISER))
    (submit(root, "importer", fill(root, square=IMPORTER, cube=READER)).parent / "mysq.py").write_text(MYSQ)
    autograde.run(course=root, assignment=ASSIGNMENT, executor=request.param, jobs=1)
    feedback.run(course=root, assignment=ASSIGNMENT)
    return root, request.param


def visible(page: Path) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", page.read_text()))


def errors(course: Path, student: str) -> str:
    """The tracebacks of the student's autograded notebook, as text."""
    nb = nbformat.read(course / "autograded" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    return "\n".join(plain(o["traceback"]) for c in nb.cells for o in c.get("outputs", [])
                     if o["output_type"] == "error")


def assert_reveals_nothing(text: str, course: Path) -> None:
    for secret in ("grader/", "hidden.py", "client.py", "common.py", "site-packages", str(PROJECT_ROOT),
                   str(course), "/home/student"):
        assert secret not in text, secret
    assert not ABSOLUTE.search(text), ABSOLUTE.search(text)


@pytest.mark.slow
def test_a_student_error_inside_a_check_shows_the_students_line_and_nothing_of_the_grader(judged) -> None:
    """The judge called the student's square, which raised: does the feedback show the student's frame and line,
    the check's message, and no grader frame or path, under the fork engine and the kernel executor alike?"""
    course, executor = judged
    text = visible(course / "feedback" / "raiser" / ASSIGNMENT / f"{ASSIGNMENT}.html")
    assert "square: calling square(-3) raised ValueError: negative input in my_square_body" in text
    assert re.search(r"Cell In\[\d+\], line 3", text)  # the student's frame: line 3 of their square's cell
    assert "raise ValueError('negative input in my_square_body')" in text
    assert 'hidden.check("negatives", square)' not in text  # a hidden line
    assert_reveals_nothing(text, course)
    graded = errors(course, "raiser")
    if executor == "fork":  # cleaned on the grader's side before the notebook is written
        assert "my_square_body" in graded
        assert_reveals_nothing(graded, course)
    else:  # nbgrader's own outputs, as plain nbgrader writes them: the page is cleaned when rendered
        assert "grader/judge/client.py" in graded


@pytest.mark.slow
def test_a_student_error_in_a_file_of_their_folder_shows_that_file(judged) -> None:
    """Both executors' pages show a frame of a module in the student's folder, relative to it (the feedback knows
    the submission's folder), and no path of the machine."""
    course, _ = judged
    text = visible(course / "feedback" / "importer" / ASSIGNMENT / f"{ASSIGNMENT}.html")
    assert "square: calling square(-3) raised ValueError: negative input in mysq" in text
    assert "return sq(x)" in text
    assert "./mysq.py:3" in text and "raise ValueError('negative input in mysq')" in text
    assert_reveals_nothing(text, course)


@pytest.mark.slow
def test_the_grades_messages_name_no_path_of_the_machine(judged) -> None:
    """The failure messages pages and exports show are cut the same way: a path in the student's folder is written
    relative to it, whichever folder the notebook ran in (the sandbox's copy or the autograded folder)."""
    from grader.course import open_course
    from grader.grades import read_grades

    course, _ = judged
    grades = {g.student: g for g in read_grades(open_course(course), [ASSIGNMENT])}
    cube = next(c for c in grades["importer"].notebooks[0].cells if c.name == "test_cube")
    assert cube.messages == ["FileNotFoundError: [Errno 2] No such file or directory: './numbers.txt'"]
    for grade in grades.values():
        for nb in grade.notebooks:
            for c in nb.cells:
                for message in c.messages:
                    assert_reveals_nothing(message, course)


def test_the_engine_record_cleans_what_the_process_printed() -> None:
    """The fork engine's recorder rewrites tracebacks when a job ends: the process's own list is not trusted. The
    notebook's folder is its job's, or its copy in the sandbox's home, which IPython writes ``~/ps1``."""
    from grader.engine.jobs import Job, Limits
    from grader.engine.record import NotebookRecorder

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("square(-3)")])
    recorder = NotebookRecorder(Job(id="s/ps1", notebook=nb, cwd="/srv/course/autograded/s/ps1", limits=Limits()))
    recorder.nb.cells[0].outputs = [nbformat.v4.new_output(
        "error", ename="ValueError", evalue="no", traceback=[
            "Traceback (most recent call last):\n", "  Cell In[1], line 1\n    square(-3)\n",
            "  File /srv/venv/lib/python3.11/site-packages/grader/hidden.py:59 in check\n    x\n",
            "  File /home/student/ps1/mysq.py:3 in sq\n    deeper(x)\n",
            "  File ~/ps1/deep.py:2 in deeper\n    raise ValueError('no')\n", "ValueError: no\n"])]
    recorder.last_started = 0
    result = recorder.finish({"code": 0}, 0.1)
    assert [tracebacks.ANSI.sub("", t) for t in result.notebook.cells[0].outputs[0]["traceback"]] == [
        "Traceback (most recent call last):\n", "  Cell In[1], line 1\n    square(-3)\n",
        "  File ./mysq.py:3 in sq\n    deeper(x)\n", "  File ./deep.py:2 in deeper\n    raise ValueError('no')\n",
        "ValueError: no\n"]
