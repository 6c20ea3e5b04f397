import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from item_bank.text import fold, normalise


def test_normalise_keeps_diacritics_and_collapses_space():
    assert normalise("  Hà   Nội\t\n") == "hà nội"
    assert normalise("ĐÀ NẴNG") == "đà nẵng"


def test_normalise_composes_decomposed_input():
    decomposed = unicodedata.normalize("NFD", "Tiếng Việt")
    assert normalise(decomposed) == "tiếng việt"
    assert normalise(decomposed) == normalise("Tiếng Việt")


def test_fold_strips_diacritics_and_maps_d():
    assert fold("Đà Nẵng") == "da nang"
    assert fold("  Trường   Đại học  ") == "truong dai hoc"
    assert fold("Nguyễn Thị Ánh") == "nguyen thi anh"
    assert fold(unicodedata.normalize("NFD", "Hồ Chí Minh")) == "ho chi minh"


def test_fold_casefolds():
    assert fold("STRASSE") == fold("straße")


def test_empty():
    assert fold("") == "" and normalise("   ") == ""


@settings(database=None)
@given(st.text())
def test_idempotent(s):
    assert normalise(normalise(s)) == normalise(s)
    assert fold(fold(s)) == fold(s)


@settings(database=None)
@given(st.text())
def test_fold_of_normalise_equals_fold(s):
    assert fold(normalise(s)) == fold(s)
