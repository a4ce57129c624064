"""The cleaner: appeals out, every real paragraph kept.

Golden pages live in tests/fixtures/pages/: NAME.html beside NAME.json, which lists the
paragraphs that must stay (in order) and the appeal sentences that must go.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

import pytest

from digest.clean import (
    APPEAL,
    BUTTON,
    MAYBE,
    REAL,
    Tree,
    find_appeals,
    judge,
    parse_html,
    remove_appeals,
    structure_layer,
    structure_rules,
    text_rules,
)
from digest.extract import extract_article
from digest.sanitize import html_to_text

PAGES = Path(__file__).resolve().parents[1] / "fixtures" / "pages"
SEED = Path(__file__).resolve().parents[3] / "shared" / "seeds" / "000_9650ed9816f584fc.txt"
URL = "https://news.example.org/2024/story"


def flat(text: str) -> str:
    """Whitespace (non-breaking spaces too) collapsed, for comparing paragraphs."""
    return " ".join(text.split())


def assert_in_order(text: str, paragraphs: list[str]) -> None:
    """Every paragraph is in text, each after the one before."""
    haystack, position = flat(text), 0
    for paragraph in paragraphs:
        found = haystack.find(flat(paragraph), position)
        assert found >= 0, f"lost or out of order: {paragraph[:70]!r}"
        position = found + 1


def assert_gone(text: str, sentences: list[str]) -> None:
    """None of the sentences is left in text."""
    haystack = flat(text)
    for sentence in sentences:
        assert flat(sentence) not in haystack, f"appeal left: {sentence[:70]!r}"


def visible_text(page: str) -> str:
    """The text of cleaned HTML."""
    return html_to_text(page)


# ---------------------------------------------------------------------------------------------
# The seed page: an article between two donation appeals, with no telling class names
# ---------------------------------------------------------------------------------------------


def seed_lines() -> list[str]:
    """The seed's non-blank lines; the test is skipped where the shared seed is absent."""
    if not SEED.is_file():
        pytest.skip(f"seed text not found at {SEED}")
    return [line.strip() for line in SEED.read_text(encoding="utf-8").splitlines() if line.strip()]


def seed_parts() -> dict[str, list[str]]:
    """The seed cut into its parts: top banner, title, article, appeal, "Read more"."""
    lines = seed_lines()
    title = next(i for i, line in enumerate(lines) if line.startswith("Kerry and Lavrov"))
    appeal = next(i for i, line in enumerate(lines) if "small favor to ask" in line)
    more = next(i for i, line in enumerate(lines) if line == "Read more")
    return {
        "banner": lines[:title],
        "title": [lines[title]],
        "article": lines[title + 1 : appeal],
        "appeal": lines[appeal:more],
    }


def seed_page(appeal_inside_article: bool) -> str:
    """The seed as a page: each line a <p>, appeals in <div>s with meaningless class names."""
    parts = seed_parts()

    def paragraphs(lines: list[str]) -> str:
        return "\n".join(f"<p>{html.escape(line)}</p>" for line in lines)

    appeal = f'<div class="x7-q">\n{paragraphs(parts["appeal"])}\n</div>'
    title = html.escape(parts["title"][0])
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{title} - The Example Times</title>
<meta property="og:title" content="{title}"></head>
<body>
<div class="x1-a">
{paragraphs(parts["banner"])}
</div>
<div class="h0"><a href="/">The Example Times</a></div>
<div class="c9">
<h1>{title}</h1>
{paragraphs(parts["article"])}
{appeal if appeal_inside_article else ""}
</div>
{"" if appeal_inside_article else appeal}
<div class="r4"><h3>Read more</h3><ul>
<li><a href="/news/a">Grain deal talks stall for a third week</a></li>
<li><a href="/news/b">Ferry link to the peninsula suspended after storm</a></li>
<li><a href="/news/c">Central bank holds its key rate at 16 percent</a></li>
</ul></div>
</body></html>"""


def test_seed_parts_have_the_expected_shape() -> None:
    parts = seed_parts()
    # The standfirst plus eight body paragraphs ("The top diplomats..." to "...are illegal.").
    assert len(parts["article"]) == 9
    assert flat(parts["article"][1]).startswith("The top diplomats")
    assert flat(parts["article"][-1]).endswith("are illegal.")
    assert len(parts["banner"]) == 5
    assert "Remind me later." in parts["appeal"]


@pytest.mark.parametrize("inside", [True, False], ids=["appeal-in-article", "appeal-after"])
def test_seed_find_appeals_keeps_article_and_drops_both_appeals(inside: bool) -> None:
    parts = seed_parts()
    cleaned, removed = find_appeals(seed_page(inside), URL)
    text = visible_text(cleaned)
    assert_in_order(text, parts["article"])
    assert_gone(text, parts["banner"] + parts["appeal"])
    assert removed, "the removals should be reported"
    assert all(r.rule.startswith("text:en:") for r in removed)
    removed_text = flat(" ".join(r.text for r in removed))
    assert flat(parts["appeal"][0]) in removed_text
    assert flat(parts["banner"][2]) in removed_text


@pytest.mark.parametrize("inside", [True, False], ids=["appeal-in-article", "appeal-after"])
def test_seed_extract_article_keeps_nine_paragraphs_in_order(inside: bool) -> None:
    parts = seed_parts()
    article = extract_article(seed_page(inside), URL)
    assert article.title == parts["title"][0]
    assert_in_order(article.text, parts["article"])
    assert_gone(article.text, parts["banner"] + parts["appeal"])
    assert not flat(article.text).startswith(flat(parts["title"][0]))
    body = [chunk for chunk in article.text.split("\n\n") if chunk.strip()]
    assert [flat(c) for c in body[:9]] == [flat(p) for p in parts["article"]]


# ---------------------------------------------------------------------------------------------
# Golden pages
# ---------------------------------------------------------------------------------------------


def golden_cases() -> list[str]:
    """Names of the fixture pages (NAME.html + NAME.json)."""
    return sorted(p.stem for p in PAGES.glob("*.json"))


def load_case(name: str) -> tuple[str, dict[str, object]]:
    """A fixture page and what it expects."""
    spec = json.loads((PAGES / f"{name}.json").read_text(encoding="utf-8"))
    return (PAGES / f"{name}.html").read_text(encoding="utf-8"), spec


def test_there_are_enough_golden_pages() -> None:
    cases = golden_cases()
    assert len(cases) >= 8
    assert any(name.startswith("ru_") for name in cases)
    for name in cases:
        _, spec = load_case(name)
        assert spec["keep"], name
        assert "remove" in spec, name


@pytest.mark.parametrize("name", golden_cases())
def test_golden_page_find_appeals(name: str) -> None:
    page, spec = load_case(name)
    cleaned, removed = find_appeals(page, str(spec["url"]))
    text = visible_text(cleaned)
    assert_in_order(text, spec["keep"])  # type: ignore[arg-type]
    assert_gone(text, spec["remove"])  # type: ignore[arg-type]
    if spec["remove"]:
        assert removed
    for removal in removed:
        assert removal.rule.split(":")[0] in {"structure", "text", "site"}


# ---------------------------------------------------------------------------------------------
# The tree the layers share
# ---------------------------------------------------------------------------------------------


def golden_body(name: str) -> object:
    page, spec = load_case(name)
    root = parse_html(page, str(spec["url"]))
    body = root.find("body")
    return body if body is not None else root


@pytest.mark.parametrize("name", golden_cases())
def test_tree_spans_are_the_subtrees(name: str) -> None:
    tree = Tree(golden_body(name))
    for el in tree.order:
        assert tree.end(el) == tree.start[el] + sum(1 for _ in el.iter())


@pytest.mark.parametrize("name", golden_cases())
def test_tree_after_structure_removals_is_the_tree_built_again(name: str) -> None:
    """The text layer works on the structure layer's tree, pruned rather than rebuilt."""
    top = golden_body(name)
    tree = Tree(top)
    structure_layer(tree, URL)
    fresh = Tree(top)
    kept = [(b.el, flat(b.text), b.verdict) for b in tree.blocks]
    assert kept == [(b.el, flat(b.text), b.verdict) for b in fresh.blocks]
    for block in fresh.blocks:
        assert list(tree.block_range(block.el)) == list(fresh.block_range(block.el))


# ---------------------------------------------------------------------------------------------
# The text layer, block by block
# ---------------------------------------------------------------------------------------------

APPEALS = [
    "We have a small favor to ask. Independent journalism costs money, and we need you.",
    "Please support us: your monthly gift keeps our reporting free for everyone.",
    "Your support, however small, makes a real difference to our newsroom.",
    "Become a member today and help us keep local journalism alive.",
    "Subscribe to our newsletter and get the week's best stories in your inbox.",
    "Sign up for our morning briefing: the five stories you need, every weekday.",
    "You have read 4 of 5 free articles this month. Subscribe for unlimited access.",
    "If you value our work, please consider a contribution of $5 a month.",
    "Пожалуйста, поддержите нашу редакцию: без вашей помощи мы не справимся.",
    "Оформите ежемесячную подписку и помогите нам продолжать работу.",
    "Подпишитесь на нашу рассылку, чтобы не пропустить главное.",
]

NEWS = [
    "The charity said donations doubled last year, and it urged people to keep giving.",
    "Subscribers to the service will pay 5 euros a month from January, the company said.",
    '"Please help us," the mayor told residents gathered outside the flooded school.',
    "Netflix subscribers in Spain will pay €12.99 a month for the standard plan from May.",
    "The campaign on a crowdfunding site has raised $80,000 from 1,200 backers so far.",
    "The newspaper introduced a paywall in 2019 and now limits readers to ten free stories.",
    "The US pledged further military support to Ukraine, the Pentagon said on Friday.",
    "Membership of the sailing club has grown by a third since the new marina opened.",
    "Residents can sign up for the scheme at the town hall until the end of the month.",
    "«Пожалуйста, помогите нам», — сказал мэр жителям затопленного района.",
    "Фонд сообщил, что пожертвования за год выросли вдвое.",
    "Подписка на сервис подорожает до 399 рублей в месяц, говорится в сообщении компании.",
]

BUTTONS = [
    "Support us",
    "Donate now",
    "Remind me later.",
    "Not ready to support today?",
    "paiment methods",
    "Visa / Mastercard / PayPal",
    "No spam, unsubscribe anytime.",
    "$10 / month",
    "Already a subscriber? Sign in",
    "Support us · Maybe later",
    "Напомнить позже",
    "Поддержать",
]


@pytest.mark.parametrize("text", APPEALS)
def test_direct_pitches_are_appeals(text: str) -> None:
    assert judge(text).kind == APPEAL


@pytest.mark.parametrize("text", NEWS)
def test_reports_about_money_and_subscriptions_are_not_appeals(text: str) -> None:
    assert judge(text).kind not in (APPEAL, BUTTON)


@pytest.mark.parametrize("text", BUTTONS)
def test_button_lines(text: str) -> None:
    assert judge(text).kind == BUTTON


def test_appeal_rule_names_say_language_and_category() -> None:
    assert judge(APPEALS[4]).rule == "text:en:newsletter"
    assert judge(APPEALS[6]).rule == "text:en:paywall"
    assert judge(APPEALS[8]).rule.startswith("text:ru:")
    assert judge("Remind me later.").rule == "text:en:button"


def test_long_ordinary_paragraph_is_real() -> None:
    text = "The bridge reopened on Monday after eight months of repairs to its steel deck."
    assert judge(text).kind == REAL


def test_rules_files_load() -> None:
    languages = {rules.lang for rules in text_rules()}
    assert {"en", "ru"} <= languages
    names = {name for name, _ in structure_rules().rules}
    assert {"donate", "newsletter", "paywall", "share", "cookie", "comments"} <= names


# ---------------------------------------------------------------------------------------------
# Containers, guards and adjacency
# ---------------------------------------------------------------------------------------------

BODY = [
    "The regional assembly voted on Thursday to extend the tram line to the airport by 2029.",
    "The extension will add six stops and is expected to cost about 410 million euros.",
    "Work on the first section, between the central station and the ring road, starts in May.",
    "Critics said the money would be better spent on buses serving the outer suburbs.",
]


def page_with(middle: str, article_class: str = "b2") -> str:
    """A small page: four body paragraphs with `middle` after the second one."""
    first = "".join(f"<p>{p}</p>" for p in BODY[:2])
    rest = "".join(f"<p>{p}</p>" for p in BODY[2:])
    return (
        f'<html><body><div class="{article_class}"><h1>Tram line to reach the airport</h1>'
        f"{first}{middle}{rest}</div></body></html>"
    )


def test_whole_appeal_container_goes_with_its_heading_and_logo() -> None:
    box = (
        '<div class="q"><img src="/logo.png"><h4>A note from the newsroom</h4>'
        "<p>We rely on readers like you. Please support our journalism with a donation.</p>"
        '<div><a href="/d">Donate</a><a href="#">Close</a></div></div>'
    )
    cleaned, removed = find_appeals(page_with(box), URL)
    assert "logo.png" not in cleaned
    assert "A note from the newsroom" not in cleaned
    assert_in_order(visible_text(cleaned), BODY)
    assert len(removed) == 1
    assert removed[0].rule == "text:en:pitch"
    assert "Donate" in removed[0].text


def test_button_line_beside_an_appeal_goes_but_not_the_next_paragraph() -> None:
    middle = (
        "<p>If you can, please support us with a gift of $3 a month: it keeps our reporting "
        "free.</p><p><a href='/s'>Support us</a></p>"
    )
    text = visible_text(remove_appeals(page_with(middle), URL))
    assert_in_order(text, BODY)
    assert "Support us" not in text
    assert "please support us" not in text


def test_lone_button_line_without_an_appeal_stays() -> None:
    text = visible_text(remove_appeals(page_with("<p>Subscribe</p>"), URL))
    assert "Subscribe" in text


def test_doubtful_paragraph_next_to_an_appeal_in_the_article_stays() -> None:
    doubtful = "We know your commute matters, so we asked transport planners for answers."
    middle = (
        f"<p>{doubtful}</p>"
        "<div class='x'><p>Please support our journalism: become a member today.</p></div>"
    )
    assert judge(doubtful).kind in (MAYBE, REAL)
    text = visible_text(remove_appeals(page_with(middle), URL))
    assert flat(doubtful) in flat(text)
    assert "become a member" not in text


PLAIN_OPENER = "Our reporters are on the ground at the tram depot."
ASK = "Keeping them there is costly. Support our journalism from $3 a month."


def test_small_appeal_box_goes_with_its_plain_opening_line() -> None:
    box = f"<div class='k1'><div>{PLAIN_OPENER}</div><div>{ASK}</div><a href='/s'>Support</a></div>"
    assert judge(PLAIN_OPENER).kind == REAL
    cleaned, removed = find_appeals(page_with(box), URL)
    text = visible_text(cleaned)
    assert_in_order(text, BODY)
    assert PLAIN_OPENER not in text
    assert [r.text for r in removed] == [flat(f"{PLAIN_OPENER} {ASK} Support")]


def test_box_widening_stops_at_a_short_article() -> None:
    # The whole article is a few short paragraphs in one container with the ask: widening the
    # ask to its small box must not take the article with it.
    short = ["The depot reopens on Monday.", "Trams will run every ten minutes."]
    page = (
        "<html><body><div class='a1'>"
        + "".join(f"<p>{p}</p>" for p in short)
        + f"<p>{ASK}</p></div></body></html>"
    )
    text = visible_text(remove_appeals(page, URL))
    assert_in_order(text, short)
    assert "Support our journalism" not in text


def test_box_widening_keeps_three_short_paragraphs() -> None:
    short = [
        "The depot reopens on Monday.",
        "Trams run every ten minutes.",
        "Fares stay the same this year.",
    ]
    box = "<div class='k3'>" + "".join(f"<p>{p}</p>" for p in short) + f"<p>{ASK}</p></div>"
    text = visible_text(remove_appeals(page_with(box), URL))
    assert_in_order(text, BODY[:2] + short + BODY[2:])
    assert "Support our journalism" not in text


def test_box_widening_keeps_reported_news_and_long_paragraphs() -> None:
    reported = "The union said drivers would strike on Friday if talks fail."
    long_line = BODY[0] + " " + BODY[1] + " " + BODY[2]
    for plain in (reported, long_line):
        box = f"<div class='k2'><p>{plain}</p><p>{ASK}</p></div>"
        text = visible_text(remove_appeals(page_with(box), URL))
        assert flat(plain) in flat(text), plain
        assert "Support our journalism" not in text


def test_appeal_text_loose_in_a_container_is_cut_without_its_child_paragraphs() -> None:
    page = (
        "<html><body><div class='m'>Please support us with a donation today, your gift keeps "
        f"our newsroom going.<p>{BODY[0]}</p><p>{BODY[1]}</p></div></body></html>"
    )
    cleaned, removed = find_appeals(page, URL)
    text = visible_text(cleaned)
    assert "donation" not in text
    assert_in_order(text, BODY[:2])
    assert removed


def test_structure_never_removes_the_article_itself() -> None:
    page = page_with('<div class="share-bar"><a href="#">Share</a></div>', "subscription-article")
    cleaned, removed = find_appeals(page, URL)
    assert_in_order(visible_text(cleaned), BODY)
    assert [r.rule for r in removed] == ["structure:class=share"]


def test_structure_keeps_container_that_holds_real_paragraphs() -> None:
    inner = "".join(f"<p>{p}</p>" for p in BODY[2:])
    page = page_with(f'<div class="promo-area">{inner}</div>')
    assert_in_order(visible_text(remove_appeals(page, URL)), BODY)


def test_structure_does_not_cut_an_inline_link_out_of_a_sentence() -> None:
    sentence = 'Plans were <a class="related-link" href="/t">first published</a> in March.'
    text = visible_text(remove_appeals(page_with(f"<p>{sentence}</p>"), URL))
    assert "Plans were first published in March." in flat(text)


def test_hidden_and_dialog_containers_go() -> None:
    middle = (
        '<div style="display: none"><p>Hidden teaser text that nobody sees.</p></div>'
        '<div role="dialog" aria-label="Newsletter"><p>Get our daily briefing.</p></div>'
    )
    cleaned, removed = find_appeals(page_with(middle), URL)
    assert "Hidden teaser" not in cleaned
    assert "daily briefing" not in cleaned
    assert {r.rule for r in removed} == {"structure:hidden", "structure:role=dialog"}


def test_newsletter_form_goes() -> None:
    form = (
        '<form action="/s"><p>Weekly tram news.</p><input type="email" name="email">'
        "<button>Go</button></form>"
    )
    cleaned, removed = find_appeals(page_with(form), URL)
    assert "Weekly tram news" not in cleaned
    assert removed[0].rule == "structure:tag=form"


def test_fragment_in_fragment_out() -> None:
    fragment = f"<p>{BODY[0]}</p><p>Please support us: donate today, every dollar helps.</p>"
    cleaned = remove_appeals(fragment, URL)
    assert not cleaned.lstrip().startswith("<html")
    assert cleaned.strip() == f"<p>{BODY[0]}</p>"


def test_page_in_page_out() -> None:
    cleaned = remove_appeals("<!DOCTYPE html>" + page_with(""), URL)
    assert cleaned.lower().startswith("<!doctype html>")
    assert "<body>" in cleaned


def test_empty_input() -> None:
    assert find_appeals("", URL) == ("", [])
    assert find_appeals("   ", URL) == ("   ", [])


def test_nothing_to_remove_leaves_text_alone() -> None:
    cleaned, removed = find_appeals(page_with(""), URL)
    assert removed == []
    assert_in_order(visible_text(cleaned), BODY)


def test_broken_rules_file_is_a_config_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from digest import clean
    from digest.errors import ConfigError

    (tmp_path / "text_xx.toml").write_text('lang = "xx"\n[signals]\nask = "("\n', encoding="utf-8")
    (tmp_path / "structure.toml").write_text("[[rule]\n", encoding="utf-8")
    monkeypatch.setattr(clean, "RULES_DIR", tmp_path)
    clean.text_rules.cache_clear()
    clean.structure_rules.cache_clear()
    try:
        with pytest.raises(ConfigError, match=r"text_xx\.toml"):
            clean.text_rules()
        with pytest.raises(ConfigError, match=r"structure\.toml"):
            clean.structure_rules()
    finally:
        monkeypatch.undo()
        clean.text_rules.cache_clear()
        clean.structure_rules.cache_clear()
    assert clean.text_rules()
