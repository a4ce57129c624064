"""The digest's own feeds, for its subscribers: Atom, RSS 2.0 and JSON Feed 1.1.

Pelican writes the Atom and RSS feeds itself; DigestWriter, handed to Pelican through the
get_writer signal, decides what goes into each entry:

- every URL absolute, under any SITEURL (a subpath included) or, for the development build
  with an empty SITEURL, under FEED_DOMAIN; relative links inside content resolved against the
  article's own URL;
- valid ids: tag: URIs on the site's real host (Pelican's scheme, so ids do not change for
  subscribers of plain Pelican feeds; with an empty SITEURL Pelican wrote "tag:None,..."),
  RSS guids marked isPermaLink="false", one feed id per feed;
- every author, and the site's AUTHOR at feed level (never as an article's byline);
- content led by the source and a link to the original, cut to the source's `feed_content`
  (full, summary or link; DIGEST_FEED_CONTENT is the site-wide default).

JSON Feed is not built into Pelican: write_json_feeds writes it on article_writer_finalized from
the generator's own articles, in the same order and with the same FEED_MAX_ITEMS.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import re
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape
from html import unescape as html_unescape
from typing import Any
from urllib.parse import urljoin, urlsplit

from feedgenerator import Atom1Feed, Rss201rev2Feed, get_tag_uri
from lxml import html as lxml_html
from markupsafe import Markup
from pelican.utils import order_content, sanitised_join, set_date_tzinfo, truncate_html_words
from pelican.writers import Writer

from .settings import DEFAULTS, FEED_CONTENT_MODES

log = logging.getLogger(__name__)

JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
URL_ATTRIBUTES = ("href", "src", "poster", "cite", "data", "action", "formaction", "longdesc")
DC_NS = "http://purl.org/dc/elements/1.1/"

Settings = Mapping[str, Any]


def is_absolute(url: str) -> bool:
    """True for a URL a feed reader can follow on its own: a scheme and a host."""
    parts = urlsplit(url)
    return bool(parts.scheme and parts.netloc)


def site_base(settings: Settings) -> str:
    """Where the site's pages live: SITEURL, or FEED_DOMAIN when SITEURL is empty (dev build)."""
    for key in ("SITEURL", "FEED_DOMAIN"):
        value = str(settings.get(key) or "").rstrip("/")
        if is_absolute(value):
            return value
    return ""


def feed_base(settings: Settings) -> str:
    """Where the feeds live: FEED_DOMAIN, the address Pelican's own templates link them at."""
    for key in ("FEED_DOMAIN", "SITEURL"):
        value = str(settings.get(key) or "").rstrip("/")
        if is_absolute(value):
            return value
    return ""


def absolute_url(base: str, path: str) -> str:
    """A site path ("2026/11/a.html") under a base that may itself hold a subpath."""
    if not base or is_absolute(path):
        return path
    return urljoin(base + "/", path)


def _absolute_srcset(value: str, base_url: str) -> str:
    """Each candidate of a srcset made absolute, its width or density kept."""
    candidates = []
    for candidate in value.split(","):
        url, _, descriptor = candidate.strip().partition(" ")
        if url:
            candidates.append(f"{urljoin(base_url, url)} {descriptor.strip()}".strip())
    return ", ".join(candidates)


# An attribute that holds a URL, and its value (quoted or not): how a page may still hold a
# relative link. Anything this finds that is not absolute sends the markup through lxml.
_URL_ATTRIBUTE = re.compile(
    r"\s(?:" + "|".join(URL_ATTRIBUTES) + r""")\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""",
    re.IGNORECASE,
)


def has_relative_links(markup: str) -> bool:
    """Whether any URL attribute (or a srcset) might need resolving: most articles' links are
    made absolute when they are extracted, and their images by Pelican's {static} links.

    Counting is the quick answer for markup whose every URL attribute is written
    ` name="http..."`, as the digest writes them; any other spelling gets the full look.
    """
    lowered = markup.lower()
    if "srcset" in lowered:
        return True
    quoted = lowered.count('="') + lowered.count("='")
    if lowered.count("=") != quoted or any(space + "=" in lowered for space in " \t\n\r\f"):
        return _any_relative_link(markup)  # an unquoted value, or spaces around "="
    for name in URL_ATTRIBUTES:
        written = lowered.count(name + "=")
        if written and written != lowered.count(f' {name}="http://') + lowered.count(
            f' {name}="https://'
        ):
            return _any_relative_link(markup)
    return False


def _any_relative_link(markup: str) -> bool:
    """Whether any URL attribute's value, however it is written, is not an absolute URL."""
    for match in _URL_ATTRIBUTE.finditer(markup):
        value = html_unescape(next(v for v in match.groups() if v is not None)).strip()
        if value and not is_absolute(value):
            return True
    return False


def absolute_links(markup: str, base_url: str) -> str:
    """Every relative href, src, srcset (and the like) resolved against base_url.

    Feed readers show entries away from the site, where a relative link points nowhere.
    """
    if not markup or not markup.strip() or not base_url or not has_relative_links(markup):
        return markup
    root = lxml_html.fragment_fromstring(markup, create_parent="div")
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue  # comments and processing instructions
        for name in URL_ATTRIBUTES:
            value = element.get(name)
            if value is not None and value.strip():
                element.set(name, urljoin(base_url, value.strip()))
        srcset = element.get("srcset")
        if srcset:
            element.set("srcset", _absolute_srcset(srcset, base_url))
    text = lxml_html.tostring(root, encoding="unicode", method="html")
    return text[len("<div>") : -len("</div>")]


def default_mode(settings: Settings) -> str:
    """DIGEST_FEED_CONTENT, checked: an unknown value falls back to "full" with a warning."""
    mode = str(settings.get("DIGEST_FEED_CONTENT") or DEFAULTS["DIGEST_FEED_CONTENT"])
    if mode not in FEED_CONTENT_MODES:
        log.warning(
            "digest: DIGEST_FEED_CONTENT %r is not one of %s; using full",
            mode,
            ", ".join(FEED_CONTENT_MODES),
        )
        return "full"
    return mode


def feed_content_mode(article: Any, settings: Settings) -> str:
    """The article's source's feed_content, else the site-wide default."""
    default = default_mode(settings)
    mode = str(getattr(article, "feed_content", "") or default).strip().lower()
    if mode not in FEED_CONTENT_MODES:
        log.warning(
            "digest: %s: feed_content %r is not one of %s; using %s",
            getattr(article, "source_path", article),
            mode,
            ", ".join(FEED_CONTENT_MODES),
            default,
        )
        return default
    return mode


def _http_url(value: object) -> str:
    """The value when it is an absolute http(s) URL, else "" (no javascript: links in feeds)."""
    url = str(value or "").strip()
    return url if url.startswith(("http://", "https://")) and is_absolute(url) else ""


def source_line(article: Any) -> str:
    """'From <Source> · Read the original': the first thing every entry's content says."""
    name = str(getattr(article, "source", "") or getattr(article, "category", "") or "").strip()
    source_url = _http_url(getattr(article, "source_url", ""))
    original_url = _http_url(getattr(article, "original_url", ""))
    parts = []
    if name:
        named = f'<a href="{escape(source_url)}">{escape(name)}</a>' if source_url else escape(name)
        parts.append(f"From {named}")
    if original_url:
        parts.append(f'<a href="{escape(original_url)}">Read the original</a>')
    return f'<p class="digest-source">{" · ".join(parts)}</p>' if parts else ""


def plain_text(markup: str) -> str:
    """Text without tags or entities, for JSON Feed's summary and titles."""
    return " ".join(Markup(markup or "").striptags().split())


def author_names(article: Any, settings: Settings) -> tuple[str, ...]:
    """The article's own authors; the site's AUTHOR, which Pelican fills in, is no byline."""
    site_author = str(settings.get("AUTHOR") or "")
    names = [str(getattr(a, "name", a)) for a in getattr(article, "authors", None) or ()]
    return tuple(n for n in names if n and n != site_author)


@functools.lru_cache(maxsize=128)
def _unpack(packed: bytes) -> str:
    """A packed body; the last few are kept, as a feed's Atom and RSS take the same entries."""
    return zlib.decompress(packed).decode("utf-8")


@dataclass(frozen=True)
class Entry:
    """One article as every feed format shows it; built once per article and build.

    An article's entry is kept from its first feed to its last, and every article is in some
    feed: the body is kept compressed (a fifth of the size) so that the entries of a large
    archive do not add a copy of every article to the build's peak memory.
    """

    title: str
    url: str
    link: str
    id: str
    mode: str
    source_html: str
    packed_body: bytes
    summary_html: str
    published: datetime
    modified: datetime | None
    authors: tuple[str, ...]
    tags: tuple[str, ...]
    categories: tuple[str, ...]
    image: str
    original_url: str

    @property
    def body_html(self) -> str:
        """The article's content, every link absolute."""
        return _unpack(self.packed_body)

    def content(self, mode: str | None = None) -> str:
        """The entry's content in a mode: the source line first, then body, summary or nothing."""
        mode = mode or self.mode
        if mode == "full":
            return self.source_html + self.body_html
        if mode == "summary" and self.summary_html:
            return self.source_html + self.summary_html
        return self.source_html


def _summary_html(article: Any, content: str, settings: Settings) -> str:
    """The summary as HTML: the metadata summary, else Pelican's truncation of the content."""
    if "summary" in getattr(article, "metadata", {}):
        summary = str(article.metadata["summary"] or "")
    elif settings.get("SUMMARY_MAX_LENGTH") is None:
        summary = content
    else:
        summary = truncate_html_words(
            content,
            int(settings["SUMMARY_MAX_LENGTH"]),
            str(settings.get("SUMMARY_END_SUFFIX", "…")),
        )
    summary = summary.strip()
    if summary and not summary.startswith("<"):
        summary = f"<p>{summary}</p>"
    return summary


def article_content(article: Any, base: str) -> str:
    """The content with Pelican's intrasite links under base, without keeping a copy.

    Pelican's get_content does the same but keeps every result for the whole build: a second
    copy of every article, under the feed base, is what calling it here would cost.
    """
    source = article._get_content() if hasattr(article, "_get_content") else article._content
    return str(article._update_content(source, base))


def build_entry(article: Any, settings: Settings) -> Entry:
    """Everything the feeds say about one article, with every URL absolute."""
    base = site_base(settings)
    url = absolute_url(base, article.url)
    timezone = settings.get("TIMEZONE")
    published = set_date_tzinfo(article.date, timezone)
    modified = getattr(article, "modified", None)
    modified = set_date_tzinfo(modified, timezone) if modified else None

    # Pelican replaces {static} and {filename} links with the base it is given: an absolute
    # one here, whatever RELATIVE_URLS says; the rest resolve against the article's own URL.
    content = article_content(article, base)
    lead = str(getattr(article, "lead_image", "") or "")
    if lead and lead not in content and escape(lead) not in content:
        content = f'<figure><img src="{escape(absolute_url(base, lead))}" alt=""></figure>{content}'
    note = str(getattr(article, "note", "") or "").strip()
    source_html = source_line(article)
    if note:
        source_html += f'<p class="digest-note"><em>{escape(note)}</em></p>'

    tags = tuple(str(t) for t in getattr(article, "tags", None) or ())
    category = str(getattr(article, "category", "") or "")
    link = url + "?ref=feed" if settings.get("FEED_APPEND_REF") else url
    return Entry(
        title=plain_text(article.title),
        url=url,
        link=link,
        id=get_tag_uri(url, published) if is_absolute(url) else url,
        mode=feed_content_mode(article, settings),
        source_html=source_html,
        packed_body=zlib.compress(absolute_links(content, url).encode("utf-8"), 1),
        summary_html=absolute_links(_summary_html(article, content, settings), url),
        published=published,
        modified=modified,
        authors=author_names(article, settings),
        tags=tags,
        categories=((category,) if category else ()) + tags,
        image=absolute_url(base, lead) if lead else "",
        original_url=_http_url(getattr(article, "original_url", "")),
    )


class DigestAtomFeed(Atom1Feed):
    """Atom with every author of an entry and a related link to the original."""

    def add_item_elements(self, handler: Any, item: dict[str, Any]) -> None:
        super().add_item_elements(handler, item)
        for name in item.get("authors") or ():
            handler.startElement("author", {})
            handler.addQuickElement("name", name)
            handler.endElement("author")
        if item.get("related"):
            handler.addQuickElement("link", "", {"rel": "related", "href": item["related"]})


class DigestRssFeed(Rss201rev2Feed):
    """RSS 2.0 with one dc:creator per author, the namespace declared once on the root."""

    def rss_attributes(self) -> dict[str, str]:
        return {**super().rss_attributes(), "xmlns:dc": DC_NS}

    def add_item_elements(self, handler: Any, item: dict[str, Any]) -> None:
        super().add_item_elements(handler, item)
        for name in item.get("authors") or ():
            handler.addQuickElement("dc:creator", name)


def home_page(elements: Sequence[Any], path: str | None, settings: Settings) -> str:
    """A tag's or a source's feed belongs to that tag's or source's page; the rest to home."""
    base = site_base(settings)
    if elements and path:
        first = elements[0]  # every article of a tag's or source's feed has that tag or source
        candidates = [("CATEGORY", getattr(first, "category", None))]
        candidates += [("TAG", tag) for tag in getattr(first, "tags", None) or ()]
        for kind, wrapper in candidates:
            if wrapper is None:
                continue
            for fmt in ("ATOM", "RSS", "JSON"):
                pattern = settings.get(f"{kind}_FEED_{fmt}")
                if pattern and str(pattern).format(slug=wrapper.slug) == path:
                    return absolute_url(base, wrapper.url)
    return base + "/"


def feed_title(settings: Settings, title: str | None) -> str:
    """Pelican's feed title: "SITENAME - tag or source", or SITENAME alone."""
    site = plain_text(str(settings.get("SITENAME") or ""))
    return f"{site} - {plain_text(title)}" if title else site


class DigestWriter(Writer):
    """Pelican's writer, with the feeds' entries shaped for subscribers (see the module doc)."""

    def __init__(self, output_path: str, settings: Settings | None = None) -> None:
        super().__init__(output_path, settings=settings)
        self._entries: dict[int, Entry] = {}
        self._home = ""
        if not site_base(self.settings):
            log.warning("digest: feeds need an absolute SITEURL or FEED_DOMAIN; URLs stay relative")

    def entry(self, article: Any) -> Entry:
        """The article's entry, built on first use (an article is in several feeds)."""
        key = id(article)
        if key not in self._entries:
            self._entries[key] = build_entry(article, self.settings)
        return self._entries[key]

    def write_feed(
        self,
        elements: Sequence[Any],
        context: dict[str, Any],
        path: str | None = None,
        url: str | None = None,
        feed_type: str = "atom",
        override_output: bool = False,
        feed_title: str | None = None,
    ) -> Any:
        """Note which page the feed is about, then let Pelican write it."""
        self._home = home_page(elements, path, self.settings)
        return super().write_feed(
            elements, context, path, url, feed_type, override_output, feed_title
        )

    def _create_new_feed(
        self, feed_type: str, title: str | None, context: Mapping[str, Any]
    ) -> Any:
        """Pelican's feed, with absolute links even when SITEURL is empty, and its own id."""
        feed_class = DigestRssFeed if feed_type == "rss" else DigestAtomFeed
        feed_url = absolute_url(feed_base(self.settings), str(self.feed_url))
        name = feed_title(context, title)
        subtitle = str(context.get("SITESUBTITLE") or "")
        return feed_class(
            title=name,
            link=self._home or site_base(self.settings) + "/",
            feed_url=feed_url,
            feed_guid=feed_url,  # one id per feed, not the home page shared by all of them
            description=subtitle or name,  # RSS requires a description
            subtitle=subtitle or None,
            language=str(context.get("DEFAULT_LANG") or "") or None,
            author_name=str(context.get("AUTHOR") or "") or name,
        )

    def _add_item_to_the_feed(self, feed: Any, item: Any) -> None:
        """Pelican's item, from the shaped entry: RSS has one field, Atom content and summary."""
        entry = self.entry(item)
        if isinstance(feed, Rss201rev2Feed):
            mode = entry.mode
            if mode == "full" and self.settings.get("RSS_FEED_SUMMARY_ONLY"):
                mode = "summary"
            description, content = entry.content(mode), None
        elif entry.mode == "full":
            content = entry.content()
            description = entry.summary_html if entry.summary_html != entry.body_html else None
        else:
            description, content = entry.content(), None
        feed.add_item(
            title=entry.title,
            link=entry.link,
            unique_id=entry.id,
            unique_id_is_permalink=False if isinstance(feed, Rss201rev2Feed) else None,
            description=description,
            content=content,
            categories=entry.categories or None,
            pubdate=entry.published,
            updateddate=entry.modified,
            authors=entry.authors,
            related=entry.original_url or None,
        )


def get_writer(pelican: object) -> type[Writer]:
    """Hand Pelican the writer that shapes the feeds."""
    return DigestWriter


def json_feed(
    entries: Iterable[Entry], settings: Settings, title: str | None, home: str, feed_url: str
) -> dict[str, Any]:
    """A JSON Feed 1.1 document (https://www.jsonfeed.org/version/1.1/)."""
    site_author = str(settings.get("AUTHOR") or settings.get("SITENAME") or "")
    document: dict[str, Any] = {
        "version": JSON_FEED_VERSION,
        "title": feed_title(settings, title),
        "home_page_url": home,
        "feed_url": feed_url,
    }
    if settings.get("SITESUBTITLE"):
        document["description"] = plain_text(str(settings["SITESUBTITLE"]))
    if settings.get("DEFAULT_LANG"):
        document["language"] = str(settings["DEFAULT_LANG"])
    if site_author:
        document["authors"] = [{"name": plain_text(site_author), "url": site_base(settings) + "/"}]
    items = []
    for entry in entries:
        item: dict[str, Any] = {
            "id": entry.url,
            "url": entry.link,
            "title": entry.title,
            "content_html": entry.content(),
            "date_published": entry.published.isoformat(),
        }
        if entry.original_url:
            item["external_url"] = entry.original_url
        if entry.summary_html:
            item["summary"] = plain_text(entry.summary_html)
        if entry.image:
            item["image"] = entry.image
        if entry.modified:
            item["date_modified"] = entry.modified.isoformat()
        if entry.authors:
            item["authors"] = [{"name": name} for name in entry.authors]
        if entry.tags:
            item["tags"] = list(entry.tags)
        items.append(item)
    document["items"] = items
    return document


def _json_feed_jobs(generator: Any) -> list[tuple[Sequence[Any], str, str, str | None]]:
    """(articles, path, url, title) of each JSON feed the settings ask for, as Pelican's feeds."""
    settings = generator.settings
    jobs: list[tuple[Sequence[Any], str, str, str | None]] = []
    if settings.get("FEED_ALL_JSON"):
        everything = list(generator.articles)
        for article in generator.articles:
            everything.extend(article.translations)
        order_content(everything, order_by=settings["ARTICLE_ORDER_BY"])
        path = str(settings["FEED_ALL_JSON"])
        jobs.append((everything, path, str(settings.get("FEED_ALL_JSON_URL") or path), None))
    for kind, groups in (("TAG", generator.tags.items()), ("CATEGORY", generator.categories)):
        pattern = settings.get(f"{kind}_FEED_JSON")
        if not pattern:
            continue
        url_pattern = str(settings.get(f"{kind}_FEED_JSON_URL") or pattern)
        for wrapper, articles in groups:
            path = str(pattern).format(slug=wrapper.slug)
            jobs.append((articles, path, url_pattern.format(slug=wrapper.slug), wrapper.name))
    return jobs


def write_json_feeds(generator: Any, writer: Writer) -> None:
    """Write the JSON Feeds after Pelican's own feeds, from the same articles and order."""
    settings = generator.settings
    entry: Callable[[Any], Entry]
    if isinstance(writer, DigestWriter):
        entry = writer.entry
    else:
        cache: dict[int, Entry] = {}

        def entry(article: Any) -> Entry:
            if id(article) not in cache:
                cache[id(article)] = build_entry(article, settings)
            return cache[id(article)]

    limit = settings.get("FEED_MAX_ITEMS")
    for articles, path, url, title in _json_feed_jobs(generator):
        chosen = list(articles)[:limit]
        document = json_feed(
            (entry(a) for a in chosen),
            settings,
            title,
            home_page(chosen, path, settings),
            absolute_url(feed_base(settings), url),
        )
        target = sanitised_join(writer.output_path, path)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "w", encoding="utf-8") as out:
            json.dump(document, out, ensure_ascii=False, indent=2)
            out.write("\n")
        log.info('Writing "%s"', target)
