"""EmrtdReader against the minimal in-memory fake card of emrtd_testkit."""
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from emrtd_testkit import FakeCard

from kiosk_client.emrtd import lds, lds_build
from kiosk_client.emrtd.active_auth import verify_active_auth
from kiosk_client.emrtd.apdu import CardError
from kiosk_client.emrtd.mrz import build_td1, mrz_info
from kiosk_client.emrtd.reader import EmrtdReader, ReaderError
from kiosk_client.emrtd.tlv import tlv

H = bytes.fromhex
MRZ_TEXT = build_td1("079123456", "900215", "M", "350215", "NGUYEN", "VAN AN", optional_data_1="079090123456")
MRZ_INFO = mrz_info("079123456", "900215", "350215")
CARD_ACCESS = H("31143012060A04007F0007020204020202010202010D")  # PACE ECDH-GM AES-128, brainpoolP256r1
JPEG = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 40 + b"\xff\xd9"  # > 10 kB: many chunks


def _files(big: bytes | None = None, aa_key=None):
    dg13 = lds_build.build_dg13({"id_number": "079090123456", "full_name": "Nguyễn Văn An",
                                 "date_of_birth": "15/02/1990"}, "Nguyễn Văn B", "Trần Thị C")
    files = {
        0x011E: lds_build.build_ef_com([1, 2, 13, 15]),
        0x0101: lds_build.build_dg1(MRZ_TEXT),
        0x0102: big or lds_build.build_dg2(JPEG),
        0x010D: dg13,
        0x011D: tlv(0x77, b"\x30\x00"),
    }
    if aa_key is not None:
        from cryptography.hazmat.primitives import serialization

        files[0x010F] = lds_build.build_dg15(aa_key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo))
    return files


def _le_of_reads(card):
    """Le of READ BINARY by file offset (SFI reads of the MF before SM excluded)."""
    return [c.le for c in card.log if c.ins == 0xB1 or (c.ins == 0xB0 and not c.p1 & 0x80)]


def test_bac_card_reads_everything():
    card = FakeCard(_files(), MRZ_INFO)
    r = EmrtdReader(card)
    assert r.authenticate(MRZ_INFO) == "BAC"
    assert r.card_access is None and r.pace_error is None
    com = lds.parse_ef_com(r.read_file("EF.COM"))
    assert com["data_groups"] == [1, 2, 13, 15]
    dg1 = lds.parse_dg1(r.read_file(0x0101))
    assert dg1["document_number"] == "079123456" and dg1["optional_data"] == "079090123456"
    face = lds.parse_dg2(r.read_file("DG2"))[0]
    assert face.data == JPEG and face.format == "JPEG"
    dg13 = lds.parse_dg13(r.read_file("DG13"))
    assert dg13["full_name"] == "Nguyễn Văn An" and dg13["mother_name"] == "Trần Thị C"
    assert r.read_file_optional("DG14") is None
    # chunking rule under SM: never more than 0xDF per READ BINARY
    assert max(_le_of_reads(card)) <= 0xDF
    assert r.stats.apdus == len(card.log) and r.stats.apdus > 50
    assert r.stats.timings["BAC"] >= 0 and r.stats.apdus_per_step["BAC"] == 2
    assert r.stats.apdus_per_step["read DG2"] == 1 + -(-len(card.files[0x0102]) // 0xDF)


def test_pace_card():
    card = FakeCard(_files(), MRZ_INFO, card_access=CARD_ACCESS)
    r = EmrtdReader(card)
    assert r.authenticate(MRZ_INFO) == "PACE"
    assert r.sm.cipher == "AES" and r.stats.apdus_per_step["PACE"] == 5
    assert lds.parse_dg1(r.read_file("DG1"))["name"] == "NGUYEN VAN AN"
    assert lds.parse_dg2(r.read_file("DG2"))[0].data == JPEG


def test_pace_with_can():
    card = FakeCard(_files(), MRZ_INFO, card_access=CARD_ACCESS, pace_password="123456")
    r = EmrtdReader(card)
    assert r.authenticate(can="123456") == "PACE"
    assert r.read_file("EF.COM").startswith(b"\x60")


def test_pace_failure_falls_back_to_bac():
    card = FakeCard(_files(), MRZ_INFO, card_access=CARD_ACCESS, break_pace=True)
    r = EmrtdReader(card)
    assert r.authenticate(MRZ_INFO) == "BAC"
    assert r.pace_error and "6985" in r.pace_error
    assert r.read_file("DG1").startswith(b"\x61")


def test_wrong_mrz():
    card = FakeCard(_files(), MRZ_INFO)
    with pytest.raises(CardError):
        EmrtdReader(card).authenticate(mrz_info("079123456", "900215", "350216"))
    card = FakeCard(_files(), MRZ_INFO, card_access=CARD_ACCESS)
    r = EmrtdReader(card)
    with pytest.raises(CardError):  # PACE fails (6300), BAC with the same wrong MRZ fails too
        r.authenticate(mrz_info("079123456", "900215", "350216"))
    assert r.pace_error


def test_needs_a_password():
    with pytest.raises(ValueError):
        EmrtdReader(FakeCard({}, MRZ_INFO)).authenticate()


def test_large_file_uses_odd_ins_read_binary():
    big = tlv(0x75, b"\xab" * 40000)  # offsets beyond 0x7FFF need READ BINARY B1 with DO54
    card = FakeCard(_files(big=big), MRZ_INFO, card_access=CARD_ACCESS)
    r = EmrtdReader(card)
    r.authenticate(MRZ_INFO)
    assert r.read_file("DG2") == big
    b1 = [c for c in card.log if c.ins == 0xB1]
    assert b1 and all(c.data[0] == 0x54 for c in b1)
    assert max(c.p1 << 8 | c.p2 for c in card.log if c.ins == 0xB0 and not c.p1 & 0x80) <= 0x7FFF


def test_extended_length_from_atr_info():
    atr_info = tlv(0x7F66, tlv(0x02, b"\x04\x00") + tlv(0x02, b"\x08\x00"))  # max response 2048
    big = tlv(0x75, b"\xcd" * 9000)
    card = FakeCard(_files(big=big), MRZ_INFO, atr_info=atr_info)
    r = EmrtdReader(card)
    r.authenticate(MRZ_INFO)
    assert r.extended_length and r.max_response == 2048
    assert r.read_file("DG2") == big
    assert max(_le_of_reads(card)) > 0xDF
    assert r.stats.apdus_per_step["read DG2"] <= 7


def test_end_of_file_status_accepted():
    card = FakeCard(_files(), MRZ_INFO, short_read_sw=0x6282)
    r = EmrtdReader(card)
    r.authenticate(MRZ_INFO)
    assert lds.parse_ef_com(r.read_file("EF.COM"))["lds_version"] == "0107"


def test_active_authentication_roundtrip():
    key = ec.generate_private_key(ec.BrainpoolP256R1())
    card = FakeCard(_files(aa_key=key), MRZ_INFO, card_access=CARD_ACCESS, aa_key=key)
    r = EmrtdReader(card)
    r.authenticate(MRZ_INFO)
    challenge = bytes(range(8))
    sig = r.internal_authenticate(challenge)
    dg15 = r.read_file("DG15")
    assert verify_active_auth(dg15, challenge, sig)
    assert not verify_active_auth(dg15, bytes(8), sig)
    with pytest.raises(ValueError):
        r.internal_authenticate(b"short")


def test_sm_error_is_reported():
    card = FakeCard(_files(), MRZ_INFO)
    r = EmrtdReader(card)
    r.authenticate(MRZ_INFO)
    r.sm.ssc += 5  # desynchronise: the card rejects the MAC and drops SM
    with pytest.raises(ReaderError):
        r.read_file("DG1")
    assert r.sm is None


def test_read_files_helper():
    card = FakeCard(_files(), MRZ_INFO)
    r = EmrtdReader(card)
    r.authenticate(MRZ_INFO)
    out = r.read_files(["EF.COM", "DG1", "DG14", "EF.SOD"])
    assert out["DG14"] is None and out["EF.SOD"] == tlv(0x77, b"\x30\x00")


@pytest.mark.parametrize("suffix,curve", [(2, ec.BrainpoolP256R1()), (1, ec.SECP256R1()), (4, ec.SECP384R1())])
def test_chip_authentication(suffix, curve):
    from kiosk_client.emrtd import chip_auth

    key = ec.generate_private_key(curve)
    infos = chip_auth.chip_auth_security_infos(key.public_key(), suffix)
    if suffix == 1:  # 3DES: DG14 may carry only the public key info
        infos = infos[infos.index(b"\x30", 2):]
    dg14 = lds_build.build_dg14(tlv(0x31, infos))
    files = _files()
    files[0x010E] = dg14
    card = FakeCard(files, MRZ_INFO, card_access=CARD_ACCESS, ca_key=key,
                    ca_oid=f"{chip_auth.ID_CA_ECDH}.{suffix}")
    r = EmrtdReader(card)
    r.authenticate(MRZ_INFO)
    old = r.sm
    opts = chip_auth.chip_auth_options(r.read_file("DG14"))
    assert opts[0].cipher == ("3DES" if suffix == 1 else "AES")
    assert r.chip_authenticate(dg14) and r.chip_authenticated
    assert r.sm is not old and r.sm.ssc == 2  # fresh session (SSC 0) + the verifying SELECT
    assert card.sm.ks_enc == r.sm.ks_enc != old.ks_enc
    assert lds.parse_dg1(r.read_file("DG1"))["document_number"] == "079123456"


def test_chip_authentication_wrong_key_fails():
    from kiosk_client.emrtd import chip_auth

    key, other = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    dg14 = lds_build.build_dg14(tlv(0x31, chip_auth.chip_auth_security_infos(other.public_key())))
    card = FakeCard(_files(), MRZ_INFO, ca_key=key, ca_oid=f"{chip_auth.ID_CA_ECDH}.2")
    r = EmrtdReader(card)
    r.authenticate(MRZ_INFO)
    assert not r.chip_authenticate(dg14) and not r.chip_authenticated
    assert not r.chip_authenticate(lds_build.build_dg14(b"\x31\x00"))
