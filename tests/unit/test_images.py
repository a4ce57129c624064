"""images: which images an article has, what is kept of them, and where they point."""

from __future__ import annotations

import pytest
from lxml import etree

from digest.errors import ExtractError
from digest.images import (
    clean_svg,
    drop_images,
    file_stem,
    image_kind,
    image_urls,
    localize_images,
    point_images,
    prepare_image,
)

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 20
ARTICLE = (
    '<p>Tide chart:</p><figure><img src="https://a.example/t.png?w=2&amp;h=1" alt="tide">'
    '</figure><img src="https://a.example/t.png?w=2&amp;h=1"><img src="/relative.png">'
    '<img alt="x" src="https://b.example/b.svg">'
)


def test_image_urls_are_absolute_unique_and_unescaped() -> None:
    assert image_urls(ARTICLE) == ["https://a.example/t.png?w=2&h=1", "https://b.example/b.svg"]


def test_point_images_uses_static_links_for_kept_images_only() -> None:
    local = {"https://a.example/t.png?w=2&h=1": "abc.png"}
    pointed = point_images(ARTICLE, local)
    assert pointed.count('src="{static}/images/digest/abc.png"') == 2
    assert 'src="https://b.example/b.svg"' in pointed
    assert 'alt="tide"' in pointed


def test_localize_images_leaves_no_image_on_another_site() -> None:
    """DIGEST_IMAGES = "local": what was not copied goes, its alt text kept as text."""
    local = {"https://a.example/t.png?w=2&h=1": "abc.png"}
    hostile = '<p>x</p><img alt="&lt;script&gt;a&quot;b>c" src="https://c.example/px.gif"><p>y</p>'
    localized = localize_images(ARTICLE + hostile, local)
    assert localized.count('src="{static}/images/digest/abc.png"') == 2
    assert localized.count("<img") == 2 and "b.example" not in localized
    assert "c.example" not in localized and "<script>" not in localized
    assert '<p>x</p>&lt;script&gt;a"b&gt;c<p>y</p>' in localized
    assert "/relative.png" not in localized  # no address survives that is not the site's


def test_drop_images() -> None:
    assert "<img" not in drop_images(ARTICLE)
    assert "<figure></figure>" in drop_images(ARTICLE)


@pytest.mark.parametrize(
    "data, extension",
    [
        (PNG, ".png"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 10, ".jpg"),
        (b"GIF89a" + b"\x00" * 10, ".gif"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", ".webp"),
        (b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>', ".svg"),
    ],
)
def test_kinds_come_from_the_bytes(data: bytes, extension: str) -> None:
    assert image_kind(data, "https://a.example/x") == extension


def test_html_pretending_to_be_an_image_is_refused() -> None:
    with pytest.raises(ExtractError, match=r"https://a\.example/x\.png"):
        image_kind(b"<html><script>alert(1)</script></html>", "https://a.example/x.png")


def test_svg_loses_everything_that_runs_or_loads() -> None:
    hostile = b"""<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"
      onload="alert(1)">
      <script>alert(2)</script>
      <style>@import url(https://evil.example/x.css);</style>
      <style>.bar { fill: #2a7; }</style>
      <foreignObject><iframe src="https://evil.example/"/></foreignObject>
      <a xlink:href="javascript:alert(3)"><rect width="5" height="5"/></a>
      <image href="https://evil.example/track.png"/>
      <use href="#bar"/>
      <rect class="bar" width="10" height="20" onclick="alert(4)"
            style="fill: url(https://evil.example/p)"/>
      <set attributeName="href" to="javascript:alert(5)"/>
    </svg>"""
    cleaned = clean_svg(hostile, "https://a.example/x.svg").decode()
    for bad in ("alert", "evil.example", "javascript", "foreignObject", "onload", "onclick"):
        assert bad not in cleaned
    assert ".bar { fill: #2a7; }" in cleaned
    assert 'href="#bar"' in cleaned
    assert 'width="10"' in cleaned


def test_svg_entities_go_and_the_file_stays_well_formed() -> None:
    """The DTD is not kept, so neither are its entities: no reference is left undefined."""
    svg = b"""<?xml version="1.0"?>
<!DOCTYPE svg [<!ENTITY xxe SYSTEM "file:///etc/hostname"><!ENTITY ns "http://www.w3.org/2000/svg">
<!ENTITY word "inner">]>
<svg xmlns="&ns;" width="10" height="10">
  <text class="a&word;" x="0" y="9">before &xxe; middle &word; after &amp; &#65;</text>
</svg>"""
    cleaned = clean_svg(svg, "https://a.example/x.svg")
    root = etree.fromstring(cleaned, etree.XMLParser(resolve_entities=False))  # well-formed
    text = root[0]
    assert text.get("class") == "ainner"  # an attribute reads as it did
    assert text.text == "before  middle  after & A"
    assert b"&xxe;" not in cleaned and b"&word;" not in cleaned and b"ENTITY" not in cleaned


def test_malformed_svg_is_refused() -> None:
    with pytest.raises(ExtractError):
        prepare_image(b"<svg><g></svg>", "https://a.example/x.svg")


def test_names_are_stable_per_url() -> None:
    name, data = prepare_image(PNG, "https://a.example/t.png")
    assert name == file_stem("https://a.example/t.png") + ".png"
    assert data == PNG
    assert file_stem("https://a.example/t.png") != file_stem("https://a.example/u.png")
