"""Ingestion on a real loopback server: updates, dedupe, gone feeds, robots.txt, JSON Feed."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

from digest.pipeline import NOTE_ROBOTS, run
from digest.settings import load_settings

from .conftest import LoopbackServer, Route

STORY = (
    "The tidal barrier at Grell Point closed for the first time this winter on Tuesday night, "
    "holding back a surge that reached two metres above the usual spring tide. Engineers from "
    "the harbour board watched the gates from the control room until the water began to fall "
    "shortly after three in the morning. No homes were flooded, although the coastal road "
    "between the ferry terminal and the lifeboat station stayed shut until the next afternoon "
    "while crews cleared shingle thrown up by the waves. The board said the gates had been "
    "serviced in October and worked exactly as designed."
)
OTHER = (
    "Volunteers at the Grell Point seed library have catalogued more than four hundred varieties "
    "of beans, peas and squash collected from allotments along the coast since the spring. The "
    "library lends seed packets for free in return for a share of the next harvest, and its "
    "organisers say the scheme has doubled its membership in a year. A new shelf for herbs and "
    "flowers opens next month, with cuttings swapped on the first Saturday of each season."
)


def page(title: str, text: str, canonical: str = "") -> bytes:
    link = f'<link rel="canonical" href="{canonical}">' if canonical else ""
    paragraphs = "".join(f"<p>{s.strip()}.</p>" for s in text.split(". ") if s.strip())
    return (
        f"<!DOCTYPE html><html><head><title>{title}</title>{link}</head><body>"
        f"<nav><a href='/'>Home</a></nav><article><h1>{title}</h1>{paragraphs}</article>"
        "</body></html>"
    ).encode()


def rss(items: list[dict[str, str]]) -> bytes:
    entries = ""
    for item in items:
        date = f"<pubDate>{item['date']}</pubDate>" if item.get("date") else ""
        entries += (
            f"<item><title>{item['title']}</title><link>{item['link']}</link>"
            f"<guid>{item.get('guid', item['link'])}</guid>{date}"
            f"<description>{item.get('summary', 'A summary.')}</description></item>"
        )
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
        f"<link>http://x.example/</link><description>d</description>{entries}</channel></rss>"
    ).encode()


def settings_for(tmp_path: Path, sources: list[dict[str, object]], **extra: object) -> object:
    values: dict[str, object] = {
        "PATH": str(tmp_path / "content"),
        "DIGEST_SOURCES": sources,
        "DIGEST_FETCH_INTERVAL": 0,
        "DIGEST_HOST_DELAY": 0,
        "DIGEST_RETRY_BACKOFF": 0,
    }
    values.update(extra)
    return load_settings(values)


def content_files(tmp_path: Path) -> dict[str, str]:
    folder = tmp_path / "content" / "digest"
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.html"))}


def meta(text: str, name: str) -> str:
    match = re.search(rf'<meta name="{name}" content="([^"]*)">', text)
    return match.group(1) if match else ""


def test_changed_item_is_updated_in_place_with_a_modified_date(
    tmp_path: Path, server: LoopbackServer
) -> None:
    item = {
        "title": "Barrier closes",
        "link": f"{server.url}/barrier",
        "date": "Tue, 17 Nov 2026 08:00:00 +0000",
    }
    server.routes["/feed"] = Route(rss([item]))
    server.routes["/barrier"] = Route(page("Barrier closes", STORY))
    settings = settings_for(tmp_path, [{"name": "Point News", "feed": f"{server.url}/feed"}])
    run(settings)
    first = content_files(tmp_path)
    assert list(first) == ["barrier-closes.html"]

    item["title"] = "Barrier closes as surge hits two metres"
    server.routes["/feed"] = Route(rss([item]))
    server.routes["/barrier"] = Route(
        page(item["title"], STORY + " Updated with the surge height.")
    )
    report = run(settings)
    assert report.sources[0].updated == 1
    after = content_files(tmp_path)
    assert list(after) == ["barrier-closes.html"]  # same file, same URL
    text = after["barrier-closes.html"]
    assert "surge hits two metres" in text and "Updated with the surge height" in text
    assert meta(text, "date") == meta(first["barrier-closes.html"], "date")
    assert meta(text, "modified") > meta(text, "date")


def test_same_story_from_two_feeds_is_written_once_with_also_in(
    tmp_path: Path, server: LoopbackServer
) -> None:
    server.routes["/a/feed"] = Route(
        rss(
            [
                {
                    "title": "Barrier closes",
                    "link": f"{server.url}/story/barrier/?utm_source=a",
                    "date": "Tue, 17 Nov 2026 08:00:00 +0000",
                }
            ]
        )
    )
    server.routes["/b/feed"] = Route(
        rss(
            [
                {
                    "title": "Surge held back at Grell Point",
                    "link": f"{server.url}/story/barrier",
                    "date": "Tue, 17 Nov 2026 09:00:00 +0000",
                }
            ]
        )
    )
    server.routes["/c/feed"] = Route(
        rss(
            [
                {
                    "title": "Gates hold at Grell",
                    "link": f"{server.url}/syndicated/77",
                    "date": "Tue, 17 Nov 2026 10:00:00 +0000",
                },
                {
                    "title": "Seed library grows",
                    "link": f"{server.url}/seeds",
                    "date": "Tue, 17 Nov 2026 11:00:00 +0000",
                },
            ]
        )
    )
    server.routes["/story/barrier/"] = Route(page("Barrier closes", STORY))
    server.routes["/story/barrier"] = Route(page("Barrier closes", STORY))
    server.routes["/syndicated/77"] = Route(
        page("Gates hold at Grell", "Distributed by the Coast Wire. " + STORY)
    )
    server.routes["/seeds"] = Route(page("Seed library grows", OTHER))
    settings = settings_for(
        tmp_path,
        [
            {"name": "Point News", "feed": f"{server.url}/a/feed"},
            {"name": "Coast Daily", "feed": f"{server.url}/b/feed"},
            {"name": "Coast Wire", "feed": f"{server.url}/c/feed"},
        ],
    )
    report = run(settings)
    files = content_files(tmp_path)
    assert sorted(files) == ["barrier-closes.html", "seed-library-grows.html"]
    also = meta(files["barrier-closes.html"], "also_in")
    assert "Coast Daily" in also and "Coast Wire" in also
    assert [s.duplicates for s in report.sources] == [0, 1, 1]
    assert "/story/barrier" not in server.paths()  # a URL variant is not even fetched
    # A second run keeps it that way.
    run(settings)
    assert sorted(content_files(tmp_path)) == sorted(files)


def test_gone_feed_is_marked_and_not_asked_again(tmp_path: Path, server: LoopbackServer) -> None:
    server.routes["/gone"] = Route(status=410)
    settings = settings_for(tmp_path, [{"name": "Old Blog", "feed": f"{server.url}/gone"}])
    report = run(settings)
    assert report.sources[0].gone and "410" in report.sources[0].errors[0]
    server.requests.clear()
    report = run(settings, force=True)
    assert server.requests == []
    assert "gone since" in report.sources[0].skipped


def test_server_errors_are_retried_within_a_run(tmp_path: Path, server: LoopbackServer) -> None:
    server.queued["/feed"] = [Route(status=503)]
    server.routes["/feed"] = Route(
        rss([{"title": "Seed library grows", "link": f"{server.url}/seeds"}])
    )
    server.queued["/seeds"] = [Route(status=500)]
    server.routes["/seeds"] = Route(page("Seed library grows", OTHER))
    report = run(settings_for(tmp_path, [{"name": "Point News", "feed": f"{server.url}/feed"}]))
    assert report.sources[0].new == 1
    assert server.paths().count("/feed") == 2 and server.paths().count("/seeds") == 2


def test_robots_txt_is_honoured_for_pages_unless_turned_off(
    tmp_path: Path, server: LoopbackServer
) -> None:
    server.routes["/robots.txt"] = Route(b"User-agent: Digest\nDisallow: /private/\n")
    server.routes["/feed"] = Route(
        rss(
            [
                {
                    "title": "Members only",
                    "link": f"{server.url}/private/x",
                    "summary": "The feed's text.",
                }
            ]
        )
    )
    server.routes["/private/x"] = Route(page("Members only", OTHER))
    run(settings_for(tmp_path / "on", [{"name": "P", "feed": f"{server.url}/feed"}]))
    assert "/private/x" not in server.paths()
    text = content_files(tmp_path / "on")["members-only.html"]
    assert html.escape(NOTE_ROBOTS) in text and "The feed's text." in text

    run(
        settings_for(
            tmp_path / "off", [{"name": "P", "feed": f"{server.url}/feed", "robots": False}]
        )
    )
    assert "/private/x" in server.paths()


def test_undated_items_keep_their_first_seen_date(tmp_path: Path, server: LoopbackServer) -> None:
    server.routes["/feed"] = Route(
        rss([{"title": "Seed library grows", "link": f"{server.url}/seeds"}])
    )
    server.routes["/seeds"] = Route(page("Seed library grows", OTHER))
    settings = settings_for(tmp_path, [{"name": "P", "feed": f"{server.url}/feed"}])
    run(settings)
    date = meta(content_files(tmp_path)["seed-library-grows.html"], "date")
    settings.state_path.unlink()
    server.routes["/feed"] = Route(
        rss([{"title": "Seed library grows", "link": f"{server.url}/seeds", "summary": "Edited."}])
    )
    run(settings)
    assert meta(content_files(tmp_path)["seed-library-grows.html"], "date") == date


def test_lost_store_is_rebuilt_from_content_without_fetching_pages(
    tmp_path: Path, server: LoopbackServer
) -> None:
    server.routes["/feed"] = Route(
        rss([{"title": "Seed library grows", "link": f"{server.url}/seeds"}])
    )
    server.routes["/seeds"] = Route(page("Seed library grows", OTHER))
    settings = settings_for(tmp_path, [{"name": "P", "feed": f"{server.url}/feed"}])
    run(settings)
    settings.state_path.unlink()
    server.requests.clear()
    report = run(settings)
    assert server.paths() == ["/feed"]
    assert report.sources[0].unchanged == 1


def test_json_feed_sources_work_like_any_other(tmp_path: Path, server: LoopbackServer) -> None:
    feed = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "Point Notes",
        "home_page_url": f"{server.url}/",
        "items": [
            {
                "id": "n-1",
                "url": f"{server.url}/seeds",
                "title": "Seed library grows",
                "date_published": "2026-11-18T10:00:00Z",
                "tags": ["Gardens"],
            }
        ],
    }
    server.routes["/feed.json"] = Route(
        json.dumps(feed).encode(), headers={"Content-Type": "application/feed+json"}
    )
    server.routes["/seeds"] = Route(page("Seed library grows", OTHER))
    run(settings_for(tmp_path, [{"name": "Point Notes", "feed": f"{server.url}/feed.json"}]))
    text = content_files(tmp_path)["seed-library-grows.html"]
    assert meta(text, "tags") == "gardens"
    assert meta(text, "date").startswith("2026-11-18T10:00:00")


def test_old_items_are_left_out_by_max_age(tmp_path: Path, server: LoopbackServer) -> None:
    server.routes["/feed"] = Route(
        rss(
            [
                {
                    "title": "Seed library grows",
                    "link": f"{server.url}/seeds",
                    "date": "Mon, 02 Jan 2006 08:00:00 +0000",
                }
            ]
        )
    )
    server.routes["/seeds"] = Route(page("Seed library grows", OTHER))
    run(
        settings_for(
            tmp_path, [{"name": "P", "feed": f"{server.url}/feed"}], DIGEST_MAX_AGE_DAYS=30
        )
    )
    assert content_files(tmp_path) == {}
    assert "/seeds" not in server.paths()


def test_lost_store_keeps_duplicates_merged_whatever_the_order(
    tmp_path: Path, server: LoopbackServer
) -> None:
    server.routes["/a/feed"] = Route(
        rss([{"title": "Barrier closes", "link": f"{server.url}/story/barrier"}])
    )
    server.routes["/b/feed"] = Route(
        rss([{"title": "Surge held back", "link": f"{server.url}/story/barrier/?utm_medium=b"}])
    )
    server.routes["/story/barrier"] = Route(page("Barrier closes", STORY))
    first = {"name": "Point News", "feed": f"{server.url}/a/feed"}
    second = {"name": "Coast Daily", "feed": f"{server.url}/b/feed"}
    run(settings_for(tmp_path, [first, second]))
    assert list(content_files(tmp_path)) == ["barrier-closes.html"]
    reversed_order = settings_for(tmp_path, [second, first])
    reversed_order.state_path.unlink()
    run(reversed_order)
    files = content_files(tmp_path)
    assert list(files) == ["barrier-closes.html"]
    assert "Coast Daily" in meta(files["barrier-closes.html"], "also_in")
