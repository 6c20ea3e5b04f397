"""Every fault of the virtual card shows its defined behaviour (in process)."""

from __future__ import annotations

import os
import time

import pytest
from simterm import SELECT_APP, Terminal, read, select_ef

from kiosk_client.card.errors import CardRemoved
from kiosk_client.emrtd import lds, pace
from kiosk_client.emrtd.active_auth import verify_active_auth
from kiosk_client.emrtd.apdu import CardError, CommandAPDU
from kiosk_client.emrtd.passive_auth import verify_passive_auth
from kiosk_client.emrtd.reader import EmrtdReader
from kiosk_client.simulator.faults import Fault, parse_fault
from kiosk_client.simulator.inprocess import InProcessTransport


def passive_auth(card, pki) -> dict:
    return verify_passive_auth(card.files.app[0x011D], card.files.dgs, pki.trust_dir)


def test_parse_fault():
    assert parse_fault(None) is None and parse_fault("none") is None
    assert parse_fault("altered_dg") == Fault("altered_dg", 13)
    assert parse_fault("altered-dg:1") == Fault("altered_dg", 1)
    assert parse_fault("removed_mid_read:7") == Fault("removed_mid_read", 7)
    assert str(parse_fault("slow:50")) == "slow:50"
    for bad in ("melted", "cloned:3", "slow:fast", "altered_dg:3"):
        with pytest.raises(ValueError):
            parse_fault(bad)


def test_no_fault_reads_and_verifies(make_card, pki, profile, sod_problems):
    card = make_card()
    reader = EmrtdReader(InProcessTransport(card))
    assert reader.authenticate(mrz_information=profile.mrz_info) == "PACE"
    files = {n: reader.read_file(f"DG{n}") for n in (1, 2, 13, 14, 15)}
    assert files == card.files.dgs
    assert verify_passive_auth(reader.read_file("EF.SOD"), files, pki.trust_dir)["ok"]
    challenge = os.urandom(8)
    assert verify_active_auth(files[15], challenge, reader.internal_authenticate(challenge), files[14])
    assert sod_problems(card) == []


def test_wrong_key_fails_bac_and_pace(make_card, profile):
    card = make_card(fault="wrong_key")
    term = Terminal(InProcessTransport(card))
    for password, kind in ((profile.mrz_info, pace.PWD_MRZ), (profile.can, pace.PWD_CAN)):
        with pytest.raises(CardError) as exc:
            term.pace(password, kind)
        assert exc.value.sw == 0x6300
    with pytest.raises(CardError) as exc:
        term.bac(profile.mrz_info)
    assert exc.value.sw == 0x6300
    with pytest.raises(CardError):
        EmrtdReader(InProcessTransport(card)).authenticate(mrz_information=profile.mrz_info)
    # The data itself is the holder's: only the keys are wrong.
    assert lds.parse_dg1(card.files.dgs[1])["document_number"] == profile.document_number


@pytest.mark.parametrize("dg", [13, 1])
def test_altered_dg_breaks_its_hash_only(make_card, pki, profile, sod_problems, dg):
    card = make_card(fault=f"altered_dg:{dg}")
    assert sod_problems(card) == [f"DG{dg} hash mismatch"]
    result = passive_auth(card, pki)
    assert not result["ok"] and result["checks"]["dg_hashes"] is False
    assert result["checks"]["sod_signature"] is True
    if dg == 13:
        assert lds.parse_dg13(card.files.dgs[13])["full_name"] != profile.full_name
    else:
        assert lds.parse_dg1(card.files.dgs[1])["check_digits_ok"]  # still a valid-looking MRZ
    # Access control is unaffected: the reader gets the altered file.
    term = Terminal(InProcessTransport(card))
    term.bac(profile.mrz_info)
    assert term.read_file(0x0100 + dg) == card.files.dgs[dg]


def test_unknown_csca(make_card, pki, sod_problems):
    card = make_card(fault="unknown_csca")
    assert sod_problems(card) == ["DS certificate not issued by the trusted CSCA"]
    result = passive_auth(card, pki)
    assert not result["ok"] and result["checks"]["dg_hashes"] is True


def test_expired_ds(make_card, pki, sod_problems):
    card = make_card(fault="expired_ds")
    assert sod_problems(card) == ["DS certificate expired"]
    result = passive_auth(card, pki)
    assert not result["ok"] and result["checks"]["ds_validity"] is False


@pytest.mark.parametrize("aa_kind", ["ec256", "rsa1024"])
def test_cloned_chip_fails_active_authentication(make_card, pki, profile, sod_problems, aa_kind):
    card = make_card(fault="cloned", aa_kind=aa_kind)
    assert sod_problems(card) == []  # the copied data is genuine
    term = Terminal(InProcessTransport(card))
    term.bac(profile.mrz_info)
    challenge = os.urandom(8)
    sig = term.send(CommandAPDU(0x00, 0x88, 0x00, 0x00, challenge, le=256)).check().data
    assert sig  # it answers, like a clone would ...
    assert not verify_active_auth(card.files.dgs[15], challenge, sig, card.files.dgs[14])  # ... wrongly
    genuine = make_card(aa_kind=aa_kind)
    gt = Terminal(InProcessTransport(genuine))
    gt.bac(profile.mrz_info)
    gsig = gt.send(CommandAPDU(0x00, 0x88, 0x00, 0x00, challenge, le=256)).check().data
    assert verify_active_auth(genuine.files.dgs[15], challenge, gsig, genuine.files.dgs[14])


def test_removed_mid_read(make_card, profile):
    card = make_card(fault="removed_mid_read:3")
    t = InProcessTransport(card)
    term = Terminal(t)
    term.bac(profile.mrz_info)  # authentication does not count
    term.send(select_ef(0x0102)).check()
    for i in range(3):
        term.send(read(i * 16, 16)).check()
    with pytest.raises(CardRemoved):
        term.send(read(48, 16))
    with pytest.raises(CardRemoved):  # and it stays gone, whatever is sent
        t.transmit(SELECT_APP.encode())
    assert card.removed
    card.insert()  # put back: a fresh card, the count starts again
    term.sm = None
    term.bac(profile.mrz_info)


def test_removed_mid_read_through_the_emrtd_reader(make_card, profile):
    card = make_card(fault="removed_mid_read")
    reader = EmrtdReader(InProcessTransport(card))
    reader.authenticate(mrz_information=profile.mrz_info)
    with pytest.raises(CardRemoved):
        reader.read_file("DG2")


def test_slow_adds_latency_per_apdu(make_card):
    slept: list[float] = []
    card = make_card(fault="slow:150", sleep=slept.append)
    t = InProcessTransport(card)
    for _ in range(4):
        t.transmit(SELECT_APP.encode())
    assert slept == [0.15] * 4
    explicit = make_card(latency_ms=20, sleep=slept.append)
    InProcessTransport(explicit).transmit(SELECT_APP.encode())
    assert slept[-1] == 0.02


def test_slow_really_waits(make_card):
    card = make_card(latency_ms=15)
    t = InProcessTransport(card)
    start = time.perf_counter()
    for _ in range(4):
        t.transmit(SELECT_APP.encode())
    assert time.perf_counter() - start >= 0.06


@pytest.mark.parametrize("dg", [13, 1])
def test_malformed_tlv(make_card, pki, profile, dg):
    card = make_card(fault=f"malformed_tlv:{dg}")
    served = card.files.dgs[dg]
    assert len(served) == len(make_card().files.dgs[dg])  # same size, only the length lies
    from kiosk_client.emrtd.tlv import TlvError, decode_header, decode_single

    _, length, hdr = decode_header(served)
    assert length > len(served) - hdr
    with pytest.raises(TlvError):
        decode_single(served)
    # The SOD hashes what is served: the fault is in the TLV, not in the signature.
    assert passive_auth(card, pki)["ok"]
    reader = EmrtdReader(InProcessTransport(card))
    reader.authenticate(mrz_information=profile.mrz_info)
    with pytest.raises(CardError) as exc:
        reader.read_file(f"DG{dg}")  # reads past the real end: 6B00
    assert exc.value.sw == 0x6B00
