"""opml and settings: sources from pelicanconf.py and from OPML, with clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from digest.errors import ConfigError
from digest.opml import export_opml, parse_opml
from digest.settings import DEFAULTS, load_settings

OPML = b"""<?xml version="1.0"?>
<opml version="2.0"><head><title>mine</title></head><body>
  <outline text="Science">
    <outline text="Tide Lab" type="rss" xmlUrl="https://tide.example/feed" htmlUrl="https://tide.example/"/>
    <outline text="Deep">
      <outline title="Abyss" type="rss" xmlUrl="https://abyss.example/rss" category="ocean"/>
    </outline>
  </outline>
  <outline text="Loose" type="rss" xmlUrl="https://loose.example/atom"/>
</body></opml>"""


def test_opml_folders_become_tags() -> None:
    sources = parse_opml(OPML, "mine.opml")
    assert [(s.name, s.feed_url, s.tags) for s in sources] == [
        ("Tide Lab", "https://tide.example/feed", ("Science",)),
        ("Abyss", "https://abyss.example/rss", ("Science", "Deep", "ocean")),
        ("Loose", "https://loose.example/atom", ()),
    ]
    assert sources[0].site_url == "https://tide.example/"


def test_opml_round_trip() -> None:
    sources = parse_opml(OPML, "mine.opml")
    again = parse_opml(export_opml(sources, "Digest").encode(), "export")
    assert [(s.name, s.feed_url, s.tags) for s in again] == [
        (s.name, s.feed_url, s.tags) for s in sources
    ]


@pytest.mark.parametrize("data", [b"<opml><head/></opml>", b"not xml <", b"<rss/>"])
def test_bad_opml_names_the_file(data: bytes) -> None:
    with pytest.raises(ConfigError, match=r"mine\.opml"):
        parse_opml(data, "mine.opml")


def test_settings_defaults_and_paths(tmp_path: Path) -> None:
    settings = load_settings(
        {
            "PATH": str(tmp_path / "content"),
            "DIGEST_SOURCES": [{"name": "A", "feed": "https://a.example/f", "tags": "x, y"}],
            "DIGEST_MIRRORS": {"https://a.example/": "demo/a"},
        }
    )
    assert settings.content_dir == tmp_path / "content" / "digest"
    assert settings.cache_dir == tmp_path / ".digest-cache"
    assert settings.mirrors == {"https://a.example/": tmp_path / "demo" / "a"}
    assert settings.sources[0].tags == ("x", "y")
    assert settings.fetch is True
    assert "Digest/" in settings.user_agent


def test_digest_fetch_can_be_turned_off_from_the_environment(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("DIGEST_FETCH", "0")
    assert load_settings({"PATH": str(tmp_path)}).fetch is False


@pytest.mark.parametrize(
    "sources, message",
    [
        ([{"name": "A"}], r"DIGEST_SOURCES\[0\] needs both"),
        (["https://a.example/f"], r"DIGEST_SOURCES\[0\] must be a dict"),
        ([{"name": "A", "feed": "f", "colour": "red"}], "unknown keys: colour"),
        ("https://a.example/f", "must be a list"),
    ],
)
def test_bad_sources_say_which_and_why(tmp_path: Path, sources: object, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings({"PATH": str(tmp_path), "DIGEST_SOURCES": sources})


def test_every_setting_is_documented_in_readme() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    missing = [name for name in DEFAULTS if f"`{name}`" not in readme]
    assert not missing, f"README does not document: {missing}"
