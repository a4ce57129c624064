"""Speed and memory of Digest at scale, side by side with plain Pelican, on a loopback web.

    PYTHONPATH=plugins python benchmarks/scale.py --sources 50 --articles 20 --latency 0.05 \\
        --repeat 3 --json benchmarks/results/scale.json --markdown benchmarks/results/scale.md

sitegen.py writes S sources x N articles; server.py serves them from its own process, one port
per source. Each round works in a fresh temporary site (a generated pelicanconf.py that takes
the repository's settings, theme and plugin, with DIGEST_SOURCES on the loopback server and
DIGEST_FETCH_INTERVAL 0), and every step is a fresh child process whose wall time, CPU time
(user + sys) and peak RSS come from os.wait4:

    cold_fetch      everything new
    warm_fetch      nothing changed: must make 0 article requests and write 0 files
    new_item        one item added to one feed
    full_build      DIGEST_FETCH=0 pelican, no output/ and no cache yet
    baseline_build  plain Pelican (PLUGINS = []) on a copy of the same content/, same theme
    new_item_2      a second new item, fetched to have something for the incremental build
    incr_build      pelican again, output/ and Pelican's content cache kept

Figures are medians over --repeat rounds; ratios (full / baseline, incremental / full) are
taken within a round, then their median. Requests and bytes come from the server's counters.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

import sitegen  # noqa: E402
from server import ServerProcess  # noqa: E402

# The targets. Memory is stated for 5,000 articles.
TARGETS = {
    "cold_fetch_s": 25.0,
    "warm_fetch_s": 2.0,
    "new_item_s": 3.0,
    "full_vs_plain": 1.2,
    "incr_vs_full": 0.3,
    "memory_mb": 400.0,
    "memory_articles": 5000,
}
# Pelican's content cache for the incremental build: the reader layer, checked by mtime.
CACHE_SETTINGS = {  # as the repository's pelicanconf.py sets them, for both builds
    "CACHE_CONTENT": True,
    "LOAD_CONTENT_CACHE": True,
    "CONTENT_CACHING_LAYER": "generator",
    "CHECK_MODIFIED_METHOD": "mtime",
    "STATIC_CHECK_IF_MODIFIED": True,
    "CACHE_PATH": "cache",
}
PROCESSED = re.compile(r"Processed (\d+) articles?")
FETCH_STEPS = ("cold_fetch", "warm_fetch", "new_item", "new_item_2")
BUILD_STEPS = ("full_build", "baseline_build", "incr_build")


@dataclass
class Measure:
    """One child process: how long, how much CPU, how much memory, and how it ended."""

    wall_s: float
    cpu_s: float
    user_s: float
    sys_s: float
    peak_rss_mb: float
    returncode: int
    timed_out: bool
    load_before: float  # the machine's 1-minute load average: other work skews wall times


def run_child(cmd: list[str], cwd: Path, env: dict[str, str], timeout: float, log: Path) -> Measure:
    """Run and reap one child with os.wait4, so its rusage is its own and nobody else's.

    RUSAGE_CHILDREN would mix in every child reaped so far (its ru_maxrss is a maximum over
    all of them), so the child is waited for directly instead.
    """
    timed_out = threading.Event()
    load = os.getloadavg()[0]
    with log.open("wb") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(
            cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )

        def kill() -> None:
            timed_out.set()
            os.killpg(proc.pid, signal.SIGKILL)

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    return Measure(
        wall_s=wall,
        cpu_s=usage.ru_utime + usage.ru_stime,
        user_s=usage.ru_utime,
        sys_s=usage.ru_stime,
        peak_rss_mb=usage.ru_maxrss / 1024,  # KiB on Linux
        returncode=proc.returncode,
        timed_out=timed_out.is_set(),
        load_before=load,
    )


# Where the site's settings, plugin and theme are read from: the repository, or (by default) a
# copy of it taken when the benchmark starts, so edits made while it runs cannot mix versions.
SOURCE = REPO


def snapshot_repo(work: Path) -> Path:
    """Copy pelicanconf.py, plugins/, theme/ and content/pages/ of the repository into work."""
    root = work / "repo"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("plugins", "theme", "content/pages"):
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, root / name, ignore=ignore)
    shutil.copy2(REPO / "pelicanconf.py", root / "pelicanconf.py")
    # Compiled once here, so no step pays for compiling the plugin (the machine's environment
    # may set PYTHONDONTWRITEBYTECODE, which would make every step compile it again).
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(root / "plugins")], check=False)
    return root


def child_env(fetch: bool) -> dict[str, str]:
    """The environment of a measured step: the plugin importable, no proxy, fetch on or off."""
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env["PYTHONPATH"] = str(SOURCE / "plugins")
    env["DIGEST_FETCH"] = "1" if fetch else "0"
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # a user's machine keeps its .pyc files
    return env


# -- sites under test ----------------------------------------------------------------------

CONF = '''"""Generated by benchmarks/scale.py: the repository's settings, on the loopback web."""

import runpy

globals().update(
    {{k: v for k, v in runpy.run_path({repo_conf!r}).items() if k.isupper()}}
)
PATH = "content"
OUTPUT_PATH = "output"
THEME = {theme!r}
PLUGIN_PATHS = [{plugins!r}]
PLUGINS = {plugin_list!r}
DIGEST_SOURCES = {sources!r}
DIGEST_MIRRORS = {{}}
DIGEST_OPML = ""
DIGEST_FETCH_INTERVAL = 0
DIGEST_MAX_ITEMS_PER_SOURCE = {max_items!r}
{extra}
'''


def write_site(
    folder: Path, sources: list[dict[str, object]], plugin: bool, overrides: dict[str, object]
) -> None:
    """A site folder: content/pages copied from the repository, and a generated pelicanconf.py."""
    (folder / "content" / "digest").mkdir(parents=True, exist_ok=True)
    pages = SOURCE / "content" / "pages"
    if pages.is_dir():
        shutil.copytree(pages, folder / "content" / "pages", dirs_exist_ok=True)
    settings = {**CACHE_SETTINGS, **overrides}
    extra = "\n".join(f"{name} = {value!r}" for name, value in settings.items())
    articles = max((len(s.get("_items", ())) for s in sources), default=0)  # type: ignore[arg-type]
    text = CONF.format(
        repo_conf=str(SOURCE / "pelicanconf.py"),
        theme=str(SOURCE / "theme"),
        plugins=str(SOURCE / "plugins"),
        plugin_list=["digest"] if plugin else [],
        sources=[{k: v for k, v in s.items() if not k.startswith("_")} for s in sources],
        max_items=max(50, articles + 10),
        extra=extra,
    )
    (folder / "pelicanconf.py").write_text(text, encoding="utf-8")


def snapshot(content: Path) -> dict[str, tuple[int, int, str]]:
    """Every file under content/: mtime, size and a hash, to count what a step wrote."""
    found = {}
    for path in content.rglob("*"):
        if path.is_file():
            stat = path.stat()
            digest = hashlib.blake2b(path.read_bytes(), digest_size=12).hexdigest()
            found[str(path.relative_to(content))] = (stat.st_mtime_ns, stat.st_size, digest)
    return found


def written(
    before: dict[str, tuple[int, int, str]], after: dict[str, tuple[int, int, str]]
) -> dict:
    """Files created, changed (mtime or bytes) and removed between two snapshots."""
    added = [p for p in after if p not in before]
    changed = [p for p in after if p in before and after[p] != before[p]]
    removed = [p for p in before if p not in after]
    return {
        "files_written": len(added) + len(changed),
        "files_added": len(added),
        "files_changed": len(changed),
        "files_removed": len(removed),
        "articles_written": sum(1 for p in added + changed if p.startswith("digest/")),
        "written_paths": sorted(added + changed)[:20],
    }


# -- steps ---------------------------------------------------------------------------------


def fetch_step(
    name: str, site: Path, server: ServerProcess, timeout: float, logs: Path
) -> dict[str, object]:
    """One `python -m digest fetch`: the child's figures, the server's counts, files written."""
    before = snapshot(site / "content")
    server.reset()
    measure = run_child(
        [sys.executable, "-m", "digest", "fetch", "--settings", "pelicanconf.py", "--quiet"],
        site,
        child_env(fetch=True),
        timeout,
        logs / f"{name}.log",
    )
    stats = server.stats(paths=True)
    after = snapshot(site / "content")
    kinds: dict[str, int] = stats["kinds"]
    paths: dict[str, int] = stats.pop("paths")
    statuses: dict[str, int] = stats["statuses"]
    spans = [s for s in stats["spans"] if s]
    busy = sum(last - first for first, last in spans)
    window = (max(s[1] for s in spans) - min(s[0] for s in spans)) if spans else 0.0
    return {
        **asdict(measure),
        "requests": stats["requests"],
        "article_requests": kinds.get("article", 0),
        "feed_requests": kinds.get("feed", 0),
        "image_requests": kinds.get("image", 0),
        "robots_requests": kinds.get("robots", 0),
        "not_modified": statuses.get("304", 0),
        "bytes": stats["bytes"],
        "raw_bytes": stats["raw_bytes"],
        "max_in_flight": stats["most_active"],
        "server_cpu_s": stats.get("cpu_seconds", 0.0),
        # How many hosts were being served at once, on average, between first and last request.
        "mean_busy_hosts": round(busy / window, 2) if window else 0.0,
        "per_source": stats["per_source"],
        "article_paths": sorted(p for p in paths if ":/articles/" in p)[:20],
        "digest_files": len(list((site / "content" / "digest").glob("*.html"))),
        **written(before, after),
    }


def build_step(name: str, site: Path, clean: bool, timeout: float, logs: Path) -> dict[str, object]:
    """One `pelican` build without fetching; `clean` removes output/ and the cache first."""
    if clean:
        for folder in ("output", "cache"):
            shutil.rmtree(site / folder, ignore_errors=True)
    log = logs / f"{name}.log"
    measure = run_child(
        [sys.executable, "-m", "pelican", "-s", "pelicanconf.py"],
        site,
        child_env(fetch=False),
        timeout,
        log,
    )
    text = log.read_text(encoding="utf-8", errors="replace")
    match = PROCESSED.search(text)
    output = site / "output"
    return {
        **asdict(measure),
        "articles_built": int(match.group(1)) if match else None,
        "output_files": sum(1 for p in output.rglob("*") if p.is_file()) if output.is_dir() else 0,
        "errors": text.count("ERROR") + text.count("CRITICAL") + text.count("Traceback"),
    }


class StepFailed(RuntimeError):
    """A step exited non-zero or timed out; carries the round's steps so far and the log."""

    def __init__(self, name: str, steps: dict[str, dict[str, object]], log: Path) -> None:
        step = steps[name]
        super().__init__(
            f"{name} failed (exit {step['returncode']}, timed out: {step['timed_out']})"
        )
        lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
        self.detail = {"error": str(self), "steps": steps, "log_tail": lines[-60:]}


def check(steps: dict[str, dict[str, object]], name: str, log: Path) -> None:
    """Stop the round when a step failed: later figures would mean nothing."""
    if steps[name]["timed_out"] or steps[name]["returncode"] != 0:
        raise StepFailed(name, steps, log)


def run_round(
    index: int, args: argparse.Namespace, sites: Path, server: ServerProcess, work: Path
) -> dict[str, object]:
    """One round of every step, in a fresh site and a fresh plain copy."""
    specs, _ = sitegen.load(sites)
    sources = [
        {
            "name": spec.name,
            "feed": f"{base}/rss.xml",
            "site": f"{base}/",
            "tags": ["bench"],
            "_items": spec.items,
        }
        for spec, base in zip(specs, server.bases, strict=True)
    ]
    folder = work / f"round{index}"
    site, plain, logs = folder / "site", folder / "plain", folder / "logs"
    logs.mkdir(parents=True)
    write_site(site, sources, plugin=True, overrides=args.overrides)
    steps: dict[str, dict[str, object]] = {}

    def floor_of(name: str) -> dict[str, object]:
        return network_floor(steps[name], args)

    def fetch(name: str) -> None:
        say(f"round {index + 1}: {name} ...")
        steps[name] = fetch_step(name, site, server, args.fetch_timeout, logs)
        say(f"round {index + 1}: {name} {steps[name]['wall_s']:.2f} s")
        check(steps, name, logs / f"{name}.log")

    def build(name: str, where: Path, clean: bool) -> None:
        say(f"round {index + 1}: {name} ...")
        steps[name] = build_step(name, where, clean, args.build_timeout, logs)
        say(f"round {index + 1}: {name} {steps[name]['wall_s']:.2f} s")
        check(steps, name, logs / f"{name}.log")

    sitegen.reset_feeds(sites)
    fetch("cold_fetch")
    if args.memory_only:
        shutil.copytree(site / "content", plain / "content")
        write_site(plain, sources, plugin=False, overrides=args.overrides)
        build("full_build", site, clean=True)
        build("baseline_build", plain, clean=True)
        return {
            "steps": steps,
            "floors": {"cold_fetch": floor_of("cold_fetch")},
            "full_vs_plain": ratio(steps["full_build"], steps["baseline_build"]),
        }
    fetch("warm_fetch")
    sitegen.add_item(sites, 0, serial=index * 10)
    fetch("new_item")
    shutil.copytree(site / "content", plain / "content")
    write_site(plain, sources, plugin=False, overrides=args.overrides)
    # Alternate the order, so a drift of the machine does not favour one side of the ratio.
    pair = [("full_build", site), ("baseline_build", plain)]
    for name, where in pair if index % 2 == 0 else pair[::-1]:
        build(name, where, clean=True)
    sitegen.add_item(sites, min(1, len(specs) - 1), serial=index * 10 + 1)
    fetch("new_item_2")
    build("incr_build", site, clean=False)
    sitegen.reset_feeds(sites)
    return {
        "steps": steps,
        "full_vs_plain": ratio(steps["full_build"], steps["baseline_build"]),
        "incr_vs_full": ratio(steps["incr_build"], steps["full_build"]),
        "floors": {name: floor_of(name) for name in ("cold_fetch", "new_item")},
    }


def ratio(a: dict[str, object], b: dict[str, object]) -> dict[str, float]:
    """a / b for wall time and CPU time."""
    return {
        "wall": round(a["wall_s"] / b["wall_s"], 3),  # type: ignore[operator]
        "cpu": round(a["cpu_s"] / b["cpu_s"], 3),  # type: ignore[operator]
    }


# -- the network-bound floor ---------------------------------------------------------------


def effective(args: argparse.Namespace) -> dict[str, float]:
    """The politeness settings in force: the overrides, else the site's, else the plugin's.

    Read from the code under test (SOURCE), which may differ from the repository by now.
    """
    import runpy

    sys.path.insert(0, str(SOURCE / "plugins"))
    from digest.settings import DEFAULTS

    site = runpy.run_path(str(SOURCE / "pelicanconf.py"))

    def get(name: str) -> float:
        return float(args.overrides.get(name, site.get(name, DEFAULTS[name])))  # type: ignore[arg-type]

    return {
        "workers": get("DIGEST_WORKERS"),
        "per_host": get("DIGEST_PER_HOST"),
        "host_delay": get("DIGEST_HOST_DELAY"),
    }


def network_floor(step: dict[str, object], args: argparse.Namespace) -> dict[str, object]:
    """The least time a fetch's requests could take with this latency and politeness.

    Feeds go first (one per host, `workers` at a time); then the page phase is bound globally
    (requests x latency / workers) and per host (a host's requests start at least
    max(host_delay, latency / per_host) apart). No CPU time is counted: it is the floor the
    network and the politeness rules alone set, with perfect scheduling.
    """
    p = effective(args)
    latency = args.latency
    per_source: list[int] = step["per_source"]  # type: ignore[assignment]
    total = sum(per_source)
    feeds = int(step["feed_requests"])  # type: ignore[arg-type]
    feed_phase = math.ceil(feeds / p["workers"]) * latency
    global_bound = feed_phase + (total - feeds) * latency / p["workers"]
    spacing = max(p["host_delay"], latency / p["per_host"])
    busiest = max(per_source, default=0)
    host_bound = (busiest - 1) * spacing + latency if busiest else 0.0
    floor = max(global_bound, host_bound)
    return {
        "floor_s": round(floor, 2),
        "bound_by": "per-host spacing" if host_bound >= global_bound else "workers x latency",
        "global_bound_s": round(global_bound, 2),
        "per_host_bound_s": round(host_bound, 2),
        "busiest_host_requests": busiest,
        "requests": total,
        "spacing_s": spacing,
        "effective_concurrency": round(total * latency / floor, 2) if floor else 0.0,
        **p,
    }


# -- summary -------------------------------------------------------------------------------


def median(values: list[float]) -> float:
    """The median, or NaN when there is nothing."""
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else math.nan


def summarize(rounds: list[dict[str, object]]) -> dict[str, object]:
    """Medians of every numeric figure of every step, and of the ratios."""
    steps: dict[str, dict[str, float]] = {}
    for name in (*FETCH_STEPS, *BUILD_STEPS):
        runs = [r["steps"][name] for r in rounds if name in r["steps"]]  # type: ignore[index]
        if not runs:
            continue
        keys = [k for k, v in runs[0].items() if isinstance(v, int | float)]
        steps[name] = {k: median([run[k] for run in runs]) for k in keys}
    ratios = {
        key: {m: median([r[key][m] for r in rounds]) for m in ("wall", "cpu")}  # type: ignore[index]
        for key in ("full_vs_plain", "incr_vs_full")
        if key in rounds[0]
    }
    floors = {
        name: median([r["floors"][name]["floor_s"] for r in rounds])  # type: ignore[index]
        for name in rounds[0]["floors"]  # type: ignore[attr-defined]
    }
    return {"steps": steps, "ratios": ratios, "floors": floors}


def verdicts(summary: dict, articles: int) -> list[dict[str, object]]:
    """The issue's targets beside the measured figures (rows whose steps ran)."""
    s, r, floors = summary["steps"], summary["ratios"], summary["floors"]
    rows: list[dict[str, object]] = []

    def row(what: str, value: str, target: str, met: bool | None) -> None:
        rows.append({"figure": what, "measured": value, "target": target, "met": met})

    cold = s["cold_fetch"]
    row(
        "cold fetch, wall",
        f"{cold['wall_s']:.1f} s (network floor {floors['cold_fetch']:.1f} s)",
        "<= 25 s",
        cold["wall_s"] <= TARGETS["cold_fetch_s"],
    )
    if "warm_fetch" in s:
        warm = s["warm_fetch"]
        row("warm fetch, wall", f"{warm['wall_s']:.2f} s", "<= 2 s", warm["wall_s"] <= 2.0)
        row(
            "warm fetch, article requests",
            f"{warm['article_requests']:g}",
            "0",
            warm["article_requests"] == 0,
        )
        row(
            "warm fetch, files written",
            f"{warm['files_written']:g}",
            "0",
            warm["files_written"] == 0,
        )
    if "new_item" in s:
        new = s["new_item"]["wall_s"]
        row(
            "one new item, wall",
            f"{new:.2f} s (network floor {floors['new_item']:.1f} s)",
            "<= 3 s",
            new <= TARGETS["new_item_s"],
        )
    if "full_vs_plain" in r:
        full = r["full_vs_plain"]
        row(
            "full build / plain Pelican",
            f"{full['wall']:.2f}x wall ({full['cpu']:.2f}x CPU)",
            "<= 1.2x",
            full["wall"] <= TARGETS["full_vs_plain"],
        )
    if "incr_vs_full" in r:
        incr = r["incr_vs_full"]
        row(
            "incremental build / full build",
            f"{incr['wall']:.2f}x wall ({incr['cpu']:.2f}x CPU)",
            "<= 0.3x",
            incr["wall"] <= TARGETS["incr_vs_full"],
        )
    at_size = articles >= TARGETS["memory_articles"]
    note = "" if at_size else f" (at {articles} articles; the target is for 5,000)"
    for label, names in (("fetch", FETCH_STEPS), ("build", ("full_build", "incr_build"))):
        peak = max(s[n]["peak_rss_mb"] for n in names if n in s)
        plain = ""
        if label == "build" and "baseline_build" in s:
            plain = f"; plain Pelican {s['baseline_build']['peak_rss_mb']:.0f} MB"
        row(
            f"peak RSS, {label}",
            f"{peak:.0f} MB{plain}{note}",
            "<= 400 MB at 5,000 articles",
            peak <= TARGETS["memory_mb"] if at_size else None,
        )
    return rows


def mb(value: float) -> str:
    """Bytes as MB with one decimal."""
    return f"{value / 1e6:.1f}"


def markdown(result: dict[str, object]) -> str:
    """The results as markdown: the targets table, then every step's figures."""
    cfg, summary = result["config"], result["summary"]
    repeat, done = cfg["repeat"], len(result["rounds"])
    site = cfg["site"]
    lines = [
        f"# Digest at scale: {cfg['sources']} sources x {cfg['articles']} articles "
        f"({cfg['sources'] * cfg['articles']} articles), {cfg['latency'] * 1000:.0f} ms latency",
        "",
        f"Medians of {done} round(s) (asked: {repeat}); {result['machine']}; code: "
        f"{cfg['commit']}, plugin hash {cfg.get('plugin_hash', '?')}. Pages "
        f"{site['page_bytes_min'] // 1000}-{site['page_bytes_max'] // 1000} KB "
        f"(mean {site['page_bytes_mean'] // 1000} KB), 2 "
        f"images each, gzip {'on' if cfg['gzip'] else 'off'}; politeness "
        f"{json.dumps(effective_text(result))}; overrides: "
        f"{json.dumps(cfg['overrides']) if cfg['overrides'] else 'none'}.",
        "",
        "| figure | measured | target | met |",
        "| --- | --- | --- | --- |",
    ]
    for v in result["verdicts"]:
        met = {True: "yes", False: "**no**", None: "n/a"}[v["met"]]
        lines.append(f"| {v['figure']} | {v['measured']} | {v['target']} | {met} |")
    lines += [
        "",
        "| step | wall s | CPU s | peak RSS MB | requests (article / image / feed / robots; 304) "
        "| MB sent | files written | load |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, s in summary["steps"].items():
        if name in FETCH_STEPS:
            reqs = (
                f"{s['requests']:g} ({s['article_requests']:g} / {s['image_requests']:g} / "
                f"{s['feed_requests']:g} / {s['robots_requests']:g}; {s['not_modified']:g})"
            )
            sent, files = mb(s["bytes"]), f"{s['files_written']:g}"
        else:
            reqs, sent, files = "-", "-", f"{s['output_files']:g} output files"
        lines.append(
            f"| {name} | {s['wall_s']:.2f} | {s['cpu_s']:.2f} | {s['peak_rss_mb']:.0f} | {reqs} "
            f"| {sent} | {files} | {s['load_before']:.1f} |"
        )
    floor = result["rounds"][0]["floors"]["cold_fetch"]
    cold = summary["steps"]["cold_fetch"]
    cold_floor = summary["floors"]["cold_fetch"]
    lines += [
        "",
        f"Network-bound floor of the cold fetch: {cold_floor:.1f} s, bound by "
        f"{floor['bound_by']} (the busiest host has {floor['busiest_host_requests']} requests "
        f"{floor['spacing_s']:g} s apart: {floor['per_host_bound_s']:.1f} s; all "
        f"{floor['requests']} requests x {cfg['latency']:g} s / {floor['workers']:g} workers: "
        f"{floor['global_bound_s']:.1f} s; effective concurrency at the floor "
        f"{floor['effective_concurrency']:g}). Measured {cold['wall_s']:.1f} s = "
        f"{cold['wall_s'] / cold_floor:.1f}x the floor; hosts being served at once, on "
        f"average: {cold['mean_busy_hosts']:.2f}; requests in flight at most: "
        f"{cold['max_in_flight']:g}. The benchmark server's own CPU in that step: "
        f"{cold.get('server_cpu_s', 0.0):.1f} s, on the same 2 cores.",
    ]
    r = summary["ratios"]
    if "incr_vs_full" in r:
        cache = ", ".join(f"{k} = {v!r}" for k, v in CACHE_SETTINGS.items())
        lines += [
            "",
            f"Ratios within a round, median: full / plain {r['full_vs_plain']['wall']:.2f}x "
            f"wall, {r['full_vs_plain']['cpu']:.2f}x CPU; incremental / full "
            f"{r['incr_vs_full']['wall']:.2f}x wall, {r['incr_vs_full']['cpu']:.2f}x CPU. "
            f"Builds use Pelican's content cache ({cache}); the full and plain builds start "
            "without output/ or cache/, the incremental one keeps both.",
        ]
    lines += [
        "",
        "Wall times share the machine with whatever else runs on it (the load column is the "
        "1-minute load average when the step started); CPU times are the child's own.",
    ]
    return "\n".join(lines) + "\n"


def effective_text(result: dict[str, object]) -> dict[str, float]:
    """The politeness figures in force, for the header."""
    floor = result["rounds"][0]["floors"]["cold_fetch"]
    return {k: floor[k] for k in ("workers", "per_host", "host_delay")}


def git_head() -> str:
    """The repository's commit, and whether files differ from it (read-only git calls)."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=REPO,
            capture_output=True,
            text=True,
        ).stdout.strip()
    except OSError:
        return "unknown"
    return head + (" with uncommitted changes" if dirty else "")


def code_hash(folder: Path) -> str:
    """A short hash of the plugin's .py files, to tell two runs' code apart when both are dirty."""
    digest = hashlib.blake2b(digest_size=6)
    for path in sorted(folder.rglob("*.py")):
        digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def say(message: str) -> None:
    """Progress on stderr, so stdout carries only the table."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# -- profile -------------------------------------------------------------------------------


def profile_cold(
    args: argparse.Namespace, sites: Path, server: ServerProcess, work: Path, out: Path
) -> dict[str, object]:
    """One cold fetch under py-spy (all threads, idle included), folded stacks to `out`.

    Two views of the same samples: wall (every thread's samples, sleeping included: where the
    threads wait) and CPU (samples whose innermost frame is not a known wait).
    """
    specs, _ = sitegen.load(sites)
    sources = [
        {"name": spec.name, "feed": f"{base}/rss.xml", "site": f"{base}/", "_items": spec.items}
        for spec, base in zip(specs, server.bases, strict=True)
    ]
    site = work / "profile" / "site"
    site.mkdir(parents=True)
    write_site(site, sources, plugin=True, overrides=args.overrides)
    sitegen.reset_feeds(sites)
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    cmd = [
        spy, "record", "--idle", "--threads", "--subprocesses", "--rate", str(args.profile_rate),
        "--format", "raw",
        "--output", str(out), "--",
        sys.executable, "-m", "digest", "fetch", "--settings", "pelicanconf.py", "--quiet",
    ]  # fmt: skip
    say("profile: cold fetch under py-spy ...")
    measure = run_child(cmd, site, child_env(fetch=True), args.fetch_timeout, work / "spy.log")
    say(f"profile: {measure.wall_s:.1f} s")
    return {**asdict(measure), **fold(out, args.profile_rate)}


# Innermost frames that mean "waiting"; what for is told by the nearest frame that says so.
# Anything else counts as working (running, or ready to run: py-spy's raw output does not mark
# idle samples, and a thread waiting for the GIL looks busy too, so "working" overstates CPU
# on a machine with fewer cores than threads).
BLOCKING = (
    "Condition.wait (",
    "Lock.acquire",
    "_wait_for_tstate_lock",
    "sleep",
    "acquire (",
    "ThreadLock.__enter__ (",  # httpcore's connection-pool lock (profiles made with httpx)
)
WAIT_OWNERS = (
    ("HostGate.slot (", "host gate: waiting for a per-host slot"),
    ("robots_allow (", "robots.txt: waiting for the host's first fetch"),
    ("Future.result (", "waiting for a worker's result"),
    ("ConnectionPool.", "HTTP connection pool: waiting for its lock"),
    ("_worker (concurrent", "idle: pool worker waiting for a job"),
)
PLUMBING = (
    "threading.py",
    "concurrent/futures/thread.py",
    "contextlib.py",
    "thread (",
    "<frozen runpy>",
    "digest/__main__.py",
)


def wait_kind(frames: list[str]) -> str:
    """What a sample's thread was waiting for, from its frames (innermost last), or "working"."""
    leaf = frames[-1]
    if "SyncStream.read (" in leaf or "SyncStream.write (" in leaf:
        return "network: socket read/write"
    if "HostGate.slot (" in leaf:
        return "host gate: sleeping out DIGEST_HOST_DELAY"
    if "_worker (concurrent" in leaf:
        return "idle: pool worker waiting for a job"
    if not any(mark in leaf for mark in BLOCKING):
        return "working"
    for frame in reversed(frames[:-1]):
        for mark, kind in WAIT_OWNERS:
            if mark in frame:
                return kind
    return "other wait"


def fold(path: Path, rate: int, top: int = 10) -> dict[str, object]:
    """Top functions by inclusive and self samples, from py-spy's raw (folded) output."""
    wall: Counter[str] = Counter()
    busy: Counter[str] = Counter()
    leaves: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not count_text.isdigit():
            continue
        count = int(count_text)
        frames = stack.split(";")
        role = "main" if "MainThread" in frames[0] else "workers"
        kind = wait_kind(frames)  # before the plumbing goes: a wait is often in it
        frames = [f for f in frames[1:] if not any(p in f for p in PLUMBING)] or frames[-1:]
        names = list(dict.fromkeys(_function(f) for f in frames))
        kinds[f"{role}: {kind}"] += count
        wall.update(dict.fromkeys(names, count))
        if kind == "working":
            busy.update(dict.fromkeys(names, count))
            leaves[_function(frames[-1])] += count

    def table(counter: Counter[str], working_only: bool) -> list[dict[str, object]]:
        total = sum(n for k, n in kinds.items() if k.endswith(": working") or not working_only)
        return [
            {"function": name, "seconds": round(n / rate, 1), "share": round(n / total, 3)}
            for name, n in counter.most_common(top)
        ]

    return {
        "rate": rate,
        "thread_seconds": {k: round(n / rate, 1) for k, n in sorted(kinds.items())},
        "top_wall": table(wall, working_only=False),
        "top_working": table(busy, working_only=True),
        "top_self": table(leaves, working_only=True),
    }


def _function(frame: str) -> str:
    """ "name (path/to/module.py:123)" as "name (module.py)": one entry per function."""
    name, _, where = frame.partition(" (")
    file = where.rsplit(":", 1)[0].rstrip(")")
    return f"{name} ({'/'.join(Path(file).parts[-2:])})"


def print_profile(profile: dict[str, object]) -> str:
    """The profile's tables as markdown."""
    lines = [
        f"### Cold fetch under py-spy ({profile['wall_s']:.0f} s wall, {profile['cpu_s']:.0f} s "
        "CPU): thread-seconds by what the innermost frame was doing",
        "",
        "| thread: state | thread-seconds |",
        "| --- | --- |",
    ]
    for kind, seconds in profile["thread_seconds"].items():  # type: ignore[union-attr]
        lines.append(f"| {kind} | {seconds} |")
    lines.append("")
    titles = (
        ("top_working", "working samples (not waiting), top 10 by inclusive time"),
        ("top_self", "working samples, top 10 by self time"),
        ("top_wall", "all samples of all threads (waits included), top 10 by inclusive time"),
    )
    for key, title in titles:
        lines += [
            f"#### {title}",
            "",
            "| function | thread-seconds | share |",
            "| --- | --- | --- |",
        ]
        for row in profile[key]:  # type: ignore[union-attr]
            lines.append(f"| `{row['function']}` | {row['seconds']} | {row['share']:.1%} |")
        lines.append("")
    lines.append(
        "Shares are of the working thread-seconds (the first two tables) or of all thread-seconds "
        "(the last one)."
    )
    return "\n".join(lines) + "\n"


# -- main ----------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=int, default=50)
    parser.add_argument("--articles", type=int, default=20, help="articles per source")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per response")
    parser.add_argument("--repeat", type=int, default=3, help="rounds; figures are medians")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path, help="write every figure here")
    parser.add_argument("--markdown", type=Path, help="write the tables here")
    parser.add_argument("--sites", type=Path, help="generate into (or reuse) this folder")
    parser.add_argument("--keep", action="store_true", help="keep the temporary sites")
    parser.add_argument(
        "--live",
        action="store_true",
        help="use the repository's plugin and theme in place, not a copy taken at the start",
    )
    parser.add_argument("--no-gzip", action="store_true", help="the server never compresses")
    parser.add_argument("--fetch-timeout", type=float, default=3600.0, help="seconds per fetch")
    parser.add_argument("--build-timeout", type=float, default=1800.0, help="seconds per build")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a Pelican or DIGEST_* setting for the sites under test (a Python literal), "
        "e.g. --set DIGEST_HOST_DELAY=0; said in the results",
    )
    parser.add_argument(
        "--profile", type=Path, help="also profile one cold fetch with py-spy; folded stacks here"
    )
    parser.add_argument("--profile-only", action="store_true", help="only the profile run")
    parser.add_argument(
        "--memory-only",
        action="store_true",
        help="only the cold fetch and the full build (for the 5,000-article memory figures)",
    )
    parser.add_argument("--profile-rate", type=int, default=50, help="py-spy samples per second")
    args = parser.parse_args(argv)
    import ast

    args.overrides = {}
    for item in args.set:
        name, _, value = item.partition("=")
        args.overrides[name.strip()] = ast.literal_eval(value.strip())
    return args


def prepare_sites(args: argparse.Namespace, work: Path) -> tuple[Path, dict[str, object]]:
    """The generated sites: reused from --sites when they match, else generated anew."""
    sites = args.sites or work / "sites"
    spec = sites / sitegen.SPEC_FILE
    if spec.exists():
        specs, meta = sitegen.load(sites)
        if (
            len(specs) == args.sources
            and meta["articles_per_source"] == args.articles
            and meta["seed"] == args.seed
        ):
            say(f"reusing the sites in {sites}")
            return sites, {
                "sources": args.sources,
                "articles": args.sources * args.articles,
                **meta,
            }
        shutil.rmtree(sites)
    say(f"generating {args.sources} x {args.articles} articles in {sites} ...")
    started = time.perf_counter()
    info = sitegen.generate(sites, args.sources, args.articles, args.seed)
    say(f"generated in {time.perf_counter() - started:.1f} s")
    return sites, info


def report(result: dict[str, object], args: argparse.Namespace, final: bool) -> str:
    """Summarize what was measured so far and write the JSON and markdown files."""
    rounds: list[dict[str, object]] = result["rounds"]  # type: ignore[assignment]
    table = ""
    if rounds:
        result["summary"] = summarize(rounds)
        result["verdicts"] = verdicts(result["summary"], args.sources * args.articles)  # type: ignore[arg-type]
        table = markdown(result)
        if not final:
            table += f"\n(partial: {len(rounds)} of {args.repeat} rounds so far)\n"
    for failure in result.get("failures", []):  # type: ignore[attr-defined]
        tail = "\n".join(failure["log_tail"][-25:])
        table += f"\n## Failed: {failure['error']}\n\nThe step's output, last lines:\n\n"
        table += f"```\n{tail}\n```\n"
    if "profile" in result:
        cfg, profile = result["config"], result["profile"]
        table += (
            f"\n## Cold fetch profile: {cfg['sources']} x {cfg['articles']}, "  # type: ignore[index]
            f"{cfg['latency'] * 1000:.0f} ms, plugin hash {cfg['plugin_hash']}, "  # type: ignore[index]
            f"load {profile['load_before']:.1f}, exit {profile['returncode']}, "  # type: ignore[index]
            f"peak RSS {profile['peak_rss_mb']:.0f} MB\n\n" + print_profile(profile)  # type: ignore[index]  # type: ignore[arg-type]
        )
    if args.markdown and table:
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text(table, encoding="utf-8")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=1, default=str), encoding="utf-8")
    return table


def main(argv: list[str] | None = None) -> int:
    """Generate, serve, measure, summarize."""
    args = parse_args(argv)
    global SOURCE
    work = Path(tempfile.mkdtemp(prefix="digest-scale-"))
    say(f"work folder {work}")
    if not args.live:
        SOURCE = snapshot_repo(work)
    sites, site_info = prepare_sites(args, work)
    result: dict[str, object] = {
        "config": {
            "sources": args.sources,
            "articles": args.articles,
            "latency": args.latency,
            "repeat": args.repeat,
            "seed": args.seed,
            "gzip": not args.no_gzip,
            "overrides": args.overrides,
            "cache_settings": CACHE_SETTINGS,
            "code": "repository, in place"
            if args.live
            else "a copy of the repository's "
            "pelicanconf.py, plugins/, theme/ and content/pages/ taken at the start",
            "commit": git_head(),
            "plugin_hash": code_hash(SOURCE / "plugins"),
            "site": site_info,
        },
        "machine": f"{platform.python_implementation()} {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, {platform.system()} {platform.release()}",
        "rounds": [],
    }
    try:
        with ServerProcess(sites, args.latency, use_gzip=not args.no_gzip) as server:
            if not args.profile_only:
                for index in range(args.repeat):
                    try:
                        result["rounds"].append(run_round(index, args, sites, server, work))  # type: ignore[union-attr]
                    except StepFailed as err:
                        say(f"round {index + 1} stopped: {err}")
                        result.setdefault("failures", []).append(err.detail)  # type: ignore[union-attr]
                        args.keep = True  # the failed round's site stays, to look into
                    report(result, args, final=False)  # a stopped run keeps what it measured
            if args.profile:
                args.profile = args.profile.resolve()
                args.profile.parent.mkdir(parents=True, exist_ok=True)
                result["profile"] = profile_cold(args, sites, server, work, args.profile)
        print(report(result, args, final=True))
    finally:
        if args.keep:
            say(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0 if result["rounds"] or args.profile_only else 1


if __name__ == "__main__":
    sys.exit(main())
