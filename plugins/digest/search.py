"""The site's search index: Pagefind run over output/ at the end of every Pelican build.

Running it from the plugin, not from a task, keeps search working after `pelican -r`,
`invoke livereload` and any build a user starts their own way.

Pagefind holds everything it indexes in memory (about 400 MB for 1,000 news articles, 1.9 GB
for 5,000) and has no incremental mode. So the searchable pages (those marked
data-pagefind-body: articles and pages) are split into shards of about DIGEST_SEARCH_SHARD_SIZE
pages, each its own Pagefind bundle (output/pagefind/, output/pagefind-N/, ...), which the
search page merges (Pagefind UI's mergeIndex; the list is output/pagefind-shards.json). A page's
shard is fixed by a hash of its path, so one new article changes one shard (and its neighbours'
pages, whose links to it changed, theirs); a shard whose pages are all unchanged since the last
build (same paths, sizes and mtimes, recorded in CACHE_PATH) is not indexed again.

Each shard is indexed from a staging folder of hard links to its pages only, so Pagefind does
not read the list pages it would skip anyway.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)

SHARD_SIZE = 400  # pages per shard: Pagefind stays near 160 MB on news-sized articles
MARKER = b"data-pagefind-body"
SHARDS_FILE = "pagefind-shards.json"  # in output/: the bundles the search page merges
STATE_FILE = "digest-search.json"  # in CACHE_PATH: what each shard was built from
STATE_VERSION = 2


def searchable_pages(output_path: Path) -> list[str]:
    """Paths (relative, with /) of the HTML files Pagefind would index: those carrying its
    body marker, as Pagefind itself decides once any page has one."""
    found = []
    for root, dirs, files in os.walk(output_path):
        dirs[:] = sorted(d for d in dirs if not d.startswith("pagefind"))
        for name in files:
            if name.endswith(".html"):
                path = Path(root) / name
                with path.open("rb") as handle:
                    if MARKER in handle.read():
                        found.append(path.relative_to(output_path).as_posix())
    return sorted(found)


def shard_of(page: str, count: int) -> int:
    """A page's shard: stable across builds for as long as the number of shards stays."""
    return int.from_bytes(hashlib.blake2b(page.encode(), digest_size=8).digest(), "big") % count


def bundle_names(shards: list[list[str]]) -> dict[int, str]:
    """The bundle folder of each shard that has pages: the first one's is output/pagefind/,
    where the search page loads Pagefind's UI from, the others' output/pagefind-N/."""
    filled = [shard for shard, pages in enumerate(shards) if pages]
    return {shard: "pagefind" if shard == filled[0] else f"pagefind-{shard}" for shard in filled}


def _stamp(output_path: Path, pages: list[str]) -> str:
    """A digest of a shard's pages: their paths, sizes and modification times."""
    digest = hashlib.sha256()
    for page in pages:
        info = (output_path / page).stat()
        digest.update(f"{page}\0{info.st_size}\0{info.st_mtime_ns}\0".encode())
    return digest.hexdigest()


def _read_state(path: Path | None) -> dict:
    """The last build's shard stamps, {} when there are none."""
    if path is None:
        return {}
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return state if isinstance(state, dict) and state.get("version") == STATE_VERSION else {}


def _write_json(path: Path, data: object) -> None:
    """Write a small JSON file atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(json.dumps(data, indent=1, sort_keys=True), encoding="utf-8")
    os.replace(temporary, path)


def _stage(output_path: Path, pages: list[str]) -> Path:
    """A folder beside output/ holding hard links (copies where links fail) to the pages."""
    stage = Path(tempfile.mkdtemp(prefix=".digest-search-", dir=output_path.parent))
    for page in pages:
        target = stage / page
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(output_path / page, target)
        except OSError:
            shutil.copy2(output_path / page, target)
    return stage


def _run_pagefind(site: Path, bundle: Path, timeout: float) -> str:
    """Index one folder into one bundle; the reason when it failed, else ""."""
    command = [
        sys.executable, "-m", "pagefind", "--quiet", "--site", str(site),
        "--output-path", str(bundle),
    ]  # fmt: skip
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired) as err:
        return str(err)
    if done.returncode != 0:
        return ((done.stderr or done.stdout).strip().splitlines()[-1:] or ["no message"])[0]
    return ""


def _build_bundle(output_path: Path, pages: list[str], bundle: Path, timeout: float) -> bool:
    """Index some pages into a bundle, replacing the old one only once the new one is whole."""
    stage = _stage(output_path, pages)
    fresh = bundle.with_name(f".{bundle.name}.new")
    shutil.rmtree(fresh, ignore_errors=True)
    try:
        reason = _run_pagefind(stage, fresh, timeout)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    if reason:
        shutil.rmtree(fresh, ignore_errors=True)
        log.error("digest: the search index %s was not built: %s", bundle, reason)
        return False
    old = bundle.with_name(f".{bundle.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if bundle.exists():
        os.replace(bundle, old)
    os.replace(fresh, bundle)
    shutil.rmtree(old, ignore_errors=True)
    return True


def index_site(
    output_path: Path,
    timeout: float = 300.0,
    shard_size: int = SHARD_SIZE,
    cache_path: Path | None = None,
) -> bool:
    """Write the search bundles and output/pagefind-shards.json; False (with the reason logged)
    when a shard could not be built. `cache_path` keeps the shard stamps between builds."""
    output_path = Path(output_path)
    pages = searchable_pages(output_path)
    count = max(1, math.ceil(len(pages) / max(1, shard_size)))
    shards: list[list[str]] = [[] for _ in range(count)]
    for page in pages:
        shards[shard_of(page, count)].append(page)
    names = bundle_names(shards) if pages else {0: "pagefind"}
    state_path = cache_path / STATE_FILE if cache_path is not None else None
    last = _read_state(state_path)
    stamps = last.get("bundles", {}) if last.get("count") == count else {}
    current: dict[str, str] = {}
    ok = True
    for shard, name in names.items():
        members = shards[shard]
        bundle = output_path / name
        stamp = _stamp(output_path, members)
        if stamps.get(name) == stamp and (bundle / "pagefind-entry.json").is_file():
            current[name] = stamp
            continue
        if not members:  # a site with nothing to search: Pagefind refuses an empty folder
            continue
        if not _build_bundle(output_path, members, bundle, timeout):
            ok = False
            continue
        current[name] = stamp
    for stale in output_path.glob("pagefind-*"):
        if stale.is_dir() and stale.name not in names.values():
            shutil.rmtree(stale, ignore_errors=True)
    bundles = [f"{name}/" for name in names.values()]
    _write_json(output_path / SHARDS_FILE, {"bundles": bundles})
    if state_path is not None:
        _write_json(state_path, {"version": STATE_VERSION, "count": count, "bundles": current})
    log.info(
        "digest: search index of %s: %d pages in %d bundles, %d rebuilt",
        output_path,
        len(pages),
        len(names),
        sum(1 for name in current if stamps.get(name) != current[name]),
    )
    return ok
