"""Property tests of the scoring rules."""
from decimal import Decimal

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from item_bank.model import ItemContent, ResponseError
from item_bank.types import REGISTRY, score, validate_content
from item_bank.types.true_false_cluster import FRACTION_BY_RIGHT

# No example database: tests must not write into the checkout.
PROPERTY = settings(deadline=None, max_examples=150, database=None)

IDS = st.text("ABCDEFGHxyz019_-", min_size=1, max_size=4)


def unique_ids(low, high):
    return st.lists(IDS, min_size=low, max_size=high, unique=True)


def entries(ids):
    return [{"id": i, "html": f"<p>Lựa chọn {i}</p>"} for i in ids]


@st.composite
def single_choice(draw):
    ids = draw(unique_ids(2, 10))
    return validate_content(ItemContent("single_choice", "x", {"options": entries(ids)},
                                        {"correct": draw(st.sampled_from(ids))}))


@st.composite
def multiple_response(draw):
    ids = draw(unique_ids(2, 10))
    correct = draw(st.lists(st.sampled_from(ids), min_size=1, unique=True))
    mode = draw(st.sampled_from(["partial", "all_or_nothing"]))
    return validate_content(ItemContent("multiple_response", "x", {"options": entries(ids)},
                                        {"correct": correct, "scoring": mode}))


@st.composite
def true_false(draw):
    ids = draw(unique_ids(4, 4))
    values = {i: draw(st.booleans()) for i in ids}
    return validate_content(ItemContent("true_false_cluster", "x", {"statements": entries(ids)},
                                        {"values": values}))


DECIMALS = st.decimals(min_value=-10**6, max_value=10**6, places=3, allow_nan=False, allow_infinity=False)


@st.composite
def numeric(draw):
    value = draw(DECIMALS)
    tolerance = draw(st.sampled_from([0, 0.01, 0.5, 2]))
    mode = draw(st.sampled_from(["absolute", "relative"]))
    number = int(value) if value == value.to_integral_value() else float(value)
    return validate_content(ItemContent("numeric", "x", {},
                                        {"value": number, "tolerance": tolerance, "tolerance_mode": mode}))


@st.composite
def text_entry(draw):
    accepted = draw(st.lists(st.text(min_size=1, max_size=20).filter(str.strip), min_size=1, max_size=3))
    mode = draw(st.sampled_from(["exact", "normalised", "fold"]))
    return validate_content(ItemContent("text_entry", "x", {}, {"accepted": accepted, "match": mode}))


@st.composite
def matching(draw):
    ids = draw(unique_ids(4, 12))
    split = draw(st.integers(2, len(ids) - 2))
    sources, targets = ids[:split], ids[split:]
    pairs = {s: draw(st.sampled_from(targets)) for s in sources}
    mode = draw(st.sampled_from(["partial", "all_or_nothing"]))
    return validate_content(ItemContent("matching", "x",
                                        {"sources": entries(sources), "targets": entries(targets)},
                                        {"pairs": pairs, "scoring": mode}))


@st.composite
def ordering(draw, scoring=None):
    ids = draw(unique_ids(2, 20))
    order = draw(st.permutations(ids))
    mode = scoring or draw(st.sampled_from(["partial", "all_or_nothing"]))
    return validate_content(ItemContent("ordering", "x", {"choices": entries(ids)},
                                        {"order": list(order), "scoring": mode}))


AUTO_SCORED = {
    "single_choice": single_choice(), "multiple_response": multiple_response(),
    "true_false_cluster": true_false(), "numeric": numeric(), "text_entry": text_entry(),
    "matching": matching(), "ordering": ordering(),
}
ANY_ITEM = st.one_of(*AUTO_SCORED.values())


def right_answer(content):
    key = content.key
    return {
        "single_choice": lambda: key["correct"],
        "multiple_response": lambda: list(key["correct"]),
        "true_false_cluster": lambda: dict(key["values"]),
        "numeric": lambda: format(Decimal(str(key["value"])), "f")[:32],
        "text_entry": lambda: key["accepted"][0],
        "matching": lambda: dict(key["pairs"]),
        "ordering": lambda: list(key["order"]),
    }[content.type]()


@st.composite
def item_and_response(draw):
    """A valid item with a well-formed (not necessarily right) response."""
    content = draw(ANY_ITEM)
    body = content.body
    if content.type == "single_choice":
        response = draw(st.sampled_from([o["id"] for o in body["options"]]))
    elif content.type == "multiple_response":
        response = draw(st.lists(st.sampled_from([o["id"] for o in body["options"]]), unique=True))
    elif content.type == "true_false_cluster":
        ids = [s["id"] for s in body["statements"]]
        response = draw(st.dictionaries(st.sampled_from(ids), st.booleans()))
    elif content.type == "numeric":
        response = format(draw(DECIMALS), "f")
    elif content.type == "text_entry":
        response = draw(st.text(max_size=30))
    elif content.type == "matching":
        targets = [t["id"] for t in body["targets"]]
        sources = [s["id"] for s in body["sources"]]
        response = draw(st.dictionaries(st.sampled_from(sources), st.sampled_from(targets)))
    else:
        response = list(draw(st.permutations([c["id"] for c in body["choices"]])))
    return content, response


@PROPERTY
@given(item_and_response())
def test_fraction_is_always_between_0_and_1(pair):
    content, response = pair
    result = score(content, response)
    assert 0.0 <= result.fraction <= 1.0
    assert not result.needs_manual


@PROPERTY
@given(ANY_ITEM)
def test_the_keys_own_answer_scores_1(content):
    assert score(content, right_answer(content)).fraction == 1.0


@PROPERTY
@given(ANY_ITEM)
def test_no_answer_scores_0(content):
    assert score(content, None).fraction == 0.0


@PROPERTY
@given(true_false(), st.data())
def test_true_false_fraction_follows_the_table(content, data):
    values = content.key["values"]
    answered = data.draw(st.lists(st.sampled_from(sorted(values)), unique=True))
    flips = {i: data.draw(st.booleans()) for i in answered}
    response = {i: values[i] != flips[i] for i in answered}
    right = sum(not flips[i] for i in answered)
    assert score(content, response).fraction == FRACTION_BY_RIGHT[right]


@PROPERTY
@given(ordering(scoring="all_or_nothing"), st.data())
def test_a_wrong_order_never_scores_1(content, data):
    response = list(data.draw(st.permutations(content.key["order"])))
    assume(response != content.key["order"])
    assert score(content, response).fraction == 0.0
    content.key["scoring"] = "partial"
    assert score(content, response).fraction < 1.0


@PROPERTY
@given(numeric(), st.integers(0, 10**6), st.integers(0, 999), st.sampled_from(["", "-", "+"]))
def test_comma_and_point_score_the_same(content, whole, fraction, sign):
    comma, point = f"{sign}{whole},{fraction:03d}", f"{sign}{whole}.{fraction:03d}"
    assert score(content, comma) == score(content, point)


@PROPERTY
@given(multiple_response(), st.data())
def test_ticking_a_wrong_option_never_helps(content, data):
    ids = [o["id"] for o in content.body["options"]]
    wrong = [i for i in ids if i not in content.key["correct"]]
    assume(wrong)
    chosen = data.draw(st.lists(st.sampled_from(ids), unique=True))
    extra = data.draw(st.sampled_from(wrong))
    assume(extra not in chosen)
    assert score(content, chosen + [extra]).fraction <= score(content, chosen).fraction


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=5), inner, max_size=5),
    max_leaves=15,
)


@PROPERTY
@given(ANY_ITEM, JSON)
def test_any_response_scores_or_raises_response_error(content, response):
    try:
        result = score(content, response)
    except ResponseError:
        return
    assert 0.0 <= result.fraction <= 1.0


def test_every_auto_scored_type_is_covered():
    manual = {"extended_text"}
    assert set(AUTO_SCORED) == set(REGISTRY) - manual
