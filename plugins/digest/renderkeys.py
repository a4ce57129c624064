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


def template_variables(environment: Environment, name: str) -> frozenset[str] | None:
    """Every context variable a template and the templates it pulls in may read; None when
    one of them is named by an expression or cannot be loaded."""
    seen: set[str] = set()
    found: set[str] = set()
    pending = [name]
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        loader = environment.loader
        if loader is None:
            return None
        try:
            source, _, _ = loader.get_source(environment, current)
        except TemplateNotFound:
            return None
        tree = environment.parse(source)
        found |= meta.find_undeclared_variables(tree)
        for referenced in meta.find_referenced_templates(tree):
            if referenced is None:
                return None
            pending.append(referenced)
    return frozenset(found)


class Describer:
    """Stable text for the values a template is given. Articles, pages, tags and sources are
    described once a build (the same article appears on many list pages, and Pelican computes
    its URL anew on every access); a list is described by a digest of its items, so that keys
    stay small however long the lists."""

    def __init__(self, source_stamp: Callable[[Any], str]) -> None:
        self.source_stamp = source_stamp
        self.memo: dict[int, tuple[Any, str]] = {}

    def __call__(self, value: Any) -> str:
        if value is None or isinstance(value, str | int | float | bool):
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
        known = self.memo.get(id(value))
        if known is not None and known[0] is value:
            return known[1]
        text = self._describe(value)
        self.memo[id(value)] = (value, text)  # the value is held, so its id is not reused
        return text

    def _describe(self, value: Any) -> str:
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
