"""grader's command line: exit codes 0/1/2, the command registry, and the commands of the example CI workflow."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import nbformat
import pytest
import yaml

from grader import cli
from tests.grader.conftest import ASSIGNMENT, CUBE_WRONG, FakeExecutor, fill, submit

WORKFLOW = Path(__file__).resolve().parents[2] / "docs" / "examples" / "course-ci.yml"


def test_bad_usage_exits_2(course: Path, tmp_path: Path, capsys) -> None:
    with pytest.raises(SystemExit) as unknown:
        cli.main(["frobnicate"])
    assert unknown.value.code == 2
    with pytest.raises(SystemExit) as bad_jobs:
        cli.main(["autograde", ASSIGNMENT, "--course", str(course), "--jobs", "0"])
    assert bad_jobs.value.code == 2
    assert cli.main(["autograde", "ps9", "--course", str(course)]) == 2
    assert cli.main(["export", "--course", str(tmp_path / "nowhere")]) == 2
    assert "not in the gradebook" in capsys.readouterr().err
    with pytest.raises(SystemExit) as bad_executor:
        cli.main(["autograde", ASSIGNMENT, "--course", str(course), "--executor", "teleport"])
    assert bad_executor.value.code == 2
    assert "invalid choice: 'teleport' (choose from 'fork', 'kernel')" in capsys.readouterr().err
    assert cli.main(["validate", "ps9", "--course", str(course)]) == 2
    assert "no source folder for: ps9 (assignments in" in capsys.readouterr().err


def test_every_command_has_help(capsys) -> None:
    for name in ("release", "collect", "autograde", "feedback", "export", "check", "validate", "demo", "new"):
        with pytest.raises(SystemExit) as done:
            cli.main([name, "--help"])
        assert done.value.code == 0
        assert name in capsys.readouterr().out


def test_other_modules_can_register_commands(capsys) -> None:
    """The hook `grader validate` and `grader demo` use: a Command added to the registry."""

    def configure(parser):
        parser.add_argument("--times", type=int, default=1)

    def handler(args) -> int:
        print("hello " * args.times)
        return 1

    cli.register(cli.Command("hello", "say hello", configure, handler))
    try:
        assert cli.main(["hello", "--times", "2"]) == 1
        assert "hello hello" in capsys.readouterr().out
    finally:
        del cli.COMMANDS["hello"]


def test_autograde_exit_code_is_1_when_a_submission_cannot_be_graded(course: Path, monkeypatch, capsys) -> None:
    submit(course, "ann", fill(course))
    submit(course, "bad", raw="[]")
    from grader import autograde

    real_run = autograde.run
    monkeypatch.setattr(autograde, "run", lambda **kw: real_run(**{**kw, "executor": FakeExecutor()}))
    assert cli.main(["autograde", ASSIGNMENT, "--course", str(course), "--no-progress"]) == 1
    captured = capsys.readouterr()
    assert "bad: ps1.ipynb is not a readable notebook" in captured.out
    assert "[2/2]" in captured.err  # plain progress lines when not on a terminal
    assert cli.main(["autograde", ASSIGNMENT, "--course", str(course), "--student", "ann", "--no-progress"]) == 0
    # run again: ann is skipped, bad is tried again and still reported
    assert cli.main(["autograde", ASSIGNMENT, "--course", str(course), "--no-progress"]) == 1
    captured = capsys.readouterr()
    assert "ann: skipped 3/4" in captured.err and "bad: failed 0/4" in captured.err


def test_the_cli_constants_match_the_library() -> None:
    from grader import course, engine, export

    assert cli.DEFAULT_COURSE == course.DEFAULT_COURSE
    assert set(cli.EXPORT_FORMATS) == set(export.FORMATS)
    assert {*cli.EXECUTORS, cli.CLUSTER_EXECUTOR} == set(engine.EXECUTORS)
    assert cli.EXECUTORS[0] == engine.DEFAULT_EXECUTOR


def test_the_command_line_skips_the_slow_optional_imports_and_still_validates_notebooks() -> None:
    """jsonschema would import rfc3987_syntax (1.5 s of grammar compiling) for formats no notebook schema uses."""
    repo = Path(__file__).resolve().parents[2]
    script = (
        "import sys\n"
        "from grader import cli\n"
        "try:\n    cli.main(['autograde', '--help'])\nexcept SystemExit:\n    pass\n"
        "import nbformat\n"
        f"nb = nbformat.read({str(repo / 'assignments/source/backprop/backprop.ipynb')!r}, as_version=4)\n"
        "nbformat.validate(nb)\n"
        "nb.cells[0].cell_type = 'nonsense'\n"
        "try:\n    nbformat.validate(nb)\nexcept nbformat.ValidationError:\n    print('invalid seen')\n"
        "print('module', sys.modules['rfc3987_syntax'])\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=repo, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-2:] == ["invalid seen", "module None"]


def test_the_console_script_is_installed() -> None:
    script = Path(sys.executable).parent / "grader"
    done = subprocess.run([str(script), "--help"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "exit codes: 0 success, 1 something failed, 2 bad usage" in done.stdout


def workflow_commands() -> list[str]:
    """The `run:` lines of the example workflow that call grader, in order."""
    jobs = yaml.safe_load(WORKFLOW.read_text())["jobs"]
    lines = []
    for job in jobs.values():
        for step in job["steps"]:
            if str(step.get("run", "")).startswith("grader "):
                lines.append(step["run"])
    return lines


@pytest.mark.slow
def test_the_example_workflows_commands_work(course: Path, tmp_path: Path, monkeypatch) -> None:
    """Do the grader commands of docs/examples/course-ci.yml, as written, work on a course?

    Each line is expanded as the shell would (its $VARIABLES, its quotes) and run in this process; a line ending
    in ``|| test $? -eq 1`` may exit 0 or 1, every other line must exit 0. `grader validate` runs with ps1's
    mistake library (its grading/ps1/mistakes.py).
    """
    commands = workflow_commands()
    assert any(c.startswith("grader validate") for c in commands)
    assert any(c.startswith("grader autograde") for c in commands)
    assert any("--format junit" in c for c in commands)
    work = tmp_path / "repo"
    work.mkdir()
    shutil.copytree(course, work / "assignments")
    inbox = work / "submissions" / ASSIGNMENT
    for student, nb in (("ann", fill(course)), ("bob", fill(course, cube=CUBE_WRONG))):
        (inbox / student).mkdir(parents=True)
        nbformat.write(nb, inbox / student / f"{ASSIGNMENT}.ipynb")
    (inbox / "cid").mkdir()
    (inbox / "cid" / f"{ASSIGNMENT}.ipynb").write_text("not json")
    monkeypatch.chdir(work)
    monkeypatch.setenv("COURSE", "assignments")
    monkeypatch.setenv("ASSIGNMENT", ASSIGNMENT)
    ran = []
    for command in commands:
        line, _, fallback = command.partition("||")
        argv = shlex.split(os.path.expandvars(line))
        allowed = {0, 1} if fallback.strip() == "test $? -eq 1" else {0}
        assert cli.main(argv[1:]) in allowed, command
        ran.append(argv[1])
    assert {"release", "validate", "collect", "autograde", "feedback", "export"} <= set(ran)
    suites = {s.get("name"): s for s in ET.parse(work / "grades.xml").getroot().iter("testsuite")}
    assert set(suites) == {f"{ASSIGNMENT}/ann", f"{ASSIGNMENT}/bob", f"{ASSIGNMENT}/cid"}
    assert suites[f"{ASSIGNMENT}/bob"].get("failures") == "1"
    assert suites[f"{ASSIGNMENT}/cid"].find("testcase/error") is not None
    assert (work / "grades.csv").read_text().count("\n") == 1 + 3 * 3
    assert (work / "assignments" / "feedback" / "ann" / ASSIGNMENT / f"{ASSIGNMENT}.html").exists()


def test_progress_is_a_bar_on_a_terminal_and_plain_lines_otherwise() -> None:
    import io

    from grader.records import SubmissionReport
    from grader.report import AutogradeProgress

    reports = [SubmissionReport("ann", "graded", 3, 4, seconds=1.0),
               SubmissionReport("bob", "failed", 0, 4, problems=["ps1.ipynb is not a readable notebook"])]
    plain = io.StringIO()
    progress = AutogradeProgress(plain)  # a StringIO is not a terminal
    progress.start(2)
    for r in reports:
        progress.update(r)
    progress.close()
    assert plain.getvalue().splitlines() == [
        "[1/2] ann: graded 3/4 (1.0 s)", "[2/2] bob: failed 0/4 (0.0 s)", "  bob: ps1.ipynb is not a readable notebook"]

    drawn = io.StringIO()
    bar = AutogradeProgress(drawn, bar=True)
    bar.start(2)
    for r in reports:
        bar.update(r)
    bar.close()
    text = drawn.getvalue()
    assert "2/2" in text and "\r" in text  # tqdm redraws in place
    assert "bob: ps1.ipynb is not a readable notebook" in text and "[1/2]" not in text
