"""The GitHub Actions workflows, checked offline: schema, zizmor, pins, and the commit step.

check-jsonschema and zizmor come from requirements-dev.txt. When one is missing the test fails in
CI (the CI environment variable is set) and is skipped, saying why, on a developer's machine.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW_DIR = ROOT / ".github" / "workflows"
WORKFLOWS = sorted([*WORKFLOW_DIR.glob("*.yml"), *WORKFLOW_DIR.glob("*.yaml")])
DIGEST = WORKFLOW_DIR / "digest.yml"
COMMIT_SCRIPT = ROOT / "ci" / "commit-content.sh"
SEVERITY = {"unknown": 0, "informational": 1, "low": 2, "medium": 3, "high": 4}
USES = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<ref>[^\s#]+)\s*(?:#\s*(?P<comment>.*))?$")
RUN = re.compile(r"^(?P<indent>\s*)(?:-\s+)?run:\s*(?P<rest>.*)$")
BOT_EMAIL = "41898282+github-actions[bot]@users.noreply.github.com"


def tool(name: str) -> str:
    """A command installed beside this interpreter (the venv) or on PATH.

    Missing: a failure in CI, where the check must run; a skip elsewhere.
    """
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.is_file() else shutil.which(name)
    if found:
        return found
    message = f"{name} is not installed: pip install -r requirements-dev.txt"
    if os.environ.get("CI"):
        pytest.fail(f"{message} (CI is set, so this check must run)")
    pytest.skip(message)


def workflow_ids() -> list[str]:
    return [path.name for path in WORKFLOWS]


def test_the_digest_workflow_exists() -> None:
    assert DIGEST in WORKFLOWS


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=workflow_ids())
def test_workflow_matches_the_github_workflow_schema(workflow: Path) -> None:
    command = [tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows"]
    result = subprocess.run(
        [*command, str(workflow)], capture_output=True, text=True, check=False, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=workflow_ids())
def test_zizmor_finds_nothing_of_medium_severity_or_more(workflow: Path) -> None:
    command = [tool("zizmor"), "--offline", "--no-exit-codes", "--no-progress", "--format", "json"]
    result = subprocess.run(
        [*command, str(workflow)], capture_output=True, text=True, check=False, timeout=120
    )
    assert result.returncode == 0, f"zizmor failed to run:\n{result.stderr}"
    findings = json.loads(result.stdout)
    serious = [
        finding
        for finding in findings
        if not finding.get("ignored")
        and SEVERITY.get(str(finding["determinations"]["severity"]).lower(), 4) >= 3
    ]
    assert not serious, "\n".join(describe(finding) for finding in serious)


def describe(finding: dict[str, object]) -> str:
    """One line per zizmor finding: audit, severity, line and what it says."""
    determinations = finding["determinations"]
    assert isinstance(determinations, dict)
    lines = []
    for location in finding.get("locations") or []:
        row = location["concrete"]["location"]["start_point"]["row"] + 1
        note = location["symbolic"].get("annotation", "")
        lines.append(f"line {row}: {note}")
    where = "; ".join(lines)
    return f"{finding['ident']} ({determinations['severity']}): {finding['desc']} [{where}]"


def uses_lines(workflow: Path) -> list[tuple[int, str, str]]:
    """Every `uses:` reference of a workflow: line number, reference, trailing comment."""
    found = []
    for number, line in enumerate(workflow.read_text(encoding="utf-8").splitlines(), 1):
        match = USES.match(line)
        if match:
            found.append((number, match["ref"], (match["comment"] or "").strip()))
    return found


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=workflow_ids())
def test_every_action_is_pinned_to_a_commit_with_its_version(workflow: Path) -> None:
    bad = []
    for number, ref, comment in uses_lines(workflow):
        if ref.startswith("./"):
            continue  # an action of this repository, pinned by the checkout itself
        if ref.startswith("docker://"):
            if "@sha256:" not in ref:
                bad.append(f"line {number}: {ref} is not pinned to a digest")
            continue
        if not re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", ref):
            bad.append(f"line {number}: {ref} is not pinned to a full commit SHA")
        elif not re.match(r"v\d+(\.\d+)*\b", comment):
            bad.append(f"line {number}: {ref} has no version comment (# vX.Y.Z)")
    assert not bad, "\n".join(bad)


def test_an_action_has_one_pin_across_all_workflows() -> None:
    pins: dict[str, set[str]] = {}
    for workflow in WORKFLOWS:
        for _, ref, comment in uses_lines(workflow):
            name, _, sha = ref.partition("@")
            pins.setdefault(name, set()).add(f"{sha} # {comment}")
    assert {name: refs for name, refs in pins.items() if len(refs) > 1} == {}


def run_scripts(workflow: Path) -> list[tuple[int, str]]:
    """The text of every `run:` step (one-line or block scalar) with its first line number."""
    lines = workflow.read_text(encoding="utf-8").splitlines()
    scripts = []
    for index, line in enumerate(lines):
        match = RUN.match(line)
        if not match:
            continue
        rest = match["rest"].strip()
        if rest and rest[0] not in "|>":
            scripts.append((index + 1, rest))
            continue
        key_indent = len(match["indent"]) + (2 if line.lstrip().startswith("-") else 0)
        body = []
        for following in lines[index + 1 :]:
            if following.strip() and len(following) - len(following.lstrip()) <= key_indent:
                break
            body.append(following)
        scripts.append((index + 1, "\n".join(body)))
    return scripts


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=workflow_ids())
def test_no_expression_is_expanded_inside_a_script(workflow: Path) -> None:
    """Values reach scripts through env:, never as `${{ }}` pasted into the shell text."""
    scripts = run_scripts(workflow)
    assert scripts
    assert [number for number, text in scripts if "${{" in text] == []


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=workflow_ids())
def test_permissions_are_declared_at_the_top(workflow: Path) -> None:
    text = workflow.read_text(encoding="utf-8")
    assert re.search(r"^permissions:", text, re.M), "no top-level permissions: block"
    assert "write-all" not in text


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=workflow_ids())
def test_checkouts_do_not_keep_the_token(workflow: Path) -> None:
    text = workflow.read_text(encoding="utf-8")
    checkouts = len(re.findall(r"uses:\s*actions/checkout@", text))
    assert text.count("persist-credentials: false") == checkouts


def test_digest_workflow_shape() -> None:
    """The published workflow: one schedule, no overlap, writes only where they are needed."""
    text = DIGEST.read_text(encoding="utf-8")
    crons = re.findall(r"^\s*- cron: \"([^\"]+)\"", text, re.M)
    assert len(crons) == 1
    assert len(crons[0].split()) == 5
    assert text.index("cron:") < text.index("jobs:"), "the schedule belongs near the top"
    assert re.search(r"^permissions: \{\}$", text, re.M)
    assert re.search(r"^\s+cancel-in-progress: false$", text, re.M)
    assert len(re.findall(r"^\s+contents: write", text, re.M)) == 1
    assert len(re.findall(r"^\s+pages: write", text, re.M)) == 1
    assert len(re.findall(r"^\s+id-token: write", text, re.M)) == 1
    assert "name: github-pages" in text
    for needed in ("workflow_dispatch:", "push:", "invoke fetch", "invoke preview"):
        assert needed in text
    assert "ci/commit-content.sh" in text


# The commit step, run for real against a local bare repository.


def git(cwd: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", *args], cwd=cwd, env=git_env(cwd), capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout.strip()


def git_env(home: Path) -> dict[str, str]:
    """A git environment that ignores the developer's and the machine's configuration."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "GITHUB_"))}
    env.update(GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1", HOME=str(home))
    return env


def commit_all(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(
        repo,
        "-c",
        "user.name=Someone",
        "-c",
        "user.email=someone@example.org",
        "commit",
        "-qm",
        message,
    )


@pytest.fixture
def clone(tmp_path: Path) -> Path:
    """A clone of a bare 'origin' holding one article, as actions/checkout leaves it."""
    origin = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(origin))
    seed = tmp_path / "seed"
    git(tmp_path, "init", "-q", "-b", "main", str(seed))
    (seed / "content" / "digest").mkdir(parents=True)
    (seed / "content" / "digest" / "first.html").write_text("<p>first</p>\n")
    (seed / "README.md").write_text("site\n")
    commit_all(seed, "seed")
    git(seed, "push", "-q", str(origin), "main")
    work = tmp_path / "work"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{origin}", str(work))
    return work


def commit_content(work: Path) -> tuple[subprocess.CompletedProcess[str], dict[str, str]]:
    """Run ci/commit-content.sh as the workflow does, its outputs read back from GITHUB_OUTPUT."""
    outputs = work.parent / "github_output"
    outputs.write_text("")
    env = git_env(work.parent) | {"GITHUB_OUTPUT": str(outputs), "GITHUB_REF_NAME": "main"}
    result = subprocess.run(
        ["bash", str(COMMIT_SCRIPT), "content/digest", "content/images"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    values = dict(line.split("=", 1) for line in outputs.read_text().splitlines() if "=" in line)
    return result, values


def test_commit_step_with_nothing_new_succeeds_without_a_commit(clone: Path) -> None:
    before = git(clone, "rev-parse", "HEAD")
    (clone / "unrelated.txt").write_text("not content\n")
    result, outputs = commit_content(clone)
    assert result.returncode == 0, result.stdout + result.stderr
    assert outputs == {"changed": "false", "sha": before}
    assert git(clone, "rev-parse", "HEAD") == before
    assert git(clone, "ls-remote", "origin", "main").split()[0] == before


def test_commit_step_commits_content_as_the_bot_and_pushes(clone: Path) -> None:
    (clone / "content" / "digest" / "second.html").write_text("<p>second</p>\n")
    (clone / "content" / "digest" / "first.html").write_text("<p>first, updated</p>\n")
    (clone / "content" / "images" / "digest").mkdir(parents=True)
    (clone / "content" / "images" / "digest" / "a.png").write_bytes(b"\x89PNG\r\n")
    (clone / "stray.txt").write_text("must not be committed\n")
    result, outputs = commit_content(clone)
    assert result.returncode == 0, result.stdout + result.stderr
    head = git(clone, "rev-parse", "HEAD")
    assert outputs == {"changed": "true", "sha": head}
    assert git(clone, "ls-remote", "origin", "main").split()[0] == head
    assert git(clone, "log", "-1", "--format=%an <%ae>") == f"github-actions[bot] <{BOT_EMAIL}>"
    assert git(clone, "log", "-1", "--format=%s") == "Digest: 2 new or updated articles"
    changed = set(git(clone, "show", "--name-only", "--format=", "HEAD").splitlines())
    assert changed == {
        "content/digest/first.html",
        "content/digest/second.html",
        "content/images/digest/a.png",
    }


def test_commit_step_rebases_when_someone_pushed_meanwhile(clone: Path) -> None:
    other = clone.parent / "other"
    git(clone.parent, "clone", "-q", f"file://{clone.parent / 'origin.git'}", str(other))
    (other / "README.md").write_text("site, edited by hand\n")
    commit_all(other, "edit the README")
    git(other, "push", "-q", "origin", "main")

    (clone / "content" / "digest" / "third.html").write_text("<p>third</p>\n")
    result, outputs = commit_content(clone)
    assert result.returncode == 0, result.stdout + result.stderr
    remote_head = git(clone, "ls-remote", "origin", "main").split()[0]
    assert outputs == {"changed": "true", "sha": remote_head}
    assert git(clone, "log", "--format=%s", "-2", remote_head).splitlines() == [
        "Digest: 1 new or updated article",
        "edit the README",
    ]
