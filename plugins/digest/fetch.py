"""The only step that touches the network: HTTP GETs with timeouts, size caps and redirects.

URLs under a configured mirror prefix (DIGEST_MIRRORS) and file:// URLs are read from disk
instead, through the same client, so the demo and the tests run offline.

urllib3 does the HTTP. A cold fetch is CPU-bound, and a GET through urllib3 costs about a third
of the CPU of one through httpx (0.9 against 2.6 ms, measured on the benchmark's pages).
"""

from __future__ import annotations

import io
import logging
import mimetypes
import os
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from types import TracebackType
from urllib.parse import unquote, urljoin, urlsplit
from urllib.request import getproxies_environment, proxy_bypass_environment, url2pathname

import certifi
import urllib3
from urllib3.exceptions import (
    DecodeError,
    HTTPError,
    LocationValueError,
    MaxRetryError,
    NewConnectionError,
    ProtocolError,
    ProxyError,
    SSLError,
)
from urllib3.exceptions import TimeoutError as Urllib3Timeout

from .errors import FetchError

log = logging.getLogger(__name__)

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
CHUNK_BYTES = 65_536
# A redirect's or an error's body is read (so its connection can serve the next request) up to
# this much; past it the connection is closed instead.
DISCARD_BYTES = 65_536
POOLS = 512  # hosts whose connections are kept: more than a run's sources and image hosts
CONNECTIONS_PER_HOST = 4  # kept idle per host; the host gate bounds those in use
_CONTROL_CHARACTER = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class Response:
    """What a fetch gives back: the bytes and the headers the later steps use."""

    url: str
    status: int
    content: bytes
    content_type: str = ""
    etag: str = ""
    last_modified: str = ""

    @property
    def not_modified(self) -> bool:
        """True when a conditional GET was answered 304: nothing new to read."""
        return self.status == 304


def _file_key(url: str) -> str:
    """A file URL's path, the same however its host part is written."""
    return url2pathname(urlsplit(url).path)


def local_path(url: str, mirrors: Mapping[str, Path]) -> Path | None:
    """The file a file:// or mirrored URL stands for; None for a URL of the network."""
    if url.startswith("file:"):
        return Path(url2pathname(urlsplit(url).path))
    for prefix, folder in sorted(mirrors.items(), key=lambda kv: -len(kv[0])):
        if url.startswith(prefix):
            rest = unquote(urlsplit(url).path[len(urlsplit(prefix).path) :])
            target = (folder / rest).resolve()
            if folder not in target.parents and target != folder:
                return folder / "__outside_the_mirror__"
            if target.is_dir() or url.split("?")[0].endswith("/"):
                target = target / "index.html"
            return target
    return None


def _answer(status: int, content: bytes, content_type: str = "text/plain") -> urllib3.HTTPResponse:
    """A response made here, read like one from the network."""
    return urllib3.HTTPResponse(
        body=io.BytesIO(content),
        headers={"Content-Type": content_type, "Content-Length": str(len(content))},
        status=status,
        preload_content=False,
    )


def _proxy_managers(
    pool_options: dict[str, object],
) -> tuple[dict[str, urllib3.ProxyManager], dict[str, str]]:
    """Proxy managers for the http_proxy, https_proxy and all_proxy of the environment (as curl
    and most HTTP clients honour them), and the environment's proxy settings for no_proxy."""
    environment = getproxies_environment()
    managers: dict[str, urllib3.ProxyManager] = {}
    for scheme in ("http", "https", "all"):
        address = environment.get(scheme, "")
        if not address:
            continue
        if "://" not in address:
            address = f"http://{address}"
        try:
            managers[scheme] = urllib3.proxy_from_url(address, **pool_options)
        except (HTTPError, ValueError) as err:
            raise FetchError(
                f"the {scheme}_proxy set in the environment ({address}) is not usable: {err}",
                address,
            ) from err
    return managers, environment


class Client:
    """One per run: kept-alive connections per host, gzip, the Digest User-Agent, the
    environment's proxies, and local URLs (mirrors, the allowed file:// feeds) read from disk.

    `local_files` are the file:// URLs the client may read (the configured file feeds); any
    other file:// URL, reached by a link or a redirect, is refused.
    """

    def __init__(
        self,
        user_agent: str,
        timeout: float = 20.0,
        max_redirects: int = 10,
        mirrors: Mapping[str, Path] | None = None,
        local_files: frozenset[str] = frozenset(),
    ) -> None:
        self.mirrors = dict(mirrors or {})
        self.local_files = frozenset(_file_key(url) for url in local_files)
        self.max_redirects = max_redirects
        self.headers = {"User-Agent": user_agent, "Accept-Encoding": "gzip, deflate"}
        pool_options: dict[str, object] = {
            "num_pools": POOLS,
            "maxsize": CONNECTIONS_PER_HOST,
            "timeout": urllib3.Timeout(connect=min(timeout, 10.0), read=timeout),
            # One more try for a connection that could not be made. A failed read and a 429 or
            # 5xx answer are the caller's to retry, with its policy's backoff.
            "retries": urllib3.Retry(
                total=1,
                connect=1,
                read=False,
                other=0,
                redirect=False,
                respect_retry_after_header=False,
            ),
            "ca_certs": os.environ.get("SSL_CERT_FILE") or certifi.where(),
            "ca_cert_dir": os.environ.get("SSL_CERT_DIR") or None,
        }
        self._direct = urllib3.PoolManager(**pool_options)  # type: ignore[arg-type]
        self._proxies, self._environment = _proxy_managers(pool_options)

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close every kept connection."""
        self._direct.clear()
        for manager in self._proxies.values():
            manager.clear()

    def _manager(self, url: str) -> urllib3.PoolManager:
        """The proxy's manager when the environment names one for this URL, else the direct one."""
        if self._proxies:
            parts = urlsplit(url)
            proxy = self._proxies.get(parts.scheme) or self._proxies.get("all")
            host = parts.hostname or ""
            if proxy is not None and not proxy_bypass_environment(host, self._environment):
                return proxy
        return self._direct

    def _get_one(self, url: str, headers: Mapping[str, str]) -> urllib3.BaseHTTPResponse:
        """One GET, no redirect followed; its body is still to be read."""
        # Only the configured file:// feeds are read: a feed's links or a redirect must never
        # publish the machine's own files.
        if url.startswith("file:") and _file_key(url) not in self.local_files:
            return _answer(403, b"file URLs are not fetched")
        path = local_path(url, self.mirrors)
        if path is not None:
            if not path.is_file():
                return _answer(404, b"not found")
            content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return _answer(200, path.read_bytes(), content_type)
        if _CONTROL_CHARACTER.search(url):
            raise LocationValueError("a control character in the URL")
        if urlsplit(url).scheme.lower() not in ("http", "https"):
            raise LocationValueError("only http, https and the configured file feeds are read")
        return self._manager(url).request(
            "GET",
            url,
            headers={**self.headers, **headers},
            redirect=False,
            preload_content=False,
        )

    @contextmanager
    def get(
        self, url: str, headers: Mapping[str, str]
    ) -> Iterator[tuple[str, urllib3.BaseHTTPResponse]]:
        """GET following redirects: the final URL and its response, whose body is to be read
        inside the block. The connection goes back to its pool afterwards (see _discard)."""
        for _ in range(self.max_redirects + 1):
            response = self._get_one(url, headers)
            location = response.headers.get("Location", "")
            if response.status in REDIRECT_STATUSES and location:
                _discard(response)
                url = urljoin(url, location.strip())
                continue
            try:
                yield url, response
            finally:
                _discard(response)
            return
        raise FetchError(f"too many redirects for {url}", url)


def _discard(response: urllib3.BaseHTTPResponse) -> None:
    """Read what is left of a body, so the connection can serve another request; a long rest
    closes the connection instead."""
    try:
        left = 0
        for chunk in response.stream(CHUNK_BYTES):
            left += len(chunk)
            if left > DISCARD_BYTES:
                response.close()
                break
    except HTTPError:
        response.close()
    finally:
        response.release_conn()


def make_client(
    user_agent: str,
    timeout: float = 20.0,
    max_redirects: int = 10,
    mirrors: Mapping[str, Path] | None = None,
    local_files: frozenset[str] = frozenset(),
) -> Client:
    """One client per run (see Client)."""
    return Client(user_agent, timeout, max_redirects, mirrors, local_files)


RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry a failed GET."""

    retries: int = 2
    backoff: float = 1.0
    max_wait: float = 60.0

    def wait(self, attempt: int, retry_after: float | None) -> float:
        """Seconds before the next try: the server's Retry-After, else exponential backoff."""
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.max_wait)
        return min(self.backoff * (2**attempt), self.max_wait)


NO_RETRY = RetryPolicy(retries=0)


class HostGate:
    """At most `per_host` requests at once to one host, `delay` seconds between their starts,
    and at most `in_flight` requests at once over all hosts (None: no overall bound).

    The overall bound is held only while a request is on the wire, never while a thread sleeps
    out a host's delay: a run can then keep more threads than requests in flight, and while
    some wait for their host's turn the others keep the network busy. Holding it through the
    sleep made a cold run of 50 hosts spend most of its time with every thread asleep.

    Local (mirrored or file://) URLs pass straight through: politeness is for servers.
    """

    def __init__(
        self,
        per_host: int = 2,
        delay: float = 0.0,
        mirrors: Mapping[str, Path] | None = None,
        in_flight: int | None = None,
    ) -> None:
        self.mirrors = dict(mirrors or {})
        self.per_host = max(1, per_host)
        self.delay = max(0.0, delay)
        self._lock = threading.Lock()
        self._slots: dict[str, threading.BoundedSemaphore] = {}
        self._next_start: dict[str, float] = {}
        self._in_flight = threading.BoundedSemaphore(max(1, in_flight)) if in_flight else None

    def _take_turn(self, host: str) -> bool:
        """Claim the host's next start if it is due now; False (claiming nothing) if not yet."""
        with self._lock:
            now = time.monotonic()
            if self._next_start.get(host, now) > now:
                return False
            self._next_start[host] = now + self.delay
            return True

    def _wait_turn(self, host: str) -> None:
        """Sleep until the host's next start is due (no overall slot is held meanwhile)."""
        with self._lock:
            due = self._next_start.get(host, 0.0) - time.monotonic()
        if due > 0:
            time.sleep(due)

    @contextmanager
    def slot(self, url: str) -> Iterator[None]:
        """Hold one of the host's slots, and one overall, for the duration of a request."""
        if local_path(url, self.mirrors) is not None:
            yield
            return
        host = urlsplit(url).netloc.lower()
        with self._lock:
            semaphore = self._slots.setdefault(host, threading.BoundedSemaphore(self.per_host))
        with semaphore:
            overall = self._in_flight
            while True:
                self._wait_turn(host)
                if overall is not None:
                    overall.acquire()
                if self._take_turn(host):
                    break
                if overall is not None:  # another request to the host started meanwhile
                    overall.release()
            try:
                yield
            finally:
                if overall is not None:
                    overall.release()


def _retry_after(value: str) -> float | None:
    """Retry-After as seconds: a number, or an HTTP date."""
    value = value.strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return (when - datetime.now(tz=UTC)).total_seconds()


def _get_once(client: Client, url: str, headers: dict[str, str], max_bytes: int) -> Response:
    """One GET; FetchError says whether a retry could help and how long the server asks to wait."""
    try:
        with client.get(url, headers) as (final_url, response):
            status = response.status
            if status == 304:
                return Response(
                    final_url,
                    304,
                    b"",
                    etag=headers.get("If-None-Match", ""),
                    last_modified=headers.get("If-Modified-Since", ""),
                )
            if status >= 400:
                reason = "gone (HTTP 410)" if status == 410 else f"HTTP {status}"
                raise FetchError(
                    f"{reason} for {url}",
                    url,
                    status,
                    retriable=status in RETRY_STATUSES,
                    retry_after=_retry_after(response.headers.get("Retry-After", "")),
                )
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise FetchError(f"{url} is {declared} bytes, over the {max_bytes} cap", url)
            chunks: list[bytes] = []
            size = 0
            for chunk in response.stream(CHUNK_BYTES):
                size += len(chunk)
                if size > max_bytes:
                    raise FetchError(f"{url} is over the {max_bytes} byte cap", url)
                chunks.append(chunk)
            return Response(
                url=final_url,
                status=status,
                content=b"".join(chunks),
                content_type=response.headers.get("Content-Type", ""),
                etag=response.headers.get("ETag", ""),
                last_modified=response.headers.get("Last-Modified", ""),
            )
    except (HTTPError, ValueError, UnicodeError) as err:
        raise _fetch_error(err, url) from err


def _fetch_error(err: Exception, url: str) -> FetchError:
    """The FetchError for what urllib3 (or a URL it could not take) raised."""
    reason: Exception = err
    if isinstance(err, MaxRetryError) and err.reason is not None:
        reason = err.reason
    if isinstance(reason, (LocationValueError, ValueError, UnicodeError)):
        # A bad port, an over-long host label or a control character: refused before any
        # request. One bad link costs its item.
        return FetchError(f"{url!r} is not a URL that can be fetched: {reason}", url)
    if isinstance(reason, SSLError):  # a certificate that does not verify stays so: no retry
        return FetchError(f"could not make a secure connection to {url}: {reason}", url)
    if isinstance(reason, (NewConnectionError, ProxyError, ProtocolError)):
        # Checked before timeouts: urllib3's NewConnectionError is also a ConnectTimeoutError.
        detail = str(reason).split(">: ", 1)[-1]  # without the connection object's repr
        return FetchError(f"could not connect to fetch {url}: {detail}", url, retriable=True)
    if isinstance(reason, Urllib3Timeout):
        return FetchError(f"timed out fetching {url}", url, retriable=True)
    if isinstance(reason, DecodeError):
        return FetchError(f"{url} sent a body that does not decompress: {reason}", url)
    return FetchError(f"could not fetch {url}: {reason}", url)


def fetch_url(
    client: Client,
    url: str,
    *,
    max_bytes: int = 10_000_000,
    etag: str = "",
    last_modified: str = "",
    accept: str = "*/*",
    user_agent: str = "",
    policy: RetryPolicy = NO_RETRY,
    gate: HostGate | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Response:
    """GET one URL, retrying timeouts, connection errors, 5xx and 429 as the policy says.

    A 304 answer comes back as a Response (not_modified); every other failure raises FetchError.
    """
    headers = {"Accept": accept}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    if user_agent:
        headers["User-Agent"] = user_agent
    attempt = 0
    while True:
        try:
            if gate is None:
                return _get_once(client, url, headers, max_bytes)
            with gate.slot(url):
                return _get_once(client, url, headers, max_bytes)
        except FetchError as err:
            if not err.retriable or attempt >= policy.retries:
                raise
            wait = policy.wait(attempt, err.retry_after)
            log.info("%s: %s; trying again in %.1f s", url, err, wait)
            sleep(wait)
            attempt += 1
