"""A fetched page -> one clean article: its metadata, its body, and what was taken out.

Metadata comes from what the page says about itself (JSON-LD, OpenGraph, Twitter cards, meta
tags, the canonical link), the body from readability-lxml. The cleaner runs twice: on the whole
page first, so readability never picks an appeal as the article and appeals inside the article
container are already gone, and again on readability's output, which no longer has the page
around it. Last, the body is sanitized.
"""

from __future__ import annotations

import codecs
import json
import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime

import lxml.html
from dateutil import parser as dateparser
from lxml import etree
from readability.readability import Unparseable

from .clean import ALL_KINDS, clean_tree, parse_html, tag_set, without_controls
from .errors import ExtractError
from .models import ExtractedArticle, Removal
from .readable import ArticleDocument
from .sanitize import absolute_url, html_to_text, sanitize_tree, strip_tracking
from .siterules import SiteRules, SiteRuleSet, read_site_metadata, select_body, strip_elements

log = logging.getLogger(__name__)

ARTICLE_TYPES = frozenset(
    {
        "Article",
        "NewsArticle",
        "BlogPosting",
        "ReportageNewsArticle",
        "AnalysisNewsArticle",
        "OpinionNewsArticle",
        "BackgroundNewsArticle",
        "ReviewNewsArticle",
        "LiveBlogPosting",
        "TechArticle",
        "ScholarlyArticle",
        "Report",
        "SocialMediaPosting",
    }
)
TITLE_SEPARATORS = (" | ", " – ", " — ", " - ", " :: ", " · ", " » ", " / ")
_PAGE_PARSER = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.I)
_NOT_WORD = re.compile(r"[\W_]+")
APPEALS_ONLY = frozenset({"appeal"})
TEXT_LAYER_ONLY: frozenset[str] = frozenset()  # no kind of container: the structure layer rests


# ---------------------------------------------------------------------------------------------
# Reading the page
# ---------------------------------------------------------------------------------------------


_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def decode_page(data: bytes) -> str:
    """Page bytes as text: BOM, then the declared charset, then UTF-8, then windows-1252."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data.decode(encoding, "replace").lstrip("\ufeff")
    declared = _META_CHARSET.search(data[:8192])
    if declared:
        try:
            return data.decode(declared.group(1).decode("ascii"), "replace")
        except LookupError:
            log.debug("unknown declared charset %r", declared.group(1))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", "replace")


def parse_page(html: str | bytes, url: str) -> lxml.html.HtmlElement:
    """A whole page parsed into its <html> element."""
    text = without_controls(decode_page(html) if isinstance(html, bytes) else html)
    if not text.strip():
        raise ExtractError(f"{url}: the page is empty")
    try:
        return lxml.html.document_fromstring(text.encode("utf-8", "replace"), parser=_PAGE_PARSER)
    except (etree.ParserError, ValueError) as err:
        raise ExtractError(f"{url}: cannot parse the page: {err}") from err


# ---------------------------------------------------------------------------------------------
# Metadata
# ---------------------------------------------------------------------------------------------


def _meta_tags(root: lxml.html.HtmlElement) -> dict[str, str]:
    """<meta property|name|itemprop=... content=...> as a dict; the first value of a key wins."""
    found: dict[str, str] = {}
    for meta in root.iter("meta"):
        content = " ".join((meta.get("content") or "").split())
        if not content:
            continue
        for attr in ("property", "name", "itemprop"):
            for key in (meta.get(attr) or "").lower().split():
                found.setdefault(key, content)
    return found


def _walk_json(value: object) -> Iterator[dict[str, object]]:
    """Every object in a JSON-LD value: lists flattened, @graph opened."""
    if isinstance(value, list):
        for item in value:
            yield from _walk_json(item)
    elif isinstance(value, dict):
        yield value
        if "@graph" in value:
            yield from _walk_json(value["@graph"])


def _json_ld(root: lxml.html.HtmlElement, url: str) -> list[dict[str, object]]:
    """All JSON-LD objects of the page; a block that is not valid JSON is skipped."""
    objects: list[dict[str, object]] = []
    for script in root.iter("script"):
        if "ld+json" not in (script.get("type") or "").lower() or not script.text:
            continue
        try:
            data = json.loads(script.text.strip().rstrip(";"), strict=False)
        except ValueError as err:
            log.debug("%s: skipping unreadable JSON-LD: %s", url, err)
            continue
        objects.extend(_walk_json(data))
    return objects


def _types(obj: dict[str, object]) -> set[str]:
    """The @type of a JSON-LD object as a set of names (schema.org prefixes dropped)."""
    value = obj.get("@type")
    names = value if isinstance(value, list) else [value]
    return {str(n).rsplit("/", 1)[-1] for n in names if n}


def _resolve(value: object, by_id: dict[str, dict[str, object]]) -> object:
    """Follow a bare {"@id": ...} reference to the object it names in the same page."""
    if isinstance(value, dict) and set(value) <= {"@id", "@type"} and value.get("@id") in by_id:
        return by_id[str(value["@id"])]
    return value


def _names(value: object, by_id: dict[str, dict[str, object]]) -> list[str]:
    """Names in a JSON-LD author or publisher value: a string, an object or a list of them."""
    out: list[str] = []
    items = value if isinstance(value, list) else [value]
    for item in items:
        item = _resolve(item, by_id)
        if isinstance(item, str) and item.strip() and "://" not in item:
            out.append(" ".join(item.split()))
        elif isinstance(item, dict) and isinstance(item.get("name"), str) and item["name"].strip():
            out.append(" ".join(str(item["name"]).split()))
    return out


def _first_url(value: object) -> str:
    """A URL from a JSON-LD image/url value: a string, an ImageObject or a list of them."""
    if isinstance(value, list):
        return next((u for u in (_first_url(v) for v in value) if u), "")
    if isinstance(value, dict):
        return _first_url(value.get("url") or value.get("@id") or value.get("contentUrl"))
    return value.strip() if isinstance(value, str) else ""


def _text(value: object) -> str:
    """A JSON-LD value as one line of text."""
    return " ".join(value.split()) if isinstance(value, str) else ""


def parse_date(value: str | None, url: str = "") -> datetime | None:
    """A date string as a timezone-aware datetime (UTC when the page gives no zone)."""
    if not value or not value.strip():
        return None
    value = value.strip()
    try:
        parsed = dateparser.isoparse(value)
    except (ValueError, OverflowError):
        try:
            parsed = dateparser.parse(value)
        except (ValueError, OverflowError) as err:
            log.debug("%s: unreadable date %r: %s", url, value, err)
            return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _comparable(text: str) -> str:
    """Text reduced to its words, for comparing a title with a heading or a site name."""
    return _NOT_WORD.sub(" ", text.casefold()).strip()


def _brand_like(part: str) -> bool:
    """A short run of capitalised words, like a site's name."""
    words = part.split()
    return 0 < len(words) <= 4 and all(not w[0].isalpha() or w[0].isupper() for w in words)


def clean_title(title: str, site_name: str = "") -> str:
    """A page title without its " | Site name" (or "Site name - ") part."""
    title = " ".join(title.split())
    site = _comparable(site_name)
    for separator in TITLE_SEPARATORS:
        if separator not in title:
            continue
        parts = title.split(separator)
        first, last = separator.join(parts[:-1]), parts[-1]
        head, rest = parts[0], separator.join(parts[1:])
        if site and _comparable(last) == site:
            return first
        if site and _comparable(head) == site:
            return rest
        if len(first.split()) >= 2 and (
            _brand_like(last) or (separator == " | " and len(last.split()) <= 5)
        ):
            return first
        break
    return title


def _canonical_link(root: lxml.html.HtmlElement) -> str:
    """The href of <link rel="canonical">."""
    for link in root.iter("link"):
        if "canonical" in (link.get("rel") or "").lower().split() and link.get("href"):
            return str(link.get("href"))
    return ""


def _fallback_title(root: lxml.html.HtmlElement) -> str:
    """The <title> text, else the first <h1>'s."""
    for path in (".//title", ".//h1"):
        el = root.find(path)
        if el is not None and el.text_content().strip():
            return " ".join(el.text_content().split())
    return ""


def read_metadata(root: lxml.html.HtmlElement, url: str) -> ExtractedArticle:
    """What the page says about itself: JSON-LD first, then OpenGraph, Twitter and meta tags."""
    meta = _meta_tags(root)
    objects = _json_ld(root, url)
    by_id = {str(o["@id"]): o for o in objects if isinstance(o.get("@id"), str)}
    article = next((o for o in objects if _types(o) & ARTICLE_TYPES), {})
    website = next((o for o in objects if _types(o) & {"WebSite", "NewsMediaOrganization"}), {})

    def first(*values: object) -> str:
        return next((v for v in (_text(x) for x in values) if v), "")

    publisher = _resolve(article.get("publisher"), by_id)
    site_name = first(
        meta.get("og:site_name"),
        next(iter(_names(publisher, by_id)), ""),
        meta.get("application-name"),
        website.get("name"),
    )
    authors = _names(article.get("author"), by_id)
    meta_author = first(meta.get("author"), meta.get("article:author"), meta.get("dc.creator"))
    if "://" in meta_author:
        meta_author = ""
    title = first(
        article.get("headline"),
        meta.get("og:title"),
        meta.get("twitter:title"),
        meta.get("title"),
        meta.get("dc.title"),
    )
    title = clean_title(title or _fallback_title(root), site_name)
    image = first(
        meta.get("og:image:secure_url"),
        meta.get("og:image"),
        meta.get("og:image:url"),
        meta.get("twitter:image"),
        meta.get("twitter:image:src"),
        _first_url(article.get("image")),
    )
    canonical = first(
        _canonical_link(root),
        meta.get("og:url"),
        _first_url(article.get("url")),
        _first_url(article.get("mainEntityOfPage")),
    )
    published = first(
        article.get("datePublished"),
        meta.get("article:published_time"),
        meta.get("datepublished"),
        meta.get("date"),
        meta.get("pubdate"),
        meta.get("publishdate"),
        meta.get("dc.date.issued"),
        meta.get("dc.date"),
        article.get("dateCreated"),
    )
    modified = first(
        article.get("dateModified"),
        meta.get("article:modified_time"),
        meta.get("og:updated_time"),
        meta.get("datemodified"),
        meta.get("last-modified"),
    )
    canonical_url = absolute_url(canonical, url) if canonical else None
    return ExtractedArticle(
        title=title,
        byline=", ".join(authors) or meta_author,
        published=parse_date(published, url),
        modified=parse_date(modified, url),
        lead_image=strip_tracking(absolute_url(image, url) or "") if image else "",
        description=first(
            meta.get("og:description"),
            article.get("description"),
            meta.get("description"),
            meta.get("twitter:description"),
        ),
        canonical_url=strip_tracking(canonical_url) if canonical_url else "",
        site_name=site_name,
    )


# ---------------------------------------------------------------------------------------------
# The body
# ---------------------------------------------------------------------------------------------


def drop_title_heading(root: lxml.html.HtmlElement, title: str) -> None:
    """Remove a leading <h1>/<h2> that repeats the title: the page shows the title already."""
    wanted = _comparable(title)
    if not wanted:
        return
    for el in root.iterdescendants():
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag in ("h1", "h2"):
            if _comparable(el.text_content()) == wanted:
                el.drop_tree()
            return
        if (el.text or "").strip():
            return


# Words a byline or dateline line may hold besides the author's names, the numbers of a date and
# month names: what "By X · 26 November 2026, 21:30 · Updated 22:15" is made of.
_META_WORDS = tag_set(
    """by and with for from in on at of the published posted updated last modified written
    words photos text reporting am pm utc gmt bst cet cest eet eest est edt cst cdt pst pdt z
    от и в обновлено опубликовано автор текст фото"""
)
_MONTHS = tag_set(
    """january february march april may june july august september october november december
    jan feb mar apr jun jul aug sep sept oct nov dec monday tuesday wednesday thursday friday
    saturday sunday mon tue tues wed thu thur thurs fri sat sun января февраля марта апреля мая
    июня июля августа сентября октября ноября декабря"""
)
_NUMERIC_DATE = re.compile(r"\b\d{4}-\d{1,2}-\d{1,2}\b|\b\d{1,2}[./]\d{1,2}[./]\d{2,4}\b")
_ORDINAL = re.compile(r"\d+(st|nd|rd|th)?")
# Only this many lines at the top of the body are looked at, each at most this long.
META_LINES = 3
META_MAX_CHARS = 120
# Where the top of the article ends: a picture, a list, a quote, a table.
_META_STOP = tag_set(
    "img figure picture video audio table ul ol dl blockquote pre iframe object embed"
)
_LINE_BLOCKS = tag_set(
    """address article aside blockquote dd div dl dt figcaption figure footer h1 h2 h3 h4 h5 h6
    header hgroup li main nav ol p pre section table ul"""
)


def _meta_kind(text: str, names: frozenset[str]) -> str | None:
    """ "byline" or "dateline" when a short line holds only the author's names, a date and the
    small words around them; None for anything else."""
    if len(text) > META_MAX_CHARS:
        return None
    named = dated = False
    for word in _comparable(text).split():
        if word in names:
            named = True
        elif word in _MONTHS:
            dated = True
        elif not (_ORDINAL.fullmatch(word) or word in _META_WORDS):
            return None
    dated = dated or bool(_NUMERIC_DATE.search(text))
    if named:
        return "byline"
    return "dateline" if dated else None


def _top_lines(el: lxml.html.HtmlElement) -> Iterator[lxml.html.HtmlElement | None]:
    """The lines at the top of a body in order: elements holding no block; None where the top
    ends (loose text between blocks, a picture, a list)."""
    for child in el:
        tag = child.tag if isinstance(child.tag, str) else None
        if tag is None:
            continue
        if tag in _META_STOP:
            yield None
            return
        if not (child.text or "").strip() and any(
            isinstance(c.tag, str) and c.tag in _LINE_BLOCKS for c in child
        ):
            yield from _top_lines(child)
        else:
            yield child
        if (child.tail or "").strip():
            yield None
            return


def drop_meta_lines(root: lxml.html.HtmlElement, article: ExtractedArticle) -> list[Removal]:
    """Remove byline and dateline lines at the very top of the body: the theme shows both.

    Conservative: only the first few short lines, each holding nothing but the extracted
    author's names, a date and the small words that join them ("By", "Updated", "·"). The first
    line that is anything else ends the search.
    """
    names = frozenset(w for w in _comparable(article.byline).split() if w not in _META_WORDS)
    if (root.text or "").strip():
        return []
    removed: list[Removal] = []
    for line in _top_lines(root):
        if line is None or len(removed) >= META_LINES:
            break
        text = " ".join(line.text_content().split())
        if not text:
            if line.find(".//img") is not None:
                break
            continue
        kind = _meta_kind(text, names)
        if kind is None or line.find(".//img") is not None:
            break
        removed.append(Removal(text=text, rule=f"meta:{kind}"))
        line.drop_tree()
    return removed


def _finish(
    body: lxml.html.HtmlElement,
    url: str,
    article: ExtractedArticle,
    removed: list[Removal],
    kinds: frozenset[str] = ALL_KINDS,
    base_url: str | None = None,
) -> ExtractedArticle:
    """Clean a body tree, sanitize it and fill in the article's html, text and removals."""
    removed = removed + clean_tree(body, url, kinds=kinds)
    drop_title_heading(body, article.title)
    removed += drop_meta_lines(body, article)
    article.html = sanitize_tree(body, base_url or url)
    article.text = html_to_text(article.html)
    article.removed = removed
    return article


def _base_url(root: lxml.html.HtmlElement, url: str) -> str:
    """The page's <base href> made absolute, else its own URL: what its links are relative to."""
    head = root.find("head")
    base = head.find("base") if head is not None else None
    href = base.get("href") if base is not None else None
    return (absolute_url(href, url) or url) if href else url


def _readability_body(root: lxml.html.HtmlElement, url: str) -> lxml.html.HtmlElement:
    """readability's choice of the article, parsed.

    readability gets no URL: with one it rewrites every link of the whole page absolute, which
    costs a tenth of the run, while the sanitizer does it for the few links of the article.
    """
    try:
        summary = ArticleDocument(root).summary(html_partial=True)
    except Unparseable as err:
        raise ExtractError(f"{url}: readability could not read the page: {err}") from err
    if not summary or not summary.strip():
        raise ExtractError(f"{url}: readability found no article")
    return parse_html(summary, url)


def _site_metadata(
    rules: SiteRules, root: lxml.html.HtmlElement, article: ExtractedArticle, url: str
) -> None:
    """Let a site's title, author and date lines override what the page says of itself."""
    found = read_site_metadata(rules, root, url)
    if found.title:
        article.title = clean_title(found.title, article.site_name)
    if found.authors:
        article.byline = ", ".join(found.authors)
    published = parse_date(found.date, url) if found.date else None
    if published is not None:
        article.published = published


def extract_article(
    html: str | bytes, url: str, site_rules: SiteRuleSet | None = None
) -> ExtractedArticle:
    """The article of a fetched page: metadata, cleaned and sanitized body, removals.

    With site rules for the page's host, their metadata lines win, their strip lines go first,
    and their body lines choose the article; readability chooses it when they find nothing.
    """
    root = parse_page(html, url)
    article = read_metadata(root, url)
    base_url = _base_url(root, url)
    rules = site_rules.for_url(url) if site_rules is not None else None
    removed: list[Removal] = []
    body: lxml.html.HtmlElement | None = None
    kinds = ALL_KINDS
    if rules is not None:
        _site_metadata(rules, root, article, url)
        removed += strip_elements(rules, root, url)
        body = select_body(rules, root, url)
        if body is None and rules.body:
            if not rules.autodetect_on_failure:
                raise ExtractError(f"{url}: no body line of {rules.path.name} matches the page")
            log.info("%s: no body line of %s matches; readability decides", url, rules.path.name)
        if body is not None and not rules.prune:
            kinds = APPEALS_ONLY
    if body is None:
        # Before readability only the text layer runs, so that a pitch as long as the article
        # cannot draw readability's choice to the page's whole body (the seed page's shape).
        # Containers named by their classes wait until after: furniture is readability's own
        # business (taking it out early changes which container it picks on some pages), and
        # reading every class name of a whole page would cost more than readability itself.
        removed += clean_tree(root, url, kinds=TEXT_LAYER_ONLY)
        body = _readability_body(root, url)
    _finish(body, url, article, removed, kinds, base_url)
    if not article.text.strip():
        raise ExtractError(f"{url}: no article text left after cleaning")
    log.debug("%s: %d characters, %d removals", url, len(article.text), len(article.removed))
    return article


def extract_from_feed_content(html: str, url: str) -> ExtractedArticle:
    """A feed's full content, cleaned and sanitized (no readability), to compare with the page's.

    Returns an article with empty text rather than raising when the content holds nothing.
    """
    article = ExtractedArticle()
    if not html or not html.strip():
        return article
    return _finish(parse_html(html, url), url, article, [])


def extracted_html(html: str | bytes, url: str) -> str:
    """Only the cleaned article HTML: for benchmarks and quick checks."""
    return extract_article(html, url).html
