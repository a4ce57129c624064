"""The whole fetch pipeline against a real loopback server: sources, failures, reruns."""

from __future__ import annotations

import os
from pathlib import Path

from digest.pipeline import NOTE_NO_PAGE, run
from digest.settings import load_settings

from .conftest import LoopbackServer, Route

PARAGRAPHS = [
    "The ferry from Grell Island ran on time for the first week since the storm.",
    "Crews replaced two of the pier's timber piles on Saturday, working through the tide.",
    "The harbour master said traffic would return to the summer schedule by March.",
]


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def page(title: str, paragraphs: list[str], figure: str = "") -> bytes:
    body = "".join(f"<p>{p}</p>" for p in paragraphs[:1]) + figure
    body += "".join(f"<p>{p}</p>" for p in paragraphs[1:])
    return (
        f"<!DOCTYPE html><html><head><title>{title} | Pier Post</title>"
        f'<meta property="og:title" content="{title}"></head><body>'
        '<nav><a href="/">Home</a> <a href="/news">News</a></nav>'
        f"<article><h1>{title}</h1>{body}</article>"
        "<footer>Pier Post, 4 Quay Lane</footer></body></html>"
    ).encode()


def rss(base: str, items: list[tuple[str, str, str]]) -> bytes:
    entries = "".join(
        f"<item><title>{title}</title><link>{base}{path}</link><guid>{base}{path}</guid>"
        f"<pubDate>Fri, 20 Nov 2026 08:00:00 +0000</pubDate><category>Harbour</category>"
        f"<description>{summary}</description></item>"
        for title, path, summary in items
    )
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Pier Post</title>'
        f"<link>{base}/</link><description>d</description>{entries}</channel></rss>"
    ).encode()


def make_settings(tmp_path: Path, server: LoopbackServer, **extra: object) -> object:
    values: dict[str, object] = {
        "PATH": str(tmp_path / "content"),
        "DIGEST_SOURCES": [
            {"name": "Pier Post", "feed": f"{server.url}/rss", "tags": ["Local"]},
            {"name": "Gone Gazette", "feed": f"{server.url}/gone.xml"},
        ],
        "DIGEST_FETCH_INTERVAL": 0,
        "DIGEST_HOST_DELAY": 0,
        "DIGEST_RETRY_BACKOFF": 0,
    }
    values.update(extra)
    return load_settings(values)


def serve_site(server: LoopbackServer) -> None:
    server.routes["/rss"] = Route(
        rss(
            server.url,
            [
                ("Ferry back on time", "/ferry", "The ferry runs again."),
                ("Crane hall closed", "/crane", "The crane hall shut its doors for repairs."),
            ],
        ),
        headers={"Content-Type": "application/rss+xml", "ETag": '"feed-1"'},
    )
    figure = (
        '<figure><img src="/img/ferry.png" alt="The ferry"><figcaption>At the quay</figcaption>'
        '</figure><figure><img src="/img/missing.png" alt="Lost"></figure>'
    )
    server.routes["/ferry"] = Route(page("Ferry back on time", PARAGRAPHS, figure))
    server.routes["/img/ferry.png"] = Route(PNG, headers={"Content-Type": "image/png"})
    server.routes["/crane"] = Route(b"oops", status=500)


def test_fetch_writes_articles_and_keeps_going_past_failures(
    tmp_path: Path, server: LoopbackServer
) -> None:
    serve_site(server)
    report = run(make_settings(tmp_path, server))
    by_name = {s.name: s for s in report.sources}
    assert by_name["Pier Post"].new == 2
    assert by_name["Gone Gazette"].source_failed
    assert "404" in by_name["Gone Gazette"].errors[0]
    assert not report.all_failed

    files = sorted((tmp_path / "content" / "digest").glob("*.html"))
    assert [f.name for f in files] == ["crane-hall-closed.html", "ferry-back-on-time.html"]
    ferry = files[1].read_text(encoding="utf-8")
    positions = [ferry.index(p) for p in PARAGRAPHS]
    assert positions == sorted(positions)
    assert '<meta name="tags" content="harbour, local">' in ferry
    assert '<meta name="category" content="Pier Post">' in ferry
    assert "Home</a>" not in ferry and "4 Quay Lane" not in ferry
    images = list((tmp_path / "content" / "images" / "digest").iterdir())
    assert len(images) == 1 and images[0].read_bytes() == PNG
    assert f'src="{{static}}/images/digest/{images[0].name}"' in ferry
    assert "missing.png" not in ferry and ">Lost</figure>" in ferry  # left out, its alt kept
    crane = files[0].read_text(encoding="utf-8")
    assert NOTE_NO_PAGE in crane
    assert "shut its doors for repairs" in crane


def test_second_run_rewrites_nothing_and_uses_conditional_get(
    tmp_path: Path, server: LoopbackServer
) -> None:
    serve_site(server)
    settings = make_settings(tmp_path, server)
    run(settings)
    files = sorted((tmp_path / "content" / "digest").glob("*.html"))
    for f in files:
        os.utime(f, (1_000_000, 1_000_000))
    before = {f.name: f.read_bytes() for f in files}
    server.requests.clear()

    report = run(settings)
    assert server.paths().count("/rss") == 1
    assert "/ferry" not in server.paths()
    assert [r[1].get("If-None-Match") for r in server.requests if r[0] == "/rss"] == ['"feed-1"']
    assert {f.name: f.read_bytes() for f in files} == before
    assert all(f.stat().st_mtime == 1_000_000 for f in files)
    assert report.sources[0].new == 0


def test_lost_state_store_does_not_duplicate(tmp_path: Path, server: LoopbackServer) -> None:
    serve_site(server)
    settings = make_settings(tmp_path, server)
    run(settings)
    settings.state_path.unlink()
    run(settings)
    names = sorted(f.name for f in (tmp_path / "content" / "digest").glob("*.html"))
    assert names == ["crane-hall-closed.html", "ferry-back-on-time.html"]


def test_interval_skips_recently_checked_sources(tmp_path: Path, server: LoopbackServer) -> None:
    serve_site(server)
    settings = make_settings(tmp_path, server, DIGEST_FETCH_INTERVAL=3600)
    run(settings)
    server.requests.clear()
    report = run(settings)
    assert server.requests == []
    assert "DIGEST_FETCH_INTERVAL" in report.sources[0].skipped
    run(settings, force=True)
    assert "/rss" in server.paths()


def test_images_can_stay_remote_or_be_dropped(tmp_path: Path, server: LoopbackServer) -> None:
    serve_site(server)
    run(make_settings(tmp_path / "remote", server, DIGEST_IMAGES="remote"))
    ferry = (tmp_path / "remote" / "content" / "digest" / "ferry-back-on-time.html").read_text()
    assert f'src="{server.url}/img/ferry.png"' in ferry
    assert not (tmp_path / "remote" / "content" / "images").exists()
    run(make_settings(tmp_path / "none", server, DIGEST_IMAGES="none"))
    ferry = (tmp_path / "none" / "content" / "digest" / "ferry-back-on-time.html").read_text()
    assert "<img" not in ferry
    assert "At the quay" in ferry


def test_every_source_failing_is_reported(tmp_path: Path, server: LoopbackServer) -> None:
    report = run(make_settings(tmp_path, server))
    assert report.all_failed


def test_site_rules_apply_to_fetched_pages(tmp_path: Path, server: LoopbackServer) -> None:
    serve_site(server)
    rules = tmp_path / "site_rules"
    rules.mkdir()
    (rules / "127.0.0.1.txt").write_text(
        "strip: //p[contains(., 'timber piles')]\ntitle: //article/h1\n", encoding="utf-8"
    )
    run(make_settings(tmp_path, server, DIGEST_SITE_RULES=str(rules)))
    ferry = (tmp_path / "content" / "digest" / "ferry-back-on-time.html").read_text("utf-8")
    assert PARAGRAPHS[0] in ferry and PARAGRAPHS[2] in ferry
    assert "timber piles" not in ferry

    other = tmp_path / "without"
    run(make_settings(other, server, DIGEST_SITE_RULES=""))
    assert "timber piles" in (other / "content" / "digest" / "ferry-back-on-time.html").read_text(
        "utf-8"
    )
