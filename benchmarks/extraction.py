"""Extraction benchmark: the project's extractor against readability-lxml alone, same process.

Two measurements, each for `digest` (digest.extract.extract_article(...).html) and for
`readability` (readability.Document(html, url=url).summary(html_partial=True)):

1. Readable text on the Mozilla pages of the shared corpus (../shared/corpus/mozilla, scored by
   that corpus's own evaluate.py, imported rather than copied): token precision, recall and F1,
   and the pages where digest scores more than 0.02 F1 below readability alone.
2. Appeals on tests/fixtures/appeals: the share of appeal sentences gone from the output, the
   share of article paragraphs and of hard negatives (paragraphs about money, support or
   subscriptions) missing from it.

Time per page is the median of --repeat runs; the two extractors run in turn on the same page,
so a busy machine slows both alike and the ratio stays meaningful.

    PYTHONPATH=plugins python benchmarks/extraction.py [--repeat 3] [--json out.json] [--check]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import logging
import re
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
APPEALS = ROOT / "tests" / "fixtures" / "appeals"
if str(ROOT / "plugins") not in sys.path:
    sys.path.insert(0, str(ROOT / "plugins"))

from readability import Document  # noqa: E402

import digest.clean  # noqa: E402
from digest.errors import DigestError  # noqa: E402
from digest.extract import extract_article  # noqa: E402
from digest.sanitize import html_to_text  # noqa: E402

Extractor = Callable[[str, str], str]

# The targets: (figure, comparison, bound). "rel" figures compare with readability.
TARGETS = {
    "appeal_recall": (">=", 0.98),
    "paragraph_loss": ("<=", 0.005),
    "hard_negative_loss": ("<=", 0.01),
    "mozilla_f1_vs_readability": (">=", 0.0),
    "time_ratio": ("<=", 1.3),
}
WORSE_BY = 0.02


def digest_html(html: str, url: str) -> str:
    """The project's extractor; a page it rejects counts as an empty output."""
    try:
        return extract_article(html, url).html
    except DigestError:
        return ""


def readability_html(html: str, url: str) -> str:
    """readability-lxml alone, as the project calls it."""
    return Document(html, url=url).summary(html_partial=True)


EXTRACTORS: dict[str, Extractor] = {"digest": digest_html, "readability": readability_html}
# Per-text caches of the cleaner, emptied before each timed digest run: otherwise the 2nd and
# 3rd runs of a page find every block already judged, which no page in production does.
TEXT_CACHES = ("judge", "_structure_match")


def empty_caches() -> None:
    """Forget what the cleaner has judged (rule files stay loaded, as in a real run)."""
    for name in TEXT_CACHES:
        cache_clear = getattr(getattr(digest.clean, name, None), "cache_clear", None)
        if cache_clear is not None:
            cache_clear()


def load_evaluate(corpus: Path) -> ModuleType | None:
    """The shared corpus's evaluate.py as a module, so its metric is used as written."""
    path = corpus / "evaluate.py"
    if not path.is_file() or not (corpus / "mozilla").is_dir():
        return None
    spec = importlib.util.spec_from_file_location("corpus_evaluate", path)
    if spec is None or spec.loader is None:
        return None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass
class Timing:
    """Median milliseconds per page and extractor, from interleaved runs."""

    ms: dict[str, list[float]] = field(default_factory=lambda: {n: [] for n in EXTRACTORS})

    def run(self, html: str, url: str, repeat: int) -> dict[str, str]:
        """Each extractor on one page, `repeat` times in turn; keeps the last outputs."""
        runs: dict[str, list[float]] = {name: [] for name in EXTRACTORS}
        outputs: dict[str, str] = {}
        for _ in range(max(1, repeat)):
            for name, extractor in EXTRACTORS.items():
                if name == "digest":
                    empty_caches()
                start = time.perf_counter()
                outputs[name] = extractor(html, url)
                runs[name].append((time.perf_counter() - start) * 1000)
        for name, values in runs.items():
            self.ms[name].append(statistics.median(values))
        return outputs

    def summary(self) -> dict[str, float]:
        """Mean per-page median of each extractor, and digest's total over readability's."""
        out = {f"{name}_ms": statistics.mean(v) for name, v in self.ms.items() if v}
        base = sum(self.ms["readability"])
        out["time_ratio"] = sum(self.ms["digest"]) / base if base else float("nan")
        return out


def warm_up(html: str, url: str) -> None:
    """One untimed call each: imports, rule files and caches are not what is measured."""
    for extractor in EXTRACTORS.values():
        extractor(html, url)


# ---------------------------------------------------------------------------------------------
# Mozilla pages: readable text
# ---------------------------------------------------------------------------------------------


def mozilla(evaluate: ModuleType, corpus: Path, repeat: int, limit: int | None) -> dict:
    """Token P/R/F1 of both extractors against Readability.js's expected output."""
    pages = list(evaluate.load_mozilla(corpus / "mozilla"))[:limit]
    warm_up(pages[0][2], pages[0][1])
    timing = Timing()
    rows: dict[str, list[dict]] = {name: [] for name in EXTRACTORS}
    for page_id, url, html, truth in pages:
        outputs = timing.run(html, url, repeat)
        for name, out in outputs.items():
            text = evaluate.output_to_text(out, "html")
            row = {"id": page_id, "empty": not text.strip(), **evaluate.score_page(truth, text)}
            rows[name].append(row)
    result: dict = {"pages": len(pages), **timing.summary()}
    for name, page_rows in rows.items():
        agg = evaluate.aggregate(page_rows)
        p, r = agg["tok_p_mean"], agg["tok_r_mean"]
        result[name] = {
            "tok_p": p,
            "tok_r": r,
            "tok_f1": 2 * p * r / (p + r) if p + r else 0.0,
            "tok_f1_page_mean": agg["tok_f1_mean"],
            "zyte_f1": agg["zyte_F1"],
            "empty": agg["empty_outputs"],
        }
    result["worse_pages"] = [
        {"id": d["id"], "digest": round(d["tok_f1"], 3), "readability": round(r["tok_f1"], 3)}
        for d, r in zip(rows["digest"], rows["readability"], strict=True)
        if d["tok_f1"] < r["tok_f1"] - WORSE_BY
    ]
    return result


# ---------------------------------------------------------------------------------------------
# Appeal corpus
# ---------------------------------------------------------------------------------------------


def flat(text: str) -> str:
    """White space collapsed (non-breaking spaces too), for comparing sentences."""
    return " ".join(text.split())


def present(sentence: str, text: str) -> bool:
    """Whether a sentence is in the text as whole words ("$5" is not in "$50")."""
    return re.search(rf"(?<!\w){re.escape(flat(sentence))}(?!\w)", text) is not None


def appeal_cases(folder: Path) -> Iterator[tuple[str, str, dict]]:
    """Each fixture page: its name, its HTML and its sidecar."""
    for sidecar in sorted(folder.glob("*.json")):
        spec = json.loads(sidecar.read_text(encoding="utf-8"))
        yield sidecar.stem, sidecar.with_suffix(".html").read_text(encoding="utf-8"), spec


@dataclass
class Tally:
    """Counts behind the appeal-corpus rates."""

    sentences: int = 0
    sentences_left: int = 0
    paragraphs: int = 0
    paragraphs_lost: int = 0
    negatives: int = 0
    negatives_lost: int = 0

    def add(self, text: str, spec: dict) -> list[str]:
        """Count one page's output; returns what went wrong on it, for the report."""
        problems = []
        negatives = set(spec["hard_negatives"])
        for paragraph in spec["paragraphs"]:
            lost = flat(paragraph) not in text
            self.paragraphs += 1
            self.paragraphs_lost += lost
            if paragraph in negatives:
                self.negatives += 1
                self.negatives_lost += lost
            if lost:
                problems.append(f"lost: {paragraph[:70]}")
        for appeal in spec["appeals"]:
            left = [s for s in appeal["sentences"] if present(s, text)]
            self.sentences += len(appeal["sentences"])
            self.sentences_left += len(left)
            problems += [f"left ({appeal['shape']}): {s[:70]}" for s in left]
        return problems

    def rates(self) -> dict[str, float]:
        """The three rates the targets are set on."""
        return {
            "appeal_recall": 1 - self.sentences_left / max(1, self.sentences),
            "paragraph_loss": self.paragraphs_lost / max(1, self.paragraphs),
            "hard_negative_loss": self.negatives_lost / max(1, self.negatives),
        }


def appeals(folder: Path, repeat: int) -> dict:
    """Appeal recall and paragraph losses of both extractors, overall and per language."""
    cases = list(appeal_cases(folder))
    warm_up(cases[0][1], cases[0][2]["url"])
    timing = Timing()
    tallies: dict[str, dict[str, Tally]] = {name: {} for name in EXTRACTORS}
    problems: dict[str, dict[str, list[str]]] = {name: {} for name in EXTRACTORS}
    for page, html, spec in cases:
        outputs = timing.run(html, spec["url"], repeat)
        for name, out in outputs.items():
            text = flat(html_to_text(out))
            found = tallies[name].setdefault("all", Tally()).add(text, spec)
            tallies[name].setdefault(spec["lang"], Tally()).add(text, spec)
            if found:
                problems[name][page] = found
    counts = tallies["digest"]["all"]
    result: dict = {
        "pages": len(cases),
        "appeal_blocks": sum(len(spec["appeals"]) for _, _, spec in cases),
        "appeal_sentences": counts.sentences,
        "paragraphs": counts.paragraphs,
        "hard_negatives": counts.negatives,
        **timing.summary(),
    }
    for name, by_lang in tallies.items():
        result[name] = {key: tally.rates() for key, tally in sorted(by_lang.items())}
        result[name]["problems"] = problems[name]
    return result


# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------


def verdict(figure: str, value: float) -> str:
    """'yes' or 'NO' against the issue's target for a figure."""
    op, bound = TARGETS[figure]
    return "yes" if (value >= bound if op == ">=" else value <= bound) else "NO"


def table(moz: dict | None, app: dict) -> tuple[str, dict[str, str]]:
    """The markdown table, and each target's verdict."""
    rows: list[tuple[str, ...]] = []
    verdicts: dict[str, str] = {}
    if moz is not None:
        d, r = moz["digest"], moz["readability"]
        gain = d["tok_f1"] - r["tok_f1"]
        verdicts["mozilla_f1_vs_readability"] = verdict("mozilla_f1_vs_readability", gain)
        verdicts["time_ratio_mozilla"] = verdict("time_ratio", moz["time_ratio"])
        rows += [
            (
                f"mozilla ({moz['pages']} pages): token precision",
                f"{d['tok_p']:.3f}",
                f"{r['tok_p']:.3f}",
            ),
            ("mozilla: token recall", f"{d['tok_r']:.3f}", f"{r['tok_r']:.3f}"),
            (
                "mozilla: token F1 (of mean P, R)",
                f"{d['tok_f1']:.3f}",
                f"{r['tok_f1']:.3f}",
                ">= readability",
                verdicts["mozilla_f1_vs_readability"],
            ),
            (
                "mozilla: token F1, per-page mean",
                f"{d['tok_f1_page_mean']:.3f}",
                f"{r['tok_f1_page_mean']:.3f}",
            ),
            ("mozilla: shingle F1 (ScrapingHub)", f"{d['zyte_f1']:.3f}", f"{r['zyte_f1']:.3f}"),
            (f"mozilla: pages > {WORSE_BY} F1 below readability", str(len(moz["worse_pages"])), ""),
            ("mozilla: ms per page", f"{moz['digest_ms']:.1f}", f"{moz['readability_ms']:.1f}"),
            (
                "mozilla: time ratio",
                f"{moz['time_ratio']:.2f}x",
                "1.00x",
                "<= 1.3x",
                verdicts["time_ratio_mozilla"],
            ),
        ]
    d, r = app["digest"], app["readability"]
    langs = [k for k in d if k not in ("all", "problems")]
    sizes = {
        "appeal_recall": f"{app['appeal_blocks']} appeals, {app['appeal_sentences']} sentences",
        "paragraph_loss": f"{app['paragraphs']} paragraphs",
        "hard_negative_loss": f"{app['hard_negatives']} hard negatives",
    }
    for figure, size in sizes.items():
        verdicts[figure] = verdict(figure, d["all"][figure])
        op, bound = TARGETS[figure]
        per_lang = ", ".join(f"{k} {d[k][figure]:.3f}" for k in langs)
        label = f"appeals ({size}): {figure.replace('_', ' ')} ({per_lang})"
        rows.append(
            (
                label,
                f"{d['all'][figure]:.3f}",
                f"{r['all'][figure]:.3f}",
                f"{op} {bound}",
                verdicts[figure],
            )
        )
    verdicts["time_ratio_appeals"] = verdict("time_ratio", app["time_ratio"])
    rows += [
        (
            f"appeals ({app['pages']} pages): ms per page",
            f"{app['digest_ms']:.1f}",
            f"{app['readability_ms']:.1f}",
        ),
        (
            "appeals: time ratio",
            f"{app['time_ratio']:.2f}x",
            "1.00x",
            "<= 1.3x",
            verdicts["time_ratio_appeals"],
        ),
    ]
    lines = ["| figure | digest | readability alone | target | met |", "|---|---:|---:|---|---|"]
    lines += ["| " + " | ".join(row + ("",) * (5 - len(row))) + " |" for row in rows]
    return "\n".join(lines), verdicts


def main(argv: list[str] | None = None) -> int:
    """Run both measurements, print the table, optionally write JSON; 1 on --check misses."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per page; the median counts")
    parser.add_argument("--json", type=Path, help="write every figure and per-page detail here")
    parser.add_argument("--corpus", type=Path, default=CORPUS, help="the shared corpus folder")
    parser.add_argument("--appeals", type=Path, default=APPEALS, help="the appeal fixtures")
    parser.add_argument("--limit", type=int, help="only the first N Mozilla pages")
    parser.add_argument("--problems", action="store_true", help="list what each page got wrong")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)

    evaluate = load_evaluate(args.corpus)
    moz = None
    if evaluate is None:
        print(f"skipping the Mozilla pages: no evaluate.py and mozilla/ under {args.corpus}")
    else:
        moz = mozilla(evaluate, args.corpus, args.repeat, args.limit)
    app = appeals(args.appeals, args.repeat)
    text, verdicts = table(moz, app)
    print(text)
    if moz is not None and moz["worse_pages"]:
        print(f"\nMozilla pages more than {WORSE_BY} token F1 below readability alone:")
        for page in moz["worse_pages"]:
            print(f"  {page['id']}: {page['digest']} vs {page['readability']}")
    if args.problems:
        for name in EXTRACTORS:
            print(f"\n{name}: appeal-corpus problems")
            for page, found in app[name]["problems"].items():
                print(f"  {page}")
                for problem in found:
                    print(f"    {problem}")
    if args.json:
        report = {"repeat": args.repeat, "mozilla": moz, "appeals": app, "targets_met": verdicts}
        args.json.write_text(json.dumps(report, indent=1, ensure_ascii=False), encoding="utf-8")
    return 1 if args.check and "NO" in verdicts.values() else 0


if __name__ == "__main__":
    sys.exit(main())
