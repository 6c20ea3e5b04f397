"""The blueprint's optional test-information target: forms are assembled to reach it."""
from __future__ import annotations

import math
import random

import pytest

from item_bank.assembly import AssemblyError, Blueprint, BlueprintError, PoolItem, assemble
from item_bank.model import CognitiveLevel as L


def info_2pl(a: float, b: float, theta: float) -> float:
    """a² P (1 - P), written out (not the library's function)."""
    p = 1 / (1 + math.exp(-a * (theta - b)))
    return a * a * p * (1 - p)


def blueprint(target=None) -> Blueprint:
    data = {"total_points": 10, "rows": [
        {"topic": "Hàm số", "cognitive_level": "biet", "item_type": "single_choice", "count": 4,
         "points_each": 1.25},
        {"topic": "Hình học", "cognitive_level": "hieu", "item_type": "single_choice", "count": 4,
         "points_each": 1.25}]}
    if target is not None:
        data["information_target"] = target
    return Blueprint.from_dict(data)


def pool(seed=1) -> list[PoolItem]:
    rng = random.Random(seed)
    items = []
    for n in range(40):
        topic, level = ("Hàm số", L.BIET) if n < 20 else ("Hình học", L.HIEU)
        a, b = round(rng.uniform(0.4, 2.2), 3), round(rng.uniform(-2.5, 2.5), 3)
        items.append(PoolItem(n + 1, f"item-{n}", topic, level, "single_choice", 0.5,
                              {"model": "2pl", "id": str(n + 1), "a": a, "b": b}))
    return items


def form_information(form, by_id, theta):
    return sum(info_2pl(by_id[v].irt["a"], by_id[v].irt["b"], theta) for v in form.version_ids)


def test_blueprint_keeps_the_target_and_checks_it():
    target = [{"theta": -1, "min": 1.0}, {"theta": 0, "min": 1.5, "max": 6}]
    bp = blueprint(target)
    assert bp.to_dict()["information_target"] == [{"theta": -1.0, "min": 1.0}, {"theta": 0.0, "min": 1.5, "max": 6.0}]
    assert Blueprint.from_dict(bp.to_dict()) == bp
    assert "information_target" not in blueprint().to_dict()       # the format is unchanged without it
    for bad in ([], [{"theta": 0}], [{"theta": 9, "min": 1}], [{"theta": 0, "min": 2, "max": 1}],
                [{"theta": 0, "min": 1}, {"theta": 0, "min": 2}], "high"):
        with pytest.raises(BlueprintError) as caught:
            blueprint(bad)
        assert caught.value.code == "invalid_information_target"


def test_forms_meet_the_information_target():
    items = pool()
    by_id = {item.version_id: item for item in items}
    free = assemble(blueprint(), items, 3, difficulty_tolerance=None, seed=1)
    weakest = min(form_information(f, by_id, 0.0) for f in free.forms)
    goal = round(weakest + 1.0, 2)       # more than the unconstrained forms reach
    result = assemble(blueprint([{"theta": 0, "min": goal}, {"theta": -1.5, "min": 0.5}]), items, 3,
                      difficulty_tolerance=None, seed=1)
    for form in result.forms:
        assert form_information(form, by_id, 0.0) >= goal - 1e-6
        assert form_information(form, by_id, -1.5) >= 0.5 - 1e-6
    capped = assemble(blueprint([{"theta": 0, "min": 0.5, "max": weakest}]), items, 2, difficulty_tolerance=None)
    assert all(form_information(f, by_id, 0.0) <= weakest + 1e-6 for f in capped.forms)


def test_an_unreachable_target_is_explained():
    items = pool()
    by_id = {item.version_id: item for item in items}
    best = sum(sorted((info_2pl(i.irt["a"], i.irt["b"], 0.0) for i in items[:20]), reverse=True)[:4]) + \
        sum(sorted((info_2pl(i.irt["a"], i.irt["b"], 0.0) for i in items[20:]), reverse=True)[:4])
    with pytest.raises(AssemblyError) as caught:
        assemble(blueprint([{"theta": 0, "min": best + 0.1}]), items, 1)
    assert caught.value.code == "information_short" and "θ = 0" in caught.value.message
    assert caught.value.details["shortages"][0]["best"] == pytest.approx(best)
    uncalibrated = [PoolItem(i.version_id, i.item_id, i.topic, i.cognitive_level, i.item_type) for i in items]
    with pytest.raises(AssemblyError):
        assemble(blueprint([{"theta": 0, "min": 0.1}]), uncalibrated, 1)
    assert by_id
