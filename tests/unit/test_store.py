"""store: the SQLite state survives reopening and keeps first-seen times."""

from __future__ import annotations

from pathlib import Path

import pytest

from digest.errors import StoreError
from digest.store import Store


def test_feed_state_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "cache" / "state.sqlite3"
    with Store(path) as store:
        assert store.feed_state("https://a.example/feed").etag == ""
        validators = ('"v1"', "Tue, 17 Nov 2026 07:00:00 GMT")
        store.save_feed_state("https://a.example/feed", *validators, 5.0)
    with Store(path) as store:
        state = store.feed_state("https://a.example/feed")
    assert (state.etag, state.last_modified, state.checked_at) == (
        '"v1"',
        "Tue, 17 Nov 2026 07:00:00 GMT",
        5.0,
    )


def test_item_keeps_its_first_seen_time(tmp_path: Path) -> None:
    with Store(tmp_path / "s.db") as store:
        store.save_item("id1", "Src", "https://a.example/1", "fp1", "/c/a.html", 100.0)
        store.save_item("id1", "Src", "https://a.example/1", "fp2", "/c/a.html", 999.0)
        item = store.item("id1")
        assert item is not None
        assert (item.fingerprint, item.first_seen) == ("fp2", 100.0)
        assert store.item("missing") is None


def test_unusable_store_is_a_store_error(tmp_path: Path) -> None:
    (tmp_path / "not-a-db").write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="not-a-db"):
        Store(tmp_path / "not-a-db")
