"""Test PKI, profile, MRZ and the personalised files of the virtual CCCD."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID

from kiosk_client.emrtd import lds, pace, secinfo
from kiosk_client.emrtd.mrz import parse_td1
from kiosk_client.emrtd.tlv import decode_single
from kiosk_client.simulator import face, mrz
from kiosk_client.simulator.pki import load_cert, make_test_pki, open_test_pki
from kiosk_client.simulator.profile import PROFILES_DIR, load_profile


def test_pki_roles(pki):
    csca = load_cert(pki.csca_cert)
    ds = load_cert(pki.ds_cert)
    assert csca.subject == csca.issuer
    assert csca.subject.get_attributes_for_oid(NameOID.COUNTRY_NAME)[0].value == "VN"
    ku = csca.extensions.get_extension_for_class(x509.KeyUsage).value
    assert ku.key_cert_sign and not ku.digital_signature
    assert csca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert ds.issuer == csca.subject
    assert ds.extensions.get_extension_for_class(x509.KeyUsage).value.digital_signature
    ds.verify_directly_issued_by(csca)
    now = dt.datetime.now(dt.UTC)
    assert ds.not_valid_before_utc <= now <= ds.not_valid_after_utc


def test_pki_fault_variants(pki):
    csca = load_cert(pki.csca_cert)
    unknown_ds, _ = pki.signer("unknown_ds")
    with pytest.raises(InvalidSignature):
        unknown_ds.verify_directly_issued_by(csca)  # same names, other key
    unknown_ds.verify_directly_issued_by(load_cert(pki.unknown_csca_cert))
    expired, _ = pki.signer("expired_ds")
    expired.verify_directly_issued_by(csca)
    assert expired.not_valid_after_utc < dt.datetime.now(dt.UTC)
    cert, key = pki.signer()
    assert cert.public_key().public_numbers() == key.public_key().public_numbers()


def test_pki_ec_variant_and_open(tmp_path):
    p = make_test_pki(tmp_path / "ec", key_kind="ec")
    assert load_cert(p.ds_cert).signature_algorithm_oid.dotted_string == "1.2.840.10045.4.3.2"
    assert open_test_pki(p.dir).dir == p.dir
    with pytest.raises(FileNotFoundError):
        open_test_pki(tmp_path)


@pytest.mark.parametrize("path", sorted(PROFILES_DIR.glob("*.json")), ids=lambda p: p.stem)
def test_bundled_profiles_load_and_have_valid_mrz(path):
    p = load_profile(path)
    td1 = parse_td1("\n".join(p.mrz_lines))
    assert td1.valid
    assert td1.document_number == p.id_number[-9:]
    assert p.can == p.id_number[-6:]
    assert p.photo.is_file() and p.photo.stat().st_size < 10_000


def test_mrz_of_the_default_profile(profile):
    l1, l2, l3 = profile.mrz_lines
    assert l1 == "IDVNM0960123456001096012345<<<"
    assert l2.startswith("9603150M3603158VNM")
    assert l3 == "NGUYEN<<VAN<AN".ljust(30, "<")
    assert profile.mrz_info == "096012345" + "6" + "960315" + "0" + "360315" + "8"


def test_transliteration():
    assert mrz.transliterate("Đặng Thị Ngọc Hường") == "DANG<THI<NGOC<HUONG"
    assert mrz.name_parts("Trần Thị Ngọc Mai") == ("TRAN", "THI<NGOC<MAI")


def test_profile_validation(tmp_path):
    data = json.loads((PROFILES_DIR / "nguyen_van_an.json").read_text(encoding="utf-8"))
    for broken, message in (({"id_number": "12345"}, "12 digits"), ({"date_of_birth": "15/03/1996"}, "ISO date"),
                            ({"nickname": "An"}, "unknown")):
        f = tmp_path / "p.json"
        f.write_text(json.dumps({**data, **broken}), encoding="utf-8")
        with pytest.raises(ValueError, match=message):
            load_profile(f)


def test_dg1_dg13_and_com_parse_with_emrtd(make_card, profile):
    card = make_card()
    dg1 = lds.parse_dg1(card.files.dgs[1])
    assert dg1["check_digits_ok"] and dg1["optional_data"] == profile.id_number
    dg13 = lds.parse_dg13(card.files.dgs[13])
    assert dg13["warnings"] == []
    assert dg13["id_number"] == profile.id_number
    assert dg13["full_name"] == "Nguyễn Văn An"
    assert dg13["date_of_birth"] == "15/03/1996"
    assert dg13["place_of_residence"] == profile.place_of_residence
    assert (dg13["father_name"], dg13["mother_name"]) == ("Nguyễn Văn Bình", "Trần Thị Cúc")
    assert dg13["old_id_number"] == "012345678"
    assert lds.parse_ef_com(card.files.app[0x011E])["data_groups"] == [1, 2, 13, 14, 15]


def test_dg13_field_order_and_wrapping(make_card):
    entries = decode_single(decode_single(make_card().files.dgs[13]).value).children
    numbers = [e.children[0].value[0] for e in entries]
    assert numbers == list(range(1, 17))
    parents = entries[12].children[1:]
    assert [p.tag for p in parents] == [0x30, 0x30] and parents[0].children[0].tag == 0x0C


def test_dg2_holds_the_portrait(make_card, profile):
    card = make_card()
    faces = lds.parse_dg2(card.files.dgs[2])
    assert faces[0].data == profile.photo.read_bytes()
    assert face.decode_jpeg(faces[0].data).shape[:2] == (faces[0].height, faces[0].width)


def test_dg2_about_20_kb(make_card):
    card = make_card(photo_bytes=20_000)
    jpeg = lds.parse_dg2(card.files.dgs[2])[0].data
    assert 17_000 <= len(jpeg) <= 23_000
    face.decode_jpeg(jpeg)


@pytest.mark.parametrize("curve,pid", [("brainpoolP256r1", 13), ("P-256", 12)])
def test_card_access_and_dg14(make_card, curve, pid):
    card = make_card(pace_curve=curve)
    info = pace.choose_pace_info(pace.pace_infos(card.files.mf[0x011C]))
    assert info.parameter_id == pid and info.algorithm.cipher == "AES" and info.algorithm.key_length == 16
    infos = secinfo.parse_security_infos(card.files.dgs[14])
    assert infos.by_prefix(secinfo.ID_AA)  # ECDSA AA announced in DG14
    assert [i.parameter_id for i in pace.pace_infos(infos)] == [pid]


def test_dg15_matches_the_aa_key(make_card, pki):
    card = make_card(aa_kind="rsa1024")
    pub = serialization.load_der_public_key(decode_single(card.files.dgs[15]).value)
    assert pub.public_numbers() == pki.aa_key("rsa1024").public_key().public_numbers()
    assert not secinfo.parse_security_infos(card.files.dgs[14]).by_prefix(secinfo.ID_AA)


def test_sod_verifies_with_the_test_pki(make_card, sod_problems):
    assert sod_problems(make_card()) == []


def test_sod_covers_every_data_group(make_card):
    from asn1crypto import cms

    from kiosk_client.emrtd.sod import ID_LDS_SECURITY_OBJECT, LDSSecurityObject

    card = make_card()
    sd = cms.ContentInfo.load(decode_single(card.files.app[0x011D]).value)["content"]
    assert sd["encap_content_info"]["content_type"].dotted == ID_LDS_SECURITY_OBJECT
    so = LDSSecurityObject.load(sd["encap_content_info"]["content"].native)
    assert [e["data_group_number"].native for e in so["data_group_hash_values"]] == [1, 2, 13, 14, 15]
    assert so["hash_algorithm"]["algorithm"].native == "sha256"
    attrs = [a["type"].native for a in sd["signer_infos"][0]["signed_attrs"]]
    assert {"content_type", "message_digest"} <= set(attrs)
    assert len(sd["certificates"]) == 1


def test_sod_with_emrtd_passive_auth(make_card, pki):
    from kiosk_client.emrtd.passive_auth import verify_passive_auth

    card = make_card()
    result = verify_passive_auth(card.files.app[0x011D], card.files.dgs, pki.trust_dir)
    assert result["ok"], result["failure"]
    assert sorted(p.name for p in pki.trust_dir.iterdir()) == ["csca.pem"]
