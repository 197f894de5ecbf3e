"""Benchmark of ``grader autograde`` (fork engine) against ``nbgrader autograde`` on courses of real submissions.

For each assignment (default: ``backprop`` and ``init_symmetry``, those of them the course has) it makes a scratch
copy of the course, releases it with ``grader release``, writes ``--n`` submissions (every other one the
instructor's solution, the others the assignment's mutants in turn, from its grading folder's mistakes.py), and
grades that same set three times, each in a fresh copy of the released course: with ``nbgrader autograde`` (one
call, a kernel per notebook), and with ``grader autograde --executor fork`` at ``--jobs 1`` and at ``--jobs 2``.
Every run is a process of its own, timed from its start to its end. BLAS runs one thread per process in all of them.

Then it checks that the gradebooks agree (every grade cell of every submission: the same points), and prints per
set:

- wall seconds of nbgrader and of ours (``--jobs 2``), and their ratio;
- the floor: Σ of the notebooks' own cell seconds (as the engine measures them) / jobs, and our wall over it;
- the speed-up of ``--jobs 2`` over ``--jobs 1``, and the most the notebooks' own cells allow: 2 × Σ cells at
  ``--jobs 1`` / Σ cells at ``--jobs 2`` (two notebooks side by side share caches and memory bandwidth, and on a
  virtual machine a host's other guests; however little the grader adds, ``--jobs 2`` cannot beat that);
- the overhead per submission beyond running its cells, ``(wall × jobs − Σ cells) / n``, split into the one-off
  start-up (interpreter, imports, warm server) and the per-submission rest.

Targets (a 2-core machine): ≥ 10x nbgrader on backprop, wall ≤ 1.25 x the floor, ``--jobs 2`` ≥ 1.8 x ``--jobs 1``,
overhead < 50 ms per submission. ``--profile`` prints where the grading process's own time goes (nbgrader's steps,
gradebook commits, waiting for the engine). Exit code 1 when the scores disagree.

``--cluster ADDRESS`` compares the Dask executor instead (docs/distributed.md): ``grader autograde --cluster ADDRESS``
against ``--jobs 2``, run alternately ``--repeat`` times each (default 3), each in a fresh copy; it prints every run,
the medians, their ratio (target: the Dask path at most 1.15x the local engine's wall), and the overhead per
submission of each, ``(wall × 2 − Σ cells) / n``, the start-up (cluster, workers, their engines) included.

    python benchmarks/autograde_bench.py                          # 200 submissions per assignment
    python benchmarks/autograde_bench.py --n 20 --profile
    python benchmarks/autograde_bench.py --n 20 --assignments init_symmetry --no-nbgrader
    python benchmarks/autograde_bench.py --assignments backprop --cluster local:2
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench_profile import instrument, profile_report

REPO = Path(__file__).resolve().parents[1]
COURSE = REPO / "assignments"
BIN = Path(sys.executable).parent
DEFAULT_ASSIGNMENTS = ("backprop", "init_symmetry")
THREADS = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
"""One BLAS thread per process for every grader: parallelism comes from running notebooks side by side."""
GENERATED = ("nnlib", "__pycache__", ".ipynb_checkpoints", "release", "submitted", "autograded", "feedback", "*.db")
"""What a scratch copy of the course leaves out (nbgrader's folders and the helpers the build step makes)."""

if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


# -- the course -------------------------------------------------------------------------------------------------

def grading_env() -> dict[str, str]:
    """The environment of every grader run: the project importable by kernels, the venv's tools on PATH, one BLAS
    thread, and the kernel free to pick its own matplotlib backend."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTEST_CURRENT_TEST", "MPLBACKEND")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH", "")]))
    env["PATH"] = os.pathsep.join([str(BIN), env.get("PATH", "")])
    return env | THREADS


def available_assignments(course: Path = COURSE) -> list[str]:
    """Folders of ``source/`` that hold a notebook."""
    return sorted(p.name for p in (course / "source").iterdir() if p.is_dir() and any(p.glob("*.ipynb")))


def variants(assignment: str, n: int) -> dict[str, str]:
    """student id -> "solution" or a mutant's name: every other submission a solution, the rest the mutants in
    turn (all solutions for an assignment without mutants)."""
    from grader.grading import mutants_for

    mutants = [m.name for m in mutants_for(COURSE, assignment)]
    out = {}
    for i in range(n):
        kind = "solution" if i % 2 == 0 or not mutants else mutants[(i // 2) % len(mutants)]
        out[f"s{i:04d}-{kind}"] = kind
    return out


def make_course(root: Path, assignments: list[str], n: int) -> dict[str, dict[str, str]]:
    """A released copy of the course at ``root`` with ``n`` submissions per assignment; student -> variant."""
    import nbformat

    from grader.course import Course
    from grader.grading import course_mutants
    from grader.submissions import mutant_submission, solution_submission, write_submission

    shutil.copytree(COURSE, root, ignore=shutil.ignore_patterns(*GENERATED))
    run([str(BIN / "grader"), "release", "--course", str(root), *assignments], cwd=root)  # stops on failure
    course = Course.at(root)
    mutants = course_mutants(COURSE, assignments)
    made: dict[str, dict[str, str]] = {}
    for assignment in assignments:
        made[assignment] = variants(assignment, n)
        for source_path in sorted(course.directory("source", assignment).glob("*.ipynb")):
            source = nbformat.read(source_path, as_version=4)
            release = nbformat.read(course.directory("release", assignment) / source_path.name, as_version=4)
            solution = solution_submission(release, source)
            cells = {c.metadata.get("nbgrader", {}).get("grade_id") for c in release.cells}
            for student, kind in made[assignment].items():
                nb = solution
                if kind != "solution" and mutants[kind].cell in cells:
                    nb = mutant_submission(release, source, mutants[kind])
                write_submission(course, assignment, student, source_path.stem, nb)
    return made


@dataclass(frozen=True)
class Timing:
    """One process run to its end."""

    wall: float
    cpu: float
    """User + system CPU seconds of the process and of what it started and waited for (processes that a sandbox
    reaps out of sight, such as the fork engine's under bubblewrap, are not in it)."""
    code: int
    load: float
    """The 1-minute load average when it ended (other work on the machine slows every figure down)."""
    log: str = ""


def run(argv: list[str], cwd: Path, *, check: bool = True) -> Timing:
    """Run a command to its end. A failure stops the benchmark with the command's output when ``check``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, env=grading_env(), capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    log = f"{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    if check and done.returncode != 0:
        raise SystemExit(f"{' '.join(argv[:4])} ... failed ({done.returncode}):\n{log}")
    return Timing(wall, cpu, done.returncode, os.getloadavg()[0], log)


def scores(root: Path, assignment: str) -> dict[tuple[str, str, str], float | None]:
    """(student, notebook, grade cell) -> auto_score, straight from the course's gradebook."""
    from nbgrader.api import Gradebook
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
    course_id = config.CourseDirectory.get("course_id") or "default_course"
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with Gradebook(f"sqlite:///{root / 'gradebook.db'}", course_id) as gb:
            for submission in gb.assignment_submissions(assignment):
                for notebook in submission.notebooks:
                    for grade in notebook.grades:
                        out[(submission.student.id, notebook.name, grade.name)] = grade.auto_score
    return out


# -- one run of ours, in its own process ------------------------------------------------------------------------

@dataclass
class Stats:
    """What a run of ours reports about itself (the worker writes it as JSON)."""

    jobs: int
    submissions: int = 0
    cell_seconds: float = 0.0
    """Σ of the notebooks' own cell seconds, as the engine measured them."""
    job_seconds: float = 0.0
    """Σ of each job's wall, from hand-over to the engine to its result."""
    worker_seconds: float = 0.0
    """The worker's own wall, from its first line to its end (the rest of the process's wall is Python's start)."""
    import_seconds: float = 0.0
    """Importing the grader and nbgrader."""
    engine_start_seconds: float = 0.0
    """Waiting for the warm server to be ready (it imports IPython, NumPy, matplotlib and builds the shell; it was
    launched before the grader's imports, so only the part of its start they did not cover is waited for)."""
    first_job_seconds: float = 0.0
    """From the worker's start to the first job handed to the engine."""
    engine_wait_seconds: float = 0.0
    """Time the grading process spent blocked on the engine (waiting for results)."""
    statuses: dict[str, int] = field(default_factory=dict)
    steps: dict[str, float] = field(default_factory=dict)
    """Seconds of the grading process per nbgrader step / gradebook operation (with ``--profile``)."""
    counts: dict[str, int] = field(default_factory=dict)
    process_cpu_seconds: float = 0.0
    """CPU seconds (user + system) of the grading process itself, load-independent (the engine's processes are not
    in it)."""
    import_cpu_seconds: float = 0.0
    """The part of it spent importing."""
    exit_code: int = 0
    """``grader autograde``'s exit code (1 when some submission could not be graded in full)."""


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def worker(course: str, assignment: str, jobs: int, out: str, profile: bool, cluster: str | None = None) -> int:
    """Grade with ``grader autograde --executor fork`` (or ``--cluster``: the Dask executor), through its
    command-line entry point, recording the engine's results on the way; write `Stats` to ``out``."""
    started = time.perf_counter()
    from grader import cli, engine

    cli.skip_slow_imports()  # what `grader` does before anything else
    from grader.engine.local import LocalForkExecutor

    executor_class: Any = LocalForkExecutor
    if cluster is not None:
        from grader.engine.dask_executor import DaskExecutor

        executor_class = DaskExecutor

    stats = Stats(jobs=jobs, import_seconds=time.perf_counter() - started)
    original_grading_executor = engine.grading_executor

    @contextlib.contextmanager
    def timed_imports(*args: Any, **kwargs: Any) -> Any:
        """The command starts its executor, then imports the grader (nbgrader with it), as `grader autograde`
        does: the import is timed there, while the warm server boots."""
        with original_grading_executor(*args, **kwargs) as executor:
            t = time.perf_counter()
            from grader import autograde  # noqa: F401
            if profile:
                instrument(stats)
            stats.import_seconds += time.perf_counter() - t
            stats.import_cpu_seconds = _cpu()
            yield executor

    engine.grading_executor = timed_imports  # type: ignore[assignment]
    ready = "client" if cluster is not None else "server"  # the property that waits for the engine to be up
    original_map, original_server = executor_class.map, getattr(executor_class, ready)
    producing = [0.0]  # seconds spent making jobs inside the executor's pulls: the grader's time, not the engine's

    def timed_jobs(jobs_in: Any) -> Any:
        iterator = iter(jobs_in)
        while True:
            t = time.perf_counter()
            job = next(iterator, None)
            producing[0] += time.perf_counter() - t
            if job is None:
                return
            if not stats.first_job_seconds:
                stats.first_job_seconds = time.perf_counter() - started
            yield job

    def recording_map(self: Any, jobs_in: Any) -> Any:
        results = original_map(self, timed_jobs(jobs_in))
        while True:
            t, before = time.perf_counter(), producing[0]
            result = next(results, None)
            stats.engine_wait_seconds += time.perf_counter() - t - (producing[0] - before)
            if result is None:
                return
            stats.submissions += 1
            stats.cell_seconds += result.total_cell_seconds
            stats.job_seconds += result.wall_seconds
            stats.statuses[result.status] = stats.statuses.get(result.status, 0) + 1
            yield result

    started_servers: set[Any] = set()

    def timed_server(self: Any) -> Any:
        t = time.perf_counter()
        try:
            return original_server.fget(self)
        finally:
            stats.engine_start_seconds += time.perf_counter() - t
            started_servers.add(self)

    executor_class.map = recording_map
    setattr(executor_class, ready, property(timed_server))
    how = ["--executor", "fork", "--jobs", str(jobs)] if cluster is None else ["--cluster", cluster]
    with contextlib.redirect_stdout(io.StringIO()):
        code = cli.main(["autograde", "--course", course, assignment, *how, "--no-progress"])
    for executor in started_servers:  # wait for the servers, so that their CPU time is counted as ours
        executor.close()
    stats.worker_seconds = time.perf_counter() - started
    stats.exit_code = code
    stats.process_cpu_seconds = _cpu()
    Path(out).write_text(json.dumps(stats.__dict__))
    return 0


# -- the report -------------------------------------------------------------------------------------------------

@dataclass
class SetResult:
    assignment: str
    n: int
    nbgrader: Timing | None
    ours: dict[int, tuple[Timing, Stats]]
    agree: bool
    disagreements: list[str]


def grade_set(base: Path, work: Path, assignment: str, made: dict[str, str], *, nbgrader: bool,
              profile: bool) -> SetResult:
    """Grade the set with nbgrader (unless told not to), then with ours at --jobs 1 and 2, each in a fresh copy."""
    ours: dict[int, tuple[Timing, Stats]] = {}
    graded: dict[str, dict[Any, Any]] = {}
    theirs = None
    if nbgrader:
        root = work / f"{assignment}-nbgrader"
        shutil.copytree(base, root)
        theirs = run([str(BIN / "nbgrader"), "autograde", assignment], cwd=root, check=False)
        graded["nbgrader"] = scores(root, assignment)
    for jobs in (1, 2):
        root = work / f"{assignment}-fork-j{jobs}"
        shutil.copytree(base, root)
        out = work / f"{assignment}-j{jobs}.json"
        argv = [sys.executable, __file__, "--worker", str(root), assignment, str(jobs), str(out)]
        timing = run([*argv, "--profile"] if profile and jobs == 1 else argv, cwd=REPO)
        ours[jobs] = (timing, Stats(**json.loads(out.read_text())))
        graded[f"fork -j{jobs}"] = scores(root, assignment)
    wrong = disagreements(graded, "nbgrader" if "nbgrader" in graded else "fork -j1", made)
    return SetResult(assignment, len(made), theirs, ours, not wrong, wrong)


def disagreements(graded: dict[str, dict[Any, Any]], reference: str, made: dict[str, str]) -> list[str]:
    """What each run's scores (`scores`, by run name) miss of the submissions ``made`` or differ in from the run
    named ``reference``: one line each."""
    expected = graded[reference]
    lines = []
    for name, table in graded.items():
        students = {s for s, _, _ in table}
        if students != set(made):
            lines.append(f"{name} graded {len(students)} of the {len(made)} submissions")
        for key in sorted(set(expected) | set(table)):
            if expected.get(key, "missing") != table.get(key, "missing"):
                lines.append(f"{name}: {key}: {table.get(key, 'missing')} ({reference}: "
                             f"{expected.get(key, 'missing')})")
    return lines


def _row(label: str, value: str, note: str = "") -> str:
    return f"  {label:<26}{value:>10}   {note}".rstrip()


def report(result: SetResult) -> list[str]:
    n = result.n
    (t1, s1), (t2, s2) = result.ours[1], result.ours[2]
    floor = s2.cell_seconds / 2
    lines = [f"{result.assignment}: {n} submissions; engine statuses {s2.statuses}"]
    rows = [("nbgrader autograde", result.nbgrader, None), ("grader autograde -j2", t2, s2),
            ("grader autograde -j1", t1, s1)]
    for label, timing, stats in rows:
        if timing is None:
            continue
        if stats is None:
            cpu = f"{1000 * timing.cpu / n:.0f} ms/sub CPU (kernels included)"
        else:
            own = stats.process_cpu_seconds - stats.import_cpu_seconds
            cpu = f"{1000 * own / n:.0f} ms/sub CPU in the grading process after its imports"
        failed = timing.code if stats is None else stats.exit_code
        lines.append(_row(label, f"{timing.wall:.1f} s", f"{1000 * timing.wall / n:.0f} ms/sub wall, {cpu}; "
                          f"load average after {timing.load:.1f}" + (f"; EXIT CODE {failed}" if failed else "")))
    if result.nbgrader is not None:
        ratio = result.nbgrader.wall / t2.wall
        lines.append(_row("nbgrader / ours -j2", f"{ratio:.1f} x", "(target >= 10x on backprop)"))
    lines.append(_row("floor = Σ cells / 2", f"{floor:.1f} s", f"Σ cells {s2.cell_seconds:.1f} s at -j2, "
                      f"{s1.cell_seconds:.1f} s at -j1 ({1000 * s1.cell_seconds / n:.0f} ms per notebook)"))
    lines.append(_row("ours -j2 / floor", f"{t2.wall / floor:.2f} x",
                      f"(target <= 1.25; over the -j1 cell time: {t2.wall / (s1.cell_seconds / 2):.2f} x)"))
    ceiling = 2 * s1.cell_seconds / s2.cell_seconds
    lines.append(_row("-j2 speed-up over -j1", f"{t1.wall / t2.wall:.2f} x",
                      f"(target >= 1.8; the cells alone allow {ceiling:.2f} x: a notebook with a neighbour ran its "
                      f"cells {100 * (s2.cell_seconds / s1.cell_seconds - 1):.0f}% slower)"))
    for jobs, (timing, stats) in sorted(result.ours.items()):
        total = (timing.wall * jobs - stats.cell_seconds) / n
        fixed = timing.wall - stats.worker_seconds + stats.import_seconds + stats.engine_start_seconds
        lines.append(_row(f"overhead -j{jobs}", f"{1000 * total:.0f} ms/sub",
                          f"(target < 50) = {1000 * (total - fixed * jobs / n):.0f} ms/sub + a one-off {fixed:.1f} s "
                          f"(Python, imports, warm server: {1000 * fixed * jobs / n:.0f} ms/sub at this n)"))
    lines.append(_row("scores agree", "yes" if result.agree else "NO"))
    lines += [f"    {d}" for d in result.disagreements[:20]]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=200, help="submissions per assignment (default 200)")
    parser.add_argument("--assignments", nargs="+", metavar="NAME",
                        help=f"default: those of {', '.join(DEFAULT_ASSIGNMENTS)} the course has")
    parser.add_argument("--no-nbgrader", action="store_true", help="skip the (slow) nbgrader runs")
    parser.add_argument("--profile", action="store_true", help="break the -j1 run's own time down by step")
    parser.add_argument("--keep", type=Path, metavar="DIR", help="make the courses in DIR and keep them")
    parser.add_argument("--cluster", metavar="ADDRESS",
                        help="compare grader autograde --cluster ADDRESS (e.g. local:2) with --jobs 2 instead")
    parser.add_argument("--repeat", type=int, default=3, help="with --cluster: runs of each (default 3)")
    parser.add_argument("--worker", nargs=4, metavar=("COURSE", "ASSIGNMENT", "JOBS", "OUT"), help=argparse.SUPPRESS)
    parser.add_argument("--worker-cluster", metavar="ADDRESS", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        course, assignment, jobs, out = args.worker
        return worker(course, assignment, int(jobs), out, args.profile, args.worker_cluster)

    known = available_assignments()
    names = args.assignments or [a for a in DEFAULT_ASSIGNMENTS if a in known]
    unknown = [a for a in names if a not in known]
    if unknown or not names:
        parser.error(f"unknown assignments {unknown or names}; the course has: {', '.join(known)}")
    print(f"autograde benchmark: {args.n} submissions of {', '.join(names)}; {os.cpu_count()} cores, load average "
          f"{os.getloadavg()[0]:.2f}", flush=True)
    with contextlib.ExitStack() as stack:
        work = args.keep or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="autograde-bench-")))
        work.mkdir(parents=True, exist_ok=True)
        base = work / "base"
        made = make_course(base, names, args.n)
        results: list[Any] = []
        for assignment in names:
            if args.cluster:
                from cluster_bench import cluster_report, compare_cluster  # its helpers are this module's

                outcome = compare_cluster(base, work, assignment, made[assignment], args.cluster, args.repeat)
                results.append(outcome)
                print("\n" + "\n".join(cluster_report(outcome)), flush=True)
                continue
            result = grade_set(base, work, assignment, made[assignment], nbgrader=not args.no_nbgrader,
                               profile=args.profile)
            results.append(result)
            print("\n" + "\n".join(report(result)), flush=True)
            if args.profile:
                print("\n" + "\n".join(profile_report(result)), flush=True)
    print(f"\nload average at the end {os.getloadavg()[0]:.2f}")
    return 0 if all(r.agree for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
