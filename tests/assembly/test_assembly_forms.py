"""assemble(): every form meets the blueprint, the overlap limit and the difficulty band; failures
name the cell or the limit to relax; the same seed gives the same forms."""
from __future__ import annotations

import subprocess
import sys
import unicodedata
import warnings

import pytest
from assembly_helpers import SC, check_forms, make_pool, math_blueprint
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from item_bank.assembly import AssemblyError, Blueprint, BlueprintRow, PoolItem, assemble
from item_bank.assembly._checks import overlap_floor
from item_bank.assembly._milp import make_cbc
from item_bank.assembly.assembler import _problem
from item_bank.model import CognitiveLevel as L

BP = math_blueprint()


def test_math_blueprint_forms_meet_every_constraint():
    pool = make_pool(BP, per_slot=5, seed=1)
    result = assemble(BP, pool, 4, max_overlap=3, difficulty_tolerance=0.02, seed=7)
    assert len(result.forms) == 4 and all(len(form.items) == 22 for form in result.forms)
    check_forms(BP, pool, result, cap=3, tolerance=0.02)
    assert result.stats.overlap_limit == 3
    assert result.stats.solver_status == "optimal"
    # A big enough pool needs no sharing at all: the objective finds that.
    assert result.stats.total_overlap == 0


def test_shared_items_when_the_pool_is_tight():
    # 2 items per place: 6 forms must reuse items. Counting says some pair shares at least 9
    # (132 shared pairs over 15 pairs of forms); the limit of 9 is met with that least total, after
    # the pairs the first answer put over the limit got their own constraint (more solver runs).
    pool = make_pool(BP, per_slot=2, seed=2, second_versions=0.5)
    assert overlap_floor(BP, _problem(BP, pool, 6, 0))["at_least"] == 9
    result = assemble(BP, pool, 6, max_overlap=9, difficulty_tolerance=0.05, seed=1)
    check_forms(BP, pool, result, cap=9, tolerance=0.05)
    assert result.stats.total_overlap == overlap_floor(BP, _problem(BP, pool, 6, 0))["forced_total"] == 132
    assert result.stats.max_overlap == 9
    assert result.stats.solver_runs > 1


def test_without_a_limit_sharing_is_the_least_possible():
    # No band, no limit: total sharing must equal the counting lower bound (spread evenly).
    pool = make_pool(BP, per_slot=1.5, seed=3, second_versions=0)
    result = assemble(BP, pool, 5, max_overlap=None, difficulty_tolerance=None, seed=0)
    check_forms(BP, pool, result, cap=None, tolerance=None)
    floor = overlap_floor(BP, _problem(BP, pool, 5, 0))
    assert floor["forced_total"] > 0
    assert result.stats.total_overlap == floor["forced_total"]


def test_versions_of_one_item_never_share_a_form():
    # Every item has three versions in the same cell: the solver could fill cells from one item.
    pool = []
    for r, row in enumerate(BP.rows):
        for k in range(row.count + 1):
            for v in range(3):
                pool.append(PoolItem(f"{r}.{k}.{v}", f"item-{r}-{k}", row.topic, row.cognitive_level,
                                     row.item_type, 0.3 + 0.1 * v))
    result = assemble(BP, pool, 3, difficulty_tolerance=None, seed=4)
    check_forms(BP, pool, result, cap=None, tolerance=None)


def test_fractional_max_overlap_is_a_share_of_the_form():
    pool = make_pool(BP, per_slot=3, seed=5)
    result = assemble(BP, pool, 4, max_overlap=0.25, difficulty_tolerance=None, seed=0)
    assert result.stats.overlap_limit == 5           # floor(0.25 * 22)
    check_forms(BP, pool, result, cap=5, tolerance=None)


def test_deterministic_for_a_seed_and_independent_of_pool_order():
    pool = make_pool(BP, per_slot=4, seed=6)
    first = assemble(BP, pool, 4, max_overlap=2, difficulty_tolerance=0.03, seed="kỳ thi 2025")
    again = assemble(BP, list(reversed(pool)), 4, max_overlap=2, difficulty_tolerance=0.03, seed="kỳ thi 2025")
    assert first.forms == again.forms
    others = [assemble(BP, pool, 4, max_overlap=2, difficulty_tolerance=0.03, seed=s).forms for s in (1, 2)]
    assert any(forms != first.forms for forms in others), "the seed picks among equal answers"


def test_short_cell_is_named_with_its_count():
    bp = Blueprint([BlueprintRow("Đạo hàm", L.VAN_DUNG, SC, 4, 1.0),
                    BlueprintRow("Hàm số", L.BIET, SC, 6, 1.0)])
    pool = [PoolItem(1, "a", "Đạo hàm", L.VAN_DUNG, SC, 0.5),
            PoolItem(2, "b", "Đạo hàm", L.VAN_DUNG, SC, 0.5),
            PoolItem(3, "b", "Đạo hàm", L.VAN_DUNG, SC, 0.6),     # a second version: still one item
            PoolItem(4, "c", "Đạo hàm", L.HIEU, SC, 0.5)]         # wrong level: does not count
    pool += [PoolItem(10 + k, f"h{k}", "Hàm số", L.BIET, SC, 0.5) for k in range(6)]
    with pytest.raises(AssemblyError) as caught:
        assemble(bp, pool, 2)
    assert caught.value.code == "cell_short"
    assert str(caught.value) == ("cell Đạo hàm / van_dung / single_choice needs 4 items, the bank has 2 "
                                 "approved (3 versions of 2 items): 2 missing")
    (short,) = caught.value.details["shortages"]
    assert (short["row"], short["needed"], short["available"], short["missing"]) == (0, 4, 2, 2)


def test_every_short_cell_is_listed():
    pool = [p for p in make_pool(BP, per_slot=2, seed=7) if p.item_type != "numeric"]
    with pytest.raises(AssemblyError) as caught:
        assemble(BP, pool, 2)
    assert [s["row"] for s in caught.value.details["shortages"]] == [9, 10, 11, 12]
    assert "cell Hàm số / van_dung / numeric needs 2 items, the bank has 0 approved: 2 missing" in str(caught.value)


def test_topics_match_in_composed_and_decomposed_unicode():
    bp = Blueprint([BlueprintRow("Đạo hàm", L.BIET, SC, 4, 2.5)])
    nfd = unicodedata.normalize("NFD", "Đạo  hàm ")
    assert nfd != "Đạo hàm"
    pool = [PoolItem(k, f"i{k}", nfd, "biet", SC, 0.5) for k in range(4)]
    assert [v for v, _ in assemble(bp, pool, 1).forms[0].items] == [0, 1, 2, 3]


def test_impossible_overlap_is_refused_before_solving_with_the_least_possible():
    pool = make_pool(BP, per_slot=1, seed=8, second_versions=0)   # exactly one form's worth of items
    with pytest.raises(AssemblyError) as caught:
        assemble(BP, pool, 3, max_overlap=4)
    err = caught.value
    assert err.code == "overlap_infeasible"
    assert err.details["at_least"] == 22                             # identical forms are the only way
    assert "max_overlap 4 cannot be met" in err.message and "at least 22" in err.message


def _two_level_pool():
    # One cell of 4 from 5 easy (0.2) and 3 hard (0.9) items. Two disjoint forms differ in mean
    # difficulty by at least 0.175; with shared items they can be equal.
    bp = Blueprint([BlueprintRow("Đạo hàm", L.VAN_DUNG, SC, 4, 2.5)])
    pool = [PoolItem(i, f"I{i}", "Đạo hàm", L.VAN_DUNG, SC, d) for i, d in enumerate([0.2] * 5 + [0.9] * 3)]
    return bp, pool


def test_forms_share_only_what_the_difficulty_band_needs():
    # Enough items for disjoint forms, but disjoint forms miss the band: the share-nothing attempt
    # fails and the full model shares exactly one item.
    bp, pool = _two_level_pool()
    result = assemble(bp, pool, 2, max_overlap=None, difficulty_tolerance=0.05)
    check_forms(bp, pool, result, cap=None, tolerance=0.05)
    assert result.stats.total_overlap == 1
    assert result.stats.solver_runs == 2 and result.stats.solver_status == "optimal"


def test_overlap_against_difficulty_says_which_to_relax_and_to_what():
    bp, pool = _two_level_pool()
    with pytest.raises(AssemblyError) as caught:
        assemble(bp, pool, 2, max_overlap=0, difficulty_tolerance=0.05)
    err = caught.value
    assert err.code == "overlap_and_difficulty"
    assert err.details["best_spread"] == pytest.approx(0.175)
    assert err.details["least_overlap"] == 1
    assert "difficulty_tolerance to 0.175 or max_overlap to 1" in err.message
    # And each advice works.
    check_forms(bp, pool, assemble(bp, pool, 2, max_overlap=0, difficulty_tolerance=0.175),
                cap=0, tolerance=0.175)
    check_forms(bp, pool, assemble(bp, pool, 2, max_overlap=1, difficulty_tolerance=0.05),
                cap=1, tolerance=0.05)


def test_overlap_infeasible_found_by_the_solver():
    # Every item has a version in each cell, so a form uses 4 of the 6 items and two forms share
    # 2 + (items both leave out). Four forms cannot all leave out disjoint pairs of 6: some pair
    # shares 3. Counting per cell only proves 1, so this is the solver's finding.
    bp = Blueprint([BlueprintRow("A", L.BIET, SC, 2, 2.5), BlueprintRow("B", L.BIET, SC, 2, 2.5)])
    pool = [PoolItem(f"{t}{k}", f"item{k}", t, L.BIET, SC, 0.5) for t in "AB" for k in range(6)]
    with pytest.raises(AssemblyError) as caught:
        assemble(bp, pool, 4, max_overlap=1, difficulty_tolerance=None)
    err = caught.value
    assert err.code == "overlap_infeasible", err.message
    assert err.details["least_possible"] == 3
    assert "the least sharing possible on the worst pair of forms is 3 items" in err.message
    with pytest.raises(AssemblyError):
        assemble(bp, pool, 4, max_overlap=2, difficulty_tolerance=None)
    check_forms(bp, pool, assemble(bp, pool, 4, max_overlap=3, difficulty_tolerance=None), cap=3, tolerance=None)


@pytest.mark.parametrize("kwargs, fragment", [
    ({"n_forms": 0}, "n_forms"),
    ({"n_forms": True}, "n_forms"),
    ({"max_overlap": -1}, "max_overlap"),
    ({"max_overlap": 1.5}, "fractional max_overlap"),
    ({"max_overlap": "3"}, "max_overlap"),
    ({"difficulty_tolerance": 2}, "difficulty_tolerance"),
    ({"time_limit": 0}, "time_limit"),
])
def test_invalid_requests(kwargs, fragment):
    pool = make_pool(BP, per_slot=1, seed=9)
    args = {"n_forms": 2, **kwargs}
    with pytest.raises(AssemblyError) as caught:
        assemble(BP, pool, args.pop("n_forms"), **args)
    assert caught.value.code == "invalid_request" and fragment in caught.value.message


def test_invalid_pools():
    pool = make_pool(BP, per_slot=1, seed=10)
    with pytest.raises(AssemblyError, match="appears twice"):
        assemble(BP, pool + [pool[0]], 1)
    bad = PoolItem(99999, "x", "Hàm số", L.BIET, SC, 1.5)
    with pytest.raises(AssemblyError, match="difficulty must be within 0..1"):
        assemble(BP, pool + [bad], 1)
    with pytest.raises(AssemblyError, match="unknown cognitive level"):
        assemble(BP, pool + [PoolItem(99999, "x", "Hàm số", "easy", SC)], 1)


def test_time_limit_too_short():
    pool = make_pool(BP, per_slot=3, seed=11)
    with pytest.raises(AssemblyError) as caught:
        assemble(BP, pool, 4, time_limit=0.01)     # less than building the model takes
    assert caught.value.code == "time_limit" and "0.01 s time limit" in caught.value.message


def test_plain_library_imports():
    # item_bank is used outside the server: no Flask or SQLAlchemy, and PuLP only once forms are
    # assembled (blueprints and papers work without it).
    code = ("import sys, item_bank.assembly as a; "
            "a.make_paper([1], {1: {'type': 'numeric'}}, 's'); a.Blueprint.from_dict(a.Blueprint("
            "[a.BlueprintRow('t', 'biet', 'numeric', 1, 10)]).to_dict()); "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('flask', 'sqlalchemy', 'pulp')]; "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-W", "error", "-c", code], check=True)


def test_the_solver_is_created_without_warnings():
    # pytest turns warnings into errors; the filter in make_cbc must hide only PuLP's notice that
    # the bundled CBC goes away in PuLP 4.0, and leave the caller's warning filters untouched.
    before = list(warnings.filters)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        make_cbc(5, 0.5)
    assert seen == []
    assert warnings.filters == before


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), per_slot=st.sampled_from([1, 1.5, 2, 3]),
       n_forms=st.integers(1, 5), cap=st.one_of(st.none(), st.integers(0, 12)),
       tolerance=st.one_of(st.none(), st.sampled_from([0.01, 0.03, 0.1])))
def test_property_forms_are_valid_or_the_error_is_explained(seed, per_slot, n_forms, cap, tolerance):
    pool = make_pool(BP, per_slot=per_slot, seed=seed, distractors=3)
    try:
        result = assemble(BP, pool, n_forms, max_overlap=cap, difficulty_tolerance=tolerance, seed=seed)
    except AssemblyError as err:
        event(err.code)
        assert err.code in {"overlap_infeasible", "overlap_and_difficulty"}, err.message
        assert cap is not None
        least = err.details.get("at_least", err.details.get("least_possible", err.details.get("least_overlap")))
        assert isinstance(least, int) and least > cap
        return
    event("assembled")
    check_forms(BP, pool, result, cap=cap, tolerance=tolerance)
