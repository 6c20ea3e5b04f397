"""CCCD front QR parsing and the BAC/PACE inputs derived from it."""

from __future__ import annotations

import datetime as dt

import pytest

from kiosk_client.emrtd.mrz import mrz_info
from kiosk_client.qr import QrError, expiry_candidates, expiry_milestone, parse_qr

QR = ("001096012345|012345678|Nguyễn Văn An|15031996|Nam|"
      "Số 12 Ngõ 34 Phố Hàng Bài, Phường Hàng Bài, Hoàn Kiếm, Hà Nội|10062021")


def test_parse_fields_and_derived_keys():
    q = parse_qr(QR)
    assert q.id_number == "001096012345" and q.old_id_number == "012345678"
    assert q.full_name == "Nguyễn Văn An" and q.sex == "Nam"
    assert q.date_of_birth == dt.date(1996, 3, 15) and q.date_of_issue == dt.date(2021, 6, 10)
    assert q.address.startswith("Số 12 Ngõ 34")
    assert q.document_number == "096012345"
    assert q.can == "012345"
    assert q.birth_yymmdd == "960315"
    # Issued at 25 (after the 25th birthday): valid to the 40th birthday, 2036-03-15.
    assert q.expiry_candidates[:2] == ["360315", "360314"]
    assert q.mrz_informations()[0] == mrz_info("096012345", "960315", "360315")


@pytest.mark.parametrize("text", [
    "  " + QR + "  \n",
    QR + "|",
    QR.encode("utf-8"),
    "\ufeff" + QR,
])
def test_tolerated_variants(text):
    assert parse_qr(text).full_name == "Nguyễn Văn An"


def test_empty_old_id():
    q = parse_qr("079301004567||Trần Thị Ngọc Mai|02112001|Nữ|45/7 Nguyễn Đình Chiểu|20012025")
    assert q.old_id_number == "" and q.full_name == "Trần Thị Ngọc Mai"


@pytest.mark.parametrize("text, message", [
    ("", "7 fields"),
    ("hello world", "7 fields"),
    ("001096012345|012345678|Nguyễn Văn An|15031996|Nam|addr", "7 fields"),
    (QR + "|extra", "7 fields"),
    ("00109601234|012345678|A|15031996|Nam|addr|10062021", "12 digits"),
    ("00109601234X|012345678|A|15031996|Nam|addr|10062021", "12 digits"),
    ("001096012345|0123|A|15031996|Nam|addr|10062021", "old ID"),
    ("001096012345|012345678||15031996|Nam|addr|10062021", "name"),
    ("001096012345|012345678|A|31021996|Nam|addr|10062021", "not a valid date"),
    ("001096012345|012345678|A|1503996|Nam|addr|10062021", "ddmmyyyy"),
    ("001096012345|012345678|A|15031996|Nam|addr|10061990", "before"),
    (b"\xff\xfe|bad", "UTF-8"),
])
def test_errors(text, message):
    with pytest.raises(QrError, match=message):
        parse_qr(text)


def test_issued_at_17_expires_at_25th_birthday():
    dob = dt.date(2000, 5, 20)
    issued = dt.date(2017, 8, 1)  # age 17
    assert expiry_milestone(dob, issued) == 25
    cands = expiry_candidates(dob, issued)
    assert cands[0] == "250520"  # the 25th birthday
    assert cands[1] == "250519"  # the day before it
    assert "400520" in cands  # neighbour: the next milestone


def test_issued_at_23_and_a_half_runs_to_40():
    dob = dt.date(2001, 11, 2)
    issued = dt.date(2025, 5, 2)  # 23.5: within 2 years before 25
    assert expiry_milestone(dob, issued) == 40
    cands = expiry_candidates(dob, issued)
    assert cands[:2] == ["411102", "411101"]
    assert "261102" in cands  # 25th birthday as a fallback neighbour


def test_issued_at_62_never_expires():
    dob = dt.date(1950, 7, 9)
    issued = dt.date(2012, 9, 1)
    assert expiry_milestone(dob, issued) is None
    assert expiry_candidates(dob, issued)[:3] == ["991231", "500709", "500708"]


def test_other_milestones():
    dob = dt.date(2010, 1, 10)
    assert expiry_milestone(dob, dt.date(2016, 1, 1)) == 14  # child card
    assert expiry_milestone(dob, dt.date(2022, 6, 1)) == 25  # 12.4: within 2 years of 14
    assert expiry_milestone(dob, dt.date(2066, 6, 1)) == 60  # 56.4: the 60th birthday


def test_grace_before_60_means_no_expiry():
    dob = dt.date(1965, 4, 1)
    assert expiry_milestone(dob, dt.date(2004, 1, 1)) == 60  # issued at 38.7: within 2y of 40 -> 60
    assert expiry_milestone(dob, dt.date(2022, 6, 1)) == 60  # 57.2
    assert expiry_milestone(dob, dt.date(2023, 6, 1)) is None  # 58.2: within 2 years of 60
    assert expiry_candidates(dob, dt.date(2022, 6, 1))[:2] == ["250401", "250331"]


def test_leap_day_birth():
    dob = dt.date(2004, 2, 29)
    cands = expiry_candidates(dob, dt.date(2020, 3, 1))  # age 16 -> 25th birthday in 2029 (common year)
    assert cands[:3] == ["290228", "290227", "290301"]
