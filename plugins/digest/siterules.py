"""Per-site rules: the third cleaning layer, in FiveFilters' ftr-site-config format.

The generic layers guess what a page's article and furniture are; a site's own rules know. The
format is the one of FiveFilters Full-Text RSS (github.com/fivefilters/ftr-site-config), so its
hundreds of published files can be dropped into the folder as they are: one text file per host,
`<host>.txt` (a leading "www." folded away), or `.<domain>.txt` for the domain and all its
subdomains; one `directive: value` per line; `#` starts a comment line.

Directives read here:

    body: XPATH                 the article body; the first line that matches wins, and
                                several matched elements are joined in page order
    strip: XPATH                remove what matches
    strip_id_or_class: TEXT     remove elements whose id or class contains TEXT
    strip_image_src: TEXT       remove images whose src contains TEXT
    title: / author: / date:    XPATHs for the metadata, over what the page says of itself
    prune: yes|no               no: the body is exact, only appeals are taken out of it
    autodetect_on_failure: yes|no
                                no: a body that matches nothing is an error, not readability's
    test_url: URL               a page of the site, and after it
    test_contains: TEXT         text its article must hold (checked by the test suite)
    tidy: ...                   accepted and ignored (HTML Tidy is not used here)

Any other directive of the format (single_page_link, replace_string, http_header ...) is ignored
with a debug message. A line that is wrong (an XPath lxml cannot compile or run, a yes/no that is
neither) is reported as a ConfigError naming the file and line, and only that line is skipped.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import lxml.html
from lxml import etree

from .errors import ConfigError
from .models import Removal

log = logging.getLogger(__name__)


def _words(text: str) -> frozenset[str]:
    """A set of names written as one space-separated string."""
    return frozenset(text.split())


XPATH_DIRECTIVES = frozenset({"body", "strip", "title", "author", "date"})
TEXT_DIRECTIVES = frozenset({"strip_id_or_class", "strip_image_src"})
FLAG_DIRECTIVES = frozenset({"prune", "autodetect_on_failure"})
IGNORED_DIRECTIVES = frozenset({"tidy"})
TRUE_WORDS = frozenset({"yes", "true", "on", "1"})
FALSE_WORDS = frozenset({"no", "false", "off", "0"})
# Never taken out by a strip rule: removing them would remove the page.
UNSTRIPPABLE = frozenset({"html", "head", "body"})

_LINE = re.compile(r"^([A-Za-z_][\w-]*(?:\([^)]*\))?)\s*:\s?(.*)$")
# XPath 1.0's functions, which are all libxml2 knows without a namespace; any other unprefixed
# name is found only when a page makes the XPath reach it, so it is looked for when reading.
XPATH_FUNCTIONS = _words(
    """last position count id local-name namespace-uri name string concat starts-with contains
    substring-before substring-after substring string-length normalize-space translate boolean
    not true false lang number sum floor ceiling round node text comment
    processing-instruction"""
)
_STRING_LITERAL = re.compile(r"'[^']*'|\"[^\"]*\"")
_FUNCTION_CALL = re.compile(r"(?<![\w.$@-])([A-Za-z_][\w.-]*(?::[A-Za-z_][\w.-]*)?)\s*\(")
# A tiny page to run each compiled XPath on once, so that an unknown function or namespace
# prefix is found when the file is read, not on the first page of the site.
_PROBE = etree.fromstring("<html><head><title>t</title></head><body><p>p</p></body></html>")


@dataclass(frozen=True)
class XPathRule:
    """One rule line, compiled: its directive, the value as written, and where it was written."""

    directive: str
    value: str
    xpath: etree.XPath
    path: Path
    line: int

    @property
    def where(self) -> str:
        """file:line, for messages."""
        return f"{self.path}:{self.line}"


@dataclass(frozen=True)
class SiteTest:
    """A test_url line and the test_contains lines after it."""

    url: str
    contains: tuple[str, ...] = ()


@dataclass(frozen=True)
class SiteRules:
    """The rules of one file, for one host (or, starting with a dot, one domain)."""

    host: str
    path: Path
    body: tuple[XPathRule, ...] = ()
    strip: tuple[XPathRule, ...] = ()
    title: tuple[XPathRule, ...] = ()
    author: tuple[XPathRule, ...] = ()
    date: tuple[XPathRule, ...] = ()
    prune: bool = True
    autodetect_on_failure: bool = True
    tests: tuple[SiteTest, ...] = ()
    errors: tuple[ConfigError, ...] = ()

    @property
    def name(self) -> str:
        """The name removals are reported under: "site:<host>"."""
        return f"site:{self.host}"


@dataclass(frozen=True)
class SiteRuleSet:
    """Every rules file of a folder, by host; wildcard (".domain") files kept apart."""

    folder: Path | None = None
    hosts: dict[str, SiteRules] = field(default_factory=dict)
    domains: dict[str, SiteRules] = field(default_factory=dict)

    @property
    def errors(self) -> tuple[ConfigError, ...]:
        """Every line that was skipped, over all files."""
        return tuple(e for r in self for e in r.errors)

    def __iter__(self) -> Iterator[SiteRules]:
        yield from self.hosts.values()
        yield from self.domains.values()

    def __len__(self) -> int:
        return len(self.hosts) + len(self.domains)

    def for_url(self, url: str) -> SiteRules | None:
        """The rules for a URL's host: its own file, else the nearest domain file."""
        try:
            host = (urlsplit(url).hostname or "").lower().rstrip(".")
        except ValueError:
            return None
        host = fold_host(host)
        if not host:
            return None
        if host in self.hosts:
            return self.hosts[host]
        labels = host.split(".")
        for i in range(len(labels)):
            found = self.domains.get(".".join(labels[i:]))
            if found is not None:
                return found
        return None


def fold_host(host: str) -> str:
    """A host name as rules files name it: lower case, without a leading "www."."""
    host = host.strip().lower()
    return host[4:] if host.startswith("www.") else host


# ---------------------------------------------------------------------------------------------
# Reading files
# ---------------------------------------------------------------------------------------------


def _unquote(value: str) -> str:
    """A strip_id_or_class / strip_image_src value without quotes: it goes inside an XPath."""
    return value.replace("'", "").replace('"', "").strip()


def _xpath_for(directive: str, value: str) -> str:
    """The XPath a rule line stands for."""
    if directive == "strip_id_or_class":
        text = _unquote(value)
        return f"//*[contains(@class, '{text}') or contains(@id, '{text}')]"
    if directive == "strip_image_src":
        return f"//img[contains(@src, '{_unquote(value)}')]"
    return value


def _compile(directive: str, value: str, path: Path, line: int) -> XPathRule:
    """Compile and try one XPath rule, or say which file and line is wrong."""
    expression = _xpath_for(directive, value)
    if directive in TEXT_DIRECTIVES and not _unquote(value):
        raise ConfigError(f"site rules {path}:{line}: {directive} needs a value")
    unknown = sorted(
        {
            name
            for name in _FUNCTION_CALL.findall(_STRING_LITERAL.sub("''", expression))
            if ":" not in name and name not in XPATH_FUNCTIONS
        }
    )
    if unknown:
        names = ", ".join(f"{n}()" for n in unknown)
        raise ConfigError(f"site rules {path}:{line}: unknown XPath function {names} in {value!r}")
    try:
        compiled = etree.XPath(expression)
        compiled(_PROBE)
    except etree.XPathError as err:
        raise ConfigError(
            f"site rules {path}:{line}: bad XPath in {directive}: {value!r}: {err}"
        ) from err
    shown = _unquote(value) if directive in TEXT_DIRECTIVES else value
    return XPathRule(directive, shown, compiled, path, line)


def _flag(value: str, directive: str, path: Path, line: int) -> bool:
    """A yes/no value."""
    word = value.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ConfigError(f"site rules {path}:{line}: {directive} must be yes or no, not {value!r}")


def parse_site_rules(text: str, path: Path, host: str | None = None) -> SiteRules:
    """One rules file's text as SiteRules; a wrong line is logged, kept in errors and skipped."""
    host = host if host is not None else host_of_file(path)
    lists: dict[str, list[XPathRule]] = {d: [] for d in XPATH_DIRECTIVES}
    flags = {"prune": True, "autodetect_on_failure": True}
    tests: list[SiteTest] = []
    errors: list[ConfigError] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = _LINE.match(line)
        if match is None:
            log.debug("site rules %s:%d: not a `directive: value` line, ignored", path, number)
            continue
        directive, value = match.group(1).lower(), match.group(2).strip()
        try:
            if directive in XPATH_DIRECTIVES or directive in TEXT_DIRECTIVES:
                rule = _compile(directive, value, path, number)
                lists["strip" if directive in TEXT_DIRECTIVES else directive].append(rule)
            elif directive in FLAG_DIRECTIVES:
                flags[directive] = _flag(value, directive, path, number)
            elif directive == "test_url":
                tests.append(SiteTest(value))
            elif directive == "test_contains":
                if not tests:
                    raise ConfigError(f"site rules {path}:{number}: test_contains before test_url")
                tests[-1] = SiteTest(tests[-1].url, (*tests[-1].contains, value))
            elif directive in IGNORED_DIRECTIVES:
                pass
            else:
                log.debug(
                    "site rules %s:%d: directive %r not supported, ignored", path, number, directive
                )
        except ConfigError as err:
            log.warning("%s (line skipped)", err)
            errors.append(err)
    return SiteRules(
        host=host,
        path=path,
        body=tuple(lists["body"]),
        strip=tuple(lists["strip"]),
        title=tuple(lists["title"]),
        author=tuple(lists["author"]),
        date=tuple(lists["date"]),
        prune=flags["prune"],
        autodetect_on_failure=flags["autodetect_on_failure"],
        tests=tuple(tests),
        errors=tuple(errors),
    )


def host_of_file(path: Path) -> str:
    """ "www.example.com.txt" -> "example.com"; ".example.com.txt" -> ".example.com"."""
    stem = path.name[: -len(".txt")] if path.name.endswith(".txt") else path.stem
    stem = stem.lower()
    return "." + fold_host(stem[1:]) if stem.startswith(".") else fold_host(stem)


def read_site_rules(folder: Path) -> SiteRuleSet:
    """Parse every `*.txt` file of a folder (uncached: see load_site_rules)."""
    hosts: dict[str, SiteRules] = {}
    domains: dict[str, SiteRules] = {}
    if not folder.is_dir():
        log.debug("site rules: no folder %s, no site rules", folder)
        return SiteRuleSet(folder, hosts, domains)
    for path in sorted(folder.glob("*.txt")):
        try:
            text = path.read_text(encoding="utf-8-sig", errors="replace")
        except OSError as err:
            log.warning("site rules %s: cannot read: %s (file skipped)", path, err)
            continue
        host = host_of_file(path)
        table = domains if host.startswith(".") else hosts
        key = host.lstrip(".")
        if not key:
            log.warning("site rules %s: no host in the file name (file skipped)", path)
            continue
        if key in table:
            log.warning(
                "site rules %s: %s already has %s (file skipped)", path, host, table[key].path.name
            )
            continue
        table[key] = parse_site_rules(text, path, host)
    log.debug("site rules: %d files read from %s", len(hosts) + len(domains), folder)
    return SiteRuleSet(folder, hosts, domains)


_CACHE: dict[Path, tuple[tuple[tuple[str, int, int], ...], SiteRuleSet]] = {}
_CACHE_LOCK = threading.Lock()


def _signature(folder: Path) -> tuple[tuple[str, int, int], ...]:
    """Names, sizes and mtimes of a folder's rules files: what says the cache is stale."""
    try:
        stats = [(p.name, p.stat()) for p in folder.glob("*.txt")]
    except OSError:
        return ()
    return tuple(sorted((name, st.st_size, st.st_mtime_ns) for name, st in stats))


def load_site_rules(folder: Path) -> SiteRuleSet:
    """Every rules file of a folder, parsed once and reused until a file in it changes.

    A livereload or `pelican -r` run builds again in the same process: the cache is checked
    against the files' mtimes, so an edited rule is read again and an unchanged folder is not.
    """
    folder = Path(folder).resolve()
    signature = _signature(folder)
    with _CACHE_LOCK:
        cached = _CACHE.get(folder)
        if cached is not None and cached[0] == signature:
            return cached[1]
        rules = read_site_rules(folder)
        _CACHE[folder] = (signature, rules)
        return rules


# ---------------------------------------------------------------------------------------------
# Applying rules to a page
# ---------------------------------------------------------------------------------------------


def _tag(el: object) -> str | None:
    """An element's tag, or None for comments and processing instructions."""
    tag = getattr(el, "tag", None)
    return tag.lower() if isinstance(tag, str) else None


def evaluate(rule: XPathRule, root: lxml.html.HtmlElement, url: str) -> list[object]:
    """What a rule's XPath finds in a page, as a list; an XPath that fails there finds nothing."""
    try:
        found = rule.xpath(root)
    except etree.XPathError as err:
        log.warning("%s: site rule %s (%s) failed: %s", url, rule.where, rule.value, err)
        return []
    if isinstance(found, list):
        return found
    if isinstance(found, str):
        return [found] if found.strip() else []
    return []  # a number or a boolean says nothing about the page


def _elements(found: list[object]) -> list[lxml.html.HtmlElement]:
    """The elements among XPath results (text and attribute results dropped)."""
    return [x for x in found if isinstance(x, etree._Element) and _tag(x) is not None]


def _flat(text: str) -> str:
    """Whitespace collapsed."""
    return " ".join(text.split())


def strip_elements(rules: SiteRules, root: lxml.html.HtmlElement, url: str) -> list[Removal]:
    """Take out of the page what the strip, strip_id_or_class and strip_image_src lines name."""
    removed: list[Removal] = []
    for rule in rules.strip:
        for el in _elements(evaluate(rule, root, url)):
            if _tag(el) in UNSTRIPPABLE or el.getparent() is None:
                log.debug("%s: site rule %s names <%s>, not removed", url, rule.where, el.tag)
                continue
            src = el.get("src")
            text = _flat(el.text_content()) or (f'<{_tag(el)} src="{src}">' if src else "")
            removed.append(Removal(text=text, rule=f"{rules.name}:{rule.directive}:{rule.value}"))
            log.debug("%s: removed %s:%s: %.80s", url, rules.name, rule.value, text)
            el.drop_tree()
    return removed


def _holds_content(el: lxml.html.HtmlElement) -> bool:
    """Some text or an image: a body XPath that finds only an empty shell found nothing."""
    return bool(el.text_content().strip()) or el.find(".//img") is not None


def select_body(
    rules: SiteRules, root: lxml.html.HtmlElement, url: str
) -> lxml.html.HtmlElement | None:
    """The article body the body lines name, moved out of the page into a new <div>.

    The first line that finds something wins; several elements it finds are joined in page
    order (one inside another counts once). None when no line finds anything with content.
    """
    for rule in rules.body:
        found = [el for el in _elements(evaluate(rule, root, url)) if _tag(el) != "head"]
        chosen: list[lxml.html.HtmlElement] = []
        for el in found:
            if any(el is c or _is_inside(el, c) for c in chosen):
                continue
            chosen = [c for c in chosen if not _is_inside(c, el)] + [el]
        chosen = [el for el in chosen if _holds_content(el)]
        if not chosen:
            continue
        log.debug("%s: body from site rule %s (%d elements)", url, rule.where, len(chosen))
        wrapper = lxml.html.Element("div")
        for el in chosen:
            if _tag(el) in ("html", "body"):
                el = _as_div(el)
            el.tail = None
            wrapper.append(el)
        return wrapper
    return None


def _is_inside(el: lxml.html.HtmlElement, other: lxml.html.HtmlElement) -> bool:
    """Whether el is a descendant of other."""
    return any(a is other for a in el.iterancestors())


def _as_div(el: lxml.html.HtmlElement) -> lxml.html.HtmlElement:
    """The content of an <html> or <body> match in a <div>, leaving the page in place."""
    body = el.find("body") if _tag(el) == "html" else el
    div = lxml.html.Element("div")
    div.text = (body if body is not None else el).text
    for child in list(body if body is not None else el):
        div.append(child)
    return div


def _text_of(found: list[object]) -> list[str]:
    """XPath results as lines of text: strings as they are, elements by their text."""
    out = []
    for item in found:
        text = _flat(item.text_content() if isinstance(item, etree._Element) else str(item))
        if text:
            out.append(text)
    return out


@dataclass(frozen=True)
class SiteMetadata:
    """What the title, author and date lines find on a page ("" or () where nothing)."""

    title: str = ""
    authors: tuple[str, ...] = ()
    date: str = ""


def read_site_metadata(rules: SiteRules, root: lxml.html.HtmlElement, url: str) -> SiteMetadata:
    """The title, authors and date the rules point at; the first line that finds something wins.

    Read before anything is stripped, since a strip rule may name the header they stand in.
    """

    def first(lines: tuple[XPathRule, ...]) -> list[str]:
        for rule in lines:
            texts = _text_of(evaluate(rule, root, url))
            if texts:
                return texts
        return []

    authors: list[str] = []
    for name in first(rules.author):
        name = re.sub(r"^by\s+", "", name, flags=re.I)
        if name and name not in authors:
            authors.append(name)
    return SiteMetadata(
        title=next(iter(first(rules.title)), ""),
        authors=tuple(authors),
        date=next(iter(first(rules.date)), ""),
    )
