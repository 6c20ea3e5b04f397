"""The exam blueprint ("ma trận đề"): which cells (topic x cognitive level x item type) an exam
form holds, how many items per cell and how many points each item is worth.

A blueprint is validated when built, so the assembler can trust it: every cell has at least one
item, positive points, no cell appears twice and the points add up to the exam's total (10 in the
Vietnamese scale). Errors carry the row index and the field so an editor can point at the cell.
"""
from __future__ import annotations

import json
import math
import unicodedata
from dataclasses import dataclass, replace
from typing import Any

from item_bank.assembly.information import InformationPoint, InformationTargetError, parse_target
from item_bank.model import CognitiveLevel

# Points are decimals such as 0.25 summed in binary floating point; 1e-9 absorbs the rounding
# while still catching a real mistake (the smallest Vietnamese step is 0.05 point).
POINTS_TOLERANCE = 1e-9


class BlueprintError(ValueError):
    """An invalid blueprint. `row` is the 0-based row index (None for the whole blueprint),
    `field` the offending field ("count", "points_each", ...)."""

    def __init__(self, message: str, field: str | None = None, row: int | None = None,
                 code: str = "invalid_blueprint"):
        super().__init__(message)
        self.message = message
        self.field = field
        self.row = row
        self.code = code


def normalise_label(text: str) -> str:
    """The form of a topic or type used to compare them. Vietnamese text arrives both composed
    (NFC) and decomposed (NFD, e.g. from macOS or some Word exports): "Đạo hàm" typed twice can
    differ byte for byte, so compare NFC with collapsed whitespace."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def coerce_level(value: Any) -> CognitiveLevel:
    """CognitiveLevel from an enum member or its stable code ("van_dung"); ValueError otherwise."""
    if isinstance(value, CognitiveLevel):
        return value
    # Another enum with the same codes (e.g. a database column's) is accepted by its value.
    return CognitiveLevel(getattr(value, "value", value))


@dataclass(frozen=True)
class BlueprintRow:
    """One cell of the matrix: `count` items of `item_type` on `topic` at `cognitive_level`,
    each worth `points_each`."""

    topic: str
    cognitive_level: CognitiveLevel
    item_type: str
    count: int
    points_each: float

    @property
    def cell(self) -> tuple[str, CognitiveLevel, str]:
        """The key that identifies the cell (normalised, see `normalise_label`)."""
        return (normalise_label(self.topic), self.cognitive_level, normalise_label(self.item_type))

    @property
    def label(self) -> str:
        level = getattr(self.cognitive_level, "value", self.cognitive_level)
        return f"{self.topic} / {level} / {self.item_type}"

    def to_dict(self) -> dict[str, Any]:
        return {"topic": self.topic, "cognitive_level": self.cognitive_level.value,
                "item_type": self.item_type, "count": self.count, "points_each": self.points_each}


_ROW_FIELDS = ("topic", "cognitive_level", "item_type", "count", "points_each")


@dataclass(frozen=True)
class Blueprint:
    rows: tuple[BlueprintRow, ...]
    total_points: float = 10
    # optional: each form's test information at given abilities (see information.py)
    information_target: tuple[InformationPoint, ...] = ()

    def __post_init__(self) -> None:
        rows = tuple(_checked_row(i, row) for i, row in enumerate(self.rows))
        object.__setattr__(self, "rows", rows)
        if not rows:
            raise BlueprintError("the blueprint has no rows", field="rows")
        total = self.total_points
        if isinstance(total, bool) or not isinstance(total, (int, float)) or not total > 0 \
                or not math.isfinite(total):
            raise BlueprintError(f"total_points must be a positive number, got {total!r}",
                                 field="total_points")
        seen: dict[tuple, int] = {}
        for i, row in enumerate(rows):
            if row.cell in seen:
                raise BlueprintError(f"row {i}: cell {row.label} already appears in row {seen[row.cell]}",
                                     field="cell", row=i, code="duplicate_cell")
            seen[row.cell] = i
        points = math.fsum(row.count * row.points_each for row in rows)
        if abs(points - total) > POINTS_TOLERANCE:
            raise BlueprintError(f"the rows add up to {points:g} points, the exam is worth {total:g}",
                                 field="total_points", code="points_mismatch")

    @property
    def n_items(self) -> int:
        return sum(row.count for row in self.rows)

    def to_dict(self) -> dict[str, Any]:
        out = {"total_points": self.total_points, "rows": [row.to_dict() for row in self.rows]}
        if self.information_target:
            out["information_target"] = [point.to_dict() for point in self.information_target]
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False)

    @classmethod
    def from_dict(cls, data: Any) -> Blueprint:
        """From `{"total_points": 10, "rows": [...]}` or a bare list of row dicts."""
        if isinstance(data, list):
            data = {"rows": data}
        if not isinstance(data, dict):
            raise BlueprintError("a blueprint is an object with 'rows' or a list of rows", field="rows")
        unknown = set(data) - {"rows", "total_points", "information_target"}
        if unknown:
            raise BlueprintError(f"unknown blueprint field(s): {', '.join(sorted(unknown))}",
                                 field=min(unknown))
        rows = data.get("rows")
        if not isinstance(rows, list):
            raise BlueprintError("'rows' must be a list", field="rows")
        parsed = [_row_from_dict(i, raw) for i, raw in enumerate(rows)]
        try:
            target = parse_target(data.get("information_target"))
        except InformationTargetError as exc:
            raise BlueprintError(exc.message, field=exc.field, code="invalid_information_target") from None
        return cls(parsed, data.get("total_points", 10), target)

    @classmethod
    def from_json(cls, text: str) -> Blueprint:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise BlueprintError(f"the blueprint is not valid JSON: {exc}", code="invalid_json") from None
        return cls.from_dict(data)


def _row_from_dict(i: int, raw: Any) -> BlueprintRow:
    if not isinstance(raw, dict):
        raise BlueprintError(f"row {i} must be an object", row=i)
    missing = [name for name in _ROW_FIELDS if name not in raw]
    if missing:
        raise BlueprintError(f"row {i}: missing {missing[0]}", field=missing[0], row=i)
    unknown = sorted(set(raw) - set(_ROW_FIELDS))
    if unknown:
        raise BlueprintError(f"row {i}: unknown field {unknown[0]}", field=unknown[0], row=i)
    return BlueprintRow(**{name: raw[name] for name in _ROW_FIELDS})


def _checked_row(i: int, row: Any) -> BlueprintRow:
    """The row with its level coerced to CognitiveLevel; BlueprintError naming row and field."""
    if not isinstance(row, BlueprintRow):
        raise BlueprintError(f"row {i} is not a BlueprintRow", row=i)
    for name in ("topic", "item_type"):
        value = getattr(row, name)
        if not isinstance(value, str) or not value.strip():
            raise BlueprintError(f"row {i}: {name} must be a non-empty text", field=name, row=i)
    try:
        level = coerce_level(row.cognitive_level)
    except ValueError:
        codes = ", ".join(level.value for level in CognitiveLevel)
        raise BlueprintError(f"row {i}: unknown cognitive_level {row.cognitive_level!r} (one of {codes})",
                             field="cognitive_level", row=i) from None
    count = row.count
    # bool is an int subclass; True items per cell is a bug upstream, not 1.
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise BlueprintError(f"row {i} ({row.label}): count must be a whole number >= 1, got {count!r}",
                             field="count", row=i)
    points = row.points_each
    if isinstance(points, bool) or not isinstance(points, (int, float)) or not math.isfinite(points) \
            or points <= 0:
        raise BlueprintError(f"row {i} ({row.label}): points_each must be > 0, got {points!r}",
                             field="points_each", row=i)
    return replace(row, cognitive_level=level)
