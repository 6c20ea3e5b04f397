"""The interface every item type implements, and the registry that holds them.

Adding an item type: write a module in this package with a subclass of `ItemType`, decorate it
with `@register`, import the module in `item_bank/types/__init__.py`. Nothing else in the code
base lists item types: the server, the editor and QTI look them up here.
"""
from __future__ import annotations

from typing import Any, ClassVar

from item_bank.model import ItemContent, ScoreResult

REGISTRY: dict[str, type[ItemType]] = {}


def register(cls: type[ItemType]) -> type[ItemType]:
    if cls.name in REGISTRY:
        raise RuntimeError(f"item type {cls.name!r} registered twice")
    REGISTRY[cls.name] = cls
    return cls


def get_type(name: str) -> type[ItemType]:
    from item_bank.model import ItemValidationError

    try:
        return REGISTRY[name]
    except KeyError:
        raise ItemValidationError(f"Unknown item type {name!r}", field="type", code="unknown_type") from None


class ItemType:
    name: ClassVar[str]          # stable code stored in the database and in QTI metadata
    label_vi: ClassVar[str]
    label_en: ClassVar[str]

    @classmethod
    def validate(cls, content: ItemContent) -> ItemContent:
        """Check and normalise content (sanitise HTML, check LaTeX, check key against body).

        Returns the normalised content; raises ItemValidationError with `field` set."""
        raise NotImplementedError

    @classmethod
    def student_view(cls, content: ItemContent) -> dict[str, Any]:
        """What a student's browser receives: type, stem and body. Never the key."""
        raise NotImplementedError

    @classmethod
    def check_response(cls, content: ItemContent, response: Any) -> Any:
        """Normalise a response's shape or raise ResponseError (not about right or wrong)."""
        raise NotImplementedError

    @classmethod
    def score(cls, content: ItemContent, response: Any) -> ScoreResult:
        """Score a response. A missing response (None) scores 0."""
        raise NotImplementedError
