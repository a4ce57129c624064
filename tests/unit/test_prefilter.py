"""The pitch patterns' pre-check: it may only skip a pattern on a text the pattern cannot match.

The check is read off each pattern's syntax; if that reading were wrong, an appeal would stay in
an article with no other sign. So besides the unit cases, every pattern of every rules file is
searched in every block of the appeal fixtures and in strings generated from the pattern itself,
and each match must be among the candidates the gate names.
"""

from __future__ import annotations

import re
from pathlib import Path

import lxml.html
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from digest.clean import normalize_text, text_rules
from digest.prefilter import PatternGate, required_strings

APPEALS = Path(__file__).resolve().parents[1] / "fixtures" / "appeals"


@pytest.mark.parametrize(
    ("pattern", "needed"),
    [
        ("small favou?r to ask", {"small favo"}),
        (r"\bsupport (us|our work)\b", {"support "}),
        (r"(donate|chip in) now", {"donate", "chip in"}),
        (r"(give|pledge)(?<!who give) today", {" today"}),
        (r"(newsletter)+", {"newsletter"}),
    ],
)
def test_required_strings_are_read_off_the_pattern(pattern: str, needed: set[str]) -> None:
    assert required_strings(pattern) == needed


@pytest.mark.parametrize(
    "pattern",
    [
        r"[$€£]\s?\d",  # a class and a category: no literal at all
        r"(donate)?\s*x?",  # what is literal is optional or one character long
        r"(?i:donate)\s\d",  # matches DONATE, so 'donate' is not needed as spelt
        r"(donate|\w+)\s+\d",  # one alternative needs nothing, so the group needs nothing
        r"a|b",
    ],
)
def test_patterns_without_a_usable_requirement_are_always_searched(pattern: str) -> None:
    assert required_strings(pattern) is None
    gate = PatternGate([re.compile(pattern)])
    assert gate.candidates("") == [0]


def test_gate_keeps_rule_order_and_drops_only_impossible_patterns() -> None:
    patterns = [re.compile(p) for p in (r"\bdonate\b", r"\d+ ?%", r"newsletter", r"donate now")]
    gate = PatternGate(patterns)
    assert gate.candidates("please donate now") == [0, 1, 3]
    assert gate.candidates("the council met on tuesday") == [1]


def _fixture_blocks() -> list[str]:
    """Every paragraph-like block of the appeal fixture pages, normalised as judge() sees it."""
    texts = []
    for page in sorted(APPEALS.glob("*.html")):
        root = lxml.html.fromstring(page.read_text(encoding="utf-8"))
        for el in root.iter("p", "li", "div", "h1", "h2", "h3", "h4", "a", "button", "span"):
            text = normalize_text(el.text_content())
            if text:
                texts.append(text)
    return texts


def test_every_match_in_the_fixtures_is_a_candidate() -> None:
    texts = _fixture_blocks()
    assert len(texts) > 1000
    matched = 0
    for rules in text_rules():
        for text in texts:
            candidates = set(rules.pitch_gate.candidates(text))
            for index, (_, pattern, _) in enumerate(rules.pitches):
                if pattern.search(text):
                    matched += 1
                    assert index in candidates, (rules.lang, pattern.pattern, text)
    assert matched > 200  # the fixtures exercise the patterns, so this test can fail


def _all_pitch_patterns() -> list[tuple[str, int]]:
    return [(rules.lang, i) for rules in text_rules() for i in range(len(rules.pitches))]


@pytest.mark.parametrize(("lang", "index"), _all_pitch_patterns())
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_strings_made_from_a_pattern_pass_its_gate(
    lang: str, index: int, data: st.DataObject
) -> None:
    rules = next(r for r in text_rules() if r.lang == lang)
    pattern = rules.pitches[index][1]
    try:
        strategy = st.from_regex(pattern, fullmatch=False)
        text = data.draw(strategy)
    except InvalidArgument:
        pytest.skip("hypothesis cannot generate from this pattern's syntax")
    if pattern.search(text):
        assert index in rules.pitch_gate.candidates(text), (pattern.pattern, text)
