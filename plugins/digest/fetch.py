"""The only step that touches the network: HTTP GETs with timeouts, size caps and redirects.

URLs under a configured mirror prefix (DIGEST_MIRRORS) and file:// URLs are read from disk
instead, through the same client, so the demo and the tests run offline.
"""

from __future__ import annotations

import logging
import mimetypes
from collections.abc import Mapping
from dataclasses import dataclass
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


class LocalTransport(httpx.BaseTransport):
    """Serves file:// URLs and mirrored URL prefixes from disk; everything else goes on the wire."""

    def __init__(self, mirrors: Mapping[str, Path], network: httpx.BaseTransport) -> None:
        self.mirrors = dict(sorted(mirrors.items(), key=lambda kv: -len(kv[0])))
        self.network = network

    def local_path(self, url: str) -> Path | None:
        """The file a URL stands for, or None when the URL is not local."""
        if url.startswith("file:"):
            return Path(url2pathname(urlsplit(url).path))
        for prefix, folder in self.mirrors.items():
            if url.startswith(prefix):
                rest = unquote(urlsplit(url).path[len(urlsplit(prefix).path) :])
                target = (folder / rest).resolve()
                if folder not in target.parents and target != folder:
                    return folder / "__outside_the_mirror__"
                if target.is_dir() or url.split("?")[0].endswith("/"):
                    target = target / "index.html"
                return target
        return None

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Read the file behind a local URL, as an HTTP server would answer it."""
        path = self.local_path(str(request.url))
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
) -> httpx.Client:
    """One client per run: connection reuse, compression and the Digest User-Agent."""
    network = httpx.HTTPTransport(retries=1)
    return httpx.Client(
        transport=LocalTransport(mirrors or {}, network),
        headers={"User-Agent": user_agent, "Accept-Encoding": "gzip, deflate"},
        timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
        follow_redirects=True,
        max_redirects=max_redirects,
    )


def fetch_url(
    client: httpx.Client,
    url: str,
    *,
    max_bytes: int = 10_000_000,
    etag: str = "",
    last_modified: str = "",
    accept: str = "*/*",
) -> Response:
    """GET one URL; read at most max_bytes; a 304 comes back as a Response, other errors raise."""
    headers = {"Accept": accept}
    request_url = url
    if url.startswith("file:///"):
        request_url = "file://localhost/" + url[len("file:///") :]  # httpx drops a host-less scheme
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    try:
        with client.stream("GET", request_url, headers=headers) as response:
            if response.status_code == 304:
                return Response(str(response.url), 304, b"", etag=etag, last_modified=last_modified)
            if response.status_code >= 400:
                raise FetchError(
                    f"HTTP {response.status_code} for {url}", url, response.status_code
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
                url=str(response.url),
                status=response.status_code,
                content=b"".join(chunks),
                content_type=response.headers.get("content-type", ""),
                etag=response.headers.get("etag", ""),
                last_modified=response.headers.get("last-modified", ""),
            )
    except httpx.TooManyRedirects as err:
        raise FetchError(f"too many redirects for {url}", url) from err
    except httpx.TimeoutException as err:
        raise FetchError(f"timed out fetching {url}", url) from err
    except httpx.HTTPError as err:
        raise FetchError(f"could not fetch {url}: {err}", url) from err
