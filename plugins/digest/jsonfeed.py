"""JSON Feed 1.0 and 1.1 bytes in, the same Feed record feeds.py gives for RSS and Atom.

feedparser does not read JSON Feed, so this module maps the format itself
(https://www.jsonfeed.org/version/1.1/). The mapping follows feeds.py's conventions: titles as
plain text, dates as aware UTC datetimes, `published` falling back to `updated`, and items that
can be neither identified nor linked skipped with a warning in Feed.warnings. Unlike feeds.py, a
missing item title stays empty here: JSON Feed allows title-less items (microblog posts), and the
caller decides what to show instead.
"""

from __future__ import annotations

import html
import json
import logging
import re
from datetime import UTC, datetime
from urllib.parse import urlsplit

from dateutil import parser as date_parser

from .errors import FeedError
from .models import Feed, FeedItem, Source
from .sanitize import absolute_url

log = logging.getLogger(__name__)

# Both published versions; minor versions of 1 are backward compatible by the spec's design,
# so a future 1.x is read the same way rather than refused.
_VERSION = re.compile(r"^https?://(www\.)?jsonfeed\.org/version/1(\.\d+)?/?$")
# A JSON Feed is an object carrying this URL; PHP encoders write its slashes as "\/".
_VERSION_MARKERS = (b"jsonfeed.org/version/", b"jsonfeed.org\\/version\\/")
_BLANK_LINES = re.compile(r"\n[ \t]*\n+")


def looks_like_json_feed(content: bytes) -> bool:
    """A cheap sniff, so the caller can route bytes here instead of to feedparser.

    Servers label JSON Feeds as application/feed+json, application/json or even text/plain, so
    the bytes decide: a JSON object that mentions the version URL somewhere. Key order in JSON is
    free, so the version may come after a long items list; the whole body is searched.
    """
    head = content[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    if not head.startswith(b"{"):
        return False
    return any(marker in content for marker in _VERSION_MARKERS)


def _text(value: object) -> str:
    """A string field as stripped text; anything that is not a string counts as absent."""
    return value.strip() if isinstance(value, str) else ""


def _plain(value: object) -> str:
    """Titles are plain text in JSON Feed; only the whitespace needs folding."""
    return " ".join(_text(value).split())


def _http_url(value: object, base: str) -> str:
    """value made absolute against base, or "" unless it is an http(s) URL (the sanitizer's
    rules: tabs and line breaks dropped, other control characters refused)."""
    joined = absolute_url(_text(value), base)
    return joined if joined and urlsplit(joined).scheme.lower() in ("http", "https") else ""


def _guid(value: object) -> str:
    """The item id as a string; the spec asks readers to coerce numeric ids."""
    if isinstance(value, bool):
        return ""
    if isinstance(value, int | float):
        return str(value)
    return _text(value)


def _date(value: object, field: str, where: str, warnings: list[str]) -> datetime | None:
    """An RFC 3339 date as an aware UTC datetime; a bad one is warned about, not fatal."""
    text = _text(value)
    if not text:
        return None
    try:
        parsed = date_parser.isoparse(text)
    except (ValueError, OverflowError) as err:
        warnings.append(f"{where} has an unreadable {field} {text!r} ({err})")
        return None
    if parsed.tzinfo is None:
        # RFC 3339 requires an offset; feedparser also reads offset-less dates as UTC.
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _author_names(obj: dict[str, object]) -> list[str]:
    """Author names of a feed or item: 1.1's `authors` list, else 1.0's single `author`."""
    authors = obj.get("authors")
    if not isinstance(authors, list):
        single = obj.get("author")
        authors = [single] if isinstance(single, dict) else []
    names = [_plain(a.get("name")) for a in authors if isinstance(a, dict)]
    return [n for n in names if n]


def _tags(value: object) -> tuple[str, ...]:
    """Tags as categories, in order, without empties or repeats."""
    if not isinstance(value, list):
        return ()
    seen: dict[str, None] = {}
    for tag in value:
        text = _plain(tag)
        if text:
            seen.setdefault(text, None)
    return tuple(seen)


def text_to_html(text: str) -> str:
    """Plain content_text as HTML: blank lines part paragraphs, single newlines become <br>.

    Text-only items are mostly microblog posts, where a line break is meant, not a wrap.
    """
    paragraphs = _BLANK_LINES.split(text.replace("\r\n", "\n").replace("\r", "\n").strip())
    rendered = []
    for paragraph in paragraphs:
        lines = [html.escape(line.strip(), quote=False) for line in paragraph.split("\n")]
        body = "<br>".join(line for line in lines if line)
        if body:
            rendered.append(f"<p>{body}</p>")
    return "".join(rendered)


def _load(content: bytes, url: str, source: Source) -> tuple[dict[str, object], list[object]]:
    """The top-level object and its items, checked for a JSON Feed version and an items list."""
    try:
        data = json.loads(content.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise FeedError(f"{source.name}: {url} is not readable JSON ({err})") from err
    if not isinstance(data, dict):
        raise FeedError(f"{source.name}: {url} holds JSON but not a JSON Feed object")
    version = _text(data.get("version"))
    if not _VERSION.match(version):
        raise FeedError(f"{source.name}: {url} is not a JSON Feed 1.x (version {version!r})")
    items = data.get("items")
    if not isinstance(items, list):
        raise FeedError(f"{source.name}: {url} is a JSON Feed without an items list")
    return data, items


def parse_json_feed(content: bytes, url: str, source: Source) -> Feed:
    """Read a JSON Feed's bytes; items with neither an id nor a URL are skipped with a warning.

    Relative item URLs are resolved against home_page_url, else the feed's own URL. Ids are
    kept as given (they are opaque); an item without one is identified by its URL.
    """
    data, entries = _load(content, url, source)
    site_url = _http_url(data.get("home_page_url"), url)
    base = site_url or url
    feed_authors = _author_names(data)
    warnings: list[str] = []
    items: list[FeedItem] = []
    for position, entry in enumerate(entries, start=1):
        where = f"{source.name}: item {position} of {url}"
        if not isinstance(entry, dict):
            warnings.append(f"{where} is not a JSON object")
            continue
        link = _http_url(entry.get("url"), base) or _http_url(entry.get("external_url"), base)
        guid = _guid(entry.get("id")) or link
        if not guid:
            warnings.append(f"{where} has no id or url")
            continue
        if not link and guid.startswith(("http://", "https://")):
            link = guid
        content_html = _text(entry.get("content_html"))
        if not content_html:
            content_html = text_to_html(_text(entry.get("content_text")))
        summary = _text(entry.get("summary"))
        published = _date(entry.get("date_published"), "date_published", where, warnings)
        updated = _date(entry.get("date_modified"), "date_modified", where, warnings)
        items.append(
            FeedItem(
                source_name=source.name,
                guid=guid,
                url=link,
                title=_plain(entry.get("title")),
                author=", ".join(_author_names(entry) or feed_authors),
                published=published or updated,
                updated=updated,
                categories=_tags(entry.get("tags")),
                summary_html=html.escape(summary, quote=False) if summary else "",
                content_html=content_html,
            )
        )
    for warning in warnings:
        log.warning("%s", warning)
    return Feed(
        url=url,
        title=_plain(data.get("title")),
        site_url=site_url,
        items=tuple(items),
        warnings=tuple(warnings),
    )
