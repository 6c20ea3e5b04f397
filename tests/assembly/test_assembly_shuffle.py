"""make_paper(): a candidate's paper is reproducible from the recorded seed, keeps the exam's
parts in order, and leaves fixed items, fixed options and unshuffled items in place."""
from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from item_bank.assembly import Form, Paper, ShuffleError, make_paper, seed_for
from item_bank.assembly.shuffle import GROUP_ORDER

SC, TF, NUM = "single_choice", "true_false_cluster", "numeric"


def sc(n=4, fixed_last=False, shuffle=True):
    options = [{"id": chr(65 + k), "html": "…"} for k in range(n)]
    if fixed_last:
        options[-1]["fixed"] = True
    return {"type": SC, "options": options, "shuffle": shuffle}


def tf():
    return {"type": TF, "statements": [{"id": s, "html": "…"} for s in "abcd"]}


def num():
    return {"type": NUM}


def math_form():
    """22 items like the graduation exam, listed in blueprint order (types interleaved)."""
    views = {}
    for k in range(12):
        views[100 + k] = sc(fixed_last=(k == 3), shuffle=(k != 5))
    for k in range(4):
        views[200 + k] = tf()
    for k in range(6):
        views[300 + k] = num()
    order = [300, 100, 101, 200, 102, 103, 104, 105, 201, 301, 106, 107, 108, 109, 110, 111,
             202, 203, 302, 303, 304, 305]
    form = Form(0, "101", tuple((v, 0.25) for v in order))
    return form, views


def test_reproducible_from_the_recorded_seed():
    form, views = math_form()
    seed = seed_for(42, 7, "server-secret")
    paper = make_paper(form, views, seed)
    assert paper == make_paper(form, views, seed)
    assert paper.seed == seed and paper.form_code == "101"
    stored = json.loads(json.dumps(paper.to_dict()))       # what a database column holds
    assert Paper.from_dict(stored) == paper
    # A view dict in another key order, or rebuilt from JSON, gives the same paper.
    rebuilt = {int(k): v for k, v in json.loads(json.dumps(views)).items()}
    assert make_paper(form, dict(reversed(list(rebuilt.items()))), seed) == paper


def test_pinned_output():
    # Recorded seeds must rebuild old papers forever: a change here breaks complaint checking.
    views = {1: sc(), 2: sc(), 3: sc(), 4: tf(), 5: num(), 6: num()}
    paper = make_paper([1, 2, 3, 4, 5, 6], views, "0123456789abcdef")
    assert paper.item_order == [1, 3, 2, 4, 5, 6]
    assert paper.option_orders == {1: ["A", "D", "C", "B"], 2: ["B", "D", "C", "A"],
                                   3: ["A", "D", "C", "B"], 4: ["a", "b", "c", "d"]}


def test_different_candidates_get_different_papers():
    form, views = math_form()
    orders = {tuple(make_paper(form, views, seed_for(1, c, "k")).item_order) for c in range(20)}
    assert len(orders) == 20


def test_parts_stay_grouped_in_exam_order():
    form, views = math_form()
    paper = make_paper(form, views, "s")
    types = [views[v]["type"] for v in paper.item_order]
    assert types == [SC] * 12 + [TF] * 4 + [NUM] * 6
    assert sorted(paper.item_order) == sorted(form.version_ids)


def test_other_types_follow_in_order_of_appearance():
    views = {1: {"type": "matching", "sources": ["1", "2"], "targets": ["x", "y", "z"]},
             2: num(), 3: {"type": "extended_text"}, 4: sc(), 5: {"type": "matching", "sources": ["1"],
                                                                   "targets": ["x"]}}
    paper = make_paper([1, 2, 3, 4, 5], views, "s")
    assert [views[v]["type"] for v in paper.item_order] == [SC, NUM, "matching", "matching", "extended_text"]
    assert sorted(paper.option_orders[1][:2]) == ["1", "2"] and sorted(paper.option_orders[1][2:]) == ["x", "y", "z"]
    assert GROUP_ORDER == (SC, TF, NUM)


def test_fixed_position_items_stay_in_place():
    views = {v: sc() for v in range(10)}
    views[0]["fixed_position"] = True
    views[6]["fixed_position"] = True
    for seed in map(str, range(30)):
        order = make_paper(list(range(10)), views, seed).item_order
        assert order[0] == 0 and order[6] == 6


def test_fixed_options_and_unshuffled_items():
    form, views = math_form()
    for seed in map(str, range(30)):
        paper = make_paper(form, views, seed)
        assert paper.option_orders[103][-1] == "D"                 # "none of the above" stays last
        assert paper.option_orders[105] == ["A", "B", "C", "D"]     # body says shuffle: false
        for v in (200, 201, 202, 203):
            assert paper.option_orders[v] == ["a", "b", "c", "d"]   # statements keep their letters
        assert 300 not in paper.option_orders                      # nothing to reorder


def test_statements_shuffle_only_when_asked():
    views = {1: {**tf(), "shuffle_statements": True}}
    orders = {tuple(make_paper([1], views, str(s)).option_orders[1]) for s in range(30)}
    assert len(orders) > 1 and all(sorted(o) == list("abcd") for o in orders)


def test_options_do_not_depend_on_other_items():
    # Adding an item to a form (or dropping one) does not reshuffle another item's options.
    views = {1: sc(), 2: sc(), 3: sc()}
    assert make_paper([1, 2], views, "s").option_orders[1] == make_paper([1, 2, 3], views, "s").option_orders[1]


def test_int_and_str_version_ids_are_kept_apart():
    views = {1: sc(), "1": sc()}
    assert sorted(map(repr, make_paper([1, "1"], views, "s").item_order)) == ["'1'", "1"]


def test_seed_for():
    seed = seed_for(42, 7, "secret")
    assert seed == seed_for(42, 7, b"secret") and len(seed) == 32
    assert len({seed, seed_for(42, 8, "secret"), seed_for(43, 7, "secret"), seed_for(42, 7, "other")}) == 4
    assert seed_for(4, 27, "k") != seed_for(42, 7, "k")       # ids are not just concatenated
    with pytest.raises(ValueError):
        seed_for(42, 7, "")


@pytest.mark.parametrize("form, views, message", [
    ([1, 2], {1: sc()}, "no item view"),
    ([1, 1], {1: sc()}, "twice"),
    ([1], {1: {"options": ["A"]}}, "no type"),
    ([1], {1: {"type": SC, "options": ["A", "A"]}}, "repeats an option id"),
    ([1], {1: {"type": "matching", "sources": ["1"], "targets": ["1"]}}, "repeats an option id"),
    ([1], {1: {"type": SC, "options": "AB"}}, "must be a list"),
    ([1], {1: {"type": SC, "options": [{"html": "x"}]}}, "has no id"),
])
def test_bad_views(form, views, message):
    with pytest.raises(ShuffleError, match=message):
        make_paper(form, views, "s")
    with pytest.raises(ShuffleError):
        make_paper([1], {1: sc()}, "")


# --- property ---------------------------------------------------------------------------------

TYPES = st.sampled_from([SC, TF, NUM, "matching", "ordering"])


@st.composite
def forms_and_views(draw):
    n = draw(st.integers(1, 25))
    version_ids = draw(st.lists(st.one_of(st.integers(0, 10_000), st.text(min_size=1, max_size=4)),
                                min_size=n, max_size=n, unique_by=repr))
    views = {}
    for vid in version_ids:
        item_type = draw(TYPES)
        view = {"type": item_type, "fixed_position": draw(st.booleans())}
        if item_type != NUM:
            name = {SC: "options", TF: "statements", "matching": "sources", "ordering": "choices"}[item_type]
            k = draw(st.integers(1, 6))
            view[name] = [{"id": f"o{j}", "fixed": draw(st.booleans())} for j in range(k)]
            view["shuffle"] = draw(st.booleans())
        views[vid] = view
    return version_ids, views


@settings(max_examples=200, deadline=None)
@given(data=forms_and_views(), seed=st.text(min_size=1, max_size=40))
def test_property_a_permutation_that_keeps_what_is_fixed(data, seed):
    version_ids, views = data
    paper = make_paper(version_ids, views, seed)
    assert paper == make_paper(version_ids, views, seed)
    order = paper.item_order
    assert sorted(map(repr, order)) == sorted(map(repr, version_ids))
    # Grouped: the form order stably sorted by part is where fixed items stay.
    rank = {t: i for i, t in enumerate(GROUP_ORDER)}
    first_seen = {}
    for vid in version_ids:
        first_seen.setdefault(views[vid]["type"], len(first_seen))
    base = sorted(version_ids, key=lambda v: (rank.get(views[v]["type"], len(rank)), first_seen[views[v]["type"]]))
    assert [views[v]["type"] for v in order] == [views[v]["type"] for v in base]
    for position, vid in enumerate(base):
        if views[vid]["fixed_position"]:
            assert order[position] == vid
    for vid in version_ids:
        view = views[vid]
        lists = [name for name in ("options", "choices", "sources", "targets", "statements") if name in view]
        if not lists:
            assert vid not in paper.option_orders
            continue
        (name,) = lists
        ids = [o["id"] for o in view[name]]
        got = paper.option_orders[vid]
        assert sorted(got) == sorted(ids)
        if not view["shuffle"] or name == "statements":
            assert got == ids
        for j, option in enumerate(view[name]):
            if option["fixed"]:
                assert got[j] == option["id"]
