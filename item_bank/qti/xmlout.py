"""Serialising our element trees as XML with a default namespace and chosen prefixes.

ElementTree cannot write a default namespace together with unprefixed attributes (QTI's
`identifier="..."` is unqualified), and its prefixes come from a process-wide registry; this small
writer does exactly what the QTI documents need. It also escapes CR so that it survives parsing
(XML turns a literal CR into LF).
"""
from __future__ import annotations

import xml.etree.ElementTree as ET

from item_bank.qti import ns


def _text(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")


def _attr(value: str) -> str:
    return (_text(value).replace('"', "&quot;").replace("\n", "&#10;").replace("\t", "&#9;"))


def serialize(root: ET.Element, default_namespace: str, prefixes: dict[str, str] | None = None) -> bytes:
    """`prefixes` maps namespace URI -> prefix for the namespaces other than the default one."""
    names = {ns.XML: "xml", ns.XSI: "xsi", **(prefixes or {})}
    used: dict[str, str] = {}

    def qname(tag: str, attribute: bool) -> str:
        uri, local = ns.split(tag)
        if uri is None:
            if not attribute:
                raise ValueError(f"element {tag!r} has no namespace")
            return local
        if uri == default_namespace and not attribute:
            return local
        if uri not in names:
            names[uri] = f"ns{len(names)}"
        if uri != ns.XML:
            used[uri] = names[uri]
        return f"{names[uri]}:{local}"

    parts: list[str] = []

    def write(element: ET.Element) -> None:
        name = qname(element.tag, False)
        parts.append(f"<{name}")   # for the root, namespace declarations follow this part
        for key, value in element.attrib.items():
            parts.append(f' {qname(key, True)}="{_attr(value)}"')
        if len(element) or element.text:
            parts.append(">")
            parts.append(_text(element.text or ""))
            for child in element:
                write(child)
                parts.append(_text(child.tail or ""))
            parts.append(f"</{name}>")
        else:
            parts.append("/>")

    write(root)
    declarations = f' xmlns="{_attr(default_namespace)}"' + "".join(
        f' xmlns:{prefix}="{_attr(uri)}"' for uri, prefix in sorted(used.items(), key=lambda kv: kv[1]))
    root_open = parts[0] + declarations
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + root_open + "".join(parts[1:]) + "\n").encode("utf-8")
