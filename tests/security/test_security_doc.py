"""SECURITY.md and the tests keep each other honest.

Every test SECURITY.md cites exists; every open finding it lists is held by an xfail test of
tests/security/, and every finding an xfail test names is listed there.
"""

from __future__ import annotations

import re
from pathlib import Path

from .conftest import ROOT

DOC = ROOT / "SECURITY.md"
CITED = re.compile(r"`(tests/[\w/]+\.py)::(\w+)`")
HEADING = re.compile(r"^### (F\d+)\. ", re.M)


def test_every_cited_test_exists() -> None:
    cited = CITED.findall(DOC.read_text(encoding="utf-8"))
    assert len(cited) > 40
    for path, name in cited:
        source = (ROOT / path).read_text(encoding="utf-8")
        assert re.search(rf"^(def {name}\(|{name} = )", source, re.M), f"{path}::{name}"


def test_open_findings_and_xfail_tests_match() -> None:
    listed = set(HEADING.findall(DOC.read_text(encoding="utf-8")))
    held: set[str] = set()
    for path in Path(__file__).parent.glob("test_*.py"):
        for match in re.finditer(r"reason=\"([^\"]*)\"", path.read_text(encoding="utf-8")):
            held.update(re.findall(r"\bF\d+\b", match.group(1)))
    assert listed == held, f"only in SECURITY.md: {listed - held}; only in tests: {held - listed}"
