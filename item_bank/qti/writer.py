"""Item -> QTI 3.0 item XML (one qti-assessment-item document).

The document is standard QTI 3.0: declarations with the correct response (and a mapping where
scoring uses one), SCORE, the body, response processing (see rp.py). Layout of the body, which
the reader recognises for an exact round trip and other tools simply display:

    <div class="ib-stem">stem HTML</div>
    <qti-...-interaction response-identifier="RESPONSE">...</qti-...-interaction>
or, for typed answers (inline interactions need a block around them):
    <div class="ib-answer"><qti-text-entry-interaction .../><span class="ib-unit">cm</span></div>

What QTI cannot say exactly about our types goes to the manifest (meta.extension_element):
`WrittenItem.settings` and `WrittenItem.id_map` are handed to the package writer for that.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from item_bank.model import Item
from item_bank.qti import ns, rp
from item_bank.qti.htmlxml import html_into, xml_safe
from item_bank.qti.meta import number_text
from item_bank.qti.rp import q
from item_bank.qti.safexml import QtiError
from item_bank.qti.xmlout import serialize
from item_bank.types.true_false_cluster import FRACTION_BY_RIGHT

NCNAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
MEDIA_SRC = re.compile(r"^/media/([0-9a-f]{64}\.[a-z0-9]{1,5})$")
MEDIA_DIR = "media"            # relative to the item file: items/media/<sha>.<ext> in a package
TRUE, FALSE = "T", "F"         # target identifiers of a true/false cluster's match interaction
CHARS_PER_WORD = 6             # expected-length (characters) <-> our expected_words (a hint)


@dataclass
class WrittenItem:
    identifier: str                 # QTI identifier used in the document
    xml: bytes
    media: list[str]                # "<sha>.<ext>" names referenced, relative to items/media/
    interaction: str                # QTI 2-style interaction name, for the manifest's qtiMetadata
    settings: dict[str, str] = field(default_factory=dict)
    id_map: dict[str, str] = field(default_factory=dict)   # QTI choice id -> bank choice id


class _Ids:
    """Bank choice ids are [A-Za-z0-9_-]; QTI identifiers must not start with a digit or "-"."""

    def __init__(self, reserved: Iterable[str] = ()):
        self.used = set(reserved)
        self.to_qti: dict[str, str] = {}
        self.renamed: dict[str, str] = {}

    def __call__(self, bank_id: str) -> str:
        if bank_id in self.to_qti:
            return self.to_qti[bank_id]
        qti_id = bank_id
        while not NCNAME.match(qti_id) or qti_id in self.used:
            qti_id = "_" + qti_id
        self.used.add(qti_id)
        self.to_qti[bank_id] = qti_id
        if qti_id != bank_id:
            self.renamed[qti_id] = bank_id
        return qti_id


def qti_identifier(identifier: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9_.-]", "_", identifier) or "item"
    return cleaned if NCNAME.match(cleaned) else "I" + cleaned


def _declaration(cardinality: str, base_type: str, correct: list[str] | None) -> ET.Element:
    decl = q(None, "qti-response-declaration", identifier="RESPONSE", cardinality=cardinality,
             base_type=base_type)
    if correct:
        box = q(decl, "qti-correct-response")
        for value in correct:
            q(box, "qti-value", xml_safe(value))
    return decl


def _mapping(decl: ET.Element, entries: list[tuple[str, float]], lower: float | None = None,
             upper: float | None = None, case_sensitive: bool | None = None) -> None:
    attrs: dict[str, str] = {"default_value": "0"}
    if lower is not None:
        attrs["lower_bound"] = number_text(lower)
    if upper is not None:
        attrs["upper_bound"] = number_text(upper)
    mapping = q(decl, "qti-mapping", **attrs)
    for key, value in entries:
        extra = {} if case_sensitive is None else {"case_sensitive": "true" if case_sensitive else "false"}
        q(mapping, "qti-map-entry", map_key=xml_safe(key), mapped_value=number_text(value), **extra)


def _choices(parent: ET.Element, name: str, entries: list[dict], ids: Callable[[str], str], **attrs: str) -> None:
    for entry in entries:
        extra = dict(attrs)
        if entry.get("fixed"):
            extra["fixed"] = "true"
        html_into(q(parent, name, identifier=ids(entry["id"]), **extra), entry["html"])


def _bool(value: Any) -> str:
    return "true" if value else "false"


class _Build:
    """The parts of one item document, filled in by the per-type functions below."""

    def __init__(self, item: Item):
        self.item = item
        self.body, self.key = item.content.body, item.content.key
        self.decl: ET.Element | None = None
        self.outcomes: list[ET.Element] = []
        self.interaction: ET.Element | None = None
        self.answer_block: ET.Element | None = None   # for inline interactions
        self.rubric: ET.Element | None = None
        self.processing: ET.Element | None = None
        self.settings: dict[str, str] = {}
        self.ids = _Ids()
        self.score_attrs: dict[str, str] = {}


def _choice_types(b: _Build, multiple: bool) -> str:
    correct = b.key["correct"] if multiple else [b.key["correct"]]
    b.decl = _declaration("multiple" if multiple else "single", "identifier", [b.ids(c) for c in correct])
    b.interaction = q(None, "qti-choice-interaction", response_identifier="RESPONSE",
                      shuffle=_bool(b.body.get("shuffle", True)), max_choices="0" if multiple else "1",
                      min_choices="0")
    _choices(b.interaction, "qti-simple-choice", b.body["options"], b.ids)
    scoring = b.key.get("scoring", "all_or_nothing") if multiple else "all_or_nothing"
    if scoring == "partial":
        share = 1 / len(correct)
        _mapping(b.decl, [(b.ids(o["id"]), share if o["id"] in correct else -share)
                          for o in b.body["options"]], lower=0, upper=1)
        b.processing = rp.template("map_response")
    else:
        b.processing = rp.template("match_correct")
    if multiple:
        b.settings["scoring"] = scoring
    return "choiceInteraction"


def _match(b: _Build, sources: list[dict], targets: list[dict], pairs: dict[str, str], shuffle: bool,
           target_id: Callable[[str], str] | None = None, css_class: str | None = None) -> None:
    target_id = target_id or b.ids
    b.decl = _declaration("multiple", "directedPair", [f"{b.ids(s)} {target_id(t)}" for s, t in pairs.items()])
    attrs = {"class": css_class} if css_class else {}
    b.interaction = q(None, "qti-match-interaction", response_identifier="RESPONSE", shuffle=_bool(shuffle),
                      max_associations=str(len(sources)), **attrs)
    # One target per source; a target may serve several sources (match-max 0 is "unlimited").
    _choices(q(b.interaction, "qti-simple-match-set"), "qti-simple-associable-choice", sources, b.ids,
             match_max="1")
    _choices(q(b.interaction, "qti-simple-match-set"), "qti-simple-associable-choice", targets, target_id,
             match_max="0")


def _single_choice(b: _Build) -> str:
    return _choice_types(b, multiple=False)


def _multiple_response(b: _Build) -> str:
    return _choice_types(b, multiple=True)


def _matching(b: _Build) -> str:
    pairs = b.key["pairs"]
    _match(b, b.body["sources"], b.body["targets"], pairs, b.body.get("shuffle", True))
    scoring = b.key.get("scoring", "partial")
    b.settings["scoring"] = scoring
    if scoring == "partial":
        share = 1 / len(pairs)
        _mapping(b.decl, [(f"{b.ids(s)} {b.ids(t)}", share) for s, t in pairs.items()], lower=0, upper=1)
        b.processing = rp.template("map_response")
    else:
        b.processing = rp.template("match_correct")
    return "matchInteraction"


def _true_false_cluster(b: _Build) -> str:
    # Statements share the interaction's identifiers with the T and F targets: keep those free.
    b.ids = _Ids(reserved={TRUE, FALSE})
    values = b.key["values"]
    vi = b.item.metadata.language == "vi"
    targets = [{"id": TRUE, "html": "Đúng" if vi else "True"}, {"id": FALSE, "html": "Sai" if vi else "False"}]
    pairs = {s["id"]: TRUE if values[s["id"]] else FALSE for s in b.body["statements"]}
    _match(b, b.body["statements"], targets, pairs, shuffle=False, target_id=lambda t: t,
           css_class="ib-true-false-cluster")
    _mapping(b.decl, [(f"{b.ids(s)} {t}", 1) for s, t in pairs.items()])
    decl, b.processing = rp.graded_count(FRACTION_BY_RIGHT)
    b.outcomes.append(decl)
    return "matchInteraction"


def _ordering(b: _Build) -> str:
    order = b.key["order"]
    b.decl = _declaration("ordered", "identifier", [b.ids(i) for i in order])
    b.interaction = q(None, "qti-order-interaction", response_identifier="RESPONSE",
                      shuffle=_bool(b.body.get("shuffle", True)))
    _choices(b.interaction, "qti-simple-choice", b.body["choices"], b.ids)
    scoring = b.key.get("scoring", "all_or_nothing")
    b.settings["scoring"] = scoring
    b.processing = (rp.positional_credit([b.ids(i) for i in order]) if scoring == "partial"
                    else rp.template("match_correct"))
    return "orderInteraction"


def _text_entry_block(b: _Build, expected_length: int | None) -> ET.Element:
    b.answer_block = q(None, "div", **{"class": "ib-answer"})
    attrs = {"expected_length": str(expected_length)} if expected_length else {}
    return q(b.answer_block, "qti-text-entry-interaction", response_identifier="RESPONSE", **attrs)


def _numeric(b: _Build) -> str:
    value = b.key["value"]
    tolerance, mode = b.key.get("tolerance", 0), b.key.get("tolerance_mode", "absolute")
    b.decl = _declaration("single", "float", [number_text(value)])
    _text_entry_block(b, b.body.get("max_chars"))
    if b.body.get("unit"):
        q(b.answer_block, "span", xml_safe(b.body["unit"]), **{"class": "ib-unit"})
    b.settings["tolerance-mode"] = mode
    b.processing = (rp.template("match_correct") if tolerance == 0 and mode == "absolute"
                    else rp.numeric_with_tolerance(tolerance, mode))
    return "textEntryInteraction"


def _text_entry(b: _Build) -> str:
    accepted, match = b.key["accepted"], b.key.get("match", "normalised")
    b.decl = _declaration("single", "string", [accepted[0]])
    # QTI can say "ignore case"; spacing and diacritics folding only our extension can.
    _mapping(b.decl, [(a, 1) for a in accepted], upper=1, case_sensitive=match == "exact")
    _text_entry_block(b, b.body.get("expected_length"))
    b.settings["text-match"] = match
    b.processing = rp.template("map_response")
    return "textEntryInteraction"


def _extended_text(b: _Build) -> str:
    b.decl = _declaration("single", "string", None)
    words = b.body.get("expected_words")
    attrs = {"expected_length": str(words * CHARS_PER_WORD)} if words else {}
    b.interaction = q(None, "qti-extended-text-interaction", response_identifier="RESPONSE",
                      format="plain", **attrs)
    if words:
        b.settings["expected-words"] = str(words)
    rubric = b.key["rubric"]
    total = sum(c["max_points"] for c in rubric)
    b.score_attrs = {"external_scored": "human", "normal_maximum": number_text(total)}
    b.rubric = q(None, "qti-rubric-block", use="scoring", view="scorer")
    table = q(q(b.rubric, "qti-content-body"), "table", **{"class": "ib-rubric"})
    head = q(q(table, "thead"), "tr")
    for label in ("Tiêu chí / Criterion", "Điểm tối đa / Max points", "Mô tả / Description"):
        q(head, "th", label)
    rows = q(table, "tbody")
    for criterion in rubric:
        row = q(rows, "tr")
        q(row, "td", xml_safe(criterion["criterion"]))
        q(row, "td", number_text(criterion["max_points"]))
        q(row, "td", xml_safe(criterion.get("description", "")))
    return "extendedTextInteraction"


WRITERS: dict[str, Callable[[_Build], str]] = {
    "single_choice": _single_choice, "multiple_response": _multiple_response,
    "true_false_cluster": _true_false_cluster, "numeric": _numeric, "text_entry": _text_entry,
    "extended_text": _extended_text, "matching": _matching, "ordering": _ordering,
}


def _rewrite_media(root: ET.Element) -> list[str]:
    names: list[str] = []
    for img in root.iter(f"{{{ns.QTI3}}}img"):
        match = MEDIA_SRC.match(img.get("src", ""))
        if match:
            img.set("src", f"{MEDIA_DIR}/{match.group(1)}")
            if match.group(1) not in names:
                names.append(match.group(1))
    return names


def _layout(root: ET.Element) -> None:
    # Indent the structure, never the mixed content of HTML: whitespace there is the author's.
    structural = [c for c in root if c.tag != f"{{{ns.QTI3}}}qti-item-body"]
    for element in structural:
        ET.indent(element, space="  ", level=1)
    for element in root:
        element.tail = "\n  "
    root.text = "\n  "
    if len(root):
        root[-1].tail = "\n"


def write_item(item: Item, identifier: str | None = None) -> WrittenItem:
    """The QTI 3.0 document of one (valid) item; QtiError for a type QTI export does not know.

    `identifier` overrides the QTI identifier (the package writer keeps them unique); by default
    it is the item's, made a valid QTI identifier if needed."""
    writer = WRITERS.get(item.content.type)
    if writer is None:
        raise QtiError(f"item type {item.content.type!r} cannot be exported to QTI")
    b = _Build(item)
    interaction_name = writer(b)
    identifier = identifier or qti_identifier(item.identifier)
    root = q(None, "qti-assessment-item", identifier=identifier, title=xml_safe(item.title or item.identifier),
             adaptive="false", time_dependent="false")
    root.set(f"{{{ns.XML}}}lang", item.metadata.language)
    root.set(f"{{{ns.XSI}}}schemaLocation", f"{ns.QTI3} {ns.QTI3_ITEM_XSD}")
    root.append(b.decl)
    score = q(root, "qti-outcome-declaration", identifier="SCORE", cardinality="single", base_type="float",
              **b.score_attrs)
    q(q(score, "qti-default-value"), "qti-value", "0")
    for outcome in b.outcomes:
        root.append(outcome)
    body = q(root, "qti-item-body")
    html_into(q(body, "div", **{"class": "ib-stem"}), item.content.stem)
    body.append(b.answer_block if b.answer_block is not None else b.interaction)
    if b.rubric is not None:
        body.append(b.rubric)
    if b.processing is not None:
        root.append(b.processing)
    media = _rewrite_media(root)
    _layout(root)
    xml = serialize(root, ns.QTI3)
    return WrittenItem(identifier=identifier, xml=xml, media=media, interaction=interaction_name,
                       settings=b.settings, id_map=b.ids.renamed)
