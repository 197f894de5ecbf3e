"""Benchmark of ``grader stats``: how long it takes to write each page, and how long Chromium takes to show it with
every plot drawn, for the demo's class of 6 and for a class of 200.

The class of 6 is a ``grader demo`` (made with ``grader demo --dir`` unless ``--demo DIR`` names one already made).
The class of 200 is a copy of that demo course where each of 200 students holds the graded submission of one of the
demo's students (in turn): their autograded notebooks and records copied, their gradebook rows written with
nbgrader's own API (`Gradebook.add_submission`, the grades' scores set as the original's). Reading it is what
``grader stats`` does on a real class of 200 (one notebook read per submission); the statistics have 6 patterns.

Each measure is the median of ``--repeat`` runs:

- write: ``grader stats ASSIGNMENT`` as a fresh process (interpreter, imports and all), wall seconds, and its CPU
  seconds (user + system: its own cost, whatever else the machine runs);
- load: a page opened in headless Chromium (Debian's, via Playwright, offline) until every ``svg.plot`` has a size.

Targets (issue 20): write < 5 s, load < 2 s. ``--screenshots`` keeps the top of each demo page as
``docs/images/stats-<assignment>.png``.

    python benchmarks/stats_bench.py
    python benchmarks/stats_bench.py --demo /tmp/grader-demo-x --screenshots
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
CHROMIUM = Path("/usr/bin/chromium")
ENV = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}
DRAWN = "() => { const s = [...document.querySelectorAll('svg.plot')]; return s.length === 4 && " \
        "s.every(e => e.getBoundingClientRect().width > 0 && e.getBoundingClientRect().height > 0); }"

if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


def make_demo(folder: Path) -> Path:
    done = subprocess.run([str(BIN / "grader"), "demo", "--dir", str(folder), "--no-progress"], env=ENV,
                          capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"grader demo failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return folder / "course"


def make_class(demo_course: Path, dest: Path, n: int) -> Path:
    """A copy of the demo course with n students, each holding one demo student's graded submissions."""
    from nbgrader.api import Gradebook

    from grader.course import Course, quiet_sqlalchemy

    shutil.copytree(demo_course, dest, ignore=shutil.ignore_patterns("feedback"))
    config = dest / "nbgrader_config.py"
    config.write_text(config.read_text().replace(str(demo_course), str(dest)))
    course = Course.at(dest)
    with quiet_sqlalchemy(), warnings.catch_warnings(), Gradebook(course.db_url, course.course_id) as gb:
        warnings.simplefilter("ignore")
        originals = sorted(s.id for s in gb.students)
        assignments = sorted(a.name for a in gb.assignments)
        for k in range(n):
            student, source = f"s{k:03d}", originals[k % len(originals)]
            gb.add_student(student)
            for name in assignments:
                shutil.copytree(course.autograded_dir(source, name), course.autograded_dir(student, name))
                record = course.records_dir(name) / f"{source}.json"
                if record.exists():
                    shutil.copy(record, course.records_dir(name) / f"{student}.json")
                original = gb.find_submission(name, source)
                sub = gb.add_submission(name, student, timestamp=original.timestamp)
                for nb, nb_original in zip(sorted(sub.notebooks, key=lambda x: x.name),
                                           sorted(original.notebooks, key=lambda x: x.name), strict=True):
                    grades = {g.name: g for g in nb_original.grades}
                    for grade in nb.grades:
                        grade.auto_score = grades[grade.name].auto_score
                        grade.manual_score = grades[grade.name].manual_score
                        grade.needs_manual_grade = grades[grade.name].needs_manual_grade
            gb.db.commit()
        for student in originals:  # the class is the 200 copies only
            gb.remove_student(student)
    for name in assignments:
        for student in originals:
            shutil.rmtree(course.autograded_dir(student, name), ignore_errors=True)
    return dest


def time_write(course: Path, assignment: str, output: Path, repeat: int) -> tuple[float, float, Path]:
    """Median wall seconds and median CPU seconds (user + system) of ``grader stats ASSIGNMENT``, and the page."""
    times, cpus = [], []
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        done = subprocess.run([str(BIN / "grader"), "stats", assignment, "--course", str(course), "--output",
                               str(output)], env=ENV, capture_output=True, text=True)
        times.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        if done.returncode != 0:
            sys.exit(f"grader stats failed:\n{done.stderr[-2000:]}")
    return statistics.median(times), statistics.median(cpus), output / f"{assignment}.html"


def time_loads(pages: list[Path], repeat: int, screenshots: Path | None) -> dict[Path, float]:
    from playwright.sync_api import sync_playwright

    out = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"], headless=True)
        for path in pages:
            times = []
            for _ in range(repeat):
                context = browser.new_context(viewport={"width": 1000, "height": 1300})
                context.route("**/*", lambda r: r.continue_() if r.request.url.startswith(("file:", "data:"))
                              else r.abort("blockedbyclient"))
                page = context.new_page()
                started = time.perf_counter()
                page.goto(path.resolve().as_uri(), wait_until="commit")
                page.wait_for_function(DRAWN, polling="raf")
                times.append(time.perf_counter() - started)
                if screenshots is not None and path.parent.name == "stats6":
                    page.screenshot(path=screenshots / f"stats-{path.stem}.png")
                context.close()
            out[path] = statistics.median(times)
        browser.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--demo", type=Path, help="a grader demo folder already made (default: make one)")
    parser.add_argument("--n", type=int, default=200, help="the large class (default 200)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--screenshots", action="store_true", help="write docs/images/stats-<assignment>.png")
    parser.add_argument("--class-dir", type=Path, help="a class made by an earlier run (its class200 folder)")
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="stats-bench-"))
    demo_course = args.demo / "course" if args.demo else make_demo(scratch / "demo")
    started = time.perf_counter()
    big = args.class_dir or make_class(demo_course, scratch / "class200", args.n)
    print(f"class of {args.n} ready in {time.perf_counter() - started:.1f} s (not timed below)", flush=True)
    from grader.course import Course

    assignments = Course.at(demo_course).assignments()
    rows, pages = [], []
    for label, course in (("demo (6)", demo_course), (f"class of {args.n}", big)):
        for name in assignments:
            seconds, cpu, page = time_write(course, name,
                                            scratch / ("stats6" if course == demo_course else "stats200"), args.repeat)
            rows.append((label, name, seconds, cpu, page))
            pages.append(page)
    loads = time_loads(pages, args.repeat, REPO / "docs" / "images" if args.screenshots else None)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (the machine is shared: CPU s is the "
          "write's own cost)")
    print(f"{'class':<16} {'assignment':<14} {'write s':>8} {'CPU s':>6} {'load s':>7} {'KB':>6}")
    for label, name, seconds, cpu, page in rows:
        print(f"{label:<16} {name:<14} {seconds:8.2f} {cpu:6.2f} {loads[page]:7.2f} {page.stat().st_size // 1024:6d}")
    worst_write, worst_load = max(r[2] for r in rows), max(loads.values())
    print(f"worst: write {worst_write:.2f} s (target < 5), load {worst_load:.2f} s (target < 2); files in {scratch}")


if __name__ == "__main__":
    main()
