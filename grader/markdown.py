"""The tool's one Markdown renderer: Markdown as Jupyter reads it, its formulas as MathML, with no network.

Every HTML page the tool writes renders Markdown with `render`. Parsing is nbconvert's own (`MathBlockParser`,
`MathInlineParser`: what ``jupyter nbconvert --to html`` reads), so formulas are found where Jupyter finds them:
``$...$`` and ``\\(...\\)`` inline; ``$$...$$``, ``\\[...\\]`` and ``\\begin{env}...\\end{env}`` displayed (the
brackets written with two backslashes in Markdown, as in Jupyter); never ``\\$`` nor a dollar in a code span or
block. The inside of a formula never reaches Markdown, so its ``_`` and ``*`` make no emphasis.

Formulas become MathML here, on the server (latex2mathml, pure Python), rather than being typeset in the browser by
a bundled KaTeX or MathJax: the page stays one file with no script (it renders with scripts off, and a report needs
nothing to load), it prints as it shows, screen readers read MathML natively, and browsers draw MathML Core
(Chromium since 109, Firefox, Safari). Display formulas are centred blocks and inline ones sit in the line, as in
Jupyter. A formula the converter cannot read is shown as its source in ``<code class="math-error">`` with the
reason in its title: never an exception, never a broken page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from xml.etree.ElementTree import Element, tostring

import mistune
from latex2mathml.converter import convert_to_element
from markupsafe import Markup
from nbconvert.filters.markdown_mistune import MarkdownWithMath

UNSAFE_ATTRIBUTES = frozenset({"href", "style", "class", "id"})
"""Attributes that latex2mathml fills from the source (``\\href``, ``\\style``, ``\\class``) and that would link,
restyle or hook into the page; a formula keeps its content without them. Formulas come from students too."""
_ENTITY = re.compile(r"&#x([0-9A-Fa-f]+);")
"""latex2mathml writes symbols as entity text (``&#x02212;``) that its own serializer unescapes."""
_COMMAND = re.compile(r"\\[A-Za-z]+")
"""A command latex2mathml did not know comes out as its own text (``<mi>\\foo</mi>``)."""
MATH_ERROR_CLASS = "math-error"


class MathError(ValueError):
    """A formula that cannot be converted to MathML; the message says why."""


@dataclass
class Outline:
    """Heading levels for Markdown placed under a page's own headings: Markdown's level 1 becomes ``top``, and no
    heading is more than one level below the heading before it, so a screen reader's outline skips no level.

    top:  the level a Markdown ``#`` heading gets
    last: the level of the last heading placed (``top - 1`` before any)
    """

    top: int = 1
    last: int = 0

    def __post_init__(self) -> None:
        self.last = self.last or self.top - 1

    def place(self, level: int) -> int:
        """The page level of a Markdown heading of `level`; it becomes the last heading."""
        self.last = min(self.top + level - 1, self.last + 1, 6)
        return self.last

    def below(self) -> int:
        """The level of a heading under the last one, e.g. a test under its exercise (the outline stays as it is)."""
        return min(self.last + 1, 6)


def mathml(latex: str, *, display: bool = False) -> Markup:
    """The MathML of one formula (without its delimiters). Raises MathError when latex2mathml cannot read it."""
    try:
        math = convert_to_element(latex, display="block" if display else "inline")
    except Exception as error:  # latex2mathml raises bare Exception subclasses (MissingSuperScriptOrSubscriptError)
        raise MathError(f"{type(error).__name__}: {error}".rstrip(": ")) from error
    for element in math.iter():
        _clean(element)
    return Markup(tostring(math, encoding="unicode"))


def _clean(element: Element) -> None:
    for name in UNSAFE_ATTRIBUTES & element.attrib.keys():
        del element.attrib[name]
    if element.text and _COMMAND.fullmatch(element.text.strip()):
        raise MathError(f"unknown command {element.text.strip()}")
    element.text = _ENTITY.sub(lambda m: chr(int(m[1], 16)), element.text) if element.text else element.text
    element.tail = _ENTITY.sub(lambda m: chr(int(m[1], 16)), element.tail) if element.tail else element.tail


def formula(latex: str, *, display: bool = False) -> Markup:
    """One formula as MathML, or, when it cannot be converted, its source in ``<code class="math-error">``."""
    try:
        return mathml(latex, display=display)
    except MathError as error:
        return Markup('<code class="{}" title="this formula could not be rendered ({})">{}</code>').format(
            MATH_ERROR_CLASS, str(error), latex.strip())


class _Renderer(mistune.HTMLRenderer):
    """mistune's HTML (raw HTML escaped) with formulas as MathML and headings placed in an `Outline`."""

    def __init__(self, outline: Outline | None) -> None:
        super().__init__(escape=True)
        self.outline = outline

    def inline_math(self, body: str) -> str:
        return formula(body)

    def block_math(self, body: str) -> str:
        return formula(body, display=True)

    def latex_environment(self, name: str, body: str) -> str:
        return formula(f"\\begin{{{name}}}{body}\\end{{{name}}}", display=True)

    def heading(self, text: str, level: int, **attrs: Any) -> str:
        return super().heading(text, self.outline.place(level) if self.outline else level, **attrs)


def render(source: str, *, outline: Outline | None = None) -> Markup:
    """The HTML of a Markdown text (a notebook's Markdown cell): raw HTML escaped, formulas as MathML.

    outline: where its headings go in the page (default: as written, ``#`` is ``<h1>``)
    """
    return Markup(MarkdownWithMath(renderer=_Renderer(outline)).render(source))
