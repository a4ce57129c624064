"""Digest: a Pelican plugin that turns feeds into content files before Pelican reads them."""

from __future__ import annotations

import logging

from pelican import signals

log = logging.getLogger(__name__)


def fetch_on_initialized(pelican: object) -> None:
    """Fetch the sources before any generator walks the content folder."""
    from .errors import DigestError
    from .pipeline import run
    from .settings import load_settings

    try:
        settings = load_settings(pelican.settings)  # type: ignore[attr-defined]
        if not settings.fetch:
            log.info("digest: DIGEST_FETCH is off; building from what content/ holds")
            return
        run(settings)
    except DigestError as err:
        log.error("digest: fetching stopped: %s; building from what content/ holds", err)


def register() -> None:
    """Connect the plugin's receivers (module-level: Pelican holds them by weak reference)."""
    signals.initialized.connect(fetch_on_initialized)
    from .sitefeeds import get_writer, write_json_feeds

    signals.get_writer.connect(get_writer)
    signals.article_writer_finalized.connect(write_json_feeds)
