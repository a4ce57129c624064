"""Articles' and pages' URLs, worked out once per build instead of on every use.

Pelican computes a content's `url` and `save_as` anew each time they are read: a copy of its
metadata, a date formatted, a setting formatted. The templates read them thousands of times
(every list page names thirty articles, every article page its neighbours), and py-spy put
this at about a tenth of a 1,000-article build. Once every generator has its context
(all_generators_finalized), nothing changes an article's or a page's URL, so from then until
the build ends each one answers from what it first worked out.

Each object gets, for the writing phase only, a subclass of its own class with the same name,
whose two properties remember their first answer; on `finalized` it gets its class back and
forgets them (a Pelican that stays up, as `pelican -r` does, starts its next build clean).
Static files are left alone: Pelican may still move one while writing, when a page attaches it.
"""

from __future__ import annotations

from typing import Any

REMEMBERED = "_digest_remembered_urls"
# Every list of articles or pages a generator may hold (ArticlesGenerator's and PagesGenerator's).
CONTENT_LISTS = (
    "articles",
    "translations",
    "hidden_articles",
    "hidden_translations",
    "drafts",
    "drafts_translations",
    "pages",
    "hidden_pages",
    "draft_pages",
    "draft_translations",
)

_SUBCLASSES: dict[type, type] = {}
_CHANGED: list[tuple[Any, type]] = []  # (object, its own class) of the build being written


def _remembered(name: str) -> property:
    """A property that asks the parent class once and then answers from the object's memo."""

    def get(self: Any) -> Any:
        memo = self.__dict__.setdefault(REMEMBERED, {})
        if name not in memo:
            memo[name] = getattr(super(type(self), self), name)
        return memo[name]

    return property(get, doc=f"{name}, worked out once for this build")


def remembering_class(cls: type) -> type:
    """The subclass of cls whose url and save_as are worked out once (made on first need)."""
    if cls not in _SUBCLASSES:
        _SUBCLASSES[cls] = type(
            cls.__name__,  # Pelican looks settings up by class name (PAGE_URL, ...)
            (cls,),
            {
                "__module__": cls.__module__,
                "__qualname__": cls.__qualname__,
                "url": _remembered("url"),
                "save_as": _remembered("save_as"),
            },
        )
    return _SUBCLASSES[cls]


def remember_urls(generators: list[Any]) -> None:
    """From now to the end of the build, each article and page works its URLs out once."""
    seen: set[int] = set()
    for generator in generators:
        for name in CONTENT_LISTS:
            for item in getattr(generator, name, None) or ():
                if id(item) in seen or type(item) in _SUBCLASSES.values():
                    continue
                seen.add(id(item))
                _CHANGED.append((item, type(item)))
                item.__class__ = remembering_class(type(item))


def forget_urls(pelican: object = None) -> None:
    """Give every object its own class back, without the remembered URLs."""
    while _CHANGED:
        item, cls = _CHANGED.pop()
        item.__class__ = cls
        item.__dict__.pop(REMEMBERED, None)
