"""Where Digest reads from: the network for what feeds link to, the disk only for what the
site's own settings name (file:// feeds and DIGEST_MIRRORS), never a file a feed points at."""

from __future__ import annotations

from pathlib import Path

import pytest

from digest.pipeline import run
from digest.settings import load_settings

from .hostile import PNG_1X1, Answer, SourceServer, filler, rss

CANARY = "CANARY-7f3c1a"


def secret_files(folder: Path) -> tuple[Path, Path]:
    """A page and an image outside every folder Digest may read, each with a recognisable mark."""
    folder.mkdir(parents=True, exist_ok=True)
    page = folder / "secret.html"
    page.write_text(
        f"<html><body><article><p>{CANARY} {filler('secret')}</p></article></body></html>",
        encoding="utf-8",
    )
    image = folder / "secret.png"
    image.write_bytes(PNG_1X1 + CANARY.encode())
    return page, image


def leaked(site: Path) -> list[str]:
    """Files under content/ that carry the canary."""
    return [
        str(path.relative_to(site))
        for path in (site / "content").rglob("*")
        if path.is_file() and CANARY.encode() in path.read_bytes()
    ]


def settings_for(site: Path, sources: list[dict[str, object]], **extra: object) -> object:
    values: dict[str, object] = {
        "PATH": str(site / "content"),
        "DIGEST_SOURCES": sources,
        "DIGEST_HOST_DELAY": 0,
        "DIGEST_FETCH_INTERVAL": 0,
        "DIGEST_RETRIES": 0,
    }
    values.update(extra)
    return load_settings(values, root=site)


@pytest.mark.parametrize(
    "robots",
    [
        pytest.param(True, id="robots-on"),
        pytest.param(False, id="robots-off"),
    ],
)
def test_item_links_never_read_local_files(tmp_path: Path, robots: bool) -> None:
    """A feed's file: links (and file: images) are never opened, whatever the robots setting.

    With robots.txt honoured, the robots check happens to refuse them first; a source with
    "robots": False (or DIGEST_ROBOTS = False) must refuse them too.
    """
    page, image = secret_files(tmp_path / "private")
    server = SourceServer().start()
    base = server.url
    links = [f"file:{page}", f"file://localhost{page}", f"FILE://localhost{page}"]
    items = [
        f"<item><title>Local {n}</title><link>{link}</link><guid>l{n}</guid><description>"
        f'&lt;p&gt;{filler(str(n))}&lt;img src="file://localhost{image}"&gt;&lt;/p&gt;'
        "</description></item>"
        for n, link in enumerate(links)
    ]
    server.routes["/feed"] = Answer(rss("Local", base + "/", items), "application/rss+xml")
    try:
        site = tmp_path / "site"
        run(settings_for(site, [{"name": "Local", "feed": f"{base}/feed", "robots": robots}]))
    finally:
        server.stop()
    assert not leaked(site)


def test_redirects_never_reach_local_files(tmp_path: Path) -> None:
    """A page or an image that redirects to file:// is a failed fetch, not a read: with the
    default settings, robots.txt honoured."""
    page, image = secret_files(tmp_path / "private")
    server = SourceServer().start()
    base = server.url
    items = [
        f"<item><title>Moved</title><link>{base}/moved</link><description>&lt;p&gt;"
        f"{filler('moved')}&lt;/p&gt;</description></item>",
        f"<item><title>Pictured</title><link>{base}/pictured</link></item>",
    ]
    server.routes["/feed"] = Answer(rss("Redirects", base + "/", items), "application/rss+xml")
    server.routes["/moved"] = Answer(b"", status=302, headers={"Location": f"file://{page}"})
    server.routes["/pictured"] = Answer(
        f'<html><body><article><p>{filler("pictured")}</p><img src="/moved.png" alt="">'
        "</article></body></html>".encode()
    )
    server.routes["/moved.png"] = Answer(b"", status=302, headers={"Location": f"file://{image}"})
    try:
        site = tmp_path / "site"
        report = run(settings_for(site, [{"name": "Redirects", "feed": f"{base}/feed"}]))
    finally:
        server.stop()
    assert report.sources[0].new == 2, report.summary_lines()  # type: ignore[attr-defined]
    assert not leaked(site)


def test_mirrored_links_never_climb_out_of_the_mirror(tmp_path: Path) -> None:
    """Under a DIGEST_MIRRORS prefix, ../ and its encodings cannot reach beside the folder."""
    secret_files(tmp_path)
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    prefix = "https://mirror.example/"
    tricks = [
        "../secret.html",
        "%2e%2e/secret.html",
        "..%2fsecret.html",
        "%2e%2e%2fsecret.html",
        "a/../../secret.html",
        "..%5csecret.html",
        "%252e%252e/secret.html",
    ]
    items = "".join(
        f"<item><title>Trick {n}</title><link>{prefix}{trick}</link><guid>t{n}</guid>"
        f"<description>&lt;p&gt;{filler('t' + str(n))}&lt;/p&gt;</description></item>"
        for n, trick in enumerate(tricks)
    )
    (mirror / "feed.xml").write_bytes(rss("Mirror", prefix, [items]))
    site = tmp_path / "site"
    settings = settings_for(
        site,
        [{"name": "Mirror", "feed": f"{prefix}feed.xml"}],
        DIGEST_MIRRORS={prefix: str(mirror)},
    )
    report = run(settings)  # type: ignore[arg-type]
    source = report.sources[0]
    assert source.new + source.duplicates == len(tricks), report.summary_lines()  # feed text
    assert not leaked(site)
