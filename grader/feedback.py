"""grader feedback: one HTML report per student and notebook, that never shows a hidden test.

nbgrader's own feedback renders the autograded notebook whole, hidden tests included (nbgrader #917). Here every
cell goes through `blocks`: a test cell shows its points, its failure messages (``ename: evalue``) and its public
lines only (the region between the hidden-test delimiters is cut, as `ClearHiddenTests` does at release); a
traceback keeps only the frames of the learner's own code, and any output line that contains a hidden line is
replaced by a notice. Written answers show the grader's score and comment. The page is the Jinja2 template
``templates/feedback.html.j2``, written to nbgrader's ``feedback/<student>/<assignment>/<notebook>.html``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
import mistune
import nbformat
from markupsafe import Markup
from nbgrader import utils
from nbgrader.preprocessors import ClearHiddenTests
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer

from grader import nbgrader_adapter
from grader.course import DEFAULT_COURSE, open_course
from grader.errors import UsageError
from grader.grades import ANSI, NOT_SUBMITTED, CellGrade, SubmissionGrade, autograded_notebook, read_grades

TEMPLATES = Path(__file__).parent / "templates"
MIN_HIDDEN_LINE = 6
"""Hidden lines shorter than this (``pass``, ``)``) are not searched for in outputs: they reveal nothing."""
REDACTED = "[a line of a hidden test was removed here]"

_markdown = mistune.create_markdown(escape=True, plugins=["table", "strikethrough"])
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
    """

    kind: str
    body: Markup
    outputs: list[Markup] = field(default_factory=list)
    grade: CellGrade | None = None
    hidden: int = 0
    is_code: bool = True


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
            page = render(grade, nb_grade.name, executed, hider)
            path = folder / f"{nb_grade.name}.html"
            path.write_text(page)
            result.written.append((grade.student, path))
    return result


def render(
    grade: SubmissionGrade, notebook: str, executed: nbformat.NotebookNode | None, hider: ClearHiddenTests
) -> str:
    """The HTML page for one notebook of a submission (`executed` is None when it could not be graded)."""
    nb_grade = next(n for n in grade.notebooks if n.name == notebook)
    cell_grades = {c.name: c for c in nb_grade.cells}
    items = blocks(executed, cell_grades, hider) if executed is not None else []
    shown = {b.grade.name for b in items if b.grade is not None}
    return _environment.get_template("feedback.html.j2").render(
        grade=grade,
        notebook=nb_grade,
        blocks=items,
        ungraded=[c for c in nb_grade.cells if c.name not in shown],
        generated=dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        css=Markup(HtmlFormatter().get_style_defs(".code")),
    )


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


def _traceback(output: nbformat.NotebookNode, cell: nbformat.NotebookNode, secret: set[str], test: bool) -> str:
    """The learner-facing part of an error: for a test cell only the frames outside the test cell itself."""
    message = f"{output.get('ename', '')}: {output.get('evalue', '')}"
    frames = [ANSI.sub("", f) for f in output.get("traceback", [])]
    if test:
        own = f"Cell In[{cell.get('execution_count')}]"
        frames = [f for f in frames[:-1] if own not in f and not set(f.strip()) <= {"-"} and "Traceback" not in f]
        if not frames:  # nothing of the learner's own code: the failure message above says it all
            return ""
        frames = [*frames, message]
    return _redact("\n".join(frames) if frames else message, secret)


def _output(output: nbformat.NotebookNode, cell: nbformat.NotebookNode, secret: set[str], test: bool) -> Markup:
    kind = output.get("output_type")
    if kind == "stream":
        css = "stderr" if output.get("name") == "stderr" else "stdout"
        return Markup('<pre class="{}">{}</pre>').format(css, _redact(ANSI.sub("", output.get("text", "")), secret))
    if kind == "error":
        text = _traceback(output, cell, secret, test)
        return Markup('<pre class="error">{}</pre>').format(text) if text else Markup("")
    data = output.get("data", {})
    for mime in ("image/png", "image/jpeg"):
        if mime in data:
            raw = data[mime] if isinstance(data[mime], str) else "".join(data[mime])
            return Markup('<img alt="figure" src="data:{};base64,{}">').format(mime, raw.replace("\n", ""))
    if "text/plain" in data:
        text = data["text/plain"] if isinstance(data["text/plain"], str) else "".join(data["text/plain"])
        return Markup('<pre class="result">{}</pre>').format(_redact(ANSI.sub("", text), secret))
    return Markup("")


def _code(source: str) -> Markup:
    return Markup(highlight(source, PythonLexer(), HtmlFormatter(nowrap=True)))


def blocks(nb: nbformat.NotebookNode, grades: dict[str, CellGrade], hider: ClearHiddenTests) -> list[Block]:
    """The report's cells, in notebook order, with hidden tests cut out."""
    secret = hidden_lines(nb, hider)
    out = []
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        grade = grades.get(grade_id) if grade_id and (utils.is_grade(cell) or utils.is_task(cell)) else None
        is_test = grade is not None and grade.kind == "test"
        if cell.cell_type == "markdown" or cell.cell_type == "raw":
            body = Markup(_markdown(cell.source)) if cell.cell_type == "markdown" else Markup(
                "<pre>{}</pre>").format(cell.source)
            out.append(Block("written" if grade else "markdown", body, grade=grade, is_code=False))
            continue
        hidden = 0
        source = cell.source
        if is_test:
            source, hidden = _public(cell, hider)
        outputs = [m for m in (_output(o, cell, secret, is_test) for o in cell.get("outputs", [])) if m]
        kind = "test" if is_test else ("written" if grade else "code")
        out.append(Block(kind, _code(source), outputs, grade, hidden))
    return out

