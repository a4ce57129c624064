"""robots.txt as a policy for article pages: may Digest fetch this URL, and how slowly.

The stdlib's urllib.robotparser reads the file (comments, groups, directives, percent-encoding).
Matching then follows RFC 9309 rather than the stdlib's older `can_fetch`, which differs from
what sites expect in three ways: it takes the first matching rule instead of the longest, it
reads `*` and `$` in paths literally, and it matches user agents by substring. So the parsed
groups are copied into small immutable records and matched here:

- a group applies when one of its user-agent names equals our product token (case-insensitive);
  several such groups are merged; with none, the `*` group applies;
- within the group the longest matching rule wins, Allow on a tie; `*` matches any run of
  characters and a final `$` anchors the end; with no matching rule, the URL is allowed.

Known gap: the stdlib keeps only the first `User-agent: *` group, so a second one is ignored.
"""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import quote, unquote, urlsplit, urlunsplit
from urllib.robotparser import RobotFileParser

from .errors import FetchError

log = logging.getLogger(__name__)

# RFC 9309 asks parsers to read at least 500 KiB; anything beyond is ignored.
MAX_ROBOTS_BYTES = 500 * 1024
_TOKEN = re.compile(r"\s*([A-Za-z0-9_-]+)")
_CRAWL_DELAY = re.compile(r"^(\s*crawl-delay\s*:\s*)(\d*\.\d+)\s*(#.*)?$", re.I)
_DEFAULT_PORTS = {"http": 80, "https": 443}
# How the stdlib (and _request_path) percent-encode the two wildcard characters.
_STAR, _END = quote("*"), quote("$")


def product_token(user_agent: str) -> str:
    """The name robots.txt groups are matched against: "digest" out of "Digest/0.1 (...)"."""
    match = _TOKEN.match(user_agent)
    return match.group(1).lower() if match else ""


@dataclass(frozen=True)
class RobotsRule:
    """One Allow or Disallow line, its path as the stdlib percent-encoded it."""

    path: str
    allow: bool

    @property
    def specificity(self) -> int:
        """RFC 9309's "most octets": the length of the path as written."""
        return len(unquote(self.path))

    def matches(self, request_path: str) -> bool:
        """Whether the rule covers a request path encoded the same way as the rule."""
        return _pattern(self.path).match(request_path) is not None


@dataclass(frozen=True)
class RobotsGroup:
    """The rules and crawl delay that one or more user agents share."""

    agents: frozenset[str]
    rules: tuple[RobotsRule, ...]
    delay: float | None = None


@dataclass(frozen=True)
class RobotsPolicy:
    """What one site's robots.txt lets Digest do; no groups means everything is allowed.

    `reason` says in words where the policy came from, for logs and the fetch report.
    """

    reason: str
    status: int | None = None
    groups: tuple[RobotsGroup, ...] = ()

    def _groups_for(self, user_agent: str) -> list[RobotsGroup]:
        """The groups naming our product token, else the `*` groups."""
        token = product_token(user_agent)
        named = [g for g in self.groups if token and token in g.agents]
        return named or [g for g in self.groups if "*" in g.agents]

    def allows(self, url: str, user_agent: str) -> bool:
        """Whether user_agent may fetch url (only its path and query are looked at)."""
        rules = [rule for group in self._groups_for(user_agent) for rule in group.rules]
        if not rules:
            return True
        path = _request_path(url)
        matching = [rule for rule in rules if rule.matches(path)]
        if not matching:
            return True
        best = max(matching, key=lambda rule: (rule.specificity, rule.allow))
        return best.allow

    def crawl_delay(self, user_agent: str) -> float | None:
        """Seconds to wait between requests, as the applicable group asks, or None."""
        for group in self._groups_for(user_agent):
            if group.delay is not None:
                return group.delay
        return None


@lru_cache(maxsize=4096)
def _pattern(path: str) -> re.Pattern[str]:
    """A rule path as a regular expression anchored at the start of the request path."""
    anchored = path.endswith(_END)
    if anchored:
        path = path[: -len(_END)]
    body = ".*".join(re.escape(piece) for piece in path.split(_STAR))
    return re.compile(body + ("$" if anchored else ""))


def _request_path(url: str) -> str:
    """Path and query of url, encoded as the stdlib encodes rule paths, so both compare."""
    try:
        parts = urlsplit(unquote(url))
    except ValueError:
        return "/"
    path = urlunsplit(("", "", parts.path or "/", parts.query, ""))
    return quote(path)


def _lines(text: str) -> list[str]:
    """robots.txt lines ready for the stdlib parser.

    Blank lines go: RFC 9309 groups end at the next user-agent line, while the stdlib would end
    a group at a blank line and drop the rules after it. Fractional crawl delays are rounded up,
    because the stdlib reads whole seconds only and rounding up stays polite.
    """
    lines = []
    for line in text.splitlines():
        if not line.strip():
            continue
        match = _CRAWL_DELAY.match(line)
        if match:
            line = f"{match.group(1)}{math.ceil(float(match.group(2)))}"
        lines.append(line)
    return lines


def _agents(names: list[str]) -> frozenset[str]:
    """User-agent lines reduced to product tokens, so "Digest/1.0" names "digest"."""
    tokens = {"*" if name.strip() == "*" else product_token(name) for name in names}
    return frozenset(t for t in tokens if t)


def _read(text: str) -> tuple[RobotsGroup, ...]:
    """The groups of a robots.txt text, in file order, `*` group last."""
    parser = RobotFileParser()
    parser.parse(_lines(text))
    entries = list(parser.entries)
    if parser.default_entry is not None:
        entries.append(parser.default_entry)
    groups = []
    for entry in entries:
        rules = tuple(RobotsRule(line.path, bool(line.allowance)) for line in entry.rulelines)
        delay = float(entry.delay) if entry.delay is not None else None
        groups.append(RobotsGroup(agents=_agents(entry.useragents), rules=rules, delay=delay))
    return tuple(groups)


def parse_robots(content: bytes | None, status: int, *, url: str = "") -> RobotsPolicy:
    """The policy a robots.txt response sets; content None means it could not be fetched.

    - 2xx: the file is read; an empty or unreadable file allows everything.
    - 4xx, 401 and 403 included: there is no robots.txt for us, so everything is allowed
      (RFC 9309; the stdlib's own read() would disallow everything on 401/403).
    - 5xx, or no response at all: everything is allowed too, with that said in `reason`.
      RFC 9309 and some crawlers treat an erroring robots.txt as "disallow all" for a while.
      Digest chooses to allow because it only fetches pages a feed linked to, one page per
      item, so its load is that of a reader following the feed, not of a crawler.
    - anything else (1xx, an unfollowed 3xx): treated as unreachable.

    `url` (the robots.txt address) only labels the log message.
    """
    if 400 <= status < 500:
        policy = RobotsPolicy(f"HTTP {status}: no robots.txt, all allowed", status)
    elif status >= 500:
        policy = RobotsPolicy(f"HTTP {status}: robots.txt server error, all allowed", status)
    elif content is None or not 200 <= status < 300:
        policy = RobotsPolicy(f"robots.txt unreachable (status {status}), all allowed", status)
    else:
        text = content[:MAX_ROBOTS_BYTES].decode("utf-8", errors="replace").lstrip("\ufeff")
        groups = _read(text)
        rules = sum(len(group.rules) for group in groups)
        reason = f"HTTP {status}: {len(groups)} groups, {rules} rules"
        policy = RobotsPolicy(reason, status, groups)
    log.debug("%s: %s", url or "robots.txt", policy.reason)
    return policy


def robots_url(page_url: str) -> str:
    """Where the robots.txt governing page_url lives: scheme://host[:port]/robots.txt."""
    try:
        parts = urlsplit(page_url.strip())
        port = parts.port
    except ValueError as err:
        raise FetchError(f"{page_url}: not a URL with a robots.txt ({err})", page_url) from err
    scheme = parts.scheme.lower()
    host = parts.hostname or ""
    if scheme not in _DEFAULT_PORTS or not host:
        raise FetchError(f"{page_url}: not an http(s) URL with a host", page_url)
    if ":" in host:
        host = f"[{host}]"
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        host = f"{host}:{port}"
    return f"{scheme}://{host}/robots.txt"
