"""jsonfeed: golden pairs (a JSON Feed beside the values it must give), sniffing and errors."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from digest.errors import FeedError
from digest.jsonfeed import looks_like_json_feed, parse_json_feed, text_to_html
from digest.models import Source

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "jsonfeed"
CASES = sorted(
    p.name.removesuffix(".feed.json")
    for p in FIXTURES.glob("*.feed.json")
    if (FIXTURES / p.name.replace(".feed.json", ".expected.json")).exists()
)
FEED_URL = "https://fixture.example/feed.json"
SOURCE = Source(name="Fixture", feed_url=FEED_URL)


def _feed_bytes(case: str) -> bytes:
    return (FIXTURES / f"{case}.feed.json").read_bytes()


@pytest.mark.parametrize("case", CASES)
def test_feed_matches_expected(case: str) -> None:
    expected = json.loads((FIXTURES / f"{case}.expected.json").read_text(encoding="utf-8"))
    feed = parse_json_feed(_feed_bytes(case), FEED_URL, SOURCE)
    assert feed.url == FEED_URL
    assert feed.title == expected["title"]
    assert feed.site_url == expected["site_url"]
    for warning in expected["warnings"]:
        assert warning in feed.warnings, f"{case}: missing warning {warning!r}"
    for fragment in expected.get("warnings_containing", []):
        assert any(fragment in w for w in feed.warnings), f"{case}: no warning with {fragment!r}"
    extra = len(expected.get("warnings_containing", []))
    assert len(feed.warnings) <= len(expected["warnings"]) + extra, feed.warnings
    assert len(feed.items) == len(expected["items"])
    for item, want in zip(feed.items, expected["items"], strict=True):
        assert item.source_name == "Fixture"
        for key, value in want.items():
            got = getattr(item, key)
            if isinstance(got, datetime):
                assert got.tzinfo is not None, f"{case}: {key} is naive"
                got = got.isoformat()
            if isinstance(got, tuple):
                got = list(got)
            assert got == value, f"{case}: {item.guid}: {key}"


def test_there_are_golden_pairs() -> None:
    assert len(CASES) >= 3


@pytest.mark.parametrize("case", CASES)
def test_fixtures_are_sniffed_as_json_feeds(case: str) -> None:
    assert looks_like_json_feed(_feed_bytes(case))


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"   ",
        b'<?xml version="1.0"?><rss version="2.0"><channel></channel></rss>',
        b"<html><body>https://jsonfeed.org/version/1.1</body></html>",
        b'{"type": "FeatureCollection", "features": []}',
        b'["https://jsonfeed.org/version/1"]',
    ],
)
def test_other_bytes_are_not_sniffed_as_json_feeds(content: bytes) -> None:
    assert not looks_like_json_feed(content)


def test_sniffing_finds_a_version_written_after_the_items() -> None:
    items = ",".join(f'{{"id": "{n}", "content_text": "{"x" * 200}"}}' for n in range(50))
    content = f'\ufeff\n{{"items": [{items}], "version": "https://jsonfeed.org/version/1"}}'
    assert looks_like_json_feed(content.encode("utf-8"))
    assert len(parse_json_feed(content.encode("utf-8"), FEED_URL, SOURCE).items) == 50


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "not readable JSON"),
        (b'{"version": "https://jsonfeed.org/version/1", "items": [', "not readable JSON"),
        (b"\xff\xfe{\x00}\x00", "not readable JSON"),
        (b'["https://jsonfeed.org/version/1"]', "not a JSON Feed object"),
        (b'{"version": "https://jsonfeed.org/version/2", "items": []}', "version"),
        (b'{"version": "1.1", "items": []}', "version"),
        (b'{"title": "No version", "items": []}', "version"),
        (b'{"version": "https://jsonfeed.org/version/1.1", "title": "T"}', "items"),
        (b'{"version": "https://jsonfeed.org/version/1.1", "items": {"id": "1"}}', "items"),
    ],
)
def test_unusable_bytes_are_a_feed_error_naming_source_and_url(
    content: bytes, message: str
) -> None:
    with pytest.raises(FeedError, match=message) as caught:
        parse_json_feed(content, FEED_URL, SOURCE)
    assert "Fixture" in str(caught.value)
    assert FEED_URL in str(caught.value)


def test_a_json_syntax_error_is_chained() -> None:
    with pytest.raises(FeedError) as caught:
        parse_json_feed(b"{not json", FEED_URL, SOURCE)
    assert isinstance(caught.value.__cause__, json.JSONDecodeError)


@pytest.mark.parametrize(
    "version",
    [
        "https://jsonfeed.org/version/1",
        "https://jsonfeed.org/version/1.1",
        "http://jsonfeed.org/version/1",
        "https://jsonfeed.org/version/1.1/",
    ],
)
def test_accepted_versions(version: str) -> None:
    content = json.dumps({"version": version, "title": "T", "items": []}).encode()
    feed = parse_json_feed(content, FEED_URL, SOURCE)
    assert feed.items == ()
    assert feed.title == "T"


def test_an_empty_items_list_is_a_feed_without_items() -> None:
    content = b'{"version": "https://jsonfeed.org/version/1.1", "items": []}'
    feed = parse_json_feed(content, FEED_URL, SOURCE)
    assert (feed.title, feed.site_url, feed.items, feed.warnings) == ("", "", (), ())


def test_item_without_id_or_url_is_skipped_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    content = json.dumps(
        {
            "version": "https://jsonfeed.org/version/1.1",
            "items": [
                {"title": "Nothing to link", "content_text": "x"},
                {"id": "kept", "url": "https://fixture.example/kept"},
            ],
        }
    ).encode()
    with caplog.at_level("WARNING", logger="digest.jsonfeed"):
        feed = parse_json_feed(content, FEED_URL, SOURCE)
    assert [i.guid for i in feed.items] == ["kept"]
    assert feed.warnings == (f"Fixture: item 1 of {FEED_URL} has no id or url",)
    assert FEED_URL in caplog.text


def test_relative_urls_resolve_against_the_feed_url_without_a_home_page() -> None:
    content = json.dumps(
        {
            "version": "https://jsonfeed.org/version/1.1",
            "home_page_url": "mailto:desk@fixture.example",
            "items": [{"id": "a", "url": "../posts/a.html"}],
        }
    ).encode()
    feed = parse_json_feed(content, "https://fixture.example/feeds/main.json", SOURCE)
    assert feed.site_url == ""
    assert feed.items[0].url == "https://fixture.example/posts/a.html"


def test_a_relative_home_page_resolves_against_the_feed_url() -> None:
    content = json.dumps(
        {
            "version": "https://jsonfeed.org/version/1.1",
            "home_page_url": "/blog/",
            "items": [{"id": "a", "url": "posts/a.html"}],
        }
    ).encode()
    feed = parse_json_feed(content, "https://fixture.example/feeds/main.json", SOURCE)
    assert feed.site_url == "https://fixture.example/blog/"
    assert feed.items[0].url == "https://fixture.example/blog/posts/a.html"


def test_url_is_preferred_to_external_url() -> None:
    content = json.dumps(
        {
            "version": "https://jsonfeed.org/version/1.1",
            "items": [
                {"id": "a", "url": "https://own.example/a", "external_url": "https://else.example/"}
            ],
        }
    ).encode()
    assert parse_json_feed(content, FEED_URL, SOURCE).items[0].url == "https://own.example/a"


def test_content_html_wins_over_content_text() -> None:
    content = json.dumps(
        {
            "version": "https://jsonfeed.org/version/1.1",
            "items": [{"id": "a", "content_html": "<p>Rich</p>", "content_text": "Plain"}],
        }
    ).encode()
    assert parse_json_feed(content, FEED_URL, SOURCE).items[0].content_html == "<p>Rich</p>"


@pytest.mark.parametrize(
    ("ident", "guid"),
    [(17, "17"), (2.5, "2.5"), (True, ""), (None, ""), ({"x": 1}, ""), ("  padded ", "padded")],
)
def test_ids_are_strings(ident: object, guid: str) -> None:
    item = {"id": ident, "url": "https://fixture.example/x"}
    content = json.dumps({"version": "https://jsonfeed.org/version/1", "items": [item]}).encode()
    got = parse_json_feed(content, FEED_URL, SOURCE).items[0].guid
    assert got == (guid or "https://fixture.example/x")


def test_item_authors_override_feed_authors_and_1_1_wins_over_1_0() -> None:
    content = json.dumps(
        {
            "version": "https://jsonfeed.org/version/1.1",
            "authors": [{"name": "Desk"}],
            "items": [
                {"id": "a", "authors": [{"name": "New"}], "author": {"name": "Old"}},
                {"id": "b", "authors": []},
                {"id": "c"},
            ],
        }
    ).encode()
    authors = [i.author for i in parse_json_feed(content, FEED_URL, SOURCE).items]
    assert authors == ["New", "Desk", "Desk"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("One line", "<p>One line</p>"),
        ("a\r\nb", "<p>a<br>b</p>"),
        ("a\n \nb\n\n\n\nc", "<p>a</p><p>b</p><p>c</p>"),
        ('<script>x</script> & "q"', '<p>&lt;script&gt;x&lt;/script&gt; &amp; "q"</p>'),
        ("   \n\n  ", ""),
    ],
)
def test_text_to_html(text: str, expected: str) -> None:
    assert text_to_html(text) == expected


def test_urls_lose_tabs_and_newlines_and_refuse_other_control_characters() -> None:
    """Browsers drop tabs and line breaks from URLs; no client takes another control character,
    and one bad link must cost only itself (F1)."""
    content = json.dumps(
        {
            "version": "https://jsonfeed.org/version/1.1",
            "items": [
                {"id": "a", "url": "https://fixture.example/a\t/\nb"},
                {"id": "b", "url": "https://fixture.example/\x01b", "external_url": "/c\x0e"},
            ],
        }
    ).encode()
    feed = parse_json_feed(content, "https://fixture.example/feed.json", SOURCE)
    assert [item.url for item in feed.items] == ["https://fixture.example/a/b", ""]
