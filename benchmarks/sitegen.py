"""Synthetic news sites for the scale benchmark: S sources x N articles, the same for a seed.

Each source is a folder the loopback server (server.py) serves as its own host:

    sNNNN/rss.xml            RSS 2.0, summaries only, newest first, dates over the last weeks
    sNNNN/robots.txt         allows everything but /private/
    sNNNN/articles/*.html    pages of 50-300 KB: navigation, inline scripts and styles, a
                             support banner, the article (6-20 paragraphs, a PNG and an SVG),
                             a donation appeal, a newsletter box, related links, comments
    sNNNN/img/*              the article's small generated images, and the site's logo

Absolute URLs are written as BASE (the server puts its own address in when it answers), since
ports are only known once the server runs. Everything here, prose included, is generated from
a word list: the benchmark copies no real article. Pages are built from a per-article seed, so
adding an item later (add_item) changes nothing that was already there.
"""

from __future__ import annotations

import argparse
import functools
import json
import random
import struct
import zlib
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html import escape
from pathlib import Path

BASE = "__BASE__"  # replaced by the server with http://127.0.0.1:PORT
SPEC_FILE = "site.json"


def word_list(text: str) -> list[str]:
    """The words of a block of text: long lists stay readable as prose-wrapped blocks."""
    return text.split()


# Generic English words: enough variety that two generated articles share no five-word run
# by accident (the plugin's near-duplicate check compares five-word shingles).
WORDS = word_list("""
account action advice agency agreement analysis answer approach area argument arrival art
audience authority autumn balance bank basis beach bench bill board boat body border bridge
budget building bus business cabinet campaign canal capital card care case centre chance
change channel chapter charge choice church city claim clinic coast college committee
community company council country county course court crew crop culture current customer
data deal debate decade decision delay demand department design detail development difference
direction director discussion district dock doctor draft drawing driver duty economy edge
editor effect effort election energy engine engineer evening event evidence example exchange
experience expert factory family farm farmer feature ferry field figure film finance fire
fishing flood floor focus forecast forest form freight fund future garden gate generation
government grant ground group growth harbour harvest health hearing heritage highway history
holiday hospital hour house housing idea impact industry inquiry island issue journey judge
kitchen labour lake land language law leader league lesson letter level library licence light
line list loan lock machine majority manager market material meeting member memory message
method minister minute model moment month morning mountain movement museum music nation
network news night notice number office officer opinion order orchard panel parish park
partner party passenger path patient pattern payment people period permit picture pier place
plan plant platform point police policy pool port position power practice premises press
price principle priority prison problem process producer programme project property proposal
public quality quarter question railway range rate reader reason record region report
research reserve resident resource response result review river road route rule safety
salt sample scheme school science sea season sector service session shift shore signal site
skill society software soil source space speaker species spring square staff stage station
statement steel step storm strait street strength structure student study summer supply
survey system table target tax teacher team term test theatre tide timber town track trade
traffic training transport treatment trial trust tunnel union unit university valley value
vessel view village visitor volunteer voter wage water wave week weekend welfare wharf wind
winter witness work workshop yard year
""")
VERBS = word_list("""
agreed announced argued asked backed blocked built called cancelled checked closed confirmed
considered cut delayed described doubled expanded explained faced found funded heard held
launched led lifted measured moved noted opened opposed planned praised proposed raised
rejected reopened reported reviewed shared showed signed started studied suggested supported
tested tracked urged warned welcomed widened
""")
ADJECTIVES = word_list("""
annual broad careful central coastal common early eastern final formal fresh full general
heavy high independent initial joint large late local long low main major minor modest
national new northern old open original private public quick rapid rare recent regional
rural senior separate serious sharp short significant simple small southern special steady
strong sudden temporary tidal total upper urban usual western wide young
""")
CONNECTORS = ["and", "but", "while", "because", "although", "after", "before", "so", "as"]
PLACES = word_list("""
Ashby Bramley Calder Dunmore Eastwick Fenwick Glenholm Harrow Inverlee Kestle Larkhill
Marrow Northam Oakridge Penfold Quarry Redbrook Saltash Thornbury Upwell Varley Westmere
Yarrow Zennor Ambleside Brockton Carrow Delph Elmstead Foxley
""")
PAPERS = word_list("""
Gazette Courier Herald Chronicle Observer Post Wire Ledger Dispatch Review Journal Bulletin
Sentinel Record Tribune Mercury Echo Times Register Standard
""")
SURNAMES = word_list("""
Abbott Baines Carter Dale Ellis Foster Grant Hale Irving Jordan Keane Lowe Marsh Nash Owen
Price Quinn Reyes Shaw Turner Vance Walsh Young
""")
FIRST_NAMES = word_list("""
Alex Bea Cal Dana Eli Fran Gil Hana Ivo Jo Kit Lia Max Nia Oli Pia Raf Sam Tam Uma Val Wyn
""")
SECTIONS = ["news", "politics", "business", "science", "climate", "culture", "sport", "travel"]


@dataclass
class ItemSpec:
    """One article of a source: what its feed entry says and where its page is."""

    slug: str
    title: str
    date: str  # ISO 8601, UTC
    summary: str
    categories: list[str]
    author: str
    seed: int


@dataclass
class SourceSpec:
    """One generated site; `extra` holds items added after generation (add_item)."""

    index: int
    name: str
    folder: str
    items: list[ItemSpec] = field(default_factory=list)
    extra: list[ItemSpec] = field(default_factory=list)


# -- prose ---------------------------------------------------------------------------------


def sentence(rng: random.Random) -> str:
    """One sentence of 8-28 words, with varied shapes: plain, joined, quoted, with a number."""
    shape = rng.random()

    def clause(low: int, high: int) -> str:
        words = [f"the {rng.choice(ADJECTIVES)} {rng.choice(WORDS)}", rng.choice(VERBS)]
        words += [rng.choice(WORDS if rng.random() < 0.8 else ADJECTIVES) for _ in range(low)]
        words += [rng.choice(WORDS) for _ in range(rng.randint(0, high - low))]
        return " ".join(words)

    if shape < 0.45:
        text = clause(4, 12)
    elif shape < 0.75:
        text = f"{clause(3, 7)}, {rng.choice(CONNECTORS)} {clause(2, 6)}"
    elif shape < 0.9:
        speaker = f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}"
        return f"\u201c{clause(4, 10).capitalize()},\u201d said {speaker}."
    else:
        number = rng.choice([rng.randint(2, 99), rng.randint(100, 9999), rng.randint(1, 60)])
        text = f"{clause(3, 8)} by {number} {rng.choice(['per cent', 'tonnes', 'days', 'km'])}"
    return text[0].upper() + text[1:] + rng.choice([".", ".", ".", "?"] if shape < 0.5 else ".")


def paragraph(rng: random.Random) -> str:
    """A paragraph of 3-7 sentences."""
    return " ".join(sentence(rng) for _ in range(rng.randint(3, 7)))


def title_for(rng: random.Random) -> str:
    """A headline of 5-9 words."""
    words = [rng.choice(ADJECTIVES), rng.choice(WORDS), rng.choice(VERBS)]
    words += [rng.choice(WORDS) for _ in range(rng.randint(2, 6))]
    text = " ".join(words)
    return text[0].upper() + text[1:]


def slug_for(title: str, serial: int) -> str:
    """A URL path segment: the headline's words and a serial number, unique within a source."""
    return "-".join(title.lower().split()[:7]) + f"-{serial}"


# -- images --------------------------------------------------------------------------------


def png(width: int, height: int, rng: random.Random) -> bytes:
    """A small RGB PNG with a gradient and a few bands, a few KB compressed."""
    r0, g0, b0 = (rng.randint(0, 255) for _ in range(3))
    bands = {rng.randint(0, height - 1) for _ in range(4)}
    plain = bytearray()
    for x in range(width):
        plain += bytes(((r0 + (x * 255) // width) % 256, 0, (b0 + x) % 256))
    band = bytearray(plain)
    band[0::3] = bytes((r0 + 255) % 256 for _ in range(width))
    rows = []
    for y in range(height):
        row = bytearray(band if y in bands else plain)
        row[1::3] = bytes(((g0 + y * 2) % 256,)) * width
        rows.append(b"\x00" + bytes(row))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
        + chunk(b"IEND", b"")
    )


def svg_chart(rng: random.Random, label: str) -> bytes:
    """A small bar chart as SVG, with a title: the kind of graphic news pages embed."""
    bars = []
    for i in range(rng.randint(5, 12)):
        height = rng.randint(10, 140)
        bars.append(
            f'<rect x="{20 + i * 24}" y="{160 - height}" width="18" height="{height}" '
            f'fill="#{rng.randint(0, 0xFFFFFF):06x}"/>'
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<svg xmlns="http://www.w3.org/2000/svg" width="320" height="180" viewBox="0 0 320 180">'
        f"<title>{escape(label)}</title>"
        '<rect width="320" height="180" fill="#f4f4f0"/>'
        + "".join(bars)
        + f'<text x="20" y="176" font-size="10">{escape(label[:40])}</text></svg>\n'
    ).encode()


LOGO = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="120" height="32">'
    b'<rect width="120" height="32" fill="#222"/></svg>\n'
)


# -- pages ---------------------------------------------------------------------------------


def css_block(rng: random.Random, rules: int) -> str:
    """A style block of generated rules, as themes inline for the first paint."""
    out = []
    for i in range(rules):
        name = f".{rng.choice(WORDS)}-{rng.choice(WORDS)}-{i}"
        out.append(
            f"{name}{{margin:{rng.randint(0, 32)}px {rng.randint(0, 32)}px;"
            f"color:#{rng.randint(0, 0xFFFFFF):06x};font-size:{rng.randint(12, 28)}px;"
            f"line-height:{rng.uniform(1, 2):.2f}}}"
        )
    return "<style>\n" + "\n".join(out) + "\n</style>"


@functools.lru_cache(maxsize=4)
def teaser_pool(key: str) -> tuple[str, ...]:
    """A source's stock of teaser entries (JSON), which its pages' state blobs draw from."""
    rng = random.Random(key)
    return tuple(
        json.dumps(
            {"headline": title_for(rng), "teaser": sentence(rng), "section": rng.choice(SECTIONS)}
        )[1:-1]
        for _ in range(600)
    )


def state_script(rng: random.Random, size: int, key: str) -> str:
    """An inline JSON state blob of about `size` bytes, as script-rendered news sites ship."""
    pool = teaser_pool(key)
    entries: list[str] = []
    length = 0
    while length < size:
        number, score = rng.randint(10**7, 10**8), rng.random()
        entry = f'{{"id": {number}, {rng.choice(pool)}, "score": {score:.4f}}}'
        entries.append(entry)
        length += len(entry) + 2
    blob = '{"page": {"modules": [' + ", ".join(entries) + "]}}"
    blob = blob.replace("</", "<\\/")
    return f"<script>window.__INITIAL_STATE__ = {blob};</script>"


def nav(rng: random.Random) -> str:
    """The site's navigation: sections and a long menu of topics."""
    links = [f'<li><a href="/section/{s}/">{s.title()}</a></li>' for s in SECTIONS]
    links += [
        f'<li><a href="/topic/{w}/">{w.title()}</a></li>'
        for w in rng.sample(WORDS, rng.randint(20, 40))
    ]
    return (
        '<header class="site-header"><a class="logo" href="/"><img src="/img/logo.svg" '
        'alt="Home" width="120" height="32"></a><nav class="menu"><ul>'
        + "".join(links)
        + '</ul></nav><form class="search" action="/search"><input name="q" type="search">'
        "<button>Search</button></form></header>"
    )


def appeal(rng: random.Random, name: str) -> str:
    """A donation appeal after the article, the kind the plugin must take out."""
    return (
        '<aside class="support-appeal" id="contribute"><h2>Before you go: a small favour to ask'
        f"</h2><p>{escape(name)} is independent. Readers like you keep our reporting free for "
        "everyone. If you can, support our journalism today: it takes a minute.</p>"
        f"<p>{paragraph(rng)}</p>"
        '<div class="buttons"><a class="button" href="/support?amount=5">Give once</a>'
        '<a class="button" href="/support?monthly=1">Give monthly</a>'
        '<button type="button" class="later">Remind me later</button></div></aside>'
    )


def newsletter() -> str:
    """A newsletter sign-up box."""
    return (
        '<section class="newsletter-box"><h3>Get the morning briefing</h3><p>Sign up to our '
        "newsletter and get the day's stories in your inbox every morning.</p>"
        '<form action="/newsletter" method="post"><input type="email" name="email" '
        'placeholder="you@example.org"><button>Subscribe</button></form></section>'
    )


def comments(rng: random.Random, count: int) -> str:
    """A comments section with `count` short comments."""
    out = []
    for i in range(count):
        who = f"{rng.choice(FIRST_NAMES)}{rng.randint(1, 999)}"
        body = " ".join(sentence(rng) for _ in range(rng.randint(1, 3)))
        out.append(
            f'<li class="comment" id="c{i}"><span class="who">{who}</span> '
            f"<time>{rng.randint(1, 23)} hours ago</time><p>{escape(body)}</p>"
            '<a href="#reply">Reply</a> <a href="#report">Report</a></li>'
        )
    return (
        f'<section class="comments"><h2>{count} comments</h2><ol>'
        + "".join(out)
        + "</ol></section>"
    )


def page_html(source: SourceSpec, item: ItemSpec, others: list[ItemSpec]) -> tuple[str, dict]:
    """An article page and its images (file name -> bytes), built from the item's seed."""
    rng = random.Random(item.seed)
    target = rng.randint(50_000, 300_000)
    png_name, svg_name = f"{item.slug}-1.png", f"{item.slug}-2.svg"
    images = {
        png_name: png(rng.randint(120, 200), rng.randint(60, 110), rng),
        svg_name: svg_chart(rng, item.title),
    }
    paragraphs = [paragraph(rng) for _ in range(rng.randint(6, 20))]
    body = [f"<p>{escape(p)}</p>" for p in paragraphs]
    body.insert(
        1,
        f'<figure><img src="/img/{png_name}" alt="{escape(item.title)}" width="160" height="90">'
        f"<figcaption>{escape(sentence(rng))}</figcaption></figure>",
    )
    body.insert(
        len(body) // 2 + 1,
        f'<figure class="chart"><img src="/img/{svg_name}" alt="Chart" width="320" '
        f'height="180"><figcaption>{escape(sentence(rng))}</figcaption></figure>',
    )
    if rng.random() < 0.5:
        body.insert(len(body) - 2, f"<blockquote><p>{escape(sentence(rng))}</p></blockquote>")
    if rng.random() < 0.4:
        points = "".join(f"<li>{escape(sentence(rng))}</li>" for _ in range(rng.randint(3, 6)))
        body.insert(len(body) - 1, f"<ul>{points}</ul>")
    related = "".join(
        f'<li><a href="/articles/{o.slug}.html">{escape(o.title)}</a></li>'
        for o in rng.sample(others, min(len(others), rng.randint(5, 9)))
    )
    url = f"{BASE}/articles/{item.slug}.html"
    ld = json.dumps(
        {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": item.title,
            "datePublished": item.date,
            "author": {"@type": "Person", "name": item.author},
            "publisher": {"@type": "Organization", "name": source.name},
        }
    )
    head = (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(item.title)} | {escape(source.name)}</title>"
        f'<meta name="description" content="{escape(item.summary)}">'
        f'<meta property="og:title" content="{escape(item.title)}">'
        f'<meta property="og:url" content="{url}"><link rel="canonical" href="{url}">'
        f'<meta name="author" content="{escape(item.author)}">'
        f'<script type="application/ld+json">{ld}</script>'
        '<script>(function(){var d=document,s=d.createElement("script");s.async=1;'
        's.src="/assets/analytics.js";d.head.appendChild(s);})();</script>'
    )
    article = (
        '<main id="main"><div class="support-banner"><p>Support independent journalism: '
        'become a member today.</p><a href="/support">Support us</a></div>'
        f'<article class="story"><h1>{escape(item.title)}</h1><p class="byline">By '
        f'<a rel="author" href="/people/{item.author.lower().replace(" ", "-")}">'
        f'{escape(item.author)}</a>, <time datetime="{item.date}">{item.date[:10]}</time></p>'
        '<div class="story-body">'
        + "".join(body)
        + "</div></article>"
        + appeal(rng, source.name)
        + newsletter()
        + f'<aside class="related"><h2>More from {escape(source.name)}</h2><ul>{related}</ul>'
        "</aside>"
    )
    footer = (
        '<footer class="site-footer"><ul>'
        + "".join(f'<li><a href="/about/{w}">{w.title()}</a></li>' for w in rng.sample(WORDS, 25))
        + "</ul><p>Copyright the publisher.</p></footer><script>window.dataLayer=[];"
        "function track(e){window.dataLayer.push(e)}track({event:'pageview'});</script>"
    )
    comment_count = rng.randint(3, 40)
    fixed = len(head) + len(article) + len(footer) + comment_count * 260 + 200
    room = max(0, target - fixed)
    css = css_block(rng, max(20, int(room * 0.3) // 110))
    state = state_script(rng, int(room * 0.7) - 4000, f"{source.index}:{source.name}")
    page = (
        f"{head}{css}</head><body>{nav(rng)}{article}{comments(rng, comment_count)}</main>"
        f"{footer}{state}</body></html>\n"
    )
    return page, images


def feed_xml(source: SourceSpec) -> str:
    """The source's RSS 2.0 feed: summaries only (an HTML paragraph), newest first, extras too.

    A bare-text summary that reads like an appeal ("reader supported ...") makes the plugin's
    clean.text_layer try to drop the fragment's root and stop the whole fetch (AssertionError,
    seen in November 2026): the paragraph keeps the benchmark measuring speed, not that bug.
    """
    items = sorted([*source.items, *source.extra], key=lambda i: i.date, reverse=True)
    entries = []
    for item in items:
        url = f"{BASE}/articles/{item.slug}.html"
        when = format_datetime(datetime.fromisoformat(item.date))
        cats = "".join(f"<category>{escape(c)}</category>" for c in item.categories)
        entries.append(
            f"<item><title>{escape(item.title)}</title><link>{url}</link>"
            f'<guid isPermaLink="true">{url}</guid><pubDate>{when}</pubDate>'
            f"<dc:creator>{escape(item.author)}</dc:creator>{cats}"
            f"<description>{escape(f'<p>{escape(item.summary)}</p>')}</description></item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>'
        f"<title>{escape(source.name)}</title><link>{BASE}/</link>"
        f"<description>Generated news of {escape(source.name)}</description><language>en"
        "</language>" + "".join(entries) + "</channel></rss>\n"
    )


# -- sites ---------------------------------------------------------------------------------


def make_item(source: SourceSpec, serial: int, seed: int, when: datetime) -> ItemSpec:
    """The feed-level facts of one article, from its own seed."""
    rng = random.Random(f"{seed}:{source.index}:{serial}")
    title = title_for(rng)
    summary = " ".join(sentence(rng) for _ in range(2))
    return ItemSpec(
        slug=slug_for(title, serial),
        title=title,
        date=when.isoformat(),
        summary=summary,
        categories=rng.sample(SECTIONS, rng.randint(1, 3)),
        author=f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}",
        seed=rng.randint(0, 2**31),
    )


def write_page(root: Path, source: SourceSpec, item: ItemSpec) -> int:
    """Write an item's page and images; the page's size in bytes."""
    folder = root / source.folder
    page, images = page_html(source, item, source.items or [item])
    data = page.encode()
    (folder / "articles" / f"{item.slug}.html").write_bytes(data)
    for name, blob in images.items():
        (folder / "img" / name).write_bytes(blob)
    return len(data)


def save(root: Path, sources: list[SourceSpec], meta: dict[str, object]) -> None:
    """Keep the spec beside the sites, so add_item and the server can find everything."""
    data = {**meta, "sources": [asdict(s) for s in sources]}
    (root / SPEC_FILE).write_text(json.dumps(data), encoding="utf-8")


def load(root: Path) -> tuple[list[SourceSpec], dict[str, object]]:
    """The spec save() wrote."""
    data = json.loads((root / SPEC_FILE).read_text(encoding="utf-8"))
    sources = []
    for raw in data.pop("sources"):
        items = [ItemSpec(**i) for i in raw.pop("items")]
        extra = [ItemSpec(**i) for i in raw.pop("extra")]
        sources.append(SourceSpec(**raw, items=items, extra=extra))
    return sources, data


def source_name(index: int, rng: random.Random, taken: set[str]) -> str:
    """A unique made-up paper name."""
    name = f"{rng.choice(PLACES)} {rng.choice(PAPERS)}"
    while name in taken:
        name = f"{rng.choice(PLACES)} {rng.choice(PAPERS)} {index}"
    taken.add(name)
    return name


def generate(
    root: Path, sources: int, articles: int, seed: int = 1, now: datetime | None = None
) -> dict[str, object]:
    """Write S sites of N articles each under root; returns counts and page-size figures."""
    now = (now or datetime.now(tz=UTC)).replace(minute=0, second=0, microsecond=0)
    rng = random.Random(seed)
    taken: set[str] = set()
    specs: list[SourceSpec] = []
    sizes: list[int] = []
    for index in range(sources):
        spec = SourceSpec(index, source_name(index, rng, taken), f"s{index:04d}")
        folder = root / spec.folder
        (folder / "articles").mkdir(parents=True, exist_ok=True)
        (folder / "img").mkdir(exist_ok=True)
        (folder / "img" / "logo.svg").write_bytes(LOGO)
        (folder / "robots.txt").write_text("User-agent: *\nDisallow: /private/\n")
        (folder / "index.html").write_text(f"<html><body><h1>{escape(spec.name)}</h1></body>\n")
        for serial in range(articles):
            age = timedelta(minutes=rng.randint(60, 21 * 24 * 60))  # over the last three weeks
            spec.items.append(make_item(spec, serial, seed, now - age))
        for item in spec.items:
            sizes.append(write_page(root, spec, item))
        (folder / "rss.xml").write_text(feed_xml(spec), encoding="utf-8")
        specs.append(spec)
    meta: dict[str, object] = {
        "seed": seed,
        "articles_per_source": articles,
        "generated_at": now.isoformat(),
        "page_bytes_min": min(sizes, default=0),
        "page_bytes_max": max(sizes, default=0),
        "page_bytes_mean": round(sum(sizes) / max(1, len(sizes))),
    }
    save(root, specs, meta)
    return {"sources": sources, "articles": sources * articles, **meta}


def add_item(root: Path, source_index: int, serial: int) -> str:
    """Publish one new item on a source (page, images, feed entry); the new page's path."""
    specs, meta = load(root)
    source = specs[source_index]
    when = datetime.now(tz=UTC).replace(microsecond=0) - timedelta(minutes=1)
    item = make_item(source, 100_000 + serial, int(meta["seed"]), when)  # type: ignore[call-overload]
    source.extra.append(item)
    write_page(root, source, item)
    (root / source.folder / "rss.xml").write_text(feed_xml(source), encoding="utf-8")
    save(root, specs, meta)
    return f"/articles/{item.slug}.html"


def reset_feeds(root: Path) -> None:
    """Take the added items out of every feed again (their pages stay, unlinked)."""
    specs, meta = load(root)
    for source in specs:
        if source.extra:
            source.extra.clear()
            (root / source.folder / "rss.xml").write_text(feed_xml(source), encoding="utf-8")
    save(root, specs, meta)


def main() -> None:
    """Generate sites into a folder, to look at them or serve them by hand."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path)
    parser.add_argument("--sources", type=int, default=5)
    parser.add_argument("--articles", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print(json.dumps(generate(args.root, args.sources, args.articles, args.seed), indent=2))


if __name__ == "__main__":
    main()
