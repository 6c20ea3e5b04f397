"""Linking separate calibrations, form reports, and the adaptive-testing engine."""
from __future__ import annotations

import json

import numpy as np
import pytest

from item_bank.psychometrics import PsychometricsError, Responses, calibrate
from item_bank.psychometrics.cat import CatPool, CatRules, CatState, next_item, update
from item_bank.psychometrics.cat_simulation import simulate_cat
from item_bank.psychometrics.equating import Link, form_report, mean_sigma, stocking_lord, transform
from item_bank.psychometrics.params import ItemEstimate
from item_bank.psychometrics.simulate import generating_items, simulate


def rasch_item(item_id, b):
    return ItemEstimate(item_id, "2pl", 1.0, (-b,))


def test_linking_recovers_a_known_transformation():
    """Source parameters are the target's moved to a scale with θ_target = 1.2 θ_source + 0.5:
    b_source = (b_target - 0.5) / 1.2 and a_source = 1.2 a_target. Both methods give back A, B."""
    rng = np.random.default_rng(2)
    target = generating_items("2pl", 12, rng)
    source = transform(target, Link(1 / 1.2, -0.5 / 1.2, "", 0))
    assert source[0].b == pytest.approx((target[0].b - 0.5) / 1.2)
    for link in (mean_sigma(source, target), stocking_lord(source, target)):
        assert link.A == pytest.approx(1.2, abs=1e-4) and link.B == pytest.approx(0.5, abs=1e-4)
    back = transform(source, stocking_lord(source, target))
    assert np.allclose([i.b for i in back], [i.b for i in target], atol=1e-3)


def test_separate_calibrations_linked_through_anchors():
    rng = np.random.default_rng(3)
    true = generating_items("2pl", 30, rng)
    x1 = simulate(true[:20], rng.normal(0, 1, 4000), rng)
    x2 = simulate(true[10:], rng.normal(0.5, 1.2, 4000), rng)
    c1 = calibrate(Responses([i.id for i in true[:20]], x1), "2pl", standard_errors=False)
    c2 = calibrate(Responses([i.id for i in true[10:]], x2), "2pl", standard_errors=False)
    link = stocking_lord(c2.items, c1.items)       # form 2's group is N(0.5, 1.2) on form 1's scale
    assert link.A == pytest.approx(1.2, abs=0.12) and link.B == pytest.approx(0.5, abs=0.12)
    with pytest.raises(PsychometricsError):
        mean_sigma(c2.items[:1], c1.items)


def test_form_report_by_symmetry():
    """A Rasch item with b = 0 has expected score 0.5 for a N(0, 1) population (symmetry); b = ±1
    items average to 0.5 too. Form B (b = 1, 1) is harder than form A (b = -1, 1)."""
    items = [rasch_item("m", 0.0), rasch_item("e", -1.0), rasch_item("h", 1.0), rasch_item("h2", 1.0)]
    reports = {r.form: r for r in form_report(items, {"A": ["e", "h"], "B": ["h", "h2"], "C": ["m"]})}
    assert reports["C"].expected_score == pytest.approx(0.5, abs=1e-9)
    assert reports["A"].expected_score == pytest.approx(1.0, abs=1e-9)
    assert reports["B"].difference < 0 and reports["A"].difference == 0
    assert reports["C"].tcc[0.0] == pytest.approx(0.5)
    assert reports["C"].information[0.0] == pytest.approx(0.25)    # P(1 - P) at θ = b


@pytest.fixture(scope="module")
def pool():
    items = generating_items("2pl", 90, np.random.default_rng(4))
    return CatPool(items, {item.id: "ABC"[j % 3] for j, item in enumerate(items)})


def run(state, pool, rules, answers):
    order = []
    while (choice := next_item(state, pool, rules)) is not None:
        order.append(choice.item_id)
        state = update(state, pool, choice, answers(choice.item_id))
    return state, order


def test_cat_is_deterministic_and_its_state_is_json(pool):
    rules = CatRules(max_items=12, se_target=None, exposure="randomesque", randomesque_n=4)
    answers = lambda item_id: int(item_id[-1]) % 2
    first, order1 = run(CatState.start("cand-1"), pool, rules, answers)
    _, order2 = run(CatState.start("cand-1"), pool, rules, answers)
    _, order3 = run(CatState.start("cand-2"), pool, rules, answers)
    assert order1 == order2 and len(order1) == 12 and order1 != order3
    assert CatState.from_dict(json.loads(json.dumps(first.to_dict()))) == first
    # resuming from a stored half-way state gives the same rest of the test
    state = CatState.start("cand-1")
    for _ in range(5):
        state = update(state, pool, next_item(state, pool, rules), answers(next_item(state, pool, rules).item_id))
    _, rest = run(CatState.from_dict(json.loads(json.dumps(state.to_dict()))), pool, rules, answers)
    assert order1[:5] + rest == order1


def test_cat_picks_the_most_informative_item_and_stops_at_the_se(pool):
    state = CatState.start("x")
    choice = next_item(state, pool, CatRules(exposure="none"))
    info = pool.set.information([0.0])[:, 0]
    assert choice.item_id == pool.items[int(np.argmax(info))].id
    b = {item.id: item.b for item in pool.items}
    final, order = run(state, pool, CatRules(max_items=60, min_items=3, se_target=0.45, exposure="none"),
                       lambda item_id: int(b[item_id] < 0.3))
    assert final.se <= 0.45 and len(order) < 60
    with pytest.raises(PsychometricsError):
        update(final, pool, order[0], 1)           # an item is never given twice


def test_cat_content_balancing_follows_the_cell_shares(pool):
    rules = CatRules(max_items=12, se_target=None, exposure="none", cells={"A": 6, "B": 3, "C": 3})
    _, order = run(CatState.start("y"), pool, rules, lambda item_id: 0)
    cells = [pool.cell[pool.index[i]] for i in order]
    assert cells.count("A") == 6 and cells.count("B") == 3 and cells.count("C") == 3


def test_sympson_hetter_refuses_items_with_k_zero(pool):
    k = {item.id: (0.0 if j % 2 == 0 else 1.0) for j, item in enumerate(pool.items)}
    shpool = CatPool(pool.items, exposure_k=k)
    final, order = run(CatState.start("z"), shpool, CatRules(max_items=10, se_target=None,
                                                              exposure="sympson_hetter"), lambda i: 1)
    assert all(k[i] == 1.0 for i in order) and len(order) == 10
    assert all(k[i] == 0.0 for i in final.refused)


def test_simulated_cat_is_nearly_unbiased(pool):
    report = simulate_cat(pool, CatRules(max_items=20, se_target=0.35), n=120, seed=3)
    assert abs(report.bias) < 0.15 and report.rmse < 0.5
    assert 5 <= report.mean_length <= 20 and 0 < report.max_exposure <= 1
