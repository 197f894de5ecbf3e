"""grader feedback: one HTML report per student and notebook, that never shows a hidden test.

nbgrader's own feedback renders the autograded notebook whole, hidden tests included (nbgrader #917). Here every
cell goes through `blocks`: a test cell shows its points, its failure messages (``ename: evalue``) and its public
lines only (the region between the hidden-test delimiters is cut, as `ClearHiddenTests` does at release); a
traceback keeps only the frames of the learner's own code, and any output line that contains a hidden line is
replaced by a notice. Written answers show the grader's score and comment. Markdown and its formulas render with
`grader.markdown` (MathML, no script), its headings nested under the page's own. The page opens with a summary of
the graded cells, failed ones first, each linked to its cell; it is the Jinja2 template ``templates/feedback.html.j2``
(one self-contained file that fits any width and prints), written to nbgrader's
``feedback/<student>/<assignment>/<notebook>.html``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
import nbformat
from markupsafe import Markup
from nbgrader import utils
from nbgrader.preprocessors import ClearHiddenTests
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer

from grader import cells, markdown, nbgrader_adapter, tracebacks
from grader.course import DEFAULT_COURSE, open_course
from grader.engine.record import student_folders
from grader.errors import UsageError
from grader.grades import ANSI, NOT_SUBMITTED, CellGrade, SubmissionGrade, autograded_notebook, read_grades

TEMPLATES = Path(__file__).parent / "templates"
MIN_HIDDEN_LINE = 6
"""Hidden lines shorter than this (``pass``, ``)``) are not searched for in outputs: they reveal nothing."""
REDACTED = "[a line of a hidden test was removed here]"
NOTEBOOK_TOP = 3
"""The heading level of a notebook's ``#``: the page has its title (h1) and sections (h2), the notebook is one."""
NOT_FOUND = "not-found"
"""The id of the page's list of graded cells missing from the notebook."""
FAILED, PENDING, PASSED = "failed", "pending", "passed"
"""A graded cell's state in the summary, in the summary's order: points lost, waiting for a grader, full marks."""

_environment = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, undefined=jinja2.StrictUndefined
)


@dataclass
class Block:
    """One cell of the report.

    kind:    "markdown", "code", "test" or "written"
    body:    rendered HTML of the source (markdown, or highlighted public code)
    outputs: rendered HTML of each output, in order
    grade:   the cell's grade for tests and written answers
    hidden:  number of hidden-test lines cut from a test cell
    is_code: True when `body` is highlighted code (shown preformatted)
    level:   the level of the block's heading (tests and answers), under the notebook's heading before it
    """

    kind: str
    body: Markup
    outputs: list[Markup] = field(default_factory=list)
    grade: CellGrade | None = None
    hidden: int = 0
    is_code: bool = True
    level: int = NOTEBOOK_TOP

    @property
    def anchor(self) -> str:
        """The id of a graded block in the page ("" for the others)."""
        return anchor(self.grade.name) if self.grade else ""


@dataclass(frozen=True)
class SummaryLine:
    """One graded cell in the summary at the top of the page.

    state:  FAILED, PENDING or PASSED
    anchor: the id it links to: its cell, or the list of cells not found in the notebook
    """

    grade: CellGrade
    state: str
    anchor: str


@dataclass
class FeedbackResult:
    """The reports written by one `run`: (student, path) pairs."""

    assignment: str
    written: list[tuple[str, Path]] = field(default_factory=list)


def run(*, course: Path | str = DEFAULT_COURSE, assignment: str, students: Sequence[str] = ()) -> FeedbackResult:
    """Write the feedback of every submitted (or only `students`') notebook of `assignment`."""
    ctx = open_course(course)
    ctx.require_released(assignment)
    grades = [g for g in read_grades(ctx, [assignment], students) if g.status != NOT_SUBMITTED]
    missing = sorted(set(students) - {g.student for g in grades})
    if missing:
        raise UsageError(f"no submission of '{assignment}' in the gradebook for: {', '.join(missing)}")
    result = FeedbackResult(assignment)
    hider = ClearHiddenTests(config=ctx.config)
    for grade in grades:
        folder = ctx.feedback_dir(grade.student, assignment)
        folder.mkdir(parents=True, exist_ok=True)
        for nb_grade in grade.notebooks:
            executed = autograded_notebook(ctx, assignment, grade.student, nb_grade.name)
            folders = student_folders(str(ctx.autograded_dir(grade.student, assignment)))
            page = render(grade, nb_grade.name, executed, hider, folders)
            path = folder / f"{nb_grade.name}.html"
            path.write_text(page)
            result.written.append((grade.student, path))
    return result


def render(
    grade: SubmissionGrade, notebook: str, executed: nbformat.NotebookNode | None, hider: ClearHiddenTests,
    folders: Sequence[str] = (),
) -> str:
    """The HTML page for one notebook of a submission (`executed` is None when it could not be graded); paths
    inside ``folders`` (the submission's) are shown relative to it, every other path of the machine cut."""
    nb_grade = next(n for n in grade.notebooks if n.name == notebook)
    cell_grades = {c.name: c for c in nb_grade.cells}
    items = blocks(executed, cell_grades, hider, folders) if executed is not None else []
    shown = {b.grade.name for b in items if b.grade is not None}
    ungraded = [c for c in nb_grade.cells if c.name not in shown]
    return _environment.get_template("feedback.html.j2").render(
        grade=grade,
        notebook=nb_grade,
        blocks=items,
        summary=summary(items, ungraded),
        ungraded=ungraded,
        not_found=NOT_FOUND,
        generated=dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        css=Markup(HtmlFormatter().get_style_defs(".code")),
    )


def anchor(grade_id: str) -> str:
    """The id of a graded cell's block in the page."""
    return f"cell-{grade_id}"


def state(grade: CellGrade) -> str:
    """FAILED when the cell lost points, PENDING while a person has yet to grade it, else PASSED."""
    if grade.needs_manual_grade and grade.manual_score is None:
        return PENDING
    return PASSED if grade.score >= grade.max_score else FAILED


def summary(items: Sequence[Block], ungraded: Sequence[CellGrade]) -> list[SummaryLine]:
    """Every graded cell, failed ones first, then those waiting for a grader, then the rest; in notebook order
    within each (cells missing from the notebook last of their state, linked to the list of them)."""
    lines = [SummaryLine(b.grade, state(b.grade), b.anchor) for b in items if b.grade is not None]
    lines += [SummaryLine(g, state(g), NOT_FOUND) for g in ungraded]
    order = (FAILED, PENDING, PASSED)
    return sorted(lines, key=lambda line: order.index(line.state))


def hidden_lines(nb: nbformat.NotebookNode, hider: ClearHiddenTests) -> set[str]:
    """The stripped source lines inside hidden-test regions of a notebook, long enough to be worth hiding."""
    found = set()
    for cell in nb.cells:
        inside = False
        for line in cell.source.splitlines():
            if hider.begin_test_delimeter in line:
                inside = True
            elif hider.end_test_delimeter in line:
                inside = False
            elif inside and len(line.strip()) >= MIN_HIDDEN_LINE:
                found.add(line.strip())
    return found


def _public(cell: nbformat.NotebookNode, hider: ClearHiddenTests) -> tuple[str, int]:
    """A test cell's source without its hidden region, and how many hidden lines were cut."""
    probe = nbformat.v4.new_code_cell(cell.source)
    try:
        nbgrader_adapter.remove_hidden_tests(probe, hider)
    except RuntimeError:  # unbalanced delimiters: show nothing of it
        return "", len(cell.source.splitlines())
    inside, hidden = False, 0
    for line in cell.source.splitlines():
        if hider.begin_test_delimeter in line:
            inside = True
        elif hider.end_test_delimeter in line:
            inside = False
        elif inside:
            hidden += 1
    return probe.source, hidden


def _redact(text: str, secret: set[str]) -> str:
    lines = [REDACTED if any(s in line for s in secret) else line for line in text.splitlines()]
    return "\n".join(lines)


def _traceback(output: nbformat.NotebookNode, cell: nbformat.NotebookNode, secret: set[str], test: bool,
               folders: Sequence[str] = ()) -> str:
    """The learner-facing part of an error (`grader.tracebacks`): the frames of the learner's own code (cells, and
    files of ``folders``, the submission's folder), then ``ename: evalue``; never a frame of the grader, the checks
    or a library, nor a path of the grading machine. For a test cell, only frames outside the test cell itself, and
    nothing when none is left (the failure message above says it all)."""
    skip = cell.get("execution_count") if test else None
    frames = tracebacks.student_frames(output.get("traceback", []), folders, skip_cell=skip)
    if test and not frames:
        return ""
    return _redact(tracebacks.render(frames, tracebacks.message(output, folders)), secret)


def _output(
    output: nbformat.NotebookNode, cell: nbformat.NotebookNode, secret: set[str], test: bool, *, alt: str = "figure",
    folders: Sequence[str] = (),
) -> Markup:
    kind = output.get("output_type")
    if kind == "stream":  # a warning names the library file that raised it: its path is cut like a frame's
        css = "stderr" if output.get("name") == "stderr" else "stdout"
        text = tracebacks.scrub(ANSI.sub("", output.get("text", "")), folders)
        return Markup('<pre class="{}">{}</pre>').format(css, _redact(text, secret))
    if kind == "error":
        text = _traceback(output, cell, secret, test, folders)
        return Markup('<pre class="error">{}</pre>').format(text) if text else Markup("")
    data = output.get("data", {})
    for mime in ("image/png", "image/jpeg"):
        if mime in data:
            raw = data[mime] if isinstance(data[mime], str) else "".join(data[mime])
            return Markup('<img alt="{}" src="data:{};base64,{}">').format(alt, mime, raw.replace("\n", ""))
    if "text/plain" in data:
        text = data["text/plain"] if isinstance(data["text/plain"], str) else "".join(data["text/plain"])
        text = tracebacks.scrub(ANSI.sub("", text), folders)
        return Markup('<pre class="result">{}</pre>').format(_redact(text, secret))
    return Markup("")


def _code(source: str) -> Markup:
    return Markup(highlight(source, PythonLexer(), HtmlFormatter(nowrap=True)))


def blocks(nb: nbformat.NotebookNode, grades: dict[str, CellGrade], hider: ClearHiddenTests,
           folders: Sequence[str] = ()) -> list[Block]:
    """The report's cells, in notebook order, with hidden tests cut out. The notebook's headings start at
    `NOTEBOOK_TOP`; a test or answer gets a heading one level under the notebook's heading before it."""
    secret = hidden_lines(nb, hider)
    outline = markdown.Outline(top=NOTEBOOK_TOP)
    out = []
    for position, cell in enumerate(nb.cells, start=1):
        grade_id = cells.grade_id(cell)
        grade = grades.get(grade_id) if grade_id and (utils.is_grade(cell) or utils.is_task(cell)) else None
        is_test = grade is not None and grade.kind == "test"
        level = outline.below()  # the heading of a test or answer, if this cell is one
        if cell.cell_type == "raw":
            out.append(Block("written" if grade else "markdown", Markup("<pre>{}</pre>").format(cell.source),
                             grade=grade, is_code=False, level=level))
            continue
        if cell.cell_type == "markdown":  # a student's answer nests under its own heading, not the notebook's
            body = markdown.render(cell.source, outline=markdown.Outline(top=level + 1) if grade else outline)
            out.append(Block("written" if grade else "markdown", body, grade=grade, is_code=False, level=level))
            continue
        hidden = 0
        source = cell.source
        if is_test:
            source, hidden = _public(cell, hider)
        alt = f"figure from cell {position}"
        outputs = [m for m in (_output(o, cell, secret, is_test, alt=alt, folders=folders)
                               for o in cell.get("outputs", [])) if m]
        kind = "test" if is_test else ("written" if grade else "code")
        out.append(Block(kind, _code(source), outputs, grade, hidden, level=level))
    return out

