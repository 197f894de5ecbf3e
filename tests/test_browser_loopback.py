"""tests/browser.py's `offline_context`: a page may reach the test's own server on loopback, and nothing else."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from tests.browser import collect_errors, offline_context

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = pytest.mark.browser


class Page(http.server.BaseHTTPRequestHandler):
    """Serves one page that shows an image from its own server and asks for one from another port."""

    other = 9  # loopback's discard port: nothing answers there, and the context must not even try

    def do_GET(self) -> None:
        if self.path == "/dot.svg":
            body, kind = b'<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"/>', "image/svg+xml"
        else:
            body = (f'<!DOCTYPE html><img id="own" src="/dot.svg">'
                    f'<img id="other" src="http://127.0.0.1:{self.other}/dot.svg">').encode()
            kind = "text/html"
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


def test_the_allowed_loopback_server_loads_and_any_other_is_blocked(chromium: Browser, server: str) -> None:
    context = offline_context(chromium, allow=[server])
    try:
        page = context.new_page()
        failed: list[tuple[str, str]] = []
        page.on("requestfailed", lambda r: failed.append((r.url, str(r.failure))))
        errors = collect_errors(page)
        page.goto(server, wait_until="load")
        assert page.locator("#own").evaluate("img => img.naturalWidth") == 8
        assert [url for url, _ in failed] == [f"http://127.0.0.1:{Page.other}/dot.svg"]
        assert failed[0][1].startswith("net::ERR_BLOCKED_BY_CLIENT")
        assert any("ERR_BLOCKED_BY_CLIENT" in e for e in errors)
    finally:
        context.close()


def test_a_context_refuses_anything_but_a_loopback_origin(chromium: Browser) -> None:
    for origin in ("http://example.org/", "http://localhost:8000/", "http://127.0.0.1:8000", "https://127.0.0.1:1/"):
        with pytest.raises(ValueError, match="not a loopback origin"):
            offline_context(chromium, allow=[origin])
