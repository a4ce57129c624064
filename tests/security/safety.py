"""What a page or feed of the site may hold: the rules the hostile build is checked against.

Every rule is stated here, explicitly, rather than borrowed from the code under test: widening
the sanitizer's allow-list must be a visible change to these tests too.
"""

from __future__ import annotations

import html
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import lxml.html
from lxml import etree


def tags(names: str) -> frozenset[str]:
    return frozenset(names.split())


# Article markup that may reach a reader (the sanitizer's allow-list, written out again).
CONTENT_ELEMENTS = tags(
    """p h2 h3 h4 h5 h6 a img figure figcaption blockquote q cite ul ol li dl dt dd table caption
    thead tbody tfoot tr th td pre code em strong b i u s sub sup small mark abbr time br hr span
    div section aside del ins kbd samp var"""
)
# The theme's own frame around the content.
PAGE_ELEMENTS = CONTENT_ELEMENTS | tags(
    "html head meta title link body header nav main footer article h1 script"
)
# The theme's own scripts (search.html only): a src ending so, and no inline code.
KNOWN_SCRIPTS = ("/pagefind/pagefind-ui.js", "/theme/js/search.js")
LINK_RELS = frozenset({"stylesheet", "icon", "alternate", "canonical"})
URL_ATTRIBUTES = tags(
    """href src action formaction xlink:href srcdoc poster data cite background ping longdesc
    codebase manifest lowsrc dynsrc usemap icon profile srcset"""
)
# Attributes that make a browser fetch something as the page loads.
LOADING = {
    "img": ("src", "srcset"),
    "script": ("src",),
    "source": ("src", "srcset"),
    "video": ("src", "poster"),
    "audio": ("src",),
    "input": ("src",),
}
DANGEROUS_SCHEMES = ("javascript:", "vbscript:", "data:", "file:", "livescript:", "mocha:")
_INVISIBLE = re.compile("[\x00-\x20\x7f-\x9f\u00ad\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff]")


@dataclass(frozen=True)
class Violation:
    """One thing a page or feed must not hold."""

    file: str
    where: str
    kind: str
    what: str

    def __str__(self) -> str:
        return f"{self.file}: {self.where}: {self.kind}: {self.what[:160]!r}"


def url_scheme_text(value: str) -> str:
    """A URL as a browser would read its scheme: entities decoded, invisible characters gone."""
    decoded = value
    for _ in range(3):  # a value decoded once by the parser may still hold entities
        again = html.unescape(decoded)
        if again == decoded:
            break
        decoded = again
    return _INVISIBLE.sub("", decoded).lower()


def dangerous_url(value: str) -> bool:
    """True for javascript:, vbscript:, data:, file: and the like, however they are disguised."""
    return url_scheme_text(value).startswith(DANGEROUS_SCHEMES)


def srcset_urls(value: str) -> list[str]:
    """The URLs of a srcset attribute."""
    return [part.strip().split(" ")[0] for part in value.split(",") if part.strip()]


def is_local(url: str, site_bases: tuple[str, ...]) -> bool:
    """A URL a browser resolves to the site itself: relative, or under one of its bases."""
    text = url.strip()
    if text.startswith("//"):
        return False
    parts = urlsplit(text)
    if not parts.scheme and not parts.netloc:
        return True
    return any(text.startswith(base) for base in site_bases if base)


def element_path(el: etree._Element) -> str:
    """html>body>main>article.article>div.prose>p: where an element sits, for messages."""
    names = []
    node: etree._Element | None = el
    while node is not None:
        if isinstance(node.tag, str):
            cls = (node.get("class") or "").split()
            names.append(node.tag + (f".{cls[0]}" if cls else ""))
        node = node.getparent()
    return ">".join(reversed(names))


def check_element(
    el: etree._Element, file: str, allowed: frozenset[str], site_bases: tuple[str, ...]
) -> Iterator[Violation]:
    """The rules for one element and its attributes."""
    where = element_path(el)
    tag = el.tag if isinstance(el.tag, str) else ""
    if not tag:
        return
    if tag not in allowed:
        yield Violation(file, where, "element", etree.tostring(el, encoding="unicode")[:200])
    if tag == "script":
        src = el.get("src") or ""
        known = any(src.endswith(name) for name in KNOWN_SCRIPTS)
        if not known or (el.text or "").strip():
            yield Violation(file, where, "script", etree.tostring(el, encoding="unicode")[:200])
    if tag == "meta":
        if el.get("http-equiv") is not None:
            yield Violation(file, where, "meta", etree.tostring(el, encoding="unicode"))
        key = (el.get("property") or el.get("name") or "").lower()
        if key.endswith((":url", ":image")) and dangerous_url(el.get("content") or ""):
            yield Violation(file, where + f"[{key}]", "scheme", el.get("content") or "")
    if tag == "link":
        rels = set((el.get("rel") or "").lower().split())
        if not rels or not rels <= LINK_RELS:
            yield Violation(file, where, "link", etree.tostring(el, encoding="unicode"))
        if rels & {"stylesheet", "icon"} and not is_local(el.get("href") or "", site_bases):
            yield Violation(file, where + "@href", "remote", el.get("href") or "")
    for name, value in el.attrib.items():
        lowered = str(name).lower()
        if lowered.startswith("on"):
            yield Violation(file, f"{where}@{lowered}", "handler", value)
        elif lowered in ("style", "srcdoc"):
            yield Violation(file, f"{where}@{lowered}", lowered, value)
        elif lowered.split("}")[-1] in URL_ATTRIBUTES or lowered.endswith(":href"):
            urls = srcset_urls(value) if lowered.endswith("srcset") else [value]
            for url in urls:
                if dangerous_url(url):
                    yield Violation(file, f"{where}@{lowered}", "scheme", url)
    for name in LOADING.get(tag, ()):
        value = el.get(name)
        for url in srcset_urls(value) if value and name == "srcset" else [value or ""]:
            if url and not dangerous_url(url) and not is_local(url, site_bases):
                yield Violation(file, f"{where}@{name}", "remote", url)


def check_tree(
    root: etree._Element,
    file: str,
    site_bases: tuple[str, ...],
    allowed: frozenset[str] = PAGE_ELEMENTS,
) -> list[Violation]:
    """Every element of a parsed page; content areas held to the content allow-list."""
    found: list[Violation] = []
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        in_content = any(
            {"prose", "entry__summary"} & set((a.get("class") or "").split())
            for a in el.iterancestors()
        )
        rules = CONTENT_ELEMENTS if in_content else allowed
        found.extend(check_element(el, file, rules, site_bases))
    return found


def check_page(path: Path, file: str, site_bases: tuple[str, ...]) -> list[Violation]:
    """A built HTML page."""
    root = lxml.html.document_fromstring(path.read_bytes())
    return check_tree(root, file, site_bases)


def check_fragment(
    markup: str, file: str, where: str, site_bases: tuple[str, ...]
) -> list[Violation]:
    """HTML carried inside a feed: the content allow-list, the same attribute rules."""
    if not markup.strip():
        return []
    root = lxml.html.fragment_fromstring(markup, create_parent="feed-entry")
    found = []
    for el in root.iterdescendants():
        for v in check_element(el, file, CONTENT_ELEMENTS, site_bases):
            found.append(
                Violation(v.file, f"{where}:{v.where.removeprefix('feed-entry>')}", v.kind, v.what)
            )
    return found


ATOM = "{http://www.w3.org/2005/Atom}"


def check_feed(path: Path, file: str, site_bases: tuple[str, ...]) -> list[Violation]:
    """An Atom or RSS feed: links safe, and the HTML it carries held to the content rules."""
    root = ET.parse(path).getroot()
    found: list[Violation] = []
    entries = root.iter(f"{ATOM}entry") if root.tag == f"{ATOM}feed" else root.iter("item")
    for index, entry in enumerate(entries):
        where = f"{'entry' if root.tag == f'{ATOM}feed' else 'item'}[{index}]"
        for child in entry:
            name = child.tag.split("}")[-1]
            if name in ("content", "summary", "description"):
                is_html = child.get("type", "html") in ("html", "text/html")
                if is_html:
                    found.extend(
                        check_fragment(child.text or "", file, f"{where}/{name}", site_bases)
                    )
            if name == "link":
                href = child.get("href") or child.text or ""
                if dangerous_url(href):
                    found.append(Violation(file, f"{where}/link", "scheme", href))
            if name in ("guid", "id", "comments") and dangerous_url(child.text or ""):
                found.append(Violation(file, f"{where}/{name}", "scheme", child.text or ""))
    for link in root.iter(f"{ATOM}link"):
        if dangerous_url(link.get("href") or ""):
            found.append(Violation(file, "feed/link", "scheme", link.get("href") or ""))
    return found


def check_json_feed(path: Path, file: str, site_bases: tuple[str, ...]) -> list[Violation]:
    """A JSON Feed: URLs safe, content_html held to the content rules."""
    document = json.loads(path.read_text(encoding="utf-8"))
    found: list[Violation] = []
    for key in ("home_page_url", "feed_url"):
        if dangerous_url(str(document.get(key) or "")):
            found.append(Violation(file, key, "scheme", str(document.get(key))))
    for index, item in enumerate(document.get("items") or []):
        where = f"items[{index}]"
        found.extend(
            check_fragment(
                str(item.get("content_html") or ""), file, f"{where}/content_html", site_bases
            )
        )
        for key in ("url", "external_url", "image", "banner_image"):
            if dangerous_url(str(item.get(key) or "")):
                found.append(Violation(file, f"{where}/{key}", "scheme", str(item.get(key))))
        for author in item.get("authors") or []:
            if dangerous_url(str(author.get("url") or "")):
                found.append(Violation(file, f"{where}/authors", "scheme", str(author["url"])))
    return found


def check_output(output: Path, site_bases: tuple[str, ...]) -> list[Violation]:
    """Every page and feed of a built site."""
    found: list[Violation] = []
    for path in sorted(output.rglob("*")):
        if not path.is_file():
            continue
        rel = path.relative_to(output).as_posix()
        if path.suffix == ".html":
            found.extend(check_page(path, rel, site_bases))
        elif path.name.endswith((".atom.xml", ".rss.xml")):
            found.extend(check_feed(path, rel, site_bases))
        elif path.suffix == ".json" and rel.startswith("feeds/"):
            found.extend(check_json_feed(path, rel, site_bases))
    return found
