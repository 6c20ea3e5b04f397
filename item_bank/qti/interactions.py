"""Reading one interaction (of a normalised item tree) into our type, body and key.

Each reader gets a `Ctx` and returns (type, body, key); the item type's validation runs after,
so these only translate and refuse what has no translation (QtiError with the reason).
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from item_bank.qti import ns, rp
from item_bank.qti.htmlxml import inner_html
from item_bank.qti.meta import FoundMetadata, parse_number
from item_bank.qti.safexml import QtiError
from item_bank.qti.writer import CHARS_PER_WORD, FALSE, TRUE

Read = tuple[str, dict[str, Any], dict[str, Any]]
FEEDBACK = frozenset({"qti-feedback-inline", "qti-feedback-block", "qti-modal-feedback",
                      "qti-template-inline", "qti-template-block"})
DEFAULT_CRITERION = "Tổng thể / Overall"


@dataclass
class Ctx:
    interaction: ET.Element
    decl: ET.Element
    processing: ET.Element | None
    body: ET.Element                      # the item body (rubric blocks, unit)
    score: ET.Element | None              # SCORE's outcome declaration
    found: FoundMetadata
    exact: bool = False                   # our own export: content is not re-laid out

    def bank_id(self, qti_id: str | None) -> str:
        if not qti_id:
            raise QtiError(f"a choice of {self.interaction.tag} has no identifier")
        return self.found.id_map.get(qti_id, qti_id)

    def setting(self, name: str) -> str | None:
        return self.found.settings.get(name)


def trim_layout(text: str) -> str:
    """Drop indentation around content (it contains a newline); keep an author's own spaces."""
    lead = re.match(r"\s*", text).group()
    if "\n" in lead:
        text = text[len(lead):]
    trail = re.search(r"\s*$", text).group()
    if "\n" in trail:
        text = text[:len(text) - len(trail)]
    return text


def choice_html(ctx: Ctx, element: ET.Element) -> str:
    html = inner_html(element, skip=lambda e: e.tag in FEEDBACK)
    return html if ctx.exact else trim_layout(html)


def correct_values(decl: ET.Element) -> list[str]:
    box = ns.child(decl, "qti-correct-response")
    return [(v.text or "").strip() for v in ns.children(box, "qti-value")] if box is not None else []


def mapping(decl: ET.Element) -> list[tuple[str, float, bool]]:
    """(key, mapped value, case sensitive) of the declaration's mapping, if any."""
    box = ns.child(decl, "qti-mapping")
    if box is None:
        return []
    out = []
    for entry in ns.children(box, "qti-map-entry"):
        try:
            value = float(entry.get("mapped-value", "0"))
        except ValueError:
            raise QtiError(f"bad mapped value {entry.get('mapped-value')!r}") from None
        out.append((entry.get("map-key", ""), value, entry.get("case-sensitive", "true") != "false"))
    return out


def _shuffle(ctx: Ctx) -> bool:
    return ctx.interaction.get("shuffle", "false") == "true"


def _scoring(ctx: Ctx, partial_when: Callable[[str | None], bool]) -> str:
    explicit = ctx.setting("scoring")
    if explicit:
        return explicit
    return "partial" if partial_when(rp.analyse(ctx.processing).template) else "all_or_nothing"


def _choices(ctx: Ctx, elements: list[ET.Element], with_fixed: bool) -> list[dict[str, Any]]:
    out = []
    for element in elements:
        entry: dict[str, Any] = {"id": ctx.bank_id(element.get("identifier")), "html": choice_html(ctx, element)}
        if with_fixed:
            entry["fixed"] = element.get("fixed", "false") == "true"
        out.append(entry)
    return out


def _keys_or_best(ctx: Ctx) -> list[str]:
    values = correct_values(ctx.decl)
    if values:
        return values
    # Some tools only give a mapping; its positively mapped keys are the right answers.
    return [key for key, value, _ in mapping(ctx.decl) if value > 0]


def read_choice(ctx: Ctx) -> Read:
    options = _choices(ctx, ns.children(ctx.interaction, "qti-simple-choice"), with_fixed=True)
    correct = [ctx.bank_id(v) for v in _keys_or_best(ctx)]
    body = {"options": options, "shuffle": _shuffle(ctx)}
    if ctx.interaction.get("max-choices", "1").strip() == "1":
        if len(correct) != 1:
            raise QtiError(f"a single-choice interaction needs exactly one correct option, found {len(correct)}")
        return "single_choice", body, {"correct": correct[0]}
    scoring = _scoring(ctx, lambda t: t == "map_response")
    return "multiple_response", body, {"correct": correct, "scoring": scoring}


def _pairs(ctx: Ctx) -> list[tuple[str, str]]:
    pairs = []
    for value in _keys_or_best(ctx):
        parts = value.split()
        if len(parts) != 2:
            raise QtiError(f"bad pair {value!r} in the correct response")
        pairs.append((parts[0], parts[1]))
    return pairs


def _matching(ctx: Ctx, sources: list[dict], targets: list[dict], pairs: list[tuple[str, str]]) -> Read:
    key: dict[str, str] = {}
    for source, target in pairs:
        source, target = ctx.bank_id(source), ctx.bank_id(target)
        if source in key and key[source] != target:
            raise QtiError(f"source {source!r} has several correct targets; one is supported")
        key[source] = target
    scoring = _scoring(ctx, lambda t: t != "match_correct")
    return ("matching", {"sources": sources, "targets": targets, "shuffle": _shuffle(ctx)},
            {"pairs": key, "scoring": scoring})


def read_match(ctx: Ctx) -> Read:
    sets = ns.children(ctx.interaction, "qti-simple-match-set")
    if len(sets) != 2:
        raise QtiError(f"a match interaction needs two match sets, found {len(sets)}")
    source_elements, target_elements = (ns.children(s, "qti-simple-associable-choice") for s in sets)
    target_ids = [t.get("identifier") for t in target_elements]
    is_tf = sorted(target_ids) == [FALSE, TRUE] and len(source_elements) == 4
    declared = ctx.found.item_type
    if declared == "true_false_cluster" and sorted(target_ids) != [FALSE, TRUE]:
        raise QtiError("marked as a true/false cluster but the targets are not T and F")
    pairs = _pairs(ctx)
    if declared == "true_false_cluster" or (declared is None and is_tf):
        statements = _choices(ctx, source_elements, with_fixed=False)
        values: dict[str, bool] = {}
        for source, target in pairs:
            source = ctx.bank_id(source)
            if source in values and values[source] != (target == TRUE):
                raise QtiError(f"statement {source!r} is marked both true and false")
            values[source] = target == TRUE
        missing = [s["id"] for s in statements if s["id"] not in values]
        if missing:
            raise QtiError(f"statement {missing[0]!r} has no true/false answer")
        return "true_false_cluster", {"statements": statements}, {"values": values}
    return _matching(ctx, _choices(ctx, source_elements, False), _choices(ctx, target_elements, False), pairs)


def read_associate(ctx: Ctx) -> Read:
    elements = ns.children(ctx.interaction, "qti-simple-associable-choice")
    pairs = _pairs(ctx)
    firsts, seconds = {s for s, _ in pairs}, {t for _, t in pairs}
    if firsts & seconds:
        raise QtiError("associate interaction: a choice is both a source and a target; "
                       "cannot be read as matching")
    sources = [e for e in elements if e.get("identifier") in firsts]
    targets = [e for e in elements if e.get("identifier") not in firsts]
    return _matching(ctx, _choices(ctx, sources, False), _choices(ctx, targets, False), pairs)


def read_order(ctx: Ctx) -> Read:
    choices = _choices(ctx, ns.children(ctx.interaction, "qti-simple-choice"), with_fixed=False)
    order = [ctx.bank_id(v) for v in correct_values(ctx.decl)]
    if not order:
        raise QtiError("order interaction without a correct order")
    scoring = _scoring(ctx, lambda t: t not in (None, "match_correct"))
    return "ordering", {"choices": choices, "shuffle": _shuffle(ctx)}, {"order": order, "scoring": scoring}


def _hint(ctx: Ctx, low: int, high: int) -> int | None:
    """expected-length is a display hint in QTI; out of our range it is dropped, not an error."""
    text = ctx.interaction.get("expected-length", "").strip()
    return int(text) if re.fullmatch(r"[0-9]{1,9}", text) and low <= int(text) <= high else None


def _unit(ctx: Ctx) -> str:
    for span in ctx.body.iter("span"):
        if "ib-unit" in span.get("class", "").split():
            return "".join(span.itertext()).strip()
    return ""


def read_text_entry(ctx: Ctx) -> Read:
    base_type = ctx.decl.get("base-type", "")
    if base_type in ("float", "integer"):
        return _read_numeric(ctx)
    if base_type != "string":
        raise QtiError(f"text entry with base type {base_type!r} is not supported")
    accepted: list[str] = []
    for value in correct_values(ctx.decl) + [k for k, v, _ in mapping(ctx.decl) if v > 0]:
        if value and value not in accepted:
            accepted.append(value)
    if not accepted:
        raise QtiError("text entry without a correct response or mapping")
    match = ctx.setting("text-match")
    if match is None:
        insensitive = any(not sensitive for _, _, sensitive in mapping(ctx.decl))
        match = "normalised" if insensitive else "exact"
    body = {}
    if (length := _hint(ctx, 1, 1000)) is not None:
        body["expected_length"] = length
    return "text_entry", body, {"accepted": accepted, "match": match}


def _read_numeric(ctx: Ctx) -> Read:
    values = correct_values(ctx.decl)
    if not values:
        mapped = sorted(mapping(ctx.decl), key=lambda e: -e[1])
        values = [mapped[0][0]] if mapped and mapped[0][1] > 0 else []
    if not values:
        raise QtiError("numeric entry without a correct response")
    value = parse_number(values[0])
    info = rp.analyse(ctx.processing, float(value))
    mode = info.tolerance_mode if info.has_tolerance else (ctx.setting("tolerance-mode") or "absolute")
    body: dict[str, Any] = {}
    unit = _unit(ctx)
    if unit:
        body["unit"] = unit
    if (max_chars := _hint(ctx, 1, 32)) is not None:
        body["max_chars"] = max_chars
    return "numeric", body, {"value": value, "tolerance": info.tolerance, "tolerance_mode": mode}


def _max_points(ctx: Ctx) -> int | float:
    text = ctx.score.get("normal-maximum") if ctx.score is not None else None
    try:
        value = parse_number(text) if text else 1
    except QtiError:
        value = 1
    return value if value > 0 else 1


def _rubric(ctx: Ctx) -> list[dict[str, Any]]:
    blocks = [b for b in ctx.body.iter("qti-rubric-block") if "scorer" in b.get("view", "").split()]
    for block in blocks:
        for table in block.iter("table"):
            if "ib-rubric" not in table.get("class", "").split():
                continue
            rows = [r for r in table.iter("tr") if ns.children(r, "td")]
            criteria = []
            for row in rows:
                cells = ns.children(row, "td")
                if len(cells) < 2:
                    raise QtiError("rubric row without criterion and points")
                criteria.append({"criterion": ns.text_of(cells[0]), "max_points": parse_number(ns.text_of(cells[1])),
                                 "description": ns.text_of(cells[2]) if len(cells) > 2 else ""})
            return criteria
    description = "\n\n".join(ns.text_of(b) for b in blocks).strip()
    return [{"criterion": DEFAULT_CRITERION, "max_points": _max_points(ctx), "description": description}]


def read_extended_text(ctx: Ctx) -> Read:
    body: dict[str, Any] = {}
    words = ctx.setting("expected-words")
    if words and re.fullmatch(r"[0-9]{1,9}", words):
        body["expected_words"] = int(words)
    elif (length := _hint(ctx, 1, 100_000 * CHARS_PER_WORD)) is not None:
        body["expected_words"] = max(1, round(length / CHARS_PER_WORD))
    return "extended_text", body, {"rubric": _rubric(ctx)}


READERS: dict[str, Callable[[Ctx], Read]] = {
    "qti-choice-interaction": read_choice,
    "qti-match-interaction": read_match,
    "qti-associate-interaction": read_associate,
    "qti-order-interaction": read_order,
    "qti-text-entry-interaction": read_text_entry,
    "qti-extended-text-interaction": read_extended_text,
}
INLINE = frozenset({"qti-text-entry-interaction", "qti-inline-choice-interaction", "qti-end-attempt-interaction"})
