"""Item HTML <-> QTI XML content.

The bank stores sanitised HTML (`<br>`, `&nbsp;`, unquoted habits of HTML5); QTI wants XHTML
elements inside the item's XML. Writing parses the HTML with the standard library's tolerant
parser and rebuilds it as elements; reading serialises elements back as HTML. Neither side
sanitises: the item type's validation does that on import, once, with the bank's own rules.
"""
from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

from item_bank.qti import ns

VOID = frozenset(["area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"])
_XML_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
# Characters XML 1.0 cannot carry at all; they have no place in item text either.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def xml_safe(text: str) -> str:
    return _NOT_XML.sub("", text)


class _Builder(HTMLParser):
    def __init__(self, root: ET.Element, namespace: str):
        super().__init__(convert_charrefs=True)
        self.namespace = namespace
        self.stack = [root]

    def _add_text(self, text: str) -> None:
        text = xml_safe(text)
        parent = self.stack[-1]
        if len(parent):
            parent[-1].tail = (parent[-1].tail or "") + text
        else:
            parent.text = (parent.text or "") + text

    def handle_starttag(self, tag, attrs):
        attrib = {name: xml_safe(value or "") for name, value in attrs if _XML_NAME.match(name)}
        element = ET.SubElement(self.stack[-1], f"{{{self.namespace}}}{tag}", attrib)
        if tag not in VOID:
            self.stack.append(element)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag):
        name = f"{{{self.namespace}}}{tag}"
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == name:
                del self.stack[depth:]
                return
        # An end tag that closes nothing open: HTML ignores it, so do we.

    def handle_data(self, data):
        self._add_text(data)


def html_into(parent: ET.Element, fragment: str, namespace: str = ns.QTI3) -> ET.Element:
    """Append the HTML `fragment` to `parent` (text and elements in `namespace`)."""
    builder = _Builder(parent, namespace)
    builder.feed(fragment)
    builder.close()
    return parent


def inner_html(element: ET.Element, skip=lambda e: False) -> str:
    """HTML of the content of a normalised element (see ns.normalise_item); `skip` drops children."""
    parts = [html.escape(element.text or "", quote=False)]
    for child in element:
        if not skip(child):
            parts.append(outer_html(child, skip))
        parts.append(html.escape(child.tail or "", quote=False))
    return "".join(parts)


def outer_html(element: ET.Element, skip=lambda e: False) -> str:
    name = ns.local(element.tag)
    attrs = "".join(f' {ns.local(key)}="{html.escape(value, quote=True)}"'
                    for key, value in element.attrib.items() if not key.startswith(f"{{{ns.XSI}}}"))
    if name in VOID:
        return f"<{name}{attrs}>"
    return f"<{name}{attrs}>{inner_html(element, skip)}</{name}>"
