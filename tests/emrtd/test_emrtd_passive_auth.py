"""Passive authentication against a generated CSCA / DS PKI."""
import datetime as dt

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from emrtd_testkit import NOW, make_cert, name

from kiosk_client.emrtd import lds_build, sod
from kiosk_client.emrtd.mrz import build_td1
from kiosk_client.emrtd.passive_auth import TrustStore, verify_passive_auth

DG1 = lds_build.build_dg1(build_td1("079123456", "900215", "M", "350215", "NGUYEN", "VAN AN"))
DG2 = lds_build.build_dg2(b"\xff\xd8\xff\xe0" + b"img" * 100)
DG13 = lds_build.build_dg13({"id_number": "079090123456", "full_name": "Nguyễn Văn An"})
DGS = {1: DG1, 2: DG2, 13: DG13}


def _store(*ders):
    return TrustStore.from_certificates(list(ders))


def _assert_ok(res):
    assert res["ok"], res
    assert res["failure"] is None
    assert all(v is True for v in res["checks"].values()), res["checks"]
    assert res["dg_results"] == {1: True, 2: True, 13: True}


@pytest.mark.parametrize("variant", ["rsa-pkcs1", "rsa-pss", "ecdsa"])
def test_good(pki, variant):
    if variant == "ecdsa":
        blob = sod.build_sod(DGS, pki.ec_ds_key, pki.ec_ds_der, "sha256")
        store = _store(pki.ec_csca_der, pki.csca_der)
    else:
        blob = sod.build_sod(DGS, pki.ds_key, pki.ds_der, "sha256", pss=variant == "rsa-pss")
        store = _store(pki.csca_der, pki.ec_csca_der)
    res = verify_passive_auth(blob, DGS, store)
    _assert_ok(res)
    assert res["hash_algorithm"] == "sha256"
    assert "DS" in res["ds_subject"] and "CSCA" in res["csca_subject"]


def test_sha1_and_sha512_hashes(pki):
    for alg in ("sha1", "sha512"):
        _assert_ok(verify_passive_auth(sod.build_sod(DGS, pki.ds_key, pki.ds_der, alg), DGS, _store(pki.csca_der)))


def test_trust_store_directory_pem_and_der(pki, tmp_path):
    from cryptography import x509

    pem = x509.load_der_x509_certificate(pki.csca_der).public_bytes(serialization.Encoding.PEM)
    (tmp_path / "csca.pem").write_bytes(pem + pem)
    (tmp_path / "other.der").write_bytes(pki.ec_csca_der)
    (tmp_path / "junk.crt").write_bytes(b"not a certificate")
    (tmp_path / "README.txt").write_text("ignored")
    store = TrustStore.from_directory(tmp_path)
    assert len(store.certificates) == 3 and store.warnings
    _assert_ok(verify_passive_auth(sod.build_sod(DGS, pki.ds_key, pki.ds_der), DGS, tmp_path))
    _assert_ok(verify_passive_auth(sod.build_sod(DGS, pki.ds_key, pki.ds_der), DGS, str(tmp_path)))


def test_altered_data_group(pki):
    blob = sod.build_sod(DGS, pki.ds_key, pki.ds_der)
    altered = dict(DGS)
    altered[13] = lds_build.build_dg13({"id_number": "079090123457", "full_name": "Nguyễn Văn An"})
    res = verify_passive_auth(blob, altered, _store(pki.csca_der))
    assert not res["ok"] and res["checks"]["dg_hashes"] is False
    assert res["dg_results"] == {1: True, 2: True, 13: False}
    assert "DG13" in res["failure"]
    # a data group read but absent from the SOD is a failure too
    res = verify_passive_auth(blob, {**DGS, 14: b"\x6e\x00"}, _store(pki.csca_der))
    assert not res["ok"] and res["dg_results"][14] is False


def test_unknown_csca(pki):
    blob = sod.build_sod(DGS, pki.ds_key, pki.ds_der)
    res = verify_passive_auth(blob, DGS, _store(pki.ec_csca_der))
    assert not res["ok"] and res["checks"]["csca_found"] is False
    assert res["checks"]["sod_signature"] is True  # the SOD itself is consistent
    assert "CSCA" in res["failure"]


def test_impostor_csca_same_name(pki):
    fake_key = rsa.generate_private_key(65537, 2048)
    fake = make_cert(fake_key, name("CSCA VN"), fake_key, name("CSCA VN"), ca=True)
    res = verify_passive_auth(sod.build_sod(DGS, pki.ds_key, pki.ds_der), DGS, _store(fake))
    assert not res["ok"] and res["checks"]["ds_certificate_signature"] is False


def test_expired_ds(pki):
    ds_key = rsa.generate_private_key(65537, 2048)
    ds = make_cert(ds_key, name("DS old"), pki.csca_key, name("CSCA VN"), ca=False,
                   not_before=NOW - dt.timedelta(days=800), not_after=NOW - dt.timedelta(days=1))
    res = verify_passive_auth(sod.build_sod(DGS, ds_key, ds), DGS, _store(pki.csca_der))
    assert not res["ok"] and res["checks"]["ds_validity"] is False
    assert res["checks"]["ds_certificate_signature"] is True
    # ... but valid when checked at a time inside its validity
    res = verify_passive_auth(sod.build_sod(DGS, ds_key, ds), DGS, _store(pki.csca_der),
                              at=NOW - dt.timedelta(days=10))
    assert res["ok"], res


def test_key_usage(pki):
    ds_key = rsa.generate_private_key(65537, 2048)
    ds = make_cert(ds_key, name("DS wrong KU"), pki.csca_key, name("CSCA VN"), ca=False, key_usage="cert")
    res = verify_passive_auth(sod.build_sod(DGS, ds_key, ds), DGS, _store(pki.csca_der))
    assert not res["ok"] and res["checks"]["ds_key_usage"] is False
    csca_key = rsa.generate_private_key(65537, 2048)
    csca = make_cert(csca_key, name("CSCA KU"), csca_key, name("CSCA KU"), ca=True, key_usage="sig")
    ds2 = make_cert(ds_key, name("DS 2"), csca_key, name("CSCA KU"), ca=False)
    res = verify_passive_auth(sod.build_sod(DGS, ds_key, ds2), DGS, _store(csca))
    assert not res["ok"] and res["checks"]["csca_key_usage"] is False


def test_wrong_signer_and_tampered_econtent(pki):
    other = rsa.generate_private_key(65537, 2048)
    res = verify_passive_auth(sod.build_sod(DGS, other, pki.ds_der), DGS, _store(pki.csca_der))
    assert not res["ok"] and res["checks"]["sod_signature"] is False
    good = sod.build_sod(DGS, pki.ds_key, pki.ds_der)
    lso = sod.build_lds_security_object(DGS)
    evil = sod.build_lds_security_object({**DGS, 13: b"evil"})
    assert len(lso) == len(evil)
    tampered = good.replace(lso, evil)
    res = verify_passive_auth(tampered, {**DGS, 13: b"evil"}, _store(pki.csca_der))
    assert not res["ok"] and res["checks"]["message_digest"] is False


@pytest.mark.parametrize("blob", [b"", b"\x77\x00", b"\x77\x03\x30\x01\x00", b"garbage" * 10,
                                  bytes.fromhex("7705300302010a")])
def test_garbage_sod_never_raises(pki, blob):
    res = verify_passive_auth(blob, DGS, _store(pki.csca_der))
    assert res["ok"] is False and res["checks"]["sod_parsed"] is False and res["failure"]


def test_missing_trust_dir(pki, tmp_path):
    res = verify_passive_auth(sod.build_sod(DGS, pki.ds_key, pki.ds_der), DGS, tmp_path / "nope")
    assert res["ok"] is False and "trust store" in res["failure"]


def test_truncated_sod_never_raises(pki):
    blob = sod.build_sod(DGS, pki.ds_key, pki.ds_der)
    for cut in range(0, len(blob), 97):
        res = verify_passive_auth(blob[:cut], DGS, _store(pki.csca_der))
        assert res["ok"] is False
    for i in range(20, len(blob), 131):
        mutated = bytearray(blob)
        mutated[i] ^= 0x55
        assert isinstance(verify_passive_auth(bytes(mutated), DGS, _store(pki.csca_der))["ok"], bool)


def test_named_data_group_keys(pki):
    blob = sod.build_sod(DGS, pki.ds_key, pki.ds_der)
    res = verify_passive_auth(blob, {"DG1": DG1, "DG2": DG2, "DG13": DG13, "DG14": None, "EF.COM": b"x"},
                              _store(pki.csca_der))
    assert res["ok"] and res["dg_results"] == {1: True, 2: True, 13: True}


def test_naive_verification_time_is_utc(pki):
    blob = sod.build_sod(DGS, pki.ds_key, pki.ds_der)
    naive_now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    assert verify_passive_auth(blob, DGS, _store(pki.csca_der), at=naive_now)["ok"]
