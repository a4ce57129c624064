"""Digest's one error tree.

DigestError
├── ConfigError        a DIGEST_* setting or the OPML file is wrong
├── FetchError         a URL could not be fetched (network, HTTP status, size cap)
├── FeedError          fetched bytes are not a usable feed
├── ExtractError       a page gave no readable article
└── StoreError         the state store could not be read or written
"""


class DigestError(Exception):
    """Base of every error Digest raises on purpose."""


class ConfigError(DigestError):
    """A setting, a source or the OPML file is not usable."""


class FetchError(DigestError):
    """A URL could not be fetched; `url` names it."""

    def __init__(self, message: str, url: str, status: int | None = None) -> None:
        super().__init__(message)
        self.url = url
        self.status = status


class FeedError(DigestError):
    """Fetched bytes could not be read as a feed."""


class ExtractError(DigestError):
    """A page yielded no article text."""


class StoreError(DigestError):
    """The state store is unreadable or unwritable."""
