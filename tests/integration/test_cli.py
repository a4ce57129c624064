"""The command line, run in-process against a site folder and a loopback server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from digest.__main__ import main
from digest.console import summary_table
from digest.pipeline import RunReport, SourceReport

from .conftest import LoopbackServer, Route

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def make_site(tmp_path: Path, sources: list[dict[str, object]], opml: str = "") -> Path:
    (tmp_path / "content").mkdir(parents=True)
    conf = tmp_path / "pelicanconf.py"
    lines = [
        'PATH = "content"',
        'SITENAME = "Test Digest"',
        f"DIGEST_SOURCES = {sources!r}",
        "DIGEST_HOST_DELAY = 0",
        "DIGEST_RETRY_BACKOFF = 0",
    ]
    if opml:
        lines.append(f"DIGEST_OPML = {opml!r}")
    conf.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return conf


def feed(server: LoopbackServer) -> bytes:
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
        f"<link>{server.url}/</link><description>d</description><item><title>Quay lamps lit</title>"
        f"<link>{server.url}/lamps</link><description>The lamps are lit again along the quay "
        "for the first time since the storm.</description></item></channel></rss>"
    ).encode()


def test_fetch_prints_a_summary_and_exits_zero(tmp_path, server, capsys) -> None:
    server.routes["/feed"] = Route(feed(server))
    server.routes["/lamps"] = Route(b"<html><body><article><p>" + b"Lamps lit. " * 30 + b"</p>")
    conf = make_site(tmp_path, [{"name": "Quay", "feed": f"{server.url}/feed"}])
    assert main(["fetch", "--settings", str(conf), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "Quay" in out and "new" in out
    assert (tmp_path / "content" / "digest" / "quay-lamps-lit.html").exists()


def test_fetch_exit_status_all_failed_and_strict(tmp_path, server: LoopbackServer) -> None:
    server.routes["/feed"] = Route(feed(server))
    server.routes["/lamps"] = Route(b"<html><body><article><p>" + b"Lamps lit. " * 30 + b"</p>")
    conf = make_site(
        tmp_path,
        [
            {"name": "Quay", "feed": f"{server.url}/feed"},
            {"name": "Broken", "feed": f"{server.url}/missing"},
        ],
    )
    assert main(["fetch", "--settings", str(conf), "--quiet"]) == 0  # one source still worked
    assert main(["fetch", "--settings", str(conf), "--quiet", "--strict"]) == 1
    only_broken = make_site(tmp_path / "b", [{"name": "Broken", "feed": f"{server.url}/x"}])
    assert main(["fetch", "--settings", str(only_broken), "--quiet"]) == 1


def test_bad_settings_are_one_clear_line(tmp_path, capsys) -> None:
    conf = make_site(tmp_path, [{"name": "No feed"}])
    assert main(["fetch", "--settings", str(conf)]) == 2
    assert "DIGEST_SOURCES[0] needs both 'name' and 'feed'" in capsys.readouterr().err


def test_extract_explains_what_it_removed(capsys) -> None:
    page = FIXTURES / "pages" / "en_top_banner.html"
    expected = json.loads(page.with_suffix(".json").read_text(encoding="utf-8"))
    assert (
        main(["extract", str(page), "--url", "https://news.example/a", "--text", "--explain"]) == 0
    )
    out = capsys.readouterr().out
    body, removed = out.split("\n# removed\n")
    keep = expected.get("keep") or expected.get("paragraphs") or []
    assert keep and all(" ".join(p.split())[:60] in " ".join(body.split()) for p in keep)
    assert removed.strip().startswith("- [")


def test_extract_applies_the_site_rules_folder(tmp_path, capsys) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    source = FIXTURES / "siterules" / "news.example.txt"
    (rules / "news.example.txt").write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    page = str(FIXTURES / "siterules" / "news.example.html")
    url = "https://news.example/2025/03/harbour-dredging"
    args = ["extract", page, "--url", url, "--text", "--explain"]
    assert main([*args, "--site-rules", str(rules)]) == 0
    with_rules = capsys.readouterr().out
    assert main([*args, "--site-rules", str(tmp_path / "none")]) == 0
    without = capsys.readouterr().out
    # The site's title line names the headline; its author lines give both names.
    assert with_rules.startswith("# Harbour board approves the dredging contract")
    assert "[site:news.example:strip_id_or_class:share-row] Share this story" in with_rules
    assert "[site:" not in without
    assert with_rules != without


def test_import_and_export_opml(tmp_path, capsys) -> None:
    incoming = tmp_path / "reader.opml"
    incoming.write_text(
        '<?xml version="1.0"?><opml version="2.0"><head/><body><outline text="Science">'
        '<outline text="Tide Lab" type="rss" xmlUrl="https://tide.example/feed"/></outline>'
        '<outline text="Quay" type="rss" xmlUrl="https://quay.example/rss"/></body></opml>',
        encoding="utf-8",
    )
    conf = make_site(tmp_path, [{"name": "Quay", "feed": "https://quay.example/rss"}], "subs.opml")
    assert main(["import-opml", str(incoming), "--settings", str(conf)]) == 0
    assert "2 new sources" in capsys.readouterr().out
    assert main(["import-opml", str(incoming), "--settings", str(conf)]) == 0
    assert "0 new sources" in capsys.readouterr().out
    assert main(["export-opml", "--settings", str(conf)]) == 0
    exported = capsys.readouterr().out
    assert exported.count("xmlUrl=") == 2  # the Quay feed is listed once
    assert 'category="Science"' in exported


def test_summary_table_shows_counts_and_reasons() -> None:
    report = RunReport(
        [
            SourceReport("Quay", "u1", new=2, unchanged=5),
            SourceReport("Broken", "u2", feed_failed=True, errors=["HTTP 404 for u2"]),
            SourceReport("Old", "u3", skipped="gone since 2026-11-01 (HTTP 410)", gone=True),
        ]
    )
    from rich.console import Console

    console = Console(record=True, width=140)
    console.print(summary_table(report))
    text = console.export_text()
    assert "HTTP 404 for u2" in text and "gone since" in text
    assert [line.split("│")[2].strip() for line in text.splitlines() if "Quay" in line] == ["2"]


@pytest.mark.parametrize("command", [["fetch", "--help"], ["extract", "--help"]])
def test_help_works(command: list[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(command)
    assert caught.value.code == 0
