"""kill -9 at random moments during a fetch: no half-written file, no corrupt store, no loss."""

from __future__ import annotations

import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from .conftest import LoopbackServer, Route

ROOT = Path(__file__).resolve().parents[2]
KILLS = 20
ITEMS = 12
VOCABULARY = [
    "tide",
    "gull",
    "ferry",
    "crane",
    "quay",
    "rope",
    "net",
    "mast",
    "sail",
    "dock",
    "wharf",
    "storm",
    "wave",
    "keel",
    "hull",
    "anchor",
    "buoy",
    "beacon",
    "channel",
    "reef",
    "shoal",
    "pier",
    "lamp",
    "harbour",
    "island",
    "ledger",
    "council",
]


def article(n: int) -> str:
    rng = random.Random(n)
    sentences = [
        " ".join(rng.choice(VOCABULARY) + str(rng.randrange(1000)) for _ in range(14)) + "."
        for _ in range(10)
    ]
    body = "".join(f"<p>{s}</p>" for s in sentences)
    return f"<html><body><article><h1>Report {n}</h1>{body}</article></body></html>"


def serve(server: LoopbackServer) -> None:
    items = "".join(
        f"<item><title>Report {n}</title><link>{server.url}/r{n}</link>"
        f"<pubDate>Fri, {n + 1:02d} Nov 2026 08:00:00 +0000</pubDate></item>"
        for n in range(ITEMS)
    )
    server.routes["/feed"] = Route(
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><link>{server.url}/'
        f"</link><description>d</description>{items}</channel></rss>".encode()
    )
    for n in range(ITEMS):
        server.routes[f"/r{n}"] = Route(article(n).encode(), delay=0.15)


def make_site(folder: Path, server: LoopbackServer) -> Path:
    (folder / "content").mkdir(parents=True)
    conf = folder / "pelicanconf.py"
    conf.write_text(
        'PATH = "content"\n'
        f'DIGEST_SOURCES = [{{"name": "Pier", "feed": "{server.url}/feed"}}]\n'
        "DIGEST_HOST_DELAY = 0\nDIGEST_PER_HOST = 2\n",
        encoding="utf-8",
    )
    return conf


def fetch(conf: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "plugins")}
    return subprocess.Popen(
        [sys.executable, "-m", "digest", "fetch", "--quiet", "--settings", str(conf)],
        cwd=conf.parent,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def check_consistent(folder: Path) -> None:
    """Every content file whole, no stray temporary file Pelican would read, store intact."""
    for path in (folder / "content" / "digest").glob("*"):
        if path.suffix == ".tmp":
            continue  # a rename that never happened: Pelican ignores it, the next run sweeps it
        text = path.read_text(encoding="utf-8")
        assert text.endswith("</html>\n") and '<meta name="digest_id"' in text, path.name
    store = folder / ".digest-cache" / "state.sqlite3"
    if store.exists():
        with sqlite3.connect(store) as db:
            assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((folder / "content" / "digest").glob("*.html"))}


def test_kill_nine_never_loses_or_corrupts(tmp_path: Path, server: LoopbackServer) -> None:
    serve(server)
    clean = make_site(tmp_path / "clean", server)
    assert fetch(clean).wait(timeout=60) == 0
    expected = files(tmp_path / "clean")
    assert len(expected) == ITEMS

    crashed = make_site(tmp_path / "crashed", server)
    rng = random.Random(20261127)
    written = []
    for _ in range(KILLS):
        asked = server.paths().count("/feed")
        process = fetch(crashed)
        deadline = time.monotonic() + 30
        while server.paths().count("/feed") == asked and time.monotonic() < deadline:
            time.sleep(0.01)  # start-up time varies with the machine's load: wait for the work
        time.sleep(rng.uniform(0.0, 1.2))
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        check_consistent(tmp_path / "crashed")
        written.append(len(files(tmp_path / "crashed")))
        if written[-1] == ITEMS:  # all there: start over, so every kill lands in real work
            shutil.rmtree(tmp_path / "crashed" / "content" / "digest")
            shutil.rmtree(tmp_path / "crashed" / ".digest-cache")
    print("files after each kill:", written)
    assert any(0 < n < ITEMS for n in written)  # some kills fell in the middle of the writing
    assert fetch(crashed).wait(timeout=60) == 0
    check_consistent(tmp_path / "crashed")
    got = files(tmp_path / "crashed")
    assert sorted(got) == sorted(expected)
    assert got == expected
    assert not list((tmp_path / "crashed" / "content" / "digest").glob(".*.tmp"))
