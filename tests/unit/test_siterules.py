"""Per-site rules (FiveFilters ftr-site-config format): reading the files, finding the file for
a URL, and what the rules do to a page. The site_rules/ files of the demo sites are checked
against the demo pages, read from demo/sites/ (no network)."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from digest.errors import ConfigError, ExtractError
from digest.extract import extract_article
from digest.siterules import (
    SiteRules,
    load_site_rules,
    parse_site_rules,
    read_site_rules,
)

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "siterules"
SITE_RULES = ROOT / "site_rules"
DEMO = ROOT / "demo" / "sites"
NEWS_URL = "https://news.example/2025/03/harbour-dredging"


def flat(text: str) -> str:
    """Whitespace collapsed."""
    return " ".join(text.split())


@pytest.fixture(scope="module")
def fixture_rules() -> object:
    return read_site_rules(FIXTURES)


def news_page() -> bytes:
    return (FIXTURES / "news.example.html").read_bytes()


def rules_file(tmp_path: Path, name: str, text: str) -> Path:
    """A rules folder holding one file."""
    (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


# ---------------------------------------------------------------------------------------------
# Reading a file
# ---------------------------------------------------------------------------------------------


def test_every_directive_is_read(fixture_rules: object) -> None:
    rules = fixture_rules.for_url(NEWS_URL)
    assert isinstance(rules, SiteRules)
    assert rules.host == "news.example"
    assert [r.value for r in rules.body] == [
        "//div[@id = 'no-such-container']",
        "//div[@class = 'story-text'] | //p[@class = 'standfirst']",
    ]
    assert [(r.directive, r.value) for r in rules.strip] == [
        ("strip", "//div[@class = 'story-text']//aside"),
        ("strip_id_or_class", "share-row"),
        ("strip_id_or_class", "promo-slot"),  # quotes taken off
        ("strip_image_src", "pixel.example/track"),
    ]
    assert [r.value for r in rules.title] == ["//h1[@class = 'headline']"]
    assert [r.value for r in rules.author] == ["//span[@class = 'author-name']"]
    assert [r.value for r in rules.date] == ["//time[@class = 'published']/@datetime"]
    assert rules.prune is False
    assert rules.autodetect_on_failure is True
    assert [(t.url, t.contains) for t in rules.tests] == [
        (
            NEWS_URL,
            ("The harbour board approved the dredging contract", "Dredging will begin in May"),
        ),
        ("https://news.example/2025/03/another-story", ()),
    ]
    assert rules.errors == ()


def test_rule_lines_remember_where_they_were_written(fixture_rules: object) -> None:
    rules = fixture_rules.for_url(NEWS_URL)
    assert rules.body[0].where == f"{FIXTURES / 'news.example.txt'}:5"
    assert rules.strip[3].line == 10


def test_defaults_when_a_file_says_nothing() -> None:
    rules = parse_site_rules("# nothing but a comment\n\n", Path("empty.example.txt"))
    assert rules.host == "empty.example"
    assert (rules.body, rules.strip, rules.title, rules.tests) == ((), (), (), ())
    assert rules.prune is True
    assert rules.autodetect_on_failure is True


def test_comments_blank_lines_and_spacing() -> None:
    text = "# body: //p\n\n   \n  # strip: //div\nstrip:    //aside   \nSTRIP: //nav\n"
    rules = parse_site_rules(text, Path("spaced.example.txt"))
    assert [r.value for r in rules.strip] == ["//aside", "//nav"]
    assert rules.body == ()


def test_unknown_directives_and_other_lines_are_ignored_with_a_debug_message(
    caplog: pytest.LogCaptureFixture,
) -> None:
    text = (
        "single_page_link: //a[@class='print']/@href\n"
        "replace_string(<br /><br />): </p><p>\n"
        "http_header(user-agent): Mozilla\n"
        "not a rule line\n"
        "tidy: no\n"
        "strip: //nav\n"
    )
    with caplog.at_level(logging.DEBUG, logger="digest.siterules"):
        rules = parse_site_rules(text, Path("odd.example.txt"))
    assert [r.value for r in rules.strip] == ["//nav"]
    assert rules.errors == ()
    debug = [r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG]
    assert any("'single_page_link' not supported" in m and "odd.example.txt:1" in m for m in debug)
    assert any("replace_string" in m for m in debug)
    assert any("odd.example.txt:4" in m for m in debug)
    assert not any("tidy" in m for m in debug)


def test_bad_lines_are_errors_naming_file_and_line_and_only_they_are_skipped(
    fixture_rules: object, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    # A copy, so that the warnings are new ones: Pelican's logger drops repeated messages.
    text = (FIXTURES / "broken.example.txt").read_text(encoding="utf-8")
    path = rules_file(tmp_path, "broken.example.txt", text) / "broken.example.txt"
    with caplog.at_level(logging.WARNING, logger="digest.siterules"):
        rules = parse_site_rules(path.read_text(encoding="utf-8"), path)
    messages = [str(e) for e in rules.errors]
    assert all(isinstance(e, ConfigError) for e in rules.errors)
    lines = [int(m.split(f"{path}:")[1].split(":")[0]) for m in messages]
    assert lines == [2, 4, 5, 7, 8, 9]
    assert "bad XPath in body" in messages[0]
    assert "unknown XPath function not-a-function()" in messages[1]
    assert "Undefined namespace prefix" in messages[2]
    assert "needs a value" in messages[3]
    assert "must be yes or no" in messages[4]
    assert "test_contains before test_url" in messages[5]
    # The good lines around them still count.
    assert [r.value for r in rules.body] == ["//article"]
    assert [r.value for r in rules.strip] == ["//nav"]
    assert [r.value for r in rules.title] == ["//h1"]
    assert rules.prune is True
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warned) == 6
    assert all("line skipped" in m for m in warned)
    # The folder's errors are every file's errors.
    assert [str(e) for e in fixture_rules.errors] == [
        m.replace(str(tmp_path), str(FIXTURES)) for m in messages
    ]


@pytest.mark.parametrize(
    "xpath",
    [
        "//div[",
        "//div[@class='a']]",
        "//div[starts_with(@class, 'a')]",
        "//p[ends-with(@class, 'x')]",
        "//ns:p",
        "",
    ],
)
def test_xpaths_lxml_cannot_use_are_config_errors(xpath: str) -> None:
    rules = parse_site_rules(f"strip: {xpath}\nstrip: //nav\n", Path("x.example.txt"))
    assert len(rules.errors) == 1
    assert "x.example.txt:1" in str(rules.errors[0])
    assert [r.value for r in rules.strip] == ["//nav"]


def test_function_names_inside_strings_are_not_calls() -> None:
    xpath = "//p[contains(., 'see note(1)') and contains(concat(' ', @class, ' '), ' x ')]"
    rules = parse_site_rules(f"strip: {xpath}\n", Path("x.example.txt"))
    assert rules.errors == ()


@pytest.mark.parametrize(("word", "value"), [("yes", True), ("No", False), ("true", True)])
def test_yes_and_no(word: str, value: bool) -> None:
    rules = parse_site_rules(f"prune: {word}\nautodetect_on_failure: {word}\n", Path("f.txt"))
    assert (rules.prune, rules.autodetect_on_failure) == (value, value)


# ---------------------------------------------------------------------------------------------
# Which file a URL gets
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("https://news.example/a", "news.example"),
        ("https://www.news.example/a", "news.example"),
        ("http://NEWS.example:8080/a?b=c", "news.example"),
        ("https://folded.example/x", "folded.example"),
        ("https://www.folded.example/x", "folded.example"),
        ("https://wild.example/x", ".wild.example"),
        ("https://a.wild.example/x", ".wild.example"),
        ("https://b.a.wild.example/x", ".wild.example"),
        ("https://www.wild.example/x", ".wild.example"),
        ("https://exact.wild.example/x", "exact.wild.example"),
        ("https://sub.exact.wild.example/x", ".wild.example"),
        ("https://otherwild.example/x", None),
        ("https://sub.news.example/x", None),
        ("https://elsewhere.example/x", None),
        ("file:///tmp/page.html", None),
        ("not a url", None),
        ("http://[broken/", None),
    ],
)
def test_for_url(fixture_rules: object, url: str, host: str | None) -> None:
    rules = fixture_rules.for_url(url)
    assert (rules.host if rules else None) == host


def test_the_set_lists_every_file(fixture_rules: object) -> None:
    assert len(fixture_rules) == 6
    assert sorted(r.host for r in fixture_rules) == [
        ".wild.example",
        "broken.example",
        "exact.wild.example",
        "folded.example",
        "news.example",
        "strict.example",
    ]


def test_a_missing_folder_is_no_rules(tmp_path: Path) -> None:
    rules = load_site_rules(tmp_path / "nowhere")
    assert len(rules) == 0
    assert rules.for_url(NEWS_URL) is None


def test_other_files_in_the_folder_are_not_rules(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("strip: //p\n", encoding="utf-8")
    (tmp_path / "news.example.html").write_text("<p>x</p>", encoding="utf-8")
    assert len(read_site_rules(tmp_path)) == 0


def test_two_files_for_one_host_keep_the_first(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    rules_file(tmp_path, "twice.example.txt", "strip: //nav\n")
    rules_file(tmp_path, "www.twice.example.txt", "strip: //aside\n")
    with caplog.at_level(logging.WARNING, logger="digest.siterules"):
        rules = read_site_rules(tmp_path)
    assert [r.value for r in rules.for_url("https://twice.example/").strip] == ["//nav"]
    assert any("www.twice.example.txt" in r.getMessage() for r in caplog.records)


def test_load_is_cached_until_a_file_changes(tmp_path: Path) -> None:
    folder = rules_file(tmp_path, "cached.example.txt", "strip: //nav\n")
    first = load_site_rules(folder)
    assert load_site_rules(folder) is first
    assert load_site_rules(folder / ".." / folder.name) is first
    rules_file(tmp_path, "cached.example.txt", "strip: //nav\nstrip: //aside\n")
    second = load_site_rules(folder)
    assert second is not first
    assert len(second.for_url("https://cached.example/").strip) == 2
    rules_file(tmp_path, "new.example.txt", "strip: //nav\n")
    assert load_site_rules(folder).for_url("https://new.example/") is not None


# ---------------------------------------------------------------------------------------------
# What rules do to a page
# ---------------------------------------------------------------------------------------------


def test_rules_choose_the_body_strip_and_override_metadata(fixture_rules: object) -> None:
    article = extract_article(news_page(), NEWS_URL, site_rules=fixture_rules)
    assert article.title == "Harbour board approves the dredging contract"
    assert article.byline == "Ines Marlow, Tom Fenwick"
    assert article.published == datetime(2025, 3, 4, 8, 15, tzinfo=timezone(timedelta(hours=1)))
    text = flat(article.text)
    # The standfirst and the story text, joined in page order; nothing from the sidebar.
    assert text.startswith("The harbour board approved the dredging contract")
    assert text.index("on Tuesday, after three years") < text.index("The contract, worth eleven")
    assert "forcing larger ships to wait for the tide" in text
    assert "sidebar" not in text
    assert "Copyright" not in text
    rules = {r.rule: r.text for r in article.removed}
    assert rules["site:news.example:strip://div[@class = 'story-text']//aside"].startswith(
        "Read also"
    )
    assert rules["site:news.example:strip_id_or_class:share-row"] in (
        "Share this story",
        "Share again",
    )
    assert "site:news.example:strip_id_or_class:promo-slot" in rules
    assert rules["site:news.example:strip_image_src:pixel.example/track"] == (
        '<img src="https://pixel.example/track?id=story-1">'
    )
    assert "pixel.example" not in article.html
    assert "crossword" not in text
    assert "Share" not in text


def test_prune_no_keeps_furniture_but_never_appeals(fixture_rules: object) -> None:
    article = extract_article(news_page(), NEWS_URL, site_rules=fixture_rules)
    text = flat(article.text)
    assert "Ferry timetable changes for the summer season" in text  # a related list: kept
    assert "Please support us with a monthly donation" not in text
    assert any(r.rule == "structure:class=donate" for r in article.removed)


def test_prune_yes_lets_the_generic_layers_take_furniture_out_of_the_body(
    tmp_path: Path,
) -> None:
    text = (FIXTURES / "news.example.txt").read_text(encoding="utf-8")
    folder = rules_file(tmp_path, "news.example.txt", text.replace("prune: no", "prune: yes"))
    article = extract_article(news_page(), NEWS_URL, site_rules=load_site_rules(folder))
    assert "Ferry timetable changes" not in article.text
    assert "The board said silt had reduced the depth" in article.text


def test_without_rules_for_the_host_nothing_changes(fixture_rules: object) -> None:
    url = "https://unknown.example/2025/03/harbour-dredging"
    with_set = extract_article(news_page(), url, site_rules=fixture_rules)
    without = extract_article(news_page(), url)
    assert (with_set.html, with_set.title, with_set.removed) == (
        without.html,
        without.title,
        without.removed,
    )
    assert without.title == "Meta title the rules override"
    assert without.byline == "Meta Author"


def test_a_body_that_matches_nothing_falls_back_to_readability(tmp_path: Path) -> None:
    folder = rules_file(tmp_path, "news.example.txt", "body: //div[@id='gone']\nstrip: //aside\n")
    article = extract_article(news_page(), NEWS_URL, site_rules=load_site_rules(folder))
    assert "Dredging will begin in May" in article.text
    assert any(r.rule == "site:news.example:strip://aside" for r in article.removed)


def test_a_body_that_finds_only_an_empty_element_falls_back(tmp_path: Path) -> None:
    folder = rules_file(tmp_path, "news.example.txt", "body: //header[@class='masthead']/a/@x\n")
    article = extract_article(news_page(), NEWS_URL, site_rules=load_site_rules(folder))
    assert "Dredging will begin in May" in article.text


def test_autodetect_on_failure_no_makes_a_missing_body_an_error(fixture_rules: object) -> None:
    with pytest.raises(ExtractError, match=r"strict\.example.*strict\.example\.txt"):
        extract_article(news_page(), "https://strict.example/a", site_rules=fixture_rules)


def test_nested_matches_count_once(tmp_path: Path) -> None:
    folder = rules_file(
        tmp_path,
        "news.example.txt",
        "body: //div[@class='story-text'] | //div[@class='story-text']/p\n",
    )
    article = extract_article(news_page(), NEWS_URL, site_rules=load_site_rules(folder))
    assert flat(article.text).count("Dredging will begin in May") == 1


def test_a_strip_rule_never_takes_the_whole_page(tmp_path: Path) -> None:
    folder = rules_file(tmp_path, "news.example.txt", "strip: //body | /html\n")
    article = extract_article(news_page(), NEWS_URL, site_rules=load_site_rules(folder))
    assert "Dredging will begin in May" in article.text
    assert not any(r.rule.startswith("site:") for r in article.removed)


def test_metadata_rules_that_find_nothing_leave_the_page_metadata(tmp_path: Path) -> None:
    folder = rules_file(
        tmp_path,
        "news.example.txt",
        "title: //h6\nauthor: //span[@class='nobody']\ndate: //time[@class='nodate']/@datetime\n",
    )
    article = extract_article(news_page(), NEWS_URL, site_rules=load_site_rules(folder))
    assert article.title == "Meta title the rules override"
    assert article.byline == "Meta Author"
    assert article.published == datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def test_string_results_of_metadata_rules(tmp_path: Path) -> None:
    folder = rules_file(
        tmp_path,
        "news.example.txt",
        "title: string(//p[@class='standfirst'])\n"
        "author: //p[@class='byline']/span[1]/text()\n"
        "date: //p[@class='nodate'] | //time/@datetime\n",
    )
    article = extract_article(news_page(), NEWS_URL, site_rules=load_site_rules(folder))
    assert article.title.startswith("The harbour board approved the dredging contract")
    assert article.byline == "Ines Marlow"
    assert article.published is not None and article.published.day == 4


# ---------------------------------------------------------------------------------------------
# The site_rules/ folder, on the demo sites
# ---------------------------------------------------------------------------------------------


def demo_path(url: str) -> Path | None:
    """Where the demo mirror keeps a URL's page, or None when the host is not a demo site."""
    host, _, path = url.split("://", 1)[1].partition("/")
    folder = DEMO / host
    if not folder.is_dir():
        return None
    page = folder / path
    return page / "index.html" if not path or path.endswith("/") else page


def site_tests() -> list[tuple[str, str, tuple[str, ...]]]:
    """(rules file, test_url, test_contains lines) of every file in site_rules/."""
    cases = []
    for rules in read_site_rules(SITE_RULES):
        for test in rules.tests:
            cases.append((rules.path.name, test.url, test.contains))
    return cases


def test_site_rules_folder_is_clean() -> None:
    rules = read_site_rules(SITE_RULES)
    assert len(rules) >= 3
    assert rules.errors == ()
    for file in rules:
        assert file.tests, f"{file.path.name} has no test_url"


@pytest.mark.parametrize(("name", "url", "contains"), site_tests())
def test_site_rules_test_urls(name: str, url: str, contains: tuple[str, ...]) -> None:
    page = demo_path(url)
    if page is None:
        pytest.skip(f"{name}: {url} is not a demo page (no network in unit tests)")
    assert contains, f"{name}: {url} has no test_contains"
    rules = load_site_rules(SITE_RULES)
    article = extract_article(page.read_bytes(), url, site_rules=rules)
    assert rules.for_url(url) is not None
    assert any(r.rule.startswith("site:") for r in article.removed) or rules.for_url(url).body
    for text in contains:
        assert flat(text) in flat(article.text), f"{name}: {url} lacks {text!r}"


def demo_articles() -> list[dict[str, object]]:
    found: list[dict[str, object]] = []
    for path in sorted(DEMO.glob("*/EXPECTED.json")):
        found.extend(json.loads(path.read_text(encoding="utf-8")))
    return found


@pytest.mark.parametrize("expected", demo_articles(), ids=lambda a: str(a["url"]).split("/")[-1])
def test_site_rules_keep_every_demo_paragraph_and_no_appeal(expected: dict[str, object]) -> None:
    url = str(expected["url"])
    page = demo_path(url)
    assert page is not None
    article = extract_article(page.read_bytes(), url, site_rules=load_site_rules(SITE_RULES))
    assert article.title == expected["title"]
    text, position = flat(article.text), 0
    for paragraph in expected["paragraphs"]:
        found = text.find(flat(str(paragraph)), position)
        assert found >= 0, f"lost or out of order: {str(paragraph)[:70]!r}"
        position = found + 1
    for sentence in expected["appeal_sentences"]:
        assert flat(str(sentence)) not in text, f"appeal left: {str(sentence)[:70]!r}"
