"""Article images kept with the digest: found in the HTML, checked, named, and pointed at.

Keeping images beside the articles means readers' browsers make no requests to the sources'
servers, and the archive keeps its pictures after the originals go. This module only decides:
pipeline.py fetches the bytes and write.py stores them.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Mapping

from lxml import etree

from .errors import ExtractError

IMAGE_FOLDER = "images/digest"  # under Pelican's PATH; "images" is in STATIC_PATHS by default

IMG_SRC = re.compile(r'(<img\b[^>]*?\bsrc=")([^"]*)(")', re.IGNORECASE)
IMG_TAG = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
# A whole <img> tag, a quoted ">" included (the sanitizer quotes every value with ").
IMG_WHOLE = re.compile(r'<img\b(?:[^>"]|"[^"]*")*>', re.IGNORECASE)
IMG_ALT = re.compile(r'\salt="([^"]*)"', re.IGNORECASE)

# Magic numbers of the raster formats browsers show; SVG is recognised by its root element.
SIGNATURES: tuple[tuple[bytes, int, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", 0, ".png"),
    (b"\xff\xd8\xff", 0, ".jpg"),
    (b"GIF87a", 0, ".gif"),
    (b"GIF89a", 0, ".gif"),
    (b"WEBP", 8, ".webp"),
    (b"ftypavif", 4, ".avif"),
)

# What an SVG may not keep: anything that runs, loads, or navigates.
SVG_NAMESPACE = "http://www.w3.org/2000/svg"
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
SVG_FORBIDDEN = {
    "script",
    "foreignObject",
    "iframe",
    "embed",
    "object",
    "a",
    "animate",
    "set",
    "animateMotion",
    "animateTransform",
    "handler",
    "listener",
    "image",
    "style",
}


def image_urls(article_html: str) -> list[str]:
    """The http(s) image sources of an article, in order, each once."""
    found: dict[str, None] = {}
    for match in IMG_SRC.finditer(article_html):
        url = html.unescape(match.group(2))
        if url.startswith(("http://", "https://")):
            found.setdefault(url, None)
    return list(found)


def file_stem(url: str) -> str:
    """A stable file name for an image URL, without its extension."""
    return hashlib.sha256(url.encode("utf-8")).hexdigest()[:24]


def image_kind(data: bytes, url: str) -> str:
    """The file extension the bytes call for; ExtractError when they are not an image we keep."""
    for signature, offset, extension in SIGNATURES:
        if data[offset : offset + len(signature)] == signature:
            return extension
    head = data[:2048].lstrip().lower()
    if head.startswith((b"<?xml", b"<svg", b"<!--", b"<!doctype svg")) and b"<svg" in head:
        return ".svg"
    raise ExtractError(f"{url} is not a PNG, JPEG, GIF, WebP, AVIF or SVG image")


def _unsafe_element(element: etree._Element) -> bool:
    """Elements that run, load or navigate; a stylesheet only when it loads something."""
    name = etree.QName(element).localname
    if name == "style":
        text = (element.text or "").lower()
        return any(risky in text for risky in ("url(", "@import", "expression"))
    return name in SVG_FORBIDDEN


def _unsafe_attribute(name: str, value: str) -> bool:
    """Event handlers, links out of the document, and styles that fetch."""
    name, value = name.lower(), value.strip().lower()
    if name.startswith("on") or (name == "href" and not value.startswith("#")):
        return True
    return "url(" in value and "url(#" not in value.replace(" ", "")


def clean_svg(data: bytes, url: str) -> bytes:
    """An SVG without scripts, event handlers, external references, embedded documents or
    entity references: what is stored must be inert and well-formed on its own."""
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
        load_dtd=False,
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as err:
        raise ExtractError(f"{url} is not a well-formed SVG: {err}") from err
    if etree.QName(root).localname != "svg":
        raise ExtractError(f"{url} is not an SVG document")
    for element in list(root.iter()):
        if not isinstance(element.tag, str):
            continue
        if element is not root and _unsafe_element(element):
            element.getparent().remove(element)
            continue
        for name in list(element.attrib):
            value = element.attrib[name]
            if _unsafe_attribute(etree.QName(name).localname, value):
                del element.attrib[name]
            else:
                # Set again as the text it reads as: an entity reference in the value would be
                # written as it is, undefined once the DTD is gone.
                element.set(name, value)
    # The DTD is not written back, so its entities must go too: a reference left in the text
    # would make the stored file malformed. Internal ones are text a feed chose, external ones
    # were never read (resolve_entities=False); neither is worth keeping.
    etree.strip_elements(root, etree.Entity, with_tail=False)
    return etree.tostring(root, xml_declaration=True, encoding="utf-8")


def prepare_image(data: bytes, url: str) -> tuple[str, bytes]:
    """The file name and the bytes to store for a fetched image."""
    extension = image_kind(data, url)
    if extension == ".svg":
        data = clean_svg(data, url)
    return file_stem(url) + extension, data


def point_images(article_html: str, local: Mapping[str, str]) -> str:
    """Point each kept image at its local copy ({static} link); others keep their address."""

    def replace(match: re.Match[str]) -> str:
        url = html.unescape(match.group(2))
        if url not in local:
            return match.group(0)
        return f"{match.group(1)}{{static}}/{IMAGE_FOLDER}/{local[url]}{match.group(3)}"

    return IMG_SRC.sub(replace, article_html)


def localize_images(article_html: str, local: Mapping[str, str]) -> str:
    """Point each copied image at its copy; any other image becomes its alt text.

    For DIGEST_IMAGES = "local": an image that could not be copied (gone, too big, not an
    image) must not stay on its source's server, where every reader's browser would ask for it
    (which is how a tracking pixel works).
    """

    def replace(match: re.Match[str]) -> str:
        tag = match.group(0)
        src = IMG_SRC.search(tag)
        if src is not None and html.unescape(src.group(2)) in local:
            return point_images(tag, local)
        alt = IMG_ALT.search(tag)
        return html.escape(html.unescape(alt.group(1)), quote=False) if alt else ""

    return IMG_WHOLE.sub(replace, article_html)


def drop_images(article_html: str) -> str:
    """The article without any image, for DIGEST_IMAGES = "none"."""
    return IMG_TAG.sub("", article_html)
