"""Appeals and boilerplate out of article HTML, without losing a single real paragraph.

The cleaner works in layers over one lxml tree:

1. structure: containers whose class, id, role or aria-label name an appeal or site furniture
   (donate, newsletter, paywall, share, cookie ...), from rules/structure.toml;
2. text: blocks that pitch money, membership, a subscription or a sign-up to the reader, found by
   what they say (rules/text_<lang>.toml), plus the short button lines that go with them;
3. site: per-site rules in FiveFilters' format (site_rules/), applied by the extractor to the
   whole page before these two run (see siterules.py).

Every layer answers to one guard: an element goes only when nothing in it is a real article
paragraph, and never when it holds much of the page's paragraph text. Paragraphs that report on
donations or subscriptions as news (third person, quoted speech) score low and stay.
"""

from __future__ import annotations

import html as htmllib
import logging
import re
import tomllib
from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

import lxml.html
from lxml import etree

from .errors import ConfigError, ExtractError
from .models import Removal
from .prefilter import PatternGate

log = logging.getLogger(__name__)


def tag_set(names: str) -> frozenset[str]:
    """A set of tag names written as one space-separated string."""
    return frozenset(names.split())


RULES_DIR = Path(__file__).with_name("rules")

BLOCK_TAGS = tag_set(
    """address article aside blockquote body button caption center dd details dialog dir div dl dt
    fieldset figcaption figure footer form h1 h2 h3 h4 h5 h6 header hgroup hr html label legend li
    main menu nav ol p pre section summary table tbody td tfoot th thead tr ul"""
)
# Blocks whose inline children always read as one run of text.
TEXT_TAGS = tag_set(
    """address blockquote button caption dd dt figcaption h1 h2 h3 h4 h5 h6 label legend li p pre
    summary td th"""
)
# Containers: when one has no loose text of its own, each inline child is a line of its own
# (the "Donate" and "Maybe later" links of a button row).
CONTAINER_TAGS = BLOCK_TAGS - TEXT_TAGS
SKIP_TAGS = tag_set(
    """script style noscript template head title svg math iframe object embed canvas select option
    textarea input img video audio picture source track map area meta link"""
)
NEVER_REMOVED = frozenset({"html", "body", "head"})

# What a block of text is, to the text layer.
APPEAL = "appeal"  # a pitch to the reader: starts a removal
MAYBE = "maybe"  # some appeal signals: goes only inside an appeal's own container
BUTTON = "button"  # a short line of an appeal's furniture: goes when next to an appeal
EMPTY = "empty"  # no letters or digits at all
SHORT = "short"  # a short neutral line: a heading, a byline, a caption
REAL = "real"  # an ordinary paragraph

# Kinds of structure rule (rules/structure.toml).
ALL_KINDS = frozenset({"appeal", "boilerplate", "listing"})

# A class or id token of more words than this is a slug, not a name (see _structure_match).
MAX_NAME_WORDS = 5

APPEAL_SCORE = 4
MAYBE_SCORE = 2
PITCH_CAP = 6
BUTTON_MAX_CHARS = 60
REAL_MIN_CHARS = 50
REAL_MIN_WORDS = 8
# An element holding this share of the page's paragraph text is never removed.
SHARE_GUARD = 0.3
# A structure match may hold this many characters of plain paragraphs and still go.
PLAIN_ALLOWANCE = 200
# Within a container that MAYBE and SHORT blocks join an appeal through, at least this share of
# the text must be appeal, button or doubtful text (not a list of short neutral lines).
APPEAL_SHARE = 0.25
# An appeal's own small box: the container an appeal's run is widened to when the box holds a
# plain line or two besides the pitch ("Our reporters are on the ground." before the ask).
BOX_MAX_BLOCKS = 12
BOX_MAX_CHARS = 1000
BOX_APPEAL_SHARE = 0.5
BOX_PLAIN_LINES = 2
# A SHORT line of this many words that ends a sentence is prose (see _prose).
PROSE_MIN_WORDS = 5
# A box's title and its list of benefits: lines, not paragraphs of prose.
LINE_TAGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6", "li", "dt", "dd", "caption"})


@dataclass(frozen=True)
class TextRules:
    """One language's appeal patterns, compiled."""

    lang: str
    letters: re.Pattern[str]
    second_person: re.Pattern[str]
    first_plural: re.Pattern[str]
    ask: re.Pattern[str]
    amount: re.Pattern[str]
    period: re.Pattern[str]
    reporting: re.Pattern[str]
    pitches: tuple[tuple[str, re.Pattern[str], int], ...]
    pitch_gate: PatternGate
    button: re.Pattern[str]


@dataclass(frozen=True)
class StructureRules:
    """Attribute patterns of appeal and boilerplate containers, compiled."""

    attributes: tuple[str, ...]
    protect: re.Pattern[str]
    combined: re.Pattern[str]  # one named group per rule: r0, r1, ...
    rules: tuple[tuple[str, str], ...]  # name and kind of each group


@dataclass(frozen=True)
class Verdict:
    """What the text layer makes of one block's text, and the rule that says so."""

    kind: str
    score: int
    rule: str


@dataclass(slots=True)
class Block:
    """An element's own text (without its child blocks), as the text layer sees it."""

    el: lxml.html.HtmlElement
    text: str
    verdict: Verdict


def _load_toml(path: Path) -> dict[str, object]:
    """Read one rules file; a broken rules file is a configuration error, not a page error."""
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise ConfigError(f"cleaner rules {path}: {err}") from err


def _compile(pattern: str, path: Path) -> re.Pattern[str]:
    """Compile a rules pattern, naming the file when it is not a valid expression."""
    try:
        return re.compile(pattern)
    except re.error as err:
        raise ConfigError(f"cleaner rules {path}: bad pattern {pattern!r}: {err}") from err


def _words_pattern(pattern: str, path: Path) -> re.Pattern[str]:
    """A structure pattern that must match whole words of a normalised attribute value."""
    return _compile(rf"(?<![a-z0-9])(?:{pattern})(?![a-z0-9])", path)


@cache
def structure_rules() -> StructureRules:
    """The structure layer's rules, read once from rules/structure.toml."""
    path = RULES_DIR / "structure.toml"
    data = _load_toml(path)
    try:
        rules = [
            (str(r["name"]), str(r["kind"]), str(r["pattern"])) for r in _tables(data, "rule", path)
        ]
        attributes = tuple(str(a) for a in _strings(data, "attributes", path))
    except KeyError as err:
        raise ConfigError(f"cleaner rules {path}: a rule lacks {err}") from err
    combined = "|".join(f"(?P<r{i}>{pattern})" for i, (_, _, pattern) in enumerate(rules))
    return StructureRules(
        attributes=attributes,
        protect=_words_pattern(str(data.get("protect", "$^")), path),
        combined=_words_pattern(combined or "$^", path),
        rules=tuple((name, kind) for name, kind, _ in rules),
    )


def _tables(data: dict[str, object], key: str, path: Path) -> list[dict[str, object]]:
    """An array of tables from a rules file, checked."""
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ConfigError(f"cleaner rules {path}: [[{key}]] must be an array of tables")
    return value


def _strings(data: dict[str, object], key: str, path: Path) -> list[str]:
    """An array of strings from a rules file, checked."""
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"cleaner rules {path}: {key} must be an array of strings")
    return value


def _pitch(entry: dict[str, object], path: Path) -> tuple[str, re.Pattern[str], int]:
    """One [[pitch]] entry: its category, its compiled pattern and its weight."""
    weight = entry.get("weight", 3)
    if not isinstance(weight, int):
        raise ConfigError(f"cleaner rules {path}: weight must be an integer, not {weight!r}")
    return str(entry.get("category", "pitch")), _compile(str(entry["pattern"]), path), weight


@cache
def text_rules() -> tuple[TextRules, ...]:
    """Every language's text rules (rules/text_*.toml): adding a language is adding a file."""
    loaded = []
    for path in sorted(RULES_DIR.glob("text_*.toml")):
        data = _load_toml(path)
        signals = data.get("signals", {})
        if not isinstance(signals, dict):
            raise ConfigError(f"cleaner rules {path}: [signals] must be a table")
        try:
            pitches = tuple(_pitch(p, path) for p in _tables(data, "pitch", path))
            buttons = "|".join(f"(?:{b['pattern']})" for b in _tables(data, "button", path))
            # A line may hold a row of buttons: "Support us · Maybe later".
            buttons = f"(?:{buttons})(?:[\\s,|/·•]+(?:{buttons}))*" if buttons else ""
            loaded.append(
                TextRules(
                    lang=str(data.get("lang", path.stem.removeprefix("text_"))),
                    letters=_compile(str(data.get("letters", r"[^\W\d_]")), path),
                    second_person=_compile(str(signals["second_person"]), path),
                    first_plural=_compile(str(signals["first_plural"]), path),
                    ask=_compile(str(signals["ask"]), path),
                    amount=_compile(str(signals["amount"]), path),
                    period=_compile(str(signals["period"]), path),
                    reporting=_compile(str(signals["reporting"]), path),
                    pitches=pitches,
                    pitch_gate=PatternGate([pattern for _, pattern, _ in pitches]),
                    button=_compile(buttons or "$^", path),
                )
            )
        except KeyError as err:
            raise ConfigError(f"cleaner rules {path}: missing entry {err}") from err
    return tuple(loaded)


# ---------------------------------------------------------------------------------------------
# Judging a block's text
# ---------------------------------------------------------------------------------------------

_QUOTES = (("‘", "'"), ("’", "'"), ("ʼ", "'"), ("“", '"'), ("”", '"'), ("„", '"'), ("ё", "е"))
_QUOTED = re.compile(r'"[^"]{3,}"|«[^»]{3,}»|(?<!\w)\'[^\']{3,}\'(?!\w)')
_EDGE_PUNCT = re.compile(r"^[\W_]+|[\W_]+$")
_HAS_WORD = re.compile(r"[^\W_]")


def normalize_text(text: str) -> str:
    """Lower case, straight quotes, single spaces: the form every text pattern is written for."""
    text = text.lower()
    if not text.isascii():  # ASCII text has none of the characters to replace
        # A few str.replace calls: str.translate looks every character up in a dict, ten
        # times slower on a paragraph.
        for curly, straight in _QUOTES:
            if curly in text:
                text = text.replace(curly, straight)
    return " ".join(text.split())


def _line_cores(text: str, norm: str) -> list[str]:
    """Each non-blank line of a short text, normalized and without edge punctuation, as the
    button patterns read it; a one-line text's is its normalized whole, not computed again."""
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) == 1:
        return [_EDGE_PUNCT.sub("", norm)]
    return [_EDGE_PUNCT.sub("", normalize_text(line)) for line in lines]


def _button_lines(cores: list[str], rules: TextRules) -> bool:
    """Whether every line is a button, an amount, a payment logo or a dismissal."""
    button = rules.button.fullmatch
    return all(not core or button(core) for core in cores)


def _inside(span: tuple[int, int], spans: list[tuple[int, int]]) -> bool:
    """Whether a match lies within one of the quoted stretches of a text."""
    return any(start <= span[0] and span[1] <= end for start, end in spans)


def _pitches(norm: str, rules: TextRules) -> tuple[int, int, str, bool]:
    """Pitch phrases in a text: their total weight, the strongest, its category, and whether
    a pitch was only quoted (someone else's words, reported)."""
    quoted = [m.span() for m in _QUOTED.finditer(norm)]
    reported = bool(quoted) and sum(end - start for start, end in quoted) < 0.9 * len(norm)
    total, strongest, category, quoted_pitch = 0, 0, "pitch", False
    for index in rules.pitch_gate.candidates(norm):
        name, pattern, weight = rules.pitches[index]
        match = pattern.search(norm)
        if match is None:
            continue
        if reported and _inside(match.span(), quoted):
            quoted_pitch = True
            continue
        total += weight
        if weight > strongest:
            strongest, category = weight, name
    return total, strongest, category, quoted_pitch


def _score(norm: str, rules: TextRules) -> tuple[int, bool, str]:
    """How much a text reads as a pitch to the reader, in one language; and is it an appeal.

    A text with no reader, no publisher voice, no ask and no money in it is not read for pitch
    phrases at all: that keeps the cost down on long pages, and such a text cannot be an appeal.
    """
    second = bool(rules.second_person.search(norm))
    first = bool(rules.first_plural.search(norm))
    ask = bool(rules.ask.search(norm))
    money = bool(rules.amount.search(norm)) and bool(rules.period.search(norm))
    if not (second or first or ask or money):
        return 0, False, f"text:{rules.lang}:pitch"
    total, strongest, category, quoted_pitch = _pitches(norm, rules)
    score = min(total, PITCH_CAP) + second + first + ask + 2 * money - 2 * quoted_pitch
    if rules.reporting.search(norm):
        score -= 4
    words = norm.count(" ") + 1
    if words > 200:
        score -= 4
    elif words > 120:
        score -= 2
    appeal = score >= APPEAL_SCORE and (strongest >= 3 or (second and first))
    return score, appeal, f"text:{rules.lang}:{category}"


@lru_cache(maxsize=16384)
def judge(text: str) -> Verdict:
    """Classify a block's text: appeal, maybe, button line, short or real paragraph."""
    norm = normalize_text(text)
    if not _HAS_WORD.search(norm):
        return Verdict(EMPTY, 0, "")
    if len(norm) <= BUTTON_MAX_CHARS:
        cores = _line_cores(text, norm)
        for rules in text_rules():
            if _button_lines(cores, rules):
                return Verdict(BUTTON, 0, f"text:{rules.lang}:button")
    score, appeal, rule = max(
        (_score(norm, rules) for rules in text_rules() if rules.letters.search(norm)),
        key=lambda s: (s[1], s[0]),
        default=(0, False, ""),
    )
    if appeal:
        return Verdict(APPEAL, score, rule)
    if score >= MAYBE_SCORE:
        return Verdict(MAYBE, score, rule)
    if len(norm) >= REAL_MIN_CHARS or norm.count(" ") + 1 >= REAL_MIN_WORDS:
        return Verdict(REAL, score, "")
    return Verdict(SHORT, score, "")


# ---------------------------------------------------------------------------------------------
# The tree as blocks
# ---------------------------------------------------------------------------------------------


def _tag(el: object) -> str | None:
    """An element's tag, or None for comments and processing instructions."""
    tag = getattr(el, "tag", None)
    return tag.lower() if isinstance(tag, str) else None


def _splits_inline(el: lxml.html.HtmlElement, tag: str | None = None) -> bool:
    """A container with no loose text: its inline children are separate lines."""
    if (tag or _tag(el)) not in CONTAINER_TAGS:
        return False
    text = el.text
    if text and not text.isspace():
        return False
    for child in el:
        tail = child.tail
        if tail and not tail.isspace():
            return False
    return True


def _gather(
    el: lxml.html.HtmlElement,
    out: list[tuple[lxml.html.HtmlElement, str]],
    as_block: bool,
    tag: str | None = None,
) -> str:
    """Collect el's own text; el (if a block) and its child blocks are appended to `out`, in
    document order. The hottest loop of the cleaner: it visits every element of the page."""
    text = el.text
    parts = [text] if text else []
    split = as_block and _splits_inline(el, tag)
    if as_block:
        index = len(out)
        out.append((el, ""))  # the place of el, before its child blocks
    for child in el:
        child_tag = child.tag
        if child_tag.__class__ is str:  # not a comment or a processing instruction
            child_tag = child_tag.lower()
            if child_tag in SKIP_TAGS:
                pass
            elif child_tag == "br":
                parts.append("\n")
            elif split or child_tag in BLOCK_TAGS:
                _gather(child, out, True, child_tag)
                parts.append("\n")
            else:
                parts.append(_gather(child, out, False, child_tag))
        tail = child.tail
        if tail:
            parts.append(tail)
    joined = "".join(parts)
    if as_block:
        out[index] = (el, joined)
    return joined


class Tree:
    """A parsed tree with each element's preorder position, and its text blocks in order.

    An element's span is [start, end): its own position up to the position of whatever follows
    its subtree. Ends are found on demand, since only the few elements the layers ask about need
    one; positions stay valid when subtrees are dropped (see prune).
    """

    def __init__(self, root: lxml.html.HtmlElement) -> None:
        self.root = root
        self.order: list[lxml.html.HtmlElement] = list(root.iter())
        self.start: dict[object, int] = {el: i for i, el in enumerate(self.order)}
        self._end: dict[object, int] = {root: len(self.order)}
        raw: list[tuple[lxml.html.HtmlElement, str]] = []
        _gather(root, raw, as_block=True)
        start = self.start
        self.blocks = [
            Block(el, text, judge(text)) for el, text in raw if text and not text.isspace()
        ]
        self.positions = [start[b.el] for b in self.blocks]
        self.text_chars = sum(len(b.text.strip()) for b in self.blocks)

    def end(self, el: lxml.html.HtmlElement) -> int:
        """The position just past el's subtree."""
        found = self._end.get(el)
        if found is None:
            node = el
            while True:
                following = node.getnext()
                if following is not None and following in self.start:
                    found = self.start[following]
                    break
                node = node.getparent()
                if node is None or node is self.root:
                    found = len(self.order)
                    break
                if node in self._end:
                    found = self._end[node]
                    break
            self._end[el] = found
        return found

    def prune(self, spans: list[tuple[int, int]]) -> None:
        """Forget the blocks inside dropped subtrees, given as sorted [start, end) spans."""
        if not spans:
            return
        kept: list[Block] = []
        index = 0
        for block, position in zip(self.blocks, self.positions, strict=True):
            while index < len(spans) and spans[index][1] <= position:
                index += 1
            if index < len(spans) and spans[index][0] <= position:
                continue
            kept.append(block)
        self.blocks = kept
        self.positions = [self.start[b.el] for b in kept]

    def block_range(self, el: lxml.html.HtmlElement) -> range:
        """Indexes of the blocks inside el (el's own included): always a contiguous range."""
        lo = bisect_left(self.positions, self.start[el])
        hi = bisect_left(self.positions, self.end(el))
        return range(lo, hi)

    def blocks_in(self, el: lxml.html.HtmlElement) -> Iterator[Block]:
        """The blocks inside el."""
        return (self.blocks[i] for i in self.block_range(el))

    def paragraph_chars(self, el: lxml.html.HtmlElement) -> int:
        """Characters of paragraph text (real or doubtful) inside el."""
        return sum(len(b.text) for b in self.blocks_in(el) if b.verdict.kind in (REAL, MAYBE))

    def common_ancestor(
        self, a: lxml.html.HtmlElement, b: lxml.html.HtmlElement
    ) -> lxml.html.HtmlElement:
        """The smallest element holding both a and b."""
        position = self.start[b]
        node = a
        while node is not None:
            if self.start[node] <= position < self.end(node):
                return node
            node = node.getparent()
        return self.root


def block_text(tree: Tree, el: lxml.html.HtmlElement) -> str:
    """The visible text of an element, its blocks joined by spaces: what a Removal reports."""
    return " ".join(" ".join(b.text.split()) for b in tree.blocks_in(el)).strip()


# ---------------------------------------------------------------------------------------------
# Layer 1: structure
# ---------------------------------------------------------------------------------------------

_CAMEL = re.compile(r"([a-z0-9])([A-Z])")
_NON_WORD = re.compile(r"[^a-z0-9]+")
_PICTURE_XPATH = ".//figure | .//picture | .//img[number(@width) >= 200 or number(@height) >= 200]"
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)


def attribute_words(value: str) -> str:
    """'c-DonateBox js_x' -> 'c donate box js x': the form structure patterns are written for."""
    return " " + _NON_WORD.sub(" ", _CAMEL.sub(r"\1 \2", value).lower()).strip() + " "


def _structure_hit(el: lxml.html.HtmlElement, rules: StructureRules) -> tuple[str, str] | None:
    """The rule name and kind a container matches, if any."""
    attrs = dict(el.items())  # one call into lxml instead of one per attribute asked about
    if "hidden" in attrs or attrs.get("aria-hidden") == "true":
        return "structure:hidden", "boilerplate"
    style = attrs.get("style")
    if style and _HIDDEN_STYLE.search(style):
        return "structure:hidden", "boilerplate"
    tag = _tag(el)
    if tag == "dialog":
        return "structure:tag=dialog", "appeal"
    if tag == "form" and el.xpath(
        ".//input[@type='email' or contains(translate(@name, 'EMAIL', 'email'), 'email')]"
    ):
        return "structure:tag=form", "appeal"
    for attr in rules.attributes:
        value = attrs.get(attr)
        if value:
            found = _structure_match(value)
            if found is not None:
                return f"structure:{attr}={found[0]}", found[1]
    return None


@lru_cache(maxsize=8192)
def _structure_match(value: str) -> tuple[str, str] | None:
    """The name and kind of the structure rule an attribute value matches (values repeat).

    A token of many words ("expenditures-as-a-share-of-budget") is a slug of the content, not
    a name for a kind of box, and is not read.
    """
    rules = structure_rules()
    names = [t for t in value.split() if attribute_words(t).count(" ") - 1 <= MAX_NAME_WORDS]
    match = rules.combined.search(attribute_words(" ".join(names)))
    if match is None or match.lastgroup is None:
        return None
    return rules.rules[int(match.lastgroup[1:])]


@cache
def _candidates(rules: StructureRules) -> etree.XPath:
    """The elements _structure_hit can match, found in one XPath: most elements of a page carry
    none of the attributes the rules read, and are not looked at one by one."""
    attributes = " or ".join(f"@{a}" for a in (*rules.attributes, "hidden", "aria-hidden", "style"))
    return etree.XPath(f"descendant::*[{attributes} or self::dialog or self::form]")


def _protected(el: lxml.html.HtmlElement, rules: StructureRules) -> bool:
    """Marked as the article body, so no structure rule may take it."""
    if _marked_article_body(el):
        return True
    return any(rules.protect.search(attribute_words(el.get(a) or "")) for a in ("class", "id"))


def _inline_in_text(el: lxml.html.HtmlElement) -> bool:
    """An inline element inside a run of text: removing it would cut a sentence."""
    if _tag(el) in BLOCK_TAGS:
        return False
    parent = el.getparent()
    return parent is not None and not _splits_inline(parent) and bool(el.text_content().strip())


def _may_remove(tree: Tree, el: lxml.html.HtmlElement, kind: str, total: int) -> bool:
    """The guard: a container goes only if it holds no real article paragraphs (and, for site
    furniture, no figure or large picture either)."""
    held = tree.paragraph_chars(el)
    if held and held >= SHARE_GUARD * total:
        return False
    if kind == "boilerplate" and el.xpath(_PICTURE_XPATH):
        return False
    if kind == "listing":
        return True
    plain = sum(
        len(b.text) for b in tree.blocks_in(el) if b.verdict.kind == REAL and b.verdict.score <= 0
    )
    return plain <= PLAIN_ALLOWANCE


def structure_layer(tree: Tree, url: str, kinds: frozenset[str] = ALL_KINDS) -> list[Removal]:
    """Remove containers that class names and roles mark as appeals or furniture."""
    if not kinds:
        return []
    rules = structure_rules()
    total = tree.paragraph_chars(tree.root)
    removed: list[Removal] = []
    targets: list[lxml.html.HtmlElement] = []
    skip_until = -1
    for el in _candidates(rules)(tree.root):
        if tree.start[el] < skip_until:
            continue
        tag = _tag(el)
        if tag is None or tag in NEVER_REMOVED:
            continue
        hit = _structure_hit(el, rules)
        if hit is None or _protected(el, rules) or _inline_in_text(el):
            continue
        rule, kind = hit
        if kind not in kinds:
            continue
        if not _may_remove(tree, el, kind, total):
            log.debug("%s: kept <%s> matching %s: it holds article text", url, tag, rule)
            continue
        text = block_text(tree, el)
        if text:
            removed.append(Removal(text=text, rule=rule))
            log.debug("%s: removed %s: %.80s", url, rule, text)
        targets.append(el)
        skip_until = tree.end(el)
    tree.prune([(tree.start[el], tree.end(el)) for el in targets])
    for el in targets:
        el.drop_tree()
    return removed


# ---------------------------------------------------------------------------------------------
# Layer 2: text
# ---------------------------------------------------------------------------------------------


def _joins(tree: Tree, candidate: int, neighbour: int) -> bool:
    """Whether a block next to an appeal's run belongs to the appeal."""
    block = tree.blocks[candidate]
    kind = block.verdict.kind
    if kind in (APPEAL, BUTTON, EMPTY):
        return True
    if kind == REAL or (kind == SHORT and _prose(block.text)):
        return False
    # MAYBE and SHORT blocks join only inside a container that is all appeal.
    holder = tree.common_ancestor(tree.blocks[candidate].el, tree.blocks[neighbour].el)
    if holder is tree.root or _tag(holder) in NEVER_REMOVED:
        return False
    blocks = list(tree.blocks_in(holder))
    if any(b.verdict.kind == REAL for b in blocks):
        return False
    appeal = sum(len(b.text) for b in blocks if b.verdict.kind in (APPEAL, BUTTON, MAYBE))
    return appeal >= APPEAL_SHARE * sum(len(b.text) for b in blocks)


def _prose(text: str) -> bool:
    """A short full sentence ("The depot reopens on Monday."): article prose, not a heading,
    a list line or a button, so it never joins an appeal's run on its own account."""
    words = text.split()
    return len(words) >= PROSE_MIN_WORDS and words[-1][-1] in ".!…"


def _runs(tree: Tree) -> list[range]:
    """Stretches of consecutive blocks that make up one appeal each."""
    taken = [False] * len(tree.blocks)
    runs = []
    for i, block in enumerate(tree.blocks):
        if block.verdict.kind != APPEAL or taken[i]:
            continue
        lo = hi = i
        while lo > 0 and not taken[lo - 1] and _joins(tree, lo - 1, lo):
            lo -= 1
        while hi + 1 < len(tree.blocks) and _joins(tree, hi + 1, hi):
            hi += 1
        for k in range(lo, hi + 1):
            taken[k] = True
        runs.append(range(lo, hi + 1))
    return runs


def _within(inner: range, outer: range) -> bool:
    """Whether every block of `inner` is in `outer`."""
    return not inner or (outer.start <= inner.start and inner.stop <= outer.stop)


def _container(tree: Tree, el: lxml.html.HtmlElement, run: range) -> lxml.html.HtmlElement:
    """The largest ancestor of el whose blocks all belong to the run: the appeal's container."""
    node = el
    parent = node.getparent()
    while (
        parent is not None
        and parent is not tree.root
        and _tag(parent) not in NEVER_REMOVED
        and _within(tree.block_range(parent), run)
    ):
        node, parent = parent, parent.getparent()
    return node


def _is_appeal_box(tree: Tree, el: lxml.html.HtmlElement, total: int) -> bool:
    """A small box that is mostly pitch and buttons, whose plain lines are the pitch's own.

    Plain lines are allowed only when short and few (BOX_PLAIN_LINES paragraphs besides
    headings and list lines, PLAIN_ALLOWANCE characters in all) and none reports news ("the
    union said"); the box is nowhere near the article's size, and at most half of all the text
    there is.
    """
    if el is tree.root or _tag(el) in NEVER_REMOVED or _is_article_body(el):
        return False
    blocks = list(tree.blocks_in(el))
    if len(blocks) > BOX_MAX_BLOCKS:
        return False
    chars = sum(len(b.text.strip()) for b in blocks)
    if not chars or chars > BOX_MAX_CHARS:
        return False
    plain: list[str] = []
    paragraphs = pitch = 0
    for block in blocks:
        kind = block.verdict.kind
        if kind in (REAL, SHORT):
            plain.append(block.text.strip())
            if kind == REAL or (_prose(block.text) and _tag(block.el) not in LINE_TAGS):
                paragraphs += 1
        elif kind in (APPEAL, BUTTON, MAYBE):
            pitch += len(block.text.strip())
    if (
        paragraphs > BOX_PLAIN_LINES
        or sum(map(len, plain)) > PLAIN_ALLOWANCE
        or pitch < BOX_APPEAL_SHARE * chars
        or 2 * chars > tree.text_chars
        or any(_reports(line) for line in plain)
    ):
        return False
    held = tree.paragraph_chars(el)
    return not (held and held >= SHARE_GUARD * total)


def _reports(text: str) -> bool:
    """Whether a line reports someone's words or doings: news, never an appeal's own line."""
    norm = normalize_text(text)
    return any(rules.reporting.search(norm) for rules in text_rules())


def _marked_article_body(el: lxml.html.HtmlElement) -> bool:
    """Marked up as the article's body by microdata (itemprop=articleBody)."""
    return (el.get("itemprop") or "").lower() == "articlebody"


def _is_article_body(el: lxml.html.HtmlElement) -> bool:
    """Marked up as the article itself (an <article> or <main>, or itemprop=articleBody)."""
    return _tag(el) in ("article", "main") or _marked_article_body(el)


def _widen(tree: Tree, box: lxml.html.HtmlElement, total: int) -> lxml.html.HtmlElement:
    """The largest small appeal box around an appeal's container (the container itself when
    its parent is no such box)."""
    parent = box.getparent()
    while parent is not None and _is_appeal_box(tree, parent, total):
        box, parent = parent, parent.getparent()
    return box


def _outermost(tree: Tree, elements: list[lxml.html.HtmlElement]) -> list[lxml.html.HtmlElement]:
    """The elements not inside another of them, in document order, each once."""
    spans = sorted({tree.start[el]: el for el in elements}.items())
    kept: list[lxml.html.HtmlElement] = []
    end = -1
    for start, el in spans:
        if start >= end:
            kept.append(el)
            end = tree.end(el)
    return kept


def _strip_own_text(el: lxml.html.HtmlElement) -> None:
    """Remove an element's loose text and inline children, keeping its child blocks."""
    el.text = None
    for child in list(el):
        tag = _tag(child)
        if tag in BLOCK_TAGS:
            child.tail = None
        elif tag is not None:
            el.remove(child)  # takes the child's tail with it


def _rule_for(tree: Tree, el: lxml.html.HtmlElement, fallback: str) -> str:
    """The rule to report for a removed container: its strongest appeal's, else a button's."""
    blocks = list(tree.blocks_in(el))
    appeals = [b for b in blocks if b.verdict.kind == APPEAL]
    if appeals:
        return max(appeals, key=lambda b: b.verdict.score).verdict.rule
    buttons = [b for b in blocks if b.verdict.kind == BUTTON]
    return buttons[0].verdict.rule if buttons else fallback


def text_layer(tree: Tree, url: str) -> list[Removal]:
    """Remove appeals found by their words, each with its container and its buttons."""
    boxes: dict[object, str] = {}  # each container to remove, with its run's strongest rule
    partial: list[tuple[lxml.html.HtmlElement, str, str]] = []
    total = tree.paragraph_chars(tree.root)
    for run in _runs(tree):
        seed = max((tree.blocks[k] for k in run), key=lambda b: b.verdict.score)
        for k in run:
            el = tree.blocks[k].el
            if not _within(tree.block_range(el), run):
                partial.append((el, " ".join(tree.blocks[k].text.split()), seed.verdict.rule))
                continue
            box = _widen(tree, _container(tree, el, run), total)
            boxes.setdefault(box, seed.verdict.rule)
    targets = _outermost(tree, list(boxes))
    spans = [(tree.start[el], tree.end(el)) for el in targets]
    found: list[tuple[int, Removal]] = []
    for el, text, rule in partial:
        position = tree.start[el]
        if any(start <= position < end for start, end in spans):
            continue  # inside a box that goes whole
        found.append((position, Removal(text, rule)))
        _strip_own_text(el)
    for box in targets:
        text = block_text(tree, box)
        rule = _rule_for(tree, box, boxes[box])
        found.append((tree.start[box], Removal(text=text, rule=rule)))
        log.debug("%s: removed %s: %.80s", url, rule, text)
    for el in targets:
        el.drop_tree()
    return [removal for _, removal in sorted(found, key=lambda item: item[0])]


# ---------------------------------------------------------------------------------------------
# Entry points
# ---------------------------------------------------------------------------------------------

_DOC_START = re.compile(
    r"^\ufeff?\s*(<!--.*?-->\s*)*<(!doctype|html|\?xml|head|body)\b", re.I | re.S
)
_DOCTYPE = re.compile(r"<!doctype", re.I)
_PARSER = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True)


def is_document(html: str) -> bool:
    """A whole page rather than a fragment (readability's output, a feed's content)."""
    return bool(_DOC_START.match(html[:4000]))


# C0 controls other than tab, line feed and carriage return: HTML parse errors that lxml keeps in
# the tree but refuses to set again, so moving such text (as drop_tree does) would raise.
_CONTROLS = {c: None for c in (*range(0x00, 0x09), 0x0B, *range(0x0E, 0x20), 0x7F)} | {0x0C: " "}
_HAS_CONTROL = re.compile(r"[\x00-\x08\x0b-\x0c\x0e-\x1f\x7f]")


def without_controls(text: str) -> str:
    """Text with the control characters no HTML document may hold taken out (form feed becomes
    a space, as HTML counts it as white space)."""
    return text.translate(_CONTROLS) if _HAS_CONTROL.search(text) else text


def parse_html(html: str, url: str) -> lxml.html.HtmlElement:
    """Parse a whole page or a fragment (a fragment gets a <div> parent)."""
    data = without_controls(html).encode("utf-8", "replace")
    try:
        if is_document(html):
            return lxml.html.document_fromstring(data, parser=_PARSER)
        return lxml.html.fragment_fromstring(data, create_parent="div", parser=_PARSER)
    except (etree.ParserError, ValueError) as err:
        raise ExtractError(f"{url}: cannot parse the HTML: {err}") from err


def serialize(root: lxml.html.HtmlElement, document: bool, doctype: str | None = None) -> str:
    """Back to a string: the whole page, or the fragment without its added parent."""
    if document:
        return lxml.html.tostring(root, encoding="unicode", doctype=doctype)
    inner = "".join(lxml.html.tostring(child, encoding="unicode") for child in root)
    return htmllib.escape(root.text or "", quote=False) + inner


def clean_tree(
    root: lxml.html.HtmlElement, url: str, kinds: frozenset[str] = ALL_KINDS
) -> list[Removal]:
    """Run every layer over a parsed tree, in place; return what went.

    `kinds` limits the structure layer to some kinds of container (see rules/structure.toml);
    with none, only the text layer runs.
    """
    body = root.find("body") if _tag(root) == "html" else None
    top = body if body is not None else root
    tree = Tree(top)
    removed = structure_layer(tree, url, kinds)
    removed += text_layer(tree, url)
    if removed:
        log.info("%s: removed %d appeal or boilerplate blocks", url, len(removed))
    return removed


def find_appeals(html: str, url: str) -> tuple[str, list[Removal]]:
    """The HTML without its appeals and boilerplate, and what was removed and why."""
    if not html or not html.strip():
        return html, []
    root = parse_html(html, url)
    removed = clean_tree(root, url)
    doctype = root.getroottree().docinfo.doctype if _DOCTYPE.search(html[:4000]) else None
    return serialize(root, is_document(html), doctype), removed


def remove_appeals(html: str, url: str) -> str:
    """The HTML without its appeals and boilerplate."""
    return find_appeals(html, url)[0]
