"""Invoke tasks, named as Pelican's quickstart names them, plus `fetch`.

`invoke --list` shows them; README explains each.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from pathlib import Path

from invoke import Context, task

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT / "plugins"))

CONFIG = {
    "settings_base": "pelicanconf.py",
    "settings_publish": "publishconf.py",
    "deploy_path": "output",
    "host": "localhost",
    "port": 8000,
    "github_pages_branch": "gh-pages",
    "commit_message": "Publish the digest",
    "cname": os.environ.get("CNAME", ""),  # a custom domain for `invoke gh-pages`
}
PY = shlex.quote(sys.executable)


def _env(fetch: bool | None = None) -> dict[str, str]:
    """The environment for child commands: the plugin importable, fetching on or off."""
    env = {
        "PYTHONPATH": os.pathsep.join(
            filter(None, [str(ROOT / "plugins"), os.environ.get("PYTHONPATH")])
        )
    }
    if fetch is not None:
        env["DIGEST_FETCH"] = "1" if fetch else "0"
    return env


def _pelican(c: Context, args: str, fetch: bool | None = None, **kwargs: object) -> None:
    """Run Pelican with this interpreter, from the site root."""
    with c.cd(str(ROOT)):
        c.run(f"{PY} -m pelican {args}", env=_env(fetch), pty=False, **kwargs)


@task
def fetch(c: Context, strict: bool = False, verbose: bool = False) -> None:
    """Fetch the configured sources into content/digest/ (no site build)."""
    verbosity = "-v " if verbose else ""
    flags = " --strict" if strict else ""
    command = f"{PY} -m digest {verbosity}fetch --settings {CONFIG['settings_base']}{flags}"
    with c.cd(str(ROOT)):
        c.run(command, env=_env())


@task
def clean(c: Context) -> None:
    """Remove the generated site."""
    shutil.rmtree(ROOT / CONFIG["deploy_path"], ignore_errors=True)


@task
def build(c: Context, fetch: bool = True) -> None:
    """Build the site with pelicanconf.py (fetching first unless fetched recently or --no-fetch)."""
    _pelican(c, f"-s {CONFIG['settings_base']}", fetch=fetch)


@task
def rebuild(c: Context, fetch: bool = True) -> None:
    """Build from scratch: delete output/ first."""
    _pelican(c, f"-d -s {CONFIG['settings_base']}", fetch=fetch)


@task
def regenerate(c: Context, fetch: bool = False) -> None:
    """Rebuild on every change of content/ or settings (no fetching unless --fetch)."""
    _pelican(c, f"-r -s {CONFIG['settings_base']}", fetch=fetch)


@task
def serve(c: Context) -> None:
    """Serve output/ at http://localhost:8000."""
    _pelican(
        c,
        f"--listen --bind {CONFIG['host']} --port {CONFIG['port']} -o {CONFIG['deploy_path']}"
        f" -s {CONFIG['settings_base']}",
        fetch=False,
    )


@task
def reserve(c: Context) -> None:
    """Build, then serve."""
    build(c)
    serve(c)


@task
def preview(c: Context) -> None:
    """Build with publishconf.py (set SITEURL in the environment for the public address)."""
    _pelican(c, f"-s {CONFIG['settings_publish']}")


@task
def livereload(c: Context, fetch: bool = False) -> None:
    """Serve the site; rebuild and reload it when content, theme, plugins or settings change."""
    from livereload import Server

    def rebuild_site() -> None:
        _pelican(c, f"-s {CONFIG['settings_base']}", fetch=fetch, warn=True)

    rebuild_site()
    server = Server()
    for pattern in (
        "content/**/*",
        "theme/**/*",
        "plugins/**/*.py",
        "pelicanconf.py",
        "site_rules/*",
    ):
        server.watch(str(ROOT / pattern), rebuild_site)
    server.serve(host=CONFIG["host"], port=CONFIG["port"], root=str(ROOT / CONFIG["deploy_path"]))


@task
def publish(c: Context) -> None:
    """Fetch and build the public site with publishconf.py."""
    fetch(c)
    _pelican(c, f"-s {CONFIG['settings_publish']}", fetch=False)


@task
def gh_pages(c: Context, cname: str = "") -> None:
    """Publish output/ to the gh-pages branch with ghp-import (then push it, or let CI)."""
    publish(c)
    domain = cname or CONFIG["cname"]
    flags = f" --cname {shlex.quote(domain)}" if domain else ""
    with c.cd(str(ROOT)):
        c.run(
            f"{PY} -m ghp_import -b {CONFIG['github_pages_branch']} -n{flags} "
            f"-m {shlex.quote(CONFIG['commit_message'])} {CONFIG['deploy_path']}"
        )


@task(name="import-opml")
def import_opml(c: Context, file: str) -> None:
    """Add the feeds of an OPML file (from a feed reader) to DIGEST_OPML (sources.opml)."""
    path = shlex.quote(str(Path(file).resolve()))
    with c.cd(str(ROOT)):
        c.run(f"{PY} -m digest import-opml {path} --settings {CONFIG['settings_base']}", env=_env())


@task(name="export-opml")
def export_opml(c: Context) -> None:
    """Print the configured sources as OPML."""
    with c.cd(str(ROOT)):
        c.run(f"{PY} -m digest export-opml --settings {CONFIG['settings_base']}", env=_env())


@task(
    help={
        "sources": "number of generated sources (hosts)",
        "articles": "articles per source",
        "latency": "seconds the loopback server adds to every response",
        "rounds": "rounds; each figure is the median over them",
        "sites": "generate into (or reuse) this folder",
        "out": "write the JSON and markdown results as OUT.json and OUT.md",
        "memory": "only the cold fetch and the full build (the 5,000-article memory run)",
    }
)
def bench(
    c: Context,
    sources: int = 50,
    articles: int = 20,
    latency: float = 0.05,
    rounds: int = 3,
    sites: str = "",
    out: str = "",
    memory: bool = False,
) -> None:
    """Scale benchmark: fetch and build S sources x N articles beside plain Pelican."""
    args = [
        f"--sources {sources}",
        f"--articles {articles}",
        f"--latency {latency}",
        f"--repeat {rounds}",
    ]
    if sites:
        args.append(f"--sites {shlex.quote(sites)}")
    if out:
        args += [f"--json {shlex.quote(out + '.json')}", f"--markdown {shlex.quote(out + '.md')}"]
    if memory:
        args.append("--memory-only")
    with c.cd(str(ROOT)):
        c.run(f"{PY} benchmarks/scale.py {' '.join(args)}", env=_env(), pty=False)


@task(name="bench-extraction")
def bench_extraction(c: Context, repeat: int = 3) -> None:
    """Extraction benchmark: quality and speed beside readability-lxml alone."""
    with c.cd(str(ROOT)):
        c.run(f"{PY} benchmarks/extraction.py --repeat {repeat}", env=_env(), pty=False)
