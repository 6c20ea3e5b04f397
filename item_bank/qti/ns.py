"""Namespaces, and one normalised view of QTI 2.1 and 3.0 item documents.

The reader works on a single vocabulary: QTI 3.0's kebab-case names without namespace
("qti-choice-interaction", attribute "max-choices") and bare HTML names ("p", "img"). QTI 2.x
documents are renamed into it ("choiceInteraction" -> "qti-choice-interaction", "maxChoices" ->
"max-choices"): the two versions differ in spelling far more than in structure, so one reader
with a renaming step is smaller and better tested than two readers.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

QTI3 = "http://www.imsglobal.org/xsd/imsqtiasi_v3p0"
QTI21 = "http://www.imsglobal.org/xsd/imsqti_v2p1"
QTI22 = "http://www.imsglobal.org/xsd/imsqti_v2p2"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
XML = "http://www.w3.org/XML/1998/namespace"
MATHML = "http://www.w3.org/1998/Math/MathML"
CP3 = "http://www.imsglobal.org/xsd/qti/qtiv3p0/imscp_v1p1"
CP11 = "http://www.imsglobal.org/xsd/imscp_v1p1"
LOM = "http://ltsc.ieee.org/xsd/LOM"
QTI3_METADATA = "http://www.imsglobal.org/xsd/imsqti_metadata_v3p0"
# Our own extension (see item_bank/qti/__init__.py). A URN: it names, it is never fetched.
EXT = "urn:exam-platform:item-bank:qti-extension:v1"

QTI3_ITEM_XSD = "https://purl.imsglobal.org/spec/qti/v3p0/schema/xsd/imsqti_asiv3p0_v1p0.xsd"
RP_TEMPLATE_3 = "https://purl.imsglobal.org/spec/qti/v3p0/rptemplates/{}.xml"

# QTI 2.x shares its namespace between QTI elements and its XHTML subset; these names are the
# XHTML (and HTML5 additions of 2.2) ones, everything else in the namespace is QTI vocabulary.
HTML_ELEMENTS = frozenset(["a", "abbr", "acronym", "address", "article", "aside", "audio", "b", "bdi", "bdo", "big", "blockquote", "br", "caption", "cite", "code", "col", "colgroup", "dd", "del", "dfn", "div", "dl", "dt", "em", "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "i", "img", "ins", "kbd", "label", "li", "mark", "nav", "object", "ol", "p", "param", "pre", "q", "rb", "rp", "rt", "rtc", "ruby", "s", "samp", "section", "small", "source", "span", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "track", "tt", "u", "ul", "var", "video"])

_CAMEL = re.compile(r"(?<=[a-z0-9])([A-Z])")


def kebab(name: str) -> str:
    return _CAMEL.sub(r"-\1", name).lower()


def camel(kebab_name: str) -> str:
    """qti-hotspot-interaction -> hotspotInteraction (for messages about 2.x documents)."""
    head, *rest = kebab_name.removeprefix("qti-").split("-")
    return head + "".join(part.capitalize() for part in rest)


def split(tag: str) -> tuple[str | None, str]:
    if tag.startswith("{"):
        ns, local = tag[1:].split("}", 1)
        return ns, local
    return None, tag


def local(tag: str) -> str:
    return split(tag)[1]


def normalise_item(root: ET.Element) -> tuple[ET.Element, str]:
    """Return (normalised copy, version) where version is "3.0" or "2.1"; QtiError if neither."""
    from item_bank.qti.safexml import QtiError

    ns, name = split(root.tag)
    if ns == QTI3 and name == "qti-assessment-item":
        return _rename(root, _rename_qti3), "3.0"
    if ns in (QTI21, QTI22) and name == "assessmentItem":
        return _rename(root, _rename_qti2), "2.1"
    raise QtiError(f"not a QTI 3.0 or 2.1 assessment item (root element {name!r}"
                   + (f" in namespace {ns}" if ns else " without namespace") + ")")


def _rename_qti3(ns: str | None, name: str) -> tuple[str, bool]:
    if ns == QTI3:
        return name, False
    return (f"{{{ns}}}{name}" if ns else name), False


def _rename_qti2(ns: str | None, name: str) -> tuple[str, bool]:
    if ns in (QTI21, QTI22):
        if name in HTML_ELEMENTS:
            return name, False
        return "qti-" + kebab(name), True
    return (f"{{{ns}}}{name}" if ns else name), False


def _rename(element: ET.Element, rule) -> ET.Element:
    ns, name = split(element.tag)
    tag, is_qti = rule(ns, name)
    attrib = {}
    for key, value in element.attrib.items():
        # Only QTI elements' attributes are camelCase in 2.x; HTML ones (src, alt...) are not.
        attrib[kebab(key) if is_qti and not key.startswith("{") else key] = value
    copy = ET.Element(tag, attrib)
    copy.text, copy.tail = element.text, element.tail
    for child in element:
        if not isinstance(child.tag, str):  # comments and processing instructions
            continue
        copy.append(_rename(child, rule))
    return copy


def children(element: ET.Element, name: str) -> list[ET.Element]:
    return [child for child in element if child.tag == name]


def child(element: ET.Element, name: str) -> ET.Element | None:
    for candidate in element:
        if candidate.tag == name:
            return candidate
    return None


def text_of(element: ET.Element | None) -> str:
    return "".join(element.itertext()).strip() if element is not None else ""
