"""feeds.parse_feed: golden pairs, each fixture feed beside the values it must give."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from digest.errors import FeedError
from digest.feeds import parse_feed
from digest.models import Source

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "feeds"
CASES = sorted(p.stem for p in FIXTURES.glob("*.xml") if (FIXTURES / f"{p.stem}.json").exists())
SOURCE = Source(name="Fixture", feed_url="https://fixture.example/feed")


@pytest.mark.parametrize("case", CASES)
def test_feed_matches_expected(case: str) -> None:
    expected = json.loads((FIXTURES / f"{case}.json").read_text(encoding="utf-8"))
    feed = parse_feed((FIXTURES / f"{case}.xml").read_bytes(), SOURCE.feed_url, SOURCE)
    assert feed.title == expected["title"]
    assert feed.site_url == expected["site_url"]
    assert len(feed.items) == len(expected["items"])
    for item, want in zip(feed.items, expected["items"], strict=True):
        assert item.source_name == "Fixture"
        for key, value in want.items():
            got = getattr(item, key)
            if isinstance(got, datetime):
                got = got.isoformat()
            if isinstance(got, tuple):
                got = list(got)
            assert got == value, f"{case}: {key}"


def test_there_are_golden_pairs() -> None:
    assert len(CASES) >= 3


def test_garbage_is_a_feed_error_naming_the_source() -> None:
    with pytest.raises(FeedError, match="Fixture"):
        parse_feed(b"<html><body><p>Not a feed at all</p></body></html>", SOURCE.feed_url, SOURCE)


def test_empty_bytes_are_a_feed_error() -> None:
    with pytest.raises(FeedError):
        parse_feed(b"", SOURCE.feed_url, SOURCE)


def test_items_without_link_or_id_are_skipped_with_a_warning() -> None:
    data = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
        b"<item><title>No link</title><description>x</description></item>"
        b"<item><title>Linked</title><link>https://fixture.example/a</link></item>"
        b"</channel></rss>"
    )
    feed = parse_feed(data, SOURCE.feed_url, SOURCE)
    assert [i.title for i in feed.items] == ["Linked"]
    assert "item 1" in feed.warnings[0]
