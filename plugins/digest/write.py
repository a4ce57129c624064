"""The only step that touches content/: one Pelican HTML content file per article.

Writes are atomic (a temporary file in the same folder, then a rename) and idempotent: a file
whose bytes would not change is left alone, mtime included, so Pelican's cache stays warm.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
from collections.abc import Iterable
from html import escape
from pathlib import Path

from slugify import slugify

from .models import Article

log = logging.getLogger(__name__)

DIGEST_ID_META = re.compile(rb'<meta name="digest_id" content="([0-9a-f]+)"')
MAX_SLUG_LENGTH = 80


def normalize_tags(tags: Iterable[str]) -> tuple[str, ...]:
    """Lower-case, trim and de-duplicate tags; commas would split a tag in Pelican, so they go."""
    seen: dict[str, None] = {}
    for tag in tags:
        clean = re.sub(r"[\s,;]+", " ", str(tag)).strip().lower()
        if clean:
            seen.setdefault(clean, None)
    return tuple(seen)


def make_slug(title: str) -> str:
    """A readable, URL-safe slug for a title; never empty."""
    return slugify(title, max_length=MAX_SLUG_LENGTH, word_boundary=True) or "article"


def render(article: Article) -> str:
    """The content file's text: metadata as <meta> tags Pelican's HTML reader understands."""
    meta: list[tuple[str, str]] = [
        ("date", article.date.isoformat()),
        ("modified", article.modified.isoformat()),
        ("slug", article.slug),
        ("category", article.category),
        ("tags", ", ".join(article.tags)),
        ("authors", ", ".join(article.authors)),
        ("summary", article.summary),
        ("source", article.source_name),
        ("source_url", article.source_url),
        ("original_url", article.original_url),
        ("lead_image", article.lead_image),
        ("note", article.note),
        ("digest_id", article.digest_id),
    ]
    head = "\n".join(
        f'<meta name="{name}" content="{escape(value, quote=True)}">'
        for name, value in meta
        if value
    )
    return (
        "<!DOCTYPE html>\n<html>\n<head>\n"
        f"<title>{escape(article.title, quote=False)}</title>\n{head}\n"
        f"</head>\n<body>\n{article.html.strip()}\n</body>\n</html>\n"
    )


def index_existing(content_dir: Path) -> dict[str, Path]:
    """Map digest ids to the files that hold them, so a lost state store never duplicates."""
    found: dict[str, Path] = {}
    if not content_dir.is_dir():
        return found
    for path in content_dir.glob("*.html"):
        with path.open("rb") as handle:
            match = DIGEST_ID_META.search(handle.read(8192))
        if match:
            found[match.group(1).decode()] = path
    return found


def choose_path(content_dir: Path, slug: str, digest_id: str, existing: dict[str, Path]) -> Path:
    """The file for an article: its old file if it has one, else a free slug-based name."""
    if digest_id in existing:
        return existing[digest_id]
    taken = {p.name for p in existing.values()}
    candidate, counter = f"{slug}.html", 2
    while candidate in taken or (content_dir / candidate).exists():
        candidate = f"{slug}-{counter}.html"
        counter += 1
    return content_dir / candidate


def write_atomic(path: Path, content: str | bytes) -> bool:
    """Write content to path unless it already holds exactly that; True when the file changed."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    try:
        if path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return True


def write_image(folder: Path, name: str, data: bytes) -> Path:
    """Store an article image under content/ (same atomic, change-only write as articles)."""
    path = folder / name
    if write_atomic(path, data):
        log.info("stored image %s", path.name)
    return path


def write_article(article: Article, path: Path) -> bool:
    """Write one article's content file at path; True when something changed on disk."""
    changed = write_atomic(path, render(article))
    if changed:
        log.info("wrote %s (%s)", path.name, article.original_url)
    return changed
