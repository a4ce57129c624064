"""The sanitizer: safe markup only, absolute URLs, no trackers; and plain text from HTML."""

from __future__ import annotations

import lxml.html
import pytest

from digest.sanitize import LINK_REL, html_to_text, sanitize_html, sanitize_tree, strip_tracking

BASE = "https://news.example.org/world/2024/story.html"


def test_scripts_styles_and_embeds_go_with_their_content() -> None:
    dirty = (
        "<p>Kept</p><script>alert('x')</script><style>p{color:red}</style>"
        "<iframe src='https://ads.example.com/'>frame text</iframe>"
        "<object data='x.swf'>object text</object><embed src='y.swf'>"
        "<svg><a href='https://e.example/'>svg link</a></svg><math><mi>x</mi></math>"
        "<noscript>Please enable JavaScript</noscript>"
    )
    clean = sanitize_html(dirty, BASE)
    assert clean == "<p>Kept</p>"


def test_event_handlers_styles_ids_and_classes_go() -> None:
    clean = sanitize_html(
        '<p id="a" class="lead" style="color:red" onclick="steal()" onmouseover="x()">Text</p>',
        BASE,
    )
    assert clean == "<p>Text</p>"


def test_forms_and_controls_go() -> None:
    clean = sanitize_html(
        "<p>Before</p><form action='/s'><label>Email</label><input type='email'>"
        "<button>Send</button></form><p>After</p><button>Click</button><select><option>1</select>",
        BASE,
    )
    assert clean == "<p>Before</p><p>After</p>"


@pytest.mark.parametrize(
    "href",
    [
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        "  javascript:alert(1)",
        "jav&#x09;ascript:alert(1)",
        "&#106;avascript:alert(1)",
        "vbscript:msgbox(1)",
        "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
        "file:///etc/passwd",
    ],
)
def test_unsafe_link_schemes_leave_plain_text(href: str) -> None:
    clean = sanitize_html(f'<p>See <a href="{href}">this</a>.</p>', BASE)
    assert clean == "<p>See this.</p>"


def test_data_and_script_image_sources_go() -> None:
    clean = sanitize_html(
        '<p>x</p><img src="data:image/png;base64,AAAA"><img src="javascript:alert(1)">', BASE
    )
    assert clean == "<p>x</p>"


def test_links_and_images_become_absolute_with_rel() -> None:
    clean = sanitize_html(
        '<p><a href="../2023/older.html">older</a> <a href="/about">about</a> '
        '<a href="//cdn.example.net/x">cdn</a> <a href="mailto:desk@example.org">mail</a></p>'
        '<img src="pics/map.png" alt="Map">',
        BASE,
    )
    assert 'href="https://news.example.org/world/2023/older.html"' in clean
    assert 'href="https://news.example.org/about"' in clean
    assert 'href="https://cdn.example.net/x"' in clean
    assert 'href="mailto:desk@example.org"' in clean
    assert '<img src="https://news.example.org/world/2024/pics/map.png" alt="Map">' in clean
    assert clean.count(f'rel="{LINK_REL}"') == 4


def test_tracking_parameters_leave_links() -> None:
    clean = sanitize_html(
        '<p><a href="/a?id=7&amp;utm_source=feed&amp;utm_medium=rss&amp;fbclid=abc">a</a></p>', BASE
    )
    assert 'href="https://news.example.org/a?id=7"' in clean


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://e.example/p?utm_source=x&utm_campaign=y", "https://e.example/p"),
        ("https://e.example/p?a=1&gclid=zz&b=2", "https://e.example/p?a=1&b=2"),
        ("https://e.example/p?UTM_Medium=email&page=2", "https://e.example/p?page=2"),
        ("https://e.example/p?mc_cid=1&mc_eid=2#sec", "https://e.example/p#sec"),
        ("https://e.example/p?_hsenc=x&_hsmi=y&yclid=3&ref_src=twsrc", "https://e.example/p"),
        ("https://e.example/p#utm_source=x&utm_medium=y", "https://e.example/p"),
        ("https://e.example/p?q=utm_source", "https://e.example/p?q=utm_source"),
        ("https://e.example/p?b=2&a=1", "https://e.example/p?b=2&a=1"),
        ("https://e.example/p", "https://e.example/p"),
        ("http://[broken/p?utm_source=x", "http://[broken/p?utm_source=x"),
    ],
)
def test_strip_tracking(url: str, expected: str) -> None:
    assert strip_tracking(url) == expected


def test_lazy_image_takes_data_src() -> None:
    clean = sanitize_html(
        '<img src="/img/placeholder.gif" data-src="/img/real.jpg" alt="Real" class="lazyload">',
        BASE,
    )
    assert clean == '<img src="https://news.example.org/img/real.jpg" alt="Real">'


def test_image_without_src_takes_the_widest_srcset_candidate() -> None:
    clean = sanitize_html(
        '<img data-srcset="/s.jpg 320w, /m.jpg 800w, /l.jpg 1600w" alt="Pier">', BASE
    )
    assert clean.startswith("<img ")
    assert 'src="https://news.example.org/l.jpg"' in clean
    assert 'alt="Pier"' in clean


def test_real_src_is_preferred_over_srcset() -> None:
    clean = sanitize_html('<img src="/a.jpg" srcset="/b.jpg 2x">', BASE)
    assert clean == '<img src="https://news.example.org/a.jpg">'


def test_noscript_image_replaces_a_lazy_placeholder() -> None:
    clean = sanitize_html(
        '<figure><img src="data:image/gif;base64,R0lGOD"><noscript><img src="/full.jpg" '
        'alt="Full"></noscript><figcaption>Caption</figcaption></figure>',
        BASE,
    )
    assert clean == (
        '<figure><img src="https://news.example.org/full.jpg" alt="Full">'
        "<figcaption>Caption</figcaption></figure>"
    )


def test_tracking_pixels_go() -> None:
    clean = sanitize_html('<p>x</p><img src="https://t.example/p.gif" width="1" height="1">', BASE)
    assert clean == "<p>x</p>"


def test_h1_becomes_h2_and_empty_shells_go() -> None:
    clean = sanitize_html(
        "<div><h1>Head</h1><p> </p><div><span></span></div><p>Body</p></div>", BASE
    )
    assert clean == "<h2>Head</h2><p>Body</p>"


def test_ordinary_article_markup_is_kept() -> None:
    markup = (
        '<blockquote cite="https://src.example/q"><p>Quoted <q>words</q></p></blockquote>'
        '<table><caption>Results</caption><thead><tr><th scope="col">A</th></tr></thead>'
        '<tbody><tr><td colspan="2">1</td></tr></tbody></table>'
        "<ul><li><em>e</em> <strong>s</strong> <code>c</code> <sub>2</sub> <sup>3</sup></li></ul>"
        '<p><abbr title="World Health Organization">WHO</abbr> '
        '<time datetime="2024-05-01">1 May</time> <mark>m</mark> <small>s</small></p>'
        "<pre>pre  text</pre><hr><p>end</p>"
    )
    assert sanitize_html(markup, BASE) == markup


def test_whole_page_gives_its_body() -> None:
    clean = sanitize_html(
        "<!DOCTYPE html><html><head><title>T</title><script>1</script></head>"
        "<body><p>Body &amp; soul</p></body></html>",
        BASE,
    )
    assert clean == "<p>Body &amp; soul</p>"


def test_text_is_escaped_not_interpreted() -> None:
    assert sanitize_html("a &lt;script&gt; b <b>c</b>", BASE) == "a &lt;script&gt; b <b>c</b>"


def test_leading_and_trailing_rules_go() -> None:
    assert sanitize_html("<hr><p>a</p><hr><p>b</p><hr><br>", BASE) == "<p>a</p><hr><p>b</p>"


@pytest.mark.parametrize(
    ("dirty", "clean"),
    [
        ("<div><!-- a comment is not text --></div><p>a</p>", "<p>a</p>"),
        ("<div><p><span> </span></p><ul><li></li><li> </li></ul></div><p>a</p>", "<p>a</p>"),
        ("<section><div><p><br></p></div></section><p>a</p>", "<p>a</p>"),
        (
            '<div><p><img src="/i.png" alt=""></p></div>',
            '<p><img src="https://news.example.org/i.png" alt=""></p>',
        ),
        ("<p>a<span></span> b</p>", "<p>a b</p>"),
        ("<p><b><i></i></b>tail</p>", "<p>tail</p>"),
        ("<div><div></div>loose text</div>", "loose text"),
        ("<ul><li>one</li><li></li></ul>", "<ul><li>one</li></ul>"),
        (
            "<p>x</p><table><tr><td></td></tr></table>",
            "<p>x</p><table><tbody><tr><td></td></tr></tbody></table>",
        ),
    ],
)
def test_empty_shells_go_and_content_stays(dirty: str, clean: str) -> None:
    assert sanitize_html(dirty, BASE) == clean


def test_sanitize_tree_is_sanitize_html_on_a_parsed_tree() -> None:
    markup = (
        '<div><h1>T</h1><p>See <a href="/a?utm_source=x" onclick="x()">a</a>.</p>'
        '<script>x()</script><form><input type="email"></form><p></p>'
        '<img data-src="/photo.jpg" src="data:image/gif;base64,R0lGOD"></div>'
    )
    tree = lxml.html.fragment_fromstring(markup, create_parent="div")
    assert sanitize_tree(tree, BASE) == sanitize_html(markup, BASE)
    assert sanitize_html(markup, BASE) == (
        '<h2>T</h2><p>See <a href="https://news.example.org/a" rel="noopener noreferrer '
        'nofollow">a</a>.</p><img src="https://news.example.org/photo.jpg">'
    )


def test_empty_input() -> None:
    assert sanitize_html("", BASE) == ""
    assert sanitize_html("  \n ", BASE) == ""


def test_html_to_text_blocks_and_whitespace() -> None:
    text = html_to_text(
        "<h2>Title</h2><p>One   two\nthree</p><ul><li>a</li><li>b</li></ul>"
        "<p>line<br>break</p><script>var x = 1;</script><div>tail <em>em</em></div>"
    )
    assert text == "Title\n\nOne two three\n\na\n\nb\n\nline\nbreak\n\ntail em"


def test_html_to_text_of_nothing() -> None:
    assert html_to_text("") == ""
    assert html_to_text("<div> </div>") == ""
