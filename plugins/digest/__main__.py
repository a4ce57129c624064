"""Command line: `python -m digest fetch | extract | export-opml` (with plugins/ on sys.path)."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from .errors import ConfigError, DigestError

log = logging.getLogger("digest")


def load_site_settings(settings_file: str) -> dict[str, object]:
    """Pelican's settings from a pelicanconf.py, defaults filled in, as a build would see them."""
    from pelican.settings import read_settings

    return read_settings(str(Path(settings_file).resolve()))


def cmd_fetch(args: argparse.Namespace) -> int:
    """Fetch every source now; non-zero only when every source failed, or any with --strict."""
    from .console import RichProgress, interactive, print_summary
    from .pipeline import run
    from .settings import load_settings

    settings = load_settings(load_site_settings(args.settings))
    force = not args.respect_interval
    if interactive() and not args.quiet:
        with RichProgress() as progress:
            report = run(settings, force=force, progress=progress, wait=args.wait)
    else:
        report = run(settings, force=force, wait=args.wait)
    print_summary(report)
    failed = [s for s in report.sources if s.errors]
    if report.all_failed or (args.strict and failed):
        return 1
    return 0


def cmd_extract(args: argparse.Namespace) -> int:
    """Print the cleaned article of a saved page or a URL, to see what the digest would keep."""
    from .extract import extract_article
    from .fetch import fetch_url, make_client
    from .settings import default_user_agent
    from .siterules import load_site_rules

    target: str = args.page
    if Path(target).is_file():
        data = Path(target).read_bytes()
        url = args.url or Path(target).resolve().as_uri()
    else:
        local = frozenset([target]) if target.startswith("file:") else frozenset()
        with make_client(default_user_agent(""), local_files=local) as client:
            response = fetch_url(client, target)
        data, url = response.content, args.url or response.url
    rules_dir = Path(args.site_rules)
    site_rules = load_site_rules(rules_dir) if rules_dir.is_dir() else None
    article = extract_article(data, url, site_rules=site_rules)
    print(f"# {article.title}")
    print(article.text if args.text else article.html)
    if args.explain:
        print("\n# removed")
        for removal in article.removed:
            print(f"- [{removal.rule}] {removal.text[:160]}")
    return 0


def cmd_export_opml(args: argparse.Namespace) -> int:
    """Print the configured sources as OPML."""
    from .opml import export_opml
    from .pipeline import all_sources
    from .settings import load_settings

    site = load_site_settings(args.settings)
    print(
        export_opml(all_sources(load_settings(site)), str(site.get("SITENAME") or "Digest")), end=""
    )
    return 0


def cmd_import_opml(args: argparse.Namespace) -> int:
    """Merge a feed reader's OPML export into the site's OPML file (DIGEST_OPML)."""
    from .opml import export_opml, read_opml
    from .settings import load_settings
    from .write import write_atomic

    site = load_site_settings(args.settings)
    settings = load_settings(site)
    target = settings.opml_path
    if target is None:
        raise ConfigError("DIGEST_OPML is not set: set it to the OPML file to import into")
    known = read_opml(target) if target.exists() else []
    incoming = read_opml(Path(args.file))
    feeds = {source.feed_url for source in known}
    added = [source for source in incoming if source.feed_url not in feeds]
    title = str(site.get("SITENAME") or "Digest")
    write_atomic(target, export_opml([*known, *added], title))
    print(f"{len(added)} new sources from {args.file} added to {target} ({len(known)} were there)")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The CLI's commands and options."""
    parser = argparse.ArgumentParser(prog="python -m digest", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="log every step")
    commands = parser.add_subparsers(dest="command", required=True)

    fetch = commands.add_parser("fetch", help="fetch the configured sources into content/")
    fetch.add_argument("--settings", default="pelicanconf.py", help="the Pelican settings file")
    fetch.add_argument("--strict", action="store_true", help="exit 1 when any source failed")
    fetch.add_argument("--quiet", action="store_true", help="no progress display")
    fetch.add_argument(
        "--wait",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="when another fetch is running, wait this long for it instead of stopping",
    )
    fetch.add_argument(
        "--respect-interval",
        action="store_true",
        help="skip sources checked less than DIGEST_FETCH_INTERVAL seconds ago",
    )
    fetch.set_defaults(func=cmd_fetch)

    extract = commands.add_parser("extract", help="print the cleaned article of a page")
    extract.add_argument("page", help="a saved HTML file or a URL")
    extract.add_argument("--url", help="the page's address, for relative links")
    extract.add_argument("--text", action="store_true", help="plain text instead of HTML")
    extract.add_argument("--explain", action="store_true", help="list what was removed and why")
    extract.add_argument(
        "--site-rules",
        default="site_rules",
        help="folder of per-site rules (FiveFilters format); default ./site_rules",
    )
    extract.set_defaults(func=cmd_extract)

    export = commands.add_parser("export-opml", help="print the sources as OPML")
    export.add_argument("--settings", default="pelicanconf.py", help="the Pelican settings file")
    export.set_defaults(func=cmd_export_opml)
    importer = commands.add_parser("import-opml", help="add the feeds of an OPML file")
    importer.add_argument("file", help="an OPML file exported from a feed reader")
    importer.add_argument("--settings", default="pelicanconf.py", help="the Pelican settings file")
    importer.set_defaults(func=cmd_import_opml)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; a DigestError becomes a one-line message and exit status 2."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        return int(args.func(args))
    except DigestError as err:
        print(f"digest: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
