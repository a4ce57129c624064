"""Tags readers can trust: feed categories, source tags and keyword rules, normalized and aliased.

"Ukraine", " ukraine " and, with an alias, "Ukrainian crisis" all land on one tag.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache

from .errors import ConfigError
from .write import plain_text

TagRules = tuple[tuple[str, re.Pattern[str]], ...]


def normalize_tag(tag: str) -> str:
    """Lower-case and trimmed, inner spaces collapsed; commas and semicolons would split a tag,
    and a control character would stop Pelican's feed writer (it becomes a space)."""
    return re.sub(r"[\s,;]+", " ", plain_text(str(tag))).strip().lower()


def normalize_tags(
    tags: Iterable[str], aliases: Mapping[str, str] | None = None
) -> tuple[str, ...]:
    """Normalized, aliased and de-duplicated tags, in their first order."""
    table = {normalize_tag(k): normalize_tag(v) for k, v in (aliases or {}).items()}
    seen: dict[str, None] = {}
    for tag in tags:
        clean = normalize_tag(tag)
        clean = table.get(clean, clean)
        if clean:
            seen.setdefault(clean, None)
    return tuple(seen)


def _pattern(expression: str, tag: str) -> re.Pattern[str]:
    """A plain word matches as a whole word; anything with regex syntax is a regex."""
    if re.fullmatch(r"[\w' -]+", expression):
        source = r"\b" + r"\s+".join(map(re.escape, expression.split())) + r"\b"
    else:
        source = expression
    try:
        return re.compile(source, re.IGNORECASE)
    except re.error as err:
        raise ConfigError(
            f"DIGEST_TAG_RULES[{tag!r}]: {expression!r} is not a pattern: {err}"
        ) from err


def compile_rules(rules: Mapping[str, object]) -> TagRules:
    """DIGEST_TAG_RULES (tag -> word, pattern, or a list of them) as compiled patterns."""
    compiled: list[tuple[str, re.Pattern[str]]] = []
    for tag, spec in rules.items():
        expressions = [spec] if isinstance(spec, str) else list(spec)  # type: ignore[call-overload]
        if not expressions:
            raise ConfigError(f"DIGEST_TAG_RULES[{tag!r}] lists no words or patterns")
        compiled.extend((tag, _pattern(str(e), tag)) for e in expressions)
    return tuple(compiled)


@lru_cache(maxsize=8)
def _cached_rules(frozen: tuple[tuple[str, tuple[str, ...]], ...]) -> TagRules:
    """compile_rules, once per distinct rule set."""
    return compile_rules(dict(frozen))


def freeze_rules(rules: Mapping[str, object]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """A hashable form of DIGEST_TAG_RULES, for the settings object and the cache."""
    frozen = []
    for tag, spec in rules.items():
        items = (spec,) if isinstance(spec, str) else tuple(str(s) for s in spec)  # type: ignore[union-attr]
        frozen.append((str(tag), items))
    _cached_rules(tuple(frozen))  # fail early, at settings time, on a bad pattern
    return tuple(frozen)


def rule_tags(text: str, rules: tuple[tuple[str, tuple[str, ...]], ...]) -> list[str]:
    """The tags whose words or patterns occur in the text."""
    found: dict[str, None] = {}
    for tag, pattern in _cached_rules(rules):
        if tag not in found and pattern.search(text):
            found[tag] = None
    return list(found)
