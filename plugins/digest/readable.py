"""readability-lxml's Document, with Mozilla Readability's rule for articles split into blocks.

readability-lxml takes the single best-scoring container as the article and adds only those
of its siblings that score well themselves. A page that sets its article out as several
blocks in different wrappers (a story body cut into columns by ads or figures) then loses
every block but the best one: on such pages readability-lxml returned as little as a twentieth
of the article. Mozilla's Readability, the reference the corpus's expected texts come from,
looks at the other top candidates: when at least three of the five best score within three
quarters of the best, the nearest ancestor they share with it is taken instead.

readability-lxml 0.9 has its own answer for one case of this, merging segments that carry the
best block's content class; where that merge moves anything, the page is left to it (taking
the ancestor there can drop a lead that sits outside the shared wrapper).

It also reads an already parsed page more cheaply. readability-lxml runs lxml_html_clean over
the whole page first, and most of that pass (event handlers, javascript: links, script hidden
in CSS, for every element and link) is for making its output safe; Digest's sanitizer (nh3)
does that for the article alone, so here only what changes readability's choice is done:
hidden elements, scripts, styles, links, comments and processing instructions go, and style
attributes with them. On short pages that pass was a tenth of the extractor's time.

Two of readability-lxml's steps are done here in a cheaper way that decides the same: the
search for unlikely containers looks only at elements with a class or an id (the others cannot
match), and link density measures text with str.split instead of two regular expressions over
the whole container's text, once per candidate. Together they halve readability's time on
news-sized pages; the corpus's outputs are unchanged.
"""

from __future__ import annotations

import copy
from typing import Any

import lxml.html
from lxml import etree
from readability import Document
from readability.readability import REGEXES

TOP_CANDIDATES = 5  # Readability.js's DEFAULT_N_TOP_CANDIDATES
MIN_SHARING = 3  # Readability.js's MINIMUM_TOPCANDIDATES
CLOSE_SCORE = 0.75  # a candidate this close to the best one counts as another piece
STOP_TAGS = frozenset({"body", "html"})

Candidate = dict[str, Any]  # readability-lxml's {"content_score": float, "elem": element}


def shared_ancestor(
    best: lxml.html.HtmlElement, others: list[lxml.html.HtmlElement]
) -> lxml.html.HtmlElement | None:
    """The nearest ancestor of `best` below <body> holding MIN_SHARING of `others`, if any."""
    if len(others) < MIN_SHARING:
        return None
    lineages = [set(other.iterancestors()) for other in others]
    for ancestor in best.iterancestors():
        if ancestor.tag in STOP_TAGS:
            return None
        if sum(ancestor in lineage for lineage in lineages) >= MIN_SHARING:
            return ancestor
    return None


# Containers never dropped as unlikely: code, and whatever holds the main content's own tags.
KEEP_UNLIKELY = (
    "ancestor-or-self::pre | ancestor-or-self::code | descendant-or-self::main"
    " | descendant-or-self::article | descendant-or-self::math"
)


def text_chars(element: lxml.html.HtmlElement) -> int:
    """An element's text length with white space runs counted as one, as readability counts."""
    return len(" ".join(element.text_content().split()))


# What readability-lxml's own cleaner takes out that its scoring would otherwise read.
DROPPED = (etree.Comment, etree.ProcessingInstruction, "script", "style", "link")


class ArticleDocument(Document):
    """Document whose article is the shared ancestor of close top candidates (module doc)."""

    def _parse(self, input: Any) -> lxml.html.HtmlElement:
        """A parsed page made ready for scoring, without the unsafe-markup pass (module doc)."""
        if not isinstance(input, lxml.html.HtmlElement):
            return super()._parse(input)
        self.encoding = "utf-8"
        # A copy, as readability-lxml's cleaner makes: summary() parses again for its second,
        # less ruthless try, and that must start from the page, not from the first try's leftovers.
        doc = copy.deepcopy(input)
        for elem in doc.xpath("//*[@hidden]"):
            elem.drop_tree()
        for elem in doc.xpath("//*[@style]"):
            if REGEXES["displayNoneRe"].search(elem.get("style")):
                elem.drop_tree()
        for elem in doc.iter("image"):
            elem.tag = "img"
        etree.strip_elements(doc, *DROPPED, with_tail=False)
        etree.strip_attributes(doc, "style")
        return doc

    def remove_unlikely_candidates(self) -> None:
        """Drop containers whose class or id reads as page furniture (readability's rule)."""
        unlikely = REGEXES["unlikelyCandidatesRe"]
        maybe = REGEXES["okMaybeItsACandidateRe"]
        for elem in self.html.xpath(".//*[@class or @id]"):
            names = f"{elem.get('class', '')} {elem.get('id', '')}"
            if not unlikely.search(names) or maybe.search(names):
                continue
            if elem.tag in STOP_TAGS or elem.xpath(KEEP_UNLIKELY):
                continue
            elem.drop_tree()

    def get_link_density(self, elem: lxml.html.HtmlElement) -> float:
        """Share of an element's text that is link text."""
        links = sum(text_chars(link) for link in elem.iterdescendants("a"))
        return links / max(text_chars(elem), 1)

    def get_article(
        self,
        candidates: dict[Any, Candidate],
        best_candidate: Candidate,
        html_partial: bool = False,
    ) -> lxml.html.HtmlElement:
        """Widen the choice before readability-lxml gathers the article's siblings."""
        best = best_candidate["elem"]
        children = len(best)
        threshold = max(10.0, best_candidate["content_score"] * 0.2)  # as get_article's own
        self.merge_article_segments(candidates, best_candidate, threshold)
        if len(best) == children:
            best_candidate = self._widened(candidates, best_candidate)
        return super().get_article(candidates, best_candidate, html_partial=html_partial)

    def _widened(self, candidates: dict[Any, Candidate], best_candidate: Candidate) -> Candidate:
        """The best candidate, or the ancestor it shares with the other close ones."""
        best = best_candidate["elem"]
        floor = best_candidate["content_score"] * CLOSE_SCORE
        ranked = sorted(candidates.values(), key=lambda c: c["content_score"], reverse=True)
        close = [
            c["elem"]
            for c in ranked[:TOP_CANDIDATES]
            if c["elem"] is not best and c["content_score"] >= floor
        ]
        ancestor = shared_ancestor(best, close)
        if ancestor is None:
            return best_candidate
        widened = candidates.get(ancestor) or self.score_node(ancestor)
        candidates[ancestor] = widened
        return widened
