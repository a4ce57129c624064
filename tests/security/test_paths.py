"""Paths and names: hostile titles, tags and source names never put a file anywhere unexpected.

Every written file stays inside content/digest/ (articles), content/images/digest/ (images) and
output/ (the site); names are portable and length-capped; the same input gives the same names
in every run; and two different tags are never silently filed under one page.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from lxml import etree

from digest.pipeline import run
from digest.settings import load_settings
from digest.write import choose_path, make_slug

from .conftest import ROOT, copy_site, pelican
from .hostile import XML_INVALID, Answer, SourceServer, filler

HOSTILE_NAMES = [
    "../../../etc/passwd",
    "..\\..\\windows\\win.ini",
    "/etc/passwd",
    "C:\\Windows\\System32\\drivers",
    "~/.ssh/id_rsa",
    "..",
    ".",
    ".hidden",
    "-rf --no-preserve-root",
    "",
    "   ",
    "a\x00b",
    "tab\tnew\nline\rreturn",
    "\x01\x02\x1f\x7f",
    "CON",
    "nul",
    "COM1",
    "AUX",
    "PRN",
    "LPT9",
    "con.html",
    "x" * 1000,
    "é" * 1000,
    "word " * 200,
    "東京",
    "京都",
    "Ünïcode",
    "C++",
    "🎉🎉🎉",
    "مرحبا بالعالم",
    "invoice\u202egpj.exe",
    "Ελληνικά και English",
    "Привет, мир",
    "name.html",
    'a:b*c?d"e<f>g|h',
    "$(touch /tmp/pwned) `id`",
    "%2e%2e%2f%2e%2e%2fetc",
]
# Two kinds of names used to stop Pelican: characters XML 1.0 forbids, in a title, tag or
# author (F10: the feed writer refused them), and tags too long for a file name (F11). The
# shared names site carries them all, uncut; test_hostile_names_never_break_the_build builds
# each kind alone as well.
CONTROL_NAMES = [name for name in HOSTILE_NAMES if XML_INVALID.search(name)]
BUILT_NAMES = list(HOSTILE_NAMES)
LONG_NAMES = [name for name in HOSTILE_NAMES if len(name) > 200]
WINDOWS_RESERVED = {
    "CON",
    "PRN",
    "AUX",
    "NUL",
    *(f"COM{i}" for i in range(1, 10)),
    *(f"LPT{i}" for i in range(1, 10)),
}
CONTENT_NAME = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*\.html$")
PORTABLE_PART = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]*$")  # no leading "-" (F9)
MAX_NAME_BYTES = 255  # ext4, APFS and NTFS all stop here
# Tags that must stay apart: they mean different things.
DISTINCT_TAGS = [("c++", "c"), ("c#", "c"), ("東京", "京都"), ("🎉", "!!!")]
FOLDED_TAGS = [("ünïcode", "unicode")]  # the same word with and without diacritics


def windows_reserved(name: str) -> bool:
    """Windows refuses these names, with any extension, in any case."""
    return name.split(".")[0].upper() in WINDOWS_RESERVED


# -- content file names, alone ------------------------------------------------------------------


@pytest.mark.parametrize(
    "title",
    [pytest.param(name, id=repr(name[:24])) for name in HOSTILE_NAMES],
)
def test_content_file_name_is_safe(tmp_path: Path, title: str) -> None:
    folder = tmp_path / "content" / "digest"
    path = choose_path(folder, make_slug(title), "id0", {})
    assert path.parent == folder
    assert CONTENT_NAME.match(path.name) and len(path.name) <= 90, path.name
    assert not windows_reserved(path.name), path.name


def test_content_file_names_are_the_same_in_every_process() -> None:
    """No hash seed, locale or process state changes a slug."""
    script = (
        "import json, sys\nfrom digest.write import make_slug\n"
        "print(json.dumps([make_slug(n) for n in json.loads(sys.stdin.read())]))"
    )
    here = [make_slug(name) for name in HOSTILE_NAMES]
    for seed in ("0", "12345"):
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT / "plugins"),
            "PYTHONHASHSEED": seed,
            "LC_ALL": "C",
        }
        result = subprocess.run(
            [sys.executable, "-c", script],
            input=json.dumps(HOSTILE_NAMES),
            capture_output=True,
            text=True,
            env=env,
            check=True,
        )
        assert json.loads(result.stdout) == here


# -- a whole site built from hostile names -------------------------------------------------------


def names_feed(base: str, prefix: str, names: list[str], tags: list[list[str]]) -> bytes:
    """A JSON Feed (it can carry any character) with one item per name and its tags."""
    items = [
        {
            "id": f"{prefix}{i}",
            "url": f"{base}/{prefix}/{i}",
            "title": name,
            "content_html": f"<p>{filler(prefix + str(i))}</p>",
            "tags": item_tags,
            "authors": [{"name": name}],
            "date_published": f"2026-11-{(i % 27) + 1:02d}T08:00:00Z",
        }
        for i, (name, item_tags) in enumerate(zip(names, tags, strict=True))
    ]
    document = {"version": "https://jsonfeed.org/version/1.1", "title": "Names", "items": items}
    return json.dumps(document).encode()


@dataclass
class NamesSite:
    root: Path
    report: object
    build: subprocess.CompletedProcess[str]

    def files(self, folder: str) -> list[str]:
        base = self.root / folder
        return sorted(p.relative_to(base).as_posix() for p in base.rglob("*"))


def build_names_site(
    root: Path, server: SourceServer, feeds: tuple[str, ...] = ("names", "tags", "more")
) -> NamesSite:
    """Fetch the hostile names into a copy of the site, then build it with Pelican."""
    copy_site(root)
    base = server.url
    names = {"names": "../../../etc", "tags": "CON", "more": "東京 🎉", "controls": "Controls"}
    sources = [
        {"name": names[feed], "feed": f"{base}/{feed}.json", "fetch_pages": False} for feed in feeds
    ]
    with (root / "pelicanconf.py").open("a", encoding="utf-8") as conf:
        conf.write(
            f"\nDIGEST_SOURCES = {sources!r}\nDIGEST_MIRRORS = {{}}\nDIGEST_OPML = ''\n"
            "DIGEST_HOST_DELAY = 0\nDIGEST_FETCH_INTERVAL = 0\nDIGEST_MAX_ITEMS_PER_SOURCE = 500\n"
        )
    from pelican.settings import read_settings

    report = run(load_settings(read_settings(str(root / "pelicanconf.py"))), force=True)
    return NamesSite(root, report, pelican(root))


@pytest.fixture(scope="module")
def names_sites(tmp_path_factory: pytest.TempPathFactory) -> tuple[NamesSite, NamesSite]:
    """The same hostile names built twice, in two fresh folders."""
    server = SourceServer().start()
    base = server.url
    singles = [[name] for name in BUILT_NAMES]
    server.routes["/names.json"] = Answer(names_feed(base, "n", BUILT_NAMES, singles))
    pairs = [pair for pairs in (DISTINCT_TAGS, FOLDED_TAGS) for pair in pairs]
    titles = [f"Tagged {a} and {b} {n}" for n, (a, b) in enumerate(pairs)]
    tags = [[a] for a, _ in pairs]
    titles += [f"Tagged only {b} {n}" for n, (_, b) in enumerate(pairs)]
    tags += [[b] for _, b in pairs]
    server.routes["/tags.json"] = Answer(names_feed(base, "t", titles, tags))
    server.routes["/more.json"] = Answer(
        names_feed(base, "m", ["Same title"] * 3 + ["same  TITLE!"], [["x"]] * 4)
    )
    parent = tmp_path_factory.mktemp("names")
    try:
        sites = (build_names_site(parent / "one", server), build_names_site(parent / "two", server))
    finally:
        server.stop()
    return sites


def test_the_names_site_builds(names_sites: tuple[NamesSite, NamesSite]) -> None:
    for site in names_sites:
        log = site.build.stdout + site.build.stderr
        assert site.build.returncode == 0 and "Traceback" not in log, log[-4000:]
        assert sum(s.new for s in site.report.sources) >= len(BUILT_NAMES)  # type: ignore[attr-defined]


def test_files_stay_in_their_folders(names_sites: tuple[NamesSite, NamesSite]) -> None:
    site = names_sites[0]
    parent = site.root.parent
    assert sorted(p.name for p in parent.iterdir()) == ["one", "two"]
    assert {p.name for p in (site.root / "content").iterdir()} <= {"pages", "digest", "images"}
    for name in site.files("content/digest"):
        assert CONTENT_NAME.match(name) and len(name) <= 90, name
    for path in (site.root / "output").rglob("*"):
        assert path.resolve().is_relative_to((site.root / "output").resolve()), path


def test_output_names_are_portable_and_capped(names_sites: tuple[NamesSite, NamesSite]) -> None:
    """Every file name Pelican writes: portable characters, at most 255 bytes, not empty."""
    for rel in names_sites[0].files("output"):
        for part in rel.split("/"):
            assert len(part.encode()) <= MAX_NAME_BYTES, rel
            assert PORTABLE_PART.match(part), rel


def test_no_tag_or_source_page_is_nameless(names_sites: tuple[NamesSite, NamesSite]) -> None:
    nameless = [rel for rel in names_sites[0].files("output") if "/." in "/" + rel]
    assert not nameless, nameless


def test_no_name_is_a_device_or_an_option(names_sites: tuple[NamesSite, NamesSite]) -> None:
    """No file a Windows checkout cannot create, none a shell glob turns into an option."""
    site = names_sites[0]
    found = [
        rel
        for folder in ("content/digest", "output")
        for rel in site.files(folder)
        if any(windows_reserved(part) or part.startswith("-") for part in rel.split("/"))
    ]
    assert not found, found


def test_names_are_stable_across_runs(names_sites: tuple[NamesSite, NamesSite]) -> None:
    one, two = names_sites
    assert one.files("content/digest") == two.files("content/digest")
    assert one.files("output") == two.files("output")


def test_same_titles_get_numbered_names(names_sites: tuple[NamesSite, NamesSite]) -> None:
    names = names_sites[0].files("content/digest")
    assert {
        "same-title.html",
        "same-title-2.html",
        "same-title-3.html",
        "same-title-4.html",
    } <= set(names)


def tag_pages(site: NamesSite) -> dict[str, set[str]]:
    """Tag page URL -> the tag names linked to it, from every article page."""
    found: dict[str, set[str]] = {}
    for page in (site.root / "output" / "2026").rglob("*.html"):
        root = etree.HTML(page.read_bytes())
        for link in root.iterfind(".//ul[@class='tags']//a"):
            target = (page.parent / link.get("href")).resolve().relative_to(site.root / "output")
            found.setdefault(target.as_posix(), set()).add("".join(link.itertext()).strip())
    return found


def test_different_tags_never_share_a_page(names_sites: tuple[NamesSite, NamesSite]) -> None:
    pages = tag_pages(names_sites[0])
    for a, b in DISTINCT_TAGS:
        page_a = [url for url, names in pages.items() if a in names]
        page_b = [url for url, names in pages.items() if b in names]
        assert page_a and page_b and page_a != page_b, (a, b, page_a, page_b)


def test_tags_in_other_scripts_stay_apart(names_sites: tuple[NamesSite, NamesSite]) -> None:
    """Transliteration keeps 東京 (dong-jing) and 京都 (jing-du) on pages of their own."""
    pages = tag_pages(names_sites[0])
    tokyo = {url for url, names in pages.items() if "東京" in names}
    kyoto = {url for url, names in pages.items() if "京都" in names}
    assert tokyo and kyoto and not tokyo & kyoto


def test_folded_tags_share_a_page_on_purpose(names_sites: tuple[NamesSite, NamesSite]) -> None:
    """ "Ünïcode" and "unicode" are one tag page (slugs fold diacritics); both names link to it."""
    pages = tag_pages(names_sites[0])
    for a, b in FOLDED_TAGS:
        assert [url for url, names in pages.items() if {a, b} <= names], (a, b, pages)


@pytest.mark.parametrize(
    ("titles", "tags"),
    [
        pytest.param(
            CONTROL_NAMES,
            [[name] for name in CONTROL_NAMES],
            id="control-characters",
        ),
        pytest.param(
            [f"Long tag {n}" for n in range(len(LONG_NAMES))],
            [[name] for name in LONG_NAMES],
            id="long-tags",
        ),
    ],
)
def test_hostile_names_never_break_the_build(
    tmp_path: Path, titles: list[str], tags: list[list[str]]
) -> None:
    """One feed item must not stop the site's build: not with a NUL or another C0 control in
    its title or tags (a JSON Feed can carry any character; Pelican's feed writer refuses them
    in XML), nor with a 1,000-character tag (its page would need a 1,000-byte file name)."""
    server = SourceServer().start()
    server.routes["/controls.json"] = Answer(names_feed(server.url, "c", titles, tags))
    try:
        site = build_names_site(tmp_path / "site", server, feeds=("controls",))
    finally:
        server.stop()
    assert site.report.sources[0].new == len(titles)  # type: ignore[attr-defined]
    log = site.build.stdout + site.build.stderr
    assert site.build.returncode == 0 and "Traceback" not in log, log[-3000:]
