"""Hostile feeds and pages, built into a site: nothing in it may run, load or escape.

The shared build (conftest.py::hostile_build) carries every payload of
tests/fixtures/hostile/payloads.json in every field a source controls. These tests read what
it wrote: content files, pages, feeds, images and the folders around them. Findings that are
known and not yet fixed are separated out by exact predicates and asserted in their own
xfail(strict=True) tests, so the rest of each guarantee stays enforced meanwhile.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote, urlsplit
from xml.sax.saxutils import escape as xml_escape

import pytest
from lxml import etree
from pelican.readers import HTMLReader
from pelican.settings import DEFAULT_CONFIG

from digest.pipeline import run
from digest.settings import load_settings

from .conftest import HostileBuild, copy_site, pelican
from .hostile import (
    CRASHES_THE_RUN,
    Answer,
    SourceServer,
    filler,
    item_a,
    item_c,
    json_feed,
    load_payloads,
    page_a,
    page_c,
    rss,
)
from .safety import Violation, check_output

SITE_BASES = ("http://localhost:8000/",)  # FEED_DOMAIN: where the feeds say the site is
CHANNEL_LINK = "javascript:alert('channel-link')"  # Hostile B's <channel><link>
WRITER_KEYS = {
    "title",
    "date",
    "modified",
    "slug",
    "category",
    "tags",
    "authors",
    "summary",
    "source",
    "source_url",
    "original_url",
    "lead_image",
    "note",
    "reading_time",
    "feed_content",
    "also_in",
    "digest_id",
    "fingerprint",
}
PORTABLE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]*$")
EMPTY_SLUG_NAMES = {".html", ".atom.xml", ".rss.xml", ".json"}  # what an empty slug gave (F6)
CONTENT_NAME = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*\.html$")
IMAGE_NAME = re.compile(r"^[0-9a-f]{24}\.(?:png|jpg|gif|webp|avif|svg)$")


# -- the known findings, each an exact predicate over violations (see SECURITY.md) ----------------


def summary_markup(v: Violation) -> bool:
    """F2: summaries are written as text but read by Pelican and the theme as HTML."""
    return "entry__summary" in v.where or bool(re.match(r"^entry\[\d+\]/summary:", v.where))


def channel_link(v: Violation) -> bool:
    """F3: a feed's <channel><link> becomes the source's site link, whatever its scheme."""
    return v.kind == "scheme" and v.what == CHANNEL_LINK


def tag_title(v: Violation) -> bool:
    """F4: tag pages put the tag name through |striptags, which unescapes, into <title>."""
    return v.file.startswith("tag/") and v.where.startswith("html>head>")


def remote_image(v: Violation) -> bool:
    """F5: an image that could not be copied keeps its source address."""
    return v.kind == "remote" and v.where.endswith(("img@src", "img@srcset"))


KNOWN: dict[str, Callable[[Violation], bool]] = {
    "F2": summary_markup,
    "F3": channel_link,
    "F4": tag_title,
    "F5": remote_image,
}


@pytest.fixture(scope="module")
def violations(hostile_build: HostileBuild) -> list[Violation]:
    """Everything the built pages and feeds hold that they must not."""
    return check_output(hostile_build.output, SITE_BASES)


def listing(found: list[Violation], limit: int = 25) -> str:
    return "\n".join(str(v) for v in found[:limit]) + (
        f"\n... and {len(found) - limit} more" if len(found) > limit else ""
    )


# -- the build itself --------------------------------------------------------------------------


def test_the_fetch_survives_the_hostile_sources(hostile_build: HostileBuild) -> None:
    assert hostile_build.fetch_error == "", hostile_build.fetch_error
    report = hostile_build.report
    assert report is not None and not report.all_failed  # type: ignore[attr-defined]
    written = sum(s.new for s in report.sources)  # type: ignore[attr-defined]
    assert written >= 2 * len(hostile_build.payloads)
    print(f"{written} articles from {len(hostile_build.payloads)} payloads", hostile_build.seconds)


def test_pelican_builds_the_hostile_site(hostile_build: HostileBuild) -> None:
    result = hostile_build.build
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-4000:]
    assert "Traceback" not in log and "CRITICAL" not in log, log[-4000:]


# -- (a) what the pages and feeds hold ---------------------------------------------------------


def test_no_page_or_feed_holds_script_handlers_or_dangerous_urls(
    violations: list[Violation],
) -> None:
    """No <script> but the theme's own, no on* attribute, no javascript:/vbscript:/data: URL,
    no frame, object, embed, base, form or meta refresh, no element outside the allow-list,
    and no resource loaded from outside the site: in every page and in the HTML of every feed."""
    unknown = [v for v in violations if not any(known(v) for known in KNOWN.values())]
    assert not unknown, listing(unknown)


def test_summaries_are_shown_as_text(violations: list[Violation]) -> None:
    found = [v for v in violations if summary_markup(v)]
    assert not found, listing(found)


def test_source_links_are_web_addresses(violations: list[Violation]) -> None:
    found = [v for v in violations if channel_link(v)]
    assert not found, listing(found)


def test_tag_names_stay_in_the_title(violations: list[Violation]) -> None:
    found = [v for v in violations if tag_title(v)]
    assert not found, listing(found)


def test_every_image_is_served_by_the_site(violations: list[Violation]) -> None:
    found = [v for v in violations if remote_image(v)]
    assert not found, listing(found)


def test_template_syntax_stays_text(hostile_build: HostileBuild) -> None:
    """Jinja and Pelican syntax in articles is shown as written, never evaluated."""
    pages = {p: p.read_text(encoding="utf-8") for p in hostile_build.output.rglob("*.html")}
    assert not [p for p, text in pages.items() if "1337" in text]  # {{ 7*191 }} evaluated
    assert not [p for p, text in pages.items() if "looplooploop" in text]
    assert not [p for p, text in pages.items() if "<class 'object'>" in text]
    shown = [p for p, text in pages.items() if "{{ 7*191 }}" in text and "/2026/" in str(p)]
    assert shown, "the template payload should reach an article page as text"


def test_content_files_hold_only_the_writers_metadata(hostile_build: HostileBuild) -> None:
    """Quotes in titles, tags or authors never add a <meta> (slug, save_as, status, template)."""
    reader = HTMLReader(copy.deepcopy(DEFAULT_CONFIG))
    files = sorted((hostile_build.content / "digest").glob("*.html"))
    assert files
    for path in files:
        _, metadata = reader.read(str(path))
        assert set(metadata) <= WRITER_KEYS, (path.name, set(metadata) - WRITER_KEYS)
        assert metadata["slug"] == path.stem
        for key in ("title", "summary", "category", "source", "original_url"):
            assert not isinstance(metadata.get(key), list), (path.name, key)


def test_written_files_stay_in_their_folders(hostile_build: HostileBuild) -> None:
    """Nothing beside the site; content/ holds only the plugin's folders; names are portable."""
    assert sorted(p.name for p in hostile_build.parent.iterdir()) == ["site"]
    top = {p.name for p in hostile_build.root.iterdir()}
    assert top <= {
        "pelicanconf.py",
        "plugins",
        "theme",
        "content",
        "output",
        ".digest-cache",
        "cache",  # Pelican's CACHE_PATH: pelicanconf.py keeps a content cache for rebuilds
        "__pycache__",
    }, top
    content = hostile_build.content
    assert {p.name for p in content.iterdir()} <= {"pages", "digest", "images"}
    for path in (content / "digest").iterdir():
        assert CONTENT_NAME.match(path.name) and len(path.name) <= 90, path.name
    images = content / "images"
    assert [p.name for p in images.iterdir()] == ["digest"]
    for path in (images / "digest").iterdir():
        assert IMAGE_NAME.match(path.name), path.name
    for path in hostile_build.output.rglob("*"):
        rel = path.relative_to(hostile_build.output)
        assert all(PORTABLE_NAME.match(part) for part in rel.parts), rel
        assert ".." not in rel.parts and path.resolve().is_relative_to(hostile_build.output)


def test_no_output_file_is_nameless(hostile_build: HostileBuild) -> None:
    nameless = [p for p in hostile_build.output.rglob("*") if p.name in EMPTY_SLUG_NAMES]
    assert not nameless, nameless


def test_links_in_pages_never_climb_out_of_the_site(hostile_build: HostileBuild) -> None:
    """{filename}, {static} and {attach} links cannot point at or copy files outside output/."""
    output = hostile_build.output
    assert not list(output.rglob("pelicanconf.py")) and not list(output.rglob("*.sqlite3"))
    assert not list(output.rglob("hostname"))
    for page in output.rglob("*.html"):
        root = etree.HTML(page.read_bytes())
        for el in root.iter():
            for name in ("href", "src"):
                value = el.get(name) if isinstance(el.tag, str) else None
                if not value or urlsplit(value).scheme or value.startswith(("#", "//")):
                    continue
                path = unquote(urlsplit(value).path)
                folder = output if path.startswith("/") else page.parent
                target = (folder / path.lstrip("/")).resolve()
                assert target.is_relative_to(output), (page.relative_to(output), value)


def stored_svg(hostile_build: HostileBuild) -> bytes:
    svgs = list((hostile_build.content / "images" / "digest").glob("*.svg"))
    assert len(svgs) == 1
    return svgs[0].read_bytes()


def test_stored_svg_images_are_inert(hostile_build: HostileBuild) -> None:
    """The scripted SVG is kept without scripts, handlers, links, external loads or entities."""
    data = stored_svg(hostile_build)
    root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, recover=True))
    names = {etree.QName(el).localname for el in root.iter() if isinstance(el.tag, str)}
    assert not names & {"script", "foreignObject", "iframe", "a", "image", "set", "style"}
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        for name, value in el.attrib.items():
            local = etree.QName(name).localname.lower()
            assert not local.startswith("on"), (el.tag, name)
            assert local != "href" or value.startswith("#"), (el.tag, name, value)
            assert "url(" not in value.replace(" ", "") or "url(#" in value.replace(" ", "")
    assert b"<!ENTITY" not in data and b"SYSTEM" not in data  # no external entity, nothing read


def test_stored_svg_images_are_well_formed(hostile_build: HostileBuild) -> None:
    etree.fromstring(stored_svg(hostile_build), etree.XMLParser(resolve_entities=False))


def test_only_real_images_are_stored(hostile_build: HostileBuild) -> None:
    """HTML served as image/png is refused; a PNG/HTML polyglot is only ever a .png file."""
    folder = hostile_build.content / "images" / "digest"
    for path in folder.iterdir():
        data = path.read_bytes()
        if path.suffix == ".png":
            assert data.startswith(b"\x89PNG\r\n\x1a\n"), path.name
        assert not data.lstrip().lower().startswith((b"<html", b"<!doctype html")), path.name


# -- one hostile item must never stop the run --------------------------------------------------


def crash_sources(server: SourceServer, payload_id: str) -> list[dict[str, object]]:
    """An RSS feed and a JSON Feed, each with the payload's items between two ordinary ones.

    The RSS feed carries it in every field (item_a) and in the metadata of an otherwise clean
    page (item_c); the JSON Feed in every field of its item.
    """
    payload = next(p for p in load_payloads() if p.id == payload_id)
    base = server.url

    def plain(n: str) -> str:
        return (
            f"<item><title>Ordinary {n}</title><link>{base}/plain/{n}</link>"
            f"<description>&lt;p&gt;{filler('plain' + n)}&lt;/p&gt;</description></item>"
        )

    server.routes["/rss"] = Answer(
        rss(
            "Crash",
            base + "/",
            [plain("1"), item_a(payload, base, raw=True), item_c(0, base), plain("2")],
            raw=True,
        ),
        "application/rss+xml",
    )
    server.routes[f"/a/{payload.id}"] = Answer(page_a(payload))
    server.routes["/c/0"] = Answer(page_c(0, [payload]))
    document = json.loads(json_feed([payload], base))
    document["items"] = [
        {"id": "j1", "title": "Ordinary j1", "content_html": f"<p>{filler('j1')}</p>"},
        *document["items"],
        {"id": "j2", "title": "Ordinary j2", "content_html": f"<p>{filler('j2')}</p>"},
    ]
    server.routes["/json"] = Answer(json.dumps(document).encode(), "application/feed+json")
    for n in ("1", "2"):
        server.routes[f"/plain/{n}"] = Answer(
            f"<html><body><article><p>{filler('page' + n)}</p></article></body></html>".encode()
        )
    return [
        {"name": "Crash RSS", "feed": f"{base}/rss"},
        {"name": "Crash JSON", "feed": f"{base}/json", "fetch_pages": False},
    ]


@pytest.mark.parametrize("payload_id", sorted(CRASHES_THE_RUN))
def test_one_hostile_item_never_stops_the_run(
    tmp_path: Path, payload_id: str, caplog: pytest.LogCaptureFixture
) -> None:
    server = SourceServer().start()
    try:
        settings = load_settings(
            {
                "PATH": str(tmp_path / "content"),
                "DIGEST_SOURCES": crash_sources(server, payload_id),
                "DIGEST_HOST_DELAY": 0,
                "DIGEST_FETCH_INTERVAL": 0,
                "DIGEST_RETRIES": 0,
            }
        )
        report = run(settings, force=True)  # an exception that was no FetchError here was F1
    finally:
        server.stop()
    written = {
        p.read_text(encoding="utf-8").split("<title>")[1].split("<")[0]
        for p in (tmp_path / "content" / "digest").glob("*.html")
    }
    assert {"Ordinary 1", "Ordinary 2"} <= written, report.summary_lines()
    assert sum(s.new for s in report.sources) >= 4, report.summary_lines()
    for source in report.sources:  # each failure is reported, naming the item's address
        assert len(source.errors) == source.failed, report.summary_lines()
    skipped = [r.getMessage() for r in caplog.records if ": skipped " in r.getMessage()]
    assert all(m.startswith(("Crash RSS: skipped ", "Crash JSON: skipped ")) for m in skipped)


def test_control_characters_never_cost_an_article(tmp_path: Path) -> None:
    """Control characters (vertical tabs and form feeds come with text pasted from word
    processors) are no reason to drop an article: browsers show such pages, and so does Digest."""
    server = SourceServer().start()
    base = server.url
    text = filler("vt")
    server.routes["/rss"] = Answer(
        rss("Pasted", base + "/", [f"<item><title>Pasted</title><link>{base}/p</link></item>"]),
        "application/rss+xml",
    )
    server.routes["/p"] = Answer(
        f"<html><body><article><p>{text} bell\x07 backspace\x08 escape\x1b[31m tab\x0b "
        "feed\x0c.</p></article></body></html>".encode()
    )
    try:
        settings = load_settings(
            {
                "PATH": str(tmp_path / "content"),
                "DIGEST_SOURCES": [{"name": "Pasted", "feed": f"{base}/rss"}],
                "DIGEST_HOST_DELAY": 0,
                "DIGEST_FETCH_INTERVAL": 0,
            }
        )
        report = run(settings, force=True)
    finally:
        server.stop()
    assert report.sources[0].new == 1, report.summary_lines()


def test_item_links_are_web_addresses_even_without_robots(tmp_path: Path) -> None:
    """The shared build honours robots.txt, whose check happens to refuse non-http links; a
    source with "robots": False must not publish a javascript: link as "Read the original"."""
    server = SourceServer().start()
    base = server.url
    links = ["javascript:alert('original')", "JaVaScRiPt:alert('original')", "data:text/html,x"]
    items = [
        f"<item><title>Item {n}</title><link>{xml_escape(link)}</link><guid>g{n}</guid>"
        f"<description>&lt;p&gt;{filler('orig' + str(n))}&lt;/p&gt;</description></item>"
        for n, link in enumerate(links)
    ]
    server.routes["/feed"] = Answer(rss("Links", base + "/", items), "application/rss+xml")
    root = tmp_path / "site"
    copy_site(root)
    sources = [{"name": "Links", "feed": f"{base}/feed", "site": f"{base}/", "robots": False}]
    with (root / "pelicanconf.py").open("a", encoding="utf-8") as conf:
        conf.write(f"\nDIGEST_SOURCES = {sources!r}\nDIGEST_MIRRORS = {{}}\nDIGEST_OPML = ''\n")
    try:
        report = run(
            load_settings(
                {
                    "PATH": str(root / "content"),
                    "DIGEST_SOURCES": sources,
                    "DIGEST_HOST_DELAY": 0,
                    "DIGEST_RETRIES": 0,
                },
                root=root,
            ),
            force=True,
        )
    finally:
        server.stop()
    assert pelican(root).returncode == 0
    found = [v for v in check_output(root / "output", SITE_BASES) if v.kind == "scheme"]
    assert not found, (report.summary_lines(), listing(found))
