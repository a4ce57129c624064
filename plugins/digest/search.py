"""The site's search index: Pagefind run over output/ at the end of every Pelican build.

Running it from the plugin, not from a task, keeps search working after `pelican -r`,
`invoke livereload` and any build a user starts their own way.

Pagefind holds everything it indexes in memory (about 400 MB for 1,000 news articles, 1.9 GB
for 5,000) and has no incremental mode. So the searchable pages (those marked
data-pagefind-body: articles and pages) are split into shards of about DIGEST_SEARCH_SHARD_SIZE
pages, each its own Pagefind bundle (output/pagefind/, output/pagefind-N/, ...), which the
search page merges (Pagefind UI's mergeIndex; the list is output/pagefind-shards.json). A page's
shard is fixed by a hash of its path, so one new article changes one shard; a shard whose pages
Pagefind would read the same as in the last build (the same paths, and the same digest of each
page's <html> tag and marked element, recorded in CACHE_PATH) is not indexed again. Its
neighbours' pages changed only outside the marked element (their links to it), so they do not
count as changed. Searchable pages that are not articles (the About page, whose list of sources
changes with every new article) get a small shard of their own.

Each shard is indexed from a staging folder of hard links to its pages only, so Pagefind does
not read the list pages it would skip anyway.

Within a build the article shards do not wait for its end: the writer reports each article page
it puts on disk, and once the last one is there a thread runs Pagefind over the article shards
while Pelican writes the feeds, list pages and static files on the other core (the feeds, which
Pelican writes first, wait for the article pages: incremental.py). The end of the build indexes
the rest and redoes any article shard whose pages changed in between.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Collection, Iterable, Mapping
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

SHARD_SIZE = 400  # pages per shard: Pagefind stays near 160 MB on news-sized articles
TIMEOUT = 300.0  # seconds Pagefind may take over one shard
MARKER = b"data-pagefind-body"
SHARDS_FILE = "pagefind-shards.json"  # in output/: the bundles the search page merges
STATE_FILE = "digest-search.json"  # in CACHE_PATH: what each shard was built from
STATE_VERSION = 5

# What was read of each HTML file, by relative path: [mtime_ns, size, digest], the digest "" for
# a file without the body marker. A file whose mtime and size are unchanged is not read again.
PageStamps = dict[str, list[Any]]


def page_digest(path: Path, relative: str, known: Mapping[str, list[Any]], seen: PageStamps) -> str:
    """The digest of what Pagefind reads of a page ("" when it carries no body marker), from
    `known` when the file is unchanged since; noted in `seen` either way."""
    stat = path.stat()
    stamp = [stat.st_mtime_ns, stat.st_size]
    last = known.get(relative)
    if last and last[:2] == stamp:
        digest = str(last[2])
    else:
        data = path.read_bytes()
        digest = indexed_digest(data) if MARKER in data else ""
    seen[relative] = [*stamp, digest]
    return digest


def searchable_pages(
    output_path: Path, known: Mapping[str, list[Any]] | None = None, seen: PageStamps | None = None
) -> dict[str, str]:
    """The HTML files Pagefind would index (those carrying its body marker, as Pagefind itself
    decides once any page has one), by path (relative, with /), each with a digest of what
    Pagefind reads of it. `known` is the last build's `seen`: unchanged files are not read."""
    found = {}
    seen = {} if seen is None else seen
    for root, dirs, files in os.walk(output_path):
        dirs[:] = sorted(d for d in dirs if not d.startswith("pagefind"))
        for name in files:
            if name.endswith(".html"):
                path = Path(root) / name
                relative = path.relative_to(output_path).as_posix()
                digest = page_digest(path, relative, known or {}, seen)
                if digest:
                    found[relative] = digest
    return dict(sorted(found.items()))


_LANG = re.compile(rb"<html\b[^>]*>", re.IGNORECASE)
_TAG_NAME = re.compile(rb"<([a-zA-Z][a-zA-Z0-9-]*)")


def indexed_digest(data: bytes) -> str:
    """A digest of the part of a page Pagefind indexes: its <html> tag (the language) and the
    element carrying the body marker, so that a page whose surroundings alone changed (an
    article whose "newer" link now points at a new article) keeps its digest."""
    marker = data.find(MARKER)
    start = data.rfind(b"<", 0, marker)
    name = _TAG_NAME.match(data, start)
    end = len(data)
    if name is not None:
        tag = re.escape(name.group(1))
        depth = 0
        for match in re.finditer(rb"<(/?)" + tag + rb"\b", data[start:], re.IGNORECASE):
            depth += -1 if match.group(1) else 1
            if depth == 0:
                end = start + match.end()
                break
    html_tag = _LANG.search(data)
    digest = hashlib.sha256(html_tag.group(0) if html_tag else b"")
    digest.update(data[start:end])
    return digest.hexdigest()


def shard_of(page: str, count: int) -> int:
    """A page's shard: stable across builds for as long as the number of shards stays."""
    return int.from_bytes(hashlib.blake2b(page.encode(), digest_size=8).digest(), "big") % count


def bundle_names(shards: list[list[str]]) -> dict[int, str]:
    """The bundle folder of each shard that has pages: the first one's is output/pagefind/,
    where the search page loads Pagefind's UI from, the others' output/pagefind-N/."""
    filled = [shard for shard, pages in enumerate(shards) if pages]
    return {shard: "pagefind" if shard == filled[0] else f"pagefind-{shard}" for shard in filled}


def _stamp(pages: list[str], digests: dict[str, str]) -> str:
    """A digest of a shard's pages: their paths and what Pagefind reads of each."""
    digest = hashlib.sha256()
    for page in pages:
        digest.update(f"{page}\0{digests[page]}\0".encode())
    return digest.hexdigest()


def _read_state(path: Path | None) -> dict:
    """The last build's search state (shard and page stamps), {} when there is none."""
    if path is None:
        return {}
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return state if isinstance(state, dict) and state.get("version") == STATE_VERSION else {}


def _write_json(path: Path, data: object) -> None:
    """Write a JSON file atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(json.dumps(data, separators=(",", ":"), sort_keys=True), "utf-8")
    os.replace(temporary, path)


def _stage(output_path: Path, pages: list[str]) -> Path:
    """A folder beside output/ holding hard links (copies where links fail) to the pages."""
    stage = Path(tempfile.mkdtemp(prefix=".digest-search-", dir=output_path.parent))
    for page in pages:
        target = stage / page
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(output_path / page, target)
        except OSError:
            shutil.copy2(output_path / page, target)
    return stage


@functools.cache
def pagefind_command() -> tuple[str, ...]:
    """Pagefind's binary, found once (the Python wrapper would add an interpreter per shard),
    run under `nice` where there is one: it indexes while Pelican is still writing, and
    Pelican, one thread that everything else waits for, should not be the one that waits."""
    command: tuple[str, ...] = (sys.executable, "-m", "pagefind")
    try:
        from pagefind.service import get_executable
    except ImportError:
        pass
    else:
        binary = get_executable()
        command = (str(binary),) if binary is not None else command
    nice = shutil.which("nice")
    return (nice, "-n", "10", *command) if nice else command


def _run_pagefind(site: Path, bundle: Path, timeout: float) -> str:
    """Index one folder into one bundle; the reason when it failed, else ""."""
    command = [*pagefind_command(), "--quiet", "--site", str(site), "--output-path", str(bundle)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired) as err:
        return str(err)
    if done.returncode != 0:
        return ((done.stderr or done.stdout).strip().splitlines()[-1:] or ["no message"])[0]
    return ""


def _build_bundle(output_path: Path, pages: list[str], bundle: Path, timeout: float) -> bool:
    """Index some pages into a bundle, replacing the old one only once the new one is whole."""
    stage = _stage(output_path, pages)
    fresh = bundle.with_name(f".{bundle.name}.new")
    shutil.rmtree(fresh, ignore_errors=True)
    try:
        reason = _run_pagefind(stage, fresh, timeout)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    if reason:
        shutil.rmtree(fresh, ignore_errors=True)
        log.error("digest: the search index %s was not built: %s", bundle, reason)
        return False
    old = bundle.with_name(f".{bundle.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if bundle.exists():
        os.replace(bundle, old)
    os.replace(fresh, bundle)
    shutil.rmtree(old, ignore_errors=True)
    return True


def split_into_shards(
    pages: Iterable[str], articles: Collection[str], shard_size: int
) -> list[list[str]]:
    """The shards of the searchable pages: the article shards by hash of path, then one for
    the pages that are not articles (empty when there are none)."""
    articles = set(articles)
    count = max(1, math.ceil(len(articles) / max(1, shard_size)))
    shards: list[list[str]] = [[] for _ in range(count + 1)]
    for page in pages:
        shards[shard_of(page, count) if page in articles else count].append(page)
    return shards


def _last_stamps(state: Mapping[str, Any], count: int) -> dict[str, str]:
    """Each bundle's stamp from the last build, when it had the same number of shards."""
    return dict(state.get("bundles", {})) if state.get("count") == count else {}


def _bring_up_to_date(
    output_path: Path,
    name: str,
    members: list[str],
    stamp: str,
    stamps: Mapping[str, str],
    timeout: float,
) -> bool | None:
    """Index one shard unless its bundle is already built from the same pages: True when the
    bundle is current, False when Pagefind failed, None when there is nothing to index."""
    bundle = output_path / name
    if stamps.get(name) == stamp and (bundle / "pagefind-entry.json").is_file():
        return True
    if not members:  # a site with nothing to search: Pagefind refuses an empty folder
        return None
    return _build_bundle(output_path, members, bundle, timeout)


def index_site(
    output_path: Path,
    timeout: float = TIMEOUT,
    shard_size: int = SHARD_SIZE,
    cache_path: Path | None = None,
    articles: Collection[str] | None = None,
    prebuilt: Mapping[str, tuple[str, bool | None]] | None = None,
    known: Mapping[str, list[Any]] | None = None,
) -> bool:
    """Write the search bundles and output/pagefind-shards.json; False (with the reason logged)
    when a shard could not be built. `cache_path` keeps the shard stamps between builds.

    With `articles` (the article pages' paths), the other searchable pages (the About page,
    whose list of sources changes with every new article) get a small shard of their own, so
    that they do not send an article shard to Pagefind again on every build. `prebuilt` holds
    the bundles an ArticleIndexing already brought up to date: name -> (stamp, outcome), and
    `known` the page stamps it took, so that those pages are not read again.
    """
    output_path = Path(output_path)
    state_path = cache_path / STATE_FILE if cache_path is not None else None
    last = _read_state(state_path)
    seen: PageStamps = {}
    pages = searchable_pages(output_path, {**(last.get("pages") or {}), **(known or {})}, seen)
    hashed = [page for page in pages if articles is None or page in articles]
    shards = split_into_shards(pages, hashed, shard_size)
    count = len(shards) - 1
    names = bundle_names(shards) if pages else {0: "pagefind"}
    stamps = _last_stamps(last, count)
    done = dict(prebuilt or {})
    current: dict[str, str] = {}
    ok = True
    for shard, name in names.items():
        members = shards[shard]
        stamp = _stamp(members, pages)
        if name in done and done[name][0] == stamp:
            built = done[name][1]
        else:
            built = _bring_up_to_date(output_path, name, members, stamp, stamps, timeout)
        if built is None:
            continue
        if built:
            current[name] = stamp
        else:
            ok = False
    for stale in output_path.glob("pagefind-*"):
        if stale.is_dir() and stale.name not in names.values():
            shutil.rmtree(stale, ignore_errors=True)
    bundles = [f"{name}/" for name in names.values()]
    _write_json(output_path / SHARDS_FILE, {"bundles": bundles})
    if state_path is not None:
        state = {"version": STATE_VERSION, "count": count, "bundles": current, "pages": seen}
        _write_json(state_path, state)
    log.info(
        "digest: search index of %s: %d pages in %d bundles, %d rebuilt",
        output_path,
        len(pages),
        len(names),
        sum(1 for name in current if stamps.get(name) != current[name]),
    )
    return ok


# -- within a Pelican build ----------------------------------------------------------------------


class ArticleIndexing:
    """The article shards, indexed in a thread of their own as soon as the last article page is
    on disk, while Pelican goes on with the list pages, feeds and static files: Pagefind then
    runs on the core Pelican leaves idle instead of after the build."""

    def __init__(
        self, output_path: Path, articles: Collection[str], shard_size: int, cache_path: Path
    ) -> None:
        self.output_path = Path(output_path)
        self.articles = sorted(articles)
        self.shard_size = shard_size
        self.cache_path = cache_path
        self.results: dict[str, tuple[str, bool | None]] = {}
        self.seen: PageStamps = {}
        self.thread = threading.Thread(target=self._run, name="digest-search", daemon=True)

    def _run(self) -> None:
        """Bring every article shard up to date; a failure is logged and left to the end."""
        try:
            last = _read_state(self.cache_path / STATE_FILE)
            known, digests = last.get("pages") or {}, {}
            for page in self.articles:
                digest = page_digest(self.output_path / page, page, known, self.seen)
                if digest:
                    digests[page] = digest
            shards = split_into_shards(digests, digests, self.shard_size)
            stamps = _last_stamps(last, len(shards) - 1)
            for shard, name in bundle_names(shards).items():
                members = shards[shard]
                stamp = _stamp(members, digests)
                self.results[name] = (
                    stamp,
                    _bring_up_to_date(self.output_path, name, members, stamp, stamps, TIMEOUT),
                )
        except OSError as err:  # the end of the build indexes whatever is missing
            log.warning("digest: the search index of %s waits for the build's end: %s",
                        self.output_path, err)  # fmt: skip

    def finish(self) -> tuple[dict[str, tuple[str, bool | None]], PageStamps]:
        """Wait for the thread; the bundles it brought up to date, and the page stamps."""
        self.thread.join()
        return self.results, self.seen


class _Build:
    """What the search index knows of one build: its article pages, those not yet written."""

    def __init__(self, articles: set[str], shard_size: int, cache_path: Path) -> None:
        self.articles = articles
        self.unwritten = set(articles)
        self.shard_size = shard_size
        self.cache_path = cache_path
        self.indexing: ArticleIndexing | None = None


_BUILDS: dict[int, _Build] = {}  # by id() of a build's settings


def note_article_pages(settings: Mapping[str, Any], pages: Iterable[str]) -> None:
    """Remember where a build's articles are written (relative paths)."""
    articles = {str(page).replace("\\", "/") for page in pages if page}
    _BUILDS[id(settings)] = _Build(articles, *options(settings))


def waiting_for_articles(settings: Mapping[str, Any]) -> bool:
    """True while the search index waits for article pages before it starts."""
    build = _BUILDS.get(id(settings))
    return bool(
        build and build.indexing is None and build.unwritten and settings.get("DIGEST_SEARCH", True)
    )


def article_page_written(settings: Mapping[str, Any], output_path: Path, page: str) -> None:
    """Start indexing the article shards once the last article page is on disk."""
    if not waiting_for_articles(settings):
        return
    build = _BUILDS[id(settings)]
    build.unwritten.discard(str(page).replace("\\", "/"))
    if not build.unwritten:
        build.indexing = ArticleIndexing(
            output_path, build.articles, build.shard_size, build.cache_path
        )
        build.indexing.thread.start()


def options(settings: Mapping[str, Any]) -> tuple[int, Path]:
    """DIGEST_SEARCH_SHARD_SIZE (checked) and CACHE_PATH."""
    try:
        shard_size = int(settings.get("DIGEST_SEARCH_SHARD_SIZE", SHARD_SIZE))
    except (TypeError, ValueError):
        shard_size = 0
    if shard_size < 1:
        log.error(
            "digest: DIGEST_SEARCH_SHARD_SIZE must be a whole number of pages, 1 or more, not "
            "%r; using %d",
            settings.get("DIGEST_SEARCH_SHARD_SIZE"),
            SHARD_SIZE,
        )
        shard_size = SHARD_SIZE
    return shard_size, Path(str(settings.get("CACHE_PATH") or "cache"))


def index_build(settings: Mapping[str, Any], output_path: Path) -> bool:
    """Bring every shard of a finished build's search index up to date."""
    build = _BUILDS.pop(id(settings), None)
    prebuilt, known = build.indexing.finish() if build and build.indexing else ({}, {})
    # Staging folders a killed build left behind.
    for leftover in Path(output_path).parent.glob(".digest-search-*"):
        shutil.rmtree(leftover, ignore_errors=True)
    shard_size, cache = (build.shard_size, build.cache_path) if build else options(settings)
    return index_site(
        Path(output_path),
        shard_size=shard_size,
        cache_path=cache,
        articles=build.articles if build else None,
        prebuilt=prebuilt,
        known=known,
    )
