"""Extraction: page metadata, the readable body, and appeals taken out before and after."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from digest.errors import ExtractError
from digest.extract import (
    clean_title,
    decode_page,
    extract_article,
    extract_from_feed_content,
    extracted_html,
    parse_date,
)

PAGES = Path(__file__).resolve().parents[1] / "fixtures" / "pages"
URL = "https://paper.example.com/politics/2024/05/budget-vote?utm_source=rss"

BODY = (
    "<p>The finance committee approved the spring budget on Wednesday after a session that "
    "lasted well past midnight and ended with a narrow vote of nine to eight.</p>"
    "<p>The budget raises spending on school buildings by twelve percent and freezes the "
    "council's own administrative costs for a second year in a row.</p>"
    "<p>The opposition said it would challenge two of the amendments in the full assembly "
    "next month, arguing that they had not been costed properly.</p>"
)


def page(head: str, body: str = BODY) -> str:
    """A page with the given <head> content and an ordinary article body."""
    return f"<!DOCTYPE html><html><head>{head}</head><body><article>{body}</article></body></html>"


def ld(obj: object) -> str:
    """A JSON-LD script element."""
    return f'<script type="application/ld+json">{json.dumps(obj)}</script>'


def flat(text: str) -> str:
    """Whitespace collapsed."""
    return " ".join(text.split())


# ---------------------------------------------------------------------------------------------
# Metadata: which source wins
# ---------------------------------------------------------------------------------------------


def test_json_ld_comes_before_opengraph_and_opengraph_before_meta() -> None:
    head = (
        "<title>Budget passes | The Paper</title>"
        '<meta property="og:title" content="OG: budget passes after long night">'
        '<meta name="description" content="meta description">'
        '<meta property="og:description" content="og description">'
        '<meta name="author" content="Meta Author">'
        + ld(
            {
                "@context": "https://schema.org",
                "@type": "NewsArticle",
                "headline": "Spring budget passes by one vote",
                "description": "ld description",
                "author": [{"@type": "Person", "name": "Ana Ruiz"}, {"name": "Ben Ode"}],
                "datePublished": "2024-05-08T23:50:00+02:00",
                "dateModified": "2024-05-09T08:00:00+02:00",
            }
        )
    )
    article = extract_article(page(head), URL)
    assert article.title == "Spring budget passes by one vote"
    assert article.byline == "Ana Ruiz, Ben Ode"
    assert article.description == "og description"
    assert article.published == datetime(2024, 5, 8, 23, 50, tzinfo=timezone(timedelta(hours=2)))
    assert article.modified == datetime(2024, 5, 9, 8, 0, tzinfo=timezone(timedelta(hours=2)))


def test_opengraph_when_there_is_no_json_ld() -> None:
    head = (
        "<title>Budget passes | The Paper</title>"
        '<meta property="og:title" content="Budget passes after a long night">'
        '<meta property="og:site_name" content="The Paper">'
        '<meta property="og:image" content="/img/budget.jpg?utm_campaign=x">'
        '<meta property="og:url" content="https://paper.example.com/b">'
        '<meta property="article:published_time" content="2024-05-09T06:00:00Z">'
        '<meta property="article:modified_time" content="2024-05-09T09:30:00Z">'
        '<meta property="article:author" content="https://paper.example.com/staff/ana">'
        '<meta name="author" content="Ana Ruiz">'
    )
    article = extract_article(page(head), URL)
    assert article.title == "Budget passes after a long night"
    assert article.site_name == "The Paper"
    assert article.lead_image == "https://paper.example.com/img/budget.jpg"
    assert article.canonical_url == "https://paper.example.com/b"
    assert article.published == datetime(2024, 5, 9, 6, 0, tzinfo=UTC)
    assert article.modified == datetime(2024, 5, 9, 9, 30, tzinfo=UTC)
    assert article.byline == "Ana Ruiz"


def test_twitter_card_when_there_is_no_opengraph() -> None:
    head = (
        '<meta name="twitter:title" content="Budget: the night in numbers">'
        '<meta name="twitter:description" content="Nine votes to eight.">'
        '<meta name="twitter:image" content="https://img.example.net/t.jpg">'
    )
    article = extract_article(page(head), URL)
    assert article.title == "Budget: the night in numbers"
    assert article.description == "Nine votes to eight."
    assert article.lead_image == "https://img.example.net/t.jpg"


def test_title_tag_when_nothing_else_with_site_suffix_stripped() -> None:
    article = extract_article(
        page("<title>Spring budget passes by one vote | The Paper</title>"), URL
    )
    assert article.title == "Spring budget passes by one vote"


def test_first_h1_when_there_is_no_title_at_all() -> None:
    body = "<h1>Budget approved</h1>" + BODY
    article = extract_article(page("", body), URL)
    assert article.title == "Budget approved"
    assert "Budget approved" not in article.text


def test_json_ld_graph_with_references() -> None:
    head = ld(
        {
            "@context": "https://schema.org",
            "@graph": [
                {"@type": "WebSite", "@id": "#site", "name": "The Paper Online"},
                {"@type": "NewsMediaOrganization", "@id": "#org", "name": "The Paper"},
                {"@type": "Person", "@id": "#ana", "name": "Ana Ruiz"},
                {
                    "@type": ["NewsArticle", "ReportageNewsArticle"],
                    "headline": "Budget passes",
                    "author": {"@id": "#ana"},
                    "publisher": {"@id": "#org"},
                    "datePublished": "2024-05-09",
                    "image": [{"@type": "ImageObject", "url": "/img/ld.jpg"}],
                    "mainEntityOfPage": {"@id": "https://paper.example.com/ld-canonical"},
                },
            ],
        }
    )
    article = extract_article(page(head), URL)
    assert article.title == "Budget passes"
    assert article.byline == "Ana Ruiz"
    assert article.site_name == "The Paper"
    assert article.published == datetime(2024, 5, 9, tzinfo=UTC)
    assert article.lead_image == "https://paper.example.com/img/ld.jpg"
    assert article.canonical_url == "https://paper.example.com/ld-canonical"


def test_blog_posting_with_plain_string_author() -> None:
    head = ld({"@type": "BlogPosting", "headline": "Notes", "author": "Kit Marlowe"})
    article = extract_article(page(head), URL)
    assert (article.title, article.byline) == ("Notes", "Kit Marlowe")


def test_broken_json_ld_is_skipped() -> None:
    head = (
        '<script type="application/ld+json">{"@type": "NewsArticle", "headline": </script>'
        '<meta property="og:title" content="Still has a title">'
    )
    assert extract_article(page(head), URL).title == "Still has a title"


def test_canonical_link_is_absolute_and_untracked() -> None:
    head = '<link rel="canonical" href="/politics/budget?utm_source=twitter&amp;page=1">'
    article = extract_article(page(head), URL)
    assert article.canonical_url == "https://paper.example.com/politics/budget?page=1"


def test_unreadable_dates_are_none() -> None:
    head = '<meta property="article:published_time" content="last Tuesday-ish">'
    assert extract_article(page(head), URL).published is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-05-09T10:00:00+03:00", datetime(2024, 5, 9, 7, 0, tzinfo=UTC)),
        ("2024-05-09T10:00:00Z", datetime(2024, 5, 9, 10, 0, tzinfo=UTC)),
        ("2024-05-09 10:00", datetime(2024, 5, 9, 10, 0, tzinfo=UTC)),
        ("Thu, 09 May 2024 10:00:00 GMT", datetime(2024, 5, 9, 10, 0, tzinfo=UTC)),
    ],
)
def test_parse_date_is_timezone_aware(value: str, expected: datetime) -> None:
    parsed = parse_date(value)
    assert parsed is not None
    assert parsed.tzinfo is not None
    assert parsed == expected


@pytest.mark.parametrize("value", [None, "", "   ", "not a date"])
def test_parse_date_gives_none_for_nothing(value: str | None) -> None:
    assert parse_date(value) is None


@pytest.mark.parametrize(
    ("title", "site", "expected"),
    [
        ("Budget passes | The Paper", "", "Budget passes"),
        ("Budget passes by one vote - The Daily Paper", "", "Budget passes by one vote"),
        ("The Paper - Budget passes by one vote", "The Paper", "Budget passes by one vote"),
        ("Budget passes by one vote :: Media Desk", "", "Budget passes by one vote"),
        ("Ukraine talks - live updates", "", "Ukraine talks - live updates"),
        ("Budget passes", "The Paper", "Budget passes"),
        ("  Budget   passes |  x  ", "", "Budget passes"),
        ("Q&A | Housing", "", "Q&A | Housing"),
    ],
)
def test_clean_title(title: str, site: str, expected: str) -> None:
    assert clean_title(title, site) == expected


# ---------------------------------------------------------------------------------------------
# Bytes in
# ---------------------------------------------------------------------------------------------


def test_bytes_with_declared_charset() -> None:
    text = (
        '<html><head><meta charset="windows-1251"><title>Бюджет принят</title></head><body>'
        "<p>Городской совет утвердил бюджет на следующий год после долгого обсуждения "
        "поправок, которые касались ремонта школ и новых автобусных маршрутов.</p>"
        "<p>Расходы на образование вырастут на двенадцать процентов, а административные "
        "расходы останутся на уровне прошлого года.</p></body></html>"
    )
    article = extract_article(text.encode("cp1251"), URL)
    assert article.title == "Бюджет принят"
    assert "Городской совет утвердил бюджет" in article.text


def test_decode_page_without_declaration() -> None:
    assert decode_page("café".encode()) == "café"
    assert decode_page("café".encode("cp1252")) == "café"
    assert decode_page(b"\xef\xbb\xbf<p>x</p>") == "<p>x</p>"


# ---------------------------------------------------------------------------------------------
# The body
# ---------------------------------------------------------------------------------------------


def test_leading_heading_equal_to_title_is_dropped_others_kept() -> None:
    body = (
        "<h1>Budget passes</h1>" + BODY + "<h2>What happens next</h2><p>" + "More. " * 20 + "</p>"
    )
    article = extract_article(page('<meta property="og:title" content="Budget passes">', body), URL)
    assert "<h2>What happens next</h2>" in article.html
    assert "Budget passes" not in article.html
    assert "<h1" not in article.html


def test_body_is_sanitized_and_absolute() -> None:
    body = BODY + '<p>Read <a href="/docs/budget.pdf?utm_source=x" onclick="t()">the plan</a>.</p>'
    article = extract_article(page("<title>T</title>", body), URL)
    assert 'href="https://paper.example.com/docs/budget.pdf"' in article.html
    assert "onclick" not in article.html
    assert article.text.startswith("The finance committee approved")


def test_appeals_go_before_and_after_readability() -> None:
    banner = (
        '<div class="b1"><p>Our journalism depends on you. Please support us with a monthly '
        "donation today.</p><p><a href='/d'>Donate</a></p></div>"
    )
    inline = (
        "<p>Enjoying this story? Subscribe to our newsletter and get the morning briefing "
        "in your inbox.</p>"
    )
    html = (
        f"<html><head><title>Budget</title></head><body>{banner}<div class='a'>{BODY}{inline}"
        "</div></body></html>"
    )
    article = extract_article(html, URL)
    assert "support us" not in article.text
    assert "newsletter" not in article.text
    assert "The opposition said it would challenge" in article.text
    rules = [r.rule for r in article.removed]
    assert "text:en:pitch" in rules
    assert "text:en:newsletter" in rules


def test_links_follow_the_pages_base_href() -> None:
    head = '<title>T</title><base href="https://cdn.paper.example/archive/">'
    body = BODY + '<p>Read <a href="plan.pdf">the plan</a> and <a href="/x">more</a>.</p>'
    article = extract_article(page(head, body), URL)
    assert 'href="https://cdn.paper.example/archive/plan.pdf"' in article.html
    assert 'href="https://cdn.paper.example/x"' in article.html


# ---------------------------------------------------------------------------------------------
# Byline and dateline lines at the top of the body
# ---------------------------------------------------------------------------------------------

META_HEAD = (
    '<meta name="author" content="Callum Drysdale">'
    '<meta property="article:published_time" content="2026-11-26T21:30:00+01:00">'
)


def top_lines(*lines: str) -> str:
    """A body that starts with the given lines."""
    return "".join(f"<p>{line}</p>" for line in lines) + BODY


@pytest.mark.parametrize(
    "lines",
    [
        ("By Callum Drysdale", "26 November 2026, 21:30 · Updated 22:15"),
        ('By <a href="/a/cd">Callum Drysdale</a> &middot; 26 Nov 2026',),
        ("<time datetime='2026-11-26'>Thursday 26 November 2026</time>",),
        ("Published 2026-11-26 21:30 UTC", "Callum Drysdale"),
        ("Updated on November 27th, 2026 at 9:05 am",),
        ("26.11.2026",),
    ],
)
def test_leading_byline_and_date_lines_are_dropped(lines: tuple[str, ...]) -> None:
    article = extract_article(page(META_HEAD, top_lines(*lines)), URL)
    assert article.text.startswith("The finance committee approved")
    kinds = [r.rule for r in article.removed if r.rule.startswith("meta:")]
    assert len(kinds) == len(lines)
    assert set(kinds) <= {"meta:byline", "meta:dateline"}


def test_byline_and_dateline_in_one_header_block() -> None:
    header = (
        "<header><h1>Budget passes</h1><p class='by'>By Callum Drysdale</p>"
        "<div><span>26 November 2026</span> <span>21:30</span></div></header>"
    )
    head = META_HEAD + '<meta property="og:title" content="Budget passes">'
    article = extract_article(page(head, header + BODY), URL)
    assert article.text.startswith("The finance committee approved")


@pytest.mark.parametrize(
    "line",
    [
        "By Someone Else",  # not the extracted byline
        "By the harbour wall",
        "Updated 22 November: added the washing notes.",
        "In 2026",
        "Callum Drysdale reports from the town hall, where the vote ended after midnight.",
        "By 5am water had topped the old harbour wall near the lifeboat station.",
        "12",
    ],
)
def test_other_short_lines_at_the_top_stay(line: str) -> None:
    article = extract_article(page(META_HEAD, top_lines(line)), URL)
    assert flat(article.text).startswith(flat(line))
    assert not any(r.rule.startswith("meta:") for r in article.removed)


def test_only_the_very_top_is_looked_at() -> None:
    body = BODY + "<p>By Callum Drysdale</p><p>26 November 2026</p>"
    article = extract_article(page(META_HEAD, body), URL)
    assert flat(article.text).endswith("By Callum Drysdale 26 November 2026")


def test_a_picture_ends_the_top() -> None:
    body = (
        '<figure><img src="/p.jpg" width="800" height="500"><figcaption>The chamber.'
        "</figcaption></figure><p>By Callum Drysdale</p>" + BODY
    )
    article = extract_article(page(META_HEAD, body), URL)
    assert "By Callum Drysdale" in article.text


def test_a_byline_without_a_known_author_stays() -> None:
    head = '<meta property="article:published_time" content="2026-11-26T21:30:00+01:00">'
    article = extract_article(page(head, top_lines("By Callum Drysdale", "26 Nov 2026")), URL)
    assert article.text.startswith("By Callum Drysdale")


def test_extract_article_without_site_rules_is_unchanged() -> None:
    html = page("<title>T</title>")
    assert extract_article(html, URL).html == extract_article(html, URL, site_rules=None).html


@pytest.mark.parametrize(
    "html",
    [b"", b"   ", "<html><head><title>Empty</title></head><body><div></div></body></html>"],
)
def test_no_article_raises_extract_error_naming_the_url(html: str | bytes) -> None:
    with pytest.raises(ExtractError, match=r"paper\.example\.com"):
        extract_article(html, URL)


def test_page_of_nothing_but_an_appeal_raises() -> None:
    html = (
        "<html><body><div><p>Please support us: your donation keeps our journalism free for "
        "everyone who reads it.</p><p>Donate</p></div></body></html>"
    )
    with pytest.raises(ExtractError):
        extract_article(html, URL)


def test_extracted_html_is_the_article_html() -> None:
    assert extracted_html(page("<title>T</title>"), URL) == extract_article(page(""), URL).html


# ---------------------------------------------------------------------------------------------
# Feed content
# ---------------------------------------------------------------------------------------------


def test_feed_content_is_cleaned_and_sanitized_without_readability() -> None:
    html = (
        "<p>Short item.</p><script>x()</script>"
        "<p>If you like this blog, please consider supporting it with a small monthly "
        "donation.</p>"
    )
    article = extract_from_feed_content(html, "https://blog.example/post/1")
    assert article.html == "<p>Short item.</p>"
    assert article.text == "Short item."
    assert article.removed[0].rule == "text:en:pitch"
    assert article.title == ""


def test_empty_feed_content_gives_an_empty_article() -> None:
    article = extract_from_feed_content("", "https://blog.example/post/1")
    assert (article.html, article.text, article.removed) == ("", "", [])


# ---------------------------------------------------------------------------------------------
# Golden pages, end to end
# ---------------------------------------------------------------------------------------------


def golden_cases() -> list[str]:
    """Names of the fixture pages (NAME.html + NAME.json)."""
    return sorted(p.stem for p in PAGES.glob("*.json"))


@pytest.mark.parametrize("name", golden_cases())
def test_golden_page_extract(name: str) -> None:
    spec = json.loads((PAGES / f"{name}.json").read_text(encoding="utf-8"))
    html = (PAGES / f"{name}.html").read_text(encoding="utf-8")
    if spec.get("mode") == "feed":
        article = extract_from_feed_content(html, spec["url"])
    else:
        article = extract_article(html.encode("utf-8"), spec["url"])
        assert article.title == spec["title"]
    text, position = flat(article.text), 0
    for paragraph in spec["keep"]:
        found = text.find(flat(paragraph), position)
        assert found >= 0, f"lost or out of order: {paragraph[:70]!r}"
        position = found + 1
    for sentence in spec["remove"]:
        assert flat(sentence) not in text, f"appeal left: {sentence[:70]!r}"
    # Byline and dateline lines at the top that the page's metadata already gives.
    for line in spec.get("meta_lines", []):
        assert flat(line) not in text, f"byline or dateline left: {line!r}"
    assert "<script" not in article.html
    assert " class=" not in article.html
