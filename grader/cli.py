"""grader: the command line. Each command parses its arguments, calls one library ``run``, prints, returns a code.

Exit codes (see `grader.errors`): 0 success; 1 something failed (a failing check, a submission that could not be
graded, a release that broke); 2 bad usage (unknown option, course, assignment, student or file); 130 interrupted.

Every command but ``demo`` takes ``--course DIR``, default ``assignments`` relative to the working directory: the
course shipped with this project when run from the repository root, a course repository's own course in its CI.
``demo`` grades the shipped course wherever it runs.

Commands are entries of `COMMANDS`; another module can add one with `register`::

    from grader.cli import Command, register
    register(Command("hello", "say hello", configure, handler))
"""

from __future__ import annotations

import argparse
import logging
import os
import shlex
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from grader.errors import (
    DEBUG_VARIABLE,
    EXIT_FAILURE,
    EXIT_OK,
    EXIT_USAGE,
    GraderError,
    UsageError,
    as_grader_error,
)

EXIT_INTERRUPTED = 130
DEFAULT_COURSE = Path("assignments")
"""Same as `grader.course.DEFAULT_COURSE` (a test pins it); repeated so that ``grader --help`` need not import
nbgrader, which takes seconds."""
EXPORT_FORMATS = ("csv", "gradescope", "json", "junit")
"""The keys of `grader.export.FORMATS` (a test pins it), for the same reason."""
EXECUTORS = ("fork", "kernel")
"""The keys of `grader.engine.EXECUTORS` that ``--executor`` takes (a test pins them); the first is the default."""
CLUSTER_EXECUTOR = "dask"
"""The other key: the executor ``autograde --cluster`` runs (the fork engine on a Dask cluster's workers)."""
SKIPPED_IMPORTS = ("rfc3987_syntax",)
"""Optional packages jsonschema imports when they are installed, for string formats that nbformat's and nbgrader's
schemas never use: rfc3987_syntax compiles a grammar at import, 1.5 s of every command that reads a notebook. The
command line marks them missing before it imports anything else, and jsonschema goes on without those formats."""


@dataclass(frozen=True)
class Command:
    """One sub-command: its name, one line of help, how it adds its arguments, and what it runs."""

    name: str
    help: str
    configure: Callable[[argparse.ArgumentParser], None]
    handler: Callable[[argparse.Namespace], int]


COMMANDS: dict[str, Command] = {}


def register(command: Command) -> Command:
    """Add (or replace) a sub-command."""
    COMMANDS[command.name] = command
    return command


def _course(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--course", type=Path, default=DEFAULT_COURSE, metavar="DIR",
                        help=f"the nbgrader course folder (default: {DEFAULT_COURSE}/ of the current folder)")


def _execution(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--jobs", "-j", type=_positive, default=None, metavar="N",
                        help="notebooks executed at once (default: the number of cores)")
    parser.add_argument("--executor", choices=EXECUTORS, default=EXECUTORS[0],
                        help="how notebooks run: fork (default: forks of a warm server, milliseconds each) or kernel "
                             "(nbgrader's own path: a fresh Jupyter kernel per notebook)")
    parser.add_argument("--no-progress", action="store_true", help="plain lines even on a terminal")


# -- release ---------------------------------------------------------------------------------------------------

def _release_args(p: argparse.ArgumentParser) -> None:
    _course(p)
    p.add_argument("assignments", nargs="*", metavar="ASSIGNMENT", help="default: every assignment in source/")
    p.add_argument("--no-build", action="store_true", help="do not run the helper build step first")
    p.add_argument("--per-student", type=Path, metavar="ROSTER",
                   help="also make each student of ROSTER (one id per line) a notebook of their own numbers, in "
                        "personal/<assignment>/<id>/ (assignments with per-student variants)")


def _release(args: argparse.Namespace) -> int:
    from grader import release, report

    roster = None if args.per_student is None else release.read_roster(args.per_student)
    result = release.run(course=args.course, assignments=args.assignments, build=not args.no_build, roster=roster)
    print(report.release_report(result))
    return EXIT_OK


# -- collect ---------------------------------------------------------------------------------------------------

def _collect_args(p: argparse.ArgumentParser) -> None:
    _course(p)
    p.add_argument("assignment", metavar="ASSIGNMENT")
    p.add_argument("source", type=Path, metavar="SOURCE", help="a folder <student>/<file>.ipynb, or an archive")
    p.add_argument("--regexp", help="named regexp for file paths: (?P<student_id>...) and (?P<file_id>...)")
    p.add_argument("--force", action="store_true", help="replace submissions already collected with other content")


def _collect(args: argparse.Namespace) -> int:
    from grader import collect, report

    result = collect.run(course=args.course, assignment=args.assignment, source=args.source,
                         regexp=args.regexp, force=args.force)
    print(report.collect_report(result))
    return EXIT_OK


# -- autograde -------------------------------------------------------------------------------------------------

def _autograde_args(p: argparse.ArgumentParser) -> None:
    _course(p)
    p.add_argument("assignment", metavar="ASSIGNMENT")
    p.add_argument("--student", action="append", default=[], metavar="ID", help="only this student (repeatable)")
    p.add_argument("--force", "-f", action="store_true", help="regrade submissions already graded and unchanged")
    _execution(p)
    p.add_argument("--cluster", metavar="ADDRESS",
                   help="run the notebooks on a Dask cluster: a scheduler address (tcp://HOST:8786) or local:N for N "
                        "workers on this machine; --jobs is then notebooks at once per worker (docs/distributed.md; "
                        "needs symmetry-grader[distributed])")


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _autograde(args: argparse.Namespace) -> int:
    from grader import engine

    name, options = args.executor, {}
    if args.cluster is not None:
        if args.executor != EXECUTORS[0]:
            raise UsageError(f"--cluster runs the fork engine on every worker; it does not take --executor "
                             f"{args.executor}")
        name, options = CLUSTER_EXECUTOR, {"cluster": args.cluster}
    with engine.grading_executor(name, args.jobs, course=args.course, **options) as executor:  # boots as nbgrader loads
        from grader import autograde, report

        progress = report.AutogradeProgress(bar=False if args.no_progress else None)
        result = autograde.run(course=args.course, assignment=args.assignment, students=args.student,
                               jobs=args.jobs, force=args.force, executor=executor, progress=progress)
    print(report.autograde_summary(result))
    return EXIT_OK if result.ok else EXIT_FAILURE


# -- feedback --------------------------------------------------------------------------------------------------

def _feedback_args(p: argparse.ArgumentParser) -> None:
    _course(p)
    p.add_argument("assignment", metavar="ASSIGNMENT")
    p.add_argument("--student", action="append", default=[], metavar="ID", help="only this student (repeatable)")


def _feedback(args: argparse.Namespace) -> int:
    from grader import feedback

    result = feedback.run(course=args.course, assignment=args.assignment, students=args.student)
    for student, path in result.written:
        print(f"{student}: {path}")
    print(f"{args.assignment}: {len(result.written)} feedback report(s) written")
    return EXIT_OK


# -- export ----------------------------------------------------------------------------------------------------

def _export_args(p: argparse.ArgumentParser) -> None:
    _course(p)
    p.add_argument("--format", dest="fmt", choices=EXPORT_FORMATS, default="csv")
    p.add_argument("--output", "-o", type=Path, metavar="FILE",
                   help="where to write (default: grades.csv, grades.json, grades.xml or results.json)")
    p.add_argument("--assignment", action="append", default=[], metavar="NAME", help="only this assignment")
    p.add_argument("--student", action="append", default=[], metavar="ID", help="only this student")


def _export(args: argparse.Namespace) -> int:
    from grader import export

    path = export.run(course=args.course, fmt=args.fmt, output=args.output, assignments=args.assignment,
                      students=args.student)
    print(f"{args.fmt} grades written to {path}")
    return EXIT_OK


# -- stats -----------------------------------------------------------------------------------------------------

def _stats_args(p: argparse.ArgumentParser) -> None:
    _course(p)
    p.add_argument("assignments", nargs="*", metavar="ASSIGNMENT", help="default: every assignment in the gradebook")
    p.add_argument("--output", "-o", type=Path, default=Path("stats"), metavar="DIR",
                   help="where to write ASSIGNMENT.html, .csv and .json (default: stats/)")


def _stats(args: argparse.Namespace) -> int:
    from grader import stats_page

    result = stats_page.run(course=args.course, assignments=args.assignments, output=args.output)
    for name, (page, table, document) in result.written.items():
        print(f"{name}: {page} (numbers in {table.name} and {document.name} beside it)")
    if not result.written:
        print("no assignment in the gradebook yet: release one (grader release) before its statistics")
    return EXIT_OK


# -- check -----------------------------------------------------------------------------------------------------

def _check_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("notebook", type=Path, metavar="NOTEBOOK")
    p.add_argument("--timeout", type=float, metavar="SECONDS", help="per-cell time limit (default: course or 30)")


def _check(args: argparse.Namespace) -> int:
    from grader import check, report

    result = check.run(notebook=args.notebook, timeout=args.timeout)
    print(report.check_report(result))
    return EXIT_OK if result.ok else EXIT_FAILURE


# -- validate --------------------------------------------------------------------------------------------------

def _validate_args(p: argparse.ArgumentParser) -> None:
    _course(p)
    p.add_argument("assignments", nargs="*", metavar="ASSIGNMENT", help="default: every assignment in source/")
    p.add_argument("--keep", type=Path, metavar="DIR", help="make the scratch course in DIR and keep it")
    p.add_argument("--variants", type=_positive, default=None, metavar="N",
                   help="grade every submission on N variants of an assignment with per-student variants: the "
                        "generator's extremes first, then derived ids (default: each submission's own)")
    _execution(p)


def _validate(args: argparse.Namespace) -> int:
    from grader import report, validate

    result = validate.run(course=args.course, assignments=args.assignments, jobs=args.jobs, executor=args.executor,
                          workdir=args.keep, progress=_progress_factory(args.no_progress), variants=args.variants)
    print(report.validate_report(result))
    return EXIT_OK if result.ok else EXIT_FAILURE


def _progress_factory(plain: bool) -> Callable[[str], object]:
    from grader import report

    def make(assignment: str) -> report.AutogradeProgress:
        print(f"autograding {assignment}", file=sys.stderr, flush=True)
        return report.AutogradeProgress(bar=False if plain else None)

    return make


# -- new -------------------------------------------------------------------------------------------------------

def _new_args(p: argparse.ArgumentParser) -> None:
    _course(p)
    p.add_argument("name", metavar="NAME", help="the new assignment's name: letters, digits and _, e.g. week1")
    p.add_argument("--force", action="store_true", help="overwrite the scaffold's files when NAME exists already")


def _new(args: argparse.Namespace) -> int:
    from grader import new

    result = new.run(course=args.course, name=args.name, force=args.force)
    for path in result.written:
        print(f"wrote {path}")
    course = "" if args.course == DEFAULT_COURSE else f" --course {shlex.quote(str(args.course))}"
    print(f"next: edit {result.written[0].parent} and {result.written[1].parent} to make the assignment yours, "
          f"then run `grader validate {args.name}{course}`")
    return EXIT_OK


# -- demo ------------------------------------------------------------------------------------------------------

def _demo_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--course", type=Path, default=None, metavar="DIR",
                   help="the course to demonstrate (default: the course shipped with this project)")
    p.add_argument("--dir", type=Path, default=None, metavar="DIR",
                   help="where to make the demo (default: a new grader-demo-* folder in the temporary directory)")
    _execution(p)


def _demo(args: argparse.Namespace) -> int:
    from grader import demo, report
    from grader.course import EMBEDDED_COURSE

    result = demo.run(course=args.course or EMBEDDED_COURSE, folder=args.dir, jobs=args.jobs, executor=args.executor,
                      progress=_progress_factory(args.no_progress), say=lambda line: print(line, flush=True))
    print()
    print(report.demo_report(result))
    return EXIT_OK if result.ok else EXIT_FAILURE


for _command in (
    Command("new", "scaffold an assignment (notebook, checks, answers, mistakes) that validate passes at once",
            _new_args, _new),
    Command("release", "build helpers and release assignments (nbgrader generate_assignment)", _release_args,
            _release),
    Command("collect", "take submissions from a folder or an LMS archive", _collect_args, _collect),
    Command("autograde", "grade every submission of an assignment into the gradebook", _autograde_args, _autograde),
    Command("feedback", "write an HTML report per student (hidden tests stay hidden)", _feedback_args, _feedback),
    Command("export", "write grades as csv, json, junit or gradescope", _export_args, _export),
    Command("stats", "write an item-analysis page per assignment (HTML, with CSV and JSON): facility, "
            "discrimination, common failures", _stats_args, _stats),
    Command("check", "run a notebook's public tests; exit 0 only when all pass", _check_args, _check),
    Command("validate", "in a scratch copy: the solution scores full marks, the blank release zero, every mutant "
            "loses points on its targets", _validate_args, _validate),
    Command("demo", "release, submit, autograde, give feedback and export grades of the shipped course in a "
            "scratch folder", _demo_args, _demo),
):
    register(_command)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="grader",
        description="Release, collect, autograde, give feedback and export grades of an nbgrader course.",
        epilog="exit codes: 0 success, 1 something failed, 2 bad usage, 130 interrupted",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="show nbgrader's own log messages")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in COMMANDS.values():
        child = sub.add_parser(command.name, help=command.help, description=command.help)
        command.configure(child)
        child.set_defaults(handler=command.handler)
    return parser


def skip_slow_imports() -> None:
    """Mark `SKIPPED_IMPORTS` missing (``None`` in ``sys.modules``: importing them raises ImportError) unless they
    are loaded already."""
    for name in SKIPPED_IMPORTS:
        sys.modules.setdefault(name, None)  # type: ignore[arg-type]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (argparse itself exits 2 on unknown options)."""
    skip_slow_imports()
    args = build_parser().parse_args(argv)
    if args.verbose:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("[nbgrader %(levelname)s] %(message)s"))
        logging.getLogger("grader.nbgrader").addHandler(handler)
        logging.getLogger("grader.nbgrader").setLevel(logging.INFO)
    try:
        return args.handler(args)
    except UsageError as exc:
        print(f"grader {args.command}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except GraderError as exc:
        print(f"grader {args.command}: {exc}", file=sys.stderr)
        return exc.exit_code
    except Exception as exc:  # the CLI boundary: a message and an exit code, never a traceback
        if os.environ.get(DEBUG_VARIABLE):
            raise
        error = as_grader_error(exc)
        print(f"grader {args.command}: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print(f"grader {args.command}: interrupted; finished work is kept, run the command again to go on",
              file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
