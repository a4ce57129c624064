"""tags: normalization, aliases and keyword rules."""

from __future__ import annotations

import pytest

from digest.errors import ConfigError
from digest.tags import freeze_rules, normalize_tags, rule_tags


def test_normalize_tags() -> None:
    assert normalize_tags(["Ukraine", " ukraine ", "Local, news", "", "  Big   Cats "]) == (
        "ukraine",
        "local news",
        "big cats",
    )


def test_aliases_fold_spellings_onto_one_tag() -> None:
    aliases = {"Ukrainian crisis": "Ukraine", "UA": "ukraine"}
    tags = ["Ukraine", "ukrainian  crisis", "ua", "Diplomacy"]
    assert normalize_tags(tags, aliases) == ("ukraine", "diplomacy")


def test_rules_match_words_and_patterns() -> None:
    rules = freeze_rules(
        {
            "climate": ["climate", r"carbon (dioxide|emissions?)"],
            "ferries": "ferry",
            "sea level": "sea level",
        }
    )
    text = "The ferry operator cut carbon emissions; sea   levels were not discussed."
    assert rule_tags(text, rules) == ["climate", "ferries"]
    assert rule_tags("Ferryman", rules) == []  # whole words only
    assert rule_tags("The SEA LEVEL rose", rules) == ["sea level"]


@pytest.mark.parametrize("rules", [{"x": "(unclosed"}, {"x": []}])
def test_bad_rules_are_config_errors_naming_the_tag(rules: dict[str, object]) -> None:
    with pytest.raises(ConfigError, match="DIGEST_TAG_RULES"):
        freeze_rules(rules)
