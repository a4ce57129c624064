"""What a rendered list page depends on, as one key: the values of the variables its templates read.

An incremental build that renders every list page again spends most of its time there, while
one new article changes only the lists it is in (the home page's pages, its source's and its
tags'), not the other hundred tag and source pages. Which context variables a page can show is
read from its templates themselves (Jinja's own analysis of the template, of the one it
extends and of those it includes or imports), so the key covers exactly those and nothing that
changes on every build, such as the list of all articles a tag page is handed but never shows.

A template that names another by an expression (`{% include some_variable %}`) cannot be
analysed; its pages are always rendered.
"""

from __future__ import annotations

import datetime
import hashlib
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from jinja2 import Environment, TemplateNotFound, meta

_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")
# What a list shows of an article comes from its file (the source stamp covers that) and from
# the settings (the writer's settings stamp covers those), but for two things: its URL, and
# the names and URLs of its tags, source and authors.
CONTENT_FIELDS = ("url",)
NAME_FIELDS = ("category", "tags", "authors")
PLAIN = frozenset({str, int, float, bool})


def template_variables(
    environment: Environment, name: str, parsed: dict[str, Any] | None = None
) -> frozenset[str] | None:
    """Every context variable a template and the templates it pulls in may read; None when
    one of them is named by an expression or cannot be loaded. `parsed` keeps each template's
    own findings between calls (base.html and the macros are pulled in by every page)."""
    parsed = {} if parsed is None else parsed
    seen: set[str] = set()
    found: set[str] = set()
    pending = [name]
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        if current not in parsed:
            parsed[current] = _own_variables(environment, current)
        own = parsed[current]
        if own is None:
            return None
        variables, referenced = own
        found |= variables
        pending.extend(referenced)
    return frozenset(found)


def _own_variables(
    environment: Environment, name: str
) -> tuple[frozenset[str], tuple[str, ...]] | None:
    """One template's undeclared variables and the templates it names; None when it cannot be
    loaded or names one by an expression."""
    loader = environment.loader
    if loader is None:
        return None
    try:
        source, _, _ = loader.get_source(environment, name)
    except TemplateNotFound:
        return None
    tree = environment.parse(source)
    referenced = tuple(meta.find_referenced_templates(tree))
    if any(item is None for item in referenced):
        return None
    return frozenset(meta.find_undeclared_variables(tree)), referenced  # type: ignore[return-value]


class Describer:
    """Stable text for the values a template is given. Articles, pages, tags and sources are
    described once a build (the same article appears on many list pages, and Pelican computes
    its URL anew on every access); a list is described by a digest of its items, so that keys
    stay small however long the lists."""

    def __init__(self, source_stamp: Callable[[Any], str]) -> None:
        self.source_stamp = source_stamp
        self.memo: dict[int, tuple[Any, str]] = {}

    def __call__(self, value: Any) -> str:
        if value is None or type(value) in PLAIN:
            return repr(value)
        known = self.memo.get(id(value))
        if known is not None and known[0] is value:
            return known[1]
        text = self._describe(value)
        # The value is held, so its id is not reused; the context's lists do not change while
        # the pages are written, so each is described once.
        self.memo[id(value)] = (value, text)
        return text

    def _describe(self, value: Any) -> str:
        if isinstance(value, str | int | float | bool):
            return repr(value)
        if isinstance(value, datetime.date):
            return value.isoformat()
        if isinstance(value, set | frozenset):
            return _digest("set", sorted(self(item) for item in value))
        if isinstance(value, list | tuple):
            return _digest("list", (self(item) for item in value))
        if isinstance(value, Mapping):
            return _digest("map", (f"{k}:{self(v)}" for k, v in sorted(value.items(), key=str)))
        if hasattr(value, "object_list") and hasattr(value, "number"):  # a paginator's page
            paginator = getattr(value, "paginator", None)
            return (
                f"page({value.number}/{getattr(paginator, 'num_pages', '')}"
                f"\0{getattr(value, 'url', '')}\0{self(list(value.object_list))})"
            )
        if hasattr(value, "num_pages") and hasattr(value, "object_list"):  # a paginator
            return f"paginator({value.num_pages}\0{self(list(value.object_list))})"
        if hasattr(value, "source_path") and hasattr(value, "url"):  # an article or page
            fields = "\0".join(str(getattr(value, f, "")) for f in CONTENT_FIELDS)
            # Its tags' and source's names and URLs: slugs.py may change one's slug when
            # another article brings a clashing name, with this article's file unchanged.
            names = self([getattr(value, f, None) for f in NAME_FIELDS])
            return f"content({fields}\0{names}\0{self.source_stamp(value)})"
        if hasattr(value, "slug") and hasattr(value, "url"):  # a tag, category or author
            return f"name({value}\0{value.slug}\0{value.url})"
        if callable(value):  # a macro, filter or function: its code is in the settings stamp
            return f"callable({getattr(value, '__qualname__', type(value).__name__)})"
        return _ADDRESS.sub("", repr(value))


def _digest(kind: str, parts: Iterable[str]) -> str:
    """A fixed-size description of a container from its items' descriptions."""
    digest = hashlib.sha256(kind.encode())
    for part in parts:
        digest.update(part.encode())
        digest.update(b"\x1f")
    return f"{kind}:{digest.hexdigest()}"


def page_key(
    template_name: str,
    variables: Iterable[str],
    context: Mapping[str, Any],
    describe: Describer,
) -> str:
    """One digest of the template's name and the values of the variables it reads."""
    digest = hashlib.sha256(template_name.encode())
    for name in sorted(variables):
        digest.update(f"\x1e{name}\x1f{describe(context.get(name))}".encode())
    return digest.hexdigest()
