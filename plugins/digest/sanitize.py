"""Article HTML made safe to publish and able to stand alone.

nh3 (the ammonia sanitizer) is the security boundary: only ordinary article markup and a few
harmless attributes survive it, and only http, https and mailto URLs. Before it, an lxml pass
does what a sanitizer cannot know to do: give lazy-loaded images their real src, make links and
images absolute against the page's URL, take tracking parameters out of links, demote <h1> (the
article title is the page's only h1) and drop the empty shells that removals leave behind.
"""

from __future__ import annotations

import logging
import re
import tomllib
from functools import cache
from pathlib import Path
from urllib.parse import unquote_plus, urljoin, urlsplit, urlunsplit

import lxml.html
import nh3
from lxml import etree

from .errors import ConfigError

log = logging.getLogger(__name__)


def tag_set(names: str) -> frozenset[str]:
    """A set of tag names written as one space-separated string."""
    return frozenset(names.split())


URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "noopener noreferrer nofollow"

ALLOWED_TAGS = tag_set(
    """p h2 h3 h4 h5 h6 a img figure figcaption blockquote q cite ul ol li dl dt dd table caption
    thead tbody tfoot tr th td pre code em strong b i u s sub sup small mark abbr time br hr span
    div section aside del ins kbd samp var"""
)
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "abbr": {"title"},
    "time": {"datetime"},
    "blockquote": {"cite"},
    "q": {"cite"},
    "del": {"cite", "datetime"},
    "ins": {"cite", "datetime"},
    "ol": {"start", "reversed"},
    "li": {"value"},
    "*": {"lang", "dir"},
}
# Dropped together with everything inside them.
DROP_WITH_CONTENT = tag_set(
    """script style iframe frame frameset object embed applet svg math button select textarea
    input label noscript template canvas video audio head title link meta base dialog"""
)

_CLEANER = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    clean_content_tags=set(DROP_WITH_CONTENT) | {"form"},
    attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
    url_schemes=set(URL_SCHEMES),
    link_rel=LINK_REL,
    strip_comments=True,
)
_PARSER = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True)

LAZY_SRC_ATTRIBUTES = (
    "data-src",
    "data-lazy-src",
    "data-original",
    "data-lazy",
    "data-url",
    "data-hi-res-src",
    "data-full-src",
    "data-orig-file",
)
LAZY_SRCSET_ATTRIBUTES = ("srcset", "data-srcset", "data-lazy-srcset")
_PLACEHOLDER = re.compile(
    r"(blank|spacer|placeholder|pixel|transparent|lazy|loading|1x1|grey|gray|empty)[^/]*$", re.I
)
_SRCSET_ITEM = re.compile(r"\s*(\S+?),?(?:\s+(\d+(?:\.\d+)?)([wxh]))?\s*(?:,|$)")
# Elements that say nothing when they hold no text and no image.
_EMPTY_DROPPABLE = tag_set(
    """p div section aside li ul ol dl dt dd figure figcaption blockquote h1 h2 h3 h4 h5 h6
    article header footer main nav center"""
)
# Inline elements with no text are unwrapped, not dropped: the space or <br> inside them
# still separates the words around them.
_EMPTY_INLINE = tag_set("span a strong em b i u s small mark font sup sub code cite q")
_KEEPS_EMPTY = frozenset({"img", "hr", "table"})
_TOP_WRAPPERS = frozenset({"div", "section", "article", "main", "body", "html"})

# Text extraction.
_TEXT_BLOCKS = tag_set(
    """address article aside blockquote body caption center dd details dialog div dl dt fieldset
    figcaption figure footer form h1 h2 h3 h4 h5 h6 header hgroup hr html legend li main menu nav
    ol p pre section summary table tbody td tfoot th thead tr ul"""
)
_TEXT_SKIP = tag_set(
    """script style noscript template head title svg math iframe object embed canvas select
    option textarea button"""
)
_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u200b\u2009\u202f]+")

RULES_DIR = Path(__file__).with_name("rules")
_DOC_START = re.compile(
    r"^\ufeff?\s*(<!--.*?-->\s*)*<(!doctype|html|\?xml|head|body)\b", re.I | re.S
)


@cache
def _tracking() -> tuple[frozenset[str], tuple[str, ...]]:
    """The tracking parameter names and name prefixes, from rules/tracking.toml."""
    path = RULES_DIR / "tracking.toml"
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise ConfigError(f"tracking rules {path}: {err}") from err
    names = frozenset(str(n).lower() for n in data.get("names", []))
    prefixes = tuple(str(p).lower() for p in data.get("prefixes", []))
    return names, prefixes


def _is_tracking(name: str) -> bool:
    """Whether a query parameter name only tracks the click."""
    names, prefixes = _tracking()
    key = unquote_plus(name).strip().lower()
    return key in names or key.startswith(prefixes)


def _without_tracking(query: str) -> str:
    """A query string (or a fragment written like one) without its tracking parameters."""
    kept = [piece for piece in query.split("&") if piece and not _is_tracking(piece.split("=")[0])]
    return "&".join(kept)


def strip_tracking(url: str) -> str:
    """The URL without utm_*, fbclid, gclid and the like; otherwise exactly as given."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    query = _without_tracking(parts.query) if parts.query else ""
    fragment = parts.fragment
    if fragment and all("=" in piece for piece in fragment.split("&")):
        fragment = _without_tracking(fragment)
    if query == parts.query and fragment == parts.fragment:
        return url
    return urlunsplit(parts._replace(query=query, fragment=fragment))


_URL_WHITESPACE = str.maketrans("", "", "\t\r\n")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def absolute_url(value: str, base_url: str) -> str | None:
    """value made absolute against base_url, or None when it is not an http(s)/mailto URL.

    Tabs and line breaks are dropped, as browsers drop them; a URL still holding a control
    character is refused (no browser would follow it, and lxml will not store it).
    """
    value = value.strip().translate(_URL_WHITESPACE)
    if not value:
        return None
    try:
        joined = urljoin(base_url, value) if base_url else value
        scheme = urlsplit(joined).scheme.lower()
    except ValueError:
        return None
    if _CONTROL.search(joined):
        return None
    return joined if scheme in URL_SCHEMES else None


def _tag(el: object) -> str | None:
    """An element's tag, or None for comments and processing instructions."""
    tag = getattr(el, "tag", None)
    return tag.lower() if isinstance(tag, str) else None


def _usable_src(src: str | None) -> bool:
    """A src that is a real image, not a lazy-loading placeholder."""
    if not src or not src.strip() or src.strip().lower().startswith("data:"):
        return False
    path = src.split("?")[0].split("#")[0]
    return not _PLACEHOLDER.search(path.rsplit("/", 1)[-1])


def _largest_in_srcset(srcset: str) -> str | None:
    """The widest (or densest) candidate of a srcset."""
    best, best_size = None, -1.0
    for match in _SRCSET_ITEM.finditer(srcset):
        url = match.group(1).rstrip(",")
        if not url:
            continue
        size = float(match.group(2)) if match.group(2) else 1.0
        if size > best_size:
            best, best_size = url, size
    return best


def _image_src(img: lxml.html.HtmlElement) -> str | None:
    """The image's real address: src, else a lazy-loading attribute, else the best of srcset."""
    src = img.get("src")
    if _usable_src(src):
        return src
    for attr in LAZY_SRC_ATTRIBUTES:
        if _usable_src(img.get(attr)):
            return img.get(attr)
    for attr in LAZY_SRCSET_ATTRIBUTES:
        candidate = _largest_in_srcset(img.get(attr) or "")
        if _usable_src(candidate):
            return candidate
    return None


def _fix_noscript_images(root: lxml.html.HtmlElement) -> None:
    """A <noscript> fallback image replaces the lazy placeholder before it, or stands alone."""
    for noscript in list(root.iter("noscript")):
        images = noscript.findall(".//img")
        if not images:
            continue
        before = noscript.getprevious()
        if before is not None and _tag(before) == "img":
            if _image_src(before) is not None:
                continue
            before.drop_tree()
        noscript.addprevious(images[0])


def _fix_images(root: lxml.html.HtmlElement, base_url: str) -> None:
    """Real, absolute src on every image; drop tracking pixels and images with no address."""
    for img in list(root.iter("img")):
        src = _image_src(img)
        url = absolute_url(src, base_url) if src else None
        pixel = img.get("width") in ("0", "1") or img.get("height") in ("0", "1")
        if url is None or pixel or url.lower().startswith("mailto:"):
            img.drop_tree()
            continue
        img.set("src", url)


def _fix_links(root: lxml.html.HtmlElement, base_url: str) -> None:
    """Absolute links without tracking parameters; a link to nowhere becomes plain text."""
    for link in list(root.iter("a")):
        href = link.get("href")
        url = absolute_url(href, base_url) if href else None
        if url is None:
            link.drop_tag()
        else:
            link.set("href", strip_tracking(url))
    for el in root.xpath(".//*[@cite]"):
        url = absolute_url(el.get("cite"), base_url)
        if url is None:
            del el.attrib["cite"]
        else:
            el.set("cite", url)


def _drop_forms(root: lxml.html.HtmlElement) -> None:
    """A form with fields is a sign-up or a search box; any other form is only a wrapper."""
    for form in list(root.iter("form")):
        if form.xpath(".//input | .//select | .//textarea | .//button"):
            form.drop_tree()
        else:
            form.drop_tag()


def _drop_empty(root: lxml.html.HtmlElement) -> None:
    """Remove elements left with no text and no image, innermost first.

    One pass from the last element back: each element's children are decided before it, so
    whether it holds anything is known from its own text, its children's tails and marks.
    """
    elements = list(root.iterdescendants())
    filled: dict[lxml.html.HtmlElement, bool] = {}
    for el in reversed(elements):
        tag = _tag(el)
        if tag is None:  # a comment says nothing, whatever its text
            filled[el] = False
            continue
        full = tag in _KEEPS_EMPTY or bool((el.text or "").strip())
        if not full:
            for child in el:
                if filled.get(child, True) or (child.tail or "").strip():
                    full = True
                    break
        filled[el] = full
        if full or (tag not in _EMPTY_DROPPABLE and tag not in _EMPTY_INLINE):
            continue
        if tag in _EMPTY_INLINE:
            el.drop_tag()
        else:
            el.drop_tree()


def _unwrap_top(root: lxml.html.HtmlElement) -> lxml.html.HtmlElement:
    """Skip the chain of single wrappers around the content (readability's nested divs)."""
    while (
        len(root) == 1
        and not (root.text or "").strip()
        and _tag(root[0]) in _TOP_WRAPPERS
        and not (root[0].tail or "").strip()
    ):
        root = root[0]
    return root


def _trim_rules(root: lxml.html.HtmlElement) -> None:
    """Drop <hr> and <br> left at the very start or end, where a removed appeal used to be."""
    while len(root) and _tag(root[0]) in ("hr", "br") and not (root.text or "").strip():
        root[0].drop_tree()
    while len(root) and _tag(root[-1]) in ("hr", "br") and not (root[-1].tail or "").strip():
        root[-1].drop_tree()


def _fragment(html: str) -> lxml.html.HtmlElement:
    """Parse HTML (a page or a fragment) into one element holding the content."""
    data = html.encode("utf-8", "replace")
    try:
        if _DOC_START.match(html[:4000]):
            page = lxml.html.document_fromstring(data, parser=_PARSER)
            body = page.find("body")
            return body if body is not None else page
        return lxml.html.fragment_fromstring(data, create_parent="div", parser=_PARSER)
    except (etree.ParserError, ValueError):
        return lxml.html.fragment_fromstring("<div></div>")


def _inner_html(root: lxml.html.HtmlElement) -> str:
    """The children of root as an HTML string (root's own tag left out)."""
    head = root.text or ""
    inner = "".join(lxml.html.tostring(child, encoding="unicode") for child in root)
    return nh3.escape(head) + inner if head.strip() else inner


def sanitize_html(html: str, base_url: str) -> str:
    """Article HTML safe to publish: allowed markup only, absolute URLs, no trackers."""
    if not html or not html.strip():
        return ""
    return sanitize_tree(_fragment(html), base_url)


def sanitize_tree(root: lxml.html.HtmlElement, base_url: str) -> str:
    """sanitize_html for content already parsed (root's children; root's own tag left out).

    The tree is changed in place: the extractor hands over its cleaned tree, which saves
    writing it out and parsing it again.
    """
    _drop_forms(root)
    for el in list(root.iter(*DROP_WITH_CONTENT - {"noscript"})):
        el.drop_tree()
    _fix_noscript_images(root)
    for el in list(root.iter("noscript")):
        el.drop_tree()
    _fix_images(root, base_url)
    _fix_links(root, base_url)
    for heading in root.iter("h1"):
        heading.tag = "h2"
    _drop_empty(root)
    root = _unwrap_top(root)
    _trim_rules(root)
    cleaned = _CLEANER.clean(_inner_html(root)).strip()
    log.debug("%s: sanitized to %d characters", base_url, len(cleaned))
    return cleaned


def html_to_text(html: str) -> str:
    """Plain text of HTML: one paragraph per block, blank lines between, spaces collapsed."""
    if not html or not html.strip():
        return ""
    root = _fragment(html)
    chunks: list[str] = []
    current: list[str] = []

    def flush() -> None:
        lines = (_SPACES.sub(" ", line).strip() for line in "".join(current).split("\n"))
        text = "\n".join(line for line in lines if line)
        if text:
            chunks.append(text)
        current.clear()

    def visit(el: lxml.html.HtmlElement) -> None:
        tag = _tag(el)
        if tag in _TEXT_SKIP:
            return
        block = tag in _TEXT_BLOCKS
        if block:
            flush()
        if tag == "br":
            current.append("\n")
        current.append((el.text or "").replace("\n", " "))
        for child in el:
            if _tag(child) is not None:
                visit(child)
            current.append((child.tail or "").replace("\n", " "))
        if block:
            flush()

    visit(root)
    flush()
    return "\n\n".join(chunks)
