"""The demo site in a real browser: screenshots, accessibility, layout at 360 px, search.

Screenshots go to docs/screenshots/ (or DIGEST_SCREENSHOTS, when set), at 1280 and 360 px.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from .conftest import ROOT, Opener, Site, Tab

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(os.environ.get("DIGEST_SCREENSHOTS") or ROOT / "docs" / "screenshots")
ARTICLE = "2026/11/kestrian-and-valmoran-foreign-ministers-discuss-serrat-strait-crisis.html"
ARTICLE_TITLE = "Kestrian and Valmoran Foreign Ministers Discuss Serrat Strait Crisis"
WORD = "Brannigan"  # in the strait-crisis article and in no other
PAGES = {
    "home": "",
    "article": ARTICLE,
    "tag": "tag/nature.html",
    "search": "search.html",
}
MORE_PAGES = {
    "sources": "categories.html",
    "source": "source/harbour-gazette.html",
    "tags": "tags.html",
    "archives": "archives.html",
    "month": "2026/11/",
    "about": "pages/about.html",
    "not-found": "no/such/page.html",
}
WIDTHS = (1280, 360)


def search_for(tab: Tab, word: str) -> list[str]:
    """Type a word into Pagefind's search box as a reader would; the result links' addresses."""
    box = tab.page.locator(".pagefind-ui__search-input")
    box.wait_for(state="visible")
    box.press_sequentially(word, delay=40)
    tab.page.locator(".pagefind-ui__result-link").first.wait_for(state="visible")
    tab.page.wait_for_load_state("networkidle")
    return [
        href
        for href in tab.page.locator(".pagefind-ui__result-link").evaluate_all(
            "links => links.map(a => a.href)"
        )
    ]


def open_ready(open_page: Opener, site: Site, name: str, width: int, dark: bool = False) -> Tab:
    """A page of PAGES or MORE_PAGES, loaded; the search page with results for WORD."""
    path = {**PAGES, **MORE_PAGES}[name]
    status = 404 if name == "not-found" else 200
    tab = open_page(site.url(path), width=width, dark=dark, expect_status=status)
    if name == "search":
        search_for(tab, WORD)
    return tab


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", PAGES)
def test_screenshot(published: Site, open_page: Opener, name: str, width: int) -> None:
    tab = open_ready(open_page, published, name, width)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    tab.page.screenshot(path=SCREENSHOTS / f"{name}-{width}.png", animations="disabled")
    assert tab.problems() == []


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
@pytest.mark.parametrize("name", [*PAGES, *MORE_PAGES])
def test_no_serious_accessibility_violations(
    published: Site, open_page: Opener, name: str, dark: bool
) -> None:
    from axe_playwright_python.sync_playwright import Axe

    tab = open_ready(open_page, published, name, 1280, dark=dark)
    results = Axe().run(tab.page)
    serious = [
        f"{v['id']} ({v['impact']}): {v['help']} at "
        + ", ".join(str(node["target"]) for node in v["nodes"][:5])
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert serious == []
    assert tab.problems() == []


@pytest.mark.parametrize("width", [360, 320])
@pytest.mark.parametrize("name", [*PAGES, *MORE_PAGES])
def test_no_horizontal_scrolling_on_a_phone(
    published: Site, open_page: Opener, name: str, width: int
) -> None:
    tab = open_ready(open_page, published, name, width)
    scroll_width, inner_width = tab.page.evaluate(
        "[document.scrollingElement.scrollWidth, window.innerWidth]"
    )
    assert scroll_width <= inner_width, f"{name} is {scroll_width}px wide at {width}px"
    assert tab.problems() == []


@pytest.mark.parametrize("where", ["published", "preview"])
def test_search_finds_the_article(
    request: pytest.FixtureRequest, open_page: Opener, where: str
) -> None:
    site: Site = request.getfixturevalue(where)
    tab = open_page(site.url("search.html"))
    assert tab.page.locator("#search-fallback").is_hidden()
    links = search_for(tab, WORD)
    assert links == [site.url(ARTICLE)]
    tab.page.locator(".pagefind-ui__result-link").first.click()
    tab.page.wait_for_url(site.url(ARTICLE))
    assert tab.page.locator("h1").inner_text().replace("\xa0", " ") == ARTICLE_TITLE
    assert tab.problems() == []


def result_count(tab: Tab, word: str) -> int:
    """How many pages Pagefind's UI says it found for a word."""
    search_for(tab, word)
    message = tab.page.locator(".pagefind-ui__message").inner_text()
    found = re.search(r"(\d+) results?", message)
    assert found, message
    return int(found.group(1))


def test_a_sharded_index_finds_what_the_whole_one_does(
    preview: Site, sharded: Site, open_page: Opener
) -> None:
    """Three bundles merged in the browser: as many results as one bundle of every page."""
    shards = json.loads((sharded.output / "pagefind-shards.json").read_text(encoding="utf-8"))
    assert len(shards["bundles"]) == 4 and shards["bundles"][0] == "pagefind/"  # 3 + About
    counts = []
    for site in (preview, sharded):
        tab = open_page(site.url("search.html"))
        counts.append(result_count(tab, "the"))
        assert tab.problems() == []
    assert counts[0] == counts[1] > 10  # more than any one shard of 10 pages can hold
    tab = open_page(sharded.url(f"search.html?q={WORD}"))
    tab.page.locator(".pagefind-ui__result-link").first.wait_for(state="visible")
    assert tab.page.locator(".pagefind-ui__result-link").evaluate_all(
        "links => links.map(a => a.href)"
    ) == [sharded.url(ARTICLE)]


def test_search_runs_the_query_in_the_address(published: Site, open_page: Opener) -> None:
    tab = open_page(published.url(f"search.html?q={WORD}"))
    tab.page.locator(".pagefind-ui__result-link").first.wait_for(state="visible")
    assert tab.page.locator(".pagefind-ui__search-input").input_value() == WORD
    hrefs = tab.page.locator(".pagefind-ui__result-link").evaluate_all("a => a.map(x => x.href)")
    assert hrefs == [published.url(ARTICLE)]
    assert tab.problems() == []


def test_the_site_reads_without_javascript(published: Site, open_page: Opener) -> None:
    home = open_page(published.url(), javascript=False)
    assert home.page.locator("article.entry").count() >= 20
    article = open_page(published.url(ARTICLE), javascript=False)
    assert "Vasquel" in article.page.locator(".prose").inner_text()
    search = open_page(published.url("search.html"), javascript=False)
    fallback = search.page.locator("#search-fallback")
    assert fallback.is_visible()
    assert "needs JavaScript" in fallback.inner_text()
    hrefs = fallback.locator("a").evaluate_all("a => a.map(x => x.href)")
    assert published.url("tags.html") in hrefs and published.url("archives.html") in hrefs
    for tab in (home, article, search):
        assert tab.problems() == []


@pytest.mark.parametrize("where", ["published", "preview"])
def test_not_found_page_works_at_any_address(
    request: pytest.FixtureRequest, open_page: Opener, where: str
) -> None:
    site: Site = request.getfixturevalue(where)
    tab = open_page(site.url("no/such/deep/page.html"), expect_status=404)
    page = tab.page
    assert page.locator("h1").inner_text() == "Not found"
    # The stylesheet loaded (the skip link is positioned by it) and the links lead home.
    assert page.locator(".skip-link").evaluate("e => getComputedStyle(e).position") == "absolute"
    assert page.locator(".site-name a").evaluate("a => a.href") == site.url()
    page.locator("main a", has_text="All tags").click()
    page.wait_for_url(site.url("tags.html"))
    assert tab.problems() == []


def test_skip_link_is_first_and_visible_on_focus(published: Site, open_page: Opener) -> None:
    page = open_page(published.url(ARTICLE)).page
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.className")
    assert focused == "skip-link"
    box = page.locator(".skip-link").bounding_box()
    assert box is not None and box["y"] >= 0 and box["height"] > 10
    outline = page.locator(".skip-link").evaluate("e => getComputedStyle(e).outlineStyle")
    assert outline == "solid"
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main"


def test_colours_follow_the_system_scheme(published: Site, open_page: Opener) -> None:
    def background(tab: Tab) -> str:
        return tab.page.evaluate("getComputedStyle(document.body).backgroundColor")

    light = background(open_page(published.url()))
    dark = background(open_page(published.url(), dark=True))
    channels = [int(n) for n in re.findall(r"\d+", dark)[:3]]
    assert light != dark and max(channels) < 60


def test_article_page_in_the_browser(published: Site, open_page: Opener) -> None:
    page = open_page(published.url(ARTICLE)).page
    original = page.get_by_role("link", name=re.compile("Read the original at Harbour Gazette"))
    assert original.get_attribute("href", timeout=1000) == (
        "https://harbour-gazette.example/news/2026/11/25/ministers-discuss-strait-crisis.html"
    )
    assert original.is_visible()
    meta = page.locator(".article__meta").inner_text()
    assert "Anton Reyes-Mallory" in meta and "min read" in meta and "Updated" in meta
    assert page.locator("head meta[property='og:url']").get_attribute("content") == (
        published.url(ARTICLE)
    )
