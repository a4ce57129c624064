"""Failures that must not cost the archive: a second run, a full disk, a read-only folder."""

from __future__ import annotations

import errno
import os
import threading
import time
from pathlib import Path

import pytest

from digest.errors import BusyError, WriteError
from digest.lock import fetch_lock
from digest.pipeline import run
from digest.settings import load_settings

from .conftest import LoopbackServer, Route

WORDS = [
    "pier",
    "lamps",
    "harbour",
    "tide",
    "ferry",
    "crane",
    "quay",
    "gull",
    "rope",
    "net",
    "boat",
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
    "lighthouse",
    "beacon",
    "channel",
    "reef",
    "shoal",
]


def report_text(n: int) -> str:
    """A different 120-word text for each report, so none is a near-duplicate of another."""
    words = [
        WORDS[(n * 7 + i * (n + 3)) % len(WORDS)] + str((i * (n + 5)) % 97) for i in range(120)
    ]
    return " ".join(words) + "."


def serve(server: LoopbackServer, count: int) -> None:
    items = "".join(
        f"<item><title>Report {n}</title><link>{server.url}/r{n}</link></item>"
        for n in range(count)
    )
    server.routes["/feed"] = Route(
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><link>{server.url}/'
        f"</link><description>d</description>{items}</channel></rss>".encode()
    )
    for n in range(count):
        body = f"<article><h1>Report {n}</h1><p>{report_text(n)}</p></article>"
        server.routes[f"/r{n}"] = Route(f"<html><body>{body}</body></html>".encode())


def settings_for(tmp_path: Path, server: LoopbackServer) -> object:
    return load_settings(
        {
            "PATH": str(tmp_path / "content"),
            "DIGEST_SOURCES": [{"name": "Pier", "feed": f"{server.url}/feed"}],
            "DIGEST_FETCH_INTERVAL": 0,
            "DIGEST_HOST_DELAY": 0,
        }
    )


def snapshot(tmp_path: Path) -> dict[str, bytes]:
    folder = tmp_path / "content" / "digest"
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())} if folder.exists() else {}


def test_a_second_fetch_stops_with_a_clear_message(tmp_path: Path, server: LoopbackServer) -> None:
    serve(server, 1)
    settings = settings_for(tmp_path, server)
    with fetch_lock(settings.cache_dir / "fetch.lock"):
        with pytest.raises(BusyError, match=f"process {os.getpid()}"):
            run(settings)
        assert server.requests == []
    assert run(settings).sources[0].new == 1


def test_a_second_fetch_can_wait_for_the_first(tmp_path: Path, server: LoopbackServer) -> None:
    serve(server, 1)
    settings = settings_for(tmp_path, server)
    held = threading.Event()

    def hold_briefly() -> None:
        with fetch_lock(settings.cache_dir / "fetch.lock"):
            held.set()
            time.sleep(0.3)

    holder = threading.Thread(target=hold_briefly)
    holder.start()
    held.wait()
    report = run(settings, wait=10)
    holder.join()
    assert report.sources[0].new == 1


def test_full_disk_stops_the_run_and_keeps_the_last_good_state(
    tmp_path: Path, server: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    serve(server, 3)
    settings = settings_for(tmp_path, server)
    run(settings)
    good = snapshot(tmp_path)
    serve(server, 6)  # three new reports
    real_replace = os.replace

    def full_disk(src: str, dst: str) -> None:
        if str(dst).endswith(".html"):
            raise OSError(errno.ENOSPC, "No space left on device")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", full_disk)
    with pytest.raises(WriteError, match="No space left on device"):
        run(settings)
    assert snapshot(tmp_path) == good  # nothing half-written, no temporary files left
    monkeypatch.setattr(os, "replace", real_replace)
    report = run(settings)
    assert report.sources[0].new == 3
    assert len(snapshot(tmp_path)) == 6


def test_read_only_content_folder_is_a_clear_error(
    tmp_path: Path, server: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    serve(server, 1)
    settings = settings_for(tmp_path, server)

    def read_only(*args: object, **kwargs: object) -> tuple[int, str]:
        raise PermissionError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr("tempfile.mkstemp", read_only)
    with pytest.raises(WriteError, match="Read-only file system") as caught:
        run(settings)
    assert "content/digest" in str(caught.value)
