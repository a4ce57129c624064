"""Runs the steps for every source, keeping each source's and each item's failure to itself."""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx

from .errors import DigestError, ExtractError, FetchError, StoreError
from .extract import extract_article, extract_from_feed_content
from .feeds import parse_feed
from .fetch import fetch_url, make_client
from .images import IMAGE_FOLDER, drop_images, file_stem, image_urls, point_images, prepare_image
from .models import Article, ExtractedArticle, Feed, FeedItem, Source
from .opml import read_opml
from .sanitize import html_to_text, strip_tracking
from .settings import DigestSettings
from .store import Store
from .write import (
    choose_path,
    index_existing,
    make_slug,
    normalize_tags,
    write_article,
    write_image,
)

log = logging.getLogger(__name__)

FEED_ACCEPT = "application/atom+xml, application/rss+xml, application/xml;q=0.9, */*;q=0.8"
IMAGE_ACCEPT = "image/avif, image/webp, image/png, image/svg+xml, image/*;q=0.8"
PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"
FEED_TEXT_PREFERRED = 1.3  # the feed's own content wins when it has this much more text
NOTE_NO_PAGE = "The original page could not be read; this is the text the feed carries."


@dataclass
class SourceReport:
    """How one source fared in a run."""

    name: str
    feed_url: str
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    skipped: str = ""
    errors: list[str] = field(default_factory=list)

    @property
    def source_failed(self) -> bool:
        """True when the feed itself could not be read."""
        return bool(self.errors) and not (self.new or self.updated or self.unchanged)


@dataclass
class RunReport:
    """A run's outcome, per source, for the summary and the exit status."""

    sources: list[SourceReport] = field(default_factory=list)

    @property
    def all_failed(self) -> bool:
        """True when there were sources and not one of them could be read."""
        tried = [s for s in self.sources if not s.skipped]
        return bool(tried) and all(s.source_failed for s in tried)

    def summary_lines(self) -> list[str]:
        """One line per source: counts, and the reasons of failures."""
        lines = []
        for s in self.sources:
            state = (
                f"skipped ({s.skipped})"
                if s.skipped
                else (
                    f"{s.new} new, {s.updated} updated, {s.unchanged} unchanged, {s.failed} failed"
                )
            )
            lines.append(f"{s.name}: {state}")
            lines.extend(f"    {error}" for error in s.errors)
        return lines


def all_sources(settings: DigestSettings) -> list[Source]:
    """DIGEST_SOURCES and the OPML file's feeds together, each feed URL once."""
    sources = list(settings.sources)
    if settings.opml_path:
        sources.extend(read_opml(settings.opml_path))
    unique: dict[str, Source] = {}
    for source in sources:
        unique.setdefault(source.feed_url, source)
    return list(unique.values())


def make_digest_id(source: Source, item: FeedItem) -> str:
    """A stable id for an item: its feed plus its guid (or link)."""
    key = f"{source.feed_url}\n{item.guid or item.url}"
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:20]


def item_fingerprint(item: FeedItem) -> str:
    """Changes when the feed says the item changed: its title, date or text."""
    parts = [item.title, str(item.updated or ""), item.summary_html, item.content_html, item.url]
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:20]


def summarize(text: str, words: int) -> str:
    """The first `words` words of a text, with an ellipsis when cut."""
    parts = text.split()
    return " ".join(parts[:words]) + (" …" if len(parts) > words else "")


def obtain_article(
    item: FeedItem, source: Source, client: httpx.Client, settings: DigestSettings
) -> tuple[ExtractedArticle, str]:
    """The best article text for an item (page or feed content), and a note for the reader."""
    from_feed: ExtractedArticle | None = None
    feed_html = item.content_html or item.summary_html
    if feed_html:
        from_feed = extract_from_feed_content(feed_html, item.url or source.feed_url)
    if not (source.fetch_pages and item.url):
        if from_feed is None:
            raise ExtractError(f"{source.name}: {item.title!r} has no page and no feed content")
        return from_feed, ""
    try:
        response = fetch_url(client, item.url, max_bytes=settings.max_bytes, accept=PAGE_ACCEPT)
        page = extract_article(response.content, item.url)
    except (FetchError, ExtractError) as err:
        if from_feed is None or not from_feed.text.strip():
            raise
        log.warning("%s: %s: %s; using the feed's text", source.name, item.url, err)
        return from_feed, NOTE_NO_PAGE
    if (
        item.content_html
        and from_feed
        and len(from_feed.text) > FEED_TEXT_PREFERRED * len(page.text)
    ):
        log.info("%s: %s: the feed's content is fuller than the page's", source.name, item.url)
        from_feed.title = from_feed.title or page.title
        from_feed.lead_image = from_feed.lead_image or page.lead_image
        return from_feed, ""
    return page, ""


def keep_images(
    extracted: ExtractedArticle, source: Source, client: httpx.Client, settings: DigestSettings
) -> None:
    """Apply DIGEST_IMAGES: copy images next to the articles, keep them remote, or drop them."""
    if settings.images == "none":
        extracted.html, extracted.lead_image = drop_images(extracted.html), ""
        return
    if settings.images != "local":
        return
    folder = settings.content_root / IMAGE_FOLDER
    urls = image_urls(extracted.html)
    if extracted.lead_image.startswith(("http://", "https://")):
        urls.append(extracted.lead_image)
    local: dict[str, str] = {}
    for url in dict.fromkeys(urls):
        kept = next(folder.glob(file_stem(url) + ".*"), None) if folder.is_dir() else None
        if kept is not None:
            local[url] = kept.name
            continue
        try:
            response = fetch_url(
                client, url, max_bytes=settings.max_image_bytes, accept=IMAGE_ACCEPT
            )
            name, data = prepare_image(response.content, url)
        except (FetchError, ExtractError) as err:
            log.warning("%s: image %s stays on its site: %s", source.name, url, err)
            continue
        local[url] = write_image(folder, name, data).name
    extracted.html = point_images(extracted.html, local)
    if extracted.lead_image in local:
        extracted.lead_image = f"{IMAGE_FOLDER}/{local[extracted.lead_image]}"


def build_article(
    item: FeedItem,
    source: Source,
    feed: Feed,
    extracted: ExtractedArticle,
    note: str,
    digest_id: str,
    slug: str,
    first_seen: float,
    summary_words: int,
) -> Article:
    """Combine the feed's facts and the page's into the record that becomes a content file."""
    seen = datetime.fromtimestamp(first_seen, tz=UTC)
    date = item.published or item.updated or extracted.published or seen
    date = min(date, seen) if date > seen else date
    modified = max(d for d in (date, item.updated, extracted.modified) if d is not None)
    modified = min(modified, max(seen, date))
    summary_source = html_to_text(item.summary_html) if item.summary_html else ""
    if not summary_source or summary_source == extracted.text:
        summary_source = extracted.description or extracted.text
    lead_image = extracted.lead_image if extracted.lead_image not in extracted.html else ""
    author = item.author or extracted.byline
    return Article(
        digest_id=digest_id,
        slug=slug,
        title=item.title if item.title != item.url else (extracted.title or item.title),
        html=extracted.html,
        date=date,
        modified=modified,
        authors=tuple(a.strip() for a in author.replace(";", ",").split(",") if a.strip()),
        tags=normalize_tags([*item.categories, *source.tags]),
        category=source.category or source.name,
        summary=summarize(summary_source, summary_words),
        source_name=source.name,
        source_url=source.site_url or feed.site_url,
        original_url=strip_tracking(item.url) if item.url else "",
        lead_image=lead_image,
        note=note,
    )


def process_item(
    item: FeedItem,
    source: Source,
    feed: Feed,
    settings: DigestSettings,
    store: Store,
    client: httpx.Client,
    existing: dict[str, Path],
) -> str:
    """Fetch, extract and write one item when it is new or changed; say which it was."""
    digest_id = make_digest_id(source, item)
    fingerprint = item_fingerprint(item)
    stored = store.item(digest_id)
    if stored and stored.fingerprint == fingerprint and Path(stored.path).exists():
        return "unchanged"
    extracted, note = obtain_article(item, source, client, settings)
    keep_images(extracted, source, client, settings)
    path = (
        Path(stored.path)
        if stored
        else choose_path(settings.content_dir, make_slug(item.title), digest_id, existing)
    )
    first_seen = stored.first_seen if stored else time.time()
    article = build_article(
        item,
        source,
        feed,
        extracted,
        note,
        digest_id,
        path.stem,
        first_seen,
        settings.summary_words,
    )
    was_there = path.exists()
    changed = write_article(article, path)
    existing[digest_id] = path
    store.save_item(digest_id, source.name, item.url, fingerprint, str(path), first_seen)
    if not was_there:
        return "new"
    return "updated" if changed else "unchanged"


def process_source(
    source: Source,
    settings: DigestSettings,
    store: Store,
    client: httpx.Client,
    existing: dict[str, Path],
    force: bool,
) -> SourceReport:
    """Read one source's feed and each of its items; failures stay in the report."""
    report = SourceReport(source.name, source.feed_url)
    state = store.feed_state(source.feed_url)
    age = time.time() - state.checked_at
    if not force and age < settings.fetch_interval:
        report.skipped = (
            f"checked {int(age)} s ago, DIGEST_FETCH_INTERVAL is {settings.fetch_interval:g} s"
        )
        log.info("%s: %s", source.name, report.skipped)
        return report
    try:
        response = fetch_url(
            client,
            source.feed_url,
            max_bytes=settings.max_bytes,
            etag=state.etag,
            last_modified=state.last_modified,
            accept=FEED_ACCEPT,
        )
        if response.not_modified:
            log.info("%s: %s not modified", source.name, source.feed_url)
            store.save_feed_state(source.feed_url, state.etag, state.last_modified)
            return report
        feed = parse_feed(response.content, response.url, source)
    except DigestError as err:
        log.error("%s: %s: %s", source.name, source.feed_url, err)
        report.errors.append(str(err))
        # A failed check counts for the interval too, so rebuilds do not hammer a broken feed.
        store.save_feed_state(source.feed_url, state.etag, state.last_modified)
        return report
    for item in feed.items[: settings.max_items_per_source]:
        try:
            outcome = process_item(item, source, feed, settings, store, client, existing)
        except StoreError:
            raise
        except DigestError as err:
            log.warning("%s: skipped %s (%s): %s", source.name, item.title, item.url, err)
            report.failed += 1
            report.errors.append(f"{item.url or item.guid}: {err}")
            continue
        setattr(report, outcome, getattr(report, outcome) + 1)
    store.save_feed_state(source.feed_url, response.etag, response.last_modified)
    return report


def run(settings: DigestSettings, *, force: bool = False) -> RunReport:
    """Fetch every source into content/; `force` ignores DIGEST_FETCH_INTERVAL."""
    report = RunReport()
    sources = all_sources(settings)
    settings.content_dir.mkdir(parents=True, exist_ok=True)
    existing = index_existing(settings.content_dir)
    with (
        Store(settings.state_path) as store,
        make_client(
            settings.user_agent, settings.timeout, settings.max_redirects, settings.mirrors
        ) as client,
    ):
        for source in sources:
            report.sources.append(process_source(source, settings, store, client, existing, force))
    for line in report.summary_lines():
        log.info("digest: %s", line)
    return report
