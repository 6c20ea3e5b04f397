"""Forms and papers as plain data: the assembler's pool from bank versions, and the per-candidate
shuffle (item order and option orders) that a recorded seed reproduces exactly.

No database access here; `services` loads rows and stores what these functions return.

The shuffle is meant to come from `item_bank.assembly.shuffle` (make_paper / seed_for); that
module has not landed yet, so `seed_for` and `make_paper` below implement the same contract
locally. Both are pure functions of their arguments: the same seed always gives the same paper.
"""
from __future__ import annotations

import hashlib
import hmac
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from item_bank.assembly import PoolItem

# Lists inside a body that a paper may reorder, by item type, with the body flag that allows it.
# true_false_cluster statements keep their order (a, b, c, d are referred to by letter);
# numeric, text_entry and extended_text have nothing to reorder.
SHUFFLED_LISTS: dict[str, tuple[str, ...]] = {
    "single_choice": ("options",),
    "multiple_response": ("options",),
    "matching": ("sources", "targets"),
    "ordering": ("choices",),
}


def pool_item(version: Any) -> PoolItem:
    """The assembler's view of an ItemVersion row: versions of one item share `item_id`."""
    return PoolItem(version_id=version.id, item_id=str(version.item_id), topic=version.topic,
                    cognitive_level=version.cognitive_level, item_type=version.item_type,
                    difficulty=version.difficulty)


def seed_for(exam_id: int, candidate_id: int, secret_key: str) -> str:
    """A candidate's paper seed: HMAC-SHA256 of (exam, candidate) under the app's secret, so that
    nobody without the key can predict another candidate's paper. 32 hex characters."""
    message = f"paper/{exam_id}/{candidate_id}".encode()
    return hmac.new(secret_key.encode(), message, hashlib.sha256).hexdigest()[:32]


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


def _shuffled_ids(entries: list[dict[str, Any]], rng: random.Random) -> list[str]:
    """Shuffle the ids of a choice list; an entry marked `fixed` keeps its place."""
    ids = [e["id"] for e in entries]
    movable = [i for i, e in enumerate(entries) if not e.get("fixed")]
    moved = [ids[i] for i in movable]
    rng.shuffle(moved)
    out = list(ids)
    for slot, ident in zip(movable, moved):
        out[slot] = ident
    return out


def make_paper(entries: Sequence[PaperEntry], seed: str) -> Paper:
    """Shuffle a form for one candidate. Items are shuffled within each run of the form that has
    one item type (the form's parts keep their order: Part I multiple choice, Part II true/false
    ...); choice lists are shuffled where the item allows it (`body.shuffle`)."""
    rng = random.Random(f"paper/{seed}")   # a str seed goes through SHA-512: stable everywhere
    groups: dict[str, list[int]] = {}
    for position, entry in enumerate(entries):
        groups.setdefault(entry.item_type, []).append(position)
    item_order: list[int] = []
    for positions in groups.values():
        positions = list(positions)
        rng.shuffle(positions)
        item_order += positions
    option_orders: dict[str, dict[str, list[str]]] = {}
    for entry in entries:
        lists = {}
        for name in SHUFFLED_LISTS.get(entry.item_type, ()):
            choices = entry.body.get(name) or []
            if entry.body.get("shuffle", True):
                lists[name] = _shuffled_ids(choices, rng)
            else:
                lists[name] = [c["id"] for c in choices]
        option_orders[str(entry.version_id)] = lists
    return Paper(item_order, option_orders)


def reorder_view(view: dict[str, Any], orders: dict[str, list[str]]) -> dict[str, Any]:
    """A student view with its choice lists in the paper's order."""
    body = dict(view.get("body") or {})
    for name, order in orders.items():
        by_id = {c["id"]: c for c in body.get(name) or []}
        body[name] = [by_id[i] for i in order if i in by_id]
    return {**view, "body": body}
