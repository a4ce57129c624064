"""dedupe: URL keys for exact matches, MinHash signatures for the same story edited."""

from __future__ import annotations

import hashlib
import heapq
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from digest.dedupe import (
    MIN_WORDS,
    NEAR_DUPLICATE_THRESHOLD,
    SignatureIndex,
    is_near_duplicate,
    similarity,
    text_signature,
    url_key,
    words,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "dedupe"
PAIRS = json.loads((FIXTURES / "pairs.json").read_text(encoding="utf-8"))
PLUGINS = Path(__file__).resolve().parents[2] / "plugins"
LONG_TEXT = " ".join(f"word{n}" for n in range(60))

# ---- url_key --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "spelling",
    [
        "https://news.example/2026/11/bridge-closure",
        "http://news.example/2026/11/bridge-closure",
        "HTTPS://WWW.News.Example/2026/11/bridge-closure/",
        "https://news.example:443/2026/11/bridge-closure",
        "http://news.example:80/2026/11/bridge-closure",
        "https://www.news.example./2026/11/bridge-closure#comments",
        "https://news.example/2026/11/bridge-closure?utm_source=rss&utm_medium=feed",
        "https://news.example/2026/11/bridge-closure/?fbclid=abc123",
        "https://news.example/2026/11/bridge-closure/index.html",
        "https://news.example/2026/11/./bridge-closure",
        "https://news.example/2026/12/../11/bridge-closure",
        "https://reader:pw@news.example/2026/11/bridge-closure",
        "https://news.example/2026/11/bridge%2Dclosure",
        "  https://news.example/2026/11/bridge-closure\n",
    ],
)
def test_spellings_of_one_address_share_a_key(spelling: str) -> None:
    assert url_key(spelling) == "news.example/2026/11/bridge-closure"


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("https://news.example/story?id=7&page=2", "https://news.example/story?page=2&id=7"),
        ("https://news.example/story?id=7", "https://news.example/story?id=7&utm_campaign=x"),
        ("https://news.example/caf%c3%a9", "https://news.example/café"),
        ("https://news.example/caf%c3%a9", "https://news.example/caf%C3%A9"),
        ("https://news.example/%7Eeditor/x", "https://news.example/~editor/x"),
        ("https://news.example/?q=a+b", "https://news.example/?q=a%20b"),
        ("https://news.example/", "https://news.example"),
        ("https://news.example/index.html", "https://news.example/"),
        ("https://news.example/blog/index.htm", "https://news.example/blog/"),
        ("https://bücher.example/x", "https://xn--bcher-kva.example/x"),
        ("https://news.example/story?id=7#top", "https://news.example/story?id=7#bottom"),
    ],
)
def test_equivalent_addresses_share_a_key(first: str, second: str) -> None:
    assert url_key(first) == url_key(second) != ""


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("https://news.example/story?id=7", "https://news.example/story?id=8"),
        ("https://news.example/story?id=7", "https://news.example/story"),
        ("https://news.example/News/story", "https://news.example/news/story"),
        ("https://news.example/a", "https://news.example:8080/a"),
        ("https://news.example/a", "https://other.example/a"),
        ("https://news.example/a", "https://m.news.example/a"),
        ("https://news.example/?q=a%26b", "https://news.example/?q=a&b"),
        ("https://news.example/?q=a%2Bb", "https://news.example/?q=a+b"),
        ("https://news.example/a/b", "https://news.example/a-b"),
        ("https://news.example/index.html.bak", "https://news.example/"),
    ],
)
def test_different_addresses_keep_different_keys(first: str, second: str) -> None:
    assert url_key(first) != url_key(second)


@pytest.mark.parametrize(
    ("url", "key"),
    [
        (
            "https://WWW.Example.com:443/News/Story/?b=2&a=1&utm_source=x#f",
            "example.com/News/Story?a=1&b=2",
        ),
        ("https://example.com:8080/a/", "example.com:8080/a"),
        ("http://[2001:DB8::1]:8080/a", "[2001:db8::1]:8080/a"),
        ("https://example.com/a b", "example.com/a%20b"),
        ("https://example.com/?flag&x=", "example.com/?flag&x"),
        ("https://example.com/?z=1&a=2&a=1", "example.com/?a=1&a=2&z=1"),
    ],
)
def test_key_shapes(url: str, key: str) -> None:
    assert url_key(url) == key


@pytest.mark.parametrize(
    "url",
    [
        "",
        "   ",
        "news.example/story",
        "/2026/11/story",
        "mailto:desk@news.example",
        "ftp://news.example/file",
        "javascript:alert(1)",
        "https://",
        "https://news.example:99999/a",
        "http://[::1/a",
    ],
)
def test_empty_or_non_http_urls_have_no_key(url: str) -> None:
    assert url_key(url) == ""


# ---- Signatures -----------------------------------------------------------------------------


def test_signature_has_the_asked_size_and_fixed_values() -> None:
    signature = text_signature(LONG_TEXT)
    shingles = len(words(LONG_TEXT)) - 4
    assert len(signature) == min(64, shingles)
    assert list(signature) == sorted(signature)
    # Golden values: a change here breaks every signature stored by an earlier version.
    assert signature[:4] == (
        18341110015117843,
        99491649673043478,
        176463819076920097,
        226697284614778327,
    )
    assert text_signature(LONG_TEXT, size=8) == signature[:8]
    assert len(text_signature(LONG_TEXT * 3, size=16)) == 16


def test_signature_is_the_same_in_processes_with_different_hash_seeds() -> None:
    code = (
        "from digest.dedupe import text_signature;"
        f"print(list(text_signature({LONG_TEXT!r}, size=16)))"
    )
    outputs = set()
    for seed in ("1", "2", "random"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(PLUGINS)}
        done = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
        outputs.add(done.stdout.strip())
    assert outputs == {str(list(text_signature(LONG_TEXT, size=16)))}


def test_case_punctuation_and_spacing_do_not_change_the_signature() -> None:
    text = PAIRS[0]["a"]
    noisy = text.upper().replace(" ", "  \n").replace(".", " ... ").replace(",", ";")
    assert text_signature(noisy) == text_signature(text)


def test_words_are_lower_cased_without_punctuation() -> None:
    assert words("The Mayor's £2.4m plan—“bold”, she_said!") == [
        "the",
        "mayor",
        "s",
        "2",
        "4m",
        "plan",
        "bold",
        "she",
        "said",
    ]


@pytest.mark.parametrize("count", [0, 1, 5, MIN_WORDS - 1])
def test_short_texts_get_no_signature(count: int) -> None:
    assert text_signature(" ".join(["word"] * count)) == ()


def test_a_text_of_min_words_gets_a_signature() -> None:
    # MIN_WORDS words make MIN_WORDS - 4 shingles of five, all of them kept
    assert len(text_signature(" ".join(f"w{n}" for n in range(MIN_WORDS)))) == MIN_WORDS - 4


@pytest.mark.parametrize(("shingle", "size"), [(0, 64), (5, 0), (-1, 8)])
def test_nonsense_parameters_are_refused(shingle: int, size: int) -> None:
    with pytest.raises(ValueError):
        text_signature(LONG_TEXT, shingle=shingle, size=size)


def test_similarity_basics() -> None:
    first = text_signature(PAIRS[0]["a"])
    second = text_signature(PAIRS[0]["b"])
    assert similarity(first, first) == 1.0
    assert similarity(first, second) == similarity(second, first)
    assert 0.0 < similarity(first, second) < 1.0
    assert similarity((), ()) == 0.0
    assert similarity(first, ()) == 0.0


def test_empty_signatures_never_match() -> None:
    assert not is_near_duplicate((), ())
    assert not is_near_duplicate(text_signature("too short"), text_signature("too short"))


def test_threshold_can_be_chosen() -> None:
    first = text_signature(PAIRS[0]["a"])
    second = text_signature(PAIRS[0]["b"])
    score = similarity(first, second)
    assert is_near_duplicate(first, second, threshold=score)
    assert not is_near_duplicate(first, second, threshold=score + 0.01)


def test_unrelated_texts_score_near_zero() -> None:
    texts = [p["a"] for p in PAIRS]
    scores = [similarity(text_signature(texts[0]), text_signature(t)) for t in texts[3:]]
    assert max(scores) < 0.1


# ---- The fixture pairs --------------------------------------------------------------------------


def _exact_jaccard(a: str, b: str, shingle: int = 5) -> float:
    def shingles(text: str) -> set[tuple[str, ...]]:
        tokens = words(text)
        return {tuple(tokens[i : i + shingle]) for i in range(len(tokens) - shingle + 1)}

    first, second = shingles(a), shingles(b)
    return len(first & second) / len(first | second)


def test_fixture_pairs_are_as_described() -> None:
    assert sum(p["duplicate"] for p in PAIRS) >= 12
    assert sum(not p["duplicate"] for p in PAIRS) >= 12
    for pair in PAIRS:
        assert pair["why"]
        for side in ("a", "b"):
            assert 150 <= len(pair[side].split()) <= 400, pair["why"]


def test_estimates_stay_close_to_the_exact_jaccard() -> None:
    for pair in PAIRS:
        estimate = similarity(text_signature(pair["a"]), text_signature(pair["b"]))
        # Three standard errors of a 64-hash estimate at worst (J = 0.5).
        assert abs(estimate - _exact_jaccard(pair["a"], pair["b"])) < 0.19, pair["why"]


def test_near_duplicates_are_found_with_full_precision_and_recall() -> None:
    true_pos = false_pos = false_neg = 0
    duplicates, distinct = [], []
    print()
    for pair in PAIRS:
        first, second = text_signature(pair["a"]), text_signature(pair["b"])
        score = similarity(first, second)
        merged = is_near_duplicate(first, second)
        (duplicates if pair["duplicate"] else distinct).append(score)
        true_pos += merged and pair["duplicate"]
        false_pos += merged and not pair["duplicate"]
        false_neg += not merged and pair["duplicate"]
        label = "duplicate" if pair["duplicate"] else "distinct "
        print(f"{label} {score:.3f} {'merged' if merged else 'kept  '} {pair['why']}")
    precision = true_pos / (true_pos + false_pos)
    recall = true_pos / (true_pos + false_neg)
    print(
        f"threshold {NEAR_DUPLICATE_THRESHOLD}: min duplicate {min(duplicates):.3f}, "
        f"max distinct {max(distinct):.3f}, precision {precision:.2f}, recall {recall:.2f}"
    )
    assert precision == 1.0
    assert recall == 1.0


# ---- The signature index ------------------------------------------------------------------------


def _scan(
    stored: list[tuple[str, tuple[int, ...]]], signature: tuple[int, ...], exclude: str
) -> str | None:
    """The answer of the pairwise scan the index replaces: the first stored match."""
    for other, other_signature in stored:
        if other != exclude and is_near_duplicate(signature, other_signature):
            return other
    return None


def test_the_index_answers_as_the_pairwise_scan_does() -> None:
    texts = [p[side] for p in PAIRS for side in ("a", "b")]
    stored = [(f"id{n}", text_signature(text)) for n, text in enumerate(texts)]
    index = SignatureIndex()
    for digest_id, signature in stored:
        index.add(digest_id, signature)
    found = 0
    for n, text in enumerate(texts):
        signature = text_signature(text)
        for exclude in (f"id{n}", ""):
            expected = _scan(stored, signature, exclude)
            assert index.find(signature, exclude=exclude) == expected
            found += expected is not None
    assert found > len(texts)  # duplicates were found, not only misses
    assert index.find(()) is None


def test_the_index_keeps_insertion_order_and_replaces_a_signature() -> None:
    pair = next(p for p in PAIRS if p["duplicate"])
    first, second = text_signature(pair["a"]), text_signature(pair["b"])
    index = SignatureIndex()
    index.add("old", first)
    index.add("new", first)
    assert index.find(second) == "old"
    index.add("old", text_signature(LONG_TEXT))  # "old" now tells another story
    assert index.find(second) == "new"
    assert len(index) == 2


def test_signature_values_are_the_stored_ones() -> None:
    """Signatures live in the state store across runs: a faster way of hashing must give the
    very values of the documented scheme (keyed 64-bit BLAKE2b of each 5-word shingle, mod
    2^61 - 1, the 64 smallest), or old articles would stop matching new copies."""
    tokens = words(PAIRS[0]["a"])
    assert len(tokens) > 100  # more shingles than the sketch keeps
    values = set()
    for start in range(len(tokens) - 4):
        data = " ".join(tokens[start : start + 5]).encode("utf-8")
        digest = hashlib.blake2b(data, digest_size=8, key=b"digest.dedupe.minhash.v1").digest()
        values.add(int.from_bytes(digest, "big") % ((1 << 61) - 1))
    assert text_signature(" ".join(tokens)) == tuple(heapq.nsmallest(64, values))
