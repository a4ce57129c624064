"""The only step that touches content/: one Pelican HTML content file per article.

Writes are atomic (a temporary file in the same folder, then a rename) and idempotent: a file
whose bytes would not change is left alone, mtime included, so Pelican's cache stays warm.

Durability: by default each file is fsynced before its rename. A run writing many files passes
durable=False and calls sync_files() once per batch, before the state store commits that
batch: the store never records a file the disk may not hold, a kill -9 cannot tear a file
either way (the rename is atomic and the page cache survives the process), and a power cut
before the batch's sync loses at most files the store does not know about yet, which the next
run finds (or refetches) as it does after any interrupted run.
"""

from __future__ import annotations

import html
import logging
import os
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from html import escape
from pathlib import Path

from slugify import slugify

from .errors import WriteError
from .models import Article
from .slugs import is_device_name

log = logging.getLogger(__name__)

META = re.compile(rb'<meta name="([a-z_]+)" content="([^"]*)">')
HEAD_END = b"</head>"
MAX_SLUG_LENGTH = 80
# Characters XML 1.0 forbids (Pelican's feed writer stops the build on them), DEL and C1
# controls, lone surrogates (not encodable) and the two non-characters.
NOT_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def make_slug(title: str) -> str:
    """A readable, URL-safe slug for a title; never empty, never a Windows device name."""
    slug = slugify(title, max_length=MAX_SLUG_LENGTH, word_boundary=True) or "article"
    return f"{slug}-article" if is_device_name(slug) else slug


def plain_text(value: str) -> str:
    """Metadata without control characters: each becomes a space, and the spaces are folded.

    A feed can carry any character (JSON escapes them all); one NUL in a title or a tag would
    otherwise stop Pelican's feed writer and with it the whole build. Clean values come back
    unchanged, byte for byte, so files already written stay as they are.
    """
    if not NOT_TEXT.search(value):
        return value
    return " ".join(NOT_TEXT.sub(" ", value).split())


def format_also_in(carriers: Iterable[tuple[str, str]]) -> str:
    """Other sources of a story as one metadata value: "Name | URL || Name | URL"."""
    return " || ".join(f"{name.replace('|', '/')} | {url}" for name, url in carriers)


def parse_also_in(value: str) -> tuple[tuple[str, str], ...]:
    """The inverse of format_also_in."""
    pairs = []
    for part in value.split(" || "):
        name, _, url = part.partition(" | ")
        if name.strip() and url.strip():
            pairs.append((name.strip(), url.strip()))
    return tuple(pairs)


def render(article: Article) -> str:
    """The content file's text: metadata as <meta> tags Pelican's HTML reader understands.

    No control character reaches the file, in the metadata or in the body: Pelican copies both
    into the site's feeds, and its feed writer stops the build on one (F10).
    """
    meta: list[tuple[str, str]] = [
        ("date", article.date.isoformat()),
        ("modified", article.modified.isoformat()),
        ("slug", article.slug),
        ("category", article.category),
        ("tags", ", ".join(article.tags)),
        ("authors", ", ".join(article.authors)),
        # Pelican reads the summary as HTML: store the plain text as HTML text (escaped once here,
        # once more for the attribute below), so markup in a feed's summary stays words.
        ("summary", escape(article.summary, quote=False)),
        ("source", article.source_name),
        ("source_url", article.source_url),
        ("original_url", article.original_url),
        ("lead_image", article.lead_image),
        ("note", article.note),
        ("reading_time", str(article.reading_time) if article.reading_time else ""),
        ("feed_content", article.feed_content),
        ("also_in", format_also_in(article.also_in)),
        ("digest_id", article.digest_id),
        ("fingerprint", article.fingerprint),
    ]
    head = "\n".join(
        f'<meta name="{name}" content="{escape(plain_text(value), quote=True)}">'
        for name, value in meta
        if plain_text(value)
    )
    return (
        "<!DOCTYPE html>\n<html>\n<head>\n"
        f"<title>{escape(plain_text(article.title), quote=False)}</title>\n{head}\n"
        f"</head>\n<body>\n{NOT_TEXT.sub(' ', article.html).strip()}\n</body>\n</html>\n"
    )


@dataclass(frozen=True)
class ExistingFile:
    """What a content file already on disk says about itself, for when the store is gone."""

    path: Path
    fingerprint: str = ""
    date: str = ""
    also_in: tuple[tuple[str, str], ...] = ()
    original_url: str = ""


class ExistingFiles(dict[str, ExistingFile]):
    """Digest id -> its file, with the set of file names in use kept alongside.

    choose_path asks for the names for every new article: building the set each time made a
    cold run of n articles cost n^2. Names are added by item assignment (the only way the
    pipeline adds files) and never taken out, so a name once used is not handed out again.
    """

    def __init__(self, files: dict[str, ExistingFile] | None = None) -> None:
        super().__init__(files or {})
        self.names = {found.path.name for found in self.values()}

    def __setitem__(self, digest_id: str, found: ExistingFile) -> None:
        super().__setitem__(digest_id, found)
        self.names.add(found.path.name)


def read_head(path: Path) -> dict[str, str]:
    """The metadata of a content file written by this module."""
    with path.open("rb") as handle:
        head = handle.read(65536).split(HEAD_END, 1)[0]
    return {m.group(1).decode(): html.unescape(m.group(2).decode()) for m in META.finditer(head)}


def index_existing(content_dir: Path) -> ExistingFiles:
    """Map digest ids to the files that hold them, so a lost state store never duplicates."""
    found = ExistingFiles()
    if not content_dir.is_dir():
        return found
    for path in sorted(content_dir.glob("*.html")):
        meta = read_head(path)
        if meta.get("digest_id"):
            found[meta["digest_id"]] = ExistingFile(
                path=path,
                fingerprint=meta.get("fingerprint", ""),
                date=meta.get("date", ""),
                also_in=parse_also_in(meta.get("also_in", "")),
                original_url=meta.get("original_url", ""),
            )
    return found


def choose_path(
    content_dir: Path, slug: str, digest_id: str, existing: dict[str, ExistingFile]
) -> Path:
    """The file for an article: its old file if it has one, else a free slug-based name."""
    if digest_id in existing:
        return existing[digest_id].path
    if isinstance(existing, ExistingFiles):
        taken = existing.names
    else:
        taken = {f.path.name for f in existing.values()}
    candidate, counter = f"{slug}.html", 2
    while candidate in taken or (content_dir / candidate).exists():
        candidate = f"{slug}-{counter}.html"
        counter += 1
    return content_dir / candidate


def sweep_temporaries(folder: Path) -> int:
    """Remove temporary files a killed run left behind (callers hold the fetch lock)."""
    swept = 0
    for leftover in folder.glob(".*.tmp") if folder.is_dir() else ():
        leftover.unlink(missing_ok=True)
        swept += 1
    return swept


def write_atomic(path: Path, content: str | bytes, *, durable: bool = True) -> bool:
    """Write content to path unless it already holds exactly that; True when the file changed.

    `durable=False` skips the fsync, for callers that sync_files() a batch of files later.
    """
    data = content.encode("utf-8") if isinstance(content, str) else content
    try:
        if path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=".", suffix=".tmp", dir=path.parent)
    except OSError as err:
        raise WriteError(f"cannot write {path}: {err.strerror or err}") from err
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except OSError as err:
        Path(tmp_name).unlink(missing_ok=True)
        raise WriteError(f"cannot write {path}: {err.strerror or err}") from err
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return True


def _fsync(path: Path, flags: int = os.O_RDONLY, missing_ok: bool = False) -> bool:
    """fsync one file or folder; False when it is gone and that is fine, WriteError naming it
    when the sync fails."""
    try:
        fd = os.open(path, flags)
    except FileNotFoundError as err:
        if missing_ok:
            return False
        raise WriteError(f"cannot sync {path}: {err.strerror or err}") from err
    except OSError as err:
        raise WriteError(f"cannot sync {path}: {err.strerror or err}") from err
    try:
        os.fsync(fd)
    except OSError as err:
        raise WriteError(f"cannot sync {path}: {err.strerror or err}") from err
    finally:
        os.close(fd)
    return True


def sync_files(paths: Iterable[Path]) -> None:
    """fsync files written with durable=False, then each of their folders once (the renames)."""
    folders: set[Path] = set()
    for path in dict.fromkeys(paths):
        if _fsync(path, missing_ok=True):  # one replaced or removed since has nothing to keep
            folders.add(path.parent)
    for folder in sorted(folders):
        _fsync(folder, os.O_RDONLY | os.O_DIRECTORY)


def set_also_in(path: Path, carriers: Iterable[tuple[str, str]]) -> bool:
    """Rewrite a content file's also_in metadata in place; True when the file changed."""
    text = path.read_text(encoding="utf-8")
    line = f'<meta name="also_in" content="{escape(format_also_in(carriers), quote=True)}">'
    if '<meta name="also_in" ' in text:
        new = re.sub(r'<meta name="also_in" content="[^"]*">', lambda _: line, text, count=1)
    else:
        new = text.replace('<meta name="digest_id" ', line + '\n<meta name="digest_id" ', 1)
    return write_atomic(path, new)


def write_image(folder: Path, name: str, data: bytes, *, durable: bool = True) -> Path:
    """Store an article image under content/ (same atomic, change-only write as articles)."""
    path = folder / name
    if write_atomic(path, data, durable=durable):
        log.info("stored image %s", path.name)
    return path


def write_article(article: Article, path: Path, *, durable: bool = True) -> bool:
    """Write one article's content file at path; True when something changed on disk."""
    changed = write_atomic(path, render(article), durable=durable)
    if changed:
        log.info("wrote %s (%s)", path.name, article.original_url)
    return changed
