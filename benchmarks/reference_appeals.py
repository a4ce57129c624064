"""The Mozilla pages where the digest scores more than 0.02 F1 below readability-lxml, scored
twice: against the reference as it is, and with the reference's lines that are appeals taken out.

The reference is Readability.js's output, not a person's (the corpus README says so), and it
keeps some blocks the digest is built to remove: share links, a paid newsletter's sign-up and
plans. Those lines are listed here by hand, each with why it is an appeal, so the adjustment
can be read and disputed; nothing else of the reference changes.

    PYTHONPATH=plugins python benchmarks/reference_appeals.py
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import extraction

# page -> (why its lines are appeals, the starts of those lines in the reference)
APPEAL_LINES: dict[str, tuple[str, tuple[str, ...]]] = {
    "qq": ("share links: 'share to Tencent Weibo' under the photos", ("转播到腾讯微博",)),
    "theverge": (
        "a paid newsletter's sign-up pitch, its three plans and the payment methods",
        (
            "Sign up for Command Line",
            "Monthly",
            "$7/month",
            "A flexible plan",
            "Annual",
            "$70/year",
            "A discounted plan",
            "Corporate",
            "$60/person/year",
            "Keep your team informed",
            "We accept credit card",
        ),
    ),
}


def main() -> int:
    """Print each page's token F1, digest and readability, with and without the appeal lines."""
    evaluate = extraction.load_evaluate(extraction.CORPUS)
    if evaluate is None:
        print(f"no corpus at {extraction.CORPUS}")
        return 1
    print("| page | appeal lines taken out | reference | digest F1 | readability F1 |")
    print("| --- | --- | --- | ---: | ---: |")
    for page, url, html, truth in evaluate.load_mozilla(extraction.CORPUS / "mozilla"):
        if page not in APPEAL_LINES:
            continue
        why, starts = APPEAL_LINES[page]
        lines = truth.split("\n")
        kept = [line for line in lines if not line.strip().startswith(starts)]
        digest_text = evaluate.output_to_text(extraction.digest_html(html, url), "html")
        readability_text = evaluate.output_to_text(extraction.readability_html(html, url), "html")
        for name, reference in (("as given", truth), ("appeals out", "\n".join(kept))):
            scores = [
                evaluate.score_page(reference, text)["tok_f1"]
                for text in (digest_text, readability_text)
            ]
            taken = f"{len(lines) - len(kept)} ({why})" if name == "appeals out" else "-"
            print(f"| {page} | {taken} | {name} | {scores[0]:.3f} | {scores[1]:.3f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
