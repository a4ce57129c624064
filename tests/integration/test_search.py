"""search.py: the Pagefind index in shards, rebuilt only where pages changed (runs Pagefind)."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import pytest

from digest import search
from digest.search import bundle_names, index_site, indexed_digest, searchable_pages, shard_of

pytestmark = pytest.mark.skipif(
    __import__("importlib").util.find_spec("pagefind") is None, reason="needs Pagefind"
)


def page(title: str, marked: bool = True) -> str:
    body = "data-pagefind-body" if marked else ""
    return (
        f"<!DOCTYPE html><html lang='en'><head><title>{title}</title></head><body>"
        f"<main {body}><h1>{title}</h1><p>The {title} story, told at length.</p></main>"
        "</body></html>"
    )


def make_output(root: Path, count: int) -> Path:
    """An output/ with `count` marked article pages, a marked page and two unmarked lists."""
    output = root / "output"
    for n in range(count):
        path = output / "2026" / "11" / f"story-{n}.html"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(page(f"harbour{n}"), encoding="utf-8")
    (output / "pages").mkdir(parents=True, exist_ok=True)
    (output / "pages" / "about.html").write_text(page("about"), encoding="utf-8")
    (output / "index.html").write_text(page("home", marked=False), encoding="utf-8")
    (output / "tags.html").write_text(page("tags", marked=False), encoding="utf-8")
    return output


def indexed(output: Path) -> int:
    """Pages in all the bundles pagefind-shards.json lists."""
    shards = json.loads((output / "pagefind-shards.json").read_text(encoding="utf-8"))
    total = 0
    for bundle in shards["bundles"]:
        entry = json.loads((output / bundle / "pagefind-entry.json").read_text(encoding="utf-8"))
        total += sum(language["page_count"] for language in entry["languages"].values())
    return total


def identities(output: Path) -> dict[str, int]:
    """Each bundle folder's inode: a rebuilt bundle is a new folder moved into place."""
    return {p.name: p.stat().st_ino for p in sorted(output.glob("pagefind*")) if p.is_dir()}


def test_only_marked_pages_are_indexed_in_shards(tmp_path: Path) -> None:
    output = make_output(tmp_path, 8)
    assert len(searchable_pages(output)) == 9
    assert index_site(output, shard_size=4, cache_path=tmp_path / "cache")
    shards = json.loads((output / "pagefind-shards.json").read_text(encoding="utf-8"))
    assert len(shards["bundles"]) >= 2 and shards["bundles"][0] == "pagefind/"
    assert indexed(output) == 9  # every marked page once, no list page
    assert (output / "pagefind" / "pagefind-ui.js").is_file()
    assert not list(tmp_path.glob(".digest-search-*"))  # the staging folders are gone


def test_a_small_site_is_one_bundle_where_pagefind_puts_it(tmp_path: Path) -> None:
    output = make_output(tmp_path, 3)
    assert index_site(output, cache_path=tmp_path / "cache")
    assert sorted(p.name for p in output.glob("pagefind*")) == ["pagefind", "pagefind-shards.json"]
    assert indexed(output) == 4


def test_unchanged_shards_are_not_indexed_again(tmp_path: Path) -> None:
    output = make_output(tmp_path, 8)
    cache = tmp_path / "cache"
    index_site(output, shard_size=4, cache_path=cache)
    before = identities(output)
    index_site(output, shard_size=4, cache_path=cache)
    assert identities(output) == before
    changed = "2026/11/story-5.html"
    path = output / changed
    path.write_text(page("harbour5 reopened"), encoding="utf-8")
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    index_site(output, shard_size=4, cache_path=cache)
    after = identities(output)
    rebuilt = {name for name in before if after[name] != before[name]}
    shards: list[list[str]] = [[], [], []]
    for found in searchable_pages(output):
        shards[shard_of(found, 3)].append(found)
    assert rebuilt == {bundle_names(shards)[shard_of(changed, 3)]}
    assert indexed(output) == 9


def test_without_a_cache_every_shard_is_rebuilt(tmp_path: Path) -> None:
    output = make_output(tmp_path, 8)
    index_site(output, shard_size=4)
    before = identities(output)
    index_site(output, shard_size=4)
    assert all(identities(output)[name] != inode for name, inode in before.items())


def test_shards_no_longer_needed_are_removed(tmp_path: Path) -> None:
    output = make_output(tmp_path, 8)
    cache = tmp_path / "cache"
    index_site(output, shard_size=4, cache_path=cache)
    for n in range(3, 8):
        (output / "2026" / "11" / f"story-{n}.html").unlink()
    index_site(output, shard_size=4, cache_path=cache)
    assert sorted(p.name for p in output.glob("pagefind*")) == ["pagefind", "pagefind-shards.json"]
    assert indexed(output) == 4


def test_a_failed_shard_keeps_the_last_good_bundle(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    output = make_output(tmp_path, 3)
    cache = tmp_path / "cache"
    index_site(output, cache_path=cache)
    (output / "2026" / "11" / "story-0.html").write_text(page("changed"), encoding="utf-8")
    monkeypatch.setattr(search, "_run_pagefind", lambda site, bundle, timeout: "disk full")
    assert index_site(output, cache_path=cache) is False
    assert indexed(output) == 4  # the old bundle, whole
    monkeypatch.undo()
    assert index_site(output, cache_path=cache)  # and the next build tries that shard again
    assert not list(output.glob(".pagefind*"))


def test_a_change_outside_the_marked_element_does_not_reindex(tmp_path: Path) -> None:
    """An article whose "newer" link changed (outside what Pagefind reads) keeps its shard."""
    output = make_output(tmp_path, 8)
    cache = tmp_path / "cache"
    index_site(output, shard_size=4, cache_path=cache)
    before = identities(output)
    path = output / "2026" / "11" / "story-2.html"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("</main>", "</main><nav><a href='x'>Newer</a></nav>"), "utf-8")
    index_site(output, shard_size=4, cache_path=cache)
    assert identities(output) == before
    path.write_text(text.replace("told at length", "told again"), encoding="utf-8")
    index_site(output, shard_size=4, cache_path=cache)
    assert identities(output) != before


def test_the_digest_covers_the_marked_element_and_the_language_only() -> None:
    page_text = (
        "<html lang='en'><body><div>before</div><main data-pagefind-body><main>inner</main>"
        "<p>text</p></main><nav>after</nav></body></html>"
    )
    digest = indexed_digest(page_text.encode())
    assert indexed_digest(page_text.replace("after", "later").encode()) == digest
    assert indexed_digest(page_text.replace("before", "earlier").encode()) == digest
    assert indexed_digest(page_text.replace("<p>text", "<p>texts").encode()) != digest
    assert indexed_digest(page_text.replace("lang='en'", "lang='fr'").encode()) != digest


def test_pages_other_than_articles_get_a_shard_of_their_own(tmp_path: Path) -> None:
    """The About page changes with every new source or article; it must not drag an article
    shard back to Pagefind each time."""
    output = make_output(tmp_path, 8)
    articles = {f"2026/11/story-{n}.html" for n in range(8)}
    cache = tmp_path / "cache"
    assert index_site(output, shard_size=4, cache_path=cache, articles=articles)
    shards = json.loads((output / "pagefind-shards.json").read_text(encoding="utf-8"))
    assert shards["bundles"][-1] == "pagefind-2/"  # after the 2 article shards
    entry = json.loads((output / "pagefind-2" / "pagefind-entry.json").read_text("utf-8"))
    assert sum(language["page_count"] for language in entry["languages"].values()) == 1
    before = identities(output)
    about = output / "pages" / "about.html"
    about.write_text(page("about, with one more source"), encoding="utf-8")
    index_site(output, shard_size=4, cache_path=cache, articles=articles)
    after = identities(output)
    assert {name for name in before if after[name] != before[name]} == {"pagefind-2"}


def test_article_shards_start_once_the_last_article_page_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Within a build: the article shards are indexed from the moment the last article page is
    on disk, and the end of the build indexes only what is left (the About page's shard)."""
    output = make_output(tmp_path, 8)
    articles = [f"2026/11/story-{n}.html" for n in range(8)]
    settings = {"DIGEST_SEARCH_SHARD_SIZE": 4, "CACHE_PATH": str(tmp_path / "cache")}
    built: list[str] = []
    build_bundle = search._build_bundle

    def counted(output_path: Path, pages: list[str], bundle: Path, timeout: float) -> bool:
        built.append(bundle.name)
        return build_bundle(output_path, pages, bundle, timeout)

    monkeypatch.setattr(search, "_build_bundle", counted)
    search.note_article_pages(settings, articles)
    assert search.waiting_for_articles(settings)
    for page_path in articles[:-1]:
        search.article_page_written(settings, output, page_path)
    assert search.waiting_for_articles(settings) and built == []
    search.article_page_written(settings, output, "pages/about.html")  # not an article
    assert search.waiting_for_articles(settings)
    search.article_page_written(settings, output, articles[-1])
    assert not search.waiting_for_articles(settings)
    search._BUILDS[id(settings)].indexing.thread.join()  # type: ignore[union-attr]
    assert sorted(built) == ["pagefind", "pagefind-1"]  # the two article shards
    assert search.index_build(settings, output)
    assert sorted(built) == ["pagefind", "pagefind-1", "pagefind-2"]  # then the About page's
    assert indexed(output) == 9
    assert id(settings) not in search._BUILDS


def test_an_article_page_changed_after_the_early_start_is_indexed_at_the_end(
    tmp_path: Path,
) -> None:
    """The end of the build checks the early shards' stamps: a page that changed since (a
    plugin rewriting it) sends its shard to Pagefind again rather than going unsearched."""
    output = make_output(tmp_path, 3)
    articles = [f"2026/11/story-{n}.html" for n in range(3)]
    settings = {"CACHE_PATH": str(tmp_path / "cache")}
    search.note_article_pages(settings, articles)
    for page_path in articles:
        search.article_page_written(settings, output, page_path)
    search._BUILDS[id(settings)].indexing.thread.join()  # type: ignore[union-attr]
    (output / articles[0]).write_text(page("lighthouse"), encoding="utf-8")
    assert search.index_build(settings, output)
    fragments = output / "pagefind" / "fragment"
    texts = [gzip.decompress(f.read_bytes()) for f in fragments.iterdir()]
    assert any(b"lighthouse" in text for text in texts)


def test_search_off_never_starts_early(tmp_path: Path) -> None:
    output = make_output(tmp_path, 2)
    settings = {"DIGEST_SEARCH": False}
    search.note_article_pages(settings, ["2026/11/story-0.html", "2026/11/story-1.html"])
    assert not search.waiting_for_articles(settings)
    search.article_page_written(settings, output, "2026/11/story-0.html")
    search.article_page_written(settings, output, "2026/11/story-1.html")
    assert search._BUILDS[id(settings)].indexing is None
    search._BUILDS.pop(id(settings))


def test_a_page_with_the_same_mtime_and_size_is_not_read_again(tmp_path: Path) -> None:
    """The page stamps kept between builds spare reading every HTML file of output/ again."""
    output = make_output(tmp_path, 3)
    seen: dict[str, list[object]] = {}
    first = searchable_pages(output, None, seen)
    assert set(seen) == set(first) | {"index.html", "tags.html"}  # unmarked files noted too
    path = output / "2026" / "11" / "story-1.html"
    stat = path.stat()
    path.write_text(page("harbourX"), encoding="utf-8")  # same length, new text
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert searchable_pages(output, seen) == first
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1))
    assert searchable_pages(output, seen)["2026/11/story-1.html"] != first["2026/11/story-1.html"]
