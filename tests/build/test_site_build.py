"""A full Pelican build of a copy of the site, demo sources included, checked on output/."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.sitecopy import copy_site

ROOT = Path(__file__).resolve().parents[2]
COPIED = ["pelicanconf.py", "publishconf.py", "plugins", "theme", "demo", "site_rules"]
ATOM = "{http://www.w3.org/2005/Atom}"
SEED_SHAPED_URL = (
    "https://harbour-gazette.example/news/2026/11/25/ministers-discuss-strait-crisis.html"
)


def expected_articles() -> list[dict[str, object]]:
    """Every demo article's expected paragraphs and forbidden appeal sentences."""
    found: list[dict[str, object]] = []
    for path in sorted((ROOT / "demo" / "sites").glob("*/EXPECTED.json")):
        found.extend(json.loads(path.read_text(encoding="utf-8")))
    return found


def plain(markup: str) -> str:
    """Page text as a reader sees it: tags out, entities decoded, typography straightened."""
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", markup, flags=re.S | re.I)
    text = html.unescape(re.sub(r"<[^>]+>", "", text))
    for curly, straight in (("“", '"'), ("”", '"'), ("‘", "'"), ("’", "'"), ("—", "--")):
        text = text.replace(curly, straight)
    text = text.replace("–", "-").replace("…", "...").replace("\u00a0", " ")
    return " ".join(text.split())


def straight(text: str) -> str:
    """The same straightening for an expected sentence."""
    return plain(html.escape(text, quote=False))


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(cwd / "plugins")}
    env.pop("DIGEST_FETCH", None)
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, check=False)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The site copied to a temporary folder and built once, fetch included."""
    root = tmp_path_factory.mktemp("site")
    copy_site(root, COPIED)
    shutil.copytree(ROOT / "content" / "pages", root / "content" / "pages")
    (root / "content" / "digest").mkdir(parents=True)
    result = run([sys.executable, "-m", "pelican", "-s", "pelicanconf.py"], root)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr, result.stdout + result.stderr
    yield root


def article_pages(site: Path) -> list[Path]:
    """The built article pages (year and month archives are index.html files beside them)."""
    return [p for p in (site / "output" / "2026").rglob("*.html") if p.name != "index.html"]


def output_pages(site: Path) -> dict[Path, str]:
    return {p: p.read_text(encoding="utf-8") for p in (site / "output").rglob("*.html")}


def test_demo_is_big_enough() -> None:
    articles = expected_articles()
    assert len(articles) >= 25
    assert len({str(a["url"]).split("/")[2] for a in articles}) >= 3


def test_every_demo_article_has_its_page(site: Path) -> None:
    contents = list((site / "content" / "digest").glob("*.html"))
    assert len(contents) == len(expected_articles())
    originals = [
        re.search(r'href="([^"]+)"[^>]*>\s*Read the original', p.read_text(encoding="utf-8"))
        for p in article_pages(site)
    ]
    linked = {html.unescape(m.group(1)) for m in originals if m}
    missing = [a["url"] for a in expected_articles() if a["url"] not in linked]
    assert not missing


def test_no_appeal_sentence_anywhere_in_output(site: Path) -> None:
    sentences = [straight(str(s)) for a in expected_articles() for s in a["appeal_sentences"]]
    assert len(sentences) >= 25
    found = []
    for path in list((site / "output").rglob("*.html")) + list((site / "output").rglob("*.xml")):
        text = plain(path.read_text(encoding="utf-8"))
        found += [(path.name, s) for s in sentences if s in text]
    assert not found


def article_text_for(site: Path, url: str) -> str:
    for path in article_pages(site):
        markup = path.read_text(encoding="utf-8")
        if html.escape(url) in markup or url in markup:
            return plain(markup)
    raise AssertionError(f"no page for {url}")


def test_seed_shaped_article_keeps_its_nine_paragraphs_in_order(site: Path) -> None:
    seed = next(a for a in expected_articles() if a["url"] == SEED_SHAPED_URL)
    paragraphs = [straight(str(p)) for p in seed["paragraphs"]]
    assert len(paragraphs) == 9
    text = article_text_for(site, SEED_SHAPED_URL)
    positions = [text.find(p) for p in paragraphs]
    assert -1 not in positions, [p for p, at in zip(paragraphs, positions, strict=True) if at < 0]
    assert positions == sorted(positions)


def test_every_demo_paragraph_survives_in_order(site: Path) -> None:
    lost = []
    for article in expected_articles():
        text = article_text_for(site, str(article["url"]))
        positions = [text.find(straight(str(p))) for p in article["paragraphs"]]
        if -1 in positions or positions != sorted(positions):
            lost.append(article["url"])
    assert not lost


def test_tag_pages_and_feeds_match_the_content_files(site: Path) -> None:
    counts: Counter[str] = Counter()
    for path in (site / "content" / "digest").glob("*.html"):
        match = re.search(r'<meta name="tags" content="([^"]*)">', path.read_text(encoding="utf-8"))
        if match:
            counts.update(t.strip() for t in html.unescape(match.group(1)).split(","))
    assert len(counts) >= 5
    from slugify import slugify

    for tag, count in counts.items():
        slug = slugify(tag)
        assert (site / "output" / "tag" / f"{slug}.html").exists(), tag
        feed = ET.parse(site / "output" / "feeds" / "tag" / f"{slug}.atom.xml").getroot()
        assert len(feed.findall(f"{ATOM}entry")) == min(count, 50), tag
    tags_index = (site / "output" / "tags.html").read_text(encoding="utf-8")
    assert "news" in tags_index
    everything = ET.parse(site / "output" / "feeds" / "all.atom.xml").getroot()
    assert len(everything.findall(f"{ATOM}entry")) == min(len(expected_articles()), 50)


def test_typogrify_markup_is_present(site: Path) -> None:
    pages = output_pages(site)
    assert any('class="caps"' in text for text in pages.values())
    assert any("&#8220;" in text or "“" in text for text in pages.values())


def test_second_fetch_with_nothing_new_rewrites_no_content_file(site: Path) -> None:
    files = sorted((site / "content" / "digest").glob("*.html"))
    for path in files:
        os.utime(path, (1_000_000, 1_000_000))
    before = {p.name: p.read_bytes() for p in files}
    result = run([sys.executable, "-m", "digest", "fetch"], site)
    assert result.returncode == 0, result.stdout + result.stderr
    after = sorted((site / "content" / "digest").glob("*.html"))
    assert {p.name: p.read_bytes() for p in after} == before
    assert all(p.stat().st_mtime == 1_000_000 for p in after)


def test_digest_fetch_off_builds_from_content_only(tmp_path: Path) -> None:
    copy_site(tmp_path, ["pelicanconf.py", "plugins", "theme", "demo"])
    (tmp_path / "content" / "digest").mkdir(parents=True)
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "plugins"), "DIGEST_FETCH": "0"}
    result = subprocess.run(
        [sys.executable, "-m", "pelican", "-v", "-s", "pelicanconf.py"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "DIGEST_FETCH is off" in result.stdout + result.stderr
    assert list((tmp_path / "content" / "digest").iterdir()) == []
    assert not (tmp_path / ".digest-cache").exists()


TASKS = "fetch build rebuild regenerate serve reserve preview livereload publish gh_pages clean"


def test_tasks_pelican_users_know_are_all_there() -> None:
    sys.path.insert(0, str(ROOT))
    import tasks

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in [*TASKS.split(), "import_opml", "export_opml"]:
        assert name in tasks.__dict__, name
        assert f"`invoke {name.replace('_', '-')}" in readme, name
