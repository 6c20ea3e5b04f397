"""Item metadata in a package's manifest: our extension element and IEEE LOM.

Each item resource of the manifest carries, in its <metadata>:
- <lom:lom> (IEEE LOM, as QTI 3.0 packages use it) so that other tools see title, language,
  keywords, author, difficulty, subject and grade;
- <ib:item-bank> in our own namespace (ns.EXT): the exact values, and what standard QTI cannot
  say about our item types. On import it wins over LOM; LOM is the fallback for packages made
  elsewhere, then the caller's defaults (e.g. subject and grade given on the command line).
"""
from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from item_bank.model import LANGUAGES, SUBJECTS, CognitiveLevel, Item, ItemMetadata
from item_bank.qti import ns
from item_bank.qti.htmlxml import xml_safe
from item_bank.qti.safexml import QtiError
from item_bank.text import fold

# Our extension's metadata children, in writing order; values are text.
EXT_FIELDS = ("subject", "grade", "topic", "learning-outcome", "cognitive-level", "difficulty",
              "author", "source", "language")
# Settings of item types that standard QTI cannot express exactly (see the package docstring).
EXT_SETTINGS = ("scoring", "text-match", "tolerance-mode", "expected-words")

_SUBJECT_ALIASES = {
    "toan": "math", "toan hoc": "math", "mathematics": "math", "maths": "math",
    "vat li": "physics", "vat ly": "physics", "hoa hoc": "chemistry", "hoa": "chemistry",
    "sinh hoc": "biology", "sinh": "biology", "ngu van": "literature", "van": "literature",
    "tieng anh": "english", "lich su": "history", "dia li": "geography", "dia ly": "geography",
    "tin hoc": "informatics", "computer science": "informatics", "gdcd": "civics",
    "giao duc cong dan": "civics", "giao duc kinh te va phap luat": "civics", "cong nghe": "technology",
}
_LOM_DIFFICULTY = {"very easy": 0.1, "easy": 0.3, "medium": 0.5, "difficult": 0.7, "very difficult": 0.9}
_GRADE = re.compile(r"(?<!\d)(1[0-2]|[1-9])(?!\d)")


@dataclass
class FoundMetadata:
    """What a manifest says about one item resource."""

    fields: dict[str, Any] = field(default_factory=dict)   # ItemMetadata field -> raw value
    item_type: str | None = None                           # from our extension only
    identifier: str | None = None                          # the bank's identifier, if renamed
    settings: dict[str, str] = field(default_factory=dict)
    id_map: dict[str, str] = field(default_factory=dict)   # QTI choice id -> bank choice id
    has_extension: bool = False


# --- writing --------------------------------------------------------------------------------------

def _sub(parent: ET.Element, namespace: str, name: str, text: str | None = None, **attrib: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{namespace}}}{name}", {k: xml_safe(v) for k, v in attrib.items()})
    if text is not None:
        element.text = xml_safe(text)
    return element


def number_text(value: float) -> str:
    """repr keeps int/float apart ("3" vs "3.0") so a round trip gives back the same type."""
    return repr(value) if isinstance(value, float) else str(int(value))


def parse_number(text: str) -> int | float:
    text = text.strip()
    try:
        if re.fullmatch(r"[+-]?\d+", text):
            return int(text)
        value = float(text)
    except ValueError:
        raise QtiError(f"not a number: {text!r}") from None
    if not math.isfinite(value):
        raise QtiError(f"not a finite number: {text!r}")
    return value


def extension_element(item: Item, settings: Mapping[str, str], id_map: Mapping[str, str],
                      qti_identifier: str) -> ET.Element:
    root = ET.Element(f"{{{ns.EXT}}}item-bank", {"version": "1"})
    _sub(root, ns.EXT, "item-type", item.content.type)
    if qti_identifier != item.identifier:
        _sub(root, ns.EXT, "identifier", item.identifier)
    meta = item.metadata
    values = {"subject": meta.subject, "grade": str(meta.grade), "topic": meta.topic,
              "learning-outcome": meta.learning_outcome,
              "cognitive-level": CognitiveLevel(meta.cognitive_level).value,
              "difficulty": None if meta.difficulty is None else number_text(meta.difficulty),
              "author": meta.author, "source": meta.source, "language": meta.language}
    for name in EXT_FIELDS:
        if values[name] is not None:
            _sub(root, ns.EXT, name, values[name])
    for tag in meta.tags:
        _sub(root, ns.EXT, "tag", tag)
    for name in EXT_SETTINGS:
        if name in settings:
            _sub(root, ns.EXT, name, settings[name])
    for qti_id, bank_id in id_map.items():
        _sub(root, ns.EXT, "choice-id", qti=qti_id, bank=bank_id)
    return root


def _vocab(parent: ET.Element, name: str, value: str) -> None:
    element = _sub(parent, ns.LOM, name)
    _sub(element, ns.LOM, "source", "LOMv1.0")
    _sub(element, ns.LOM, "value", value)


def _lang_string(parent: ET.Element, name: str, text: str, language: str) -> None:
    _sub(_sub(parent, ns.LOM, name), ns.LOM, "string", text, language=language)


def _classification(lom: ET.Element, purpose: str, taxon_id: str, entry: str, language: str) -> None:
    classification = _sub(lom, ns.LOM, "classification")
    _vocab(classification, "purpose", purpose)
    path = _sub(classification, ns.LOM, "taxonPath")
    _lang_string(path, "source", "exam-platform", "en")
    taxon = _sub(path, ns.LOM, "taxon")
    _sub(taxon, ns.LOM, "id", taxon_id)
    _lang_string(taxon, "entry", entry, language)


def lom_element(item: Item) -> ET.Element:
    meta = item.metadata
    lang = meta.language
    lom = ET.Element(f"{{{ns.LOM}}}lom")
    general = _sub(lom, ns.LOM, "general")
    identifier = _sub(general, ns.LOM, "identifier")
    _sub(identifier, ns.LOM, "catalog", "exam-platform")
    _sub(identifier, ns.LOM, "entry", item.identifier)
    _lang_string(general, "title", item.title or item.identifier, lang)
    _sub(general, ns.LOM, "language", lang)
    for tag in meta.tags:
        _lang_string(general, "keyword", tag, lang)
    if meta.author:
        life = _sub(lom, ns.LOM, "lifeCycle")
        contribute = _sub(life, ns.LOM, "contribute")
        _vocab(contribute, "role", "author")
        name = meta.author.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;").replace("\n", " ")
        _sub(contribute, ns.LOM, "entity", f"BEGIN:VCARD\nVERSION:3.0\nFN:{name}\nEND:VCARD")
    if meta.difficulty is not None:
        educational = _sub(lom, ns.LOM, "educational")
        nearest = min(_LOM_DIFFICULTY, key=lambda k: abs(_LOM_DIFFICULTY[k] - meta.difficulty))
        _vocab(educational, "difficulty", nearest)
    _classification(lom, "discipline", meta.subject, meta.subject, "en")
    _classification(lom, "educational level", f"grade-{meta.grade}", f"Lớp {meta.grade}", "vi")
    return lom


# --- reading --------------------------------------------------------------------------------------

def _kids(element: ET.Element, name: str) -> list[ET.Element]:
    # LOM comes in several namespaces and spellings (LOM 1.3 "lifeCycle", IMS MD 1.2 "lifecycle").
    return [c for c in element if isinstance(c.tag, str) and ns.local(c.tag).lower() == name]


def _kid(element: ET.Element | None, *path: str) -> ET.Element | None:
    for name in path:
        if element is None:
            return None
        found = _kids(element, name)
        element = found[0] if found else None
    return element


def subject_code(text: str) -> str | None:
    key = fold(text)
    if key in SUBJECTS:
        return key
    return _SUBJECT_ALIASES.get(key)


def _read_lom(lom: ET.Element, out: dict[str, Any]) -> None:
    general = _kid(lom, "general")
    if general is not None:
        language = ns.text_of(_kid(general, "language"))
        if language:
            out.setdefault("language", language)
        tags = [ns.text_of(k) for k in _kids(general, "keyword") if ns.text_of(k)]
        if tags:
            out.setdefault("tags", tags)
        title = ns.text_of(_kid(general, "title"))
        if title:
            out.setdefault("_title", title)
    for life in _kids(lom, "lifecycle"):
        for contribute in _kids(life, "contribute"):
            if ns.text_of(_kid(contribute, "role", "value")).lower() != "author":
                continue
            entity = ns.text_of(_kid(contribute, "entity")) or ns.text_of(_kid(contribute, "centity"))
            match = re.search(r"^FN:(.*)$", entity, re.MULTILINE)
            if match:
                name = re.sub(r"\\(.)", r"\1", match.group(1).strip())
                out.setdefault("author", name)
    difficulty = ns.text_of(_kid(lom, "educational", "difficulty", "value")).lower()
    if difficulty in _LOM_DIFFICULTY:
        out.setdefault("difficulty", _LOM_DIFFICULTY[difficulty])
    for classification in _kids(lom, "classification"):
        purpose = ns.text_of(_kid(classification, "purpose", "value")).lower()
        for taxon in (t for path in _kids(classification, "taxonpath") for t in _kids(path, "taxon")):
            texts = [ns.text_of(_kid(taxon, "id")), ns.text_of(_kid(taxon, "entry"))]
            if purpose == "discipline":
                code = next((c for c in map(subject_code, filter(None, texts)) if c), None)
                if code:
                    out.setdefault("subject", code)
            elif purpose in ("educational level", "educationallevel"):
                grades = [m.group(1) for t in texts if (m := _GRADE.search(t))]
                if grades:
                    out.setdefault("grade", int(grades[0]))


def _read_extension(ext: ET.Element, found: FoundMetadata) -> None:
    found.has_extension = True
    for element in ext:
        if not isinstance(element.tag, str) or ns.split(element.tag)[0] != ns.EXT:
            continue
        name, text = ns.local(element.tag), element.text or ""
        if name == "item-type":
            found.item_type = text.strip()
        elif name == "identifier":
            found.identifier = text.strip()
        elif name == "tag":
            found.fields.setdefault("tags", []).append(text)
        elif name == "choice-id":
            found.id_map[element.get("qti", "")] = element.get("bank", "")
        elif name in EXT_SETTINGS:
            found.settings[name] = text.strip()
        elif name in EXT_FIELDS:
            found.fields[name.replace("-", "_")] = text
    found.fields.setdefault("tags", [])


def read_resource_metadata(metadata: ET.Element | None) -> FoundMetadata:
    """Read our extension and LOM from a manifest resource's <metadata> (any CP namespace)."""
    found = FoundMetadata()
    if metadata is None:
        return found
    for element in metadata.iter():
        if isinstance(element.tag, str) and element.tag == f"{{{ns.EXT}}}item-bank":
            _read_extension(element, found)
            break
    lom: dict[str, Any] = {}
    for element in metadata:
        if isinstance(element.tag, str) and ns.local(element.tag).lower() == "lom":
            _read_lom(element, lom)
    for name, value in lom.items():
        found.fields.setdefault(name, value)
    return found


def _grade(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    match = _GRADE.search(str(value))
    return int(match.group(1)) if match else None


def build_metadata(found: Mapping[str, Any], defaults: Mapping[str, Any] | None,
                   language_hint: str | None = None) -> ItemMetadata:
    """Our extension/LOM values, then the caller's defaults; subject and grade are required."""
    values: dict[str, Any] = dict(defaults or {})
    values.update({k: v for k, v in found.items() if not k.startswith("_") and v not in (None, "")})
    if "language" not in found and language_hint:
        values["language"] = language_hint
    subject = values.get("subject")
    if subject is None:
        raise QtiError("no subject in the item's metadata and no default subject given")
    code = subject_code(str(subject))
    if code is None:
        raise QtiError(f"unknown subject {subject!r} (known: {', '.join(SUBJECTS)})")
    if values.get("grade") is None:
        raise QtiError("no grade in the item's metadata and no default grade given")
    grade = _grade(values["grade"])
    if grade is None:
        raise QtiError(f"grade {values['grade']!r} is not a school grade 1-12")
    try:
        level = CognitiveLevel(str(values.get("cognitive_level", CognitiveLevel.BIET.value)).strip())
    except ValueError:
        raise QtiError(f"unknown cognitive level {values.get('cognitive_level')!r}") from None
    difficulty = values.get("difficulty")
    if difficulty is not None:
        difficulty = float(parse_number(str(difficulty)))
        if not 0 <= difficulty <= 1:
            raise QtiError(f"difficulty {difficulty} is outside 0..1")
    language = str(values.get("language", "vi")).strip().lower().split("-")[0]
    if language not in LANGUAGES:
        language = str((defaults or {}).get("language", "vi"))
    return ItemMetadata(
        subject=code, grade=grade, topic=str(values.get("topic", "")),
        learning_outcome=str(values.get("learning_outcome", "")), cognitive_level=level,
        difficulty=difficulty, tags=[str(t) for t in values.get("tags", [])],
        author=str(values.get("author", "")), source=str(values.get("source", "")), language=language)
