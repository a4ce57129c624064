"""slugs: tag and source slugs that are safe file names, stable, and never shared by accident."""

from __future__ import annotations

import logging
from types import SimpleNamespace

import pytest
from pelican.settings import DEFAULT_CONFIG
from pelican.urlwrappers import Category, Tag

from digest.slugs import MAX_SLUG_LENGTH, assign_slugs, base_slug, distinct_slugs

SETTINGS = dict(DEFAULT_CONFIG)


def slugs(*names: str) -> dict[str, str]:
    return distinct_slugs(names, "tag", SETTINGS)


def test_plain_ascii_tags_keep_pelicans_slugs() -> None:
    names = ["news", "port and shipping", "Big  Cats", "node.js", "sea-level"]
    assert slugs(*names) == {n: Tag(n, SETTINGS).slug for n in names}


def test_tags_that_differ_get_different_slugs() -> None:
    found = slugs("c++", "c#", "c", "f#", "東京", "京都", "🎉", "!!!", "c.d", "cd")
    assert found["c"] == "c" and found["c++"] == "c-plus-plus" and found["c#"] == "c-sharp"
    assert (found["東京"], found["京都"]) == ("dong-jing", "jing-du")
    assert len(set(found.values())) == len(found)
    assert found["cd"] == "cd" and found["c.d"].startswith("cd-")  # "cd" spells its slug


def test_a_clash_is_logged_naming_both_tags(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="digest.slugs"):
        slugs("a.b", "ab")  # names of their own: Pelican's log filter drops repeated messages
    assert "'a.b'" in caplog.text and "'ab'" in caplog.text


def test_folded_spellings_share_a_slug_on_purpose() -> None:
    found = slugs("ünïcode", "Unicode", "unicode", "big cats", "big-cats")
    assert set(found.values()) == {"unicode", "big-cats"}


def test_slugs_do_not_depend_on_order_or_company() -> None:
    names = ["c++", "🎉", "x" * 500, "CON", "tokyo"]
    assert slugs(*names) == slugs(*reversed(names))
    assert slugs("🎉")["🎉"] == slugs(*names)["🎉"]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("CON", "con-tag"),
        ("nul", "nul-tag"),
        ("COM1", "com1-tag"),
        ("-rf --no-preserve-root", "rf-no-preserve-root"),
        ("__init__", "init"),
    ],
)
def test_no_slug_is_a_device_name_or_an_option(name: str, expected: str) -> None:
    assert base_slug(name, "tag", SETTINGS) == expected


def test_nameless_and_long_tags_get_bounded_hashed_slugs() -> None:
    empty = base_slug("🎉", "tag", SETTINGS)
    assert empty.startswith("tag-") and len(empty) == 12
    assert base_slug("!!!", "source", SETTINGS).startswith("source-")
    long_a, long_b = (
        base_slug("word " * 200, "tag", SETTINGS),
        base_slug("word " * 201, "tag", SETTINGS),
    )
    assert len(long_a) <= MAX_SLUG_LENGTH and long_a.startswith("word-word-")
    assert long_a != long_b  # the hash is of the whole name, not of the part kept


def test_assign_slugs_sets_every_tag_and_source_of_the_build() -> None:
    one = SimpleNamespace(
        tags=[Tag("c++", SETTINGS), Tag("c", SETTINGS)], category=Category("CON", SETTINGS)
    )
    two = SimpleNamespace(tags=[Tag("C++", SETTINGS)], category=Category("🎉", SETTINGS))
    hidden = SimpleNamespace(tags=[Tag("c#", SETTINGS)], category=Category("CON", SETTINGS))
    generator = SimpleNamespace(settings=SETTINGS, articles=[one, two], hidden_articles=[hidden])
    assign_slugs(generator)
    assert [t.slug for t in one.tags] == ["c-plus-plus", "c"]
    assert two.tags[0].slug == "c-plus-plus" and hidden.tags[0].slug == "c-sharp"
    assert one.category.slug == hidden.category.slug == "con-source"
    assert two.category.slug.startswith("source-")
    assert two.category.url == f"category/{two.category.slug}.html"
