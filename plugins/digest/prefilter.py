"""A cheap test before a regular expression: the words any match of it must contain.

The text layer runs over a hundred pitch patterns on every paragraph that addresses the reader,
and nearly all of them fail. Most patterns cannot match without some literal word ("donat",
"favo", "newsletter"), and `word in text` is far cheaper than a regex search. So each pattern
is read once (with the standard library's own parser) for a set of strings one of which every
match contains; a text holding none of them is not searched at all. All the strings are looked
for in one pass (an Aho-Corasick automaton, pyahocorasick): testing them one by one with `in`
cost half of the text layer's time on short paragraphs.

The analysis is conservative: whatever it does not understand (character classes, look-arounds,
back-references, optional parts) is taken to require nothing, so a pattern is never skipped on
a text it could match. A pattern with no usable requirement is always searched.
"""

from __future__ import annotations

import re

# The standard library's regex parser: it is what re.compile itself runs, so the requirement is
# read from exactly the expression that will be searched.
from re import _constants as sre  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]

import ahocorasick

# Requirements shorter than this are in nearly every text, so checking them costs more than the
# search they would save.
MIN_NEEDED_CHARS = 2
_REPEATS = (sre.MAX_REPEAT, sre.MIN_REPEAT, getattr(sre, "POSSESSIVE_REPEAT", sre.MAX_REPEAT))

Needs = frozenset[str]


def _better(current: Needs | None, candidate: Needs | None) -> Needs | None:
    """The more selective requirement of two: the one whose shortest string is longest."""
    if not candidate:
        return current
    if current is None:
        return candidate
    return candidate if min(map(len, candidate)) > min(map(len, current)) else current


def _needs(sequence: object) -> Needs | None:
    """Strings one of which every match of a parsed sequence contains; None when unknown."""
    best: Needs | None = None
    run: list[str] = []
    for op, arg in sequence:  # type: ignore[attr-defined]
        if op is sre.LITERAL:
            run.append(chr(arg))
            continue
        if run:
            best = _better(best, frozenset({"".join(run)}))
            run = []
        if op is sre.SUBPATTERN:
            if not arg[1] & re.IGNORECASE:  # (?i:...) matches other cases than it spells
                best = _better(best, _needs(arg[-1]))
        elif op is sre.BRANCH:
            alternatives = [_needs(branch) for branch in arg[1]]
            if all(alternatives):
                best = _better(best, frozenset().union(*alternatives))  # type: ignore[arg-type]
        elif op in _REPEATS and arg[0] >= 1:
            best = _better(best, _needs(arg[2]))
        # Anything else (a class, a look-around, an anchor, a back-reference) needs nothing known.
    if run:
        best = _better(best, frozenset({"".join(run)}))
    return best


def required_strings(pattern: str) -> Needs | None:
    """Strings one of which every match of `pattern` contains, or None when there is no useful
    such set (then the pattern must always be searched)."""
    try:
        found = _needs(sre_parse.parse(pattern))
    except (re.error, TypeError, ValueError, AttributeError):
        return None
    if not found or min(map(len, found)) < MIN_NEEDED_CHARS:
        return None
    return found


class PatternGate:
    """Which of many patterns could match a text, found with one pass over their needed
    strings instead of one search per pattern."""

    def __init__(self, patterns: list[re.Pattern[str]]) -> None:
        self.always: frozenset[int] = frozenset()
        always: set[int] = set()
        by_string: dict[str, set[int]] = {}
        for index, pattern in enumerate(patterns):
            needs = None if pattern.flags & re.IGNORECASE else required_strings(pattern.pattern)
            if needs is None:
                always.add(index)
                continue
            for word in needs:
                by_string.setdefault(word, set()).add(index)
        self.always = frozenset(always)
        self.by_string = {word: frozenset(found) for word, found in by_string.items()}
        self.automaton: ahocorasick.Automaton | None = None
        if by_string:
            self.automaton = ahocorasick.Automaton()
            for word, found in self.by_string.items():
                self.automaton.add_word(word, found)
            self.automaton.make_automaton()

    def candidates(self, text: str) -> list[int]:
        """Indexes, in order, of the patterns that may match `text`: the others cannot."""
        if self.automaton is None:
            return sorted(self.always)
        found = set(self.always)
        for _end, indexes in self.automaton.iter(text):
            found |= indexes
        return sorted(found)
