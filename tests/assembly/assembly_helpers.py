"""Shared test data: the Vietnamese graduation math exam shape and synthetic pools for it.

(A plain module, not conftest: the hypothesis tests call these directly.)"""
from __future__ import annotations

import random
from collections import Counter
from itertools import combinations

from item_bank.assembly import Blueprint, PoolItem
from item_bank.assembly.blueprint import normalise_label
from item_bank.assembly.examples import MATH_2025_ROWS as MATH_ROWS
from item_bank.assembly.examples import NUM, SC, TF  # noqa: F401
from item_bank.model import CognitiveLevel as L


def math_blueprint() -> Blueprint:
    return Blueprint(MATH_ROWS)


def make_pool(blueprint: Blueprint, per_slot: float, seed: int = 0, *, second_versions: float = 0.3,
              distractors: int = 10, none_difficulty: float = 0.05) -> list[PoolItem]:
    """About `per_slot` items per item place in each cell; a share of items get a second version
    (same item_id, same cell); some items match no cell; a few have no difficulty estimate."""
    rng = random.Random(seed)
    pool: list[PoolItem] = []
    next_version = 1

    def add(item_id: str, topic: str, level, item_type: str) -> None:
        nonlocal next_version
        difficulty = None if rng.random() < none_difficulty else round(rng.uniform(0.15, 0.85), 3)
        pool.append(PoolItem(next_version, item_id, topic, level, item_type, difficulty))
        next_version += 1

    for r, row in enumerate(blueprint.rows):
        for k in range(max(row.count, round(row.count * per_slot))):
            item_id = f"r{r}-i{k}"
            add(item_id, row.topic, row.cognitive_level, row.item_type)
            if rng.random() < second_versions:
                add(item_id, row.topic, row.cognitive_level, row.item_type)
    for k in range(distractors):
        add(f"other-{k}", "Số phức", L.BIET, SC)      # a topic the blueprint does not ask for
    return pool


def check_forms(blueprint: Blueprint, pool: list[PoolItem], result, *, cap: int | None,
                tolerance: float | None) -> None:
    """Assert every promise of `assemble` on `result`, recomputing from the pool."""
    by_version = {p.version_id: p for p in pool}
    item_sets = []
    means = {}
    for form in result.forms:
        cells = Counter()
        rows_seen = []
        for version_id, points in form.items:
            p = by_version[version_id]
            key = (normalise_label(p.topic), p.cognitive_level, normalise_label(p.item_type))
            row = next(r for r, b in enumerate(blueprint.rows) if b.cell == key)
            assert points == blueprint.rows[row].points_each
            cells[row] += 1
            rows_seen.append((row, version_id))
        assert rows_seen == sorted(rows_seen), "items ordered by blueprint row, then version id"
        assert dict(cells) == {r: row.count for r, row in enumerate(blueprint.rows)}
        assert abs(sum(points for _, points in form.items) - blueprint.total_points) < 1e-9
        versions = [v for v, _ in form.items]
        assert len(set(versions)) == len(versions)
        items = [by_version[v].item_id for v in versions]
        assert len(set(items)) == len(items), "two versions of one item on a form"
        item_sets.append(set(items))
        difficulties = [0.5 if by_version[v].difficulty is None else by_version[v].difficulty for v in versions]
        means[form.code] = sum(difficulties) / len(difficulties)
    codes = [form.code for form in result.forms]
    assert codes == [str(101 + i) for i in range(len(codes))]
    assert [form.index for form in result.forms] == list(range(len(codes)))
    overlaps = {(codes[f], codes[g]): len(item_sets[f] & item_sets[g])
                for f, g in combinations(range(len(codes)), 2)}
    assert result.stats.pairwise_overlaps == overlaps
    if cap is not None:
        assert max(overlaps.values(), default=0) <= cap
    for code, mean in means.items():
        assert abs(result.stats.mean_difficulties[code] - mean) < 1e-9
    if tolerance is not None:
        assert max(means.values()) - min(means.values()) <= tolerance + 1e-6
