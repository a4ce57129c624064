"""Extraction in worker processes: one bad page or one dead worker costs that page alone, and a
run killed with -9 leaves no worker process (nor the fetch lock) behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from digest import pipeline
from digest.errors import ExtractError
from digest.pipeline import Extractors, extract_texts

from .conftest import LoopbackServer, Route
from .test_crash import article

ROOT = Path(__file__).resolve().parents[2]
ITEMS = pipeline.POOL_MIN_PAGES + 8  # enough pages for the run to start its worker processes


def die_on(value: int) -> int:
    """Run in a worker process: end it abruptly for 13, as a crash in native code would."""
    if value == 13:
        os._exit(3)
    return value * 2


def test_a_dead_worker_fails_its_page_alone_and_the_pool_goes_on() -> None:
    extractors = Extractors(2)
    try:
        assert extractors.run("Pier: https://pier.example/1", die_on, 1) == 2
        with pytest.raises(ExtractError, match=r"Pier: https://pier\.example/13"):
            extractors.run("Pier: https://pier.example/13", die_on, 13)
        assert [extractors.run(f"Pier: /{n}", die_on, n) for n in (2, 3)] == [4, 6]
    finally:
        extractors.close()


def test_an_extractor_exception_becomes_this_pages_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(data: bytes, url: str, site_rules: object = None) -> None:
        raise AssertionError

    monkeypatch.setattr(pipeline, "extract_article", broken)
    feed_html = "<p>The feed's own words.</p>"
    done = extract_texts(feed_html, "https://pier.example/", b"<p/>", "u", False)
    assert done.page is None
    assert done.page_error == "extraction failed: AssertionError"
    assert done.from_feed is not None and "own words" in done.from_feed.text


def children_of(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc")
def test_start_brings_up_every_worker_before_any_work() -> None:
    """A run starts its workers while it reads the feeds, so they are ready for the pages."""
    before = set(children_of(os.getpid()))
    extractors = Extractors(2)
    try:
        extractors.start()
        deadline = time.monotonic() + 60
        while len(set(children_of(os.getpid())) - before) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(set(children_of(os.getpid())) - before) == 2
        assert extractors.run("Pier: /1", die_on, 1) == 2
    finally:
        extractors.close()


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc")
def test_kill_nine_leaves_no_worker_and_no_lock(tmp_path: Path, server: LoopbackServer) -> None:
    items = "".join(
        f"<item><title>Report {n}</title><link>{server.url}/r{n}</link>"
        f"<pubDate>Fri, {n % 28 + 1:02d} Nov 2026 08:00:00 +0000</pubDate></item>"
        for n in range(ITEMS)
    )
    server.routes["/feed"] = Route(
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><link>{server.url}/'
        f"</link><description>d</description>{items}</channel></rss>".encode()
    )
    for n in range(ITEMS):
        server.routes[f"/r{n}"] = Route(article(n).encode(), delay=0.1)
    (tmp_path / "content").mkdir()
    conf = tmp_path / "pelicanconf.py"
    conf.write_text(
        'PATH = "content"\n'
        f'DIGEST_SOURCES = [{{"name": "Pier", "feed": "{server.url}/feed"}}]\n'
        "DIGEST_HOST_DELAY = 0\nDIGEST_PER_HOST = 2\n",
        encoding="utf-8",
    )
    command = [sys.executable, "-m", "digest", "fetch", "--quiet", "--settings", str(conf)]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "plugins")}
    process = subprocess.Popen(command, cwd=tmp_path, env=env, stderr=subprocess.DEVNULL)
    workers: list[int] = []
    deadline = time.monotonic() + 60
    while not workers and process.poll() is None and time.monotonic() < deadline:
        workers = [pid for pid in children_of(process.pid) if b"spawn_main" in _cmdline(pid)]
        time.sleep(0.05)
    assert workers, "the run finished or stalled before starting its worker processes"
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    deadline = time.monotonic() + 3 * pipeline.PARENT_POLL_SECONDS + 10
    while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(alive(pid) for pid in workers)
    # The lock went with the killed run: the next one starts at once and finishes the work.
    done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr.decode()
    assert len(list((tmp_path / "content" / "digest").glob("*.html"))) == ITEMS


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""
