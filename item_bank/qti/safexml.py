"""Parsing untrusted XML: every QTI document and manifest goes through `parse`.

QTI packages come from outside (other tools, teachers' uploads), so the parser must not expand
entities (billion laughs), must not resolve external entities (file:///etc/passwd, network) and
must not let a huge or absurdly deep document eat the server's memory or stack. defusedxml handles
the entity attacks; the size and depth limits are ours.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser


class QtiError(Exception):
    """A QTI document, item or package that cannot be used; `reason` is shown to the importer."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class XmlLimits:
    max_bytes: int = 5 * 1024 * 1024   # one item document; real items are a few KB
    max_depth: int = 200               # QTI nesting rarely passes 30; the stack must stay safe


DEFAULT_LIMITS = XmlLimits()


class _DepthLimitedBuilder(ET.TreeBuilder):
    def __init__(self, max_depth: int):
        super().__init__()
        self._depth = 0
        self._max_depth = max_depth

    def start(self, tag, attrs):
        self._depth += 1
        if self._depth > self._max_depth:
            raise QtiError(f"XML nested deeper than {self._max_depth} elements")
        return super().start(tag, attrs)

    def end(self, tag):
        self._depth -= 1
        return super().end(tag)


def parse(data: bytes | str, limits: XmlLimits = DEFAULT_LIMITS) -> ET.Element:
    """Parse one XML document and return its root element, or raise QtiError(reason)."""
    raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    if len(raw) > limits.max_bytes:
        raise QtiError(f"XML document too large: {len(raw)} bytes (limit {limits.max_bytes})")
    # DTDs themselves are tolerated (some tools still write a DOCTYPE); entity declarations and
    # external references are what the attacks need, and those are forbidden.
    parser = DefusedXMLParser(target=_DepthLimitedBuilder(limits.max_depth),
                              forbid_dtd=False, forbid_entities=True, forbid_external=True)
    try:
        parser.feed(raw)
        return parser.close()
    except ET.ParseError as exc:
        line, column = exc.position
        message = str(exc).split(":", 1)[0]
        raise QtiError(f"malformed XML at line {line}, column {column}: {message}") from None
    except DefusedXmlException as exc:
        raise QtiError(f"unsafe XML refused: {type(exc).__name__} ({exc})") from None
    except (LookupError, ValueError) as exc:   # e.g. an encoding="..." Python does not know
        raise QtiError(f"unreadable XML: {exc}") from None
