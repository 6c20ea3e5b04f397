"""Rich text of items: HTML safety and LaTeX checks, at authoring time.

Item HTML is written by teachers (often pasted from Word) and shown to every student of an exam,
so it is sanitised with an allowlist (`nh3`). Anything that looks like an attack (script, event
handlers, javascript: URLs...) is *refused* with an error rather than silently dropped: an author
who pasted it should know, and an attacker should leave a trace in the logs.

Formulas sit in the HTML text between `\\( ... \\)` (inline) and `\\[ ... \\]` (display); KaTeX
renders them in the browser. Here they are only validated, so that a broken formula is caught when
the item is written, not when a student reads it in the exam room. `latex2mathml` is lenient (it
accepts `x^{2`, `x}`, `\\frac{1}`, `\\end{matrix}` alone, unknown commands, `&` anywhere), so this
module adds its own checks for the structure it lets through.
"""
from __future__ import annotations

import re
import unicodedata
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import nh3
from latex2mathml.converter import convert as latex_to_mathml

from item_bank.model import ItemValidationError

MAX_HTML_CHARS = 100_000

ALLOWED_TAGS = frozenset({
    "p", "br", "strong", "b", "em", "i", "u", "sub", "sup", "span", "div", "ul", "ol", "li",
    "table", "thead", "tbody", "tr", "th", "td", "blockquote", "code", "pre", "img", "figure",
    "figcaption", "hr",
})
ALLOWED_ATTRIBUTES = {
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
    "span": {"class"},
    "div": {"class"},
}
# Tags that can run code, load other documents, send data or restyle the exam page.
FORBIDDEN_TAGS = frozenset({
    "script", "style", "iframe", "frame", "frameset", "object", "embed", "applet", "form", "input",
    "button", "textarea", "select", "link", "meta", "base",
})
# Images live in the bank, addressed by the SHA-256 of their bytes: no hot-linking, no tracking.
IMAGE_SRC = re.compile(r"/media/[0-9a-f]{64}\.(?:png|jpe?g|gif|webp)")
_BAD_SCHEME = re.compile(r"^(javascript|vbscript|data):")
# Browsers ignore these inside a URL scheme, so "java\tscript:" is still javascript:.
_URL_NOISE = re.compile(r"[\x00-\x20\x7f]+")


def _refuse(message: str, field: str | None, code: str) -> ItemValidationError:
    return ItemValidationError(message, field=field, code=code)


class _SafetyScan(HTMLParser):
    """Walks the raw HTML and raises on the first dangerous tag or attribute."""

    def __init__(self, field: str | None):
        super().__init__(convert_charrefs=True)
        self.field = field

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in FORBIDDEN_TAGS:
            raise _refuse(f"<{tag}> is not allowed in item text", self.field, "unsafe_html")
        for name, value in attrs:
            value = value or ""
            if name.startswith("on"):
                raise _refuse(f"Event handler attribute {name!r} on <{tag}> is not allowed",
                              self.field, "unsafe_html")
            squeezed = _URL_NOISE.sub("", value).lower()
            if _BAD_SCHEME.match(squeezed):
                scheme = squeezed.split(":", 1)[0]
                raise _refuse(f"{scheme}: URL in attribute {name!r} of <{tag}> is not allowed",
                              self.field, "unsafe_html")
            if name == "style" and ("expression(" in squeezed or "javascript:" in squeezed):
                raise _refuse(f"Scripted style attribute on <{tag}> is not allowed",
                              self.field, "unsafe_html")
        if tag == "img":
            src = dict(attrs).get("src")
            if src is None or not IMAGE_SRC.fullmatch(src):
                raise _refuse(
                    f"Image source {src!r} is not an image of the bank; upload the image so that "
                    "it is stored as /media/<sha256>.<png|jpg|jpeg|gif|webp>",
                    self.field, "bad_image_src")

    handle_startendtag = handle_starttag


def _keep_bank_images_only(tag: str, attr: str, value: str) -> str | None:
    # The scan above already refused other sources; this guards against the two parsers
    # (html.parser and nh3's html5ever) disagreeing about what is an <img>.
    if tag == "img" and attr == "src" and not IMAGE_SRC.fullmatch(value):
        return None
    return value


def _check_text(html: object, field: str | None) -> str:
    if not isinstance(html, str):
        raise _refuse(f"Expected HTML text, got {type(html).__name__}", field, "wrong_type")
    if len(html) > MAX_HTML_CHARS:
        raise _refuse(f"Text is too long ({len(html)} characters, at most {MAX_HTML_CHARS})",
                      field, "too_long")
    # NFC before parsing (not after): composing after sanitising could fuse a tag's ">" with a
    # following combining mark (">" + U+0338 is "≯") and break the markup.
    return unicodedata.normalize("NFC", html)


def sanitize_html(html: str, field: str | None = None) -> str:
    """Refuse dangerous HTML, strip what is merely not allowed, return the clean HTML."""
    html = _check_text(html, field)
    scan = _SafetyScan(field)
    scan.feed(html)
    scan.close()
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        attribute_filter=_keep_bank_images_only,
        url_schemes=set(),
        link_rel=None,
        strip_comments=True,
    )


# --- LaTeX -------------------------------------------------------------------------------------

_OPEN = {"\\(": "\\)", "\\[": "\\]"}
_DELIMITERS = ("\\(", "\\)", "\\[", "\\]")
# KaTeX's auto-render does not look for formulas inside these elements.
_NO_MATH_TAGS = frozenset({"code", "pre", "script", "style", "textarea", "option", "noscript"})

# Environments KaTeX knows; latex2mathml accepts any name silently.
KNOWN_ENVIRONMENTS = frozenset({
    "matrix", "pmatrix", "bmatrix", "Bmatrix", "vmatrix", "Vmatrix", "smallmatrix",
    "matrix*", "pmatrix*", "bmatrix*", "Bmatrix*", "vmatrix*", "Vmatrix*",
    "array", "darray", "subarray", "cases", "dcases", "rcases", "drcases",
    "aligned", "alignedat", "gathered", "split", "align", "align*", "alignat", "alignat*",
    "gather", "gather*", "equation", "equation*", "CD",
})
# KaTeX refuses these outside display math (\[ ... \]).
DISPLAY_ONLY_ENVIRONMENTS = frozenset({
    "align", "align*", "alignat", "alignat*", "gather", "gather*", "equation", "equation*", "CD",
})
# Commands that load URLs, inject HTML attributes or define macros: not for exam content.
FORBIDDEN_COMMANDS = frozenset({
    "href", "url", "includegraphics", "htmlClass", "htmlId", "htmlStyle", "htmlData",
    "def", "gdef", "edef", "xdef", "let", "newcommand", "renewcommand", "providecommand",
    "DeclareMathOperator", "newenvironment",
})
MAX_NESTING = 40

_TOKEN = re.compile(
    r"\\(?P<env>begin|end)\s*\{(?P<name>[^{}]*)\}"
    r"|\\(?P<cmd>[A-Za-z]+)"
    r"|(?P<symbol>\\.)"
    r"|(?P<lone>\\$)"
    r"|%[^\n]*"             # a comment, as in TeX
    r"|(?P<brace>[{}])"
    r"|(?P<amp>&)"
    r"|[^\\{}&%]+",
    re.DOTALL,
)

# MathML elements with a fixed number of children: fewer means an argument went missing
# (latex2mathml turns "\frac{1}" into an <mfrac> with one child instead of failing).
_ARITY = {"mfrac": 2, "msup": 2, "msub": 2, "msubsup": 3, "mover": 2, "munder": 2,
          "munderover": 3, "mroot": 2}
_MATHML_NS = "{http://www.w3.org/1998/Math/MathML}"
_BARE_AMPERSAND = re.compile(r"&(?!#x?[0-9A-Fa-f]+;|[A-Za-z]+;)")
_UNKNOWN_COMMAND = re.compile(r"^\\([A-Za-z]+)")

_CONVERTER_REASONS = {
    "NoAvailableTokensError": "a command or group is missing its argument",
    "MissingSuperScriptOrSubscriptError": "^ or _ has nothing after it",
    "DoubleSuperscriptsError": "double superscript (write x^{a b} or {x^a}^b)",
    "DoubleSubscriptsError": "double subscript (write x_{a b} or {x_a}_b)",
    "ExtraLeftOrMissingRightError": "\\left without \\right or \\right without \\left",
    "MissingEndError": "\\begin without matching \\end",
    "InvalidStyleForGenfracError": "invalid style for \\genfrac",
    "InvalidWidthError": "invalid width",
    "InvalidAlignmentError": "invalid column alignment",
    "DenominatorNotFoundError": "fraction without denominator",
    "NumeratorNotFoundError": "fraction without numerator",
}


class _TextChunks(HTMLParser):
    """Collects the text nodes in which KaTeX will look for formulas."""

    def __init__(self, skip_code: bool = True) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self._skip_tags = _NO_MATH_TAGS if skip_code else frozenset()
        self._skip = 0
        self._current: list[str] = []

    def _flush(self) -> None:
        if self._current:
            self.chunks.append("".join(self._current))
            self._current = []

    def handle_starttag(self, tag: str, attrs: object) -> None:
        self._flush()
        if tag in self._skip_tags:
            self._skip += 1

    def handle_startendtag(self, tag: str, attrs: object) -> None:
        self._flush()

    def handle_endtag(self, tag: str) -> None:
        self._flush()
        if tag in self._skip_tags and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self._current.append(data)

    def close(self) -> None:
        super().close()
        self._flush()


def _bad(formula: str, reason: str, field: str | None) -> ItemValidationError:
    shown = formula if len(formula) <= 80 else formula[:77] + "..."
    return ItemValidationError(f'Formula "{shown}": {reason}', field=field, code="bad_latex")


def find_formulas(html: str, field: str | None = None) -> list[tuple[str, str]]:
    """Return (opening delimiter, formula) for every formula in the HTML's text.

    Raises bad_latex for a delimiter without its partner. A formula cannot span tags: KaTeX's
    auto-render looks at one text node at a time."""
    parser = _TextChunks()
    parser.feed(html)
    parser.close()
    found = []
    for text in parser.chunks:
        i = 0
        while (start := _next_delimiter(text, i)) is not None:
            opener = text[start:start + 2]
            if opener not in _OPEN:
                raise _bad(text[max(0, start - 30):start + 2],
                           f"{opener} without an opening {_partner(opener)}", field)
            end = _find_closer(text, start + 2, _OPEN[opener])
            if end is None:
                raise _bad(text[start:start + 60], f"{opener} is never closed by {_OPEN[opener]}",
                           field)
            found.append((opener, text[start + 2:end]))
            i = end + 2
    return found


def _next_delimiter(text: str, i: int) -> int | None:
    positions = [p for d in _DELIMITERS if (p := text.find(d, i)) >= 0]
    return min(positions) if positions else None


def _partner(delimiter: str) -> str:
    return {"\\)": "\\(", "\\]": "\\["}.get(delimiter, _OPEN.get(delimiter, ""))


def _find_closer(text: str, i: int, closer: str) -> int | None:
    # Inside math a backslash always starts a two-character unit ("\\[2pt]" is a line break
    # followed by "[2pt]", not a display-math opener).
    while i < len(text) - 1:
        if text[i] == "\\":
            if text[i:i + 2] == closer:
                return i
            i += 2
        else:
            i += 1
    return None


def _check_structure(formula: str, field: str | None, display: bool) -> None:
    stack: list[str] = []   # "{", "\\left" or an environment name
    for m in _TOKEN.finditer(formula):
        # lastgroup would say "name" for an environment: its inner group closes last.
        kind = "env" if m.group("env") else m.lastgroup
        if kind == "symbol" and m.group() in _DELIMITERS:
            raise _bad(formula, f"contains {m.group()}: a formula delimiter is misplaced", field)
        if kind == "lone":
            raise _bad(formula, "ends with a lone backslash", field)
        if kind == "cmd":
            cmd = m.group("cmd")
            if cmd in FORBIDDEN_COMMANDS:
                raise _bad(formula, f"\\{cmd} is not allowed in item text", field)
            if cmd in ("begin", "end"):
                raise _bad(formula, f"\\{cmd} needs an environment name in braces", field)
            if cmd == "left":
                stack.append("\\left")
            elif cmd == "right":
                if not stack or stack[-1] != "\\left":
                    raise _bad(formula, "\\right without a matching \\left", field)
                stack.pop()
            elif cmd == "middle" and "\\left" not in stack:
                raise _bad(formula, "\\middle outside \\left ... \\right", field)
        elif kind == "env":
            name = m.group("name").strip()
            if m.group("env") == "begin":
                if name not in KNOWN_ENVIRONMENTS:
                    raise _bad(formula, f"unknown environment {name!r}", field)
                if name in DISPLAY_ONLY_ENVIRONMENTS and not display:
                    raise _bad(formula, f"{{{name}}} needs display math: write \\[ ... \\]", field)
                stack.append(name)
            else:
                if not stack or stack[-1] in ("{", "\\left"):
                    what = {"{": "an open brace", "\\left": "an open \\left"}.get(
                        stack[-1] if stack else "", "no \\begin")
                    raise _bad(formula, f"\\end{{{name}}} with {what} before it", field)
                if stack[-1] != name:
                    raise _bad(formula, f"\\begin{{{stack[-1]}}} ended by \\end{{{name}}}", field)
                stack.pop()
        elif kind == "brace":
            if m.group() == "{":
                stack.append("{")
            elif not stack or stack[-1] != "{":
                raise _bad(formula, "unbalanced braces: '}' without '{'"
                           if "{" not in stack else "'}' closes a group opened outside "
                           "\\left or \\begin", field)
            else:
                stack.pop()
        elif kind == "amp" and not any(s not in ("{", "\\left") for s in stack):
            raise _bad(formula, "'&' outside a matrix or alignment environment", field)
        if len(stack) > MAX_NESTING:
            raise _bad(formula, f"nested more than {MAX_NESTING} levels deep", field)
    if stack:
        top = stack[-1]
        reason = {"{": "unbalanced braces: '{' is never closed",
                  "\\left": "\\left without a matching \\right"}.get(
                      top, f"\\begin{{{top}}} without \\end{{{top}}}")
        raise _bad(formula, reason, field)


def _check_mathml(formula: str, mathml: str, field: str | None) -> None:
    # latex2mathml's own output: no DTD or entities to expand, but it writes the "&" of some
    # alignments unescaped, which XML refuses.
    try:
        root = ET.fromstring(_BARE_AMPERSAND.sub("&amp;", mathml))
    except ET.ParseError:
        return  # nothing more to learn; the structural checks above have run
    for element in root.iter():
        tag = element.tag.removeprefix(_MATHML_NS)
        if tag in _ARITY and len(element) < _ARITY[tag]:
            raise _bad(formula, "a command is missing an argument", field)
        if tag in ("mi", "mo") and element.text and (m := _UNKNOWN_COMMAND.match(element.text)):
            raise _bad(formula, f"unknown command \\{m.group(1)}", field)


def check_formula(formula: str, field: str | None = None, display: bool = False) -> None:
    """Raise bad_latex if the formula is malformed; the reason is in the message."""
    if not formula.strip():
        raise _bad(formula, "empty formula", field)
    _check_structure(formula, field, display)
    try:
        mathml = latex_to_mathml(formula, display="block" if display else "inline")
    except RecursionError:
        raise _bad(formula, "nested too deeply", field) from None
    except Exception as exc:  # noqa: BLE001 (latex2mathml raises many unrelated classes)
        reason = _CONVERTER_REASONS.get(type(exc).__name__) or str(exc) or type(exc).__name__
        raise _bad(formula, reason, field) from None
    _check_mathml(formula, mathml, field)


def check_latex(html: str, field: str | None = None) -> list[str]:
    """Check every formula of the HTML text; return the formulas found."""
    formulas = []
    for opener, formula in find_formulas(html, field):
        check_formula(formula, field, display=opener == "\\[")
        formulas.append(formula)
    return formulas


def clean_rich_text(html: str, field: str | None = None) -> str:
    """Sanitise the HTML and check its formulas; return the clean HTML."""
    clean = sanitize_html(html, field)
    check_latex(clean, field)
    return clean


def has_content(html: str) -> bool:
    """True if the (clean) HTML shows something: visible text or an image."""
    if "<img" in html:
        return True
    parser = _TextChunks(skip_code=False)
    parser.feed(html)
    parser.close()
    return any(chunk.replace("\xa0", " ").strip() for chunk in parser.chunks)
