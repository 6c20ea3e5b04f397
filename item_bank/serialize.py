"""Items as JSON-ready dicts: the shape of the API, the demo data and the spreadsheet's output.

{"identifier", "title", "metadata": {...ItemMetadata fields}, "content": {"type","stem","body","key"}}
Shape errors raise ItemValidationError naming the field; meaning is checked by item types.
"""
from __future__ import annotations

import re
import uuid
from dataclasses import asdict, fields
from typing import Any

from item_bank.model import CognitiveLevel, Item, ItemContent, ItemMetadata, ItemValidationError

IDENTIFIER_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,127}$")
_META_FIELDS = {f.name for f in fields(ItemMetadata)}


def _expect(value: Any, kind: type | tuple[type, ...], field: str) -> Any:
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise ItemValidationError(f"{field} must be {names}", field=field, code="wrong_type")
    return value


def new_identifier() -> str:
    return f"item-{uuid.uuid4().hex[:16]}"


def item_from_dict(data: Any, *, identifier: str | None = None) -> Item:
    _expect(data, dict, "item")
    ident = identifier or data.get("identifier") or new_identifier()
    if not isinstance(ident, str) or not IDENTIFIER_RE.match(ident):
        raise ItemValidationError("identifier is 1-128 letters, digits, _ . - and starts with a letter or _",
                                  field="identifier", code="bad_identifier")
    title = _expect(data.get("title", ""), str, "title")
    meta = _expect(data.get("metadata"), dict, "metadata")
    unknown = set(meta) - _META_FIELDS
    if unknown:
        raise ItemValidationError(f"unknown metadata field {sorted(unknown)[0]!r}",
                                  field=f"metadata.{sorted(unknown)[0]}", code="unknown_field")
    for required in ("subject", "grade"):
        if required not in meta:
            raise ItemValidationError(f"metadata.{required} is required", field=f"metadata.{required}",
                                      code="missing_field")
    level = meta.get("cognitive_level", CognitiveLevel.BIET.value)
    try:
        level = CognitiveLevel(level)
    except ValueError:
        raise ItemValidationError(
            f"cognitive_level is one of {', '.join(c.value for c in CognitiveLevel)}",
            field="metadata.cognitive_level", code="bad_level") from None
    grade = meta["grade"]
    if isinstance(grade, str) and grade.strip().isdigit():
        grade = int(grade)
    difficulty = meta.get("difficulty")
    if difficulty is not None and not isinstance(difficulty, bool) and isinstance(difficulty, (int, float)):
        difficulty = float(difficulty)
    metadata = ItemMetadata(**{**meta, "cognitive_level": level, "grade": grade, "difficulty": difficulty,
                               "tags": list(meta.get("tags") or [])})
    content = _expect(data.get("content"), dict, "content")
    unknown = set(content) - {"type", "stem", "body", "key"}
    if unknown:
        raise ItemValidationError(f"unknown content field {sorted(unknown)[0]!r}",
                                  field=f"content.{sorted(unknown)[0]}", code="unknown_field")
    item_content = ItemContent(
        type=_expect(content.get("type"), str, "content.type"),
        stem=_expect(content.get("stem", ""), str, "content.stem"),
        body=_expect(content.get("body", {}), dict, "content.body"),
        key=_expect(content.get("key", {}), dict, "content.key"),
    )
    return Item(identifier=ident, title=title, metadata=metadata, content=item_content)


def item_to_dict(item: Item) -> dict[str, Any]:
    meta = asdict(item.metadata)
    meta["cognitive_level"] = item.metadata.cognitive_level.value
    return {"identifier": item.identifier, "title": item.title, "metadata": meta,
            "content": asdict(item.content)}
