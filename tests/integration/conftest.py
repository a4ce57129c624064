"""A real HTTP server on 127.0.0.1, started in a thread, serving whatever a test routes to it."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@dataclass
class Route:
    """One canned answer: status, headers, body, and an optional delay before answering."""

    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


class LoopbackServer:
    """Routes by path; records each request's path and headers; answers ETag matches with 304.

    It keeps connections alive, as real servers do, and counts the connections made.
    """

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.queued: dict[str, list[Route]] = {}  # answered first, one per request
        self.active = 0
        self.most_active = 0
        self.connections = 0
        self.lock = threading.Lock()
        self.requests: list[tuple[str, dict[str, str]]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                with server.lock:
                    server.connections += 1

            def do_GET(self) -> None:
                with server.lock:
                    server.requests.append((self.path, dict(self.headers.items())))
                    path = self.path if self.path in server.routes else self.path.split("?")[0]
                    queue = server.queued.get(path)
                    route = queue.pop(0) if queue else server.routes.get(path)
                    server.active += 1
                    server.most_active = max(server.most_active, server.active)
                try:
                    self.answer(route)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client went away (a test killed it): nothing to answer
                finally:
                    with server.lock:
                        server.active -= 1

            def answer(self, route: Route | None) -> None:
                if route is None:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if route.delay:
                    time.sleep(route.delay)
                etag = route.headers.get("ETag")
                if etag and self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(route.status)
                for name, value in route.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(route.body)))
                self.end_headers()
                self.wfile.write(route.body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def paths(self) -> list[str]:
        """The paths requested so far, in order."""
        return [path for path, _ in self.requests]


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    """A fresh loopback server per test."""
    srv = LoopbackServer()
    srv.thread.start()
    yield srv
    srv.httpd.shutdown()
    srv.httpd.server_close()
