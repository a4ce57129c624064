"""Resource limits: huge feeds, huge pages, compression bombs and deep nesting stay bounded."""

from __future__ import annotations

import gzip
import resource
from pathlib import Path

import pytest

from digest.errors import ExtractError
from digest.extract import extract_article
from digest.pipeline import run
from digest.settings import load_settings

from .conftest import LoopbackServer, Route


def settings_for(tmp_path: Path, server: LoopbackServer, **extra: object) -> object:
    values: dict[str, object] = {
        "PATH": str(tmp_path / "content"),
        "DIGEST_SOURCES": [{"name": "Big", "feed": f"{server.url}/feed"}],
        "DIGEST_FETCH_INTERVAL": 0,
        "DIGEST_HOST_DELAY": 0,
        "DIGEST_RETRY_BACKOFF": 0,
    }
    values.update(extra)
    return load_settings(values)


def page(n: int) -> bytes:
    text = " ".join(
        f"Line {n}.{i} of the bulletin lists tide {i * n % 17} and wind {i}." for i in range(40)
    )
    return (
        f"<html><body><article><h1>Bulletin {n}</h1><p>{text}</p></article></body></html>".encode()
    )


def test_ten_thousand_item_feed_is_read_and_capped(tmp_path: Path, server: LoopbackServer) -> None:
    items = "".join(
        f"<item><title>Bulletin {n}</title><link>{server.url}/b/{n}</link></item>"
        for n in range(10_000)
    )
    server.routes["/feed"] = Route(
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><link>{server.url}/'
        f"</link><description>d</description>{items}</channel></rss>".encode()
    )
    for n in range(5):
        server.routes[f"/b/{n}"] = Route(page(n))
    report = run(settings_for(tmp_path, server, DIGEST_MAX_ITEMS_PER_SOURCE=5))
    assert report.sources[0].new == 5
    assert len([p for p in server.paths() if p.startswith("/b/")]) == 5


def test_oversized_page_is_refused_with_a_message(tmp_path: Path, server: LoopbackServer) -> None:
    server.routes["/feed"] = Route(
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><link>{server.url}/'
        f"</link><description>d</description><item><title>Huge</title><link>{server.url}/huge"
        "</link></item></channel></rss>".encode()
    )
    server.routes["/huge"] = Route(b"<html><body><p>" + b"x" * (50 * 1024 * 1024) + b"</p>")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    report = run(settings_for(tmp_path, server, DIGEST_MAX_BYTES=2_000_000))
    assert report.sources[0].failed == 1
    assert "2000000" in report.sources[0].errors[0] and "/huge" in report.sources[0].errors[0]
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < 100  # the 50 MB body was never held whole


def test_compression_bomb_is_refused(tmp_path: Path, server: LoopbackServer) -> None:
    bomb = gzip.compress(b"<p>" + b"a" * (60 * 1024 * 1024), compresslevel=9)
    assert len(bomb) < 100_000  # 60 MB of markup in under 100 KB
    server.routes["/feed"] = Route(bomb, headers={"Content-Encoding": "gzip"})
    report = run(settings_for(tmp_path, server, DIGEST_MAX_BYTES=5_000_000))
    assert report.sources[0].source_failed
    assert "cap" in report.sources[0].errors[0]


@pytest.mark.parametrize("depth", [10_000, 100_000])
def test_deeply_nested_page_is_bounded(depth: int) -> None:
    html = "<html><body>" + "<div>" * depth + "<p>Deep.</p>" + "</div>" * depth + "</body></html>"
    try:
        article = extract_article(html, "https://deep.example/a")
    except ExtractError as err:
        assert "deep.example" in str(err)
    else:
        assert len(article.text) < 1000
