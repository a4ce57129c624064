"""Plain records passed between the steps; no behaviour beyond small derived values."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Source:
    """One configured feed: where it is and how its items are labelled."""

    name: str
    feed_url: str
    tags: tuple[str, ...] = ()
    site_url: str = ""
    category: str = ""
    fetch_pages: bool = True
    robots: bool = True
    user_agent: str = ""
    feed_content: str = ""  # "", "full", "summary" or "link": what the digest's own feeds carry
    options: dict[str, object] = field(default_factory=dict, hash=False, compare=False)


@dataclass(frozen=True)
class FeedItem:
    """One entry of a feed, as the feed describes it, before its page is fetched."""

    source_name: str
    guid: str
    url: str
    title: str
    author: str = ""
    published: datetime | None = None
    updated: datetime | None = None
    categories: tuple[str, ...] = ()
    summary_html: str = ""
    content_html: str = ""


@dataclass(frozen=True)
class Feed:
    """A parsed feed: its own title and site link, and its items in feed order."""

    url: str
    title: str
    site_url: str
    items: tuple[FeedItem, ...]
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Removal:
    """A block the cleaner took out, and the rule that took it."""

    text: str
    rule: str


@dataclass
class ExtractedArticle:
    """What a page yields: the cleaned article and the page's own metadata."""

    title: str = ""
    byline: str = ""
    published: datetime | None = None
    modified: datetime | None = None
    lead_image: str = ""
    description: str = ""
    canonical_url: str = ""
    site_name: str = ""
    html: str = ""
    text: str = ""
    removed: list[Removal] = field(default_factory=list)


@dataclass(frozen=True)
class Article:
    """Everything one content file holds."""

    digest_id: str
    slug: str
    title: str
    html: str
    date: datetime
    modified: datetime
    authors: tuple[str, ...]
    tags: tuple[str, ...]
    category: str
    summary: str
    source_name: str
    source_url: str
    original_url: str
    lead_image: str = ""
    note: str = ""
    fingerprint: str = ""
    reading_time: int = 0  # minutes
    feed_content: str = ""
    also_in: tuple[tuple[str, str], ...] = ()  # (source name, URL) of other carriers of the story
