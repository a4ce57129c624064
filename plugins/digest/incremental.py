"""Incremental builds: article pages whose inputs have not changed are not rendered again.

Pelican renders and writes every page on every build, even with its content cache. For an
archive of thousands of articles that is most of a rebuild's time, while one new article
changes only its own page and its two neighbours' (the theme links each article to the newer
and the older one). IncrementalWriter keeps, in CACHE_PATH, a key of everything an article
page is rendered from, and the size and mtime of the file it wrote; when both still match,
the page is left as it is instead of being rendered.

What the key covers: the article's source file (and its translations'), its place in the
site's article list (the newer and older articles' URLs, titles and source files), the pages
listed in the menu, every setting, the theme's and the plugins' files, and Pelican's version.
Anything else a custom theme may show on an article page (a list of recent articles, counts
per tag) is not covered, nor are the targets of {filename} links between articles (the
digest's own content files have none): DIGEST_INCREMENTAL = False turns the skipping off.
It is on only when Pelican's CACHE_CONTENT is, since its keys are kept in CACHE_PATH.

Pelican's own content cache has no such check: with CONTENT_CACHING_LAYER = "generator" it
would hand a build made with other settings (publishconf.py's SITEURL) the articles of the
last one. guard_content_cache() turns LOAD_CONTENT_CACHE off for a build whose settings differ
from the last build's.

Atom and RSS feeds are skipped the same way, keyed by their path, type, title and the entries
they hold (each entry's source file, URL and title): one new article changes the site's feeds
and its own source's and tags', not the other sources' ones. A skipped feed sends no
feed_generated or feed_written signal.

List pages (the home page's pages, tags, sources, archives, the other direct templates) and
pages are rendered again only when a value their templates read changed (renderkeys.py): a
page whose key and file are unchanged is written from the file it already is.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pelican
from pelican import signals
from pelican.utils import sanitised_join

from .errors import WriteError
from .renderkeys import Describer, page_key, template_variables
from .search import article_page_written, waiting_for_articles
from .sitefeeds import DigestWriter
from .urlmemo import CONTENT_LISTS

log = logging.getLogger(__name__)

MANIFEST_NAME = "digest-pages.json"
MANIFEST_VERSION = 3
UNSTAMPED = frozenset({"LOAD_CONTENT_CACHE"})  # guard_content_cache() changes it
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


def _stamp(path: str | os.PathLike[str] | None) -> str:
    """A file's size and modification time, or "-" when it is missing."""
    if not path:
        return "-"
    try:
        info = os.stat(path)
    except OSError:
        return "-"
    return f"{info.st_size}:{info.st_mtime_ns}"


def _tree_stamp(folders: Iterable[str | os.PathLike[str]]) -> str:
    """A digest of the names, sizes and mtimes of every file under some folders."""
    digest = hashlib.sha256()
    for folder in folders:
        for root, dirs, files in os.walk(folder):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            for name in sorted(files):
                path = os.path.join(root, name)
                digest.update(f"{path}\0{_stamp(path)}\0".encode())
    return digest.hexdigest()


def settings_stamp(settings: Mapping[str, Any]) -> str:
    """A digest of every setting, theme and plugin files included, and Pelican's version.

    Object addresses are left out of the settings' text, so a setting holding a function gives
    the same digest from one build to the next.
    """
    shown = sorted((k, repr(v)) for k, v in settings.items() if k not in UNSTAMPED)
    text = _ADDRESS.sub("", repr(shown))
    theme = settings.get("THEME") or ""
    trees = [theme, *(settings.get("PLUGIN_PATHS") or [])]
    digest = hashlib.sha256(f"{pelican.__version__}\0{text}\0".encode())
    digest.update(_tree_stamp(str(t) for t in trees if t and os.path.isdir(str(t))).encode())
    return digest.hexdigest()


def read_manifest(settings: Mapping[str, Any]) -> dict[str, Any]:
    """The last build's manifest, {} when there is none or it cannot be read."""
    path = Path(str(settings.get("CACHE_PATH") or "cache")) / MANIFEST_NAME
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) and data.get("version") == MANIFEST_VERSION else {}


# Settings as read, before Pelican's readers add to them (MARKDOWN gains its extensions), by
# id() of the settings dict: guard_content_cache() computes it, the writer keeps it.
_INITIAL_STAMPS: dict[int, str] = {}


def guard_content_cache(pelican_object: Any) -> None:
    """Keep Pelican from loading a content cache written under other settings (module doc)."""
    settings = pelican_object.settings
    stamp = _INITIAL_STAMPS[id(settings)] = settings_stamp(settings)
    if not settings.get("LOAD_CONTENT_CACHE"):
        return
    last = read_manifest(settings).get("initial")
    if last != stamp:
        settings["LOAD_CONTENT_CACHE"] = False
        log.info(
            "digest: settings, theme or plugins changed since the last build (or it left no "
            "record in %s): Pelican's content cache is not loaded this time",
            settings.get("CACHE_PATH"),
        )


def cache_compiled_templates(pelican_object: Any) -> None:
    """Keep Jinja's compiled templates in CACHE_PATH/jinja (on `initialized`, before the
    generators make their environments): a rebuild then loads the theme's twenty templates
    instead of compiling them again. Jinja checks each one's source, so a theme edit is seen.
    Only for sites that keep a cache (CACHE_CONTENT), and not when the site sets its own."""
    from jinja2 import FileSystemBytecodeCache

    settings = pelican_object.settings
    environment = dict(settings.get("JINJA_ENVIRONMENT") or {})
    if not settings.get("CACHE_CONTENT") or "bytecode_cache" in environment:
        return
    folder = Path(str(settings.get("CACHE_PATH") or "cache")) / "jinja"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        log.warning("digest: compiled templates are not kept (%s): %s", folder, err)
        return
    environment["bytecode_cache"] = FileSystemBytecodeCache(str(folder))
    settings["JINJA_ENVIRONMENT"] = environment


def rebind_context(generator: Any) -> None:
    """Point cached articles and pages at this build's context.

    With CONTENT_CACHING_LAYER = "generator", Pelican hands back the pickled objects of the
    last build, each holding that build's context: their {static} and {filename} links would
    be looked up among the last build's files (and an image link stay "{static}/..."). Called
    on article_generator_finalized and page_generator_finalized, before anything is rendered.
    """
    for name in CONTENT_LISTS:
        for item in getattr(generator, name, None) or ():
            item._context = generator.context


class IncrementalWriter(DigestWriter):
    """DigestWriter that leaves an unchanged article page alone (see the module doc)."""

    def __init__(self, output_path: str, settings: Mapping[str, Any] | None = None) -> None:
        super().__init__(output_path, settings=settings)
        # The keys live in CACHE_PATH: only a site that keeps a cache (CACHE_CONTENT) gets one.
        self.enabled = bool(
            self.settings.get("DIGEST_INCREMENTAL", True) and self.settings.get("CACHE_CONTENT")
        )
        cache = str(self.settings.get("CACHE_PATH") or "cache")
        self.manifest_path = Path(cache) / MANIFEST_NAME
        self.stamp = settings_stamp(self.settings) if self.enabled else ""
        self.previous = self._load() if self.enabled else {}
        self.current: dict[str, list[str]] = {}
        self.positions: dict[int, int] = {}
        self.menu = ""
        self.skipped = 0
        self.rendered = 0
        self.feeds_skipped = 0
        self.lists_skipped = 0
        self.describe = Describer(lambda item: _stamp(getattr(item, "source_path", None)))
        self.variables: dict[str, frozenset[str] | None] = {}
        self.parsed: dict[str, Any] = {}  # each template's own findings (renderkeys)
        self.pending: dict[str, str] = {}  # output file -> key of a list page being written
        self.deferred_feeds: list[tuple[Any, ...]] | None = None  # see write_feed
        signals.finalized.connect(self.save, weak=True)
        signals.content_written.connect(self._written, weak=True)

    def _load(self) -> dict[str, list[str]]:
        """The previous build's keys, or none when they are missing, unreadable or stale."""
        data = read_manifest(self.settings)
        if data.get("settings") != self.stamp:
            return {}
        pages = data.get("pages")
        return pages if isinstance(pages, dict) else {}

    def save(self, _pelican: object = None) -> None:
        """Keep this build's keys for the next one (called on Pelican's finalized signal)."""
        if not self.enabled:
            return
        data = {
            "version": MANIFEST_VERSION,
            "settings": self.stamp,
            "initial": _INITIAL_STAMPS.get(id(self.settings), ""),
            "pages": self.current,
        }
        try:
            self.manifest_path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.manifest_path.with_suffix(".tmp")
            tmp.write_text(json.dumps(data), encoding="utf-8")
            os.replace(tmp, self.manifest_path)
        except OSError as err:
            raise WriteError(f"cannot write {self.manifest_path}: {err}") from err
        log.info(
            "digest: %d article pages rendered, %d unchanged and %d unchanged feeds left as "
            "they were; %d unchanged list pages not rendered again (%s)",
            self.rendered,
            self.skipped,
            self.feeds_skipped,
            self.lists_skipped,
            self.manifest_path,
        )

    def _page_key(self, name: str, template: Any, context: Mapping[str, Any], article: Any) -> str:
        """Everything the article page at `name` is rendered from, as one digest."""
        articles = context.get("articles") or []
        if not self.positions or len(self.positions) != len(articles):
            self.positions = {id(a): i for i, a in enumerate(articles)}
            pages = context.get("pages") or []
            self.menu = "\0".join(self.describe(p) for p in pages)
        i = self.positions.get(id(article))
        newer = articles[i - 1] if i is not None and i > 0 else None
        older = articles[i + 1] if i is not None and i + 1 < len(articles) else None
        parts = [
            name,
            str(getattr(template, "name", template)),
            str(i is not None),
            self.describe(article),
            *(self.describe(t) for t in getattr(article, "translations", []) or []),
            self.describe(newer),
            self.describe(older),
            self.menu,
        ]
        return hashlib.sha256("\x1e".join(parts).encode()).hexdigest()

    def write_file(  # type: ignore[override]
        self,
        name: str,
        template: Any,
        context: dict[str, Any],
        relative_urls: bool = False,
        paginated: Any = None,
        template_name: str | None = None,
        override_output: bool = False,
        url: str | None = None,
        **kwargs: Any,
    ) -> None:
        """Pelican's write_file; an article page whose key and file are unchanged is skipped,
        and a list page whose key and file are unchanged is not rendered again. The search
        index hears of each article page on disk (it starts once it has them all)."""
        article = kwargs.get("article")
        self._write_or_skip(
            name, template, context, relative_urls, paginated, template_name,
            override_output, url, **kwargs,
        )  # fmt: skip
        if article is not None and name:
            article_page_written(self.settings, Path(self.output_path), name)
            if self.deferred_feeds is not None and not waiting_for_articles(self.settings):
                self.flush_feeds()

    def _write_or_skip(
        self,
        name: str,
        template: Any,
        context: dict[str, Any],
        relative_urls: bool,
        paginated: Any,
        template_name: str | None,
        override_output: bool,
        url: str | None,
        **kwargs: Any,
    ) -> None:
        """write_file's work: skip, render again, or leave it to Pelican."""
        article = kwargs.get("article")
        if not (self.enabled and name and article is not None and not paginated):
            if self.enabled and name and article is None:
                template = _RememberedTemplate(self, template)
            return super().write_file(
                name, template, context, relative_urls, paginated, template_name,
                override_output, url, **kwargs,
            )  # fmt: skip
        key = self._page_key(name, template, context, article)
        path = sanitised_join(self.output_path, name)
        known = self.previous.get(name)
        if known and known[0] == key and known[1] == _stamp(path):
            self.current[name] = known
            self.skipped += 1
            # Plugins that list written pages (the sitemap) still hear of this one.
            signals.content_written.send(path, context={**kwargs, "output_file": name})
            return None
        super().write_file(
            name, template, context, relative_urls, paginated, template_name,
            override_output, url, **kwargs,
        )  # fmt: skip
        self.current[name] = [key, _stamp(path)]
        self.rendered += 1
        return None

    def list_key(self, template: Any, context: Mapping[str, Any]) -> str | None:
        """The key of a list page, or None when its templates cannot be analysed."""
        name = str(getattr(template, "name", "") or "")
        if name not in self.variables:
            environment = getattr(template, "environment", None)
            found = (
                template_variables(environment, name, self.parsed) if environment and name else None
            )
            self.variables[name] = found
        variables = self.variables[name]
        if variables is None:
            return None
        return page_key(name, variables, context, self.describe)

    def _written(self, path: str, context: Mapping[str, Any] | None = None) -> None:
        """Record a list page's key with the stamp of the file just written (content_written)."""
        name = str((context or {}).get("output_file") or "")
        key = self.pending.pop(name, None)
        if key is not None:
            self.current[f"list:{name}"] = [key, _stamp(path)]

    def write_feed(
        self,
        elements: Any,
        context: dict[str, Any],
        path: str | None = None,
        url: str | None = None,
        feed_type: str = "atom",
        override_output: bool = False,
        feed_title: str | None = None,
    ) -> Any:
        """Pelican's write_feed; a feed whose key and file are unchanged is skipped.

        Pelican writes the feeds before the article pages. While the search index waits for
        those pages, the feeds wait (until flush_feeds), so that Pagefind starts that much
        sooner and runs beside the rest of the build.
        """
        if self.deferred_feeds is not None or waiting_for_articles(self.settings):
            self.deferred_feeds = self.deferred_feeds or []
            self.deferred_feeds.append(
                (list(elements), context, path, url, feed_type, override_output, feed_title)
            )
            return None
        return self._write_feed_now(
            elements, context, path, url, feed_type, override_output, feed_title
        )

    def flush_feeds(self) -> None:
        """Write the feeds that waited for the article pages."""
        deferred, self.deferred_feeds = self.deferred_feeds or [], None
        for arguments in deferred:
            self._write_feed_now(*arguments)

    def _write_feed_now(
        self,
        elements: Any,
        context: dict[str, Any],
        path: str | None,
        url: str | None,
        feed_type: str,
        override_output: bool,
        feed_title: str | None,
    ) -> Any:
        """write_feed's work: skip an unchanged feed, or leave it to Pelican."""
        if not (self.enabled and path):
            return super().write_feed(
                elements, context, path, url, feed_type, override_output, feed_title
            )
        shown = list(elements[: self.settings.get("FEED_MAX_ITEMS")])
        parts = [f"feed:{path}", str(url), feed_type, str(feed_title), str(override_output)]
        key = hashlib.sha256("\x1e".join(parts + [self.describe(e) for e in shown]).encode())
        name = f"feed:{path}"
        complete = sanitised_join(self.output_path, path)
        known = self.previous.get(name)
        if known and known[0] == key.hexdigest() and known[1] == _stamp(complete):
            self.current[name] = known
            self.feeds_skipped += 1
            return None
        feed = super().write_feed(
            elements, context, path, url, feed_type, override_output, feed_title
        )
        self.current[name] = [key.hexdigest(), _stamp(complete)]
        return feed


class _RememberedTemplate:
    """A template that gives back the file a list page already is when nothing it reads changed
    (see the module doc); otherwise it renders as usual."""

    def __init__(self, writer: IncrementalWriter, template: Any) -> None:
        self.writer = writer
        self.template = template

    def __getattr__(self, attribute: str) -> Any:
        return getattr(self.template, attribute)

    def render(self, context: dict[str, Any]) -> str:
        writer = self.writer
        name = str(context.get("output_file") or "")
        key = writer.list_key(self.template, context) if name else None
        if key is None:
            return self.template.render(context)
        path = sanitised_join(writer.output_path, name)
        known = writer.previous.get(f"list:{name}")
        writer.pending[name] = key
        if known and known[0] == key and known[1] == _stamp(path):
            try:
                text = Path(path).read_text(encoding="utf-8")
            except OSError:
                pass
            else:
                writer.lists_skipped += 1
                return text
        return self.template.render(context)


def get_writer(pelican_object: object) -> type[DigestWriter]:
    """Hand Pelican the writer: incremental, and shaping the feeds (sitefeeds.DigestWriter)."""
    return IncrementalWriter


def flush_deferred_feeds(generator: Any, writer: Any) -> None:
    """Write any feed still waiting (on article_writer_finalized: the articles are all out)."""
    if isinstance(writer, IncrementalWriter):
        writer.flush_feeds()
