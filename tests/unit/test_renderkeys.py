"""renderkeys: what a list page's templates read, and a key that changes exactly with that."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from jinja2 import DictLoader, Environment

from digest.renderkeys import Describer, page_key, template_variables

TEMPLATES = {
    "base.html": "<title>{{ SITENAME }}</title>{% block content %}{% endblock %}",
    "macros.html": "{% macro entry(a) %}<a href='{{ SITEURL }}/{{ a.url }}'>{{ a.title }}</a>"
    "{% endmacro %}",
    "tag.html": '{% extends "base.html" %}{% import "macros.html" as m with context %}'
    "{% block content %}{% for a in articles_page.object_list %}{{ m.entry(a) }}{% endfor %}"
    "{{ tag }}{% endblock %}",
    "dynamic.html": "{% include which %}",
}


def environment() -> Environment:
    return Environment(loader=DictLoader(TEMPLATES))


@dataclass
class Item:
    """Stands in for a Pelican article: what the describer reads of one."""

    title: str
    url: str
    source_path: str = "content/a.html"
    slug: str = "a"
    tags: list[str] = field(default_factory=list)


@dataclass
class Page:
    """Stands in for a paginator's page."""

    object_list: list[Item]
    number: int = 1
    url: str = "tag/harbour.html"


def test_variables_of_a_template_and_those_it_extends_and_imports() -> None:
    found = template_variables(environment(), "tag.html")
    assert found is not None
    assert {"SITENAME", "SITEURL", "articles_page", "tag"} <= found
    assert "all_articles" not in found


def test_a_template_named_by_an_expression_cannot_be_analysed() -> None:
    assert template_variables(environment(), "dynamic.html") is None
    assert template_variables(environment(), "missing.html") is None


def file_stamp(item: Item) -> str:
    """Stands in for a source file's size and mtime: they change when its title is edited."""
    return f"{item.source_path}:{item.title}"


def key_of(context: dict[str, object]) -> str:
    variables = template_variables(environment(), "tag.html") or frozenset()
    return page_key("tag.html", variables, context, Describer(file_stamp))


def test_the_key_follows_what_the_page_shows_and_nothing_else() -> None:
    first, second = Item("Ferry back", "a.html"), Item("Pier shut", "b.html")
    context = {"articles_page": Page([first, second]), "tag": "harbour", "SITEURL": ""}
    key = key_of(context)
    assert key_of({**context, "all_articles": [first, second, Item("New", "c.html")]}) == key
    assert key_of({**context, "articles_page": Page([first])}) != key
    assert key_of({**context, "articles_page": Page([first, Item("Pier open", "b.html")])}) != key
    assert key_of({**context, "SITEURL": "../.."}) != key
    assert key_of({**context, "tag": "ferry"}) != key


def test_an_article_is_described_with_its_file_and_its_tags() -> None:
    stamps = {"content/a.html": "1:1"}
    describe = Describer(lambda item: stamps[item.source_path])
    item = Item("Ferry back", "a.html", tags=["harbour"])
    before = describe(item)
    assert Describer(lambda item: stamps[item.source_path])(item) == before  # stable
    stamps["content/a.html"] = "2:2"
    assert Describer(lambda item: stamps[item.source_path])(item) != before
    item.tags = ["ferry"]
    assert Describer(lambda item: "1:1")(item) != before


def test_plain_values_are_described_by_value() -> None:
    describe = Describer(lambda item: "")
    day = datetime.date(2026, 11, 27)
    assert describe([1, "a", None, day]) == describe([1, "a", None, datetime.date(2026, 11, 27)])
    assert describe([1, "a", None, day]) != describe([1, "a", None, day.replace(day=28)])
    assert describe([1, 2]) != describe([2, 1])
    assert describe({"b": 2, "a": 1}) == describe({"a": 1, "b": 2})
    assert describe({3, 1, 2}) == describe({2, 3, 1})
