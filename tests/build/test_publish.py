"""`invoke gh-pages` for real: a copy of the site in a temporary git repository, published with
ghp-import to its gh-pages branch, pushed to a local bare repository and read back from there.

DIGEST_FETCH=0 and the committed content keep it fast; `invoke fetch` still runs (gh-pages runs
publish, which fetches) but only reads the bundled demo sources from disk.
"""

from __future__ import annotations

import os
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
    ".gitignore",
    "plugins",
    "theme",
    "demo",
    "content",
    "site_rules",
]
SITEURL = "https://someone.github.io/digest"
ATOM = "{http://www.w3.org/2005/Atom}"


def clean_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment of the child commands: no git, site or digest settings of the caller."""
    prefixes = ("GIT_", "DIGEST_", "SITEURL", "CNAME", "FEED_DOMAIN")
    env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    env.update(GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1", HOME=str(home))
    env.update(DIGEST_FETCH="0", **extra)
    return env


def git(repo: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", *args],
        cwd=repo,
        env=clean_env(repo.parent),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def site_repository(root: Path) -> Path:
    """The site copied into a fresh git repository with one commit on main."""
    root.mkdir(parents=True)
    copy_site(root, COPIED)
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.name", "Digest Test")
    git(root, "config", "user.email", "digest-test@example.org")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "The site")
    return root


def gh_pages(repo: Path, **env: str) -> None:
    """`invoke gh-pages` in the repository, then its gh-pages branch pushed to a bare remote."""
    result = subprocess.run(
        [sys.executable, "-m", "invoke", "gh-pages"],
        cwd=repo,
        env=clean_env(repo.parent, **env),
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Traceback" not in output, output
    remote = repo.parent / "remote.git"
    if not remote.exists():
        git(repo.parent, "init", "-q", "--bare", str(remote))
    git(repo, "push", "-q", "--force", str(remote), "gh-pages")


def branch_files(remote: Path) -> set[str]:
    return set(git(remote, "ls-tree", "-r", "--name-only", "gh-pages").splitlines())


def branch_file(remote: Path, name: str) -> str:
    return git(remote, "show", f"gh-pages:{name}")


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    """(site repository, bare remote, main's commit before publishing), published once."""
    base = tmp_path_factory.mktemp("publish")
    repo = site_repository(base / "site")
    main_before = git(repo, "rev-parse", "main").strip()
    gh_pages(repo, SITEURL=SITEURL)
    return repo, base / "remote.git", main_before


def test_gh_pages_branch_holds_the_site_feeds_and_nojekyll(
    published: tuple[Path, Path, str],
) -> None:
    repo, remote, _ = published
    files = branch_files(remote)
    for name in (
        "index.html",
        "404.html",
        "archives.html",
        ".nojekyll",
        "feeds/all.atom.xml",
        "feeds/source/harbour-gazette.atom.xml",
        "feeds/source/fieldnotes.atom.xml",
        "feeds/source/open-science-wire.atom.xml",
        "theme/css/digest.css",
    ):
        assert name in files, f"{name} is not on gh-pages"
    articles = list((repo / "content" / "digest").glob("*.html"))
    assert len(articles) >= 25
    assert len([f for f in files if f.startswith("2026/") and not f.endswith("index.html")]) == (
        len(articles)
    )
    assert any(f.startswith("feeds/tag/") for f in files)


def test_gh_pages_branch_is_exactly_the_built_output(published: tuple[Path, Path, str]) -> None:
    repo, remote, _ = published
    output = repo / "output"
    built = {p.relative_to(output).as_posix() for p in output.rglob("*") if p.is_file()}
    assert branch_files(remote) == built | {".nojekyll"}
    for name in ("pelicanconf.py", "tasks.py", "content/pages/about.md"):
        assert name not in branch_files(remote)


def test_gh_pages_is_built_for_the_public_address(published: tuple[Path, Path, str]) -> None:
    _, remote, _ = published
    index = branch_file(remote, "index.html")
    assert f'href="{SITEURL}/theme/css/digest.css"' in index
    assert "localhost:8000" not in index
    feed = ET.fromstring(branch_file(remote, "feeds/all.atom.xml"))
    self_link = feed.find(f"{ATOM}link[@rel='self']")
    assert self_link is not None
    assert self_link.get("href") == f"{SITEURL}/feeds/all.atom.xml"


def test_gh_pages_leaves_main_alone(published: tuple[Path, Path, str]) -> None:
    repo, remote, main_before = published
    assert git(repo, "rev-parse", "main").strip() == main_before
    assert git(remote, "log", "-1", "--format=%s", "gh-pages").strip() == "Publish the digest"
    assert git(repo, "rev-parse", "--abbrev-ref", "HEAD").strip() == "main"


def test_no_cname_without_a_custom_domain(published: tuple[Path, Path, str]) -> None:
    _, remote, _ = published
    assert "CNAME" not in branch_files(remote)


def test_custom_domain_writes_cname(tmp_path: Path) -> None:
    repo = site_repository(tmp_path / "site")
    gh_pages(repo, SITEURL="https://digest.example.org", CNAME="digest.example.org")
    remote = tmp_path / "remote.git"
    assert branch_file(remote, "CNAME").strip() == "digest.example.org"
    assert 'href="https://digest.example.org/theme/css/digest.css"' in branch_file(
        remote, "index.html"
    )
