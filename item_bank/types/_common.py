"""Checks shared by the item types.

Error codes used by every type (ItemValidationError.code; `field` is dotted, e.g.
"body.options.2.html", "key.correct"):

- wrong_type: a value of the wrong JSON type (body not an object, html not a string...)
- missing_key: a required member is absent (in body or key)
- unknown_field: a member the type does not know (typos must not pass silently)
- bad_id: a choice id not matching [A-Za-z0-9_-]{1,32}
- duplicate_id: two choices (or a repeated id in a key list) with the same id
- unknown_option: the key names a choice that is not in the body
- empty_html: a stem or choice that shows nothing once sanitised
- bad_value: a value out of its range (negative tolerance, unknown scoring mode...)
- plus the codes of item_bank.richtext (unsafe_html, bad_image_src, bad_latex, too_long)
  and type-specific ones documented in each module.
"""
from __future__ import annotations

import math
import re
from typing import Any

from item_bank.model import ItemContent, ItemValidationError, ResponseError
from item_bank.richtext import clean_rich_text, has_content

ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,32}")
SCORING_MODES = ("all_or_nothing", "partial")


def fail(message: str, field: str, code: str) -> ItemValidationError:
    return ItemValidationError(message, field=field, code=code)


def start(cls: Any, content: ItemContent) -> tuple[str, dict, dict]:
    """Check the envelope of `content` and return (clean stem, body, key) to validate further."""
    if not isinstance(content, ItemContent):
        raise fail(f"Expected ItemContent, got {type(content).__name__}", "content", "wrong_type")
    if content.type != cls.name:
        raise fail(f"Content of type {content.type!r} given to {cls.name!r}", "type", "wrong_type")
    body = as_dict(content.body, "body")
    key = as_dict(content.key, "key")
    return rich(content.stem, "stem"), body, key


def as_dict(value: Any, field: str) -> dict:
    if not isinstance(value, dict):
        raise fail(f"Expected an object, got {type(value).__name__}", field, "wrong_type")
    return value


def as_list(value: Any, field: str) -> list:
    if not isinstance(value, list):
        raise fail(f"Expected a list, got {type(value).__name__}", field, "wrong_type")
    return value


def only_fields(value: dict, allowed: set[str] | frozenset[str], field: str) -> None:
    unknown = sorted(str(k) for k in value if k not in allowed)
    if unknown:
        raise fail(f"Unknown member {unknown[0]!r}; allowed: {', '.join(sorted(allowed))}",
                   f"{field}.{unknown[0]}", "unknown_field")


def required(value: dict, name: str, field: str) -> Any:
    if name not in value:
        raise fail(f"{field}.{name} is required", f"{field}.{name}", "missing_key")
    return value[name]


def rich(html: Any, field: str) -> str:
    clean = clean_rich_text(html, field)
    if not has_content(clean):
        raise fail("Text is empty", field, "empty_html")
    return clean


def boolean(value: Any, field: str, default: bool) -> bool:
    if value is None:
        return default
    if not isinstance(value, bool):
        raise fail(f"Expected true or false, got {value!r}", field, "wrong_type")
    return value


def number(value: Any, field: str) -> int | float:
    # bool is an int in Python but never a meaningful number in an item.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise fail(f"Expected a number, got {value!r}", field, "wrong_type")
    if isinstance(value, float) and not math.isfinite(value):
        raise fail(f"Expected a finite number, got {value!r}", field, "bad_value")
    return value


def optional_count(value: Any, field: str, low: int = 1, high: int = 100_000) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise fail(f"Expected a whole number, got {value!r}", field, "wrong_type")
    if not low <= value <= high:
        raise fail(f"Expected {low}..{high}, got {value}", field, "bad_value")
    return value


def choice(value: Any, field: str) -> str:
    if not isinstance(value, str) or not ID_PATTERN.fullmatch(value):
        raise fail(f"Invalid id {value!r}: use 1 to 32 letters, digits, '_' or '-'", field, "bad_id")
    return value


def scoring(key: dict, default: str) -> str:
    mode = key.get("scoring", default)
    if mode not in SCORING_MODES:
        raise fail(f"Scoring must be one of {', '.join(SCORING_MODES)}, got {mode!r}",
                   "key.scoring", "bad_value")
    return mode


def choices(body: dict, name: str, low: int, high: int, extra: frozenset[str] = frozenset(),
            count_code: str = "wrong_option_count", seen: set[str] | None = None) -> list[dict]:
    """Validate body[name], a list of {"id", "html", *extra}; return clean copies.

    `extra` members are booleans (e.g. "fixed") and default to False. Ids must be unique within
    the item, so pass the same `seen` set for several lists of one item."""
    field = f"body.{name}"
    items = as_list(required(body, name, "body"), field)
    if not low <= len(items) <= high:
        raise fail(f"Expected {low} to {high} entries in {name}, got {len(items)}", field, count_code)
    seen = set() if seen is None else seen
    out = []
    for i, raw in enumerate(items):
        here = f"{field}.{i}"
        raw = as_dict(raw, here)
        only_fields(raw, {"id", "html", *extra}, here)
        ident = choice(required(raw, "id", here), f"{here}.id")
        if ident in seen:
            raise fail(f"Id {ident!r} is used twice", f"{here}.id", "duplicate_id")
        seen.add(ident)
        entry = {"id": ident, "html": rich(required(raw, "html", here), f"{here}.html")}
        for flag in sorted(extra):
            entry[flag] = boolean(raw.get(flag), f"{here}.{flag}", False)
        out.append(entry)
    return out


def known(ident: Any, ids: list[str], field: str) -> str:
    if not isinstance(ident, str):
        raise fail(f"Expected a choice id, got {ident!r}", field, "wrong_type")
    if ident not in ids:
        raise fail(f"{ident!r} is not one of the choices ({', '.join(ids)})", field, "unknown_option")
    return ident


def public(entries: list[dict]) -> list[dict]:
    """What a student sees of a list of choices: id and html only."""
    return [{"id": e["id"], "html": e["html"]} for e in entries]


def view(cls: Any, content: ItemContent, body: dict) -> dict[str, Any]:
    return {"type": cls.name, "stem": content.stem, "body": body}


# --- responses ----------------------------------------------------------------------------------

def response_id(value: Any, ids: list[str]) -> str:
    if not isinstance(value, str):
        raise ResponseError(f"Expected a choice id, got {type(value).__name__}", "wrong_type")
    if value not in ids:
        raise ResponseError(f"Unknown choice {value[:40]!r}", "unknown_option")
    return value


def response_ids(value: Any, ids: list[str]) -> list[str]:
    if not isinstance(value, list | tuple):
        raise ResponseError(f"Expected a list of choice ids, got {type(value).__name__}", "wrong_type")
    out = [response_id(v, ids) for v in value]
    if len(set(out)) != len(out):
        raise ResponseError("A choice appears twice in the response", "duplicate")
    return out


def response_text(value: Any, limit: int) -> str:
    if not isinstance(value, str):
        raise ResponseError(f"Expected text, got {type(value).__name__}", "wrong_type")
    if len(value) > limit:
        raise ResponseError(f"Answer is too long ({len(value)} characters, at most {limit})", "too_long")
    return value
