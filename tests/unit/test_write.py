"""write: content files Pelican can read, written atomically and only when they change."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from digest.errors import WriteError
from digest.models import Article
from digest.write import (
    ExistingFile,
    choose_path,
    format_also_in,
    index_existing,
    make_slug,
    parse_also_in,
    plain_text,
    render,
    set_also_in,
    write_article,
    write_atomic,
)


def make_article(**changes: object) -> Article:
    values: dict[str, object] = {
        "digest_id": "0123456789abcdef0123",
        "slug": "lamps-on-the-pier",
        "title": 'Lamps "back" on the pier & more',
        "html": "<p>The lamps are lit.</p>",
        "date": datetime(2026, 11, 20, 8, 0, tzinfo=UTC),
        "modified": datetime(2026, 11, 20, 9, 0, tzinfo=UTC),
        "authors": ("Ada Quill",),
        "tags": ("news", "pier"),
        "category": "Pier Post",
        "summary": 'Lamps <b>"back"</b>',
        "source_name": "Pier Post",
        "source_url": "https://pier.example/",
        "original_url": "https://pier.example/lamps",
    }
    values.update(changes)
    return Article(**values)  # type: ignore[arg-type]


def test_render_escapes_metadata_and_keeps_the_body() -> None:
    text = render(make_article())
    assert '<title>Lamps "back" on the pier &amp; more</title>' in text
    # escaped twice: Pelican reads the summary as HTML, and markup in it must stay text
    assert '<meta name="summary" content="Lamps &amp;lt;b&amp;gt;&quot;back&quot;' in text
    assert '<meta name="date" content="2026-11-20T08:00:00+00:00">' in text
    assert '<meta name="digest_id" content="0123456789abcdef0123">' in text
    assert "<body>\n<p>The lamps are lit.</p>\n</body>" in text
    assert 'name="lead_image"' not in text  # empty values are left out


def test_pelican_reads_the_metadata(tmp_path: Path) -> None:
    from pelican.readers import HTMLReader
    from pelican.settings import DEFAULT_CONFIG

    path = tmp_path / "a.html"
    path.write_text(render(make_article()), encoding="utf-8")
    content, meta = HTMLReader(dict(DEFAULT_CONFIG)).read(str(path))
    assert meta["title"] == 'Lamps "back" on the pier &amp; more'  # titles are HTML in Pelican
    assert [str(t) for t in meta["tags"]] == ["news", "pier"]
    assert str(meta["category"]) == "Pier Post"
    assert meta["source"] == "Pier Post"
    assert meta["original_url"] == "https://pier.example/lamps"
    assert "The lamps are lit." in content


def test_slugs_are_readable_and_never_empty() -> None:
    assert make_slug("Ministers Discuss the Crisis!") == "ministers-discuss-the-crisis"
    assert make_slug("Гавань открыта") == "gavan-otkryta"
    assert make_slug("!!!") == "article"
    assert len(make_slug("word " * 100)) <= 80


@pytest.mark.parametrize("title", ["CON", "nul", "Com1", "LPT9", "aux"])
def test_slugs_are_never_windows_device_names(title: str) -> None:
    assert make_slug(title) == title.lower() + "-article"
    assert make_slug(f"{title} and more") == f"{title.lower()}-and-more"


def test_control_characters_never_reach_a_content_file() -> None:
    """XML 1.0 refuses them, and Pelican's feed writer with it: they become spaces."""
    assert plain_text("a\x00b\x1f c\x7f") == "a b c"
    assert plain_text("fine  as\tit is\n") == "fine  as\tit is\n"  # untouched, byte for byte
    text = render(
        make_article(
            title="Bell\x07 title",
            authors=("Ada\x00 Quill",),
            tags=("x\x1bx",),
            summary="\x0bsummary\ud800",
            category="\x01",
        )
    )
    assert not any(ord(c) < 32 and c not in "\n" for c in text), repr(text)
    assert "<title>Bell title</title>" in text and 'content="Ada Quill"' in text
    assert 'name="category"' not in text  # nothing left but the control character


def test_write_is_idempotent_byte_for_byte_and_mtime(tmp_path: Path) -> None:
    path = tmp_path / "a.html"
    assert write_article(make_article(), path) is True
    os.utime(path, (1_000_000, 1_000_000))
    assert write_article(make_article(), path) is False
    assert path.stat().st_mtime == 1_000_000
    assert write_article(make_article(html="<p>Changed.</p>"), path) is True
    assert "Changed." in path.read_text(encoding="utf-8")


def test_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "a.html"
    write_atomic(path, "old")

    def broken_replace(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(WriteError, match="disk full"):
        write_atomic(path, "new")
    assert path.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.html"]


def test_also_in_round_trips_and_is_set_in_place(tmp_path: Path) -> None:
    carriers = (
        ("Coast | Daily", "https://coast.example/a?x=1&y=2"),
        ("Wire", "https://w.example/"),
    )
    assert parse_also_in(format_also_in(carriers)) == (
        ("Coast / Daily", "https://coast.example/a?x=1&y=2"),
        ("Wire", "https://w.example/"),
    )
    path = tmp_path / "a.html"
    write_article(make_article(), path)
    assert set_also_in(path, carriers[1:]) is True
    assert index_existing(tmp_path)["0123456789abcdef0123"].also_in == carriers[1:]
    assert set_also_in(path, carriers[1:]) is False
    assert set_also_in(path, carriers) is True
    assert len(index_existing(tmp_path)["0123456789abcdef0123"].also_in) == 2
    assert path.read_text().count('name="also_in"') == 1


def test_existing_files_are_found_by_digest_id_and_names_do_not_collide(tmp_path: Path) -> None:
    first = make_article()
    write_article(first, tmp_path / "lamps-on-the-pier.html")
    existing = index_existing(tmp_path)
    found = existing[first.digest_id]
    assert (found.path, found.date) == (tmp_path / "lamps-on-the-pier.html", first.date.isoformat())
    assert list(existing) == [first.digest_id]
    assert choose_path(tmp_path, "lamps-on-the-pier", first.digest_id, existing).name == (
        "lamps-on-the-pier.html"
    )
    other = choose_path(tmp_path, "lamps-on-the-pier", "ffffffffffffffffffff", existing)
    assert other.name == "lamps-on-the-pier-2.html"


def test_a_name_assigned_in_this_run_is_taken_before_its_file_exists(tmp_path: Path) -> None:
    """The run adds each file it chooses; the next article with the same slug gets another."""
    existing = index_existing(tmp_path)
    existing["0123456789abcdef0123"] = ExistingFile(tmp_path / "harbour.html")
    assert not (tmp_path / "harbour.html").exists()
    chosen = choose_path(tmp_path, "harbour", "ffffffffffffffffffff", existing)
    assert chosen.name == "harbour-2.html"
