"""Per-candidate papers: the form's items and options in a candidate's own order.

The order is a pure function of (form, item views, seed). The seed is recorded with the sitting,
so when a candidate disputes a mark the exact paper they saw can be rebuilt and checked.

Rules, following the Vietnamese national exam layout:
* Items stay grouped by part: single choice (part I), true/false clusters (part II), numeric short
  answer (part III), then any other type, each type a group in the order it first appears on the
  form. Items move only within their group.
* An item with `fixed_position` keeps its place (its index in the grouped form order).
* Options ("options", "choices", "sources", "targets") are shuffled unless the item's body says
  `shuffle: false`; an option marked fixed (e.g. "none of the above") keeps its place.
* True/false statements are labelled a-d on the answer sheet, so they keep their order unless the
  view asks for `shuffle_statements: true`.

Randomness comes from SHA-256 of the seed and a purpose string (the group or the item), never the
global RNG or hash(): the result is the same in every process, Python version and machine, and one
item's options do not change when another item is added to the form.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

GROUP_ORDER = ("single_choice", "true_false_cluster", "numeric")
OPTION_LISTS = ("options", "choices", "sources", "targets")   # shuffled unless told otherwise
STATEMENT_LIST = "statements"                                   # kept in order unless told otherwise


class ShuffleError(ValueError):
    """An item view that cannot be shuffled (missing, malformed, duplicate option ids)."""


@dataclass(frozen=True)
class Paper:
    """A candidate's paper: item order, and per item the option ids in display order (every
    option list of the item, concatenated in the order options, choices, sources, targets,
    statements). Items without options have no entry."""

    item_order: list[Any]
    option_orders: dict[Any, list[Any]]
    seed: str
    form_code: str = ""

    def to_dict(self) -> dict[str, Any]:
        # Pairs, not a JSON object: version and option ids may be ints, which JSON keys are not.
        return {"seed": self.seed, "form_code": self.form_code, "item_order": list(self.item_order),
                "option_orders": [[vid, list(ids)] for vid, ids in self.option_orders.items()]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Paper:
        return cls(list(data["item_order"]), {vid: list(ids) for vid, ids in data["option_orders"]},
                   data["seed"], data.get("form_code", ""))


def seed_for(exam_id: Any, candidate_id: Any, secret: bytes | str) -> str:
    """The paper seed of a candidate in an exam: HMAC-SHA256 under a server secret, so it cannot be
    guessed from public ids (a candidate cannot precompute a neighbour's paper)."""
    if isinstance(secret, str):
        secret = secret.encode()
    if not secret:
        raise ValueError("seed_for needs a non-empty secret")
    message = json.dumps([str(exam_id), str(candidate_id)], ensure_ascii=False).encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()[:32]


def make_paper(form: Any, item_views: Mapping[Any, Mapping[str, Any]], seed: str,
               group_order: Sequence[str] = GROUP_ORDER) -> Paper:
    """`form`: a Form (or anything with `version_ids`, or a list of version ids). `item_views`:
    version id -> {"type", "fixed_position", "shuffle", "options"/"choices"/...: [id or
    {"id", "fixed"}], "shuffle_statements"}."""
    if not isinstance(seed, str) or not seed:
        raise ShuffleError("the seed must be a non-empty string (see seed_for)")
    version_ids = list(getattr(form, "version_ids", form))
    if len(set(map(_key, version_ids))) != len(version_ids):
        raise ShuffleError("the form lists an item version twice")
    missing = [vid for vid in version_ids if vid not in item_views]
    if missing:
        raise ShuffleError(f"no item view for version(s) {missing}")

    grouped = _grouped(version_ids, item_views, group_order)
    item_order: list[Any] = []
    for type_name, members in grouped:
        fixed = [bool(item_views[vid].get("fixed_position", False)) for vid in members]
        item_order += _permute(members, fixed, _rng(seed, "items", type_name))
    option_orders = {}
    for vid in version_ids:
        order = _option_order(vid, item_views[vid], seed)
        if order is not None:
            option_orders[vid] = order
    return Paper(item_order, option_orders, seed, str(getattr(form, "code", "")))


def _grouped(version_ids: list, views: Mapping, group_order: Sequence[str]) -> list[tuple[str, list]]:
    groups: dict[str, list] = {}
    for vid in version_ids:
        type_name = views[vid].get("type")
        if not isinstance(type_name, str) or not type_name:
            raise ShuffleError(f"item view {vid!r} has no type")
        groups.setdefault(type_name, []).append(vid)
    rank = {name: i for i, name in enumerate(group_order)}
    # Known parts first in exam order; the rest keep the order they first appear in (dicts do).
    ordered = sorted(groups, key=lambda name: rank.get(name, len(rank)))
    return [(name, groups[name]) for name in ordered]


def _option_order(vid: Any, view: Mapping[str, Any], seed: str) -> list | None:
    lists = [name for name in (*OPTION_LISTS, STATEMENT_LIST) if name in view]
    if not lists:
        return None
    item_shuffles = view.get("shuffle", True) is not False
    order: list = []
    for name in lists:
        ids, fixed = _entries(vid, name, view[name])
        wanted = view.get("shuffle_statements", False) is True if name == STATEMENT_LIST else True
        if item_shuffles and wanted:
            ids = _permute(ids, fixed, _rng(seed, "options", vid, name))
        order += ids
    if len(set(map(_key, order))) != len(order):
        raise ShuffleError(f"item view {vid!r} repeats an option id")
    return order


def _entries(vid: Any, name: str, raw: Any) -> tuple[list, list[bool]]:
    if not isinstance(raw, list):
        raise ShuffleError(f"item view {vid!r}: {name} must be a list")
    ids, fixed = [], []
    for entry in raw:
        if isinstance(entry, Mapping):
            if "id" not in entry:
                raise ShuffleError(f"item view {vid!r}: an entry of {name} has no id")
            ids.append(entry["id"])
            fixed.append(bool(entry.get("fixed", False)))
        else:
            ids.append(entry)
            fixed.append(False)
    return ids, fixed


def _permute(values: list, fixed: list[bool], rng: random.Random) -> list:
    """Shuffle the values not marked fixed among the positions not marked fixed."""
    free = [v for v, f in zip(values, fixed) if not f]
    rng.shuffle(free)
    it = iter(free)
    return [v if f else next(it) for v, f in zip(values, fixed)]


def _rng(seed: str, *purpose: Any) -> random.Random:
    # repr() keeps version 1 and version "1" apart; JSON makes the joined text unambiguous.
    text = json.dumps([seed, *map(_key, purpose)], ensure_ascii=False)
    return random.Random(int.from_bytes(hashlib.sha256(text.encode()).digest(), "big"))


def _key(value: Any) -> str:
    return repr(value)
