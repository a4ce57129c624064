"""pipeline's pure parts: ids, fingerprints, and how feed and page facts combine."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from digest.models import ExtractedArticle, Feed, FeedItem, Source
from digest.pipeline import build_article, item_fingerprint, make_digest_id, summarize
from digest.tags import freeze_rules

SOURCE = Source(name="Pier Post", feed_url="https://pier.example/rss", tags=("Local", "news"))
FEED = Feed(url=SOURCE.feed_url, title="Pier Post", site_url="https://pier.example/", items=())
NOW = time.time()


def item(**changes: object) -> FeedItem:
    values: dict[str, object] = {
        "source_name": "Pier Post",
        "guid": "pier-1",
        "url": "https://pier.example/a?utm_source=rss&id=4",
        "title": "Lamps back on the pier",
        "author": "Ada Quill; Bo Reed",
        "published": datetime(2026, 11, 20, 8, 0, tzinfo=UTC),
        "categories": ("Harbour", "news"),
        "summary_html": "<p>The lamps are <b>lit</b> again.</p>",
    }
    values.update(changes)
    return FeedItem(**values)  # type: ignore[arg-type]


def extracted(**changes: object) -> ExtractedArticle:
    values: dict[str, object] = {
        "title": "Lamps back on the pier | Pier Post",
        "html": "<p>The lamps are lit again after a year.</p>",
        "text": "The lamps are lit again after a year.",
        "lead_image": "https://pier.example/lamp.jpg",
        "modified": datetime(2026, 11, 21, 8, 0, tzinfo=UTC),
    }
    values.update(changes)
    return ExtractedArticle(**values)  # type: ignore[arg-type]


def build(feed_item: FeedItem, page: ExtractedArticle, first_seen: float = NOW):
    return build_article(feed_item, SOURCE, FEED, page, "", "id", "slug", first_seen, 5)


def test_feed_and_page_facts_combine() -> None:
    article = build(item(), extracted())
    assert article.title == "Lamps back on the pier"
    assert article.authors == ("Ada Quill", "Bo Reed")
    assert article.tags == ("harbour", "news", "local")
    assert article.category == "Pier Post"
    assert article.source_url == "https://pier.example/"
    assert article.original_url == "https://pier.example/a?id=4"
    assert article.summary == "The lamps are lit again."
    assert article.modified == datetime(2026, 11, 21, 8, 0, tzinfo=UTC)
    assert article.lead_image == "https://pier.example/lamp.jpg"


def test_tag_rules_aliases_and_reading_time() -> None:
    rules = freeze_rules({"lighting": "lamps", "money": r"\d+ euros"})
    words = " ".join(["word"] * 460)
    page = extracted(text=f"The lamps are lit. {words}")
    article = build_article(
        item(categories=("Harbour", "Pier")),
        SOURCE,
        FEED,
        page,
        "",
        "id",
        "slug",
        NOW,
        5,
        tag_rules=rules,
        tag_aliases={"pier": "harbour"},
    )
    assert article.tags == ("harbour", "local", "news", "lighting")
    assert article.reading_time == 2


def test_undated_items_take_the_first_seen_time_and_keep_it() -> None:
    first_seen = datetime(2026, 11, 22, 12, 0, tzinfo=UTC).timestamp()
    article = build(item(published=None), extracted(modified=None), first_seen)
    assert article.date == datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def test_future_dates_are_clamped_to_the_time_seen() -> None:
    future = datetime.now(tz=UTC) + timedelta(days=30)
    article = build(item(published=future), extracted(modified=None))
    assert article.date <= datetime.now(tz=UTC)


def test_summary_falls_back_to_the_article_text_and_is_cut() -> None:
    article = build(item(summary_html=""), extracted())
    assert article.summary == "The lamps are lit again …"
    assert summarize("one two", 5) == "one two"


def test_ids_are_stable_and_fingerprints_follow_changes() -> None:
    assert make_digest_id(SOURCE, item()) == make_digest_id(SOURCE, item(title="Other"))
    assert make_digest_id(SOURCE, item()) != make_digest_id(SOURCE, item(guid="pier-2"))
    assert item_fingerprint(item()) == item_fingerprint(item())
    assert item_fingerprint(item()) != item_fingerprint(item(title="Lamps back, again"))


def test_jobs_are_interleaved_over_hosts_keeping_feed_order() -> None:
    from digest.pipeline import Job, SourceReport, interleave_hosts

    def job(url: str) -> Job:
        return Job(SOURCE, FEED, item(url=url), url, "fp", None, NOW, SourceReport("S", "f"))

    urls = ["https://a.example/1", "https://a.example/2", "https://a.example/3",
            "https://b.example/1", "https://c.example/1", "https://c.example/2"]  # fmt: skip
    ordered = [j.item.url for j in interleave_hosts([job(u) for u in urls])]
    assert ordered == [
        "https://a.example/1",
        "https://b.example/1",
        "https://c.example/1",
        "https://a.example/2",
        "https://c.example/2",
        "https://a.example/3",
    ]
