"""The browser fixtures of tests/browser.py: local pages render (SVG, MathML, files beside them), the network fails."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.browser import VIEWPORT, collect_errors, open_file

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser

PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><link rel="stylesheet" href="style.css"></head>
<body>
<p id="styled">styled by a file next to the page</p>
<svg id="plot" width="120" height="80"><circle cx="40" cy="40" r="30" fill="steelblue"/></svg>
<math id="formula"><msup><mi>W</mi><mn>1</mn></msup><mo>=</mo><mn>0</mn></math>
</body></html>
"""


def write_page(folder: Path, body: str = PAGE) -> Path:
    (folder / "style.css").write_text("#styled { color: rgb(200, 0, 0); }")
    page = folder / "page.html"
    page.write_text(body)
    return page


def test_inline_svg_and_mathml_render_with_a_size(browser_page: Page, tmp_path: Path) -> None:
    """Do an inline SVG and a MathML formula of a local file take up room on the page, with no console error?"""
    errors = collect_errors(browser_page)
    open_file(browser_page, write_page(tmp_path))
    for selector in ("#plot", "#formula"):
        box = browser_page.locator(selector).bounding_box()
        assert box is not None and box["width"] > 0 and box["height"] > 0, (selector, box)
    assert errors == []


def test_files_next_to_the_page_load(browser_page: Page, tmp_path: Path) -> None:
    """Does a stylesheet beside the HTML file (a file:// request) pass the network block?"""
    open_file(browser_page, write_page(tmp_path))
    color = browser_page.locator("#styled").evaluate("element => getComputedStyle(element).color")
    assert color == "rgb(200, 0, 0)"


def test_a_request_to_the_network_is_blocked(browser_page: Page, tmp_path: Path) -> None:
    """Does a page that loads an http:// resource see it fail as blocked, in its failed requests and console?"""
    url = "http://127.0.0.1:9/plot.png"  # loopback's discard port: nothing leaves the machine even unblocked
    failed: list[tuple[str, str]] = []
    browser_page.on("requestfailed", lambda request: failed.append((request.url, str(request.failure))))
    errors = collect_errors(browser_page)
    open_file(browser_page, write_page(tmp_path, f'<!DOCTYPE html><img src="{url}">'))
    blocked = [request_url for request_url, failure in failed if failure.startswith("net::ERR_BLOCKED_BY_CLIENT")]
    assert blocked == [url] and len(failed) == 1, failed
    assert any("ERR_BLOCKED_BY_CLIENT" in error for error in errors), errors


def test_uncaught_exceptions_are_collected(browser_page: Page, tmp_path: Path) -> None:
    """Does `collect_errors` report a script's uncaught exception and its console.error lines?"""
    errors = collect_errors(browser_page)
    script = "<script>console.error('drawn badly'); null.width;</script>"
    open_file(browser_page, write_page(tmp_path, f"<!DOCTYPE html>{script}"))
    assert errors[0] == "drawn badly"
    assert errors[1].startswith("uncaught TypeError: "), errors


def test_a_screenshot_is_a_png_of_the_viewport(browser_page: Page, tmp_path: Path) -> None:
    """Is a screenshot a PNG of the fixed viewport's size?"""
    open_file(browser_page, write_page(tmp_path))
    png = browser_page.screenshot()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = struct.unpack(">II", png[16:24])  # the IHDR chunk
    assert (width, height) == (VIEWPORT["width"], VIEWPORT["height"])
