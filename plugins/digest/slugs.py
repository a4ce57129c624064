"""Safe, stable and distinct slugs for the pages Pelican names after tags and sources.

Pelican slugs a tag or a source from its name alone, so different names can share a page
(`c++`, `c#` and `c` are all `tag/c.html`), names with no ASCII letters get the empty slug
(`tag/.html`, a hidden file), a 1,000-character tag needs a 1,000-byte file name, and `con` or
`-rf` make files a Windows checkout or a shell glob trips over. Before Pelican groups the
articles by tag and source (its `article_generator_pretaxonomy` signal), `assign_slugs` gives
every tag and source a slug that is:

- Pelican's own slug whenever that is safe and unshared, so existing pages keep their address;
- readable for `+` and `#` (`c-plus-plus`, `c-sharp`);
- never empty (`tag-` and a short hash of the name), never longer than MAX_SLUG_LENGTH
  (cut on a word boundary, a short hash of the whole name added), never a device name
  (`con-tag`) and never starting with `-`, `_` or `.`;
- never shared by two names that differ beyond case, diacritics and spacing: one keeps the
  slug (the name the slug spells), the others get a short hash of their name, with a warning.
"""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
from collections.abc import Iterable
from typing import Any

log = logging.getLogger(__name__)

MAX_SLUG_LENGTH = 60
HASH_LENGTH = 8
# Windows refuses these as file names, with any extension, in any case.
DEVICE_NAMES = frozenset(
    {"con", "prn", "aux", "nul", "conin$", "conout$"}
    | {f"com{i}" for i in "0123456789¹²³"}
    | {f"lpt{i}" for i in "0123456789¹²³"}
)
# Characters Pelican's slug drops that tell tags apart (c++, c#, c).
READABLE = (("+", " plus "), ("#", " sharp "))
_LEADING = re.compile(r"^[-_.\s]+")
_TRAILING = re.compile(r"[-_.\s]+$")
_SPACING = re.compile(r"[\s_-]+")
# Pelican's class of each kind of page, and the word a fallback or a suffix uses for it.
KINDS = {"Tag": "tag", "Category": "source"}


def is_device_name(name: str) -> bool:
    """True for CON, NUL, COM1, LPT9 and the like, with or without an extension."""
    return name.split(".")[0].strip().lower() in DEVICE_NAMES


def short_hash(text: str) -> str:
    """The first hex digits of the text's SHA-256: the same in every run and process."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:HASH_LENGTH]


def fold(name: str) -> str:
    """The name as readers would compare it: no case, no diacritics, one kind of spacing.

    Names that fold alike are one tag on purpose (Ünïcode, unicode); others must stay apart.
    """
    decomposed = unicodedata.normalize("NFKD", name)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _SPACING.sub(" ", bare.casefold()).strip()


def trim(slug: str, limit: int) -> str:
    """At most limit characters of the slug, cut between words when it has several."""
    if len(slug) <= limit:
        return slug
    head = slug[:limit]
    if "-" in head and slug[limit] != "-":
        head = head.rsplit("-", 1)[0]
    return head.strip("-")


def with_hash(slug: str, key: str) -> str:
    """The slug, trimmed to make room, with a short hash of key: unique and within the cap."""
    return f"{trim(slug, MAX_SLUG_LENGTH - HASH_LENGTH - 1)}-{short_hash(key)}".lstrip("-")


def base_slug(name: str, kind: str, settings: dict[str, Any]) -> str:
    """Pelican's slug for the name, made readable, bounded, non-empty and safe as a file name."""
    from pelican.utils import slugify as pelican_slugify  # only builds need Pelican loaded

    readable = name
    for char, word in READABLE:
        readable = readable.replace(char, word)
    key = f"{kind.upper()}_REGEX_SUBSTITUTIONS"
    slug = pelican_slugify(
        readable,
        regex_subs=settings.get(key, settings.get("SLUG_REGEX_SUBSTITUTIONS", [])),
        preserve_case=settings.get("SLUGIFY_PRESERVE_CASE", False),
        use_unicode=settings.get("SLUGIFY_USE_UNICODE", False),
    )
    slug = _TRAILING.sub("", _LEADING.sub("", slug))
    if len(slug) > MAX_SLUG_LENGTH:
        slug = with_hash(slug, fold(name))
    if not slug:
        return f"{kind}-{short_hash(fold(name))}"
    if is_device_name(slug):
        return f"{slug}-{kind}"
    return slug


def distinct_slugs(names: Iterable[str], kind: str, settings: dict[str, Any]) -> dict[str, str]:
    """A slug for every name, two names sharing one only when they fold alike.

    In a clash the name whose slug spells it keeps the slug (so "c" keeps tag/c.html however
    many lookalikes arrive), and every other gets its own hash added; the same names always
    give the same slugs, whatever order they come in.
    """
    by_slug: dict[str, dict[str, list[str]]] = {}
    for name in sorted(set(names)):
        by_slug.setdefault(base_slug(name, kind, settings), {}).setdefault(fold(name), []).append(
            name
        )
    slugs: dict[str, str] = {}
    for slug, groups in sorted(by_slug.items()):
        owner = next((key for key in groups if key.replace(" ", "-") == slug), None)
        if len(groups) == 1:
            owner = next(iter(groups))
        for key, members in groups.items():
            own = slug if key == owner else with_hash(slug, key)
            slugs.update(dict.fromkeys(members, own))
        if len(groups) > 1:
            log.warning(
                "digest: the %ss %s would share the slug %r; each has a page of its own: %s",
                kind,
                " and ".join(repr(members[0]) for members in groups.values()),
                slug,
                ", ".join(
                    f"{members[0]!r} -> {slugs[members[0]]!r}" for members in groups.values()
                ),
            )
    return slugs


def _wrappers(generator: Any) -> list[Any]:
    """Every tag, source and author object of every article the generator read."""
    found = []
    for group in ("articles", "translations", "hidden_articles", "hidden_translations", "drafts",
                  "drafts_translations"):  # fmt: skip
        for article in getattr(generator, group, None) or ():
            found.extend(getattr(article, "tags", None) or ())
            category = getattr(article, "category", None)
            if category is not None:
                found.append(category)
    return found


def assign_slugs(generator: Any) -> None:
    """Give every tag and source of the build its distinct, safe slug before Pelican groups them.

    Connected to article_generator_pretaxonomy: Pelican files articles under tags and sources by
    slug right after it, so slugs set here decide the pages, the feeds and every link to them.
    """
    settings = generator.settings
    wrappers = _wrappers(generator)
    for kind_class, kind in KINDS.items():
        of_kind = [w for w in wrappers if type(w).__name__ == kind_class]
        if not of_kind:
            continue
        slugs = distinct_slugs((w.name for w in of_kind), kind, settings)
        for wrapper in of_kind:
            wrapper.slug = slugs[wrapper.name]
