"""Digest: a Pelican plugin that turns feeds into content files before Pelican reads them."""

from __future__ import annotations

import logging
from pathlib import Path

log = logging.getLogger(__name__)


def fetch_on_initialized(pelican: object) -> None:
    """Fetch the sources before any generator walks the content folder."""
    from .errors import DigestError
    from .settings import load_settings

    try:
        settings = load_settings(pelican.settings)  # type: ignore[attr-defined]
        if not settings.fetch:
            log.info("digest: DIGEST_FETCH is off; building from what content/ holds")
            return
        from .pipeline import run  # the fetcher's imports (HTTP, extraction) only when fetching

        run(settings)
    except DigestError as err:
        log.error("digest: fetching stopped: %s; building from what content/ holds", err)


def remember_article_pages(generator: object) -> None:
    """Note where articles and translations are written (on article_generator_finalized)."""
    from .search import note_article_pages

    pages = [
        article.save_as
        for name in ("articles", "translations")
        for article in getattr(generator, name, None) or ()
    ]
    note_article_pages(generator.settings, pages)  # type: ignore[attr-defined]


def index_on_finalized(pelican: object) -> None:
    """Build the search index once the site is written (DIGEST_SEARCH, on by default)."""
    from .search import index_build

    site = pelican.settings  # type: ignore[attr-defined]
    if site.get("DIGEST_SEARCH", True):
        index_build(site, Path(pelican.output_path))  # type: ignore[attr-defined]


def register() -> None:
    """Connect the plugin's receivers (module-level: Pelican holds them by weak reference).

    Pelican and the feed writer are imported here, not at the top, so that importing the
    package (the CLI's fetch, the extraction worker processes) does not pay for Pelican.
    """
    from pelican import signals

    from .incremental import (
        cache_compiled_templates,
        flush_deferred_feeds,
        get_writer,
        guard_content_cache,
        rebind_context,
    )
    from .sitefeeds import write_json_feeds
    from .slugs import assign_slugs
    from .urlmemo import forget_urls, remember_urls

    signals.initialized.connect(fetch_on_initialized)
    signals.initialized.connect(guard_content_cache)
    signals.initialized.connect(cache_compiled_templates)
    signals.article_generator_pretaxonomy.connect(assign_slugs)
    signals.article_generator_finalized.connect(rebind_context)
    signals.page_generator_finalized.connect(rebind_context)
    signals.get_writer.connect(get_writer)
    signals.article_writer_finalized.connect(flush_deferred_feeds)
    signals.article_writer_finalized.connect(write_json_feeds)
    signals.article_generator_finalized.connect(remember_article_pages)
    signals.finalized.connect(index_on_finalized)
    signals.all_generators_finalized.connect(remember_urls)
    signals.finalized.connect(forget_urls)
