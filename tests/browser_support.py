"""Real-browser fixtures shared by the site and staff browser tests (tests/conftest.py
imports them once, so the whole run has one Chromium): Debian's headless Chromium
driven by Playwright, a static file server on 127.0.0.1, and axe-core for the
accessibility checks.

- `browser` (session): Chromium, launched from `shutil.which("chromium")`
  (Playwright cannot download its own browser here).
- `page`: a fresh ja-JP / Asia/Tokyo context whose requests to anything but
  127.0.0.1/localhost are aborted and recorded in `page.outside_requests`
  (also the `outside_requests` fixture); uncaught script errors are in
  `page.script_errors`.
- `static_server(directory, prefix="/") -> base_url`: serves a folder (under a
  path prefix, as a site under a sub-path is), stopped at teardown.
- `axe_violations(page, impacts=("serious", "critical")) -> list[dict]`: the
  WCAG 2.0 A/AA violations axe-core finds; printing the list gives a summary.

Without chromium, Playwright or node_modules the tests skip, except under CI
(`CI` set), where they fail: `make test` installs all three."""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

from kokai.errors import KokaiError
from kokai.site.assets import find_node_modules

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # Without these Chromium's own background connections make it refuse to start here.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
TIMEOUT_MS = 15_000


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() not in ("", "0", "false", "no")


def missing(reason: str) -> None:
    """Skip on a developer's machine; fail under CI, where `make test` installs everything."""
    if in_ci():
        pytest.fail(f"{reason} (CI: `make test` should have installed it)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def node_modules() -> Path:
    try:
        return find_node_modules()
    except KokaiError as error:
        missing(str(error))
        raise  # not reached: missing() skips or fails


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    executable = shutil.which("chromium")
    if not executable:
        missing("chromium is not installed (Debian package `chromium`; `make chromium`)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("playwright is not installed (`make setup`)")
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
    except Exception:
        playwright.stop()
        raise
    yield browser
    browser.close()
    playwright.stop()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(locale="ja-JP", timezone_id="Asia/Tokyo")
    context.set_default_timeout(TIMEOUT_MS)
    outside: list[str] = []

    def only_local(route: Any) -> None:
        url = route.request.url
        parts = urlsplit(url)
        if parts.scheme in ("data", "blob") or parts.hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    context.route("**/*", only_local)
    page = context.new_page()
    page.outside_requests = outside
    page.script_errors = []
    page.on("pageerror", lambda error: page.script_errors.append(str(error)))
    yield page
    context.close()


@pytest.fixture
def outside_requests(page: Any) -> list[str]:
    """The URLs the page tried to reach outside 127.0.0.1 (all were aborted)."""
    return page.outside_requests


class _PrefixedHandler(http.server.SimpleHTTPRequestHandler):
    prefix = "/"

    def translate_path(self, path: str) -> str:
        path = unquote(urlsplit(path).path)
        if not path.startswith(self.prefix):
            return str(Path(self.directory) / "__outside_prefix__")  # → 404
        return super().translate_path("/" + path[len(self.prefix):])

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - base signature
        pass


@pytest.fixture
def static_server() -> Iterator[Callable[..., str]]:
    """A function: static_server(directory, prefix="/") → "http://127.0.0.1:PORT/prefix/"."""
    servers: list[http.server.ThreadingHTTPServer] = []

    def serve(directory: Path, prefix: str = "/") -> str:
        prefix = "/" + prefix.strip("/") + "/" if prefix.strip("/") else "/"
        handler = type("Handler", (_PrefixedHandler,), {"prefix": prefix})
        server = http.server.ThreadingHTTPServer(
            ("127.0.0.1", 0), functools.partial(handler, directory=str(directory))
        )
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}{prefix}"

    yield serve
    for server in servers:
        server.shutdown()
        server.server_close()


class AxeViolations(list):
    """axe-core's violation dicts; str() is a summary fit for an assertion message."""

    def __str__(self) -> str:
        if not self:
            return "no axe-core violations"
        lines = []
        for violation in self:
            lines.append(
                f"[{violation.get('impact')}] {violation['id']}: {violation.get('help')} "
                f"({violation.get('helpUrl')})"
            )
            for node in violation.get("nodes", [])[:5]:
                target = " ".join(str(part) for part in node.get("target", []))
                summary = (node.get("failureSummary") or "").replace("\n", " ")
                lines.append(f"    {target}: {summary}")
        return "\n".join(lines)

    __repr__ = __str__


@pytest.fixture
def axe_violations(node_modules: Path) -> Callable[..., AxeViolations]:
    """A function: axe_violations(page, impacts=("serious", "critical"),
    tags=("wcag2a", "wcag2aa")) → the violations of those impacts on the page as
    it is now (JIS X 8341-3:2016 = WCAG 2.0)."""
    script = node_modules / "axe-core" / "axe.min.js"
    if not script.is_file():
        missing(f"{script} is missing (run `npm ci` or `make setup`)")

    def run(
        page: Any,
        impacts: tuple[str, ...] = ("serious", "critical"),
        tags: tuple[str, ...] = ("wcag2a", "wcag2aa"),
    ) -> AxeViolations:
        if not page.evaluate("() => typeof window.axe !== 'undefined'"):
            # evaluated through the DevTools protocol, not added as a <script>: the site's
            # Content-Security-Policy (rightly) refuses inline scripts
            page.evaluate(script.read_text(encoding="utf-8") + "\n;true")
        result = page.evaluate(
            "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", list(tags)
        )
        return AxeViolations(v for v in result["violations"] if v.get("impact") in impacts)

    return run
