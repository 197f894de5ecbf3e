"""grader: the command line. Each command parses its arguments, calls one library ``run``, prints, returns a code.

Exit codes (see `grader.errors`): 0 success; 1 something failed (a failing check, a submission that could not be
graded, a release that broke); 2 bad usage (unknown option, course, assignment, student or file); 130 interrupted.

Commands are entries of `COMMANDS`; another module adds one with `register` (``grader validate`` and
``grader demo`` are meant to plug in that way)::

    from grader.cli import Command, register
    register(Command("validate", "check every assignment against its mutants", configure, handler))
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from grader.errors import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, GraderError, UsageError

EXIT_INTERRUPTED = 130
DEFAULT_COURSE = Path("assignments")
"""Same as `grader.coursedir.DEFAULT_COURSE` (a test pins it); repeated so that ``grader --help`` need not import
nbgrader, which takes seconds."""
EXPORT_FORMATS = ("csv", "gradescope", "json", "junit")
"""The keys of `grader.export.FORMATS` (a test pins it), for the same reason."""


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
                        help=f"the nbgrader course folder (default: {DEFAULT_COURSE}/)")


# -- release ---------------------------------------------------------------------------------------------------

def _release_args(p: argparse.ArgumentParser) -> None:
    _course(p)
    p.add_argument("assignments", nargs="*", metavar="ASSIGNMENT", help="default: every assignment in source/")
    p.add_argument("--no-build", action="store_true", help="do not run the helper build step first")


def _release(args: argparse.Namespace) -> int:
    from grader import release, report

    result = release.run(course=args.course, assignments=args.assignments, build=not args.no_build)
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

def _executor_names() -> list[str]:
    try:
        from grader.engine import EXECUTORS
    except ImportError:
        return ["nbgrader"]
    return ["nbgrader", *EXECUTORS]


def _autograde_args(p: argparse.ArgumentParser) -> None:
    _course(p)
    p.add_argument("assignment", metavar="ASSIGNMENT")
    p.add_argument("--student", action="append", default=[], metavar="ID", help="only this student (repeatable)")
    p.add_argument("--jobs", "-j", type=_positive, default=1, metavar="N", help="notebooks executed at once")
    p.add_argument("--force", "-f", action="store_true", help="regrade submissions already graded and unchanged")
    p.add_argument("--executor", default="nbgrader", metavar="NAME",
                   help="how notebooks run: nbgrader (a Jupyter kernel each, as nbgrader autograde) or an engine "
                        f"executor ({', '.join(_executor_names()[1:]) or 'none installed'})")
    p.add_argument("--no-progress", action="store_true", help="plain lines even on a terminal")


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _autograde(args: argparse.Namespace) -> int:
    from grader import autograde, report

    executor = None
    if args.executor != "nbgrader":
        if args.executor not in _executor_names():
            raise UsageError(f"unknown executor {args.executor!r}; known: {', '.join(_executor_names())}")
        from grader.engine import make_executor

        executor = make_executor(args.executor, jobs=args.jobs)
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


# -- check -----------------------------------------------------------------------------------------------------

def _check_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("notebook", type=Path, metavar="NOTEBOOK")
    p.add_argument("--timeout", type=float, metavar="SECONDS", help="per-cell time limit (default: course or 30)")


def _check(args: argparse.Namespace) -> int:
    from grader import check, report

    result = check.run(notebook=args.notebook, timeout=args.timeout)
    print(report.check_report(result))
    return EXIT_OK if result.ok else EXIT_FAILURE


for _command in (
    Command("release", "build helpers and release assignments (nbgrader generate_assignment)", _release_args,
            _release),
    Command("collect", "take submissions from a folder or an LMS archive", _collect_args, _collect),
    Command("autograde", "grade every submission of an assignment into the gradebook", _autograde_args, _autograde),
    Command("feedback", "write an HTML report per student (hidden tests stay hidden)", _feedback_args, _feedback),
    Command("export", "write grades as csv, json, junit or gradescope", _export_args, _export),
    Command("check", "run a notebook's public tests; exit 0 only when all pass", _check_args, _check),
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


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (argparse itself exits 2 on unknown options)."""
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
    except KeyboardInterrupt:
        print(f"grader {args.command}: interrupted; finished work is kept, run the command again to go on",
              file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
