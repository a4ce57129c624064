"""Feed bytes in, FeedItem records out: feedparser does the reading, this module the mapping."""

from __future__ import annotations

import calendar
import html
import logging
import re
import time
from datetime import UTC, datetime

import feedparser

from .errors import FeedError
from .models import Feed, FeedItem, Source

log = logging.getLogger(__name__)

# feedparser sets bozo for recoverable problems too; these mean the bytes were read anyway.
TOLERATED_BOZO = (feedparser.CharacterEncodingOverride,)
_CONTROL_CHARACTER = re.compile(r"[\x00-\x1f\x7f]")


def web_url(value: str) -> str:
    """The URL when it is http(s) and free of control characters, else "": a feed's links are
    published as the source's and the original's links, so javascript: and the like never are."""
    value = value.strip()
    if not value.lower().startswith(("http://", "https://")):
        return ""
    if _CONTROL_CHARACTER.search(value):
        return ""
    return value


def _to_datetime(parsed: time.struct_time | None) -> datetime | None:
    """feedparser gives UTC struct_time values; make them aware datetimes."""
    if not parsed:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC)
    except (OverflowError, ValueError, OSError):
        return None


def _entry_content(entry: feedparser.FeedParserDict) -> str:
    """The entry's full HTML content, preferring an HTML part over plain text."""
    parts = entry.get("content") or []
    html_parts = [p for p in parts if "html" in (p.get("type") or "")]
    chosen = html_parts or parts
    return "\n".join(str(p.get("value") or "") for p in chosen).strip()


def _entry_categories(entry: feedparser.FeedParserDict) -> tuple[str, ...]:
    """Category terms (or labels) of an entry, in order, without empties or repeats."""
    seen: dict[str, None] = {}
    for tag in entry.get("tags") or []:
        term = str(tag.get("label") or tag.get("term") or "").strip()
        if term:
            seen.setdefault(term, None)
    return tuple(seen)


def _plain_title(detail: feedparser.FeedParserDict | None, value: str) -> str:
    """Titles as plain text: HTML titles lose their tags and entities, all lose extra spaces."""
    if detail and "html" in str(detail.get("type") or ""):
        value = html.unescape(re.sub(r"<[^>]*>", "", value))
    return " ".join(value.split())


def _entry_author(entry: feedparser.FeedParserDict) -> str:
    """One display string for the entry's authors."""
    names = [str(a.get("name") or "").strip() for a in entry.get("authors") or []]
    names = [n for n in names if n]
    return ", ".join(names) if names else str(entry.get("author") or "").strip()


def parse_feed(content: bytes, url: str, source: Source) -> Feed:
    """Read a feed's bytes; items without a link and a title are skipped with a warning."""
    parsed = feedparser.parse(content, response_headers={"content-location": url})
    if parsed.get("bozo") and not parsed.entries:
        reason = parsed.get("bozo_exception")
        raise FeedError(f"{source.name}: {url} is not a readable feed ({reason})")
    if not parsed.get("version") and not parsed.entries:
        raise FeedError(f"{source.name}: {url} holds no RSS or Atom feed")
    warnings: list[str] = []
    items: list[FeedItem] = []
    for position, entry in enumerate(parsed.entries):
        link = web_url(str(entry.get("link") or ""))
        title = _plain_title(entry.get("title_detail"), str(entry.get("title") or ""))
        guid = str(entry.get("id") or link).strip()
        if not link and not guid:
            warnings.append(f"{source.name}: item {position + 1} of {url} has no link or id")
            continue
        if not title:
            title = link or guid
        # Plain dict access: FeedParserDict would alias one date to the other, with a warning.
        published = _to_datetime(dict.get(entry, "published_parsed"))
        updated = _to_datetime(dict.get(entry, "updated_parsed"))
        items.append(
            FeedItem(
                source_name=source.name,
                guid=guid,
                url=link or web_url(guid),
                title=title,
                author=_entry_author(entry),
                published=published or updated,
                updated=updated,
                categories=_entry_categories(entry),
                summary_html=str(entry.get("summary") or "").strip(),
                content_html=_entry_content(entry),
            )
        )
    for warning in warnings:
        log.warning("%s", warning)
    feed = parsed.get("feed") or {}
    return Feed(
        url=url,
        title=_plain_title(feed.get("title_detail"), str(feed.get("title") or "")),
        site_url=web_url(str(feed.get("link") or "")),
        items=tuple(items),
        warnings=tuple(warnings),
    )
