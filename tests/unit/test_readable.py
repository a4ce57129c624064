"""readable.py: an article set out as blocks in separate wrappers is taken whole."""

from __future__ import annotations

from pathlib import Path

import lxml.html
import pytest
from readability import Document

from digest.extract import extract_article, parse_page
from digest.readable import ArticleDocument, shared_ancestor

TOPICS = ("harbour", "ferry", "timetable", "pier")


def block(topic: str, copy: str = "copy", paragraphs: int = 3) -> str:
    """One piece of the story: paragraphs of about the same weight, nested twice."""
    text = "".join(
        f"<p>Part {n} on the {topic}: the council met the operators on Monday, and they agreed "
        f"that the {topic} works would start in spring, once the funding, the permits and the "
        f"contractors were in place, with the town's residents told well ahead.</p>"
        for n in range(paragraphs)
    )
    inner = f'<div class="{copy}">{text}</div>'
    return f'<section class="col"><div class="frame">{inner}</div></section>'


def page_of(blocks: list[str]) -> str:
    """A story of these blocks, cut apart by advertisements, inside navigation and a footer."""
    story = "<aside><a href='/ad'>An advertisement</a></aside>".join(blocks)
    return (
        "<html><head><title>Works at the harbour</title></head><body>"
        "<nav><a href='/'>Home</a> <a href='/news'>News</a> <a href='/sport'>Sport</a></nav>"
        f'<div class="story">{story}</div>'
        "<footer><a href='/about'>About</a> <a href='/contact'>Contact</a></footer>"
        "</body></html>"
    )


def split_page(pieces: int, copy: str = "copy") -> str:
    """A story cut into `pieces` blocks of equal weight."""
    return page_of([block(topic, copy) for topic in TOPICS[:pieces]])


def topics_in(html: str) -> set[str]:
    """Which pieces of the story an extracted article holds."""
    return {topic for topic in TOPICS if f"on the {topic}:" in html}


def test_readability_alone_keeps_one_piece() -> None:
    """The failure the subclass exists for, so the next test shows a real difference."""
    assert len(topics_in(Document(split_page(4)).summary(html_partial=True))) == 1


def test_all_pieces_are_kept() -> None:
    summary = ArticleDocument(split_page(4)).summary(html_partial=True)
    assert topics_in(summary) == set(TOPICS)
    assert "Home" not in summary  # the shared ancestor is the story, not the page
    assert "About" not in summary


def test_extract_article_keeps_all_pieces() -> None:
    article = extract_article(split_page(4), "https://town.example.org/harbour")
    assert topics_in(article.html) == set(TOPICS)
    assert "Contact" not in article.text


def test_two_close_pieces_are_not_enough() -> None:
    """Readability.js asks for three close candidates besides the best before widening."""
    page = split_page(3)
    assert ArticleDocument(page).summary(html_partial=True) == Document(page).summary(
        html_partial=True
    )


def test_a_far_weaker_piece_is_not_close() -> None:
    """Three pieces and a one-paragraph one: only two candidates score near the best."""
    page = page_of([block(topic) for topic in TOPICS[:3]] + [block(TOPICS[3], paragraphs=1)])
    assert topics_in(page) == set(TOPICS)
    ours = ArticleDocument(page).summary(html_partial=True)
    assert ours == Document(page).summary(html_partial=True)
    assert len(topics_in(ours)) == 1


def test_segments_readability_merges_are_left_to_it() -> None:
    """Blocks with a content class are merged by readability-lxml; no ancestor is taken then."""
    page = split_page(4, copy="article-body")
    ours = ArticleDocument(page).summary(html_partial=True)
    assert ours == Document(page).summary(html_partial=True)


def test_shared_ancestor_is_the_nearest_holding_three() -> None:
    root = lxml.html.fromstring(
        "<html><body><div id='outer'><div id='inner'>"
        "<p id='best'>b</p><p id='one'>1</p><p id='two'>2</p></div><p id='three'>3</p>"
        "</div></body></html>"
    )
    found = {name: root.get_element_by_id(name) for name in ("best", "one", "two", "three")}
    others = [found["one"], found["two"], found["three"]]
    assert shared_ancestor(found["best"], others).get("id") == "outer"
    assert shared_ancestor(found["best"], others[:2]) is None


def test_shared_ancestor_stops_below_body() -> None:
    root = lxml.html.fromstring(
        "<html><body><div><p id='best'>b</p></div><p>1</p><p>2</p><p>3</p></body></html>"
    )
    others = [p for p in root.iter("p") if p.get("id") != "best"]
    assert shared_ancestor(root.get_element_by_id("best"), others) is None


def test_second_try_starts_from_the_page() -> None:
    """A page too short for the ruthless try: the lenient one must see every element again."""
    root = lxml.html.document_fromstring(
        "<html><body><ol><li><p>The pier reopens on Monday after the storm repairs, the "
        "harbour master said.</p></li></ol></body></html>"
    )
    summary = ArticleDocument(root).summary(html_partial=True)
    assert "The pier reopens on Monday" in summary
    assert "The pier reopens" in root.text_content()  # the caller's tree is left as it was


def test_a_parsed_page_skips_the_unsafe_markup_pass(monkeypatch) -> None:
    """The cleaner readability-lxml runs for safety is not run (nh3 does that job later), while
    what it took out for scoring still goes."""
    import readability.readability as readability_module

    def fail(_doc: object) -> None:
        raise AssertionError("lxml_html_clean ran")

    monkeypatch.setattr(readability_module.html_cleaner, "clean_html", fail)
    page = split_page(4).replace(
        "<nav>", "<script>var pier = 1;</script><style>p{}</style><!-- note --><nav>"
    )
    summary = ArticleDocument(lxml.html.document_fromstring(page)).summary(html_partial=True)
    assert topics_in(summary) == set(TOPICS)
    assert "var pier" not in summary and "note" not in summary and "style" not in summary


FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


class ReadabilitysOwnSteps(ArticleDocument):
    """ArticleDocument with readability-lxml's own versions of the two steps it speeds up."""

    remove_unlikely_candidates = Document.remove_unlikely_candidates
    get_link_density = Document.get_link_density


@pytest.mark.parametrize(
    "page",
    sorted((FIXTURES / "appeals").rglob("*.html")) + sorted((FIXTURES / "pages").glob("*.html")),
    ids=lambda path: path.name,
)
def test_the_faster_steps_decide_as_readabilitys_own(page: Path) -> None:
    html = page.read_bytes()
    ours = ArticleDocument(parse_page(html, "https://example.org/a")).summary(html_partial=True)
    theirs = ReadabilitysOwnSteps(parse_page(html, "https://example.org/a")).summary(
        html_partial=True
    )
    assert ours == theirs


def test_link_density_counts_links_inside_only() -> None:
    """As readability-lxml: an element's own <a> tag is not a link inside it."""
    root = lxml.html.fromstring(
        "<div><a href='/x'>A link   that  is\\n the whole\\tblock</a>"
        "<p>Text <a href='/y'>one link</a> and more text.</p></div>"
    )
    document = ArticleDocument(root)
    for element in root.iter():
        assert document.get_link_density(element) == pytest.approx(
            Document.get_link_density(document, element)
        )


def test_an_unlikely_name_around_the_article_tag_is_kept() -> None:
    """A wrapper named like furniture ("sidebar") that holds an <article> is not dropped, so
    the longer story in it wins over a shorter one elsewhere on the page."""
    story = block("harbour", paragraphs=4)
    story = story.replace('<section class="col">', "<article>").replace("</section>", "</article>")
    page = (
        f'<html><body><div class="sidebar">{story}</div>'
        f"<div>{block('ferry', paragraphs=2)}</div></body></html>"
    )
    summary = ArticleDocument(lxml.html.document_fromstring(page)).summary(html_partial=True)
    assert "harbour" in topics_in(summary)
