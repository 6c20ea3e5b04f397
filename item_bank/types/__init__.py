"""Item types of the bank, and the conveniences the rest of the code base calls.

Importing this package fills `REGISTRY` with every type (one module each, documenting its body,
key and response shapes): single_choice, multiple_response, true_false_cluster, numeric,
text_entry, extended_text, matching, ordering.
"""
from __future__ import annotations

import dataclasses
import math
from typing import Any

from item_bank.model import (
    LANGUAGES,
    SUBJECTS,
    CognitiveLevel,
    Item,
    ItemContent,
    ItemMetadata,
    ItemValidationError,
    ScoreResult,
)
from item_bank.types import (  # noqa: F401  (imported to register the types)
    extended_text,
    matching,
    multiple_response,
    numeric,
    ordering,
    single_choice,
    text_entry,
    true_false_cluster,
)
from item_bank.types.base import REGISTRY, ItemType, get_type, register

__all__ = [
    "REGISTRY",
    "ItemType",
    "get_type",
    "register",
    "score",
    "student_view",
    "validate_content",
    "validate_item",
]

MAX_TITLE_CHARS = 300
MAX_IDENTIFIER_CHARS = 255
MAX_TAGS, MAX_TAG_CHARS = 30, 50
# Free-text metadata and its longest accepted length.
TEXT_FIELDS = {"topic": 300, "learning_outcome": 1000, "author": 200, "source": 500}


def _fail(message: str, field: str, code: str = "bad_value") -> ItemValidationError:
    return ItemValidationError(message, field=field, code=code)


def _text(value: Any, field: str, limit: int) -> str:
    if not isinstance(value, str):
        raise _fail(f"Expected text, got {type(value).__name__}", field, "wrong_type")
    value = value.strip()
    if len(value) > limit:
        raise _fail(f"Longer than {limit} characters", field, "too_long")
    return value


def validate_metadata(meta: ItemMetadata) -> ItemMetadata:
    """Check the metadata; return a normalised copy (texts trimmed, tags deduplicated)."""
    if not isinstance(meta, ItemMetadata):
        raise _fail(f"Expected ItemMetadata, got {type(meta).__name__}", "metadata", "wrong_type")
    if meta.subject not in SUBJECTS:
        raise _fail(f"Unknown subject {meta.subject!r}; one of {', '.join(SUBJECTS)}",
                    "metadata.subject")
    if isinstance(meta.grade, bool) or not isinstance(meta.grade, int) or not 1 <= meta.grade <= 12:
        raise _fail(f"Grade must be a whole number 1..12, got {meta.grade!r}", "metadata.grade")
    try:
        level = CognitiveLevel(meta.cognitive_level)
    except ValueError:
        levels = ", ".join(v.value for v in CognitiveLevel)
        raise _fail(f"Unknown cognitive level {meta.cognitive_level!r}; one of {levels}",
                    "metadata.cognitive_level") from None
    difficulty = meta.difficulty
    if difficulty is not None:
        if (isinstance(difficulty, bool) or not isinstance(difficulty, int | float)
                or not math.isfinite(difficulty) or not 0 <= difficulty <= 1):
            raise _fail(f"Difficulty must be empty or 0..1, got {difficulty!r}", "metadata.difficulty")
        difficulty = float(difficulty)
    if meta.language not in LANGUAGES:
        raise _fail(f"Unknown language {meta.language!r}; one of {', '.join(LANGUAGES)}",
                    "metadata.language")
    if not isinstance(meta.tags, list | tuple):
        raise _fail("Tags must be a list of texts", "metadata.tags", "wrong_type")
    tags: list[str] = []
    for i, tag in enumerate(meta.tags):
        tag = _text(tag, f"metadata.tags.{i}", MAX_TAG_CHARS)
        if not tag:
            raise _fail("A tag is empty", f"metadata.tags.{i}")
        if tag not in tags:
            tags.append(tag)
    if len(tags) > MAX_TAGS:
        raise _fail(f"At most {MAX_TAGS} tags", "metadata.tags", "too_long")
    texts = {name: _text(getattr(meta, name), f"metadata.{name}", limit)
             for name, limit in TEXT_FIELDS.items()}
    return dataclasses.replace(meta, cognitive_level=level, difficulty=difficulty, tags=tags, **texts)


def validate_content(content: ItemContent) -> ItemContent:
    """Validate content with its own type; return the normalised copy."""
    if not isinstance(content, ItemContent):
        raise _fail(f"Expected ItemContent, got {type(content).__name__}", "content", "wrong_type")
    return get_type(content.type).validate(content)


def validate_item(item: Item) -> Item:
    """Validate a whole item (identifier, title, metadata, content); return a normalised copy.

    Raises ItemValidationError with a dotted `field` ("title", "metadata.grade", "body.options.1.html")."""
    if not isinstance(item, Item):
        raise _fail(f"Expected Item, got {type(item).__name__}", "item", "wrong_type")
    identifier = _text(item.identifier, "identifier", MAX_IDENTIFIER_CHARS)
    if not identifier:
        raise _fail("The identifier is empty", "identifier")
    title = _text(item.title, "title", MAX_TITLE_CHARS)
    if not title:
        raise _fail("The title is empty", "title")
    return Item(identifier=identifier, title=title, metadata=validate_metadata(item.metadata),
                content=validate_content(item.content))


def _content(item: Item | ItemContent) -> ItemContent:
    return item.content if isinstance(item, Item) else item


def student_view(item: Item | ItemContent) -> dict[str, Any]:
    """What a student's browser receives for this (validated) item: type, stem, body; no key."""
    content = _content(item)
    return get_type(content.type).student_view(content)


def score(item: Item | ItemContent, response: Any) -> ScoreResult:
    """Score a response to a (validated) item; None means unanswered and scores 0."""
    content = _content(item)
    return get_type(content.type).score(content, response)
