"""Simulator-only fixtures; the shared card fixtures (pki, profile, make_card, vpcd_controller,
vpcd_card) are in tests/card_fixtures.py."""

from __future__ import annotations

from pathlib import Path

import pytest


def check_sod(ef_sod: bytes, dgs: dict[int, bytes], csca_cert_path) -> list[str]:
    """Independent passive-authentication check (asn1crypto + cryptography); returns problems."""
    import datetime as dt
    import hashlib

    from asn1crypto import cms
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

    from kiosk_client.emrtd.sod import LDSSecurityObject
    from kiosk_client.emrtd.tlv import decode_single

    def verify(pub, sig, data):
        if isinstance(pub, rsa.RSAPublicKey):
            pub.verify(sig, data, padding.PKCS1v15(), hashes.SHA256())
        else:
            assert isinstance(pub, ec.EllipticCurvePublicKey)
            pub.verify(sig, data, ec.ECDSA(hashes.SHA256()))

    problems = []
    signed_data = cms.ContentInfo.load(decode_single(ef_sod).value)["content"]
    econtent = signed_data["encap_content_info"]["content"].native
    lds_so = LDSSecurityObject.load(econtent)
    for entry in lds_so["data_group_hash_values"]:
        n = entry["data_group_number"].native
        if hashlib.sha256(dgs[n]).digest() != entry["data_group_hash_value"].native:
            problems.append(f"DG{n} hash mismatch")
    signer = signed_data["signer_infos"][0]
    attrs = {a["type"].native: a["values"][0].native for a in signer["signed_attrs"]}
    if attrs["message_digest"] != hashlib.sha256(econtent).digest():
        problems.append("messageDigest mismatch")
    ds = x509.load_der_x509_certificate(signed_data["certificates"][0].chosen.dump())
    try:
        verify(ds.public_key(), signer["signature"].native, signer["signed_attrs"].untag().dump())
    except Exception:  # noqa: BLE001 - any failure is a bad signature
        problems.append("SOD signature invalid")
    csca = x509.load_pem_x509_certificate(Path(csca_cert_path).read_bytes())
    try:
        verify(csca.public_key(), ds.signature, ds.tbs_certificate_bytes)
    except Exception:  # noqa: BLE001
        problems.append("DS certificate not issued by the trusted CSCA")
    now = dt.datetime.now(dt.UTC)
    if not ds.not_valid_before_utc <= now <= ds.not_valid_after_utc:
        problems.append("DS certificate expired")
    return problems


@pytest.fixture
def sod_problems(pki):
    """sod_problems(card) -> list of passive-authentication problems of the served files."""

    def run(card) -> list[str]:
        return check_sod(card.files.app[0x011D], card.files.dgs, pki.csca_cert)

    return run
