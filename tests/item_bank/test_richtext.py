import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from item_bank.model import ItemValidationError
from item_bank.richtext import (
    ALLOWED_TAGS,
    MAX_HTML_CHARS,
    check_formula,
    check_latex,
    clean_rich_text,
    find_formulas,
    has_content,
    sanitize_html,
)

IMG = "/media/" + "0123456789abcdef" * 4 + ".png"


def refused(html, code, field="stem"):
    with pytest.raises(ItemValidationError) as info:
        clean_rich_text(html, field)
    assert info.value.code == code, info.value.message
    assert info.value.field == field
    return info.value.message


# --- HTML ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("html, named", [
    ("<p>x</p><script>alert(1)</script>", "script"),
    ("<SCRIPT SRC=//evil></SCRIPT>", "script"),
    ("<style>body{display:none}</style>", "style"),
    ('<iframe src="https://evil"></iframe>', "iframe"),
    ("<object data=x></object>", "object"),
    ("<embed src=x>", "embed"),
    ("<form action=x><input name=a></form>", "form"),
    ("<input value=x>", "input"),
    ('<link rel="stylesheet" href="x">', "link"),
    ('<meta http-equiv="refresh" content="0">', "meta"),
])
def test_dangerous_tags_are_refused(html, named):
    assert named in refused(html, "unsafe_html")


@pytest.mark.parametrize("html, named", [
    ('<p onclick="alert(1)">x</p>', "onclick"),
    (f'<img src="{IMG}" onerror="alert(1)">', "onerror"),
    ('<span ONMOUSEOVER="x">y</span>', "onmouseover"),
    ('<svg/onload=alert(1)>', "onload"),
])
def test_event_handlers_are_refused(html, named):
    assert named in refused(html, "unsafe_html")


@pytest.mark.parametrize("html", [
    '<a href="javascript:alert(1)">x</a>',
    '<a href="  JaVaScRiPt:alert(1)">x</a>',
    '<a href="java\tscript:alert(1)">x</a>',
    '<a href="&#106;avascript:alert(1)">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>',
    '<img src="data:image/png;base64,iVBORw0KGgo=">',
    '<div style="width: expression(alert(1))">x</div>',
])
def test_script_urls_are_refused(html):
    refused(html, "unsafe_html")


@pytest.mark.parametrize("src", [
    "https://example.com/a.png",
    "//example.com/a.png",
    "/media/abc.png",
    "/media/" + "A" * 64 + ".png",
    "/media/" + "a" * 64 + ".svg",
    "/media/" + "a" * 64 + ".png?x=1",
    "/media/" + "a" * 64 + ".png\n",
    "/media/../" + "a" * 64 + ".png",
])
def test_images_must_come_from_the_bank(src):
    message = refused(f'<img src="{src}">', "bad_image_src")
    assert "/media/" in message


def test_image_without_src_is_refused():
    refused("<img alt=x>", "bad_image_src")


@pytest.mark.parametrize("ext", ["png", "jpg", "jpeg", "gif", "webp"])
def test_bank_images_are_kept(ext):
    src = IMG.replace(".png", "." + ext)
    html = f'<figure><img src="{src}" alt="Hình 1" width="200" height="100"><figcaption>Hình 1</figcaption></figure>'
    assert clean_rich_text(html) == html


def test_allowed_html_is_kept():
    html = ("<p><strong>Đậm</strong> <b>b</b> <em>nghiêng</em> <i>i</i> <u>gạch</u> H<sub>2</sub>O "
            "x<sup>2</sup><br><span class=\"note\">ghi chú</span></p>"
            "<div class=\"box\"><ul><li>một</li></ul><ol><li>hai</li></ol></div>"
            "<table><thead><tr><th colspan=\"2\">A</th></tr></thead>"
            "<tbody><tr><td rowspan=\"2\">1</td><td>2</td></tr></tbody></table>"
            "<blockquote>trích</blockquote><pre><code>print(1)</code></pre><hr>")
    assert clean_rich_text(html) == html


def test_benign_unknown_markup_is_stripped_not_refused():
    clean = sanitize_html('<p style="color:red" id="x"><font color="red">đỏ</font> <a href="/x">liên kết</a></p><!-- c -->')
    assert clean == "<p>đỏ liên kết</p>"


def test_class_only_on_span_and_div():
    assert sanitize_html('<p class="x">a</p>') == "<p>a</p>"


def test_text_is_escaped_and_composed():
    decomposed = "Tie\u0302\u0301ng Vie\u0323\u0302t"
    assert sanitize_html(decomposed) == "Tiếng Việt"
    assert sanitize_html("a < b & c") == "a &lt; b &amp; c"


def test_too_long_and_wrong_type():
    refused("a" * (MAX_HTML_CHARS + 1), "too_long")
    refused(None, "wrong_type")
    refused(12, "wrong_type")


def test_has_content():
    assert has_content("<p>x</p>")
    assert has_content(f'<img src="{IMG}">')
    assert has_content("<pre><code>0</code></pre>")
    assert not has_content("<p> \xa0 </p><br>")
    assert not has_content("")


# --- LaTeX --------------------------------------------------------------------------------------

GOOD = [
    r"\frac{1}{2}", r"\sqrt{x^2+1}", r"\begin{pmatrix}1&2\\3&4\end{pmatrix}",
    r"\int_0^1 f(x)\,dx", r"\lim_{x\to 0}\frac{\sin x}{x}=1", r"\sum\limits_{k=1}^{n} k^2",
    r"\left\{ \begin{array}{l} x+y=1 \\ x-y=2 \end{array} \right.",
    r"\begin{cases} x & x \ge 0 \\ -x & x < 0 \end{cases}", r"\begin{aligned} a&=b\\c&=d \end{aligned}",
    r"\overrightarrow{AB}\cdot\overrightarrow{AC}", r"\widehat{ABC}=90^\circ", r"\left| x \right|",
    r"\left[ 0;1 \right)", r"\mathbb{R}\backslash\{0\}", r"\log_{2}8", r"\sqrt[3]{x}", r"{}^{14}_{6}C",
    r"\xrightarrow{t^\circ}", r"\binom{n}{k}", r"\text{m/s}^2", r"\dfrac{a}{b}", r"y'' + y = 0",
    r"\{ x \}", r"a \% b", r"\begin{vmatrix}1&2\\3&4\end{vmatrix}",
]


@pytest.mark.parametrize("formula", GOOD)
def test_good_formulas_pass(formula):
    check_formula(formula)
    assert check_latex(rf"<p>Xét \({formula}\) và \[{formula}\]</p>") == [formula, formula]


@pytest.mark.parametrize("formula, reason", [
    (r"\frac{1}{", "brace"),
    (r"x^{2", "brace"),
    (r"x}", "brace"),
    (r"\frac{1}{2}}", "brace"),
    (r"\begin{matrix} 1 \end{pmatrix}", r"\end{pmatrix}"),
    (r"\begin{matrix} 1", r"\end{matrix}"),
    (r"\end{matrix}", r"\end{matrix}"),
    (r"\begin{foo} x \end{foo}", "unknown environment"),
    (r"\begin{matrix} { \end{matrix} }", r"\end{matrix}"),
    (r"\left( x", r"\right"),
    (r"x \right)", r"\left"),
    (r"{\left( }\right)", "'}'"),
    (r"\foo x", r"\foo"),
    (r"\frac{1}", "argument"),
    (r"\frac", "argument"),
    (r"\sqrt", "argument"),
    (r"x^", "^"),
    (r"x^2^3", "superscript"),
    (r"a & b", "&"),
    (r"\limits", "argument"),
    (r"\href{https://x}{y}", r"\href"),
    (r"\def\x{1}", r"\def"),
    ("{" * 60 + "}" * 60, "nested"),
    ("  ", "empty"),
])
def test_bad_formulas_are_refused(formula, reason):
    with pytest.raises(ItemValidationError) as info:
        check_latex(rf"<p>Cho \({formula}\).</p>", "body.options.0.html")
    error = info.value
    assert error.code == "bad_latex"
    assert error.field == "body.options.0.html"
    assert reason in error.message
    assert f'"{formula[:20]}' in error.message


def test_display_only_environments():
    check_latex(r"\[\begin{align} a &= b \\ c &= d \end{align}\]")
    with pytest.raises(ItemValidationError, match="display"):
        check_latex(r"\(\begin{align} a &= b \end{align}\)")


def test_lone_backslash_is_refused():
    with pytest.raises(ItemValidationError, match="backslash"):
        check_formula("x \\")


@pytest.mark.parametrize("html", [
    r"<p>\(x</p>",
    r"<p>x\)</p>",
    r"<p>\[x</p>",
    r"<p>x\]</p>",
    r"<p>\(a + b và \(c\)</p>",
    r"<p>\(x \]</p>",
    r"<p>\(x<sup>2</sup>\)</p>",   # KaTeX renders one text node at a time
])
def test_unbalanced_delimiters_are_refused(html):
    refused(html, "bad_latex")


def test_formulas_are_found_in_text_with_entities():
    assert find_formulas(r"<p>\(a &lt; b\) và \[a &gt; b\]</p>") == [("\\(", "a < b"), ("\\[", "a > b")]


def test_line_break_with_spacing_inside_display_math():
    assert check_latex(r"\[ \begin{matrix} a \\[2pt] b \end{matrix} \]") == [
        r" \begin{matrix} a \\[2pt] b \end{matrix} "]


def test_code_is_not_math():
    # KaTeX's auto-render skips <code> and <pre>, so a lone delimiter there is just text.
    assert check_latex(r"<pre>print('\(')</pre><code>\]</code>") == []


def test_clean_rich_text_runs_both_checks():
    assert clean_rich_text(r"<p>\(x\)<font>y</font></p>") == r"<p>\(x\)y</p>"
    refused(r"<p>\(\frac{1}{\)</p>", "bad_latex")
    refused(r"<script>\(x\)</script>", "unsafe_html")


# --- fuzzing ------------------------------------------------------------------------------------

FUZZ = settings(deadline=None, max_examples=300, database=None)
HTML_BITS = st.sampled_from([
    "<p>", "</p>", "<b>", "</b>", "<img src=x>", f'<img src="{IMG}">', "<script>", "</script>",
    " onclick=", "javascript:", "<a href=", ">", "<", '"', "'", "&amp;", "&#106;", "\\(", "\\)",
    "\\[", "\\]", "x^{2}", "\\frac{1}{2}", "{", "}", "<!--", "-->", "<svg>", "<style>", " ", "Đ",
])


@FUZZ
@given(st.lists(HTML_BITS | st.text(max_size=5), max_size=25).map("".join))
def test_rich_text_either_cleans_or_refuses(html):
    try:
        clean = clean_rich_text(html, "stem")
    except ItemValidationError as error:
        assert error.field == "stem" and error.code in {
            "unsafe_html", "bad_image_src", "bad_latex"}
        return
    tags = re.findall(r"<([a-z0-9]+)([^>]*)>", clean.lower())
    assert {name for name, _ in tags} <= ALLOWED_TAGS
    assert not any(" on" in attrs or "javascript:" in attrs for _, attrs in tags)
    assert sanitize_html(clean) == clean


LATEX_BITS = st.sampled_from([
    "x", "2", "+", "^", "_", "{", "}", "\\frac", "\\sqrt", "\\left(", "\\right)", "\\begin{matrix}",
    "\\end{matrix}", "&", "\\\\", "\\alpha", "\\foo", "[", "]", " ", "\\", "%", "\\text{a}",
])


@FUZZ
@given(st.lists(LATEX_BITS | st.text(max_size=3), min_size=1, max_size=20).map("".join))
def test_formula_check_only_raises_bad_latex(formula):
    try:
        check_formula(formula, "stem")
    except ItemValidationError as error:
        assert (error.code, error.field) == ("bad_latex", "stem")
