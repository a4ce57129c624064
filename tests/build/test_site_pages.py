"""The demo site built by its own tasks, checked for what the theme promises a reader and a robot.

`invoke build --no-fetch` (the development build, relative URLs) and `invoke preview` (the
public build under a sub-path) run on a copy of the site; the pages, sitemap.xml, the 404 page
and the Pagefind index they write are read back from output/.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.sitecopy import copy_site

ROOT = Path(__file__).resolve().parents[2]
COPIED = [
    "pelicanconf.py",
    "publishconf.py",
    "tasks.py",
    "sources.opml",
    "plugins",
    "theme",
    "demo",
    "site_rules",
    "content",
]
ARTICLE = "2026/11/kestrian-and-valmoran-foreign-ministers-discuss-serrat-strait-crisis.html"
PUBLIC = "https://reader.example/digest"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def fresh_site(root: Path) -> Path:
    root.mkdir(parents=True)
    copy_site(root, COPIED)
    return root


def invoke(root: Path, *args: str, **env: str) -> None:
    """Run a task of the copied site's tasks.py, offline."""
    environment = {**os.environ, "DIGEST_FETCH": "0", **env}
    environment.pop("PYTHONPATH", None)
    result = subprocess.run(
        [sys.executable, "-m", "invoke", *args],
        cwd=root,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    log = result.stdout + result.stderr
    assert result.returncode == 0, log
    assert "Traceback" not in log, log


@pytest.fixture(scope="module")
def dev(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """output/ of `invoke build --no-fetch`."""
    root = fresh_site(tmp_path_factory.mktemp("dev") / "site")
    invoke(root, "build", "--no-fetch")
    return root / "output"


@pytest.fixture(scope="module")
def public(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """output/ of `SITEURL=https://reader.example/digest invoke preview`."""
    root = fresh_site(tmp_path_factory.mktemp("public") / "site")
    invoke(root, "preview", SITEURL=PUBLIC)
    return root / "output"


def read(output: Path, path: str) -> str:
    return (output / path).read_text(encoding="utf-8").replace("&nbsp;", " ")


def meta(html: str, key: str) -> list[str]:
    return re.findall(rf'<meta (?:property|name)="{re.escape(key)}" content="([^"]*)"', html)


def article_pages(output: Path) -> list[str]:
    return sorted(
        str(p.relative_to(output))
        for p in (output / "2026").rglob("*.html")
        if p.name != "index.html"
    )


def test_build_writes_the_search_index(dev: Path) -> None:
    bundles = json.loads((dev / "pagefind-shards.json").read_text(encoding="utf-8"))["bundles"]
    assert bundles == ["pagefind/", "pagefind-1/"]  # the articles, and the About page apart
    indexed = 0
    for bundle in bundles:
        entry = json.loads((dev / bundle / "pagefind-entry.json").read_text(encoding="utf-8"))
        indexed += sum(language["page_count"] for language in entry["languages"].values())
    assert indexed == len(article_pages(dev)) + 1  # every article and the About page
    for name in ("pagefind-ui.js", "pagefind-ui.css", "pagefind.js"):
        assert (dev / "pagefind" / name).is_file(), name
    assert (dev / "search.html").is_file()


def test_home_is_the_latest_editions_by_source(dev: Path) -> None:
    html = read(dev, "index.html")
    days = re.findall(r'<h2 class="edition__heading"[^>]*>\s*<time datetime="([^"]+)"', html)
    assert days == sorted(days, reverse=True) and len(days) == len(set(days)) >= 3
    assert 'href="./source/harbour-gazette.html"' in html
    assert re.search(r'<span class="reading-time">\d+ min read</span>', html)


def test_strait_article_page(dev: Path) -> None:
    html = read(dev, ARTICLE)
    assert "Read the original at Harbour Gazette" in html
    assert re.search(r'<span class="reading-time">\d+ min read</span>', html)
    assert '<span class="updated">Updated' in html
    assert meta(html, "og:type") == ["article"]
    image = meta(html, "og:image")
    assert len(image) == 1 and re.fullmatch(r"https?://[^/]+/images/digest/\w+\.png", image[0])
    assert meta(html, "twitter:card") == ["summary_large_image"]
    assert (
        '<link rel="canonical" href="https://harbour-gazette.example/news/2026/11/25/'
        'ministers-discuss-strait-crisis.html">'
    ) in html


def test_about_page_lists_every_source(dev: Path) -> None:
    html = read(dev, "pages/about.html")
    part = html[html.index('class="about-sources"') :]
    for name, site in (
        ("Fieldnotes", "fieldnotes.example"),
        ("Harbour Gazette", "harbour-gazette.example"),
        ("Open Science Wire", "science-wire.example"),
    ):
        assert f">{name}</a>" in part
        assert f'rel="external">{site}</a>' in part


def test_favicon(dev: Path) -> None:
    svg = ET.parse(dev / "theme" / "favicon.svg").getroot()
    assert svg.tag == "{http://www.w3.org/2000/svg}svg" and svg.get("viewBox") == "0 0 32 32"
    assert '<link rel="icon" href="./theme/favicon.svg" type="image/svg+xml">' in read(
        dev, "index.html"
    )


def test_not_found_page(dev: Path, public: Path) -> None:
    html = read(dev, "404.html")
    assert '<link rel="stylesheet" href="/theme/css/digest.css">' in html
    published = read(public, "404.html")
    assert f'<link rel="stylesheet" href="{PUBLIC}/theme/css/digest.css">' in published
    assert f'<a href="{PUBLIC}/tags.html">All tags</a>' in published


def test_sitemap_lists_the_public_pages(public: Path) -> None:
    tree = ET.parse(public / "sitemap.xml")
    locations = [loc.text or "" for loc in tree.getroot().iter(f"{SITEMAP}loc")]
    assert f"{PUBLIC}/" in locations
    assert f"{PUBLIC}/{ARTICLE}" in locations
    for path in article_pages(public):
        assert f"{PUBLIC}/{path}" in locations, path
    for path in ("pages/about.html", "tags.html", "categories.html", "tag/news.html"):
        assert f"{PUBLIC}/{path}" in locations, path
    assert f"{PUBLIC}/404.html" not in locations
    assert f"{PUBLIC}/search.html" not in locations
    assert all(location.startswith(f"{PUBLIC}/") for location in locations)


def test_public_pages_have_absolute_opengraph_urls(public: Path) -> None:
    html = read(public, ARTICLE)
    assert meta(html, "og:url") == [f"{PUBLIC}/{ARTICLE}"]
    assert meta(html, "og:image")[0].startswith(f"{PUBLIC}/images/digest/")
    home = read(public, "index.html")
    assert meta(home, "og:url") == [f"{PUBLIC}/"]
    assert f'<link rel="canonical" href="{PUBLIC}/">' in home
    assert (public / "pagefind" / "pagefind-entry.json").is_file()


def test_theme_setting_and_screenshots_are_documented() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "`DIGEST_EDITION`" in readme
    assert "scripts/install-browser" in readme
    shown = re.findall(r"\]\((docs/screenshots/[\w.-]+\.png)\)", readme)
    assert shown, "README shows no screenshot of the site"
    for path in shown:
        assert (ROOT / path).is_file(), path
