"""Hostile sources for the security tests: the payload corpus, feeds and pages that carry it.

Every payload goes into every field a feed or page can bring into the site:

- RSS source "Hostile A": one item per payload with the payload as title, description,
  content:encoded, dc:creator, category and enclosure URL, linking to a page that carries the
  payload in its body, <title>, OpenGraph and author meta, canonical link and JSON-LD;
- RSS source "Hostile B": one item per payload with no title and the payload as its link (so the
  link is also the title), the feed's channel link a javascript: URL and no configured site;
- RSS source "Hostile C": items with no title whose pages carry several payloads each in their
  OpenGraph title, description, image and author, so the page's metadata becomes the article's;
- JSON Feed source "Hostile J": one item per payload with the payload in every field (title,
  content_html, summary, authors, tags, url, external_url, image), feed content only;
- RSS source "Hostile raw": the payloads holding characters XML forbids, written raw into the
  feed (the other feeds replace those characters), plus a page of hostile images.
"""

from __future__ import annotations

import html
import json
import random
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape as xml_escape
from xml.sax.saxutils import quoteattr

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "hostile"
MARKER = "PAYLOAD_ID"
XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
PER_C_PAGE = 5  # payloads per "Hostile C" page
# Payloads that used to stop the whole fetch (finding F1 in SECURITY.md: a control character in
# a link, even written as &#14;, makes lxml raise ValueError, which is no DigestError, so the run
# ended for every source). The shared build carries them like every other payload, and
# test_hostile_build.py::test_one_hostile_item_never_stops_the_run runs each on its own.
CRASHES_THE_RUN = frozenset({"nul-split", "js-href-leading-controls", "control-chars"})

# A tiny valid PNG (1x1, grey), served for every /img/*.png the pages ask for.
PNG_1X1 = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010800000000"
    "3a7e9b550000000a49444154789c6360000000020001e221bc330000000049454e44ae426082"
)
# An SVG image that tries everything an SVG can: scripts, handlers, links, external loads.
EVIL_SVG = b"""<?xml version="1.0"?>
<!DOCTYPE svg [<!ENTITY xxe SYSTEM "file:///etc/hostname">]>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"
     width="10" height="10" onload="alert('svg-onload')">
  <script>alert('svg-script')</script>
  <style>@import url(//127.0.0.1:9/svg.css); rect { fill: url(//127.0.0.1:9/p.svg#a) }</style>
  <a xlink:href="javascript:alert('svg-link')"><rect width="10" height="10"/></a>
  <image href="//127.0.0.1:9/tracker.png" width="1" height="1"/>
  <use href="data:image/svg+xml,&lt;svg onload='alert(1)'/&gt;#x"/>
  <foreignObject><iframe xmlns="http://www.w3.org/1999/xhtml" src="javascript:alert(1)"/>
  </foreignObject>
  <set attributeName="onclick" to="alert('svg-set')"/>
  <text x="0" y="9" onclick="alert('svg-click')">&xxe;</text>
</svg>
"""
# Starts like a PNG, goes on as a web page: sniffed as PNG, so only ever shown as an image.
POLYGLOT_PNG = PNG_1X1 + b"<html><script>alert('polyglot')</script></html>"
# A web page served as image/png: no image signature, refused.
HTML_AS_PNG = b"<html><body><script>alert('html-as-png')</script></body></html>"

WORDS_TEXT = """harbour tide ferry crane quay gull rope net boat mast sail dock wharf storm wave
keel hull anchor buoy beacon channel reef shoal pier lamp island ledger council river bridge market
lantern orchard meadow quarry signal tower valley window winter summer autumn spring garden
library museum station theatre tunnel village harvest festival engine compass"""
WORDS = WORDS_TEXT.split()


@dataclass(frozen=True)
class Payload:
    """One entry of tests/fixtures/hostile/payloads.json."""

    id: str
    category: str
    payload: str
    tries: str

    def text(self, field: str) -> str:
        """The payload with its marker naming this payload and the field it is placed in."""
        return self.payload.replace(MARKER, f"{self.id}@{field}")


def load_payloads() -> list[Payload]:
    """The corpus, in file order."""
    data = json.loads((FIXTURES / "payloads.json").read_text(encoding="utf-8"))
    return [Payload(**entry) for entry in data["payloads"]]


def filler(seed: str, words: int = 70) -> str:
    """Ordinary article text, different for every seed (so no two items look like duplicates)."""
    rng = random.Random(seed)
    return " ".join(rng.choice(WORDS) + str(rng.randrange(1000)) for _ in range(words)) + "."


def xml_text(value: str, raw: bool = False) -> str:
    """Text for an XML element; characters XML forbids replaced unless `raw`."""
    return xml_escape(value if raw else XML_INVALID.sub("\ufffd", value))


def xml_attr(value: str, raw: bool = False) -> str:
    """A quoted XML attribute value."""
    return quoteattr(value if raw else XML_INVALID.sub("\ufffd", value))


def attr(value: str) -> str:
    """An HTML attribute value, escaped as a well-formed page would carry it."""
    return html.escape(value, quote=True)


def rss(title: str, link: str, items: list[str], raw: bool = False) -> bytes:
    """An RSS 2.0 document with the content and Dublin Core namespaces."""
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>'
        f"<title>{xml_text(title, raw)}</title><link>{xml_text(link, raw)}</link>"
        f"<description>Hostile test feed</description>{''.join(items)}</channel></rss>"
    ).encode("utf-8", "surrogatepass")


def item_a(p: Payload, base: str, raw: bool = False) -> str:
    """Hostile A: the payload in every field of the item; its page carries it too."""

    def t(field: str) -> str:
        return xml_text(p.text(field), raw)

    return (
        f"<item><title>{t('title')}</title><link>{base}/a/{p.id}</link>"
        f'<guid isPermaLink="false">a-{p.id}</guid>'
        f"<description>{t('summary')}&lt;p&gt;{filler('sa' + p.id, 12)}&lt;/p&gt;</description>"
        f"<content:encoded>{t('content')}&lt;p&gt;{filler('ca' + p.id)}&lt;/p&gt;"
        "</content:encoded>"
        f"<dc:creator>{t('author')}</dc:creator><category>{t('category')}</category>"
        f'<enclosure url={xml_attr(p.text("enclosure"), raw)} type="image/png" length="1"/>'
        "<pubDate>Wed, 25 Nov 2026 09:30:00 +0000</pubDate></item>"
    )


def item_b(p: Payload) -> str:
    """Hostile B: no title, the payload as the link; the feed's text is the article."""
    return (
        f'<item><link>{xml_text(p.text("link"))}</link><guid isPermaLink="false">b-{p.id}</guid>'
        f"<description>&lt;p&gt;{filler('b' + p.id)}&lt;/p&gt;</description>"
        "<pubDate>Tue, 24 Nov 2026 09:30:00 +0000</pubDate></item>"
    )


def item_c(index: int, base: str) -> str:
    """Hostile C: no title and no text in the feed; the page's metadata names the article."""
    return (
        f'<item><link>{base}/c/{index}</link><guid isPermaLink="false">c-{index}</guid>'
        "<pubDate>Mon, 23 Nov 2026 09:30:00 +0000</pubDate></item>"
    )


def page_a(p: Payload) -> bytes:
    """An article page with the payload raw in the body and <title>, escaped in its metadata."""

    def t(field: str) -> str:
        return p.text("page-" + field)

    ld = json.dumps(
        {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": t("ld-headline"),
            "author": {"@type": "Person", "name": t("ld-author")},
            "image": t("ld-image"),
            "description": t("ld-description"),
        }
    ).replace("</", "<\\/")
    head = (
        f"<title>{t('title')}</title>"
        f'<meta property="og:title" content="{attr(t("og-title"))}">'
        f'<meta property="og:description" content="{attr(t("og-description"))}">'
        f'<meta property="og:image" content="{attr(t("og-image"))}">'
        f'<meta name="author" content="{attr(t("author"))}">'
        f'<link rel="canonical" href="{attr(t("canonical"))}">'
        f'<script type="application/ld+json">{ld}</script>'
    )
    body = (
        f"<article><h1>Page {p.id}</h1><p>{filler('pa1' + p.id)}</p>{t('body')}"
        f"<p>{filler('pa2' + p.id)}</p></article>"
    )
    return (
        f'<!DOCTYPE html><html><head><meta charset="utf-8">{head}</head><body>{body}</body></html>'
    ).encode("utf-8", "surrogatepass")


def page_c(index: int, payloads: list[Payload]) -> bytes:
    """A page naming itself with hostile metadata: several payloads per page."""
    joined = " ".join(p.text("page-c") for p in payloads)
    first = payloads[0].text("page-c-image")
    head = (
        f'<meta property="og:title" content="{attr(joined)}">'
        f'<meta property="og:description" content="{attr(joined)}">'
        f'<meta property="og:image" content="{attr(first)}">'
        f'<meta name="author" content="{attr(joined)}">'
    )
    body = f"<article><p>{filler(f'pc{index}a')}</p><p>{filler(f'pc{index}b')}</p></article>"
    return f"<html><head>{head}</head><body>{body}</body></html>".encode("utf-8", "surrogatepass")


def images_page() -> bytes:
    """A page of hostile images: a scripted SVG, a PNG/HTML polyglot and HTML posing as PNG."""
    body = (
        f"<article><h1>Images</h1><p>{filler('img1')}</p>"
        '<p><img src="/img/evil.svg" alt="svg"></p><p><img src="/img/polyglot.png" alt="p"></p>'
        '<p><img src="/img/html-as.png" alt="h"></p><p><img src="/img/ok.png" alt="ok"></p>'
        f"<p>{filler('img2')}</p></article>"
    )
    return f"<html><head><title>Images</title></head><body>{body}</body></html>".encode()


def json_feed(payloads: list[Payload], base: str) -> bytes:
    """Hostile J: a JSON Feed 1.1 with the payload in every field of one item per payload."""
    items: list[dict[str, Any]] = []
    for p in payloads:
        items.append(
            {
                "id": f"j-{p.id}",
                "url": p.text("json-url"),
                "external_url": p.text("json-external"),
                "title": p.text("json-title"),
                "content_html": p.text("json-content") + f"<p>{filler('j' + p.id)}</p>",
                "summary": p.text("json-summary"),
                "image": p.text("json-image"),
                "banner_image": p.text("json-banner"),
                "date_published": "2026-11-22T09:30:00Z",
                "authors": [{"name": p.text("json-author"), "url": p.text("json-author-url")}],
                "tags": [p.text("json-tag")],
            }
        )
    document = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "Hostile J " + payloads[0].text("json-feed-title"),
        "home_page_url": f"javascript:alert('home')//{base}",
        "items": items,
    }
    return json.dumps(document, ensure_ascii=True).encode()


# -- the loopback server -----------------------------------------------------------------------


@dataclass
class Answer:
    """A canned response."""

    body: bytes
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class SourceServer:
    """The hostile sources on 127.0.0.1: routes by path, records every request."""

    routes: dict[str, Answer] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    httpd: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.httpd is not None
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def start(self) -> SourceServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                with server.lock:
                    server.requests.append(self.path)
                answer = server.routes.get(self.path.split("?")[0])
                if answer is None:
                    answer = Answer(b"not found", "text/plain", 404)
                self.send_response(answer.status)
                self.send_header("Content-Type", answer.content_type)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self.httpd is not None:
            self.httpd.shutdown()
            self.httpd.server_close()


def serve_hostile(server: SourceServer, payloads: list[Payload]) -> list[dict[str, object]]:
    """Route every hostile feed and page; return the DIGEST_SOURCES that read them."""
    base = server.url
    xml_ok = [p for p in payloads if not XML_INVALID.search(p.payload)]
    xml_bad = [p for p in payloads if XML_INVALID.search(p.payload)]
    r = server.routes
    r["/a.xml"] = Answer(
        rss(
            "Hostile A " + payloads[0].text("feed-title"),
            base + "/",
            [item_a(p, base) for p in payloads],
        ),
        "application/rss+xml",
    )
    r["/b.xml"] = Answer(
        rss("Hostile B", "javascript:alert('channel-link')", [item_b(p) for p in xml_ok]),
        "application/rss+xml",
    )
    groups = [payloads[i : i + PER_C_PAGE] for i in range(0, len(payloads), PER_C_PAGE)]
    r["/c.xml"] = Answer(
        rss("Hostile C", base + "/", [item_c(i, base) for i in range(len(groups))]),
        "application/rss+xml",
    )
    raw_items = [item_a(p, base, raw=True) for p in xml_bad]
    raw_items.append(
        f"<item><title>Images</title><link>{base}/img-page</link><guid>img</guid>"
        "<pubDate>Sun, 22 Nov 2026 09:30:00 +0000</pubDate></item>"
    )
    r["/raw.xml"] = Answer(
        rss("Hostile raw", base + "/", raw_items, raw=True), "application/rss+xml"
    )
    r["/j.json"] = Answer(json_feed(payloads, base), "application/feed+json")
    for p in payloads:
        r[f"/a/{p.id}"] = Answer(page_a(p))
    for index, group in enumerate(groups):
        r[f"/c/{index}"] = Answer(page_c(index, group))
    r["/img-page"] = Answer(images_page())
    r["/img/evil.svg"] = Answer(EVIL_SVG, "image/svg+xml")
    r["/img/polyglot.png"] = Answer(POLYGLOT_PNG, "image/png")
    r["/img/html-as.png"] = Answer(HTML_AS_PNG, "image/png")
    r["/img/ok.png"] = Answer(PNG_1X1, "image/png")
    return [
        {"name": "Hostile A", "feed": f"{base}/a.xml", "site": f"{base}/", "tags": ["hostile"]},
        {"name": "Hostile B", "feed": f"{base}/b.xml"},
        {"name": "Hostile C", "feed": f"{base}/c.xml", "site": f"{base}/"},
        {"name": "Hostile J", "feed": f"{base}/j.json", "fetch_pages": False},
        {"name": "Hostile raw", "feed": f"{base}/raw.xml", "site": f"{base}/"},
    ]


def walk(folder: Path) -> Iterator[Path]:
    """Every file and folder under folder, hidden ones included."""
    yield from folder.rglob("*")
