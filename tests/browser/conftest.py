"""Browser tests: the demo site built once, served on loopback, driven by Debian's chromium.

The site is copied to a temporary folder and built as `invoke build --no-fetch` and
`invoke preview` build it (Pelican with DIGEST_FETCH=0; the plugin runs Pagefind), in three
forms:

- `published`: publishconf.py with SITEURL=http://127.0.0.1:PORT/digest, served under /digest/
  the way GitHub Pages serves a project site, with 404.html for every missing address;
- `preview`: pelicanconf.py (relative URLs), served at the root as `invoke serve` does;
- `sharded`: the preview with a search index in shards of 10 pages, as a large site gets.

Without Playwright, Pagefind or /usr/bin/chromium the tests skip, saying what is missing;
with CI set in the environment they fail instead.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest

from tests.sitecopy import copy_site as copy_tree_of_site

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("DIGEST_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
COPIED = [
    "pelicanconf.py",
    "publishconf.py",
    "sources.opml",
    "plugins",
    "theme",
    "demo",
    "site_rules",
    "content",
]
SUBPATH = "/digest/"


def require(available: bool, what: str, how: str) -> None:
    """Skip (or, in CI, fail) when something the browser tests need is missing."""
    if available:
        return
    message = f"browser tests need {what}: {how}"
    if os.environ.get("CI"):
        pytest.fail(f"{message} (CI is set, so this fails instead of skipping)", pytrace=False)
    pytest.skip(message)


def require_tools() -> None:
    require(
        importlib.util.find_spec("playwright") is not None,
        "Playwright for Python",
        "pip install -r requirements-dev.txt",
    )
    require(
        importlib.util.find_spec("axe_playwright_python") is not None,
        "axe-playwright-python",
        "pip install -r requirements-dev.txt",
    )
    require(
        importlib.util.find_spec("pagefind") is not None,
        "Pagefind",
        'pip install -r requirements.txt (it pins "pagefind[extended]")',
    )
    require(
        CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK),
        f"a chromium at {CHROMIUM}",
        "run scripts/install-browser (as root), or set DIGEST_CHROMIUM",
    )


# Building --------------------------------------------------------------------------------


def copy_site(root: Path) -> None:
    """The site's sources, the demo's archive in content/ included, in a fresh folder."""
    root.mkdir(parents=True, exist_ok=True)
    copy_tree_of_site(root, COPIED)


def build_site(root: Path, settings: str, siteurl: str = "") -> Path:
    """Pelican (no fetching; the plugin builds the search index), as the build tasks run it;
    returns output/."""
    env = {
        **os.environ,
        "PYTHONPATH": str(root / "plugins"),
        "DIGEST_FETCH": "0",
        "SITEURL": siteurl,
    }
    output = root / "output"
    command = [sys.executable, "-m", "pelican", "-s", settings, "-o", str(output)]
    result = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, check=False)
    log = result.stdout + result.stderr
    assert result.returncode == 0, f"pelican -s {settings} failed:\n{log}"
    assert "Traceback" not in log, log
    assert (output / "pagefind" / "pagefind-ui.js").is_file()
    return output


# Serving ---------------------------------------------------------------------------------


class SiteHandler(SimpleHTTPRequestHandler):
    """Serves output/ under a path prefix, and 404.html (status 404) for anything missing."""

    prefix = "/"

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the tests report what matters."""

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        if not path.startswith(self.prefix) and path + "/" != self.prefix:
            self.not_found()
            return
        local = Path(self.translate_path("/" + path[len(self.prefix) :]))
        if local.is_dir():
            if not path.endswith("/"):
                self.send_response(301)
                self.send_header("Location", path + "/")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            local = local / "index.html"
        if not local.is_file():
            self.not_found()
            return
        self.path = "/" + path[len(self.prefix) :]
        super().do_GET()

    def not_found(self) -> None:
        body = (Path(self.directory) / "404.html").read_bytes()
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@dataclass
class Site:
    """A built site and where it is served."""

    output: Path
    base: str  # http://127.0.0.1:PORT/prefix/

    def url(self, path: str = "") -> str:
        return self.base + path.lstrip("/")


def serve(tmp: Path, settings: str, prefix: str, extra: str = "") -> Iterator[Site]:
    """Bind a loopback port, build the site for it, serve it in a thread until the session ends.
    `extra` is appended to the copied settings file."""
    handler = type("Handler", (SiteHandler,), {"prefix": prefix})
    output = tmp / "site" / "output"
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(handler, directory=str(output)))
    base = f"http://127.0.0.1:{server.server_address[1]}{prefix}"
    copy_site(tmp / "site")
    if extra:
        with (tmp / "site" / settings).open("a", encoding="utf-8") as conf:
            conf.write(f"\n{extra}\n")
    siteurl = base.rstrip("/") if settings == "publishconf.py" else ""
    build_site(tmp / "site", settings, siteurl)
    thread = threading.Thread(target=server.serve_forever, name=f"site {base}", daemon=True)
    thread.start()
    try:
        yield Site(output=output, base=base)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(scope="session")
def published(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The site as `invoke preview` builds it for a project page: served under /digest/."""
    require_tools()
    yield from serve(tmp_path_factory.mktemp("published"), "publishconf.py", SUBPATH)


@pytest.fixture(scope="session")
def preview(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The site as `invoke build` builds it (relative URLs), served at the root."""
    require_tools()
    yield from serve(tmp_path_factory.mktemp("preview"), "pelicanconf.py", "/")


@pytest.fixture(scope="session")
def sharded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The preview with its search index in shards of 10 pages: 27 articles in 3, the About
    page in one of its own."""
    require_tools()
    yield from serve(
        tmp_path_factory.mktemp("sharded"), "pelicanconf.py", "/", "DIGEST_SEARCH_SHARD_SIZE = 10"
    )


# The browser -----------------------------------------------------------------------------


# Package scope: Playwright's sync API runs an event loop in this thread while it is open, which
# later tests that start one of their own (asyncio.run) must not find still running.
@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    require_tools()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@dataclass
class Tab:
    """A page in its own browser context, with what went wrong while it was open."""

    page: Page
    errors: list[str] = field(default_factory=list)  # console errors, page errors, HTTP >= 400
    foreign: list[str] = field(default_factory=list)  # requests that left loopback (blocked)

    def problems(self) -> list[str]:
        return self.errors + [f"request to a third party: {url}" for url in self.foreign]


Opener = Callable[..., Tab]


@pytest.fixture
def open_page(browser: Browser) -> Iterator[Opener]:
    """open_page(url, width=1280, dark=False, javascript=True, expect_status=200) -> Tab."""
    contexts: list[BrowserContext] = []

    def opener(
        url: str,
        width: int = 1280,
        dark: bool = False,
        javascript: bool = True,
        expect_status: int = 200,
    ) -> Tab:
        context = browser.new_context(
            viewport={"width": width, "height": 900 if width > 600 else 780},
            color_scheme="dark" if dark else "light",
            java_script_enabled=javascript,
            reduced_motion="reduce",
        )
        contexts.append(context)
        page = context.new_page()
        tab = Tab(page)

        def guard(route: object) -> None:
            request_url = route.request.url  # type: ignore[attr-defined]
            if urlsplit(request_url).hostname in ("127.0.0.1", "localhost"):
                route.continue_()  # type: ignore[attr-defined]
            else:
                tab.foreign.append(request_url)
                route.abort()  # type: ignore[attr-defined]

        context.route("**/*", guard)

        def on_console(message: ConsoleMessage) -> None:
            # A page served with an error status on purpose (404.html) logs that status too.
            expected = expect_status >= 400 and message.location.get("url") == url
            if message.type == "error" and not expected:
                tab.errors.append(f"console {message.type}: {message.text}")

        page.on("console", on_console)
        page.on("pageerror", lambda error: tab.errors.append(f"page error: {error}"))
        page.on(
            "response",
            lambda response: (
                tab.errors.append(f"HTTP {response.status}: {response.url}")
                if response.status >= 400 and response.url != url
                else None
            ),
        )
        response = page.goto(url, wait_until="load")
        assert response is not None and response.status == expect_status, url
        page.evaluate("Promise.all([...document.images].map(i => i.decode().catch(() => null)))")
        return tab

    yield opener
    for context in contexts:
        context.close()
