"""The digest's own feeds (Atom, RSS 2.0, JSON Feed 1.1), checked the way a validator checks them.

Three builds: the committed demo archive published under a SITEURL with a subpath; the same
archive as the development build (SITEURL empty, links on FEED_DOMAIN); and a tiny site whose
sources ask for full, summary and link-only feeds, with FEED_MAX_ITEMS below its article count.
"""

from __future__ import annotations

import email.utils
import html
import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

import feedparser
import pytest
from pelican.settings import DEFAULT_CONFIG
from pelican.urlwrappers import Category, Tag

from digest.sitefeeds import absolute_links, feed_content_mode, has_relative_links
from tests.sitecopy import copy_site

ROOT = Path(__file__).resolve().parents[2]
SITEURL = "https://example.github.io/digest"
DEV_DOMAIN = "http://localhost:8000"
ATOM = "{http://www.w3.org/2005/Atom}"
DC = "{http://purl.org/dc/elements/1.1/}"
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"

RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
RFC822 = re.compile(
    r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{1,2} "
    r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} "
    r"\d{2}:\d{2}(:\d{2})? ([+-]\d{4}|GMT|UT|EST|EDT|CST|CDT|MST|MDT|PST|PDT|[A-IK-Z])$"
)
# RFC 4151: tag:authority,date:specific, the authority a DNS name or an e-mail address.
TAG_URI = re.compile(
    r"^tag:([A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*|[^@\s,]+@[^@\s,]+),\d{4}(-\d{2}){0,2}:\S*$"
)
META = re.compile(r'<meta name="([a-z_]+)" content="([^"]*)">')
PELICAN_SETTINGS = {**DEFAULT_CONFIG}


# --- building -----------------------------------------------------------------------------


def build(root: Path, settings_file: str, siteurl: str | None) -> Path:
    """Run Pelican on a site folder with fetching off; the output folder."""
    env = {**os.environ, "PYTHONPATH": str(root / "plugins"), "DIGEST_FETCH": "0"}
    env.pop("SITEURL", None)
    if siteurl is not None:
        env["SITEURL"] = siteurl
    result = subprocess.run(
        [sys.executable, "-m", "pelican", "-s", settings_file],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    log = result.stdout + result.stderr
    assert result.returncode == 0, log
    assert "Traceback" not in log, log
    return root / "output"


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo archive built with publishconf.py under a SITEURL with a subpath."""
    root = tmp_path_factory.mktemp("published")
    copy_site(root, ("pelicanconf.py", "publishconf.py", "plugins", "theme", "demo", "content"))
    return build(root, "publishconf.py", SITEURL)


@pytest.fixture(scope="module")
def development(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo archive as the development build: SITEURL empty, RELATIVE_URLS on."""
    root = tmp_path_factory.mktemp("development")
    copy_site(root, ("pelicanconf.py", "plugins", "theme", "demo", "content"))
    return build(root, "pelicanconf.py", None)


# --- reading what was built ---------------------------------------------------------------


def content_files(content: Path) -> list[dict[str, str]]:
    """The metadata of each content file under content/digest/, as Pelican reads it."""
    found = []
    for path in sorted((content / "digest").glob("*.html")):
        text = path.read_text(encoding="utf-8")
        found.append({k: html.unescape(v) for k, v in META.findall(text)})
    return found


def expected_counts(content: Path) -> tuple[int, Counter[str], Counter[str]]:
    """How many articles the archive holds in all, per tag slug and per source slug."""
    tags: Counter[str] = Counter()
    sources: Counter[str] = Counter()
    files = content_files(content)
    for meta in files:
        names = [t.strip() for t in meta.get("tags", "").split(",") if t.strip()]
        tags.update({Tag(name, PELICAN_SETTINGS).slug for name in names})
        sources[Category(meta["category"], PELICAN_SETTINGS).slug] += 1
    return len(files), tags, sources


class Links(HTMLParser):
    """Every URL an HTML fragment or page refers to, and its <link> elements."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []
        self.link_tags: list[dict[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "link":
            self.link_tags.append(values)
        for name in ("href", "src", "poster", "cite"):
            if values.get(name):
                self.urls.append(values[name])
        for candidate in values.get("srcset", "").split(","):
            if candidate.strip():
                self.urls.append(candidate.split()[0])


def urls_in(markup: str) -> list[str]:
    parser = Links()
    parser.feed(markup)
    return parser.urls


def is_absolute_uri(value: str) -> bool:
    """An absolute URI as Atom ids must be: a tag: URI (RFC 4151) or a URL with a host."""
    if value.startswith("tag:"):
        return bool(TAG_URI.match(value))
    parts = urlsplit(value)
    return bool(parts.scheme) and (bool(parts.netloc) or parts.scheme in {"urn", "mailto"})


def is_absolute_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in {"http", "https"} and bool(parts.netloc)


def rfc3339(value: str) -> datetime:
    assert RFC3339.match(value), f"not an RFC 3339 date-time: {value!r}"
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


# --- the validators -----------------------------------------------------------------------


def check_feedparser(data: bytes, name: str) -> None:
    parsed = feedparser.parse(data)
    assert parsed.bozo == 0, f"{name}: {parsed.get('bozo_exception')}"


def check_atom(data: bytes, name: str) -> list[dict[str, str]]:
    """RFC 4287's rules for a feed and its entries; the entries as dicts."""
    check_feedparser(data, name)
    feed = ET.fromstring(data)
    assert feed.tag == f"{ATOM}feed", name
    for child in ("id", "title", "updated"):
        assert len(feed.findall(f"{ATOM}{child}")) == 1, f"{name}: feed needs one {child}"
    assert is_absolute_uri(feed.findtext(f"{ATOM}id", "")), f"{name}: feed id"
    rfc3339(feed.findtext(f"{ATOM}updated", ""))
    links = {
        link.get("rel", "alternate"): link.get("href", "") for link in feed.iter(f"{ATOM}link")
    }
    assert is_absolute_url(links.get("self", "")), f"{name}: rel=self"
    feed_authors = [a.findtext(f"{ATOM}name") for a in feed.findall(f"{ATOM}author")]
    assert all(feed_authors), f"{name}: empty feed author name"

    entries = []
    for entry in feed.findall(f"{ATOM}entry"):
        for child in ("id", "title", "updated"):
            assert len(entry.findall(f"{ATOM}{child}")) == 1, f"{name}: entry needs one {child}"
        entry_id = entry.findtext(f"{ATOM}id", "")
        assert is_absolute_uri(entry_id), f"{name}: entry id {entry_id!r} is no absolute URI"
        assert "None" not in entry_id, f"{name}: {entry_id}"
        assert entry.findtext(f"{ATOM}title", "").strip(), f"{name}: empty title"
        rfc3339(entry.findtext(f"{ATOM}updated", ""))
        if entry.find(f"{ATOM}published") is not None:
            rfc3339(entry.findtext(f"{ATOM}published", ""))
        alternates = [
            link.get("href", "")
            for link in entry.findall(f"{ATOM}link")
            if link.get("rel", "alternate") == "alternate"
        ]
        assert len(alternates) == 1 and is_absolute_url(alternates[0]), f"{name}: {alternates}"
        authors = [a.findtext(f"{ATOM}name") for a in entry.findall(f"{ATOM}author")]
        assert all(authors), f"{name}: empty author name in {entry_id}"
        assert authors or feed_authors, f"{name}: no author for {entry_id} nor for the feed"
        content = entry.find(f"{ATOM}content")
        summary = entry.find(f"{ATOM}summary")
        for element in (content, summary):
            if element is not None:
                assert element.get("type") in {"html", "text", "xhtml"}, name
        entries.append(
            {
                "id": entry_id,
                "url": alternates[0],
                "title": entry.findtext(f"{ATOM}title", ""),
                "content": content.text or "" if content is not None else "",
                "summary": summary.text or "" if summary is not None else "",
                "links": " ".join(link.get("href", "") for link in entry.iter(f"{ATOM}link")),
            }
        )
    ids = [e["id"] for e in entries]
    assert len(ids) == len(set(ids)), f"{name}: duplicate entry ids"
    return entries


def check_rss(data: bytes, name: str) -> list[dict[str, str]]:
    """RSS 2.0's rules (RSS Board profile) for a channel and its items; the items as dicts."""
    check_feedparser(data, name)
    rss = ET.fromstring(data)
    assert rss.tag == "rss" and rss.get("version") == "2.0", name
    channel = rss.find("channel")
    assert channel is not None, name
    for child in ("title", "link", "description"):
        assert channel.findtext(child, "").strip(), f"{name}: channel needs a {child}"
    assert is_absolute_url(channel.findtext("link", "")), f"{name}: channel link"
    for child in ("pubDate", "lastBuildDate"):
        if channel.find(child) is not None:
            assert RFC822.match(channel.findtext(child, "")), f"{name}: {child}"
    self_links = [link.get("href", "") for link in channel.findall(f"{ATOM}link")]
    assert self_links and all(is_absolute_url(u) for u in self_links), f"{name}: atom:link"

    items = []
    for item in channel.findall("item"):
        title, description = item.findtext("title", ""), item.findtext("description", "")
        assert title.strip() or description.strip(), f"{name}: item needs title or description"
        link = item.findtext("link", "")
        assert is_absolute_url(link), f"{name}: item link {link!r}"
        guid = item.find("guid")
        assert guid is not None and (guid.text or "").strip(), f"{name}: item without guid"
        if guid.get("isPermaLink", "true") == "true":
            assert is_absolute_url(guid.text or ""), f"{name}: permalink guid {guid.text!r}"
        else:
            assert guid.get("isPermaLink") == "false", (
                f"{name}: isPermaLink={guid.get('isPermaLink')}"
            )
        pub_date = item.findtext("pubDate", "")
        assert RFC822.match(pub_date), f"{name}: pubDate {pub_date!r}"
        assert email.utils.parsedate_to_datetime(pub_date).tzinfo is not None, name
        items.append({"id": guid.text or "", "url": link, "title": title, "content": description})
    ids = [i["id"] for i in items]
    assert len(ids) == len(set(ids)), f"{name}: duplicate guids"
    return items


def check_json_feed(data: bytes, name: str) -> list[dict[str, str]]:
    """JSON Feed 1.1's required keys and types; the items as dicts."""
    feed = json.loads(data)
    assert feed["version"] == JSON_FEED_VERSION, name
    assert isinstance(feed["title"], str) and feed["title"].strip(), name
    for key in ("home_page_url", "feed_url"):
        assert is_absolute_url(feed[key]), f"{name}: {key}"
    for author in feed.get("authors", []):
        assert isinstance(author, dict) and {"name", "url", "avatar"} & author.keys(), name
    assert isinstance(feed["items"], list), name
    items = []
    for item in feed["items"]:
        assert isinstance(item["id"], str) and item["id"], f"{name}: item id"
        assert is_absolute_url(item["url"]), f"{name}: item url"
        if "external_url" in item:
            assert is_absolute_url(item["external_url"]), name
        assert isinstance(item.get("content_html", item.get("content_text")), str), name
        assert isinstance(item["title"], str) and item["title"], name
        published = rfc3339(item["date_published"])
        assert published.tzinfo is not None, name
        if "date_modified" in item:
            rfc3339(item["date_modified"])
        for author in item.get("authors", []):
            assert isinstance(author.get("name"), str) and author["name"], name
        assert all(isinstance(t, str) for t in item.get("tags", [])), name
        if "image" in item:
            assert is_absolute_url(item["image"]), name
        items.append(
            {
                "id": item["id"],
                "url": item["url"],
                "title": item["title"],
                "content": item.get("content_html", ""),
            }
        )
    ids = [i["id"] for i in items]
    assert len(ids) == len(set(ids)), f"{name}: duplicate ids"
    return items


def check_any(path: Path) -> list[dict[str, str]]:
    data = path.read_bytes()
    if path.name.endswith(".atom.xml"):
        return check_atom(data, str(path))
    if path.name.endswith(".rss.xml"):
        return check_rss(data, str(path))
    assert path.suffix == ".json", path
    return check_json_feed(data, str(path))


def feed_files(output: Path) -> list[Path]:
    return sorted(p for p in (output / "feeds").rglob("*") if p.is_file())


def own_urls_under(output: Path, base: str, built: bool = True) -> None:
    """Every URL in every feed absolute; the site's own under base and (built) its files there."""
    host = urlsplit(base).netloc
    for path in feed_files(output):
        text = path.read_text(encoding="utf-8")
        entries = check_any(path)
        found = re.findall(
            r'(?:href="|<link>|"(?:url|feed_url|home_page_url|image)": ")([^"<]+)', text
        )
        for entry in entries:
            found += urls_in(entry["content"]) + urls_in(entry.get("summary", ""))
            found += [*entry.get("links", "").split(), entry["url"]]
        for url in found:
            url = html.unescape(url)
            assert is_absolute_url(url) or url.startswith("mailto:"), f"{path}: relative {url!r}"
            if urlsplit(url).netloc == host:
                assert url.startswith(base + "/"), f"{path}: {url} is not under {base}"
                relative = urlsplit(url).path[len(urlsplit(base).path) :].lstrip("/")
                if not built:
                    continue
                if not relative or relative.endswith("/"):
                    relative += "index.html"
                target = output / relative
                assert target.is_file(), f"{path}: {url} names no built file"


# --- the published demo -------------------------------------------------------------------


def test_every_feed_is_valid(published: Path) -> None:
    paths = feed_files(published)
    assert paths
    for path in paths:
        check_any(path)
        if path.suffix == ".xml":
            assert b"tag:None" not in path.read_bytes(), path


def test_the_feed_set(published: Path) -> None:
    """Atom and RSS for all, each tag, each source; JSON Feed for all and each tag."""
    feeds = published / "feeds"
    for name in ("all.atom.xml", "all.rss.xml", "all.json"):
        assert (feeds / name).is_file(), name
    _, tags, sources = expected_counts(ROOT / "content")
    assert tags and sources
    for slug in tags:
        for suffix in (".atom.xml", ".rss.xml", ".json"):
            assert (feeds / "tag" / f"{slug}{suffix}").is_file(), (slug, suffix)
    for slug in sources:
        for suffix in (".atom.xml", ".rss.xml"):
            assert (feeds / "source" / f"{slug}{suffix}").is_file(), (slug, suffix)


def test_entry_counts_match_the_archive(published: Path) -> None:
    total, tags, sources = expected_counts(ROOT / "content")
    limit = 50  # FEED_MAX_ITEMS in pelicanconf.py
    feeds = published / "feeds"
    for suffix in (".atom.xml", ".rss.xml", ".json"):
        assert len(check_any(feeds / f"all{suffix}")) == min(total, limit), suffix
        for slug, count in tags.items():
            assert len(check_any(feeds / "tag" / f"{slug}{suffix}")) == min(count, limit), slug
    for suffix in (".atom.xml", ".rss.xml"):
        for slug, count in sources.items():
            path = feeds / "source" / f"{slug}{suffix}"
            assert len(check_any(path)) == min(count, limit), slug


def test_formats_agree_on_order_and_links(published: Path) -> None:
    feeds = published / "feeds"
    atom = [e["url"] for e in check_any(feeds / "all.atom.xml")]
    assert atom == [e["url"] for e in check_any(feeds / "all.rss.xml")]
    assert atom == [e["url"] for e in check_any(feeds / "all.json")]
    atom_ids = [e["id"] for e in check_any(feeds / "all.atom.xml")]
    assert atom_ids == [e["id"] for e in check_any(feeds / "all.rss.xml")]


def test_every_url_is_absolute_under_siteurl(published: Path) -> None:
    own_urls_under(published, SITEURL)
    feed = json.loads((published / "feeds" / "tag" / "news.json").read_text(encoding="utf-8"))
    assert feed["home_page_url"] == f"{SITEURL}/tag/news.html"
    assert feed["feed_url"] == f"{SITEURL}/feeds/tag/news.json"


def test_content_starts_with_the_source_line(published: Path) -> None:
    by_slug = {meta["slug"]: meta for meta in content_files(ROOT / "content")}
    feeds = published / "feeds"
    for name in ("all.atom.xml", "all.rss.xml", "all.json"):
        for entry in check_any(feeds / name):
            meta = by_slug[entry["url"].rsplit("/", 1)[1].removesuffix(".html")]
            expected = (
                f'<p class="digest-source">From <a href="{html.escape(meta["source_url"])}">'
                f"{html.escape(meta['source'])}</a> · "
                f'<a href="{html.escape(meta["original_url"])}">Read the original</a></p>'
            )
            assert entry["content"].startswith(expected), (name, entry["url"])
            assert len(entry["content"]) > len(expected) + 200, "full content by default"


def test_autodiscovery_links(published: Path) -> None:
    _, tags, sources = expected_counts(ROOT / "content")
    tag, source = sorted(tags)[0], sorted(sources)[0]
    pages = {
        "index.html": [],
        f"tag/{tag}.html": [
            f"feeds/tag/{tag}.atom.xml",
            f"feeds/tag/{tag}.rss.xml",
            f"feeds/tag/{tag}.json",
        ],
        f"source/{source}.html": [
            f"feeds/source/{source}.atom.xml",
            f"feeds/source/{source}.rss.xml",
        ],
    }
    site_feeds = ["feeds/all.atom.xml", "feeds/all.rss.xml", "feeds/all.json"]
    types = {
        ".xml": ("application/atom+xml", "application/rss+xml"),
        ".json": ("application/feed+json",),
    }
    for page, own in pages.items():
        parser = Links()
        parser.feed((published / page).read_text(encoding="utf-8"))
        alternates = {
            link["href"]: link
            for link in parser.link_tags
            if link.get("rel") == "alternate" and "type" in link
        }
        for path in site_feeds + own:
            link = alternates.get(f"{SITEURL}/{path}")
            assert link is not None, f"{page}: no <link rel=alternate> for {path}"
            assert link["type"] in types[Path(path).suffix], (page, link)
            assert "atom" not in link["type"] or path.endswith(".atom.xml"), (page, link)
            assert link.get("title"), (page, link)
            assert (published / path).is_file(), path


# --- the development build ----------------------------------------------------------------


def test_development_feeds_are_absolute_on_feed_domain(development: Path) -> None:
    for path in feed_files(development):
        check_any(path)
        assert b"tag:None" not in path.read_bytes(), path
    own_urls_under(development, DEV_DOMAIN)
    home = (development / "index.html").read_text(encoding="utf-8")
    assert f'href="{DEV_DOMAIN}/feeds/all.json"' in home


# --- feed_content: full, summary, link ----------------------------------------------------

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


NOTE = "Taken from the feed's summary."


def content_file(slug: str, date: str, source: str, body: str, **meta: str) -> str:
    """A content file in the format the plugin writes."""
    fields = {
        "date": date,
        "slug": slug,
        "category": source,
        "tags": meta.pop("tags", "shared"),
        "authors": meta.pop("authors", "Ann Author"),
        "summary": meta.pop("summary", f"The summary of {slug}."),
        "source": source,
        "source_url": f"https://{slug}.example/",
        "original_url": f"https://{slug}.example/story.html",
        **meta,
    }
    head = "\n".join(
        f'<meta name="{k}" content="{html.escape(v, quote=True)}">' for k, v in fields.items()
    )
    return (
        f"<!DOCTYPE html>\n<html>\n<head>\n<title>Story {slug}</title>\n{head}\n</head>\n"
        f"<body>\n{body}\n</body>\n</html>\n"
    )


@pytest.fixture(scope="module")
def shaped(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny site: a full source (2 articles), a summary one, a link-only one; 3 items a feed."""
    root = tmp_path_factory.mktemp("shaped")
    copy_site(root, ("pelicanconf.py", "publishconf.py", "plugins", "theme"))
    (root / "tinyconf.py").write_text(
        "import os\nimport sys\n\nsys.path.append(os.path.dirname(os.path.abspath(__file__)))\n"
        "from publishconf import *  # noqa: F403\n\n"
        "FEED_MAX_ITEMS = 3\nDIGEST_SOURCES = []\nDIGEST_MIRRORS = {}\n",
        encoding="utf-8",
    )
    digest = root / "content" / "digest"
    digest.mkdir(parents=True)
    (root / "content" / "pages").mkdir()
    (root / "content" / "images" / "digest").mkdir(parents=True)
    (root / "content" / "images" / "digest" / "pic.png").write_bytes(PNG)
    full_body = (
        "<p>Full body of the first article.</p>\n"
        '<p><a href="../notes/more.html">More notes</a> and <a href="#part-2">part two</a>.</p>\n'
        '<figure><img src="{static}/images/digest/pic.png" alt="A picture"></figure>'
    )
    files = {
        "full-one": content_file(
            "full-one",
            "2026-01-04T10:00:00+00:00",
            "Full Times",
            full_body,
            tags="alpha, shared",
            authors="Ann Author, Bo Writer",
        ),
        "full-two": content_file(
            "full-two",
            "2026-01-01T10:00:00+00:00",
            "Full Times",
            "<p>Full body of the second article.</p>",
        ),
        "brief": content_file(
            "brief",
            "2026-01-03T10:00:00+00:00",
            "Brief Post",
            "<p>secret body of the brief one.</p>",
            feed_content="summary",
            note=NOTE,
        ),
        "link": content_file(
            "link",
            "2026-01-02T10:00:00+00:00",
            "Link Only",
            "<p>secret body of the linked one.</p>",
            feed_content="link",
            tags="alpha",
        ),
    }
    for slug, text in files.items():
        (digest / f"{slug}.html").write_text(text, encoding="utf-8")
    return build(root, "tinyconf.py", SITEURL)


def entries_by_slug(output: Path, feed: str) -> dict[str, dict[str, str]]:
    """A feed's entries by article slug, typogrify's no-break spaces made plain spaces."""
    found = {}
    for entry in check_any(output / feed):
        slug = entry["url"].rsplit("/", 1)[1].removesuffix(".html")
        found[slug] = {k: v.replace("\xa0", " ").replace("&nbsp;", " ") for k, v in entry.items()}
    return found


def source_line(slug: str, source: str) -> str:
    return (
        f'<p class="digest-source">From <a href="https://{slug}.example/">{source}</a> · '
        f'<a href="https://{slug}.example/story.html">Read the original</a></p>'
    )


def test_full_source_carries_the_whole_article_with_absolute_links(shaped: Path) -> None:
    article = f"{SITEURL}/2026/01/full-one.html"
    for feed in ("feeds/source/full-times.atom.xml", "feeds/source/full-times.rss.xml"):
        entry = entries_by_slug(shaped, feed)["full-one"]
        content = entry["content"]
        assert content.startswith(source_line("full-one", "Full Times")), feed
        assert "Full body of the first" in content
        assert f'href="{SITEURL}/2026/notes/more.html"' in content
        assert f'href="{article}#part-2"' in content
        assert f'src="{SITEURL}/images/digest/pic.png"' in content
    own_urls_under(shaped, SITEURL, built=False)  # ../notes/more.html is made up
    atom = ET.fromstring((shaped / "feeds/source/full-times.atom.xml").read_bytes())
    first = atom.find(f"{ATOM}entry")
    assert first is not None
    names = [a.findtext(f"{ATOM}name") for a in first.findall(f"{ATOM}author")]
    assert names == ["Ann Author", "Bo Writer"]
    rss = ET.fromstring((shaped / "feeds/source/full-times.rss.xml").read_bytes())
    item = rss.find("channel/item")
    assert item is not None
    assert [c.text for c in item.findall(f"{DC}creator")] == ["Ann Author", "Bo Writer"]


def test_summary_source_carries_the_summary_only(shaped: Path) -> None:
    expected = (
        source_line("brief", "Brief Post")
        + f'<p class="digest-note"><em>{html.escape(NOTE)}</em></p>'
        + "<p>The summary of brief.</p>"
    )
    atom = entries_by_slug(shaped, "feeds/source/brief-post.atom.xml")["brief"]
    assert atom["content"] == ""
    assert atom["summary"] == expected
    rss = entries_by_slug(shaped, "feeds/source/brief-post.rss.xml")["brief"]
    assert rss["content"] == expected
    json_entry = entries_by_slug(shaped, "feeds/tag/shared.json")["brief"]
    assert json_entry["content"] == expected
    for entry in (atom, rss, json_entry):
        assert "secret body" not in entry["content"] + entry.get("summary", "")


def test_link_source_carries_the_source_line_only(shaped: Path) -> None:
    expected = source_line("link", "Link Only")
    atom = entries_by_slug(shaped, "feeds/source/link-only.atom.xml")["link"]
    assert (atom["content"], atom["summary"]) == ("", expected)
    rss = entries_by_slug(shaped, "feeds/source/link-only.rss.xml")["link"]
    assert rss["content"] == expected
    json_entry = entries_by_slug(shaped, "feeds/tag/alpha.json")["link"]
    assert json_entry["content"] == expected


def test_feed_max_items_caps_every_format(shaped: Path) -> None:
    """Four articles, FEED_MAX_ITEMS = 3: the three newest, in the same order everywhere."""
    newest = [f"{SITEURL}/2026/01/{slug}.html" for slug in ("full-one", "brief", "link")]
    for feed in ("feeds/all.atom.xml", "feeds/all.rss.xml", "feeds/all.json"):
        assert [e["url"] for e in check_any(shaped / feed)] == newest, feed
    assert len(check_any(shaped / "feeds/tag/shared.json")) == 3
    assert len(check_any(shaped / "feeds/tag/alpha.json")) == 2


# --- the pieces, without a build ----------------------------------------------------------


def test_feed_content_mode_falls_back_to_the_site_default() -> None:
    article = SimpleNamespace(source_path="a.html")
    assert feed_content_mode(article, {}) == "full"
    assert feed_content_mode(article, {"DIGEST_FEED_CONTENT": "link"}) == "link"
    article.feed_content = "summary"
    assert feed_content_mode(article, {"DIGEST_FEED_CONTENT": "link"}) == "summary"
    article.feed_content = "everything"
    assert feed_content_mode(article, {"DIGEST_FEED_CONTENT": "link"}) == "link"
    assert feed_content_mode(article, {"DIGEST_FEED_CONTENT": "bogus"}) == "full"


def test_absolute_links_resolve_against_the_article() -> None:
    base = "https://example.github.io/digest/2026/01/a.html"
    markup = (
        '<p>A &amp; B <a href="../x.html">x</a> <a href="#n">n</a> '
        '<a href="mailto:a@b.example">m</a>'
        '<img src="i.png" srcset="i.png 1x, /j.png 2x"></p><video poster="p.jpg"></video>'
    )
    result = absolute_links(markup, base)
    assert '<p>A &amp; B <a href="https://example.github.io/digest/2026/x.html">x</a>' in result
    assert f'href="{base}#n"' in result
    assert 'href="mailto:a@b.example"' in result
    assert 'src="https://example.github.io/digest/2026/01/i.png"' in result
    srcset = "https://example.github.io/digest/2026/01/i.png 1x, https://example.github.io/j.png 2x"
    assert f'srcset="{srcset}"' in result
    assert 'poster="https://example.github.io/digest/2026/01/p.jpg"' in result
    assert absolute_links("", base) == ""


@pytest.mark.parametrize(
    ("markup", "relative"),
    [
        ('<p><a href="https://a.example/x">x</a><img src="https://a.example/i.png"></p>', False),
        ("<p data-src='i.png' hreflang=en>text</p>", False),
        ("<p>text about href=x.html</p>", True),  # looks like one: the safe (lxml) path
        ('<p><a href="https://a.example/x">x</a><img src="i.png"></p>', True),
        ("<p><a href=x.html>x</a></p>", True),
        ("<p><a HREF = '/x.html'>x</a></p>", True),
        ('<p><a href="#notes">notes</a></p>', True),
        ('<p><a href="&#47;x.html">x</a></p>', True),  # an entity is still a relative path
        ('<img src="https://a.example/i.png" srcset="i.png 2x">', True),
        ('<object data="clip.svg"></object>', True),
    ],
)
def test_only_markup_with_relative_links_is_reparsed(markup: str, relative: bool) -> None:
    assert has_relative_links(markup) is relative
    if not relative:  # returned as it is, not parsed and written out again
        assert absolute_links(markup, "https://example.github.io/digest/a.html") is markup


def test_feeds_wait_for_the_article_pages_and_come_out_the_same(
    development: Path, tmp_path: Path
) -> None:
    """With search on, the feeds are written after the article pages (so that Pagefind starts
    sooner), and they are byte for byte what a build without that wait writes."""
    feeds = sorted(p for p in (development / "feeds").rglob("*") if p.is_file())
    articles = [  # {date:%Y}/{date:%m}/{slug}.html; the index.html there are month archives
        p for p in development.glob("[0-9][0-9][0-9][0-9]/*/*.html") if p.name != "index.html"
    ]
    assert feeds and articles
    assert max(p.stat().st_mtime_ns for p in articles) <= min(p.stat().st_mtime_ns for p in feeds)

    root = tmp_path / "nosearch"
    root.mkdir()
    copy_site(root, ("pelicanconf.py", "plugins", "theme", "demo", "content"))
    (root / "nosearchconf.py").write_text(
        "from pelicanconf import *  # noqa: F403\n\nDIGEST_SEARCH = False\n", encoding="utf-8"
    )
    plain = build(root, "nosearchconf.py", None)
    for feed in feeds:
        relative = feed.relative_to(development)
        assert (plain / relative).read_bytes() == feed.read_bytes(), relative
