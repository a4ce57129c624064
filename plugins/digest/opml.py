"""OPML subscription lists in and out: outlines with an xmlUrl become sources.

A feed nested in folder outlines gets the folders' names as tags, as feed readers use them.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable
from pathlib import Path

from .errors import ConfigError
from .models import Source


def _walk(node: ET.Element, folders: tuple[str, ...], found: list[Source]) -> None:
    """Collect the feed outlines below node, carrying the folder names down as tags."""
    for outline in node.findall("outline"):
        url = (outline.get("xmlUrl") or "").strip()
        label = (outline.get("title") or outline.get("text") or "").strip()
        if url:
            own = [t.strip() for t in (outline.get("category") or "").replace("/", ",").split(",")]
            found.append(
                Source(
                    name=label or url,
                    feed_url=url,
                    tags=tuple(dict.fromkeys([*folders, *(t for t in own if t)])),
                    site_url=(outline.get("htmlUrl") or "").strip(),
                )
            )
        else:
            _walk(outline, (*folders, label) if label else folders, found)


def parse_opml(data: bytes, origin: str) -> list[Source]:
    """Sources from OPML bytes; origin names the file in error messages."""
    try:
        root = ET.fromstring(data)
    except ET.ParseError as err:
        raise ConfigError(f"{origin} is not valid OPML: {err}") from err
    body = root.find("body")
    if root.tag != "opml" or body is None:
        raise ConfigError(f"{origin} is not OPML (no <opml><body>)")
    found: list[Source] = []
    _walk(body, (), found)
    return found


def read_opml(path: Path) -> list[Source]:
    """Sources from an OPML file on disk."""
    try:
        data = path.read_bytes()
    except OSError as err:
        raise ConfigError(f"cannot read the OPML file {path}: {err}") from err
    return parse_opml(data, str(path))


def export_opml(sources: Iterable[Source], title: str) -> str:
    """An OPML 2.0 document listing sources, their tags as the category attribute."""
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = title
    body = ET.SubElement(root, "body")
    for source in sources:
        attrs = {
            "type": "rss",
            "text": source.name,
            "title": source.name,
            "xmlUrl": source.feed_url,
        }
        if source.site_url:
            attrs["htmlUrl"] = source.site_url
        if source.tags:
            attrs["category"] = ",".join(source.tags)
        ET.SubElement(body, "outline", attrs)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
