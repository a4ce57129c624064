"""The published site served under a sub-path, as GitHub Pages serves a project site.

Built with publishconf.py and SITEURL=http://127.0.0.1:PORT/digest from the committed content, then
served on loopback with /digest/ mapped to output/ and every other path a 404. A crawler follows
every internal link of every page (anchors, images, stylesheets, scripts, icons, feed links) and
every link of every feed; none may be broken, and the feeds' links must be absolute.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
import threading
import xml.etree.ElementTree as ET
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.error import HTTPError
from urllib.parse import unquote, urldefrag, urljoin, urlsplit
from urllib.request import urlopen

import pytest

from tests.sitecopy import copy_site

ROOT = Path(__file__).resolve().parents[2]
COPIED = ["pelicanconf.py", "publishconf.py", "plugins", "theme", "demo", "content", "site_rules"]
PREFIX = "/digest"
URL_ATTRIBUTES = {"href", "src", "poster", "data", "action"}


class SubpathHandler(SimpleHTTPRequestHandler):
    """Serves the output folder under /digest/ only; anything else is a 404."""

    def send_head(self) -> object:
        path = urlsplit(self.path).path
        if path != PREFIX and not path.startswith(PREFIX + "/"):
            self.send_error(404, "outside the site's sub-path")
            return None
        return super().send_head()

    def translate_path(self, path: str) -> str:
        return super().translate_path(path[len(PREFIX) :] or "/")

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the test reports what matters."""


@dataclass
class Site:
    root: Path
    siteurl: str
    netloc: str


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The site built for http://127.0.0.1:PORT/digest and served there for the module."""
    root = tmp_path_factory.mktemp("subpath")
    copy_site(root, COPIED)
    (root / "output").mkdir()
    handler = functools.partial(SubpathHandler, directory=str(root / "output"))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    netloc = f"127.0.0.1:{server.server_address[1]}"
    siteurl = f"http://{netloc}{PREFIX}"

    env = {k: v for k, v in os.environ.items() if not k.startswith(("DIGEST_", "FEED_DOMAIN"))}
    env.update(SITEURL=siteurl, DIGEST_FETCH="0", PYTHONPATH=str(root / "plugins"))
    result = subprocess.run(
        [sys.executable, "-m", "pelican", "-s", "publishconf.py"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    output = result.stdout + result.stderr
    if result.returncode != 0 or "Traceback" in output:
        server.server_close()
        pytest.fail(f"the publish build failed:\n{output}")

    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Site(root, siteurl, netloc)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


class LinkParser(HTMLParser):
    """Every URL an HTML page refers to: href, src, srcset, poster and OpenGraph images."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value for name, value in attrs if value is not None}
        for name, value in values.items():
            if name in URL_ATTRIBUTES:
                self.urls.append(value)
            elif name in {"srcset", "imagesrcset"}:
                self.urls += [part.split()[0] for part in value.split(",") if part.strip()]
        if tag == "meta" and values.get("property", values.get("name", "")) in {
            "og:url",
            "og:image",
            "twitter:image",
        }:
            self.urls.append(values.get("content", ""))


def page_urls(markup: str) -> list[str]:
    parser = LinkParser()
    parser.feed(markup)
    parser.close()
    return [url.strip() for url in parser.urls if url.strip()]


Link = tuple[str, str]  # (relation, URL)


def xml_feed_links(document: str) -> tuple[list[Link], list[str]]:
    """(the links of an Atom or RSS feed, the URLs inside its entries' content)."""
    tree = ET.fromstring(document)
    own, inside = [], []
    for element in tree.iter():
        name = element.tag.rsplit("}", 1)[-1]
        if name == "link":
            href = element.get("href") or (element.text or "").strip()
            if href:
                own.append((element.get("rel", "alternate"), href))
        elif name in {"content", "summary", "description", "encoded"} and element.text:
            inside += page_urls(element.text)
    return own, inside


def json_feed_links(document: str) -> tuple[list[Link], list[str]]:
    """The same for a JSON Feed: its own URLs, the items' and those inside content_html."""
    feed = json.loads(document)
    own = [("alternate", feed.get("home_page_url", "")), ("self", feed.get("feed_url", ""))]
    inside = []
    for item in feed.get("items", []):
        own += [("alternate", item.get("url", "")), ("related", item.get("external_url", ""))]
        own += [("enclosure", item.get(key, "")) for key in ("image", "banner_image")]
        inside += page_urls(item.get("content_html", "") or "")
    return [(rel, url) for rel, url in own if url], inside


@dataclass
class Crawl:
    """What the crawler saw: every URL fetched with its status, what links led to, the problems."""

    statuses: dict[str, int] = field(default_factory=dict)
    linked: set[str] = field(default_factory=set)
    broken: list[str] = field(default_factory=list)
    feeds: dict[str, tuple[list[Link], list[str]]] = field(default_factory=dict)
    pages: int = 0


def fetch(url: str) -> tuple[int, str, bytes]:
    try:
        with urlopen(url, timeout=30) as response:
            return response.status, response.headers.get_content_type(), response.read()
    except HTTPError as error:
        return error.code, "", b""


def feed_kind(path: str, body: bytes) -> str:
    """ "xml" for an Atom or RSS feed, "json" for a JSON Feed, "" for anything else."""
    head = body[:1000]
    if path.endswith(".xml") and (b"<feed" in head or b"<rss" in head or b"<rdf" in head):
        return "xml"
    if path.endswith(".json") and b"jsonfeed.org/version" in head:
        return "json"
    return ""


def same_page(first: str, second: str) -> bool:
    """Whether two URLs name one page (a folder's URL and its index.html are one page)."""

    def key(url: str) -> str:
        path = urlsplit(url).path
        return path + "index.html" if path.endswith("/") else path

    return key(first) == key(second)


def crawl(site: Site) -> Crawl:
    """Breadth-first over the internal links, starting from every page of output/.

    Starting from every page checks the links of pages nothing links to as well; which pages
    links do reach is kept apart (Crawl.linked).
    """
    seen = Crawl()
    output = site.root / "output"
    starts = [f"{site.siteurl}/"] + [
        f"{site.siteurl}/{page.relative_to(output).as_posix()}"
        for page in sorted(output.rglob("*.html"))
    ]
    queue = deque((url, "start") for url in starts)
    queued = set(starts)
    while queue:
        url, referrer = queue.popleft()
        status, content_type, body = fetch(url)
        seen.statuses[url] = status
        if status != 200:
            seen.broken.append(f"{url} -> {status} (linked from {referrer})")
            continue
        if content_type == "text/html":
            seen.pages += 1
            found = page_urls(body.decode("utf-8"))
        elif kind := feed_kind(urlsplit(url).path, body):
            parse = xml_feed_links if kind == "xml" else json_feed_links
            own, inside = parse(body.decode("utf-8"))
            seen.feeds[url] = (own, inside)
            found = [link for _, link in own] + inside
        else:
            continue
        for link in found:
            target = urldefrag(urljoin(url, link))[0]
            parts = urlsplit(target)
            if parts.scheme not in {"http", "https"}:
                continue  # mailto:, tel:, data: and the like
            if parts.netloc != site.netloc:
                if parts.hostname in {"localhost", "127.0.0.1", "::1"}:
                    seen.broken.append(f"{link} -> a development address (in {url})")
                continue  # the sources' own sites are not followed
            if same_page(target, url):
                continue  # a page's canonical link or og:url names the page itself
            seen.linked.add(target)
            if target not in queued:
                queued.add(target)
                queue.append((target, url))
    return seen


@pytest.fixture(scope="module")
def crawled(site: Site) -> Crawl:
    return crawl(site)


def linked_pages(site: Site, crawled: Crawl) -> tuple[set[str], set[str]]:
    """(every HTML file of output/ but 404.html, those some link leads to), as output paths."""
    output = site.root / "output"
    pages = {
        p.relative_to(output).as_posix() for p in output.rglob("*.html") if p.name != "404.html"
    }
    reached = set()
    for url in crawled.linked:
        path = unquote(urlsplit(url).path)[len(PREFIX) + 1 :]
        reached.add(f"{path}index.html" if path == "" or path.endswith("/") else path)
    return pages, reached


def test_server_serves_only_the_sub_path(site: Site) -> None:
    assert fetch(f"{site.siteurl}/")[0] == 200
    assert fetch(f"http://{site.netloc}/index.html")[0] == 404
    assert fetch(f"http://{site.netloc}/theme/css/digest.css")[0] == 404


def test_links_reach_every_article_source_tag_and_page(site: Site, crawled: Crawl) -> None:
    pages, reached = linked_pages(site, crawled)
    essential = {
        p for p in pages if p.startswith(("source/", "tag/", "pages/")) or p.count("/") == 2
    }
    essential -= {p for p in essential if p.endswith("/index.html")}
    assert len(essential) > 60
    assert essential - reached == set(), "pages no link leads to"
    assert crawled.feeds, "no feed was linked"


def test_every_built_page_is_linked_from_another(site: Site, crawled: Crawl) -> None:
    pages, reached = linked_pages(site, crawled)
    assert pages - reached == set(), "pages no link leads to"


def test_no_internal_link_is_broken(crawled: Crawl) -> None:
    assert crawled.broken == []
    assert len(crawled.statuses) > 50


def test_stylesheet_and_icon_resolve_under_the_sub_path(site: Site, crawled: Crawl) -> None:
    assert crawled.statuses.get(f"{site.siteurl}/theme/css/digest.css") == 200
    images = [url for url in crawled.statuses if "/images/digest/" in url]
    assert images, "no local article image was linked"


def test_feed_links_are_absolute_under_the_siteurl(site: Site, crawled: Crawl) -> None:
    """Feed readers resolve nothing: every URL absolute, the site's own under SITEURL.

    The site's own: the feed's and each entry's alternate and self links, and any URL on the
    site's host. Links to the originals (rel="related", external_url) stay on their sites.
    """
    under = site.siteurl + "/"
    bad = []
    for feed, (own, inside) in crawled.feeds.items():
        for rel, link in own:
            parts = urlsplit(link)
            if not (parts.scheme and parts.netloc):
                bad.append(f"{feed}: relative {rel} link {link}")
            elif (rel in {"alternate", "self"} or parts.netloc == site.netloc) and not (
                link.startswith(under) or link == site.siteurl
            ):
                bad.append(f"{feed}: {rel} link outside the site: {link}")
        for link in inside:
            parts = urlsplit(link)
            if not (parts.scheme and parts.netloc):
                bad.append(f"{feed}: relative URL in content: {link}")
            elif parts.netloc == site.netloc and not link.startswith(under):
                bad.append(f"{feed}: URL in content outside the site: {link}")
    assert bad == []


def test_every_feed_kind_is_checked(crawled: Crawl) -> None:
    paths = [urlsplit(url).path for url in crawled.feeds]
    assert any(path.endswith("/feeds/all.atom.xml") for path in paths)
    assert len(paths) > 5, "the source and tag feeds are linked too"


def test_pages_link_their_feeds_with_the_siteurl(site: Site) -> None:
    index = (site.root / "output" / "index.html").read_text(encoding="utf-8")
    alternate = [
        url for url in page_urls(index) if url.endswith(".atom.xml") or url.endswith(".rss.xml")
    ]
    assert alternate
    assert all(url.startswith(site.siteurl + "/feeds/") for url in alternate)
