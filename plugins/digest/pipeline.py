"""Runs the steps for every source, keeping each source's and each item's failure to itself.

A run has four phases. Feeds are fetched in parallel; the main thread then selects the items
that are new or changed (the state store and content/ say which); their pages are fetched and
extracted in parallel; and the main thread writes the results in feed order, so file names and
duplicate decisions do not depend on which download finished first. Only the main thread
touches the state store and content/digest/.
"""

from __future__ import annotations

import hashlib
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol, TypeVar
from urllib.parse import urlsplit

from .dedupe import SignatureIndex, text_signature, url_key
from .errors import (
    ConfigError,
    DigestError,
    ExtractError,
    FetchError,
    StoreError,
    WriteError,
)
from .extract import extract_article, extract_from_feed_content
from .feeds import parse_feed, web_url
from .fetch import Client, HostGate, Response, RetryPolicy, fetch_url, make_client
from .images import (
    IMAGE_FOLDER,
    drop_images,
    file_stem,
    image_urls,
    localize_images,
    prepare_image,
)
from .jsonfeed import looks_like_json_feed, parse_json_feed
from .lock import fetch_lock
from .models import Article, ExtractedArticle, Feed, FeedItem, Source
from .opml import read_opml
from .robots import RobotsPolicy, parse_robots, robots_url
from .sanitize import html_to_text, strip_tracking
from .settings import DigestSettings
from .siterules import load_site_rules
from .store import FeedState, Store
from .tags import normalize_tags, rule_tags
from .write import (
    ExistingFile,
    choose_path,
    index_existing,
    make_slug,
    set_also_in,
    sweep_temporaries,
    sync_files,
    write_article,
    write_image,
)

log = logging.getLogger(__name__)

FEED_ACCEPT = (
    "application/atom+xml, application/rss+xml, application/feed+json, application/xml;q=0.9, "
    "*/*;q=0.8"
)
IMAGE_ACCEPT = "image/avif, image/webp, image/png, image/svg+xml, image/*;q=0.8"
PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"
ROBOTS_MAX_BYTES = 512_000
WORDS_PER_MINUTE = 230  # an adult's silent reading pace, for the reading time shown
FEED_TEXT_PREFERRED = 1.3  # the feed's own content wins when it has this much more text
NOTE_NO_PAGE = "The original page could not be read; this is the text the feed carries."
NOTE_ROBOTS = (
    "The source's robots.txt asks not to fetch this page; this is the text the feed carries."
)
# Threads per request in flight (DIGEST_WORKERS): the gate holds a request's overall slot only
# while it is on the wire, so the extra threads wait out other hosts' delays, or extract and
# write, while the network stays busy. Most of a cold run's threads slept in a host's delay
# when there were as many threads as requests.
THREADS_PER_REQUEST = 4
SYNC_BATCH = 64  # files written between two syncs (and store commits) of a run
# Below this many pages a run extracts in its own process: starting a worker process (an
# interpreter, lxml's and readability's imports) costs about 0.3 s of CPU, the CPU time of
# some 8 pages, and delays the first page by as much; it pays off from a few dozen pages.
POOL_MIN_PAGES = 32
PARENT_POLL_SECONDS = 1.0  # how often a worker process checks that its parent is alive

T = TypeVar("T")


class ProgressHook(Protocol):
    """What a progress display is told; the CLI shows it, a Pelican build passes None."""

    def feeds(self, total: int) -> None: ...
    def feed_done(self, name: str) -> None: ...
    def pages(self, total: int) -> None: ...
    def page_done(self, url: str) -> None: ...


@dataclass
class SourceReport:
    """How one source fared in a run."""

    name: str
    feed_url: str
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0
    failed: int = 0
    skipped: str = ""
    gone: bool = False
    feed_failed: bool = False
    errors: list[str] = field(default_factory=list)

    @property
    def source_failed(self) -> bool:
        """True when the feed itself could not be read."""
        return self.feed_failed


@dataclass
class RunReport:
    """A run's outcome, per source, for the summary and the exit status."""

    sources: list[SourceReport] = field(default_factory=list)

    @property
    def all_failed(self) -> bool:
        """True when there were sources to check and not one of them could be read."""
        tried = [s for s in self.sources if not s.skipped]
        return bool(tried) and all(s.source_failed for s in tried)

    @property
    def written(self) -> int:
        """Content files created or changed."""
        return sum(s.new + s.updated for s in self.sources)

    def summary_lines(self) -> list[str]:
        """One line per source: counts, and the reasons of failures."""
        lines = []
        for s in self.sources:
            if s.skipped:
                state = f"skipped ({s.skipped})"
            else:
                state = (
                    f"{s.new} new, {s.updated} updated, {s.unchanged} unchanged, "
                    f"{s.duplicates} duplicates, {s.failed} failed"
                )
            lines.append(f"{s.name}: {state}")
            lines.extend(f"    {error}" for error in s.errors)
        return lines


@dataclass
class Context:
    """What the worker threads share: settings, the HTTP client and its politeness."""

    settings: DigestSettings
    client: Client
    gate: HostGate
    policy: RetryPolicy
    robots: dict[str, RobotsPolicy] = field(default_factory=dict)
    robots_lock: threading.Lock = field(default_factory=threading.Lock)
    robots_locks: dict[str, threading.Lock] = field(default_factory=dict)
    extractors: Extractors | None = None
    kept_images: dict[str, str] | None = None  # image file stem -> file name, read once a run
    images_lock: threading.Lock = field(default_factory=threading.Lock)
    unsynced: list[Path] = field(default_factory=list)  # files written without fsync, yet

    def extract(self, what: str, function: Callable[..., T], *args: object) -> T:
        """Run CPU-bound work in the extraction processes, or here when there are none."""
        if self.extractors is None:
            return function(*args)
        return self.extractors.run(what, function, *args)

    def kept_image(self, stem: str, folder: Path) -> str | None:
        """The file name of an image already stored under that stem (one folder scan a run)."""
        with self.images_lock:
            if self.kept_images is None:
                names = (p.name for p in folder.iterdir()) if folder.is_dir() else ()
                self.kept_images = {
                    name.split(".", 1)[0]: name for name in names if not name.startswith(".")
                }
            return self.kept_images.get(stem)

    def image_stored(self, path: Path) -> None:
        """Remember an image written (without fsync) during the run."""
        with self.images_lock:
            self.unsynced.append(path)
            if self.kept_images is not None:
                self.kept_images[path.name.split(".", 1)[0]] = path.name

    def sync(self) -> None:
        """fsync every file written since the last sync (see write.sync_files)."""
        with self.images_lock:
            paths, self.unsynced = self.unsynced, []
        sync_files(paths)

    def get(self, url: str, source: Source, **kwargs: object) -> Response:
        """GET with the run's retry policy, host gate and the source's User-Agent."""
        return fetch_url(
            self.client,
            url,
            policy=self.policy,
            gate=self.gate,
            user_agent=source.user_agent,
            **kwargs,  # type: ignore[arg-type]
        )


@dataclass
class Job:
    """An item whose page must be fetched and written."""

    source: Source
    feed: Feed
    item: FeedItem
    digest_id: str
    fingerprint: str
    path: Path | None
    first_seen: float
    report: SourceReport
    carriers: list[Carrier] = field(default_factory=list)


@dataclass(frozen=True)
class Carrier:
    """Another feed's item with the same URL as a job of this run: its story's "also in"."""

    source: Source
    item: FeedItem
    digest_id: str
    fingerprint: str
    report: SourceReport


# -- sources and ids -------------------------------------------------------------------------


def all_sources(settings: DigestSettings) -> list[Source]:
    """DIGEST_SOURCES and the OPML file's feeds together, each feed URL once."""
    sources = list(settings.sources)
    if settings.opml_path and settings.opml_path.exists():
        try:
            sources.extend(read_opml(settings.opml_path))
        except ConfigError as err:
            log.error("digest: the OPML sources are skipped: %s", err)
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


# -- phase 1: feeds ------------------------------------------------------------------------------


def read_feed(source: Source, state: FeedState, ctx: Context) -> tuple[Response, Feed | None]:
    """Fetch and parse one feed; a 304 gives no Feed. Runs in a worker thread."""
    response = ctx.get(
        source.feed_url,
        source,
        max_bytes=ctx.settings.max_bytes,
        etag=state.etag,
        last_modified=state.last_modified,
        accept=FEED_ACCEPT,
    )
    if response.not_modified:
        return response, None
    if looks_like_json_feed(response.content):
        return response, parse_json_feed(response.content, response.url, source)
    return response, parse_feed(response.content, response.url, source)


# -- phase 2: selection --------------------------------------------------------------------------


def too_old(item: FeedItem, max_age_days: float, now: datetime) -> bool:
    """True when DIGEST_MAX_AGE_DAYS is set and the item's date is older than that."""
    when = item.published or item.updated
    return bool(max_age_days and when and when < now - timedelta(days=max_age_days))


def first_seen_from(existing: ExistingFile | None) -> float | None:
    """The first-seen time a content file implies (its date), when the store has forgotten it."""
    if existing is None or not existing.date:
        return None
    try:
        return datetime.fromisoformat(existing.date).timestamp()
    except ValueError:
        return None


def select_items(
    source: Source,
    feed: Feed,
    store: Store,
    existing: dict[str, ExistingFile],
    settings: DigestSettings,
    report: SourceReport,
    claimed: dict[str, Job],
) -> list[Job]:
    """The items of a feed that need their page: new ones and ones the feed says changed.

    `claimed` maps the URL keys of this run's jobs so far, so a second feed's copy of the same
    link waits for the first one's article instead of being fetched again.
    """
    jobs: list[Job] = []
    now = datetime.now(tz=UTC)
    for item in feed.items[: settings.max_items_per_source]:
        if too_old(item, settings.max_age_days, now):
            continue
        digest_id = make_digest_id(source, item)
        fingerprint = item_fingerprint(item)
        stored = store.item(digest_id)
        on_disk = existing.get(digest_id)
        if stored and stored.fingerprint == fingerprint and Path(stored.path).exists():
            report.unchanged += 1
            continue
        if stored is None and on_disk and on_disk.fingerprint == fingerprint:
            # The store was lost; the file says it is up to date: remember it, fetch nothing.
            seen = first_seen_from(on_disk) or time.time()
            store.save_item(digest_id, source.name, item.url, fingerprint, str(on_disk.path), seen)
            store.save_url(url_key(item.url), digest_id)
            report.unchanged += 1
            continue
        key = url_key(item.url) if item.url else ""
        if stored is None and on_disk is None and settings.dedupe and key:
            owner = store.url_owner(key)
            merged = bool(owner and owner != digest_id) and record_duplicate(
                str(owner), source, item, digest_id, fingerprint, store, existing
            )
            if merged:
                report.duplicates += 1
                continue
            if key in claimed and claimed[key].digest_id != digest_id:
                claimed[key].carriers.append(Carrier(source, item, digest_id, fingerprint, report))
                continue
        path = Path(stored.path) if stored else (on_disk.path if on_disk else None)
        first_seen = stored.first_seen if stored else (first_seen_from(on_disk) or time.time())
        job = Job(source, feed, item, digest_id, fingerprint, path, first_seen, report)
        jobs.append(job)
        if key:
            claimed.setdefault(key, job)
    return jobs


def remember_urls(existing: dict[str, ExistingFile], store: Store) -> None:
    """Rebuild the URL table of a new store from content/: each file's original and also-in URLs.

    Without it, a lost store would let a second feed's copy of a story be written again.
    """
    pairs = []
    for digest_id, known in existing.items():
        for url in (known.original_url, *(url for _, url in known.also_in)):
            if url:
                pairs.append((url_key(url), digest_id))
    store.save_urls(pairs)
    log.info("digest: state store rebuilt from %d content files", len(existing))


def record_duplicate(
    owner: str,
    source: Source,
    item: FeedItem,
    digest_id: str,
    fingerprint: str,
    store: Store,
    existing: dict[str, ExistingFile],
) -> bool:
    """Add an item's source to the article that already tells its story; False if none does."""
    owner_item = store.item(owner)
    owner_file = existing.get(owner)
    path = Path(owner_item.path) if owner_item else (owner_file.path if owner_file else None)
    if path is None or not path.exists():
        return False
    url = strip_tracking(item.url) if item.url else ""
    if store.add_also_in(owner, source.name, url):
        set_also_in(path, store.also_in(owner))
    store.save_item(digest_id, source.name, item.url, fingerprint, str(path), time.time())
    log.info("%s: %s is the story of %s; listed as also in", source.name, item.url, path.name)
    return True


# -- extraction processes ------------------------------------------------------------------------


@dataclass
class Extraction:
    """What the CPU-bound step makes of a page and a feed entry: plain data, picklable."""

    from_feed: ExtractedArticle | None = None
    page: ExtractedArticle | None = None
    page_error: str = ""  # why the page gave no article, when it did not
    feed_signature: tuple[int, ...] = ()
    page_signature: tuple[int, ...] = ()


def extract_texts(
    feed_html: str,
    feed_base: str,
    page: bytes | None,
    page_url: str,
    dedupe: bool,
    site_rules_dir: str = "",
) -> Extraction:
    """Extract (and sign, for dedupe) a feed entry's content and a fetched page.

    Runs in a worker process: plain data in and out. Any exception from the extractors becomes
    an ExtractError for this page alone, so one odd page cannot stop the run. The site rules
    are read in the worker (once, until a file changes), from the folder's path.
    """
    done = Extraction()
    try:
        if feed_html:
            done.from_feed = extract_from_feed_content(feed_html, feed_base)
            if dedupe:
                done.feed_signature = text_signature(done.from_feed.text)
    except DigestError:
        raise
    except Exception as err:  # isolation boundary: report it, never crash the run
        raise ExtractError(f"extracting the feed's content failed: {_describe(err)}") from None
    if page is not None:
        try:
            rules = load_site_rules(Path(site_rules_dir)) if site_rules_dir else None
            done.page = extract_article(page, page_url, site_rules=rules)
            if dedupe:
                done.page_signature = text_signature(done.page.text)
        except ExtractError as err:
            done.page_error = str(err)
        except Exception as err:  # isolation boundary, as above
            done.page_error = f"extraction failed: {_describe(err)}"
    return done


def _describe(err: BaseException) -> str:
    """An exception as one line, its type included (an AssertionError may have no message)."""
    return f"{type(err).__name__}: {err}" if str(err) else type(err).__name__


def _watch_parent(parent: int) -> None:
    """End this worker process when its parent is gone (kill -9 runs no clean-up)."""
    while os.getppid() == parent:
        time.sleep(PARENT_POLL_SECONDS)
    os._exit(0)


def _start_worker(parent: int) -> None:
    """Initializer of each extraction process; `parent` is the run's pid, passed in because
    the run may already be gone (killed while this process started) when this runs."""
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()


def _ready() -> None:
    """Nothing: a first task makes a worker process start and import this module."""


class Extractors:
    """A process pool for extraction, replaced when one of its processes dies.

    Processes are spawned, not forked: a forked child would inherit the run's open files, the
    fetch lock among them, and keep it held if it outlived a killed run. A dead worker breaks
    every job in flight, not only its own: each is retried once in a fresh pool, and a page
    that breaks a second pool is the culprit and fails alone.
    """

    def __init__(self, processes: int) -> None:
        self.processes = processes
        self.lock = threading.Lock()
        self.generation = 0
        self.pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        """A pool of spawned worker processes."""
        return ProcessPoolExecutor(
            self.processes,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_worker,
            initargs=(os.getpid(),),
        )

    def start(self) -> None:
        """Start every process now (the pool would start them one by one as work comes)."""
        with self.lock:
            pool = self.pool
        for _ in range(self.processes):
            pool.submit(_ready)

    def run(self, what: str, function: Callable[..., T], *args: object) -> T:
        """function(*args) in a worker process; `what` (source and URL) names it in messages."""
        for attempt in (1, 2):
            with self.lock:
                pool, generation = self.pool, self.generation
            try:
                return pool.submit(function, *args).result()
            except BrokenProcessPool as err:
                with self.lock:
                    if self.generation == generation:
                        self.pool.shutdown(wait=False, cancel_futures=True)
                        self.pool = self._new_pool()
                        self.generation += 1
                if attempt == 2:
                    raise ExtractError(
                        f"the extraction process died twice on {what}; the page is skipped"
                    ) from err
                log.warning("digest: an extraction process died while on %s; retrying", what)
        raise AssertionError("unreachable")  # pragma: no cover

    def close(self) -> None:
        """Stop the worker processes."""
        with self.lock:
            self.pool.shutdown(wait=True, cancel_futures=True)


# -- phase 3: pages ------------------------------------------------------------------------------


def robots_allow(url: str, source: Source, ctx: Context) -> bool:
    """Whether robots.txt lets Digest fetch a page (fetched once per host per run)."""
    if not (ctx.settings.robots and source.robots):
        return True
    where = robots_url(url)
    with ctx.robots_lock:
        host_lock = ctx.robots_locks.setdefault(where, threading.Lock())
    with host_lock:  # one fetch of robots.txt per host, however many pages wait for it
        policy = ctx.robots.get(where)
        if policy is None:
            try:
                response = ctx.get(where, source, max_bytes=ROBOTS_MAX_BYTES, accept="text/plain")
                policy = parse_robots(response.content, response.status, url=where)
            except FetchError as err:
                policy = parse_robots(None, err.status or 0, url=where)
            ctx.robots[where] = policy
    return policy.allows(url, source.user_agent or ctx.settings.user_agent)


def obtain_article(
    item: FeedItem, source: Source, ctx: Context
) -> tuple[ExtractedArticle, str, tuple[int, ...]]:
    """The best article text for an item (page or feed content), a note, and its signature."""
    feed_html = item.content_html or item.summary_html
    base = item.url or source.feed_url
    dedupe = ctx.settings.dedupe
    what = f"{source.name}: {item.url or item.guid}"
    site_rules_dir = str(ctx.settings.site_rules_dir or "")

    def from_feed_only(page: bytes | None = None, page_url: str = "") -> Extraction:
        if not feed_html and page is None:
            return Extraction()
        return ctx.extract(
            what, extract_texts, feed_html, base, page, page_url, dedupe, site_rules_dir
        )

    def usable(done: Extraction) -> bool:
        return done.from_feed is not None and bool(done.from_feed.text.strip())

    if not (source.fetch_pages and item.url):
        done = from_feed_only()
        if not usable(done):
            raise ExtractError(f"{source.name}: {item.title!r} has no page and no feed content")
        return done.from_feed, "", done.feed_signature  # type: ignore[return-value]
    if not robots_allow(item.url, source, ctx):
        done = from_feed_only()
        if not usable(done):
            raise FetchError(f"robots.txt disallows {item.url} and the feed has no text", item.url)
        log.info("%s: robots.txt disallows %s; using the feed's text", source.name, item.url)
        return done.from_feed, NOTE_ROBOTS, done.feed_signature  # type: ignore[return-value]
    try:
        response = ctx.get(item.url, source, max_bytes=ctx.settings.max_bytes, accept=PAGE_ACCEPT)
    except FetchError as err:
        done = from_feed_only()
        if not usable(done):
            raise
        log.warning("%s: %s: %s; using the feed's text", source.name, item.url, err)
        return done.from_feed, NOTE_NO_PAGE, done.feed_signature  # type: ignore[return-value]
    done = from_feed_only(response.content, response.url or item.url)
    from_feed, page = done.from_feed, done.page
    if page is None:
        err = ExtractError(done.page_error or f"{item.url}: no article")
        if from_feed is None or not from_feed.text.strip():
            raise err
        log.warning("%s: %s: %s; using the feed's text", source.name, item.url, err)
        return from_feed, NOTE_NO_PAGE, done.feed_signature
    if (
        item.content_html
        and from_feed
        and len(from_feed.text) > FEED_TEXT_PREFERRED * len(page.text)
    ):
        log.info("%s: %s: the feed's content is fuller than the page's", source.name, item.url)
        from_feed.title = from_feed.title or page.title
        from_feed.lead_image = from_feed.lead_image or page.lead_image
        from_feed.canonical_url = page.canonical_url
        return from_feed, "", done.feed_signature
    return page, "", done.page_signature


def keep_images(extracted: ExtractedArticle, source: Source, ctx: Context) -> None:
    """Apply DIGEST_IMAGES: copy images next to the articles, keep them remote, or drop them.

    With "local", an image that could not be copied is left out (its alt text stays), and so is
    a lead image that could not: readers' browsers never ask the sources' servers for anything.
    """
    settings = ctx.settings
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
        kept = ctx.kept_image(file_stem(url), folder)
        if kept is not None:
            local[url] = kept
            continue
        try:
            response = ctx.get(url, source, max_bytes=settings.max_image_bytes, accept=IMAGE_ACCEPT)
            name, data = prepare_image(response.content, url)
        except (FetchError, ExtractError) as err:
            log.warning(
                "%s: image %s is left out, it could not be copied: %s", source.name, url, err
            )
            continue
        stored = write_image(folder, name, data, durable=False)
        ctx.image_stored(stored)
        local[url] = stored.name
    extracted.html = localize_images(extracted.html, local)
    lead = local.get(extracted.lead_image)
    extracted.lead_image = f"{IMAGE_FOLDER}/{lead}" if lead else ""


def interleave_hosts(jobs: list[Job]) -> list[Job]:
    """Jobs reordered round-robin over their hosts, each host's jobs kept in feed order.

    Workers that wait out one host's politeness delay hold a thread; with one host's jobs queued
    back to back, every worker would wait on the same host while the others sit idle.
    """
    by_host: dict[str, list[Job]] = {}
    for job in jobs:
        by_host.setdefault(urlsplit(job.item.url).netloc.lower(), []).append(job)
    queues = list(by_host.values())
    ordered: list[Job] = []
    for depth in range(max((len(q) for q in queues), default=0)):
        ordered.extend(q[depth] for q in queues if depth < len(q))
    return ordered


def fetch_job(job: Job, ctx: Context) -> tuple[ExtractedArticle, str, tuple[int, ...]]:
    """Everything a job needs from the network, extracted. Runs in a worker thread.

    Whatever a hostile item makes go wrong costs that item only: an error that is not one of
    Digest's own (lxml's ValueError on a control character in a link, say) becomes an
    ExtractError naming the source and the item, which the run logs, reports and goes past
    (the traceback is logged at debug level). Digest's own errors pass as they are, so a
    WriteError still stops the run.
    """
    try:
        extracted, note, signature = obtain_article(job.item, job.source, ctx)
        keep_images(extracted, job.source, ctx)
    except DigestError:
        raise
    except Exception as err:
        where = f"{job.source.name}: item {job.item.title!r} ({job.item.url or job.item.guid})"
        log.debug("%s could not be read", where, exc_info=True)
        raise ExtractError(f"the item could not be read: {type(err).__name__}: {err}") from err
    return extracted, note, signature


# -- phase 4: writing ----------------------------------------------------------------------------


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
    changed_at: float | None = None,
    tag_rules: tuple[tuple[str, tuple[str, ...]], ...] = (),
    tag_aliases: Mapping[str, str] | None = None,
) -> Article:
    """Combine the feed's facts and the page's into the record that becomes a content file.

    `changed_at` is when a run saw an already written item change: it becomes the modified
    date when the feed gives none, while the date stays, so an update never looks new.
    """
    seen = datetime.fromtimestamp(int(first_seen), tz=UTC)
    date = item.published or item.updated or extracted.published or seen
    date = min(date, seen) if date > seen else date
    candidates = [date, item.updated, extracted.modified]
    if changed_at is not None and item.updated is None:
        candidates.append(datetime.fromtimestamp(changed_at, tz=UTC))
    modified = max(d for d in candidates if d is not None)
    modified = min(modified, max(datetime.now(tz=UTC), date))
    summary_source = html_to_text(item.summary_html) if item.summary_html else ""
    if not summary_source or summary_source == extracted.text:
        summary_source = extracted.description or extracted.text
    lead_image = extracted.lead_image if extracted.lead_image not in extracted.html else ""
    author = item.author or extracted.byline
    rule_text = f"{item.title}\n{extracted.text}" if tag_rules else ""
    return Article(
        digest_id=digest_id,
        slug=slug,
        title=item.title if item.title != item.url else (extracted.title or item.title),
        html=extracted.html,
        date=date,
        modified=modified,
        authors=tuple(a.strip() for a in author.replace(";", ",").split(",") if a.strip()),
        tags=normalize_tags(
            [*item.categories, *source.tags, *rule_tags(rule_text, tag_rules)], tag_aliases
        ),
        category=source.category or source.name,
        summary=summarize(summary_source, summary_words),
        source_name=source.name,
        source_url=web_url(source.site_url) or feed.site_url,
        original_url=strip_tracking(item.url) if web_url(item.url) else "",
        lead_image=lead_image,
        note=note,
        reading_time=max(1, round(len(extracted.text.split()) / WORDS_PER_MINUTE)),
        feed_content=source.feed_content,
    )


def find_story_owner(
    job: Job,
    extracted: ExtractedArticle,
    signature: tuple[int, ...],
    store: Store,
    index: SignatureIndex,
) -> str | None:
    """The article that already tells this story, by canonical URL or by near-identical text.

    `index` holds the store's signatures (loaded once a run, kept up to date by write_job).
    """
    canonical = url_key(extracted.canonical_url) if extracted.canonical_url else ""
    owner = store.url_owner(canonical) if canonical else None
    if owner and owner != job.digest_id:
        return owner
    return index.find(signature, exclude=job.digest_id)


def write_job(
    job: Job,
    extracted: ExtractedArticle,
    note: str,
    signature: tuple[int, ...],
    store: Store,
    existing: dict[str, ExistingFile],
    settings: DigestSettings,
    index: SignatureIndex,
    unsynced: list[Path] | None = None,
) -> str:
    """Write one fetched item, or list it under the article that already tells its story.

    With `unsynced`, the file is not fsynced here: its path is added for sync_files().
    """
    if job.path is None and settings.dedupe:
        owner = find_story_owner(job, extracted, signature, store, index)
        if owner and record_duplicate(
            owner, job.source, job.item, job.digest_id, job.fingerprint, store, existing
        ):
            return "duplicates"
    path = job.path or choose_path(
        settings.content_dir, make_slug(job.item.title), job.digest_id, existing
    )
    article = build_article(
        job.item,
        job.source,
        job.feed,
        extracted,
        note,
        job.digest_id,
        path.stem,
        job.first_seen,
        settings.summary_words,
        changed_at=time.time() if job.path else None,
        tag_rules=settings.tag_rules,
        tag_aliases=settings.tag_aliases,
    )
    article = replace(article, fingerprint=job.fingerprint, also_in=store.also_in(job.digest_id))
    was_there = path.exists()
    changed = write_article(article, path, durable=unsynced is None)
    if changed and unsynced is not None:
        unsynced.append(path)
    existing[job.digest_id] = ExistingFile(path, job.fingerprint, article.date.isoformat())
    store.save_item(
        job.digest_id, job.source.name, job.item.url, job.fingerprint, str(path), job.first_seen
    )
    for url in (job.item.url, extracted.canonical_url):
        store.save_url(url_key(url) if url else "", job.digest_id)
    store.save_signature(job.digest_id, signature)
    index.add(job.digest_id, signature)
    if not was_there:
        return "new"
    return "updated" if changed else "unchanged"


# -- the run -------------------------------------------------------------------------------------


def check_source(
    source: Source, store: Store, settings: DigestSettings, force: bool, report: SourceReport
) -> FeedState | None:
    """The feed's stored state, or None (with the reason in the report) when it is not due."""
    state = store.feed_state(source.feed_url)
    if state.gone_since:
        when = datetime.fromtimestamp(state.gone_since, tz=UTC).date().isoformat()
        report.skipped = f"gone since {when} (HTTP 410); remove it from the sources"
        report.gone = True
        return None
    age = time.time() - state.checked_at
    if not force and age < settings.fetch_interval:
        report.skipped = (
            f"checked {int(age)} s ago, DIGEST_FETCH_INTERVAL is {settings.fetch_interval:g} s"
        )
        return None
    return state


def feed_failed(
    source: Source, err: DigestError, state: FeedState, store: Store, report: SourceReport
) -> None:
    """Record a feed that could not be read: in the report, and (410) in the store."""
    log.error("%s: %s: %s", source.name, source.feed_url, err)
    report.errors.append(str(err))
    report.feed_failed = True
    if isinstance(err, FetchError) and err.gone:
        report.gone = True
        store.mark_gone(source.feed_url)
        return
    # A failed check counts for the interval too, so rebuilds do not hammer a broken feed.
    store.save_feed_state(source.feed_url, state.etag, state.last_modified)


def run(
    settings: DigestSettings,
    *,
    force: bool = False,
    progress: ProgressHook | None = None,
    wait: float = 0.0,
) -> RunReport:
    """Fetch every source into content/, one run per site at a time.

    `force` ignores DIGEST_FETCH_INTERVAL; `wait` is how long to wait for another run's lock.
    """
    with fetch_lock(settings.cache_dir / "fetch.lock", wait):
        return _run(settings, force, progress)


def _run(settings: DigestSettings, force: bool, progress: ProgressHook | None) -> RunReport:
    """The run itself, under the lock."""
    report = RunReport()
    sources = all_sources(settings)
    settings.content_dir.mkdir(parents=True, exist_ok=True)
    for folder in (settings.content_dir, settings.content_root / IMAGE_FOLDER):
        if swept := sweep_temporaries(folder):
            log.info(
                "digest: removed %d temporary files an interrupted run left in %s", swept, folder
            )
    existing = index_existing(settings.content_dir)
    gate = HostGate(settings.per_host, settings.host_delay, settings.mirrors, settings.workers)
    policy = RetryPolicy(settings.retries, settings.retry_backoff)
    with (
        Store(settings.state_path) as store,
        make_client(
            settings.user_agent,
            settings.timeout,
            settings.max_redirects,
            settings.mirrors,
            frozenset(s.feed_url for s in sources if s.feed_url.startswith("file:")),
        ) as client,
        ThreadPoolExecutor(
            settings.workers * THREADS_PER_REQUEST, thread_name_prefix="digest"
        ) as pool,
    ):
        ctx = Context(settings, client, gate, policy)
        if existing and store.is_empty():
            remember_urls(existing, store)
        due: list[tuple[Source, SourceReport, FeedState, Future[tuple[Response, Feed | None]]]] = []
        for source in sources:
            source_report = SourceReport(source.name, source.feed_url)
            report.sources.append(source_report)
            state = check_source(source, store, settings, force, source_report)
            if state is None:
                log.info("%s: %s", source.name, source_report.skipped)
                continue
            due.append((source, source_report, state, pool.submit(read_feed, source, state, ctx)))
        _call(progress, "feeds", len(due))

        jobs: list[Job] = []
        claimed: dict[str, Job] = {}
        validators: list[tuple[Source, Response]] = []
        try:
            for source, source_report, state, future in due:
                try:
                    response, feed = future.result()
                except DigestError as err:
                    feed_failed(source, err, state, store, source_report)
                    _call(progress, "feed_done", source.name)
                    continue
                _call(progress, "feed_done", source.name)
                if feed is None:
                    log.info("%s: %s not modified", source.name, source.feed_url)
                    store.save_feed_state(source.feed_url, state.etag, state.last_modified)
                    continue
                jobs.extend(
                    select_items(source, feed, store, existing, settings, source_report, claimed)
                )
                validators.append((source, response))
                if ctx.extractors is None and len(jobs) >= POOL_MIN_PAGES:
                    # Started while the other feeds are read: the processes take a second to
                    # start and import, and the run has a core to spare until the pages come.
                    ctx.extractors = Extractors(os.cpu_count() or 1)
                    ctx.extractors.start()

            _call(progress, "pages", len(jobs))
            index = SignatureIndex()
            if settings.dedupe and jobs:
                for digest_id, signature in store.signatures():
                    index.add(digest_id, signature)
            pending = [(job, pool.submit(fetch_job, job, ctx)) for job in interleave_hosts(jobs)]
            for start in range(0, len(pending), SYNC_BATCH):
                with store.batch(before_commit=ctx.sync):
                    for job, future in pending[start : start + SYNC_BATCH]:
                        write_result(job, future, ctx, store, existing, index, pool)
                        _call(progress, "page_done", job.item.url)
        finally:
            if ctx.extractors is not None:
                ctx.extractors.close()
        # Validators last: a run stopped half-way asks for the whole feed again next time.
        for source, response in validators:
            store.save_feed_state(source.feed_url, response.etag, response.last_modified)
    for line in report.summary_lines():
        log.info("digest: %s", line)
    return report


def write_result(
    job: Job,
    future: Future[tuple[ExtractedArticle, str, tuple[int, ...]]],
    ctx: Context,
    store: Store,
    existing: dict[str, ExistingFile],
    index: SignatureIndex,
    pool: ThreadPoolExecutor,
) -> None:
    """Write a job's fetched article (or record its failure) and its carriers' "also in"."""
    try:
        extracted, note, signature = future.result()
        outcome = write_job(
            job, extracted, note, signature, store, existing, ctx.settings, index, ctx.unsynced
        )
    except (StoreError, WriteError):
        # The disk or the store is failing: stop, so the last good state stays intact.
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    except DigestError as err:
        log.warning("%s: skipped %s (%s): %s", job.source.name, job.item.title,
                    job.item.url, err)  # fmt: skip
        job.report.failed += 1
        job.report.errors.append(f"{job.item.url or job.item.guid}: {err}")
        outcome = ""
    if outcome:
        setattr(job.report, outcome, getattr(job.report, outcome) + 1)
        owner = store.url_owner(url_key(job.item.url)) or job.digest_id
        for carrier in job.carriers:
            if record_duplicate(
                owner,
                carrier.source,
                carrier.item,
                carrier.digest_id,
                carrier.fingerprint,
                store,
                existing,
            ):
                carrier.report.duplicates += 1


def _call(progress: ProgressHook | None, event: str, value: object) -> None:
    """Tell the progress display, when there is one."""
    if progress is not None:
        handler: Callable[[object], None] = getattr(progress, event)
        handler(value)
