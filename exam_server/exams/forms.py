"""Forms and papers as plain data: the assembler's pool from bank versions, and the stored shape
of a candidate's paper (form positions and option orders per body list).

The shuffle itself is `item_bank.assembly.shuffle` (the one place that decides orders, from a
seed that reproduces them exactly); this module only adapts bank rows to it and back.
No database access here; `services` loads rows and stores what these functions return.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from item_bank.assembly import PoolItem
from item_bank.assembly import shuffle as library_shuffle
from item_bank.assembly.shuffle import OPTION_LISTS, STATEMENT_LIST, seed_for

__all__ = ["Paper", "PaperEntry", "make_paper", "pool_item", "reorder_view", "seed_for"]
BODY_LISTS = (*OPTION_LISTS, STATEMENT_LIST)


def pool_item(version: Any, irt: dict[str, Any] | None = None) -> PoolItem:
    """The assembler's view of an ItemVersion row: versions of one item share `item_id`; `irt`
    its calibrated parameters, for a blueprint with an information target."""
    return PoolItem(version_id=version.id, item_id=str(version.item_id), topic=version.topic,
                    cognitive_level=version.cognitive_level, item_type=version.item_type,
                    difficulty=version.difficulty, irt=irt)


@dataclass(frozen=True)
class PaperEntry:
    """One item of a form, as the shuffle needs it."""

    version_id: int
    item_type: str
    body: dict[str, Any]


@dataclass(frozen=True)
class Paper:
    """`item_order`: form positions (0-based) in the order the candidate sees them.
    `option_orders`: str(version_id) -> {list name: [choice ids in displayed order]}."""

    item_order: list[int]
    option_orders: dict[str, dict[str, list[str]]]


def make_paper(entries: Sequence[PaperEntry], seed: str) -> Paper:
    """Shuffle a form for one candidate with the library's rules (parts stay grouped, fixed
    options stay, true/false statements keep a-d), in the stored shape."""
    views = {entry.version_id: {"type": entry.item_type, "shuffle": entry.body.get("shuffle", True),
                                **{name: entry.body[name] for name in BODY_LISTS if name in entry.body}}
             for entry in entries}
    paper = library_shuffle.make_paper([e.version_id for e in entries], views, seed)
    position = {entry.version_id: index for index, entry in enumerate(entries)}
    option_orders: dict[str, dict[str, list[str]]] = {}
    for entry in entries:
        shown = paper.option_orders.get(entry.version_id, [])
        # The library concatenates an item's lists; ids are unique within an item, so each
        # list takes back its own ids in the order shown.
        option_orders[str(entry.version_id)] = {
            name: [i for i in shown if i in {c["id"] for c in entry.body[name]}]
            for name in BODY_LISTS if name in entry.body}
    return Paper([position[vid] for vid in paper.item_order], option_orders)


def reorder_view(view: dict[str, Any], orders: dict[str, list[str]]) -> dict[str, Any]:
    """A student view with its choice lists in the paper's order."""
    body = dict(view.get("body") or {})
    for name, order in orders.items():
        by_id = {c["id"]: c for c in body.get(name) or []}
        body[name] = [by_id[i] for i in order if i in by_id]
    return {**view, "body": body}
