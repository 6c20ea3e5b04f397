"""read_card against the simulated card in process (no pcscd): keys, files, PA, AA, faults."""

from __future__ import annotations

import json

import pytest
from kiosk_helpers import qr_text

from kiosk_client.card import SimulatedReader
from kiosk_client.emrtd.active_auth import verify_active_auth
from kiosk_client.qr import parse_qr
from kiosk_client.readcard import AccessKeys, CardReadError, read_card
from kiosk_client.simulator.card import VirtualCard


@pytest.fixture
def qr(profile):
    return parse_qr(qr_text(profile))


@pytest.mark.parametrize("access, protocol", [("both", "PACE"), ("pace", "PACE"), ("bac", "BAC")])
def test_read_with_qr(inprocess_card, pki, profile, qr, access, protocol):
    challenge = bytes.fromhex("0102030405060708")
    r = read_card(inprocess_card(access=access), qr, pki.trust_dir, challenge=challenge)
    assert r["access"] == protocol
    assert r["full_name"] == "Nguyễn Văn An"
    assert r["id_number"] == "001096012345" and r["document_number"] == "096012345"
    assert r["date_of_birth"] == "1996-03-15" and r["date_of_expiry"] == "2036-03-15" and r["sex"] == "M"
    assert r["dg13"]["place_of_origin"] == profile.place_of_origin
    assert r["dg13"]["father_name"] == "Nguyễn Văn Bình"
    assert r["passive_auth"]["ok"] is True and r["passive_auth"]["failure"] is None
    assert r["active_auth"] == {"ok": True}
    assert r["keys_tried"] == 1
    assert r["apdus"] == sum(s["apdus"] for s in r["steps"]) and r["apdus"] < 40
    names = [s["name"] for s in r["steps"]]
    assert protocol in names and "read DG1" in names and "read EF.SOD" in names and "read DG2" not in names
    assert "passive authentication" in names
    json.dumps(r, ensure_ascii=False)  # JSON-able as is
    ev = r.evidence
    assert ev.challenge == challenge and ev.dg2 is None
    assert ev.dg1 and ev.dg13 and ev.dg14 and ev.dg15 and ev.sod
    assert verify_active_auth(ev.dg15, challenge, ev.aa_signature, ev.dg14)
    assert "evidence" not in r


def test_bac_tries_expiry_candidates_in_order(inprocess_card, pki, profile):
    # Issue date 2012 (age 16) makes the 25th birthday the first guess; the card says 40th.
    q = parse_qr(qr_text(profile.with_changes(date_of_issue=profile.date_of_issue.replace(2012))))
    assert q.expiry_candidates[0] == "210315"
    assert "360315" in q.expiry_candidates
    r = read_card(inprocess_card(access="bac"), q, pki.trust_dir)
    assert r["access"] == "BAC" and r["passive_auth"]["ok"]
    assert r["keys_tried"] == q.expiry_candidates.index("360315") + 1
    assert any(s["name"] == "rejected keys" for s in r["steps"])


def test_mrz_tuple_can_and_mrz_text(inprocess_card, pki, profile):
    t = read_card(inprocess_card(access="bac"), ("096012345", "960315", "360315"), pki.trust_dir)
    assert t["access"] == "BAC"
    c = read_card(inprocess_card(), profile.can, pki.trust_dir)
    assert c["access"] == "PACE"
    m = read_card(inprocess_card(), "\n".join(profile.mrz_lines), pki.trust_dir)
    assert m["access"] == "PACE" and m["full_name"] == "Nguyễn Văn An"


def test_can_on_a_bac_only_card_is_a_clear_error(inprocess_card, pki, profile):
    with pytest.raises(CardReadError, match="offers no PACE") as info:
        read_card(inprocess_card(access="bac"), profile.can, pki.trust_dir)
    assert info.value.kind == "wrong_key"


def test_photo(inprocess_card, pki, qr):
    r = read_card(inprocess_card(photo_bytes=20_000), qr, pki.trust_dir, want_photo=True)
    assert r.evidence.dg2 and len(r.evidence.dg2) > 18_000
    assert r.photo.startswith(b"\xff\xd8\xff")
    assert r["passive_auth"]["dg_results"]["2"] is True


def test_wrong_key(inprocess_card, pki, qr):
    with pytest.raises(CardReadError, match=r"wrong key after 5 candidates") as info:
        read_card(inprocess_card(fault="wrong_key"), qr, pki.trust_dir)
    assert info.value.kind == "wrong_key"  # CAN + 4 expiry dates


@pytest.mark.parametrize("fault, expected", [
    ("altered_dg", "DG13"),
    ("altered_dg:1", "DG1"),
    ("unknown_csca", "CSCA"),
    ("expired_ds", "not valid at verification time"),
])
def test_passive_auth_failures_are_reported(inprocess_card, pki, qr, fault, expected):
    r = read_card(inprocess_card(fault=fault), qr, pki.trust_dir)
    assert r["passive_auth"]["ok"] is False
    assert expected in r["passive_auth"]["failure"]
    assert r["active_auth"]["ok"] is True


def test_cloned_chip_fails_active_auth(inprocess_card, pki, qr):
    r = read_card(inprocess_card(fault="cloned"), qr, pki.trust_dir)
    assert r["passive_auth"]["ok"] is True
    assert r["active_auth"]["ok"] is False and "DG15" in r["active_auth"]["failure"]


def test_removed_mid_read(inprocess_card, pki, qr):
    with pytest.raises(CardReadError, match="card removed") as info:
        read_card(inprocess_card(fault="removed_mid_read"), qr, pki.trust_dir)
    assert info.value.kind == "card_removed"


@pytest.mark.parametrize("dg", [13, 1, 15])
def test_malformed_tlv_gives_partial_result_or_clear_error(inprocess_card, pki, qr, dg):
    try:
        r = read_card(inprocess_card(fault=f"malformed_tlv:{dg}"), qr, pki.trust_dir)
    except CardReadError as exc:
        assert exc.kind == "unreadable" and f"DG{dg}" in str(exc)
        return
    assert r["passive_auth"]["ok"] is False
    assert f"DG{dg}" in r["passive_auth"]["failure"] and f"DG{dg}" in r["read_errors"]


def test_slow_card_still_reads(inprocess_card, pki, qr):
    r = read_card(inprocess_card(fault="slow"), qr, pki.trust_dir)
    assert r["passive_auth"]["ok"] and r["active_auth"]["ok"]


def test_simulated_reader_source(pki, profile, qr):
    reader = SimulatedReader()
    with pytest.raises(CardReadError, match="no card") as info:
        read_card(reader, qr, pki.trust_dir)
    assert info.value.kind == "no_card"
    reader.insert(VirtualCard(profile, pki))
    assert read_card(reader, qr, pki.trust_dir)["passive_auth"]["ok"]


def test_bad_access_inputs():
    with pytest.raises(ValueError):
        AccessKeys.from_any("not an mrz")
    with pytest.raises(ValueError):
        AccessKeys.from_any(("096012345", "96031", "360315"))
    with pytest.raises(ValueError):
        AccessKeys.from_any(12345)


def test_bad_challenge(inprocess_card, pki, qr):
    with pytest.raises(ValueError, match="8 bytes"):
        read_card(inprocess_card(), qr, pki.trust_dir, challenge=b"short")


def test_extended_length_reads_dg2_in_few_apdus(inprocess_card, pki, qr):
    short = read_card(inprocess_card(photo_bytes=20_000), qr, pki.trust_dir, want_photo=True)
    ext = read_card(inprocess_card(photo_bytes=20_000), qr, pki.trust_dir, want_photo=True,
                    extended_length=True)
    ext_dg2 = next(s["apdus"] for s in ext["steps"] if s["name"] == "read DG2")
    assert ext.evidence.dg2 == short.evidence.dg2 and ext["passive_auth"]["ok"]
    assert ext["apdus"] < short["apdus"] - 60 and ext_dg2 <= 3
