"""The virtual CCCD over the in-process transport: file system, status words, BAC, PACE, SM, AA."""

from __future__ import annotations

import hashlib
import os

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils
from simterm import SELECT_APP, Terminal, read, select_ef

from kiosk_client.emrtd import bac, crypto, pace
from kiosk_client.emrtd.active_auth import verify_active_auth
from kiosk_client.emrtd.apdu import CommandAPDU, ResponseAPDU
from kiosk_client.emrtd.sm import SecureMessaging
from kiosk_client.emrtd.tlv import decode_single
from kiosk_client.simulator.card import AID_EMRTD, ATR
from kiosk_client.simulator.inprocess import InProcessTransport


@pytest.fixture
def card(make_card):
    return make_card()


@pytest.fixture
def term(card):
    return Terminal(InProcessTransport(card))


def test_atr_is_well_formed(card):
    assert card.atr == ATR and ATR[0] == 0x3B
    tck = 0
    for b in ATR[1:]:
        tck ^= b
    assert tck == 0  # TCK makes the XOR of T0..TCK zero


def test_select_and_card_access_before_any_authentication(term, card):
    assert term.send(select_ef(0x011C)).sw == 0x9000
    data = term.send(read(0, 256)).check().data
    assert data == card.files.mf[0x011C]
    assert term.send(SELECT_APP).sw == 0x9000


def test_data_groups_need_access(term):
    term.send(SELECT_APP).check()
    assert term.send(select_ef(0x0101)).sw == 0x9000  # selecting is allowed ...
    assert term.send(read(0, 4)).sw == 0x6982  # ... reading is not
    assert term.send(CommandAPDU(0x00, 0xB0, 0x81, 0x00, le=4)).sw == 0x6982  # nor by short EF id
    assert term.send(CommandAPDU(0x00, 0x88, 0x00, 0x00, os.urandom(8), le=256)).sw == 0x6982


def test_status_words(term):
    assert term.send(select_ef(0x0101)).sw == 0x6A82  # DG1 lives in the application
    assert term.send(CommandAPDU(0x00, 0xA4, 0x04, 0x0C, bytes.fromhex("A0000002471002"))).sw == 0x6A82
    assert term.send(CommandAPDU(0x00, 0xCA, 0x00, 0x00, le=256)).sw == 0x6D00
    assert term.send(CommandAPDU(0x80, 0xA4, 0x04, 0x0C, AID_EMRTD)).sw == 0x6E00
    assert term.send(CommandAPDU(0x00, 0x84, 0x00, 0x00, le=4)).sw == 0x6700
    assert term.send(CommandAPDU(0x00, 0xA4, 0x02, 0x0C, b"\x01")).sw == 0x6700
    assert term.send(read(0, 4)).sw == 0x6986  # no current EF
    term.send(select_ef(0x011C)).check()
    assert term.send(read(0x7000, 4)).sw == 0x6B00
    assert ResponseAPDU.decode(term.t.transmit(b"\x00\xb0")).sw == 0x6700  # truncated APDU


def test_select_with_fcp(term, card):
    r = term.send(CommandAPDU(0x00, 0xA4, 0x02, 0x04, b"\x01\x1c", le=256)).check()
    fcp = decode_single(r.data)
    assert fcp.tag == 0x62
    assert int.from_bytes(fcp.require(0x80).value, "big") == len(card.files.mf[0x011C])


def test_bac_by_hand_with_emrtd_primitives(term, card, profile):
    """Mutual authentication computed step by step from the crypto primitives."""
    term.send(SELECT_APP).check()
    rnd_ic = term.send(CommandAPDU(0x00, 0x84, 0x00, 0x00, le=8)).check().data
    seed = hashlib.sha1(profile.mrz_info.encode()).digest()[:16]
    k_enc, k_mac = crypto.kdf(seed, 1, "3DES"), crypto.kdf(seed, 2, "3DES")
    rnd_ifd, k_ifd = os.urandom(8), os.urandom(16)
    e_ifd = crypto.des3_encrypt(k_enc, rnd_ifd + rnd_ic + k_ifd)
    resp = term.send(CommandAPDU(0x00, 0x82, 0x00, 0x00, e_ifd + crypto.retail_mac(k_mac, e_ifd), le=40)).check()
    e_ic, m_ic = resp.data[:32], resp.data[32:]
    assert crypto.retail_mac(k_mac, e_ic) == m_ic
    r = crypto.des3_decrypt(k_enc, e_ic)
    assert r[:8] == rnd_ic and r[8:16] == rnd_ifd
    ks = bytes(a ^ b for a, b in zip(k_ifd, r[16:32]))
    term.sm = SecureMessaging(crypto.kdf(ks, 1), crypto.kdf(ks, 2), rnd_ic[4:] + rnd_ifd[4:], "3DES")
    assert term.read_file(0x0101) == card.files.dgs[1]


def test_bac_wrong_mrz_fails_with_6300(term, profile):
    term.send(SELECT_APP).check()
    wrong = profile.mrz_info[:-1] + str((int(profile.mrz_info[-1]) + 1) % 10)
    with pytest.raises(Exception) as info:
        bac.perform_bac(term.plain, wrong)
    assert getattr(info.value, "sw", None) == 0x6300


@pytest.mark.parametrize("chunk", [1, 0x20, 0xDF, 0xFF])
def test_read_every_file_in_chunks(term, card, profile, chunk):
    term.bac(profile.mrz_info)
    fids = [0x011E, 0x0101, 0x010D, 0x010E, 0x010F, 0x011D] + ([0x0102] if chunk >= 0x20 else [])
    for fid in fids:
        assert term.read_file(fid, chunk) == card.files.app[fid]


def test_read_past_end_and_le_semantics(term, card, profile):
    term.bac(profile.mrz_info)
    term.send(select_ef(0x0101)).check()
    size = len(card.files.dgs[1])
    short = term.send(read(size - 3, 10))
    assert short.sw == 0x6282 and short.data == card.files.dgs[1][-3:]  # end of file before Le
    assert term.send(read(size - 3, 256)).sw == 0x9000  # Le 00 means "all there is"
    assert term.send(read(size, 1)).sw == 0x6B00


def test_read_binary_short_ef_id_and_odd_ins(term, card, profile):
    term.pace(profile.can, pace.PWD_CAN)
    r = term.send(CommandAPDU(0x00, 0xB0, 0x80 | 0x0D, 0x00, le=16)).check()  # SFI 0D = DG13
    assert r.data == card.files.dgs[13][:16]
    # B1: offset in DO54, data in DO53; here with the FID in P1-P2.
    r = term.send(CommandAPDU(0x00, 0xB1, 0x01, 0x02, bytes.fromhex("5402") + (300).to_bytes(2, "big"), le=64))
    r.check()
    assert decode_single(r.data).value == card.files.dgs[2][300:364]


def test_odd_ins_reaches_offsets_past_32767(make_card, profile):
    card = make_card(photo_bytes=40_000)
    term = Terminal(InProcessTransport(card))
    term.bac(profile.mrz_info)
    dg2 = card.files.dgs[2]
    assert len(dg2) > 32768
    term.send(select_ef(0x0102)).check()
    offset = 33000
    r = term.send(CommandAPDU(0x00, 0xB1, 0x00, 0x00, b"\x54\x03" + offset.to_bytes(3, "big"), le=100)).check()
    assert decode_single(r.data).value == dg2[offset:offset + 100]


@pytest.mark.parametrize("curve", ["brainpoolP256r1", "P-256"])
@pytest.mark.parametrize("password", ["mrz", "can"])
def test_pace(make_card, profile, curve, password):
    card = make_card(pace_curve=curve)
    term = Terminal(InProcessTransport(card))
    if password == "mrz":
        term.pace(profile.mrz_info, pace.PWD_MRZ)
    else:
        term.pace(profile.can, pace.PWD_CAN)
    assert term.sm.cipher == "AES"
    assert term.read_file(0x0101) == card.files.dgs[1]


def test_pace_wrong_can_is_6300(term):
    term.plain(select_ef(0x011C)).check()
    info = pace.choose_pace_info(pace.pace_infos(term.plain(read(0, 256)).data))
    with pytest.raises(Exception) as exc:
        pace.perform_pace(term.plain, info, "999999", pace.PWD_CAN)
    assert getattr(exc.value, "sw", None) == 0x6300


def test_mse_rejects_unknown_password_and_oid(term):
    oid = bytes.fromhex("800a04007f00070202040202")  # DO80 holds the OID value
    assert term.send(CommandAPDU(0x00, 0x22, 0xC1, 0xA4, oid + b"\x83\x01\x03")).sw == 0x6A88  # PIN
    bad_oid = bytes.fromhex("800a04007f00070202040101")
    assert term.send(CommandAPDU(0x00, 0x22, 0xC1, 0xA4, bad_oid + b"\x83\x01\x01")).sw == 0x6A80
    assert term.send(CommandAPDU(0x10, 0x86, 0x00, 0x00, b"\x7c\x00", le=256)).sw == 0x6985


def test_access_modes(make_card, profile):
    bac_only = Terminal(InProcessTransport(make_card(access="bac")))
    assert bac_only.send(select_ef(0x011C)).sw == 0x6A82  # no EF.CardAccess without PACE
    assert bac_only.send(CommandAPDU(0x00, 0x22, 0xC1, 0xA4, b"\x80\x00")).sw == 0x6D00
    bac_only.bac(profile.mrz_info)

    pace_only = Terminal(InProcessTransport(make_card(access="pace")))
    pace_only.send(SELECT_APP).check()
    with pytest.raises(Exception) as exc:
        bac.perform_bac(pace_only.plain, profile.mrz_info)
    assert getattr(exc.value, "sw", None) == 0x6D00
    pace_only.pace(profile.mrz_info, pace.PWD_MRZ)


def test_wrong_mac_gives_6988_and_drops_the_session(term, profile):
    term.bac(profile.mrz_info)
    cmd = term.sm.protect_command(select_ef(0x0101)).encode()
    tampered = cmd[:-2] + bytes((cmd[-2] ^ 0xFF,)) + cmd[-1:]  # last MAC byte (before Le)
    assert ResponseAPDU.decode(term.t.transmit(tampered)).sw == 0x6988
    # The old keys are dead: even a correctly protected command is refused now.
    assert term.send(select_ef(0x0101)).sw == 0x6987
    term.sm = None
    assert term.send(read(0, 4)).sw in (0x6982, 0x6986)


def test_replayed_command_fails_on_ssc(term, profile):
    term.bac(profile.mrz_info)
    cmd = term.sm.protect_command(select_ef(0x0101))
    term.sm.unprotect_response(term.t.transmit(cmd.encode()))
    assert ResponseAPDU.decode(term.t.transmit(cmd.encode())).sw == 0x6988


def test_plain_command_ends_the_session(term, profile):
    term.bac(profile.mrz_info)
    term.send(select_ef(0x0101)).check()
    assert term.plain(read(0, 4)).sw in (0x6982, 0x6986)
    # A fresh BAC works afterwards: the terminal can always start over.
    term.sm = None
    term.bac(profile.mrz_info)


def test_errors_inside_sm_are_protected(term, profile):
    term.bac(profile.mrz_info)
    resp = term.sm.protect_command(select_ef(0x0110))  # DG16 does not exist
    raw = term.t.transmit(resp.encode())
    assert raw[:1] == b"\x99"  # DO99 + DO8E, not a bare status word
    assert term.sm.unprotect_response(raw).sw == 0x6A82


def test_active_authentication_ecdsa(term, card, profile):
    term.bac(profile.mrz_info)
    challenge = os.urandom(8)
    sig = term.send(CommandAPDU(0x00, 0x88, 0x00, 0x00, challenge, le=256)).check().data
    pub = serialization.load_der_public_key(decode_single(card.files.dgs[15]).value)
    assert isinstance(pub, ec.EllipticCurvePublicKey) and len(sig) == 64
    der = utils.encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big"))
    pub.verify(der, challenge, ec.ECDSA(hashes.SHA256()))


@pytest.mark.parametrize("kind", ["rsa1024", "rsa2048"])
def test_active_authentication_rsa_iso9796_2(make_card, profile, kind):
    card = make_card(aa_kind=kind)
    term = Terminal(InProcessTransport(card))
    term.bac(profile.mrz_info)
    challenge = os.urandom(8)
    sig = term.send(CommandAPDU(0x00, 0x88, 0x00, 0x00, challenge, le=256)).check().data
    pub = serialization.load_der_public_key(decode_single(card.files.dgs[15]).value).public_numbers()
    f = pow(int.from_bytes(sig, "big"), pub.e, pub.n)
    if f & 0xFF != 0xBC:  # ISO 9796-2 lets the signer send min(s, n - s)
        f = pub.n - f
    f = f.to_bytes(len(sig), "big")
    assert f[0] == 0x6A and f[-1] == 0xBC  # SHA-1, implicit trailer
    m1, digest = f[1:-21], f[-21:-1]
    assert hashlib.sha1(m1 + challenge).digest() == digest
    assert verify_active_auth(card.files.dgs[15], challenge, sig)


def test_power_cycle_forgets_the_session(term, card, profile):
    term.bac(profile.mrz_info)
    card.reset()
    assert term.send(select_ef(0x0101)).sw == 0x6987


def test_transport_log(card):
    t = InProcessTransport(card, log=True)
    t.transmit(SELECT_APP.encode())
    assert t.log == [(SELECT_APP.encode(), b"\x90\x00")]
    assert t.atr == card.atr
