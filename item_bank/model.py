"""The item as the bank's library sees it: plain data, no database, no Flask.

An item is metadata (what it is about) plus content (what the student sees, and the key).
`content.body` is what a student may see; `content.key` is the answer key and scoring data and
never leaves the server towards a student. The shape of `body`, `key` and of a response is owned
by the item type (see `item_bank.types`), documented in each type's module.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class CognitiveLevel(str, enum.Enum):
    """The four levels of the Vietnamese exam matrix ("ma trận đề"). Values are stable codes."""

    BIET = "biet"                  # recognition
    HIEU = "hieu"                  # understanding
    VAN_DUNG = "van_dung"          # application
    VAN_DUNG_CAO = "van_dung_cao"  # high application


SUBJECTS = ("math", "physics", "chemistry", "biology", "literature", "english", "history",
            "geography", "informatics", "civics", "technology", "other")
LANGUAGES = ("vi", "en")


@dataclass
class ItemMetadata:
    subject: str
    grade: int
    topic: str = ""
    learning_outcome: str = ""
    cognitive_level: CognitiveLevel = CognitiveLevel.BIET
    difficulty: float | None = None     # estimated, 0 (easy) .. 1 (hard); IRT comes later
    tags: list[str] = field(default_factory=list)
    author: str = ""
    source: str = ""
    language: str = "vi"


@dataclass
class ItemContent:
    type: str                          # a key of item_bank.types.REGISTRY
    stem: str                          # sanitised HTML; LaTeX between \( \) or \[ \]
    body: dict[str, Any] = field(default_factory=dict)   # shown to students (options, statements...)
    key: dict[str, Any] = field(default_factory=dict)    # never shown to students


@dataclass
class Item:
    """One version of an item as data. `identifier` is stable across versions (QTI identifier)."""

    identifier: str
    title: str
    metadata: ItemMetadata
    content: ItemContent


@dataclass(frozen=True)
class ScoreResult:
    """`fraction` of the item's points, 0..1. `needs_manual` means a teacher scores it (essay)."""

    fraction: float
    needs_manual: bool = False


class ItemValidationError(ValueError):
    """Raised for an item that cannot be accepted. `field` names the offending part, dotted."""

    def __init__(self, message: str, field: str | None = None, code: str = "invalid_item"):
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code


class ResponseError(ValueError):
    """A response of the wrong shape for its item (not a wrong answer: a malformed one)."""

    def __init__(self, message: str, code: str = "invalid_response"):
        super().__init__(message)
        self.message = message
        self.code = code
