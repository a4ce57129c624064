"""robots: the policy a robots.txt response sets for Digest's article fetches."""

from __future__ import annotations

import pytest

from digest.errors import FetchError
from digest.robots import (
    MAX_ROBOTS_BYTES,
    RobotsPolicy,
    parse_robots,
    product_token,
    robots_url,
)

UA = "Digest/0.1 (feed digest; +https://digest.example/about)"
OTHER = "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"
SITE = "https://news.example"


def policy(text: str, status: int = 200) -> RobotsPolicy:
    return parse_robots(text.encode("utf-8"), status)


DIGEST_ONLY = """\
# Digest may not read the archive; everybody else may.
User-agent: Digest
Disallow: /archive/

User-agent: *
Disallow:
"""

EVERYBODY = """\
User-agent: *
Disallow: /private/
Disallow: /search
"""

ALLOW_OVERRIDES = """\
User-agent: *
Disallow: /news/
Allow: /news/public/
Disallow: /news/public/drafts/
Allow: /shop/basket$
"""

CRAWL_DELAY = """\
User-agent: digest
Crawl-delay: 7
Disallow: /tmp/

User-agent: slowbot
Crawl-delay: 0.5

User-agent: *
Crawl-delay: 30
"""

WILDCARDS = """\
User-agent: *
Disallow: /*?replytocom=
Disallow: /*.pdf$
Disallow: /print/*/page
Allow: /print/*/page/open
"""


# ---- Disallow for Digest only -------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "digest", "other"),
    [
        ("/archive/2019/story.html", False, True),
        ("/archive/", False, True),
        ("/archive", True, True),
        ("/2026/11/story.html", True, True),
        ("/", True, True),
    ],
)
def test_disallow_for_digest_only(path: str, digest: bool, other: bool) -> None:
    rules = policy(DIGEST_ONLY)
    assert rules.allows(SITE + path, UA) is digest
    assert rules.allows(SITE + path, OTHER) is other


def test_user_agent_is_matched_by_product_token_not_by_substring() -> None:
    text = "User-agent: Dig\nDisallow: /\n\nUser-agent: DigestBot\nDisallow: /\n"
    assert policy(text).allows(SITE + "/a", UA)
    assert not policy(text).allows(SITE + "/a", "DigestBot/2.0")
    assert not policy(text).allows(SITE + "/a", "dig")


@pytest.mark.parametrize("name", ["Digest", "digest", "DIGEST", "Digest/1.0", "  Digest  "])
def test_group_names_match_case_insensitively_and_without_version(name: str) -> None:
    assert not policy(f"User-agent: {name}\nDisallow: /\n").allows(SITE + "/a", UA)


@pytest.mark.parametrize(
    ("user_agent", "token"),
    [
        (UA, "digest"),
        ("Digest", "digest"),
        ("  Digest-Reader/2 (x)", "digest-reader"),
        ("my_bot", "my_bot"),
        ("", ""),
        ("(anonymous)", ""),
    ],
)
def test_product_token(user_agent: str, token: str) -> None:
    assert product_token(user_agent) == token


def test_several_groups_for_digest_are_merged() -> None:
    text = "User-agent: Digest\nDisallow: /a/\n\nUser-agent: *\nDisallow: /\n\n"
    text += "User-agent: digest\nDisallow: /b/\n"
    rules = policy(text)
    assert not rules.allows(SITE + "/a/1", UA)
    assert not rules.allows(SITE + "/b/1", UA)
    assert rules.allows(SITE + "/c/1", UA)


def test_one_group_may_name_several_agents() -> None:
    text = "User-agent: otherbot\nUser-agent: Digest\nDisallow: /x/\n"
    assert not policy(text).allows(SITE + "/x/1", UA)
    assert policy(text).allows(SITE + "/x/1", OTHER)


# ---- Disallow for everybody -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("/private/notes.html", False),
        ("/search?q=harbour", False),
        ("/searchlight/story", False),
        ("/stories/private/x", True),
        ("/story.html", True),
    ],
)
def test_disallow_for_everybody(path: str, allowed: bool) -> None:
    assert policy(EVERYBODY).allows(SITE + path, UA) is allowed
    assert policy(EVERYBODY).allows(SITE + path, OTHER) is allowed


def test_a_named_group_replaces_the_star_group() -> None:
    text = "User-agent: *\nDisallow: /\n\nUser-agent: Digest\nDisallow: /admin/\n"
    assert policy(text).allows(SITE + "/story", UA)
    assert not policy(text).allows(SITE + "/story", OTHER)


def test_disallow_everything() -> None:
    rules = policy("User-agent: *\nDisallow: /\n")
    assert not rules.allows(SITE + "/", UA)
    assert not rules.allows(SITE, UA)
    assert not rules.allows(SITE + "/any/page?x=1", UA)


# ---- Allow overrides -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("/news/today.html", False),
        ("/news/public/today.html", True),
        ("/news/public/drafts/today.html", False),
        ("/shop/basket", True),
        ("/shop/basket/items", True),
        ("/elsewhere", True),
    ],
)
def test_the_longest_matching_rule_wins_whatever_its_order(path: str, allowed: bool) -> None:
    assert policy(ALLOW_OVERRIDES).allows(SITE + path, UA) is allowed


def test_allow_wins_a_tie() -> None:
    text = "User-agent: *\nDisallow: /page\nAllow: /page\n"
    assert policy(text).allows(SITE + "/page", UA)


def test_allow_listed_after_a_shorter_disallow_still_wins() -> None:
    text = "User-agent: *\nDisallow: /wp-admin/\nAllow: /wp-admin/admin-ajax.php\n"
    assert policy(text).allows(SITE + "/wp-admin/admin-ajax.php", UA)
    assert not policy(text).allows(SITE + "/wp-admin/options.php", UA)


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("/2026/story/?replytocom=12", False),
        ("/2026/story/?page=2", True),
        ("/reports/annual.pdf", False),
        ("/reports/annual.pdf?download=1", True),
        ("/reports/annual.pdfx", True),
        ("/print/2026/page/3", False),
        ("/print/2026/page/open", True),
        ("/print/page", True),
    ],
)
def test_wildcards_and_end_anchors(path: str, allowed: bool) -> None:
    assert policy(WILDCARDS).allows(SITE + path, UA) is allowed


def test_percent_encoding_is_compared_decoded() -> None:
    text = "User-agent: *\nDisallow: /caf%C3%A9/\nDisallow: /a%2fb\n"
    rules = policy(text)
    assert not rules.allows(SITE + "/café/menu", UA)
    assert not rules.allows(SITE + "/caf%c3%a9/menu", UA)
    assert not rules.allows(SITE + "/a/b", UA)


def test_a_blank_line_inside_a_group_does_not_end_it() -> None:
    text = "User-agent: Digest\n\nDisallow: /late/\n"
    assert not policy(text).allows(SITE + "/late/1", UA)


def test_comments_and_unknown_lines_are_ignored() -> None:
    text = (
        "# robots for news.example\nSitemap: https://news.example/sitemap.xml\n"
        "User-agent: * # everybody\nHost: news.example\nDisallow: /tmp/ # scratch\nnonsense\n"
    )
    rules = policy(text)
    assert not rules.allows(SITE + "/tmp/x", UA)
    assert rules.allows(SITE + "/story", UA)


def test_rules_before_any_user_agent_are_ignored() -> None:
    assert policy("Disallow: /\n").allows(SITE + "/story", UA)


# ---- Crawl-delay --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("user_agent", "delay"),
    [(UA, 7.0), ("SlowBot/1", 1.0), (OTHER, 30.0)],
)
def test_crawl_delay(user_agent: str, delay: float) -> None:
    assert policy(CRAWL_DELAY).crawl_delay(user_agent) == delay


def test_crawl_delay_comes_from_the_applicable_group_only() -> None:
    text = "User-agent: Digest\nDisallow: /x/\n\nUser-agent: *\nCrawl-delay: 10\n"
    assert policy(text).crawl_delay(UA) is None
    assert policy(text).crawl_delay(OTHER) == 10.0


def test_crawl_delay_with_rules_in_the_same_group() -> None:
    rules = policy(CRAWL_DELAY)
    assert not rules.allows(SITE + "/tmp/x", UA)
    assert rules.allows(SITE + "/tmp/x", OTHER)


def test_unreadable_crawl_delay_is_none() -> None:
    assert policy("User-agent: *\nCrawl-delay: soon\nDisallow: /x\n").crawl_delay(UA) is None


# ---- Empty and odd files --------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\n\n   \n",
        "# nothing to see\n",
        "User-agent: *\nDisallow:\n",
        "<!doctype html><html><body><h1>Welcome</h1></body></html>",
        "\ufeffUser-agent: *\r\nAllow: /\r\n",
    ],
)
def test_files_without_effective_rules_allow_everything(text: str) -> None:
    rules = policy(text)
    assert rules.allows(SITE + "/2026/11/story.html", UA)
    assert rules.crawl_delay(UA) is None


def test_a_byte_order_mark_does_not_hide_the_first_group() -> None:
    assert not policy("\ufeffUser-agent: *\nDisallow: /\n").allows(SITE + "/x", UA)


def test_invalid_utf8_is_read_anyway() -> None:
    rules = parse_robots(b"User-agent: *\nDisallow: /caf\xe9/\nDisallow: /x/\n", 200)
    assert not rules.allows(SITE + "/x/1", UA)


def test_only_the_first_500_kib_are_read() -> None:
    filler = b"# " + b"." * MAX_ROBOTS_BYTES + b"\n"
    rules = parse_robots(b"User-agent: *\nDisallow: /a/\n" + filler + b"Disallow: /b/\n", 200)
    assert not rules.allows(SITE + "/a/1", UA)
    assert rules.allows(SITE + "/b/1", UA)


def test_reason_counts_groups_and_rules() -> None:
    assert policy(EVERYBODY).reason == "HTTP 200: 1 groups, 2 rules"


# ---- Status codes ---------------------------------------------------------------------------


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410, 429, 451])
def test_client_errors_allow_everything(status: int) -> None:
    rules = parse_robots(b"User-agent: *\nDisallow: /\n", status)
    assert rules.allows(SITE + "/x", UA)
    assert rules.status == status
    assert "no robots.txt" in rules.reason


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors_allow_everything_and_say_so(status: int) -> None:
    rules = parse_robots(b"User-agent: *\nDisallow: /\n", status)
    assert rules.allows(SITE + "/x", UA)
    assert rules.crawl_delay(UA) is None
    assert "server error" in rules.reason
    assert str(status) in rules.reason


@pytest.mark.parametrize(("content", "status"), [(None, 0), (None, 200), (b"x", 302), (b"", 100)])
def test_unreachable_allows_everything_and_says_so(content: bytes | None, status: int) -> None:
    rules = parse_robots(content, status)
    assert rules.allows(SITE + "/x", UA)
    assert "unreachable" in rules.reason


def test_policies_are_immutable_values() -> None:
    first, second = policy(EVERYBODY), policy(EVERYBODY)
    assert first == second
    assert hash(first) == hash(second)
    with pytest.raises(AttributeError):
        first.reason = "changed"  # type: ignore[misc]


# ---- robots_url -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("page", "expected"),
    [
        ("https://news.example/2026/11/story.html?x=1#top", "https://news.example/robots.txt"),
        ("HTTP://News.Example:80/a", "http://news.example/robots.txt"),
        ("https://news.example:443/a", "https://news.example/robots.txt"),
        ("https://news.example:8443/a", "https://news.example:8443/robots.txt"),
        ("http://news.example:443/a", "http://news.example:443/robots.txt"),
        ("https://user:secret@news.example/a", "https://news.example/robots.txt"),
        ("http://[2001:db8::1]:8080/a", "http://[2001:db8::1]:8080/robots.txt"),
        ("  https://news.example  ", "https://news.example/robots.txt"),
    ],
)
def test_robots_url(page: str, expected: str) -> None:
    assert robots_url(page) == expected


@pytest.mark.parametrize(
    "page", ["", "/relative/path", "mailto:desk@news.example", "ftp://news.example/a", "https://"]
)
def test_robots_url_needs_an_http_url_with_a_host(page: str) -> None:
    with pytest.raises(FetchError) as caught:
        robots_url(page)
    assert caught.value.url == page


def test_robots_url_with_a_bad_port_is_a_fetch_error() -> None:
    with pytest.raises(FetchError) as caught:
        robots_url("https://news.example:99999/a")
    assert isinstance(caught.value.__cause__, ValueError)
