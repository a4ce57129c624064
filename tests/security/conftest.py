"""Security test set-up: Hypothesis profiles, the hostile sources, and one hostile site build.

The build copies the site (pelicanconf.py, plugins/, theme/, content/pages/) into a temporary
folder, points DIGEST_SOURCES at hostile feeds on a loopback server, runs the fetch in-process
(so an exception is seen as itself) and then Pelican in a subprocess, once per test session.
"""

from __future__ import annotations

import ipaddress
import os
import shutil
import socket
import subprocess
import sys
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from .hostile import Payload, SourceServer, load_payloads, serve_hostile

ROOT = Path(__file__).resolve().parents[2]

# Property-based tests: "dev" by default, "ci" (more examples, derandomized) in CI.
settings.register_profile(
    "dev",
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.register_profile(
    "ci",
    max_examples=200,
    deadline=None,
    derandomize=True,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev")
)

SITE_OVERRIDES = """
# -- hostile build overrides (tests/security) --
DIGEST_SOURCES = {sources!r}
DIGEST_MIRRORS = {{}}
DIGEST_OPML = ""
DIGEST_HOST_DELAY = 0
DIGEST_PER_HOST = 8
DIGEST_FETCH_INTERVAL = 0
DIGEST_RETRIES = 0
DIGEST_TIMEOUT = 5.0
DIGEST_MAX_ITEMS_PER_SOURCE = 1000
FEED_ALL_RSS = "feeds/all.rss.xml"
FEED_ALL_JSON = "feeds/all.json"
TAG_FEED_JSON = "feeds/tag/{{slug}}.json"
FEED_MAX_ITEMS = 1000
DEFAULT_PAGINATION = 200
"""


def loopback(address: object) -> bool:
    """True for 127.0.0.0/8, ::1 and localhost."""
    host = address[0] if isinstance(address, tuple) else address
    if not isinstance(host, str):
        return True
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def guard_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any non-loopback connection or lookup fail loudly (module-scoped builds too)."""
    real_connect = socket.socket.connect
    real_getaddrinfo = socket.getaddrinfo

    def connect(self: socket.socket, address: object) -> object:
        if self.family in (socket.AF_INET, socket.AF_INET6) and not loopback(address):
            raise AssertionError(f"the hostile build tried to reach {address!r}")
        return real_connect(self, address)

    def getaddrinfo(host: object, *args: object, **kwargs: object) -> object:
        if isinstance(host, str) and not loopback(host):
            raise AssertionError(f"the hostile build tried to resolve {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


def copy_site(root: Path) -> None:
    """The parts of the repository a build needs."""
    root.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("plugins", "theme"):
        shutil.copytree(ROOT / name, root / name, ignore=ignore)
    shutil.copy2(ROOT / "pelicanconf.py", root / "pelicanconf.py")
    shutil.copytree(ROOT / "content" / "pages", root / "content" / "pages", ignore=ignore)
    (root / "content" / "digest").mkdir()


def pelican(root: Path, fetch: bool = False) -> subprocess.CompletedProcess[str]:
    """Pelican on the copied site, in a subprocess, from the copied plugin."""
    env = {**os.environ, "PYTHONPATH": str(root / "plugins"), "DIGEST_FETCH": "1" if fetch else "0"}
    return subprocess.run(
        [sys.executable, "-m", "pelican", "-s", "pelicanconf.py"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def fetch_in_process(root: Path) -> tuple[object | None, str]:
    """Run Digest's fetch on the copied site; the report, or the traceback of what escaped."""
    from pelican.settings import read_settings

    from digest.pipeline import run
    from digest.settings import load_settings

    try:
        settings_ = load_settings(read_settings(str(root / "pelicanconf.py")))
        return run(settings_, force=True), ""
    except Exception:
        return None, traceback.format_exc()


@dataclass
class HostileBuild:
    """A site built from the hostile sources, and how the build went."""

    parent: Path
    root: Path
    payloads: list[Payload]
    server: SourceServer
    report: object | None
    fetch_error: str
    build: subprocess.CompletedProcess[str]
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def output(self) -> Path:
        return self.root / "output"

    @property
    def content(self) -> Path:
        return self.root / "content"


@pytest.fixture(scope="session")
def hostile_build(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostileBuild]:
    """The hostile site, fetched and built once for every test that inspects it."""
    parent = tmp_path_factory.mktemp("hostile")
    root = parent / "site"
    copy_site(root)
    payloads = load_payloads()
    server = SourceServer().start()
    sources = serve_hostile(server, payloads)
    with (root / "pelicanconf.py").open("a", encoding="utf-8") as conf:
        conf.write(SITE_OVERRIDES.format(sources=sources))
    seconds: dict[str, float] = {}
    with pytest.MonkeyPatch.context() as patch:
        guard_network(patch)
        started = time.monotonic()
        report, error = fetch_in_process(root)
        seconds["fetch"] = time.monotonic() - started
    started = time.monotonic()
    result = pelican(root)
    seconds["pelican"] = time.monotonic() - started
    yield HostileBuild(parent, root, payloads, server, report, error, result, seconds)
    server.stop()
