"""An incremental build (cache/ and output/ kept, one new article) writes exactly what a full
build from scratch writes, file by file, while leaving unchanged article pages alone."""

from __future__ import annotations

import difflib
import filecmp
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from tests.sitecopy import copy_site

ROOT = Path(__file__).resolve().parents[2]
LATER = "2030-01-02T08:00:00+00:00"
COPIED = ["pelicanconf.py", "plugins", "theme", "demo", "site_rules", "content"]


def build(site: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(site / "plugins"), "DIGEST_FETCH": "0"}
    done = subprocess.run(
        [sys.executable, "-m", "pelican", "-s", "pelicanconf.py", *extra],
        cwd=site,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def tree(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def add_article(site: Path) -> None:
    """A new article: a copy of the newest one under a new id, slug, title and a later date."""
    files = sorted((site / "content" / "digest").glob("*.html"))
    text = files[0].read_text(encoding="utf-8")
    text = re.sub(r'(<meta name="digest_id" content=")[^"]*', r"\g<1>0123456789abcdefffff", text)
    text = re.sub(r'(<meta name="slug" content=")[^"]*', r"\g<1>one-more-story", text)
    text = re.sub(r"<title>[^<]*", "<title>One more story", text)
    text = re.sub(r'(<meta name="date" content=")[^"]*', r"\g<1>2030-01-02T08:00:00+00:00", text)
    text = re.sub(
        r'(<meta name="modified" content=")[^"]*', r"\g<1>2030-01-02T08:00:00+00:00", text
    )
    (site / "content" / "digest" / "one-more-story.html").write_text(text, encoding="utf-8")


def test_incremental_build_equals_full_build(tmp_path: Path) -> None:
    incremental, full = tmp_path / "incremental", tmp_path / "full"
    incremental.mkdir()
    copy_site(incremental, COPIED)
    with (incremental / "pelicanconf.py").open("a", encoding="utf-8") as conf:
        conf.write("\nDIGEST_SEARCH = False\nPLUGINS = ['digest']\n")  # no Pagefind, no sitemap
    assert list((incremental / "content" / "digest").glob("*.html")), "no demo articles"
    first = build(incremental, "--verbose")
    assert "contentcacheisnotloaded" in "".join((first.stdout + first.stderr).split())
    add_article(incremental)
    shutil.copytree(incremental, full, ignore=shutil.ignore_patterns("output", "cache"))
    done = build(incremental, "--verbose")
    build(full)

    assert tree(incremental / "output") == tree(full / "output")
    _, mismatch, errors = filecmp.cmpfiles(
        incremental / "output", full / "output", tree(full / "output"), shallow=False
    )
    if mismatch:  # show the first difference
        a = (incremental / "output" / mismatch[0]).read_text().splitlines()
        b = (full / "output" / mismatch[0]).read_text().splitlines()
        sys.stderr.write("\n".join(list(difflib.unified_diff(a, b, lineterm=""))[:40]))
    assert (mismatch, errors) == ([], [])
    # ... and the incremental build did skip something: unchanged pages were not rendered again.
    log = " ".join((done.stdout + done.stderr).split())
    skipped = re.search(r"(\d+) article pages rendered, (\d+)", log)
    assert skipped and int(skipped.group(2)) > 0, log[-2000:]
    # ... and list pages the new article is not on (other sources' and tags') were not either.
    lists = re.search(r"(\d+) unchanged list pages not rendered again", log)
    assert lists and int(lists.group(1)) > 10, log[-2000:]
    # ... and Pelican's content cache was loaded: the settings are those of the last build.
    assert "contentcacheisnotloaded" not in "".join(log.split())
    manifest = json.loads((incremental / "cache" / "digest-pages.json").read_text())
    assert any(name.startswith("feed:") for name in manifest["pages"])
    assert any(name.startswith("list:") for name in manifest["pages"])

    # An older article edited in place (its title): every list showing it changes with it.
    edited = sorted((incremental / "content" / "digest").glob("*.html"))[5]
    text = edited.read_text(encoding="utf-8")
    edited.write_text(re.sub(r"<title>[^<]*", "<title>An edited title", text), encoding="utf-8")
    shutil.rmtree(full)
    shutil.copytree(incremental, full, ignore=shutil.ignore_patterns("output", "cache"))
    build(incremental)
    build(full)
    _, mismatch, errors = filecmp.cmpfiles(
        incremental / "output", full / "output", tree(full / "output"), shallow=False
    )
    assert (mismatch, errors) == ([], [])
    listed = [
        p for p in (incremental / "output" / "tag").glob("*.html") if "An edited" in p.read_text()
    ]
    assert listed  # the edit reached the tag pages (typogrify joins its last two words)


def test_compiled_templates_are_kept_and_a_theme_edit_is_seen(tmp_path: Path) -> None:
    """Jinja's compiled templates live in cache/jinja between builds; an edited template is
    compiled again, not served from there."""
    site = tmp_path / "site"
    site.mkdir()
    copy_site(site, COPIED)
    with (site / "pelicanconf.py").open("a", encoding="utf-8") as conf:
        conf.write("\nDIGEST_SEARCH = False\nPLUGINS = ['digest']\n")
    build(site)
    assert list((site / "cache" / "jinja").glob("*.cache"))
    base = site / "theme" / "templates" / "base.html"
    base.write_text(
        base.read_text(encoding="utf-8").replace("</body>", "<!-- edited theme --></body>"),
        encoding="utf-8",
    )
    build(site)
    assert "<!-- edited theme -->" in (site / "output" / "index.html").read_text(encoding="utf-8")
