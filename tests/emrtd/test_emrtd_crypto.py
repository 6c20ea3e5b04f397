"""Crypto primitives and secure messaging, ICAO 9303-11 Appendix D values."""
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk_client.emrtd import crypto
from kiosk_client.emrtd.apdu import ApduError, CommandAPDU, ResponseAPDU
from kiosk_client.emrtd.crypto import CryptoError
from kiosk_client.emrtd.sm import SecureMessaging, SMError

H = bytes.fromhex


def test_pad_unpad():
    assert crypto.pad(H("011E")) == H("011E800000000000")
    assert crypto.pad(b"\x00" * 8) == b"\x00" * 8 + H("8000000000000000")
    assert len(crypto.pad(b"a" * 15, 16)) == 16
    assert crypto.unpad(H("011E800000000000")) == H("011E")
    for bad in (b"", b"\x00" * 8, H("0102030400000000")):
        with pytest.raises(CryptoError):
            crypto.unpad(bad)


def test_kdf_appendix_d():
    seed = H("239AB9CB282DAF66231DC5A4DF6BFBAE")
    assert crypto.kdf(seed, 1, "3DES") == H("AB94FDECF2674FDFB9B391F85D7F76F2")
    assert crypto.kdf(seed, 2, "3DES") == H("7962D9ECE03D1ACD4C76089DCE131543")
    kseed = H("0036D272F5C350ACAC50C3F572D23600")
    assert crypto.kdf(kseed, crypto.KDF_ENC) == H("979EC13B1CBFE9DCD01AB0FED307EAE5")
    assert crypto.kdf(kseed, crypto.KDF_MAC) == H("F1CB1F1FB5ADF208806B89DC579DC1F8")
    assert len(crypto.kdf(kseed, 1, "AES128")) == 16
    assert len(crypto.kdf(kseed, 1, "AES192")) == 24
    assert len(crypto.kdf(kseed, 1, "AES256")) == 32
    with pytest.raises(CryptoError):
        crypto.kdf(kseed, 1, "RC4")


def test_retail_mac_appendix_d():
    # EXTERNAL AUTHENTICATE cryptogram of 9303-11 D.3.
    kmac = H("7962D9ECE03D1ACD4C76089DCE131543")
    eifd = H("72C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F2")
    assert crypto.retail_mac(kmac, eifd) == H("5F1448EEA8AD90A7")


def test_3des_appendix_d():
    kenc = H("AB94FDECF2674FDFB9B391F85D7F76F2")
    s = H("781723860C06C226" "4608F91988702212" "0B795240CB7049B01C19B33E32804F0B")
    e = crypto.des3_encrypt(kenc, s)
    assert e == H("72C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F2")
    assert crypto.des3_decrypt(kenc, e) == s
    with pytest.raises(CryptoError):
        crypto.des3_encrypt(kenc, b"123")


def test_aes_cmac_rfc4493():
    key = H("2b7e151628aed2a6abf7158809cf4f3c")
    msg = H("6bc1bee22e409f96e93d7e117393172a")
    assert crypto.aes_cmac(key, msg) == H("070a16b46b4d4144f79bdd9dd04a287c")
    assert crypto.aes_cmac(key, msg, 8) == H("070a16b46b4d4144")
    iv = H("000102030405060708090a0b0c0d0e0f")
    ct = crypto.aes_cbc_encrypt(key, msg, iv)
    assert ct == H("7649abac8119b246cee98e9b12e9197d")
    assert crypto.aes_cbc_decrypt(key, ct, iv) == msg


def _bac_sm():
    return SecureMessaging(H("979EC13B1CBFE9DCD01AB0FED307EAE5"), H("F1CB1F1FB5ADF208806B89DC579DC1F8"),
                           H("887022120C06C226"), "3DES")


def test_sm_appendix_d4_terminal():
    sm = _bac_sm()
    p = sm.protect_command(CommandAPDU.decode(H("00A4020C02011E")))
    assert p.encode() == H("0CA4020C158709016375432908C044F68E08BF8B92D635FF24F800")
    assert sm.ssc_bytes == H("887022120C06C227")
    r = sm.unprotect_response(H("990290008E08FA855A5D4C50A8ED9000"))
    assert r.ok and r.data == b""

    p = sm.protect_command(CommandAPDU(0, 0xB0, 0, 0, le=4))
    assert p.encode() == H("0CB000000D9701048E08ED6705417E96BA5500")
    r = sm.unprotect_response(H("8709019FF0EC34F9922651990290008E08AD55CC17140B2DED9000"))
    assert r.data == H("60145F01")

    p = sm.protect_command(CommandAPDU(0, 0xB0, 0, 4, le=0x12))
    assert p.encode() == H("0CB000040D9701128E082EA28A70F3C7B53500")
    r = sm.unprotect_response(
        H("871901FB9235F4E4037F2327DCC8964F1F9B8C30F42C8E2FFF224A990290008E08C8B2787EAEA07D749000"))
    assert r.data == H("04303130365F36063034303030305C026175")
    assert sm.ssc_bytes == H("887022120C06C22C")


def test_sm_appendix_d4_card_side():
    card = _bac_sm()
    cmd = card.unprotect_command(H("0CA4020C158709016375432908C044F68E08BF8B92D635FF24F800"))
    assert cmd.encode() == H("00A4020C02011E")
    assert card.protect_response(ResponseAPDU()).encode() == H("990290008E08FA855A5D4C50A8ED9000")
    cmd = card.unprotect_command(H("0CB000000D9701048E08ED6705417E96BA5500"))
    assert (cmd.ins, cmd.le) == (0xB0, 4)
    assert card.protect_response(ResponseAPDU(H("60145F01"))).encode() == H(
        "8709019FF0EC34F9922651990290008E08AD55CC17140B2DED9000")


def test_sm_bad_mac_and_missing_do():
    sm = _bac_sm()
    sm.protect_command(CommandAPDU.decode(H("00A4020C02011E")))
    with pytest.raises(SMError):
        sm.unprotect_response(H("990290008E08FA855A5D4C50A8EE9000"))
    with pytest.raises(SMError):
        sm.unprotect_response(H("9000"))
    with pytest.raises(SMError):
        sm.unprotect_response(H("99029000" "9000"))
    with pytest.raises(SMError):
        sm.unprotect_response(H("99029000 8E08".replace(" ", "")) + b"\x00" * 3 + H("9000"))
    # A plain error status word passes through (card dropped SM, 9303-11 sec. 9.8.7).
    assert sm.unprotect_response(H("6987")).sw == 0x6987
    card = _bac_sm()
    with pytest.raises(SMError):
        card.unprotect_command(H("00A4020C02011E"))


@pytest.mark.parametrize("cipher,klen", [("3DES", 16), ("AES", 16), ("AES", 24), ("AES", 32)])
@pytest.mark.parametrize("plain_len", [0, 1, 15, 16, 223, 300])
def test_sm_roundtrip(cipher, klen, plain_len):
    kenc, kmac = bytes(range(klen)), bytes(range(100, 100 + klen))
    if cipher == "3DES":
        kenc, kmac = crypto.adjust_parity(kenc), crypto.adjust_parity(kmac)
    term = SecureMessaging(kenc, kmac, 0, cipher)
    card = SecureMessaging(kenc, kmac, 0, cipher)
    data = bytes(i % 251 for i in range(plain_len))
    for cmd in (CommandAPDU(0, 0xD6, 0, 0, data) if data else CommandAPDU(0, 0x84, 0, 0, le=8),
                CommandAPDU(0, 0xB0, 0x7F, 0xFF, le=0xDF),
                CommandAPDU(0, 0xB1, 0, 0, bytes.fromhex("54028000"), le=65536, extended=True),
                CommandAPDU(0, 0xA4, 2, 0x0C, b"\x01\x1e")):
        prot = term.protect_command(cmd)
        got = card.unprotect_command(CommandAPDU.decode(prot.encode()))
        assert (got.cla, got.ins, got.p1, got.p2, got.data, got.le) == (
            cmd.cla, cmd.ins, cmd.p1, cmd.p2, cmd.data, cmd.le)
        resp = card.protect_response(ResponseAPDU(data, 0x62, 0x82), odd_ins=bool(cmd.ins & 1))
        back = term.unprotect_response(ResponseAPDU.decode(resp.encode()))
        assert back.data == data and back.sw == 0x6282
    assert term.ssc == card.ssc == 8


def test_sm_aes_ssc_width_and_iv():
    sm = SecureMessaging(b"\x01" * 16, b"\x02" * 16, 0, "AES")
    assert sm.ssc_bytes == b"\x00" * 16
    sm.protect_command(CommandAPDU(0, 0xB0, 0, 0, le=4))
    assert sm.ssc_bytes == b"\x00" * 15 + b"\x01"
    # IV = E(KSenc, SSC): same plaintext under different SSC yields different cryptograms.
    a = sm.encrypt(b"abc")
    sm.ssc += 1
    assert sm.encrypt(b"abc") != a


def test_reexport():
    from kiosk_client.emrtd.crypto import SecureMessaging as SM2

    assert SM2 is SecureMessaging


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=120), st.sampled_from(["3DES", "AES"]))
def test_sm_fuzz_only_sm_errors(raw, cipher):
    key = bytes(range(16))
    term = SecureMessaging(key, key, 0, cipher)
    card = SecureMessaging(key, key, 0, cipher)
    for fn in (term.unprotect_response, card.unprotect_command):
        try:
            fn(raw)
        except (SMError, ApduError):
            pass
