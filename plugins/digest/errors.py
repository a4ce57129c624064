"""Digest's one error tree.

DigestError
├── ConfigError        a DIGEST_* setting or the OPML file is wrong
├── FetchError         a URL could not be fetched (network, HTTP status, size cap)
├── FeedError          fetched bytes are not a usable feed
├── ExtractError       a page gave no readable article
├── StoreError         the state store could not be read or written
├── WriteError         content/ could not be written (full disk, read-only folder)
└── BusyError          another fetch of the same site is running
"""


class DigestError(Exception):
    """Base of every error Digest raises on purpose."""


class ConfigError(DigestError):
    """A setting, a source or the OPML file is not usable."""


class FetchError(DigestError):
    """A URL could not be fetched; `url` names it."""

    def __init__(
        self,
        message: str,
        url: str,
        status: int | None = None,
        *,
        retriable: bool = False,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.url = url
        self.status = status
        self.retriable = retriable
        self.retry_after = retry_after

    @property
    def gone(self) -> bool:
        """True when the server says the resource is gone for good (HTTP 410)."""
        return self.status == 410


class FeedError(DigestError):
    """Fetched bytes could not be read as a feed."""


class ExtractError(DigestError):
    """A page yielded no article text."""


class StoreError(DigestError):
    """The state store is unreadable or unwritable."""


class WriteError(DigestError):
    """A content file or image could not be written; what was there is left as it was."""


class BusyError(DigestError):
    """Another fetch holds the site's lock."""
