"""The scale benchmark's web: the generated sites on 127.0.0.1, one port (one host) per source.

It runs in a process of its own (`python benchmarks/server.py ROOT`, or ServerProcess from the
benchmark), so serving never competes for the measured process's GIL. Every response waits
`latency` seconds first (the round trip and server time of a real site), ETags are content
hashes and If-None-Match gets a 304, text is gzipped when asked, and each request is counted
by kind (feed, article, image, robots, other), status, source and path, with the body bytes
sent. A control port (no latency) answers GET /stats and GET /reset with JSON.

Every file's body is prepared when the server starts (address filled in, hashed, gzipped) and
again only when the file changes, as a server with precompressed files would. On the real web
the server's work happens on another machine; here it shares the 2 cores with what is measured,
so it is kept small, and the CPU seconds it did use are reported with the counts.

Only loopback addresses are served: the benchmark never touches the network.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType

LOOPBACK = "127.0.0.1"
BASE = "__BASE__"  # sitegen.BASE: written where the server's address belongs
TYPES = {
    ".xml": "application/rss+xml; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".png": "image/png",
    ".svg": "image/svg+xml",
}
TEXT = (".xml", ".html", ".txt", ".svg")


def kind_of(path: str) -> str:
    """What a request is for, by path: the benchmark's checks count articles apart."""
    if path.endswith(".xml"):
        return "feed"
    if path == "/robots.txt":
        return "robots"
    if path.startswith("/articles/"):
        return "article"
    if path.startswith("/img/"):
        return "image"
    return "other"


class Counters:
    """Requests and bytes, by kind, status, source and path; shared by every handler thread."""

    def __init__(self, sources: int) -> None:
        self.lock = threading.Lock()
        self.sources = sources
        self.reset()

    def reset(self) -> None:
        """Start counting from zero (between the benchmark's steps)."""
        self.requests = 0
        self.bytes = 0  # body bytes on the wire (after gzip)
        self.raw_bytes = 0  # body bytes before gzip
        self.kinds: Counter[str] = Counter()
        self.kind_bytes: Counter[str] = Counter()
        self.statuses: Counter[str] = Counter()
        self.kind_statuses: Counter[str] = Counter()
        self.per_source = [0] * self.sources
        # first and last start of each source's requests other than its feed: its busy span
        self.spans: list[list[float]] = [[] for _ in range(self.sources)]
        self.paths: Counter[str] = Counter()
        self.active = 0
        self.most_active = 0
        self.cpu_at_reset = time.process_time()

    def add(self, source: int, path: str, status: int, sent: int, raw: int, started: float) -> None:
        """Count one answered request; `started` (monotonic) dates each source's busy span."""
        kind = kind_of(path)
        with self.lock:
            span = self.spans[source]
            if kind != "feed" and span:
                span[0], span[1] = min(span[0], started), max(span[1], started)
            elif kind != "feed":
                span.extend((started, started))
            self.requests += 1
            self.bytes += sent
            self.raw_bytes += raw
            self.kinds[kind] += 1
            self.kind_bytes[kind] += sent
            self.statuses[str(status)] += 1
            self.kind_statuses[f"{kind}:{status}"] += 1
            self.per_source[source] += 1
            self.paths[f"{source}:{path}"] += 1

    def snapshot(self, paths: bool) -> dict[str, object]:
        """The counts as JSON-ready data."""
        with self.lock:
            data: dict[str, object] = {
                "requests": self.requests,
                "bytes": self.bytes,
                "raw_bytes": self.raw_bytes,
                "kinds": dict(self.kinds),
                "kind_bytes": dict(self.kind_bytes),
                "statuses": dict(self.statuses),
                "kind_statuses": dict(self.kind_statuses),
                "per_source": list(self.per_source),
                "spans": [list(span) for span in self.spans],
                "now": time.monotonic(),
                "most_active": self.most_active,
                "cpu_seconds": round(time.process_time() - self.cpu_at_reset, 3),
            }
            if paths:
                data["paths"] = dict(self.paths)
            return data


@dataclass(frozen=True)
class Body:
    """A file as served: its bytes with the address filled in (not kept once gzipped), their
    size and ETag, and the gzipped bytes."""

    data: bytes | None
    size: int
    etag: str
    mtime: float
    gzipped: bytes | None


class Bodies:
    """Prepared bodies by path, each kept until its file's mtime or size changes."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.lock = threading.Lock()
        self.kept: dict[Path, tuple[tuple[int, int], Body]] = {}

    def get(self, target: Path, use_gzip: bool) -> Body:
        """The body of target, prepared on first use or after the file changed."""
        stat = target.stat()
        stamp = (stat.st_mtime_ns, stat.st_size)
        with self.lock:
            kept = self.kept.get(target)
        if kept and kept[0] == stamp:
            return kept[1]
        data = self.read(target)
        gzipped = None
        if use_gzip and target.suffix in TEXT:
            gzipped = gzip.compress(data, compresslevel=6, mtime=0)
        body = Body(
            data=None if gzipped else data,
            size=len(data),
            etag='"' + hashlib.sha1(data).hexdigest()[:20] + '"',
            mtime=stat.st_mtime,
            gzipped=gzipped,
        )
        with self.lock:
            self.kept[target] = (stamp, body)
        return body

    def read(self, target: Path) -> bytes:
        """The file's bytes, with the server's address where the generator left a placeholder."""
        data = target.read_bytes()
        if target.suffix in TEXT:
            data = data.replace(BASE.encode(), self.base.encode())
        return data


def make_site_handler(
    folder: Path, source: int, bodies: Bodies, counters: Counters, latency: float, use_gzip: bool
) -> type[BaseHTTPRequestHandler]:
    """A handler class serving one source's folder as its own host."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as real servers and urllib3's pools expect

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0].split("#", 1)[0]
            started = time.monotonic()
            with counters.lock:
                counters.active += 1
                counters.most_active = max(counters.most_active, counters.active)
            try:
                status, sent, raw = self.answer(path)
            finally:
                with counters.lock:
                    counters.active -= 1
            counters.add(source, path, status, sent, raw, started)

        def answer(self, path: str) -> tuple[int, int, int]:
            time.sleep(latency)
            target = (folder / path.lstrip("/")).resolve()
            if target.is_dir():
                target = target / "index.html"
            if folder not in target.parents or not target.is_file():
                return self.send(404, b"not found", {"Content-Type": "text/plain"}), 9, 9
            body = bodies.get(target, use_gzip)
            headers = {
                "Content-Type": TYPES.get(target.suffix, "application/octet-stream"),
                "ETag": body.etag,
                "Last-Modified": formatdate(body.mtime, usegmt=True),
                "Cache-Control": "max-age=60",
            }
            if self.not_modified(body.etag, body.mtime):
                return self.send(304, b"", headers), 0, 0
            if body.gzipped is not None and "gzip" in self.headers.get("Accept-Encoding", ""):
                data = body.gzipped
                headers["Content-Encoding"] = "gzip"
                headers["Vary"] = "Accept-Encoding"
            else:
                data = body.data if body.data is not None else bodies.read(target)
            return self.send(200, data, headers), len(data), body.size

        def not_modified(self, etag: str, mtime: float) -> bool:
            """If-None-Match wins; If-Modified-Since is asked only without it (RFC 9110)."""
            match = self.headers.get("If-None-Match")
            if match is not None:
                return etag in [tag.strip() for tag in match.split(",")] or match.strip() == "*"
            since = self.headers.get("If-Modified-Since")
            if since:
                try:
                    return int(mtime) <= parsedate_to_datetime(since).timestamp()
                except (TypeError, ValueError):
                    return False
            return False

        def send(self, status: int, body: bytes, headers: dict[str, str]) -> int:
            try:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                if status != 304:
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if status != 304:
                    self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client went away: nothing more to say
            return status

        def log_message(self, *args: object) -> None:
            pass

    return Handler


def make_control_handler(counters: Counters) -> type[BaseHTTPRequestHandler]:
    """GET /stats[?paths=1] and GET /reset, answered at once, not counted."""

    class Control(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path.startswith("/reset"):
                counters.reset()
                body = b'{"reset": true}'
            elif self.path.startswith("/stats"):
                body = json.dumps(counters.snapshot("paths=1" in self.path)).encode()
            else:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    return Control


def serve(root: Path, latency: float, use_gzip: bool) -> None:
    """Serve every source folder of root (sNNNN, as sitegen writes them) until stopped."""
    folders = sorted(p for p in root.iterdir() if p.is_dir() and p.name.startswith("s"))
    counters = Counters(len(folders))
    servers: list[ThreadingHTTPServer] = []
    for index, folder in enumerate(folders):
        httpd = ThreadingHTTPServer((LOOPBACK, 0), BaseHTTPRequestHandler)
        bodies = Bodies(f"http://{LOOPBACK}:{httpd.server_address[1]}")
        for path in folder.resolve().rglob("*"):
            if path.is_file():
                bodies.get(path, use_gzip)
        httpd.RequestHandlerClass = make_site_handler(
            folder.resolve(), index, bodies, counters, latency, use_gzip
        )
        httpd.daemon_threads = True
        servers.append(httpd)
    control = ThreadingHTTPServer((LOOPBACK, 0), make_control_handler(counters))
    control.daemon_threads = True
    for httpd in [*servers, control]:
        thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.5}, daemon=True
        )
        thread.start()
    ready = {
        "control": f"http://{LOOPBACK}:{control.server_address[1]}",
        "bases": [f"http://{LOOPBACK}:{s.server_address[1]}" for s in servers],
        "folders": [f.name for f in folders],
        "latency": latency,
        "gzip": use_gzip,
    }
    print(json.dumps(ready), flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()


class ServerProcess:
    """The server in a child process, for the benchmark: start, read counters, stop."""

    def __init__(self, root: Path, latency: float = 0.05, use_gzip: bool = True) -> None:
        cmd = [sys.executable, str(Path(__file__).resolve()), str(root), "--latency", str(latency)]
        if not use_gzip:
            cmd.append("--no-gzip")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline() if self.proc.stdout else ""
        if not line:
            self.proc.kill()
            raise RuntimeError("the benchmark server did not start")
        info = json.loads(line)
        self.control: str = info["control"]
        self.bases: list[str] = info["bases"]
        self.latency: float = info["latency"]
        # No proxy, whatever the environment says: these are loopback addresses.
        self.opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def stats(self, paths: bool = False) -> dict:
        """The counters since the last reset."""
        url = f"{self.control}/stats" + ("?paths=1" if paths else "")
        with self.opener.open(url, timeout=30) as response:
            return json.loads(response.read())

    def reset(self) -> None:
        """Zero the counters."""
        with self.opener.open(f"{self.control}/reset", timeout=30) as response:
            response.read()

    def stop(self) -> None:
        """End the server process."""
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()


def main() -> None:
    """Serve a folder of generated sites; prints one JSON line with the addresses when ready."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path, help="the folder sitegen.py wrote")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds added per response")
    parser.add_argument("--no-gzip", action="store_true", help="never compress")
    args = parser.parse_args()
    serve(args.root.resolve(), args.latency, not args.no_gzip)


if __name__ == "__main__":
    main()
