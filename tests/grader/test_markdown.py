"""grader.markdown: Markdown as Jupyter reads it, with every formula as MathML and nothing between two formulas
changed; what the converter cannot read is shown as source, never a crash."""

from __future__ import annotations

import html
import re
from pathlib import Path

import nbformat
import pytest

from grader.markdown import MATH_ERROR_CLASS, MathError, Outline, mathml, render

COURSE_NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "assignments" / "source").glob("*/*.ipynb"))
MATH = re.compile(r"<math\b.*?</math>", re.DOTALL)
CODE = re.compile(r"<(pre|code)\b.*?</\1>", re.DOTALL)


def prose(page: str) -> str:
    """The text a reader sees outside formulas and code (tags removed, entities decoded)."""
    return html.unescape(re.sub(r"<[^>]+>", "", CODE.sub("", MATH.sub("", page)))).strip()


def test_text_between_two_formulas_keeps_its_style() -> None:
    """Do underscores inside two formulas stay subscripts, instead of italicising the text between them?"""
    page = render(r"its **bias** $b^{[l]}_i$, and its **outgoing column** $W^{[l+1]}_{:,i}$ in $W^{[l+1]}$")
    assert "<em>" not in page
    assert prose(page) == "its bias , and its outgoing column  in"
    assert page.count("<strong>") == 2 and page.count('<math xmlns="http://www.w3.org/1998/Math/MathML"') == 3
    assert "<msubsup><mi>b</mi><mi>i</mi>" in page  # b with subscript i and superscript [l]
    assert "<msubsup><mi>W</mi><mrow><mi>:</mi><mo>,</mo><mi>i</mi></mrow>" in page


def test_escaped_dollars_and_dollars_in_code_stay_literal() -> None:
    """Is ``\\$`` a dollar sign, and a dollar inside a code span or block left alone, as in Jupyter?"""
    page = render("It costs \\$5, not \\$6; `echo $HOME` and `$x$` are code.\n\n```\nprice = '$3 or $4'\n```")
    assert "<math" not in page
    assert "It costs $5, not $6;" in prose(page)
    assert "<code>echo $HOME</code>" in page and "<code>$x$</code>" in page
    assert "<pre><code>price = '$3 or $4'\n</code></pre>" in page


def test_display_maths_is_a_centred_block_and_inline_maths_stays_in_the_line() -> None:
    """``$$...$$`` and ``\\\\[...\\\\]`` are display formulas (MathML display="block", which browsers centre on a
    line of their own, as Jupyter does); ``$...$`` and ``\\\\(...\\\\)`` sit in the text."""
    page = render("The loss,\n$$\\mathcal{L} = -\\frac{1}{m} \\sum_{k=1}^{m} y_k$$\n"
                  "and $a_k$, \\\\(z_k\\\\), \\\\[y\\\\].")
    assert page.count('display="block"') == 2 and page.count('display="inline"') == 2
    assert "<mfrac>" in page and "<munderover><mo>∑</mo>" in page
    assert "$" not in prose(page) and "\\" not in prose(page)


def test_a_formula_the_converter_cannot_read_shows_its_source_in_a_code_element() -> None:
    """A formula latex2mathml cannot convert (``x^`` lacks its superscript; ``\\foo`` is no command) does not break
    the page: it shows as its source in ``<code class="math-error">`` with the reason, and the rest still renders."""
    with pytest.raises(MathError, match="MissingSuperScriptOrSubscript"):
        mathml("x^")
    with pytest.raises(MathError, match=r"unknown command \\foo"):
        mathml(r"\foo x")
    page = render(r"before $x^$ middle $\foo x$ after $y_1$")
    assert f'<code class="{MATH_ERROR_CLASS}" title="this formula could not be rendered (Missing' in page
    assert ">x^</code>" in page and r">\foo x</code>" in page
    assert page.count("<math") == 1 and prose(page) == "before  middle  after"


def test_a_formula_cannot_put_html_or_links_into_the_page() -> None:
    """Students write formulas too: text inside one is escaped, and ``\\href``, ``\\style``, ``\\class`` lose the
    attributes that would link or restyle the page (latex2mathml's own output leaves ``\\text{<...>}`` raw)."""
    page = render(r"$\text{<script>alert(1)</script>}$ $\href{javascript:alert(1)}{y}$ $\style{position:fixed}{z}$"
                  r" $\class{points}{w}$ <b>raw</b> $a < b \& c$")
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "href=" not in page and "style=" not in page and "class=" not in page
    assert "&lt;b&gt;raw&lt;/b&gt;" in page
    assert "<mo>&lt;</mo>" in page and "<mi>&amp;</mi>" in page


def test_headings_are_placed_under_the_pages_own_and_skip_no_level() -> None:
    """In an outline starting at h3, does ``#`` become h3, and does a jump (``#`` then ``###``) go one level only?"""
    outline = Outline(top=3)
    page = render("# Title\n### Jumped\n## Part\n#### Deep\n###### Deepest", outline=outline)
    assert re.findall(r"<h(\d)>", page) == ["3", "4", "4", "5", "6"]
    assert outline.last == 6 and outline.below() == 6
    assert re.findall(r"<h(\d)>", render("# A\n## B")) == ["1", "2"]  # no outline: as written


@pytest.mark.parametrize("notebook", COURSE_NOTEBOOKS, ids=lambda p: p.stem)
def test_every_formula_of_the_course_notebooks_renders(notebook: Path) -> None:
    """Does every Markdown cell of the shipped course render with each formula as MathML: no conversion error, no
    ``$`` left in the prose?"""
    cells = [c for c in nbformat.read(notebook, as_version=4).cells if c.cell_type == "markdown"]
    formulas = 0
    for index, cell in enumerate(cells):
        page = render(cell.source)
        failed = re.findall(rf'class="{MATH_ERROR_CLASS}" title="([^"]*)">([^<]*)', page)
        assert not failed, f"{notebook.name}, markdown cell {index}: {failed}"
        assert "$" not in prose(page), f"{notebook.name}, markdown cell {index}: a $ left in {prose(page)!r}"
        formulas += page.count("<math ")
    assert formulas >= 100  # the course's notebooks are full of maths: the loop above did look at formulas
