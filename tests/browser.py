"""The browser fixtures of the suite: Debian's headless Chromium driven by Playwright, offline, started once, shared.

A pytest plugin (``pytest_plugins`` in tests/conftest.py) with two fixtures:

- ``chromium``: the Playwright `Browser`, launched from `CHROMIUM` (never a browser of Playwright's own:
  ``playwright install`` cannot work here) on first use and shared by the tests that follow (`SharedChromium`);
- ``browser_page``: a fresh `Page` in a new context of `VIEWPORT` per test, closed after it. The context lets
  through only ``file:`` and ``data:`` URLs: any other request (http, https, WebSockets) is aborted as blocked by
  the client, so a page that wants the network fails visibly (a failed request, a console error).

A test of a local server (nbgrader's formgrader on loopback) makes its own context with `offline_context`, which
lets through that server's ``http://127.0.0.1:PORT/`` too, and nothing else.

When Playwright is not importable, or Chromium is missing or does not start, both skip with one reason that says
what to do. Mark the tests that use them ``@pytest.mark.browser``. Helpers: `open_file` loads a local HTML file,
`collect_errors` gathers a page's console errors and uncaught exceptions.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page, Playwright, Route, WebSocketRoute

CHROMIUM = Path("/usr/bin/chromium")
"""Debian's package ``chromium`` (scripts/install-system-packages chromium)."""
ARGS = ["--no-sandbox"]
"""Chromium's own sandbox cannot start as root, and the tests run as root in CI."""
VIEWPORT = {"width": 1000, "height": 800}
LOCAL_SCHEMES = ("file:", "data:")
"""The only URLs a page may load: everything else is the network, which tests never reach."""
INSTALL = "run scripts/install-system-packages chromium as root"
LOOPBACK = "http://127.0.0.1:"
"""The only servers a context may reach (`offline_context`): the test's own, on loopback."""


class SharedChromium:
    """One headless Chromium driven by Playwright, started on first use and kept while consecutive tests use it.

    Not a session-scoped fixture: sync Playwright marks its event loop as running in the main thread for as long as
    it is started, so ``asyncio.run`` (and the kernel executor's nbclient) would fail in every later test. It is
    stopped before a test that does not ask for ``chromium`` (`pytest_runtest_setup`) and at the end of the session:
    tests of one module share one start (about half a second). A failed start is remembered: every browser test of
    the session skips with its reason, without trying again.
    """

    def __init__(self) -> None:
        self.why_not: str | None = None
        self._playwright: Playwright | None = None
        self._browser: Browser | None = None

    def get(self) -> Browser:
        """The running browser, started now if needed; skips the test with `why_not` when it cannot start."""
        if self._browser is None and self.why_not is None:
            self.why_not = self._start()
        if self.why_not is not None:
            pytest.skip(self.why_not)
        assert self._browser is not None
        return self._browser

    def _start(self) -> str | None:
        try:
            from playwright.sync_api import Error, sync_playwright
        except ImportError:
            return 'Playwright is not installed: pip install -e ".[test]" (make .venv/.installed)'
        if not CHROMIUM.exists():
            return f"Chromium is not installed ({CHROMIUM} is missing): {INSTALL}"
        try:
            self._playwright = sync_playwright().start()
            self._browser = self._playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        except Error as error:
            self.stop()
            return f"Chromium ({CHROMIUM}) does not start: {_first_error(str(error))}"
        return None

    def stop(self) -> None:
        """Close the browser and Playwright's driver, if started; the next `get` starts them again."""
        if self._browser is not None:
            self._browser.close()
        if self._playwright is not None:
            self._playwright.stop()
        self._browser = None
        self._playwright = None


def _first_error(message: str) -> str:
    """Chromium's first ``ERROR`` line in the log of Playwright's `message`, else the message's first line."""
    lines = message.strip().splitlines()
    return next((line.rsplit("] ", 1)[-1] for line in lines if ":ERROR:" in line), lines[0])


SHARED = SharedChromium()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    if "chromium" not in getattr(item, "fixturenames", ()):
        SHARED.stop()


def pytest_sessionfinish() -> None:
    SHARED.stop()


@pytest.fixture
def chromium() -> Browser:
    """Headless Chromium (`SharedChromium`: shared by consecutive tests); skips when it cannot start."""
    return SHARED.get()


@pytest.fixture
def browser_page(chromium: Browser) -> Iterator[Page]:
    """A new page of `VIEWPORT` in its own context (no cookies or storage shared), offline, closed after the test."""
    context = offline_context(chromium)
    yield context.new_page()
    context.close()


def offline_context(browser: Browser, allow: Sequence[str] = ()) -> BrowserContext:
    """A new context of `VIEWPORT` (no cookies or storage shared) that loads ``file:`` and ``data:`` URLs and those
    starting with one of `allow`, each a loopback origin such as ``http://127.0.0.1:8123/``; every other request is
    aborted as blocked by the client, and WebSockets are refused. The caller closes it."""
    for origin in allow:
        if not (origin.startswith(LOOPBACK) and origin.endswith("/") and origin[len(LOOPBACK):-1].isdigit()):
            raise ValueError(f"{origin!r} is not a loopback origin {LOOPBACK}PORT/")
    allowed = (*LOCAL_SCHEMES, *allow)
    context = browser.new_context(viewport=VIEWPORT, service_workers="block")
    context.route("**/*", lambda route: _only(route, allowed))
    context.route_web_socket("**/*", _refuse)
    return context


def _only(route: Route, allowed: tuple[str, ...]) -> None:
    if route.request.url.startswith(allowed):
        route.continue_()
    else:
        route.abort("blockedbyclient")  # the page sees net::ERR_BLOCKED_BY_CLIENT


def _refuse(websocket: WebSocketRoute) -> None:
    websocket.close(code=1008, reason="tests never reach the network")


def open_file(page: Page, path: Path) -> None:
    """Load the local HTML file `path` in `page` (a ``file://`` URL) and wait for its ``load`` event."""
    page.goto(path.resolve().as_uri(), wait_until="load")


def collect_errors(page: Page) -> list[str]:
    """A list that fills, from this call on, with `page`'s console errors (a blocked request among them) and its
    uncaught exceptions, one string each. Call it before `open_file`; assert it is empty after."""
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(f"uncaught {error.name}: {error.message}"))
    return errors
