"""A second course, kept on disk in tests/course2, graded end to end: the grader is not tied to the shipped course.

tests/course2 is ``stats101``, an nbgrader course about means, medians and standard deviations (nothing of neural
networks, nothing of ``reference``): one assignment, ``means``, whose notebook draws a plot with ``%matplotlib inline``
and reads ``heights.csv`` through ``loader.py``, both released beside it, and whose grading folder (grading/means/)
holds its hidden checks, its answer key, its mistake library and its assignment.toml.

The quick tests read the course where it is: `grader.grading` finds its assignment, settings and mutants, the checks
judge the solution and every mistake in this process, and no file of it imports ``reference``. The slow test copies
it and runs every command on the copy (release, collect, autograde, feedback, export, validate, check), then
compares the gradebook with what plain ``nbgrader autograde`` makes of the same submissions, cell by cell.
"""

from __future__ import annotations

import ast
import contextlib
import csv
import hashlib
import html
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest
from nbgrader.api import Gradebook

from grader import cli
from grader.cells import grade_id
from grader.checks import check_answer
from grader.checks.loader import answer_key, discover
from grader.course import quiet_sqlalchemy
from grader.grading import (
    engine_settings,
    grading_assignments,
    import_part,
    mutants_for,
    package_name,
    read_settings,
)
from grader.submissions import blank_submission, mutant_submission, solution_sources, solution_submission
from tests.assignments.notebook_runner import kernel_env

COURSE2 = Path(__file__).resolve().parents[1] / "course2"
ASSIGNMENT = "means"
COURSE_ID = "stats101"
NOTEBOOK = f"{ASSIGNMENT}.ipynb"
HIDDEN_BEGIN, HIDDEN_END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
TESTS = {"test_column_means": 2.0, "test_median": 2.0, "test_sample_std": 2.0, "test_q_outlier": 1.0}
"""The autograded test cells of ``means`` and their points."""
WRITTEN = "ddof_written"
SUBMITTED = ("solution", "blank", "median_unsorted", "column_means_wrong_axis")
"""Who hands in ``means`` in the slow test: the solution, the blank release and two mistakes (the first is caught by
the hidden part of test_median only, the second by test_column_means' public part too)."""


def source_notebook(root: Path = COURSE2) -> nbformat.NotebookNode:
    return nbformat.read(root / "source" / ASSIGNMENT / NOTEBOOK, as_version=4)


def nbgrader_meta(cell: nbformat.NotebookNode) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def cells_by_id(nb: nbformat.NotebookNode) -> dict[str, nbformat.NotebookNode]:
    return {gid: cell for cell in nb.cells if (gid := grade_id(cell)) is not None}


def split_test(source: str) -> tuple[str, str]:
    """(the hidden region, the public rest) of a test cell's source."""
    begin, end = source.index(HIDDEN_BEGIN), source.index(HIDDEN_END)
    return source[begin + len(HIDDEN_BEGIN) : end], source[:begin] + source[end + len(HIDDEN_END) :]


def without_magics(source: str) -> str:
    """A code cell as plain Python: IPython's ``%`` lines dropped."""
    return "\n".join(line for line in source.splitlines() if not line.lstrip().startswith("%"))


# --- quick: the course as it is on disk -----------------------------------------------------------------------------


@pytest.fixture
def no_bytecode(monkeypatch: pytest.MonkeyPatch) -> None:
    """Importing the course's grading modules must not leave __pycache__ folders in tests/course2."""
    monkeypatch.setattr(sys, "dont_write_bytecode", True)


def test_grader_grading_sees_the_second_course(no_bytecode: None) -> None:
    """Assignment, settings, engine settings, checks, answers and mutants of tests/course2, as `grader.grading`
    finds them, agree with its notebook."""
    assert grading_assignments(COURSE2) == [ASSIGNMENT]
    settings = read_settings(COURSE2, ASSIGNMENT)
    assert settings.ship is None and settings.withhold == ()  # loader.py is released as it is: no helper build
    assert settings.budget_seconds == 10.0
    assert settings.spec["written"] == [WRITTEN]
    engine = engine_settings(COURSE2)
    assert engine.course == str(COURSE2.resolve())
    assert engine.preload == ("numpy", "matplotlib.pyplot")  # the defaults: the course asks nothing of the engine

    nb = source_notebook()
    cells = cells_by_id(nb)
    graded = {gid: float(nbgrader_meta(c)["points"]) for gid, c in cells.items() if nbgrader_meta(c).get("grade")}
    assert graded == {**TESTS, WRITTEN: 2.0}
    assert sum(graded.values()) == sum(settings.spec["points"]) == 9
    assert cells[WRITTEN].cell_type == "markdown" and nbgrader_meta(cells[WRITTEN])["solution"]
    assert all(c.outputs == [] and c.execution_count is None for c in nb.cells if c.cell_type == "code")

    checks = discover(import_part(COURSE2, ASSIGNMENT, "checks"))
    answers = answer_key(import_part(COURSE2, ASSIGNMENT, "answers"))
    assert sorted(checks) == ["column_means", "median", "sample_std"] and sorted(answers) == ["q_outlier"]
    called = {}
    for gid in TESTS:
        hidden, _ = split_test(cells[gid].source)
        called[gid] = re.findall(r'hidden\.check\("(\w+)"', hidden)
    assert called == {"test_column_means": ["column_means"], "test_median": ["median"],
                      "test_sample_std": ["sample_std"], "test_q_outlier": ["q_outlier"]}
    assert checks["median"].__module__ == f"{package_name(COURSE2)}.{ASSIGNMENT}.checks"

    mutants = mutants_for(COURSE2, ASSIGNMENT)
    names = [m.name for m in mutants]
    assert len(mutants) >= 3 and len(set(names)) == len(names)
    assert {*SUBMITTED[2:], "median_upper_middle", *settings.spec["hidden_only"]} <= set(names)
    assert "median_unsorted" in settings.spec["hidden_only"]  # a code mistake only a hidden test catches
    solution_cells = {gid for gid, c in cells.items() if nbgrader_meta(c).get("solution")}
    for mutant in mutants:
        assert mutant.assignment == ASSIGNMENT and mutant.expect, mutant.name
        assert mutant.cell in solution_cells, mutant.name
        assert set(mutant.targets) <= set(TESTS), mutant.name


def test_the_checks_pass_the_solution_and_name_every_mistake(no_bytecode: None) -> None:
    """In this process, without a notebook: each hidden check passes the instructor's code and fails each mutant's
    with the words the mutant expects; the public part of a test passes the hidden-only mutants."""
    nb = source_notebook()
    solutions = solution_sources(nb)
    tests = {gid: c.source for gid, c in cells_by_id(nb).items() if gid in TESTS}
    checks = discover(import_part(COURSE2, ASSIGNMENT, "checks"))
    answers = answer_key(import_part(COURSE2, ASSIGNMENT, "answers"))
    hidden_only = set(read_settings(COURSE2, ASSIGNMENT).spec["hidden_only"])
    judges = {
        "test_column_means": lambda scope: checks["column_means"](scope["column_means"]),
        "test_median": lambda scope: checks["median"](scope["median"]),
        "test_sample_std": lambda scope: checks["sample_std"](scope["sample_std"]),
        "test_q_outlier": lambda scope: check_answer(answers, "q_outlier", scope["q_outlier"]),
    }

    def namespace(replaced: str | None = None, code: str = "") -> dict:
        scope: dict = {"np": np}
        for cell in ("column_means", "median", "sample_std", "q_outlier_answer"):
            exec(code if cell == replaced else solutions[cell], scope)
        return scope

    solved = namespace()
    for target, judge in judges.items():
        judge(solved)
        exec(split_test(tests[target])[1], solved)
    for mutant in mutants_for(COURSE2, ASSIGNMENT):
        scope = namespace(mutant.cell, mutant.code)
        for target in mutant.targets:
            with pytest.raises(AssertionError) as failed:
                judges[target](scope)
            message = str(failed.value).lower()
            assert all(word.lower() in message for word in mutant.expect), (mutant.name, message)
            public = split_test(tests[target])[1]
            if mutant.name in hidden_only:
                exec(public, namespace(mutant.cell, mutant.code))  # passes: only the hidden part catches it
            else:
                with pytest.raises(AssertionError):
                    exec(public, namespace(mutant.cell, mutant.code))
    assert hidden_only <= {m.name for m in mutants_for(COURSE2, ASSIGNMENT)}


def test_nothing_in_the_second_course_imports_reference() -> None:
    """Every .py file and every code cell of tests/course2 is parsed: no import of the shipped course's reference."""
    files = [p for p in COURSE2.rglob("*.py") if "__pycache__" not in p.parts]
    sources = {str(p.relative_to(COURSE2)): p.read_text() for p in files}
    for path in COURSE2.rglob("*.ipynb"):
        nb = nbformat.read(path, as_version=4)
        for k, cell in enumerate(nb.cells):
            if cell.cell_type == "code":
                sources[f"{path.relative_to(COURSE2)} cell {k}"] = without_magics(cell.source)
    assert {"nbgrader_config.py", "source/means/loader.py", "grading/means/checks.py"} <= set(sources)
    assert any(name.startswith("source/means/means.ipynb cell") for name in sources)
    for name, text in sources.items():
        imported = set()
        for node in ast.walk(ast.parse(text, name)):
            if isinstance(node, ast.Import):
                imported.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                imported.add(node.module.split(".")[0])
        assert "reference" not in imported, name
        assert "nnlib" not in imported, name
        assert not re.search(r"\breference\s*\.", text), name


# --- slow: every command on a copy, and plain nbgrader on a twin ----------------------------------------------------


def cell_grades(root: Path, students: tuple[str, ...]) -> dict[str, dict[str, tuple]]:
    """student -> grade cell -> (auto_score, max_score, needs_manual_grade), read from the course's gradebook."""
    out: dict[str, dict[str, tuple]] = {}
    with quiet_sqlalchemy(), Gradebook(f"sqlite:///{root / 'gradebook.db'}", COURSE_ID) as gb:
        for student in students:
            notebook = gb.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, student)
            out[student] = {g.name: (g.auto_score, g.max_score, g.needs_manual_grade) for g in notebook.grades}
    return out


def snapshot(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and "__pycache__" not in p.parts}


def page_text(path: Path) -> str:
    """What a feedback page shows as text: its tags removed, its entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", path.read_text(encoding="utf-8")))


@contextlib.contextmanager
def plain_nbgrader_autograde(twin: Path, log: Path):
    """``nbgrader autograde means --force`` running in ``twin`` (its own process group) while the block runs; yields
    the process. It is ended, with the kernels it started, if the block fails before it is done."""
    env = kernel_env()
    env.pop("PYTEST_CURRENT_TEST", None)  # ipykernel stops capturing file descriptors 1 and 2 when it sees it
    env["OPENBLAS_NUM_THREADS"] = "1"
    with open(log, "wb") as output:
        process = subprocess.Popen([sys.executable, "-m", "nbgrader", "autograde", ASSIGNMENT, "--force"], cwd=twin,
                                   env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            yield process
        finally:
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@pytest.mark.slow
def test_the_second_course_grades_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """release, collect, autograde, feedback, export, validate and check on a copy of tests/course2, each through
    `grader.cli.main` (exit code and output); then the gradebook equals plain nbgrader's, cell by cell."""
    course = tmp_path / "stats101"
    shutil.copytree(COURSE2, course, ignore=shutil.ignore_patterns("__pycache__"))

    # release: the notebook, the helper module and the data go out; solutions, hidden tests and grading/ do not
    assert cli.main(["release", "--course", str(course)]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^means\s+means\.ipynb\s+2\s+4\s+1\s+9$", out, re.MULTILINE), out
    assert "means: no helpers to build" in out
    release_dir = course / "release" / ASSIGNMENT
    assert sorted(p.name for p in release_dir.iterdir()) == ["heights.csv", "loader.py", NOTEBOOK]
    released_text = (release_dir / NOTEBOOK).read_text()
    for secret in ("hidden.check", HIDDEN_BEGIN, "BEGIN SOLUTION", 'q_outlier = \\"a\\"', "Model answer"):
        assert secret not in released_text, secret
    released, source = nbformat.read(release_dir / NOTEBOOK, as_version=4), source_notebook(course)

    # collect: a folder <student>/means.ipynb
    mutants = {m.name: m for m in mutants_for(course, ASSIGNMENT)}
    made = {
        "solution": solution_submission(released, source),
        "blank": blank_submission(released),
        **{name: mutant_submission(released, source, mutants[name]) for name in SUBMITTED[2:]},
    }
    assert tuple(made) == SUBMITTED
    inbox = tmp_path / "inbox"
    for student, nb in made.items():
        (inbox / student).mkdir(parents=True)
        nbformat.write(nb, inbox / student / NOTEBOOK)
    assert cli.main(["collect", "--course", str(course), ASSIGNMENT, str(inbox)]) == 0
    out = capsys.readouterr().out
    assert f"{ASSIGNMENT}: 4 collected, 0 skipped" in out
    assert all(f"collected {student} (new student): {NOTEBOOK}" in out for student in SUBMITTED)

    # plain nbgrader grades a twin of the course in the background while grader works on the course
    twin = tmp_path / "twin"
    shutil.copytree(course, twin)
    with plain_nbgrader_autograde(twin, tmp_path / "nbgrader.log") as nbgrader_run:
        # autograde
        assert cli.main(["autograde", "--course", str(course), ASSIGNMENT, "--no-progress"]) == 0
        out = capsys.readouterr().out
        assert f"{ASSIGNMENT}: 4 graded, 0 skipped, 0 failed" in out
        scores = {words[0]: words[2] for line in out.splitlines() if (words := line.split()) and words[0] in made}
        assert scores == {"solution": "7/9", "blank": "0/9", "median_unsorted": "5/9",
                          "column_means_wrong_axis": "5/9"}  # the written answer (2 points) waits for a person

        # feedback: the reasons are shown, the hidden tests are not
        assert cli.main(["feedback", "--course", str(course), ASSIGNMENT]) == 0
        assert f"{ASSIGNMENT}: 4 feedback report(s) written" in capsys.readouterr().out
        pages = {student: page_text(course / "feedback" / student / ASSIGNMENT / "means.html") for student in made}
        hidden_lines = {line.strip() for c in source.cells if c.cell_type == "code" and HIDDEN_BEGIN in c.source
                        for line in split_test(c.source)[0].splitlines() if line.strip()}
        assert hidden_lines == {'from grader import hidden', 'hidden.check("column_means", column_means)',
                                'hidden.check("median", median)', 'hidden.check("sample_std", sample_std)',
                                'hidden.check("q_outlier", q_outlier)'}
        for student, text in pages.items():
            for line in (*hidden_lines, "hidden.check", "HIDDEN TESTS"):
                assert line not in text, (student, line)
            assert "assert median(np.array([1.0, 3.0, 8.0])) == 3.0" in text, student  # public lines stay
        assert "Sort them first" in pages["median_unsorted"]
        assert "you averaged over axis=1" in pages["column_means_wrong_axis"]
        assert "NotImplementedError" in pages["blank"]

        # export
        grades_csv = tmp_path / "grades.csv"
        assert cli.main(["export", "--course", str(course), "--format", "csv", "--output", str(grades_csv)]) == 0
        assert f"csv grades written to {grades_csv}" in capsys.readouterr().out
        with open(grades_csv, newline="") as handle:
            rows = list(csv.DictReader(handle))
        assert {r["student_id"] for r in rows} == set(made) and {r["assignment"] for r in rows} == {ASSIGNMENT}
        exported = {(r["student_id"], r["cell"]): r for r in rows}
        assert set(exported) == {(s, c) for s in made for c in (*TESTS, WRITTEN)}
        assert float(exported["median_unsorted", "test_median"]["score"]) == 0.0
        assert "Sort them first" in exported["median_unsorted", "test_median"]["message"]
        assert float(exported["solution", "test_median"]["score"]) == 2.0

        # validate: in a scratch copy, solution full marks, blank zero, every mutant caught; the course untouched
        before = snapshot(course)
        assert cli.main(["validate", "--course", str(course), ASSIGNMENT, "--no-progress"]) == 0
        out = capsys.readouterr().out
        assert f"validate: all {2 + len(mutants)} checks passed" in out
        assert re.search(r"^means\s+solution\s+7/7\s+ok", out, re.MULTILINE), out
        assert re.search(r"^means\s+blank\s+0/7\s+ok", out, re.MULTILINE), out
        for name, mutant in mutants.items():
            assert re.search(rf"^means\s+mutant\s+{name}\s+\d/7\s+ok\s+loses points on {mutant.targets[0]}", out,
                             re.MULTILINE), name
        assert snapshot(course) == before

        # check: a student's own copy of the release, filled in; public tests only
        def check(student: str, nb: nbformat.NotebookNode) -> tuple[int, str]:
            folder = tmp_path / "students" / student
            shutil.copytree(release_dir, folder)
            nbformat.write(nb, folder / NOTEBOOK)
            code = cli.main(["check", str(folder / NOTEBOOK)])
            return code, capsys.readouterr().out

        code, out = check("good", made["solution"])
        assert code == 0 and "4/4 tests passed, 7/7 points: all public tests pass" in out, out
        assert re.search(r"^ddof_written\s+written", out, re.MULTILINE), out
        code, out = check("wrong", mutant_submission(released, source, mutants["median_upper_middle"]))
        assert code == 1 and "NOT all public tests pass" in out, out
        assert re.search(r"^test_median\s+failed\s+0/2\s+AssertionError: the median of \[1, 2, 4, 10\]", out,
                         re.MULTILINE), out
        code, out = check("unsorted", made["median_unsorted"])  # its mistake shows in hidden tests only
        assert code == 0 and "all public tests pass" in out, out

        assert nbgrader_run.wait(timeout=300) == 0, (tmp_path / "nbgrader.log").read_text()[-3000:]

    # plain nbgrader's gradebook and grader's agree on every grade cell of every student
    ours, theirs = cell_grades(course, SUBMITTED), cell_grades(twin, SUBMITTED)
    assert ours == theirs
    full = {gid: (points, points, False) for gid, points in TESTS.items()}
    assert ours["solution"] == {**full, WRITTEN: (None, 2.0, True)}
    assert ours["blank"] == {**{gid: (0.0, points, False) for gid, points in TESTS.items()}, WRITTEN: (0.0, 2.0, False)}
    assert ours["median_unsorted"] == {**full, "test_median": (0.0, 2.0, False), WRITTEN: (None, 2.0, True)}
    assert ours["column_means_wrong_axis"] == {**full, "test_column_means": (0.0, 2.0, False),
                                               WRITTEN: (None, 2.0, True)}
