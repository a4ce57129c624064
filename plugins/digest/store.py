"""The state store: what has been seen, kept in SQLite outside content/.

It is a cache, not the archive: content/ is the archive, and deleting the store costs at most
a refetch, never a duplicate (write.py finds existing files by their digest id).
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from .errors import StoreError

SCHEMA = """
CREATE TABLE IF NOT EXISTS feeds (
    url TEXT PRIMARY KEY,
    etag TEXT NOT NULL DEFAULT '',
    last_modified TEXT NOT NULL DEFAULT '',
    checked_at REAL NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS items (
    digest_id TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    url TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    path TEXT NOT NULL,
    first_seen REAL NOT NULL
);
"""


@dataclass(frozen=True)
class FeedState:
    """What the last fetch of a feed learned: validators for a conditional GET and when."""

    etag: str = ""
    last_modified: str = ""
    checked_at: float = 0.0


@dataclass(frozen=True)
class ItemState:
    """A written item: its file and the fingerprint of the feed entry it came from."""

    digest_id: str
    fingerprint: str
    path: str
    first_seen: float


class Store:
    """A thin wrapper over one SQLite file; each write commits at once."""

    def __init__(self, path: Path) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(path, timeout=30)
            self.db.executescript(SCHEMA)
        except (OSError, sqlite3.Error) as err:
            raise StoreError(f"cannot open the state store {path}: {err}") from err
        self.path = path

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
            "SELECT etag, last_modified, checked_at FROM feeds WHERE url = ?", (url,)
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
        """Run one statement in its own transaction."""
        try:
            with self.db:
                self.db.execute(sql, params)
        except sqlite3.Error as err:
            raise StoreError(f"cannot write the state store {self.path}: {err}") from err
