"""Recognising one story reached twice: through two feeds, two GUIDs, two URLs or two edits.

Two tools, both pure:

- url_key() folds the spellings of one address (scheme, www., ports, slashes, trackers, query
  order, percent-encoding, index pages) into one key, for exact matching.
- text_signature() / similarity() / is_near_duplicate() estimate how much wording two article
  texts share (MinHash over word shingles), for the same story re-published with edits: a new
  headline or intro, an added or corrected paragraph, a syndication credit line.

Signatures are deterministic across runs, processes and machines (keyed blake2b and a fixed
hash family, never Python's salted hash()), so they can be stored and compared later.
"""

from __future__ import annotations

import hashlib
import heapq
import logging
import re
from urllib.parse import quote, unquote_plus, urlsplit

from .sanitize import strip_tracking

log = logging.getLogger(__name__)

# ---- URL keys -------------------------------------------------------------------------------

_DEFAULT_PORTS = frozenset({80, 443})
_INDEX_PAGES = ("index.html", "index.htm", "index.php")
_UNRESERVED = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"
_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
# Characters a path may hold unescaped (RFC 3986 pchar and "/"); "%" keeps existing escapes.
_PATH_SAFE = "/:@!$&'()*+,;=%-._~"
# In a query name or value "&", "=", "+" and "#" must stay escaped to keep their meaning.
_QUERY_SAFE = "/:@!$'()*,;?-._~"


def _normalize_escapes(text: str) -> str:
    """Escapes of unreserved characters decoded, all other escapes in upper case (RFC 3986)."""

    def fix(match: re.Match[str]) -> str:
        char = chr(int(match.group(1), 16))
        return char if char in _UNRESERVED else f"%{match.group(1).upper()}"

    return _ESCAPE.sub(fix, text)


def _remove_dot_segments(path: str) -> str:
    """ "/a/./b/../c" as "/a/c" (RFC 3986 section 5.2.4, for absolute paths)."""
    output: list[str] = []
    for segment in path.split("/")[1:]:
        if segment == "..":
            if output:
                output.pop()
        elif segment != ".":
            output.append(segment)
    if path.endswith(("/.", "/..")):
        output.append("")
    return "/" + "/".join(output)


def _ascii_host(host: str) -> str:
    """An internationalised host in its xn-- form, so both spellings give one key."""
    if host.isascii():
        return host
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host


def _key_path(path: str) -> str:
    """The path part of a key: encoded alike, no dot segments, no index page or end slash."""
    path = _normalize_escapes(quote(path or "/", safe=_PATH_SAFE))
    path = _remove_dot_segments(path)
    last = path.rsplit("/", 1)[-1]
    if last.lower() in _INDEX_PAGES:
        path = path[: -len(last)]
    return path.rstrip("/") or "/"


def _key_query(query: str) -> str:
    """The query part of a key: parameters decoded, re-encoded one way, and sorted."""
    pairs = []
    for piece in query.split("&"):
        if not piece:
            continue
        name, _, value = piece.partition("=")
        pairs.append(
            (quote(unquote_plus(name), safe=_QUERY_SAFE), quote(unquote_plus(value), _QUERY_SAFE))
        )
    return "&".join(f"{name}={value}" if value else name for name, value in sorted(pairs))


def url_key(url: str) -> str:
    """One key for every spelling of an article's address; "" for empty or non-http URLs.

    The scheme is left out (http and https name the same story), so are "www.", default ports,
    user info, the fragment, tracking parameters and a trailing slash or index page. The path
    keeps its case: servers may tell "/News" from "/news".
    """
    try:
        parts = urlsplit(strip_tracking(url.strip()))
        port = parts.port
    except ValueError:
        log.debug("%s: not a URL, no key", url)
        return ""
    if parts.scheme.lower() not in ("http", "https"):
        return ""
    host = (parts.hostname or "").rstrip(".")
    host = _ascii_host(host.removeprefix("www."))
    if not host:
        return ""
    if ":" in host:
        host = f"[{host}]"
    if port is not None and port not in _DEFAULT_PORTS:
        host = f"{host}:{port}"
    query = _key_query(parts.query)
    return host + _key_path(parts.path) + (f"?{query}" if query else "")


# ---- Near-duplicate text --------------------------------------------------------------------

# Fewer words than this give too few shingles for a fair estimate; such texts never match.
MIN_WORDS = 40
# Estimated Jaccard similarity at or above which two texts are one story. Measured on the 26
# pairs of tests/fixtures/dedupe/pairs.json (5-word shingles, 64 hashes): true duplicates score
# 0.50 to 0.95 (exact Jaccard 0.49 to 0.94; the lowest is a syndicated copy with a new first
# paragraph, a cut ending and a credit line), distinct stories on the same topic 0.00 to 0.14
# (exact 0.00 to 0.12; the highest quote the same statement verbatim or share a template).
# The estimate's standard error is sqrt(J(1-J)/64): 0.062 at J=0.49, 0.040 at J=0.12. 0.3 is
# 3.0 standard errors below the weakest duplicate and 4.6 above the closest distinct pair;
# it leans towards distinct because merging two stories loses one, while a missed merge only
# shows a story twice.
NEAR_DUPLICATE_THRESHOLD = 0.3

_MERSENNE = (1 << 61) - 1
_WORD = re.compile(r"[^\W_]+")
_KEY = b"digest.dedupe.minhash.v1"
_KEYED_HASHER = hashlib.blake2b(digest_size=8, key=_KEY)


def words(text: str) -> list[str]:
    """The text's words, lower-cased, punctuation and underscores dropped."""
    return _WORD.findall(text.casefold())


def _shingle_hashes(tokens: list[str], shingle: int) -> set[int]:
    """A 64-bit stable hash of each run of `shingle` consecutive words."""
    # Copying a keyed hasher skips the key's setup, a third of each hash's cost; same values.
    keyed = _KEYED_HASHER.copy
    to_int = int.from_bytes
    hashes = set()
    for start in range(len(tokens) - shingle + 1):
        hasher = keyed()
        hasher.update(" ".join(tokens[start : start + shingle]).encode("utf-8"))
        hashes.add(to_int(hasher.digest(), "big") % _MERSENNE)
    return hashes


def text_signature(text: str, *, shingle: int = 5, size: int = 64) -> tuple[int, ...]:
    """A bottom-k sketch of the text's word shingles: the `size` smallest shingle hashes, sorted.

    One stable hash per shingle (not one per hash function, as classic MinHash needs) keeps a
    signature to about a millisecond per thousand words. Texts under MIN_WORDS words get ().
    """
    if shingle < 1 or size < 1:
        raise ValueError(f"shingle and size must be positive, not {shingle} and {size}")
    tokens = words(text)
    if len(tokens) < max(MIN_WORDS, shingle):
        return ()
    return tuple(heapq.nsmallest(size, _shingle_hashes(tokens, shingle)))


def similarity(a: tuple[int, ...], b: tuple[int, ...]) -> float:
    """Estimated Jaccard similarity of two texts' shingle sets from their bottom-k sketches.

    Of the k smallest hashes of the union, the share found in both sketches; exact when both
    texts have fewer than k shingles.
    """
    if not a or not b:
        return 0.0
    k = max(len(a), len(b))
    union = heapq.nsmallest(k, set(a) | set(b))
    both = set(a) & set(b)
    return sum(1 for value in union if value in both) / len(union)


def is_near_duplicate(
    a_text_sig: tuple[int, ...],
    b_text_sig: tuple[int, ...],
    threshold: float = NEAR_DUPLICATE_THRESHOLD,
) -> bool:
    """Whether two signatures are one story; empty or mismatched signatures never are."""
    return bool(a_text_sig) and similarity(a_text_sig, b_text_sig) >= threshold


class SignatureIndex:
    """Stored signatures behind an inverted index on their hash values, for candidate lookup.

    A pair can reach `threshold` only if their sketches share at least threshold x k values
    (the estimate counts shared values among the k smallest of the union, and k is the longer
    sketch's length), so only signatures sharing that many values are scored with similarity().
    The answer is the one a scan over every stored signature in insertion order would give,
    at a cost that grows with the candidates instead of with the archive.
    """

    def __init__(self) -> None:
        self._ids: list[str] = []
        self._signatures: list[tuple[int, ...]] = []
        self._position: dict[str, int] = {}
        self._postings: dict[int, list[int]] = {}

    def __len__(self) -> int:
        return len(self._position)

    def add(self, digest_id: str, signature: tuple[int, ...]) -> None:
        """Index an article's signature; a second call for one id replaces the first."""
        if not signature:
            return
        if digest_id in self._position:
            self._signatures[self._position[digest_id]] = ()
        position = len(self._ids)
        self._ids.append(digest_id)
        self._signatures.append(signature)
        self._position[digest_id] = position
        for value in set(signature):
            self._postings.setdefault(value, []).append(position)

    def find(
        self,
        signature: tuple[int, ...],
        exclude: str = "",
        threshold: float = NEAR_DUPLICATE_THRESHOLD,
    ) -> str | None:
        """The first indexed article (in insertion order) that is a near duplicate, or None."""
        if not signature:
            return None
        shared: dict[int, int] = {}
        for value in set(signature):
            for position in self._postings.get(value, ()):
                shared[position] = shared.get(position, 0) + 1
        for position in sorted(shared):
            other = self._signatures[position]
            if not other or self._ids[position] == exclude:
                continue
            if shared[position] < threshold * max(len(signature), len(other)) - 1e-9:
                continue  # too few shared values for the estimate to reach the threshold
            if is_near_duplicate(signature, other, threshold):
                return self._ids[position]
        return None
