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
    "DIRECT_TEMPLATES": ["index", "tags", "categories", "archives", "404"],
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
}

ABOUT = (
    '<html><head><title>About</title><meta name="slug" content="about"></head>'
    "<body><p>What this digest is.</p></body></html>\n"
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


def test_home_groups_articles_by_day(site: Path) -> None:
    html = read(site, "index.html")
    headings = re.findall(
        r'<h2 class="day__heading"[^>]*>\s*<time datetime="([^"]+)">([^<]+)<', html
    )
    assert headings == [
        ("2026-11-25", "Wednesday 25 November 2026"),
        ("2026-11-24", "Tuesday 24 November 2026"),
    ]
    # Newest first, each under its own day.
    order = [html.index(s) for s in ("nasa-quiet-probe", "ministers-discuss", "lichen", "herons")]
    assert order == sorted(order)
    assert html.index("Tuesday 24 November") < html.index("lichen-north-wall")


def test_home_entry_has_source_link_author_time_summary_and_tags(site: Path) -> None:
    html = read(site, "index.html")
    entry = html[html.index('<article class="entry">') :]
    entry = entry[: entry.index("</article>")]
    assert 'href="/source/harbour-gazette.html"' in entry
    assert "Ola Berg" in entry
    assert '<time datetime="2026-11-25T15:00:00+00:00">' in entry
    assert "The probe has gone quiet." in entry
    assert 'href="/tag/science.html"' in entry
    # Pelican fills in the site's AUTHOR for files without one: never shown as a byline.
    lichen = html[html.index("lichen-north-wall") :]
    lichen = lichen[: lichen.index("</article>")]
    assert "By Digest" not in lichen


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
    assert found == [("diplomacy", "1"), ("nature", "2"), ("news", "2"), ("science", "2")]


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
    month = read(site, "2026/11/index.html")
    assert "Wednesday 25 November 2026" in month and "herons-return" in month
    assert "Not found" in read(site, "404.html")


def test_pagination_keeps_day_groups(tmp_path: Path) -> None:
    site = build(tmp_path / "content", tmp_path / "output", DEFAULT_PAGINATION=3)
    first = read(site, "index.html")
    second = read(site, "index2.html")
    assert 'href="/index2.html" rel="next">Older articles</a>' in first
    assert 'href="/index.html" rel="prev">Newer articles</a>' in second
    assert "Page 2 of 2" in second
    # The day that straddles the page break gets its heading again on the next page.
    assert "Tuesday 24 November 2026" in first and "Tuesday 24 November 2026" in second
    assert "herons-return" in second and "herons-return" not in first


def test_typogrify_markup(site: Path) -> None:
    html = read(site, "2026/11/nasa-quiet-probe.html")
    title = html[html.index('<h1 class="article__title">') :]
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
