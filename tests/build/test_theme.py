"""Build a tiny site with the Digest theme (no digest plugin) and check the pages it writes.

The content files are in the format the plugin writes: Pelican's HTML reader turns the
<meta> tags into article attributes.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from pelican import Pelican
from pelican.settings import read_settings

ROOT = Path(__file__).resolve().parents[2]
THEME = ROOT / "theme"

SETTINGS = {
    "SITENAME": "Digest",
    "SITESUBTITLE": "The articles of a few good feeds, without the noise",
    "AUTHOR": "Digest",
    "SITEURL": "",
    "TIMEZONE": "UTC",
    "DEFAULT_LANG": "en",
    "DEFAULT_DATE_FORMAT": "%-d %B %Y",
    "TYPOGRIFY": True,
    "DEFAULT_PAGINATION": 30,
    "ARTICLE_PATHS": ["digest"],
    "PAGE_PATHS": ["pages"],
    "ARTICLE_URL": "{date:%Y}/{date:%m}/{slug}.html",
    "ARTICLE_SAVE_AS": "{date:%Y}/{date:%m}/{slug}.html",
    "CATEGORY_URL": "source/{slug}.html",
    "CATEGORY_SAVE_AS": "source/{slug}.html",
    "ARCHIVES_SAVE_AS": "archives.html",
    "YEAR_ARCHIVE_SAVE_AS": "{date:%Y}/index.html",
    "YEAR_ARCHIVE_URL": "{date:%Y}/",
    "MONTH_ARCHIVE_SAVE_AS": "{date:%Y}/{date:%m}/index.html",
    "MONTH_ARCHIVE_URL": "{date:%Y}/{date:%m}/",
    "AUTHOR_SAVE_AS": "",
    "AUTHORS_SAVE_AS": "",
    "DIRECT_TEMPLATES": ["index", "tags", "categories", "archives", "search", "404"],
    "FEED_ALL_ATOM": "feeds/all.atom.xml",
    "TAG_FEED_ATOM": "feeds/tag/{slug}.atom.xml",
    "CATEGORY_FEED_ATOM": "feeds/source/{slug}.atom.xml",
    "TRANSLATION_FEED_ATOM": None,
    "AUTHOR_FEED_ATOM": None,
    "AUTHOR_FEED_RSS": None,
    "PLUGINS": [],
}


def article_file(
    *,
    title: str,
    slug: str,
    date: str,
    source: str,
    site: str,
    body: str,
    tags: str,
    authors: str = "",
    modified: str = "",
    summary: str = "",
    lead_image: str = "",
    note: str = "",
    also_in: str = "",
    reading_time: str = "",
) -> str:
    """One content file as the plugin writes it."""
    meta = {
        "date": date,
        "modified": modified,
        "authors": authors,
        "tags": tags,
        "category": source,
        "slug": slug,
        "summary": summary,
        "source": source,
        "source_url": site,
        "original_url": f"{site}news/{slug}.html",
        "lead_image": lead_image,
        "note": note,
        "also_in": also_in,
        "reading_time": reading_time,
    }
    tags_html = "\n".join(
        f'<meta name="{name}" content="{value}">' for name, value in meta.items() if value
    )
    return (
        f"<html><head><title>{title}</title>\n{tags_html}\n</head><body>\n{body}\n</body></html>\n"
    )


GAZETTE = "https://harbour-gazette.example/"
FIELDNOTES = "https://fieldnotes.example/"
LEAD_IMAGE = "https://fieldnotes.example/media/heron.svg"
ALSO_URL = "https://coast-wire.example/strait"
LONG_URL = "https://fieldnotes.example/" + "a-very-long-path-segment-" * 8 + "end"

ARTICLES = {
    "ministers.html": article_file(
        title="Ministers discuss strait crisis",
        slug="ministers-discuss-strait-crisis",
        date="2026-11-25T09:30:00+00:00",
        modified="2026-11-25T11:00:00+00:00",
        source="Harbour Gazette",
        site=GAZETTE,
        authors="Mara Lind",
        tags="news, diplomacy",
        summary="Two foreign ministers spoke by phone about the strait.",
        also_in=f"Coast Wire | {ALSO_URL} || Fieldnotes | {FIELDNOTES}strait",
        body="<p>Two foreign ministers spoke by phone on Tuesday.</p>",
    ),
    "nasa.html": article_file(
        title='NASA and the "quiet" probe',
        slug="nasa-quiet-probe",
        date="2026-11-25T15:00:00+00:00",
        source="Harbour Gazette",
        site=GAZETTE,
        authors="Ola Berg",
        tags="news, science",
        summary="The probe has gone quiet.",
        body=(
            '<p>The NASA team said the probe was "quiet, not lost".</p>\n'
            "<table><tr><th>Day</th><th>Signal</th></tr><tr><td>1</td><td>none</td></tr></table>"
        ),
    ),
    "herons.html": article_file(
        title="Herons return to the marsh",
        slug="herons-return",
        date="2026-11-24T07:15:00+00:00",
        source="Fieldnotes",
        site=FIELDNOTES,
        authors="Ines Dahl",
        tags="nature",
        summary="The first herons of the winter are back.",
        lead_image=LEAD_IMAGE,
        note="The page could not be fetched; this is the feed's summary.",
        body=f'<p>The first herons are back. Notes: <a href="{LONG_URL}">{LONG_URL}</a></p>',
    ),
    "lichen.html": article_file(
        title="Lichen on the north wall",
        slug="lichen-north-wall",
        date="2026-11-24T18:00:00+00:00",
        source="Fieldnotes",
        site=FIELDNOTES,
        tags="nature, science",
        summary="A slow garden.",
        body="<p>A slow garden, one millimetre a year.</p>",
    ),
    "otters.html": article_file(
        title="Otters in the old dock",
        slug="otters-old-dock",
        date="2026-11-25T16:00:00+00:00",
        source="Fieldnotes",
        site=FIELDNOTES,
        authors="Ines Dahl",
        tags="otters",
        summary="Two otters, at dusk.",
        reading_time="7",
        body="<p>Two otters fished the old dock at dusk.</p>",
    ),
}

ABOUT = (
    '<html><head><title>About</title><meta name="slug" content="about">'
    '<meta name="template" content="about"><meta name="menulabel" content="About us">'
    "</head><body><p>What this digest is.</p></body></html>\n"
)


class _Links(HTMLParser):
    """Every URL in an href or src attribute."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src") and value:
                self.urls.append(value)


def urls_in(html: str) -> list[str]:
    parser = _Links()
    parser.feed(html)
    return parser.urls


def build(content: Path, output: Path, **overrides: object) -> Path:
    """Build the fixture site with the theme; return the output directory."""
    (content / "digest").mkdir(parents=True)
    (content / "pages").mkdir()
    for name, text in ARTICLES.items():
        (content / "digest" / name).write_text(text, encoding="utf-8")
    (content / "pages" / "about.html").write_text(ABOUT, encoding="utf-8")
    settings = read_settings(
        path=None,
        override={
            **SETTINGS,
            "PATH": str(content),
            "OUTPUT_PATH": str(output),
            "THEME": str(THEME),
            "CACHE_PATH": str(output.parent / "cache"),
            **overrides,
        },
    )
    Pelican(settings).run()
    return output


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("theme")
    return build(base / "content", base / "output")


def read(site: Path, path: str) -> str:
    """A page's HTML, with typogrify's widow-preventing &nbsp; read as a plain space."""
    return (site / path).read_text(encoding="utf-8").replace("&nbsp;", " ")


def editions(html: str) -> list[tuple[str, str]]:
    """The home page's edition headings: (datetime, text)."""
    return re.findall(
        r'<h2 class="edition__heading"[^>]*>\s*<time datetime="([^"]+)">([^<]+)<', html
    )


def source_groups(html: str) -> list[tuple[str, list[str]]]:
    """Each source section of the home page in order: (source, article slugs)."""
    found = []
    for section in html.split('<section class="edition__source"')[1:]:
        section = section[: section.index("</section>")]
        name = re.search(r'<h3 class="edition__source-name"[^>]*>\s*<a [^>]*>([^<]+)<', section)
        slugs = re.findall(r'href="/2026/11/([a-z-]+)\.html" rel="bookmark"', section)
        found.append((name.group(1) if name else "", slugs))
    return found


def test_home_shows_one_edition_a_day_grouped_by_source(site: Path) -> None:
    html = read(site, "index.html")
    assert editions(html) == [
        ("2026-11-25", "Wednesday 25 November 2026"),
        ("2026-11-24", "Tuesday 24 November 2026"),
    ]
    # Sources A to Z within an edition, each source's articles newest first.
    assert source_groups(html) == [
        ("Fieldnotes", ["otters-old-dock"]),
        ("Harbour Gazette", ["nasa-quiet-probe", "ministers-discuss-strait-crisis"]),
        ("Fieldnotes", ["lichen-north-wall", "herons-return"]),
    ]
    assert "3 articles from 2 sources" in html and "2 articles from 1 source" in html
    assert html.index("Tuesday 24 November") < html.index("lichen-north-wall")


def test_home_entry_has_source_author_time_reading_time_summary_and_tags(site: Path) -> None:
    html = read(site, "index.html")
    group = html[html.index('id="edition-2026-11-25-harbour-gazette"') :]
    assert group.startswith('id="edition-2026-11-25-harbour-gazette">')
    assert 'href="/source/harbour-gazette.html"' in group[:300]
    entry = group[group.index('<article class="entry">') :]
    entry = entry[: entry.index("</article>")]
    assert "nasa-quiet-probe" in entry
    assert '<h4 class="entry__title">' in entry
    assert "Ola Berg" in entry
    assert '<time datetime="2026-11-25T15:00:00+00:00">' in entry
    assert '<span class="reading-time">1 min read</span>' in entry
    assert "The probe has gone quiet." in entry
    assert 'href="/tag/science.html"' in entry
    # Pelican fills in the site's AUTHOR for files without one: never shown as a byline.
    lichen = html[html.index("lichen-north-wall") :]
    lichen = lichen[: lichen.index("</article>")]
    assert "By Digest" not in lichen


def test_reading_time_comes_from_metadata_or_word_count(site: Path, tmp_path: Path) -> None:
    otters = read(site, "index.html")
    otters = otters[otters.index("otters-old-dock") :]
    assert '<span class="reading-time">7 min read</span>' in otters[: otters.index("</article>")]

    words = " ".join(["word"] * 1000)  # 1000 / 230 = 4.3: four minutes
    long = ARTICLES["lichen.html"].replace("A slow garden, one millimetre a year.", words)
    base = tmp_path
    (base / "content" / "digest").mkdir(parents=True)
    (base / "content" / "digest" / "long.html").write_text(long, encoding="utf-8")
    settings = read_settings(
        path=None,
        override={
            **SETTINGS,
            "PATH": str(base / "content"),
            "OUTPUT_PATH": str(base / "output"),
            "THEME": str(THEME),
            "CACHE_PATH": str(base / "cache"),
        },
    )
    Pelican(settings).run()
    page = read(base / "output", "2026/11/lichen-north-wall.html")
    assert '<span class="reading-time">4 min read</span>' in page


def test_week_editions(tmp_path: Path) -> None:
    site = build(tmp_path / "content", tmp_path / "output", DIGEST_EDITION="week")
    html = read(site, "index.html")
    # 23 November 2026 is the Monday of the week of all five articles.
    assert editions(html) == [("2026-11-23", "Week of 23 November 2026")]
    assert source_groups(html) == [
        ("Fieldnotes", ["otters-old-dock", "lichen-north-wall", "herons-return"]),
        ("Harbour Gazette", ["nasa-quiet-probe", "ministers-discuss-strait-crisis"]),
    ]
    # A week's entries carry their day.
    assert "25 November 2026, 16:00</time>" in html


def test_article_page(site: Path) -> None:
    html = read(site, "2026/11/ministers-discuss-strait-crisis.html")
    assert (
        'href="https://harbour-gazette.example/news/ministers-discuss-strait-crisis.html"' in html
    )
    assert "Read the original at Harbour Gazette" in html
    assert '<a href="https://harbour-gazette.example/" rel="external">Harbour Gazette</a>' in html
    assert "Mara Lind" in html
    assert 'class="updated"' in html  # modified differs from date
    assert 'href="/tag/diplomacy.html"' in html
    # Neighbours in the site's order: the NASA piece is newer, the lichen piece older.
    assert 'href="/2026/11/nasa-quiet-probe.html" rel="prev"' in html
    assert 'href="/2026/11/lichen-north-wall.html" rel="next"' in html


def test_article_page_lists_the_other_sources_of_the_story(site: Path) -> None:
    html = read(site, "2026/11/ministers-discuss-strait-crisis.html")
    also = html[html.index('class="also-in"') :].split("</p>")[0]
    assert f'<a href="{ALSO_URL}" rel="external">Coast Wire</a>' in also
    assert f'<a href="{FIELDNOTES}strait" rel="external">Fieldnotes</a>' in also
    assert 'class="also-in"' not in read(site, "2026/11/nasa-quiet-probe.html")


def test_article_page_lead_image_and_note(site: Path) -> None:
    html = read(site, "2026/11/herons-return.html")
    assert f'<img src="{LEAD_IMAGE}"' in html
    assert "The page could not be fetched; this is the feed&#39;s summary." in html
    assert 'class="updated"' not in html


def test_tags_index_lists_counts_sorted_by_name(site: Path) -> None:
    html = read(site, "tags.html")
    found = re.findall(
        r'<a href="/tag/([a-z]+)\.html">[^<]+</a>\s*<span class="count">(\d+) articles?</span>',
        html,
    )
    assert found == [
        ("diplomacy", "1"),
        ("nature", "2"),
        ("news", "2"),
        ("otters", "1"),
        ("science", "2"),
    ]


def test_tag_and_source_pages_and_their_feeds(site: Path) -> None:
    tag = read(site, "tag/science.html")
    assert "nasa-quiet-probe" in tag and "lichen-north-wall" in tag
    assert "herons-return" not in tag
    assert (
        '<link rel="alternate" type="application/atom+xml" href="/feeds/tag/science.atom.xml"'
        in tag
    )
    assert (site / "feeds/tag/science.atom.xml").is_file()

    source = read(site, "source/fieldnotes.html")
    assert "herons-return" in source and "nasa-quiet-probe" not in source
    assert 'href="/feeds/source/fieldnotes.atom.xml"' in source
    assert (site / "feeds/source/fieldnotes.atom.xml").is_file()

    sources = read(site, "categories.html")
    assert 'href="/source/fieldnotes.html"' in sources
    assert 'href="/feeds/source/harbour-gazette.atom.xml"' in sources


def test_every_page_links_the_site_feed_and_has_the_frame(site: Path) -> None:
    for page in site.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        name = page.relative_to(site)
        assert 'type="application/atom+xml" href="/feeds/all.atom.xml"' in html, name
        assert '<meta name="viewport"' in html, name
        assert 'href="#main"' in html and '<main id="main"' in html, name
        assert 'rel="icon"' in html, name
        assert 'href="/pages/about.html"' in html, name  # pages are in the nav


def test_archives_and_period_archives(site: Path) -> None:
    html = read(site, "archives.html")
    assert '<a href="/2026/11/">November 2026</a>' in html
    assert '<h2 id="year-2026"><a href="/2026/">2026</a></h2>' in html
    month = read(site, "2026/11/index.html")
    assert "Wednesday 25 November 2026" in month and "herons-return" in month
    assert "Not found" in read(site, "404.html")


def test_pagination_marks_an_edition_continued_from_the_page_before(tmp_path: Path) -> None:
    site = build(tmp_path / "content", tmp_path / "output", DEFAULT_PAGINATION=2)
    first, second, third = (read(site, p) for p in ("index.html", "index2.html", "index3.html"))
    assert 'href="/index2.html" rel="next">Older articles</a>' in first
    assert 'href="/index.html" rel="prev">Newer articles</a>' in second
    assert "page 2 of 3" in second
    # 25 November straddles pages 1 and 2, 24 November pages 2 and 3.
    assert editions(first) == [("2026-11-25", "Wednesday 25 November 2026")]
    assert editions(second) == [
        ("2026-11-25", "Wednesday 25 November 2026"),
        ("2026-11-24", "Tuesday 24 November 2026"),
    ]
    assert second.count('class="edition__continued"') == 1
    assert "continued" not in first
    assert editions(third) == [("2026-11-24", "Tuesday 24 November 2026")]
    assert third.count('class="edition__continued"') == 1
    assert "herons-return" in third and "herons-return" not in second


def test_typogrify_markup(site: Path) -> None:
    html = read(site, "2026/11/nasa-quiet-probe.html")
    title = html[html.index('<h1 class="article__title"') :]
    title = title[: title.index("</h1>")]
    assert '<span class="caps">NASA</span>' in title
    assert "&#8220;" in title or "\u201c" in title
    assert "&#8220;quiet, not lost&#8221;" in html or "\u201cquiet, not lost\u201d" in html


def test_stylesheet_is_copied_and_self_contained(site: Path) -> None:
    css = read(site, "theme/css/digest.css")
    assert "prefers-color-scheme: dark" in css
    assert "http" not in css and "@import" not in css and "@font-face" not in css
    assert (site / "theme/favicon.svg").is_file()
    assert 'href="/theme/css/digest.css"' in read(site, "index.html")


def test_no_third_party_urls_except_sources_and_originals(site: Path) -> None:
    allowed = {LEAD_IMAGE, LONG_URL, ALSO_URL, f"{FIELDNOTES}strait"}
    for text in ARTICLES.values():
        allowed.update(re.findall(r'name="(?:source_url|original_url)" content="([^"]+)"', text))
    for page in site.rglob("*.html"):
        for url in urls_in(page.read_text(encoding="utf-8")):
            if url.startswith(("http:", "https:", "//")):
                assert url in allowed, f"{page.relative_to(site)} references {url}"


def meta(html: str, key: str) -> list[str]:
    """The content of every <meta property=key> or <meta name=key>."""
    return re.findall(rf'<meta (?:property|name)="{re.escape(key)}" content="([^"]*)"', html)


def test_opengraph_and_twitter_meta(tmp_path: Path) -> None:
    site = build(tmp_path / "content", tmp_path / "output", SITEURL="https://digest.example/news")
    html = read(site, "2026/11/herons-return.html")
    assert meta(html, "og:type") == ["article"]
    assert meta(html, "og:title") == ["Herons return to the marsh"]
    assert meta(html, "og:description") == ["The first herons of the winter are back."]
    assert meta(html, "og:url") == ["https://digest.example/news/2026/11/herons-return.html"]
    assert meta(html, "og:image") == [LEAD_IMAGE]
    assert meta(html, "og:site_name") == ["Digest"]
    assert meta(html, "twitter:card") == ["summary_large_image"]
    assert meta(html, "article:published_time") == ["2026-11-24T07:15:00+00:00"]
    assert meta(html, "article:tag") == ["nature"]
    # The digest shows a copy: search engines are sent to the original.
    assert (
        '<link rel="canonical" href="https://fieldnotes.example/news/herons-return.html">' in html
    )

    nasa = read(site, "2026/11/nasa-quiet-probe.html")
    assert meta(nasa, "og:image") == [] and meta(nasa, "twitter:card") == ["summary"]
    assert meta(nasa, "og:title") == ["NASA and the \u201cquiet\u201d probe"]

    home = read(site, "index.html")
    assert meta(home, "og:type") == ["website"]
    assert meta(home, "og:url") == ["https://digest.example/news/"]
    assert '<link rel="canonical" href="https://digest.example/news/">' in home
    tag = read(site, "tag/nature.html")
    assert '<link rel="canonical" href="https://digest.example/news/tag/nature.html">' in tag


def test_local_lead_image_is_made_absolute_for_opengraph(tmp_path: Path) -> None:
    local = ARTICLES["herons.html"].replace(LEAD_IMAGE, "images/digest/heron.png")
    content = tmp_path / "content"
    (content / "digest").mkdir(parents=True)
    (content / "digest" / "herons.html").write_text(local, encoding="utf-8")
    settings = read_settings(
        path=None,
        override={
            **SETTINGS,
            "SITEURL": "https://digest.example",
            "PATH": str(content),
            "OUTPUT_PATH": str(tmp_path / "output"),
            "THEME": str(THEME),
            "CACHE_PATH": str(tmp_path / "cache"),
        },
    )
    Pelican(settings).run()
    html = read(tmp_path / "output", "2026/11/herons-return.html")
    assert meta(html, "og:image") == ["https://digest.example/images/digest/heron.png"]
    assert '<img src="https://digest.example/images/digest/heron.png"' in html


def test_search_page_works_without_javascript_and_loads_pagefind(site: Path) -> None:
    html = read(site, "search.html")
    assert '<div id="search" class="search"' in html
    assert '<script src="/pagefind/pagefind-ui.js" defer></script>' in html
    assert '<link rel="stylesheet" href="/pagefind/pagefind-ui.css">' in html
    assert '<script src="/theme/js/search.js" defer></script>' in html
    fallback = html[html.index('id="search-fallback"') :].split("</div>")[0]
    assert "needs JavaScript" in fallback
    for href in ("/tags.html", "/categories.html", "/archives.html"):
        assert f'href="{href}"' in fallback
    assert (site / "theme/js/search.js").is_file()
    assert 'href="/search.html"' in read(site, "index.html")  # in the site's navigation
    # Only article and page bodies are indexed: lists would repeat every article.
    assert "data-pagefind-body" in read(site, "2026/11/herons-return.html")
    assert "data-pagefind-body" in read(site, "pages/about.html")
    for page in ("index.html", "tags.html", "tag/nature.html", "search.html", "archives.html"):
        assert "data-pagefind-body" not in read(site, page), page


def test_no_search_link_when_the_site_has_no_search_page(tmp_path: Path) -> None:
    templates = ["index", "tags", "categories", "archives", "404"]
    site = build(tmp_path / "content", tmp_path / "output", DIRECT_TEMPLATES=templates)
    assert not (site / "search.html").exists()
    assert "search.html" not in read(site, "index.html")
    assert "search.html" not in read(site, "404.html")


def test_about_page_lists_the_sources(site: Path) -> None:
    html = read(site, "pages/about.html")
    assert "What this digest is." in html
    part = html[html.index('class="about-sources"') :]
    names = re.findall(r'<a href="/source/([a-z-]+)\.html">([^<]+)</a>', part)
    assert names == [("fieldnotes", "Fieldnotes"), ("harbour-gazette", "Harbour Gazette")]
    assert f'<a href="{GAZETTE}" rel="external">harbour-gazette.example</a>' in part
    assert '<span class="count">3 articles</span>' in part  # Fieldnotes
    # Its menu label, in the navigation of every page.
    assert '<a href="/pages/about.html" aria-current="page">About us</a>' in html
    assert '<a href="/pages/about.html">About us</a>' in read(site, "index.html")


def test_sources_index_links_each_site_and_counts_articles(site: Path) -> None:
    html = read(site, "categories.html")
    gazette = html[html.index('href="/source/harbour-gazette.html"') :].split("</li>")[0]
    assert '<span class="count">2 articles</span>' in gazette
    assert f'<a class="source__site" href="{GAZETTE}" rel="external">harbour-gazette.example' in (
        gazette
    )


def test_not_found_page_links_from_the_site_root(tmp_path: Path) -> None:
    # With relative URLs every other page links relatively; 404.html is shown at any address,
    # so it links from the root instead.
    site = build(tmp_path / "content", tmp_path / "output", RELATIVE_URLS=True)
    html = read(site, "404.html")
    assert '<link rel="stylesheet" href="/theme/css/digest.css">' in html
    assert '<a href="/tags.html">All tags</a>' in html
    assert '<meta name="robots" content="noindex">' in html
    assert 'rel="canonical"' not in html
    assert 'href="../tags.html"' in read(site, "tag/nature.html")


def test_not_found_page_under_a_sub_path(tmp_path: Path) -> None:
    site = build(tmp_path / "content", tmp_path / "output", SITEURL="https://x.example/digest")
    html = read(site, "404.html")
    assert 'href="https://x.example/digest/theme/css/digest.css"' in html
    assert '<a href="https://x.example/digest/tags.html">All tags</a>' in html
