"""fetch against a real server on 127.0.0.1: headers, redirects, caps, timeouts, 304s."""

from __future__ import annotations

import gzip
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from digest.errors import FetchError
from digest.fetch import HostGate, RetryPolicy, fetch_url, make_client

from .conftest import LoopbackServer, Route


def test_get_sends_the_digest_user_agent(server: LoopbackServer) -> None:
    server.routes["/a"] = Route(b"hello", headers={"Content-Type": "text/plain", "ETag": '"e1"'})
    with make_client("Digest/0.1 (test)") as client:
        response = fetch_url(client, f"{server.url}/a")
    assert response.content == b"hello"
    assert response.etag == '"e1"'
    assert server.requests[0][1]["User-Agent"] == "Digest/0.1 (test)"


def test_conditional_get_is_answered_304(server: LoopbackServer) -> None:
    server.routes["/feed"] = Route(b"<rss/>", headers={"ETag": '"v7"'})
    with make_client("t") as client:
        response = fetch_url(client, f"{server.url}/feed", etag='"v7"')
    assert response.not_modified
    assert response.content == b""


def test_redirects_are_followed_and_capped(server: LoopbackServer) -> None:
    server.routes["/old"] = Route(status=301, headers={"Location": "/new"})
    server.routes["/new"] = Route(b"moved here")
    server.routes["/loop"] = Route(status=302, headers={"Location": "/loop"})
    with make_client("t", max_redirects=3) as client:
        response = fetch_url(client, f"{server.url}/old")
        assert response.url.endswith("/new")
        assert response.content == b"moved here"
        with pytest.raises(FetchError, match="too many redirects"):
            fetch_url(client, f"{server.url}/loop")


def test_http_errors_carry_the_status_and_url(server: LoopbackServer) -> None:
    with make_client("t") as client, pytest.raises(FetchError) as caught:
        fetch_url(client, f"{server.url}/missing")
    assert caught.value.status == 404
    assert caught.value.url.endswith("/missing")


def test_size_cap_stops_large_responses(server: LoopbackServer) -> None:
    server.routes["/big"] = Route(b"x" * 5000)
    with make_client("t") as client, pytest.raises(FetchError, match="cap"):
        fetch_url(client, f"{server.url}/big", max_bytes=1000)


def test_slow_server_times_out(server: LoopbackServer) -> None:
    server.routes["/slow"] = Route(b"late", delay=1.0)
    with make_client("t", timeout=0.2) as client, pytest.raises(FetchError, match="timed out"):
        fetch_url(client, f"{server.url}/slow")


def test_mirrors_and_file_urls_are_read_from_disk(tmp_path: Path) -> None:
    (tmp_path / "site" / "news").mkdir(parents=True)
    (tmp_path / "site" / "index.html").write_text("home")
    (tmp_path / "site" / "news" / "a.html").write_text("story")
    (tmp_path / "secret.txt").write_text("outside")
    (tmp_path / "feed.xml").write_text("<rss/>")
    mirrors = {"https://offline.example/": tmp_path / "site"}
    allowed = frozenset([(tmp_path / "feed.xml").as_uri()])
    with make_client("t", mirrors=mirrors, local_files=allowed) as client:
        assert fetch_url(client, "https://offline.example/news/a.html").content == b"story"
        assert fetch_url(client, "https://offline.example/").content == b"home"
        assert fetch_url(client, (tmp_path / "feed.xml").as_uri()).content == b"<rss/>"
        with pytest.raises(FetchError) as caught:
            fetch_url(client, "https://offline.example/../secret.txt")
        assert caught.value.status == 404
        # Any other file, asked for directly or through a link, is refused.
        with pytest.raises(FetchError) as caught:
            fetch_url(client, (tmp_path / "secret.txt").as_uri())
        assert caught.value.status == 403


def test_the_loopback_guard_refuses_other_addresses() -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        with pytest.raises(AssertionError, match="only loopback"):
            sock.connect(("192.0.2.10", 80))
    finally:
        sock.close()


def test_server_errors_and_429_are_retried_honouring_retry_after(server: LoopbackServer) -> None:
    server.queued["/flaky"] = [
        Route(status=503),
        Route(status=429, headers={"Retry-After": "7"}),
    ]
    server.routes["/flaky"] = Route(b"third time")
    waits: list[float] = []
    with make_client("t") as client:
        response = fetch_url(
            client,
            f"{server.url}/flaky",
            policy=RetryPolicy(retries=3, backoff=0.5),
            sleep=waits.append,
        )
    assert response.content == b"third time"
    assert waits == [0.5, 7.0]


def test_retries_give_up_after_the_policy(server: LoopbackServer) -> None:
    server.routes["/down"] = Route(status=502)
    waits: list[float] = []
    with make_client("t") as client, pytest.raises(FetchError) as caught:
        fetch_url(client, f"{server.url}/down", policy=RetryPolicy(2, 1.0), sleep=waits.append)
    assert caught.value.status == 502
    assert waits == [1.0, 2.0]
    assert server.paths().count("/down") == 3


@pytest.mark.parametrize("status", [403, 404, 410])
def test_other_client_errors_are_not_retried(server: LoopbackServer, status: int) -> None:
    server.routes["/no"] = Route(status=status)
    with make_client("t") as client, pytest.raises(FetchError) as caught:
        fetch_url(client, f"{server.url}/no", policy=RetryPolicy(3, 0.0), sleep=lambda _: None)
    assert server.paths() == ["/no"]
    assert caught.value.gone is (status == 410)


def test_per_source_user_agent_overrides_the_default(server: LoopbackServer) -> None:
    server.routes["/a"] = Route(b"x")
    with make_client("Digest/0.1") as client:
        fetch_url(client, f"{server.url}/a", user_agent="Digest/0.1 (+https://club.example)")
    assert server.requests[0][1]["User-Agent"] == "Digest/0.1 (+https://club.example)"


def test_gzip_bodies_are_decompressed_and_capped_after_decompression(
    server: LoopbackServer,
) -> None:
    body = gzip.compress(b"a" * 50_000)
    server.routes["/z"] = Route(body, headers={"Content-Encoding": "gzip"})
    with make_client("t") as client:
        assert fetch_url(client, f"{server.url}/z").content == b"a" * 50_000
        with pytest.raises(FetchError, match="cap"):
            fetch_url(client, f"{server.url}/z", max_bytes=10_000)


def test_host_gate_bounds_concurrency_per_host(server: LoopbackServer) -> None:
    for n in range(6):
        server.routes[f"/p{n}"] = Route(b"x", delay=0.2)
    gate = HostGate(per_host=2)
    with make_client("t") as client, ThreadPoolExecutor(6) as pool:
        list(pool.map(lambda n: fetch_url(client, f"{server.url}/p{n}", gate=gate), range(6)))
    assert server.most_active == 2


def test_host_gate_spaces_request_starts() -> None:
    gate = HostGate(per_host=4, delay=0.05)
    starts: list[float] = []
    for _ in range(3):
        with gate.slot("https://slow.example/a"):
            starts.append(time.monotonic())
    assert starts[2] - starts[0] >= 0.09
    with gate.slot("file:///tmp/x"):
        pass  # local URLs are never delayed


def test_host_gate_bounds_requests_in_flight_over_all_hosts() -> None:
    gate = HostGate(per_host=2, in_flight=3)
    lock = threading.Lock()
    active = [0, 0]  # now, most

    def request(n: int) -> None:
        with gate.slot(f"https://host{n}.example/a"):
            with lock:
                active[0] += 1
                active[1] = max(active[1], active[0])
            time.sleep(0.05)
            with lock:
                active[0] -= 1

    with ThreadPoolExecutor(12) as pool:
        list(pool.map(request, range(12)))
    assert active[1] == 3


def test_a_thread_waiting_out_a_host_delay_holds_no_overall_slot() -> None:
    """One request in flight at most, one host slow to be asked again: another host's request
    goes while the first host's delay runs, and the delay itself is still kept."""
    gate = HostGate(per_host=1, delay=0.4, in_flight=1)
    starts: dict[str, float] = {}
    first_done = threading.Event()

    def slow_host() -> None:
        with gate.slot("https://slow.example/1"):
            starts["slow 1"] = time.monotonic()
        first_done.set()
        with gate.slot("https://slow.example/2"):
            starts["slow 2"] = time.monotonic()

    def other_host() -> None:
        first_done.wait()
        time.sleep(0.05)  # the slow host's thread is asleep in its delay by now
        with gate.slot("https://other.example/1"):
            starts["other"] = time.monotonic()

    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda job: job(), (slow_host, other_host)))
    assert starts["other"] < starts["slow 2"]
    assert starts["slow 2"] - starts["slow 1"] >= 0.39


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:1/\x01page", "http://127.0.0.1:1/a\x7f", "http://[::1/"],
)
def test_unusable_urls_are_fetch_errors_naming_them(url: str) -> None:
    """Refused before any request, as errors of their own (F1)."""
    with make_client("Digest-test/1.0") as client, pytest.raises(FetchError) as caught:
        fetch_url(client, url)
    assert caught.value.url == url and "not a URL that can be fetched" in str(caught.value)


def test_the_environment_proxy_is_used_unless_no_proxy_names_the_host(
    server: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The loopback server stands in for a proxy: a proxied GET asks it for the whole URL."""
    server.routes["http://news.example/a"] = Route(b"through the proxy")
    server.routes["/b"] = Route(b"direct")
    monkeypatch.setenv("http_proxy", server.url)
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    with make_client("t") as client:
        assert fetch_url(client, "http://news.example/a").content == b"through the proxy"
        assert fetch_url(client, f"{server.url}/b").content == b"direct"
    assert server.paths() == ["http://news.example/a", "/b"]


def test_an_unusable_proxy_setting_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("https_proxy", "socks9://127.0.0.1:1")
    with pytest.raises(FetchError, match="https_proxy set in the environment"):
        make_client("t")


@pytest.mark.parametrize("location", ["ftp://127.0.0.1/file", "javascript:alert(1)"])
def test_redirects_to_other_schemes_are_refused(server: LoopbackServer, location: str) -> None:
    server.routes["/away"] = Route(status=302, headers={"Location": location})
    with make_client("t") as client, pytest.raises(FetchError, match="not a URL that can be"):
        fetch_url(client, f"{server.url}/away")


def test_connections_are_kept_alive_between_requests(server: LoopbackServer) -> None:
    server.routes["/a"] = Route(b"one")
    server.routes["/r"] = Route(status=301, headers={"Location": "/a"})
    server.routes["/gone"] = Route(b"no such page", status=404)
    with make_client("t") as client:
        for path in ("/a", "/r", "/a"):
            fetch_url(client, f"{server.url}{path}")
        with pytest.raises(FetchError):
            fetch_url(client, f"{server.url}/gone")
        fetch_url(client, f"{server.url}/a")
    assert server.connections == 1


TLS = Path(__file__).resolve().parents[1] / "fixtures" / "tls"


@pytest.fixture
def https_url() -> Iterator[str]:
    """An HTTPS server on 127.0.0.1 with the self-signed certificate of fixtures/tls."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", "6")
            self.end_headers()
            self.wfile.write(b"secret")

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(TLS / "loopback.pem", TLS / "loopback.key")
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield f"https://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_https_is_verified_against_the_trusted_certificates(
    https_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """certifi's set by default, so a self-signed certificate is refused, once, not retried;
    SSL_CERT_FILE names the certificates to trust instead (a proxy that re-signs HTTPS)."""
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    with make_client("t") as client, pytest.raises(FetchError) as caught:
        fetch_url(client, f"{https_url}/a", policy=RetryPolicy(3, 0.0), sleep=lambda _: None)
    assert "secure connection" in str(caught.value) and not caught.value.retriable
    monkeypatch.setenv("SSL_CERT_FILE", str(TLS / "loopback.pem"))
    with make_client("t") as client:
        assert fetch_url(client, f"{https_url}/a").content == b"secret"
