"""QTI 3.0 / 2.1 item document -> Item (one file; packages are package.py's business).

Steps: parse safely, normalise 2.1 names to 3.0 (ns.py), pull images into the bank's media
(media.py), read the single supported interaction (interactions.py), extract the stem, merge
metadata (meta.py), and validate with the item type. Any failure is a QtiError whose reason the
importer shows next to the file name.
"""
from __future__ import annotations

import copy
import json
import posixpath
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from item_bank.model import Item, ItemContent, ItemValidationError
from item_bank.qti import ns
from item_bank.qti.htmlxml import inner_html
from item_bank.qti.interactions import FEEDBACK, INLINE, READERS, Ctx, trim_layout
from item_bank.qti.media import ReadFile, import_images
from item_bank.qti.meta import FoundMetadata, build_metadata
from item_bank.qti.safexml import DEFAULT_LIMITS, QtiError, XmlLimits, parse

# Parts of a body that are not the stem: scorer/author material, feedback, templates.
NOT_STEM = FEEDBACK | {"qti-rubric-block", "qti-stylesheet", "qti-printed-variable"}
BLANK = "_____"   # where an inline answer box stood inside a sentence


@dataclass
class ImportedItem:
    item: Item
    media: dict[str, bytes] = field(default_factory=dict)   # "<sha>.<ext>" -> bytes
    file: str = ""


def _is_interaction(element: ET.Element) -> bool:
    return element.tag.startswith("qti-") and element.tag.endswith("-interaction")


def _find_interaction(body: ET.Element, version: str) -> ET.Element:
    found = [e for e in body.iter() if _is_interaction(e)]
    if not found:
        raise QtiError("no interaction in the item body")
    for element in found:
        if element.tag not in READERS:
            name = ns.camel(element.tag) if version == "2.1" else element.tag
            raise QtiError(f"unsupported interaction: {name}")
    if len(found) > 1:
        raise QtiError(f"{len(found)} interactions in one item; composite items are not supported")
    return found[0]


def _remove(parent: ET.Element, child: ET.Element, replacement: str = "") -> None:
    """Remove `child`, keeping its tail text (and putting `replacement` where it stood)."""
    text = replacement + (child.tail or "")
    index = list(parent).index(child)
    if index:
        previous = parent[index - 1]
        previous.tail = (previous.tail or "") + text
    else:
        parent.text = (parent.text or "") + text
    parent.remove(child)


def _has_words_around(parent: ET.Element, child: ET.Element) -> bool:
    texts = [parent.text or ""] + [c.tail or "" for c in parent]
    return any(t.strip() for t in texts) or len(parent) > 1


def _prune(parent: ET.Element) -> None:
    for child in list(parent):
        if child.tag == "qti-rubric-block" and "candidate" in child.get("view", "").split():
            # Instructions for the student are part of what they read: keep them, unwrapped.
            child.tag, child.attrib = "div", {}
            for content in child.iter("qti-content-body"):
                content.tag = "div"
            _prune(child)
        elif _is_interaction(child) or child.tag in NOT_STEM:
            blank = BLANK if child.tag in INLINE and _has_words_around(parent, child) else ""
            _remove(parent, child, blank)
        elif child.tag.startswith("qti-"):
            _remove(parent, child)   # other QTI machinery has nothing to show
        else:
            _prune(child)
            empty = not len(child) and not (child.text or "").strip()
            if empty and child.tag in ("p", "div", "span"):
                _remove(parent, child)


def _stem_div(body: ET.Element) -> ET.Element | None:
    for child in body:
        if child.tag == "div" and "ib-stem" in child.get("class", "").split():
            return child
    return None


def extract_stem(body: ET.Element, interaction: ET.Element) -> str:
    stem_div = _stem_div(body)
    if stem_div is not None:
        return inner_html(stem_div)   # our own export: the stem exactly as stored
    rest = copy.deepcopy(body)
    _prune(rest)
    stem = inner_html(rest).strip()
    prompt = ns.child(interaction, "qti-prompt")
    if prompt is None:
        return stem
    prompt_html = trim_layout(inner_html(prompt)).strip()
    # A prompt of bare inline text after block content becomes a paragraph of its own.
    has_blocks = any(c.tag in ("p", "div", "ul", "ol", "table") for c in prompt)
    return stem + (prompt_html if has_blocks or not stem else f"<p>{prompt_html}</p>")


def _validate(item: Item) -> Item:
    from item_bank.types import validate_item

    try:
        return validate_item(item)
    except ItemValidationError as exc:
        where = f" ({exc.field})" if exc.field else ""
        raise QtiError(f"invalid item{where}: {exc.message}") from None


def read_item(data: bytes | str, *, file: str = "item.xml", read_file: ReadFile | None = None,
              found: FoundMetadata | None = None, defaults: Mapping[str, Any] | None = None,
              limits: XmlLimits = DEFAULT_LIMITS) -> ImportedItem:
    """Read one QTI item document. `file` is its path in the package (images are relative to it);
    `read_file(path)` gives other package files; `found` is what the manifest says about it;
    `defaults` fill metadata the item does not carry (subject and grade are required)."""
    root, version = ns.normalise_item(parse(data, limits))
    found = found or FoundMetadata()
    identifier = (root.get("identifier") or "").strip()
    if not identifier:
        raise QtiError("the item has no identifier")
    body = ns.child(root, "qti-item-body")
    if body is None:
        raise QtiError("the item has no item body")
    interaction = _find_interaction(body, version)
    if any(isinstance(e.tag, str) and ns.split(e.tag)[0] == ns.MATHML for e in body.iter()):
        # Sanitising would keep only MathML's bare text ("x2" for x squared): wrong maths, silently.
        raise QtiError("MathML formulas are not supported; write them in LaTeX between \\( and \\)")
    media = import_images(body, posixpath.dirname(file), read_file)
    response_id = interaction.get("response-identifier")
    declarations = {d.get("identifier"): d for d in ns.children(root, "qti-response-declaration")}
    if response_id not in declarations:
        raise QtiError(f"no response declaration for {response_id!r}")
    outcomes = {d.get("identifier"): d for d in ns.children(root, "qti-outcome-declaration")}
    ctx = Ctx(interaction=interaction, decl=declarations[response_id],
              processing=ns.child(root, "qti-response-processing"), body=body,
              score=outcomes.get("SCORE"), found=found,
              exact=found.has_extension or _stem_div(body) is not None)
    item_type, item_body, key = READERS[interaction.tag](ctx)
    stem = extract_stem(body, interaction)
    language = root.get(f"{{{ns.XML}}}lang")
    metadata = build_metadata(found.fields, defaults, language)
    title = (root.get("title") or found.fields.get("_title") or "").strip() or identifier
    item = Item(identifier=found.identifier or identifier, title=title, metadata=metadata,
                content=ItemContent(type=item_type, stem=stem, body=item_body, key=key))
    item = _validate(item)
    # Sanitising may have dropped an image (e.g. inside a forbidden element): keep only those shown.
    shown = json.dumps([item.content.stem, item.content.body], ensure_ascii=False)
    return ImportedItem(item=item, media={k: v for k, v in media.items() if k in shown}, file=file)
