"""The state store: what has been seen, kept in SQLite outside content/.

It is a cache, not the archive: content/ is the archive, and deleting the store costs at most
a refetch, never a duplicate (write.py finds existing files by their digest id).
"""

from __future__ import annotations

import sqlite3
import struct
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .errors import StoreError

SCHEMA = """
CREATE TABLE IF NOT EXISTS feeds (
    url TEXT PRIMARY KEY,
    etag TEXT NOT NULL DEFAULT '',
    last_modified TEXT NOT NULL DEFAULT '',
    checked_at REAL NOT NULL DEFAULT 0,
    gone_since REAL NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS items (
    digest_id TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    url TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    path TEXT NOT NULL,
    first_seen REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS urls (
    key TEXT PRIMARY KEY,
    digest_id TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS signatures (
    digest_id TEXT PRIMARY KEY,
    signature BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS also_in (
    digest_id TEXT NOT NULL,
    source TEXT NOT NULL,
    url TEXT NOT NULL,
    PRIMARY KEY (digest_id, url)
);
"""
SIGNATURE_FORMAT = "<Q"  # each MinHash value packed as an unsigned 64-bit integer


@dataclass(frozen=True)
class FeedState:
    """What the last fetch of a feed learned: validators for a conditional GET and when."""

    etag: str = ""
    last_modified: str = ""
    checked_at: float = 0.0
    gone_since: float = 0.0


@dataclass(frozen=True)
class ItemState:
    """A written item: its file and the fingerprint of the feed entry it came from."""

    digest_id: str
    fingerprint: str
    path: str
    first_seen: float


_VALUE_SIZE = struct.calcsize(SIGNATURE_FORMAT)


def _unpack(blob: bytes) -> tuple[int, ...]:
    """A stored signature back into its integers, in one struct call (it runs once per row)."""
    count = len(blob) // _VALUE_SIZE
    return struct.unpack(f"<{count}Q", blob[: count * _VALUE_SIZE])


class Store:
    """A thin wrapper over one SQLite file; each write commits at once, or with its batch()."""

    def __init__(self, path: Path) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(path, timeout=30)
            # WAL: a commit is cheap and a killed process never leaves the file corrupt.
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.executescript(SCHEMA)
        except (OSError, sqlite3.Error) as err:
            raise StoreError(f"cannot open the state store {path}: {err}") from err
        self.path = path
        self.batching = False

    @contextmanager
    def batch(self, before_commit: Callable[[], None] | None = None) -> Iterator[None]:
        """Group the writes of a block into one transaction: one commit instead of one each.

        `before_commit` runs first (the pipeline syncs the batch's files there), so the store
        records nothing the disk may not hold. The commit happens when the block fails too:
        what was done before the failure is kept, as with one commit per write.
        """
        if self.batching:
            yield
            return
        self.batching = True
        try:
            yield
        finally:
            self.batching = False
            try:
                if before_commit is not None:
                    before_commit()
            except BaseException:
                self.db.rollback()
                raise
            try:
                self.db.commit()
            except sqlite3.Error as err:
                raise StoreError(f"cannot write the state store {self.path}: {err}") from err

    def close(self) -> None:
        """Close the connection."""
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def feed_state(self, url: str) -> FeedState:
        """The validators kept for a feed URL, empty when never fetched."""
        row = self.db.execute(
            "SELECT etag, last_modified, checked_at, gone_since FROM feeds WHERE url = ?", (url,)
        ).fetchone()
        return FeedState(*row) if row else FeedState()

    def save_feed_state(
        self, url: str, etag: str, last_modified: str, when: float | None = None
    ) -> None:
        """Remember a feed's validators and the time it was checked."""
        self._write(
            "INSERT INTO feeds (url, etag, last_modified, checked_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(url) DO UPDATE SET etag = excluded.etag, "
            "last_modified = excluded.last_modified, checked_at = excluded.checked_at",
            (url, etag, last_modified, time.time() if when is None else when),
        )

    def mark_gone(self, url: str) -> None:
        """Remember that a feed answered 410 Gone, so later runs say so instead of asking."""
        self._write(
            "INSERT INTO feeds (url, checked_at, gone_since) VALUES (?, ?, ?) "
            "ON CONFLICT(url) DO UPDATE SET gone_since = excluded.gone_since, "
            "checked_at = excluded.checked_at",
            (url, time.time(), time.time()),
        )

    def url_owner(self, key: str) -> str | None:
        """The digest id of the article already written for a normalized URL."""
        row = self.db.execute("SELECT digest_id FROM urls WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def save_url(self, key: str, digest_id: str) -> None:
        """Claim a normalized URL for an article (the first claim wins)."""
        if key:
            self._write(
                "INSERT OR IGNORE INTO urls (key, digest_id) VALUES (?, ?)", (key, digest_id)
            )

    def is_empty(self) -> bool:
        """True when no item was ever recorded: a new or deleted store."""
        return self.db.execute("SELECT 1 FROM items LIMIT 1").fetchone() is None

    def save_urls(self, pairs: list[tuple[str, str]]) -> None:
        """Claim many normalized URLs at once (key, digest id), in one transaction."""
        try:
            if self.batching:
                self.db.executemany(
                    "INSERT OR IGNORE INTO urls (key, digest_id) VALUES (?, ?)",
                    [(key, digest_id) for key, digest_id in pairs if key],
                )
                return
            with self.db:
                self.db.executemany(
                    "INSERT OR IGNORE INTO urls (key, digest_id) VALUES (?, ?)",
                    [(key, digest_id) for key, digest_id in pairs if key],
                )
        except sqlite3.Error as err:
            raise StoreError(f"cannot write the state store {self.path}: {err}") from err

    def signatures(self) -> list[tuple[str, tuple[int, ...]]]:
        """Every stored text signature, for near-duplicate checks, oldest first."""
        rows = self.db.execute(
            "SELECT digest_id, signature FROM signatures ORDER BY rowid"
        ).fetchall()
        return [(digest_id, _unpack(blob)) for digest_id, blob in rows]

    def save_signature(self, digest_id: str, signature: tuple[int, ...]) -> None:
        """Keep an article's text signature."""
        if signature:
            blob = struct.pack(f"<{len(signature)}Q", *signature)
            self._write(
                "INSERT OR REPLACE INTO signatures (digest_id, signature) VALUES (?, ?)",
                (digest_id, blob),
            )

    def also_in(self, digest_id: str) -> tuple[tuple[str, str], ...]:
        """The other sources that carried an article's story, in the order they were found."""
        rows = self.db.execute(
            "SELECT source, url FROM also_in WHERE digest_id = ? ORDER BY rowid", (digest_id,)
        ).fetchall()
        return tuple((source, url) for source, url in rows)

    def add_also_in(self, digest_id: str, source: str, url: str) -> bool:
        """Record another carrier of a story; False when it was known already."""
        known = {u for _, u in self.also_in(digest_id)}
        if url in known:
            return False
        self._write(
            "INSERT OR IGNORE INTO also_in (digest_id, source, url) VALUES (?, ?, ?)",
            (digest_id, source, url),
        )
        return True

    def item(self, digest_id: str) -> ItemState | None:
        """The stored state of an item, or None when it was never written."""
        row = self.db.execute(
            "SELECT digest_id, fingerprint, path, first_seen FROM items WHERE digest_id = ?",
            (digest_id,),
        ).fetchone()
        return ItemState(*row) if row else None

    def save_item(
        self, digest_id: str, source: str, url: str, fingerprint: str, path: str, first_seen: float
    ) -> None:
        """Record an item as written, keeping its first-seen time."""
        self._write(
            "INSERT INTO items (digest_id, source, url, fingerprint, path, first_seen) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(digest_id) DO UPDATE SET "
            "source = excluded.source, url = excluded.url, fingerprint = excluded.fingerprint, "
            "path = excluded.path",
            (digest_id, source, url, fingerprint, path, first_seen),
        )

    def _write(self, sql: str, params: tuple[object, ...]) -> None:
        """Run one statement in its own transaction, or in the open batch()."""
        try:
            if self.batching:
                self.db.execute(sql, params)
                return
            with self.db:
                self.db.execute(sql, params)
        except sqlite3.Error as err:
            raise StoreError(f"cannot write the state store {self.path}: {err}") from err
