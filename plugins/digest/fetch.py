"""The only step that touches the network: HTTP GETs with timeouts, size caps and redirects.

URLs under a configured mirror prefix (DIGEST_MIRRORS) and file:// URLs are read from disk
instead, through the same client, so the demo and the tests run offline.
"""

from __future__ import annotations

import logging
import mimetypes
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

import httpx

from .errors import FetchError

log = logging.getLogger(__name__)


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


class LocalTransport(httpx.BaseTransport):
    """Serves file:// URLs and mirrored URL prefixes from disk; everything else goes on the wire."""

    def __init__(
        self,
        mirrors: Mapping[str, Path],
        network: httpx.BaseTransport,
        local_files: frozenset[str] = frozenset(),
    ) -> None:
        self.mirrors = dict(mirrors)
        self.network = network
        self.local_files = frozenset(_file_key(url) for url in local_files)

    def local_path(self, url: str) -> Path | None:
        """The file a URL stands for, or None when the URL is not local."""
        return local_path(url, self.mirrors)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Read the file behind a local URL, as an HTTP server would answer it."""
        url = str(request.url)
        if url.startswith("file:") and _file_key(url) not in self.local_files:
            # Only the configured file:// feeds are read: a feed's links or a redirect must
            # never publish the machine's own files.
            return httpx.Response(403, content=b"file URLs are not fetched", request=request)
        path = self.local_path(url)
        if path is None:
            return self.network.handle_request(request)
        if not path.is_file():
            return httpx.Response(404, content=b"not found", request=request)
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return httpx.Response(
            200, content=path.read_bytes(), headers={"content-type": content_type}, request=request
        )

    def close(self) -> None:
        """Close the network transport underneath."""
        self.network.close()


def make_client(
    user_agent: str,
    timeout: float = 20.0,
    max_redirects: int = 10,
    mirrors: Mapping[str, Path] | None = None,
    local_files: frozenset[str] = frozenset(),
) -> httpx.Client:
    """One client per run: connection reuse, compression and the Digest User-Agent.

    `local_files` are the file:// URLs the client may read (the configured file feeds); any
    other file:// URL, reached by a link or a redirect, is refused.
    """
    network = httpx.HTTPTransport(retries=1)
    return httpx.Client(
        transport=LocalTransport(mirrors or {}, network, local_files),
        headers={"User-Agent": user_agent, "Accept-Encoding": "gzip, deflate"},
        timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
        follow_redirects=True,
        max_redirects=max_redirects,
    )


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


def _get_once(client: httpx.Client, url: str, headers: dict[str, str], max_bytes: int) -> Response:
    """One GET; FetchError says whether a retry could help and how long the server asks to wait."""
    request_url = url
    if url.startswith("file:///"):
        request_url = "file://localhost/" + url[len("file:///") :]  # httpx drops a host-less scheme
    try:
        with client.stream("GET", request_url, headers=headers) as response:
            status = response.status_code
            if status == 304:
                return Response(
                    str(response.url),
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
                    retry_after=_retry_after(response.headers.get("retry-after", "")),
                )
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise FetchError(f"{url} is {declared} bytes, over the {max_bytes} cap", url)
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise FetchError(f"{url} is over the {max_bytes} byte cap", url)
                chunks.append(chunk)
            return Response(
                url=str(response.url).replace("file://localhost/", "file:///", 1),
                status=status,
                content=b"".join(chunks),
                content_type=response.headers.get("content-type", ""),
                etag=response.headers.get("etag", ""),
                last_modified=response.headers.get("last-modified", ""),
            )
    except (httpx.InvalidURL, ValueError, UnicodeError) as err:
        # A control character, a bad port or an over-long host label: httpx refuses the URL
        # before any request, with errors that are no HTTPError. One bad link costs its item.
        raise FetchError(f"{url!r} is not a URL that can be fetched: {err}", url) from err
    except httpx.TooManyRedirects as err:
        raise FetchError(f"too many redirects for {url}", url) from err
    except httpx.TimeoutException as err:
        raise FetchError(f"timed out fetching {url}", url, retriable=True) from err
    except httpx.DecodingError as err:
        raise FetchError(f"{url} sent a body that does not decompress: {err}", url) from err
    except httpx.TransportError as err:
        raise FetchError(f"could not connect to fetch {url}: {err}", url, retriable=True) from err
    except httpx.HTTPError as err:
        raise FetchError(f"could not fetch {url}: {err}", url) from err


def fetch_url(
    client: httpx.Client,
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
