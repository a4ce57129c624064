"""DIGEST_* settings read once into a frozen object, with their defaults in one place."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ConfigError
from .models import Source
from .tags import freeze_rules

# Every setting the plugin reads, with its default. README documents each one; a test checks it.
DEFAULTS: dict[str, object] = {
    "DIGEST_SOURCES": [],
    "DIGEST_OPML": "sources.opml",
    "DIGEST_FETCH": True,
    "DIGEST_CONTENT_DIR": "digest",
    "DIGEST_CACHE_DIR": ".digest-cache",
    "DIGEST_MIRRORS": {},
    "DIGEST_FETCH_INTERVAL": 900,
    "DIGEST_TIMEOUT": 20.0,
    "DIGEST_MAX_BYTES": 10_000_000,
    "DIGEST_MAX_REDIRECTS": 10,
    "DIGEST_USER_AGENT": "",
    "DIGEST_MAX_ITEMS_PER_SOURCE": 50,
    "DIGEST_SUMMARY_WORDS": 45,
    "DIGEST_IMAGES": "local",
    "DIGEST_MAX_IMAGE_BYTES": 5_000_000,
    "DIGEST_WORKERS": 16,
    "DIGEST_PER_HOST": 2,
    "DIGEST_HOST_DELAY": 0.25,
    "DIGEST_RETRIES": 2,
    "DIGEST_RETRY_BACKOFF": 1.0,
    "DIGEST_ROBOTS": True,
    "DIGEST_MAX_AGE_DAYS": 0,
    "DIGEST_DEDUPE": True,
    "DIGEST_TAG_RULES": {},
    "DIGEST_TAG_ALIASES": {},
    "DIGEST_FEED_CONTENT": "full",
    "DIGEST_SEARCH": True,
    "DIGEST_SEARCH_SHARD_SIZE": 400,
    "DIGEST_EDITION": "day",
    "DIGEST_SITE_RULES": "site_rules",
}
FEED_CONTENT_MODES = ("full", "summary", "link")
IMAGE_MODES = ("local", "remote", "none")

SOURCE_KEYS = {
    "name",
    "feed",
    "site",
    "tags",
    "category",
    "fetch_pages",
    "user_agent",
    "robots",
    "feed_content",
}


@dataclass(frozen=True)
class DigestSettings:
    """The plugin's view of the site settings; built once per run."""

    sources: tuple[Source, ...]
    content_root: Path
    content_dir: Path
    cache_dir: Path
    fetch: bool = True
    opml_path: Path | None = None
    site_rules_dir: Path | None = None
    mirrors: Mapping[str, Path] = field(default_factory=dict)
    fetch_interval: float = 900.0
    timeout: float = 20.0
    max_bytes: int = 10_000_000
    max_redirects: int = 10
    user_agent: str = ""
    max_items_per_source: int = 50
    summary_words: int = 45
    images: str = "local"
    max_image_bytes: int = 5_000_000
    workers: int = 16
    per_host: int = 2
    host_delay: float = 0.25
    retries: int = 2
    retry_backoff: float = 1.0
    robots: bool = True
    max_age_days: float = 0.0
    dedupe: bool = True
    tag_rules: tuple[tuple[str, tuple[str, ...]], ...] = ()
    tag_aliases: Mapping[str, str] = field(default_factory=dict)

    @property
    def state_path(self) -> Path:
        """Where the SQLite state store lives."""
        return self.cache_dir / "state.sqlite3"


def _as_bool(value: object) -> bool:
    """Accept booleans and the usual strings, so DIGEST_FETCH can come from the environment."""
    if isinstance(value, str):
        return value.strip().lower() not in {"0", "false", "no", "off", ""}
    return bool(value)


def default_user_agent(site_url: str) -> str:
    """A User-Agent that names Digest and, when known, the site doing the fetching."""
    contact = f"; +{site_url}" if site_url else ""
    return f"Digest/0.1 (feed digest{contact})"


def parse_source(raw: object, index: int) -> Source:
    """Turn one DIGEST_SOURCES entry into a Source, or say which entry is wrong and why."""
    if not isinstance(raw, Mapping):
        raise ConfigError(f"DIGEST_SOURCES[{index}] must be a dict, not {type(raw).__name__}")
    unknown = set(raw) - SOURCE_KEYS
    if unknown:
        raise ConfigError(f"DIGEST_SOURCES[{index}] has unknown keys: {', '.join(sorted(unknown))}")
    name = str(raw.get("name") or "").strip()
    feed = str(raw.get("feed") or "").strip()
    if not name or not feed:
        raise ConfigError(f"DIGEST_SOURCES[{index}] needs both 'name' and 'feed'")
    tags = raw.get("tags") or ()
    if isinstance(tags, str):
        tags = [t for t in tags.split(",")]
    feed_content = str(raw.get("feed_content") or "")
    if feed_content and feed_content not in FEED_CONTENT_MODES:
        raise ConfigError(
            f"DIGEST_SOURCES[{index}] ({name}): feed_content must be one of "
            f"{', '.join(FEED_CONTENT_MODES)}, not {feed_content!r}"
        )
    return Source(
        name=name,
        feed_url=feed,
        tags=tuple(str(t).strip() for t in tags if str(t).strip()),
        site_url=str(raw.get("site") or ""),
        category=str(raw.get("category") or ""),
        fetch_pages=_as_bool(raw.get("fetch_pages", True)),
        robots=_as_bool(raw.get("robots", True)),
        user_agent=str(raw.get("user_agent") or ""),
        feed_content=feed_content,
    )


def load_settings(
    pelican_settings: Mapping[str, object], root: Path | None = None
) -> DigestSettings:
    """Read DIGEST_* from Pelican's settings; relative paths count from the site's root."""
    values = {key: pelican_settings.get(key, default) for key, default in DEFAULTS.items()}
    content_path = Path(str(pelican_settings.get("PATH") or "content")).resolve()
    base = root or content_path.parent
    env_fetch = os.environ.get("DIGEST_FETCH")
    if env_fetch is not None:
        values["DIGEST_FETCH"] = env_fetch

    raw_sources = values["DIGEST_SOURCES"] or []
    if not isinstance(raw_sources, list | tuple):
        raise ConfigError("DIGEST_SOURCES must be a list of dicts")
    sources = [parse_source(raw, i) for i, raw in enumerate(raw_sources)]

    opml_path = None
    if values["DIGEST_OPML"]:
        opml_path = (base / str(values["DIGEST_OPML"])).resolve()

    mirrors_raw = values["DIGEST_MIRRORS"] or {}
    if not isinstance(mirrors_raw, Mapping):
        raise ConfigError("DIGEST_MIRRORS must map URL prefixes to folders")
    mirrors = {
        str(prefix): (base / str(folder)).resolve() for prefix, folder in mirrors_raw.items()
    }

    images = str(values["DIGEST_IMAGES"] or "local")
    if images not in IMAGE_MODES:
        raise ConfigError(f"DIGEST_IMAGES must be one of {', '.join(IMAGE_MODES)}, not {images!r}")

    rules_raw = values["DIGEST_TAG_RULES"] or {}
    aliases_raw = values["DIGEST_TAG_ALIASES"] or {}
    if not isinstance(rules_raw, Mapping) or not isinstance(aliases_raw, Mapping):
        raise ConfigError("DIGEST_TAG_RULES and DIGEST_TAG_ALIASES must be dicts")

    user_agent = str(values["DIGEST_USER_AGENT"] or "") or default_user_agent(
        str(pelican_settings.get("SITEURL") or "")
    )
    try:
        return DigestSettings(
            sources=tuple(sources),
            content_root=content_path,
            content_dir=content_path / str(values["DIGEST_CONTENT_DIR"]),
            cache_dir=(base / str(values["DIGEST_CACHE_DIR"])).resolve(),
            fetch=_as_bool(values["DIGEST_FETCH"]),
            opml_path=opml_path,
            site_rules_dir=(base / str(values["DIGEST_SITE_RULES"])).resolve()
            if values["DIGEST_SITE_RULES"]
            else None,
            mirrors=mirrors,
            fetch_interval=float(values["DIGEST_FETCH_INTERVAL"]),  # type: ignore[arg-type]
            timeout=float(values["DIGEST_TIMEOUT"]),  # type: ignore[arg-type]
            max_bytes=int(values["DIGEST_MAX_BYTES"]),  # type: ignore[call-overload]
            max_redirects=int(values["DIGEST_MAX_REDIRECTS"]),  # type: ignore[call-overload]
            user_agent=user_agent,
            max_items_per_source=int(values["DIGEST_MAX_ITEMS_PER_SOURCE"]),  # type: ignore[call-overload]
            summary_words=int(values["DIGEST_SUMMARY_WORDS"]),  # type: ignore[call-overload]
            images=images,
            max_image_bytes=int(values["DIGEST_MAX_IMAGE_BYTES"]),  # type: ignore[call-overload]
            workers=max(1, int(values["DIGEST_WORKERS"])),  # type: ignore[call-overload]
            per_host=max(1, int(values["DIGEST_PER_HOST"])),  # type: ignore[call-overload]
            host_delay=float(values["DIGEST_HOST_DELAY"]),  # type: ignore[arg-type]
            retries=max(0, int(values["DIGEST_RETRIES"])),  # type: ignore[call-overload]
            retry_backoff=float(values["DIGEST_RETRY_BACKOFF"]),  # type: ignore[arg-type]
            robots=_as_bool(values["DIGEST_ROBOTS"]),
            max_age_days=float(values["DIGEST_MAX_AGE_DAYS"]),  # type: ignore[arg-type]
            dedupe=_as_bool(values["DIGEST_DEDUPE"]),
            tag_rules=freeze_rules(rules_raw),
            tag_aliases={str(k): str(v) for k, v in aliases_raw.items()},
        )
    except (TypeError, ValueError) as err:
        raise ConfigError(f"a DIGEST_* setting has the wrong type: {err}") from err
