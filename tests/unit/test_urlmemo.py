"""urlmemo.py: articles and pages work their URLs out once while a build writes, then forget."""

from __future__ import annotations

import pickle
from types import SimpleNamespace

from pelican.contents import Article, Page
from pelican.settings import DEFAULT_CONFIG
from pelican.utils import SafeDatetime

from digest import urlmemo

SETTINGS = {
    **DEFAULT_CONFIG,
    "ARTICLE_URL": "{date:%Y}/{date:%m}/{slug}.html",
    "ARTICLE_SAVE_AS": "{date:%Y}/{date:%m}/{slug}.html",
}


def article(slug: str) -> Article:
    return Article(
        "<p>Text.</p>",
        metadata={"title": slug.title(), "slug": slug, "date": SafeDatetime(2026, 11, 27)},
        settings=SETTINGS,
        source_path=f"/site/content/{slug}.html",
    )


def page(slug: str) -> Page:
    return Page(
        "<p>About.</p>",
        metadata={"title": slug.title(), "slug": slug},
        settings=SETTINGS,
        source_path=f"/site/content/pages/{slug}.md",
    )


def test_urls_are_worked_out_once_until_the_build_ends() -> None:
    first, about = article("harbour"), page("about")
    generators = [SimpleNamespace(articles=[first]), SimpleNamespace(pages=[about])]
    urlmemo.remember_urls(generators)
    try:
        assert type(first).__name__ == "Article" and isinstance(first, Article)
        assert type(about).__name__ == "Page"  # Pelican reads PAGE_URL by the class's name
        assert first.url == "2026/11/harbour.html" == first.save_as
        assert about.url == "pages/about.html"
        first.slug = "moved"  # nothing does this while a build writes; if it did, the memo holds
        assert first.url == "2026/11/harbour.html"
    finally:
        urlmemo.forget_urls()
    assert type(first) is Article and type(about) is Page
    assert urlmemo.REMEMBERED not in first.__dict__
    assert first.url == "2026/11/moved.html"  # worked out anew once the build is over
    pickle.dumps(first)  # back to Pelican's own class: the content cache can store it


def test_an_object_in_two_lists_is_changed_once() -> None:
    shared = article("harbour")
    urlmemo.remember_urls([SimpleNamespace(articles=[shared], hidden_articles=[shared])])
    urlmemo.remember_urls([SimpleNamespace(articles=[shared])])  # a second call changes nothing
    try:
        assert type(shared).__mro__[1] is Article  # one subclass, not one on another
    finally:
        urlmemo.forget_urls()
    assert type(shared) is Article
