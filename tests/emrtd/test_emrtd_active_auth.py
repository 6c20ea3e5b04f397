"""Active Authentication: RSA ISO 9796-2 scheme 1 and ECDSA plain, both directions."""
import os

import pytest
from asn1crypto import keys as asn1keys
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from kiosk_client.emrtd import active_auth as aa
from kiosk_client.emrtd.ec import BRAINPOOL_P256R1
from kiosk_client.emrtd.lds_build import build_dg14, build_dg15
from kiosk_client.emrtd.secinfo import ID_AA, oid_tlv
from kiosk_client.emrtd.tlv import tlv

CHALLENGE = bytes.fromhex("0102030405060708")


def _dg15(key) -> bytes:
    spki = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return build_dg15(spki)


def _dg14_aa(sig_oid: str) -> bytes:
    info = tlv(0x30, oid_tlv(ID_AA) + tlv(0x02, b"\x01") + oid_tlv(sig_oid))
    return build_dg14(tlv(0x31, info))


@pytest.fixture(scope="module")
def rsa1024():
    return rsa.generate_private_key(65537, 1024)


@pytest.mark.parametrize("alg", ["sha1", "sha224", "sha256", "sha384", "sha512"])
def test_rsa_9796_2_roundtrip(rsa1024, alg):
    sig = aa.sign_active_auth(rsa1024, CHALLENGE, alg)
    assert len(sig) == 128
    dg15 = _dg15(rsa1024)
    assert aa.verify_active_auth(dg15, CHALLENGE, sig)
    assert not aa.verify_active_auth(dg15, bytes(8), sig)
    bad = bytearray(sig)
    bad[40] ^= 1
    assert not aa.verify_active_auth(dg15, CHALLENGE, bytes(bad))


def test_rsa_representative_layout(rsa1024):
    # Recover the message representative and check the 9796-2 framing by hand.
    sig = aa.sign_active_auth(rsa1024, CHALLENGE, "sha256")
    n = rsa1024.public_key().public_numbers()
    m = pow(int.from_bytes(sig, "big"), n.e, n.n)
    if m & 0xF != 0xC:
        m = n.n - m
    f = m.to_bytes(128, "big")
    assert f[0] == 0x6A and f[-2:] == b"\x34\xcc"
    sig1 = aa.sign_active_auth(rsa1024, CHALLENGE, "sha1")
    m1 = pow(int.from_bytes(sig1, "big"), n.e, n.n)
    assert (m1 if m1 & 0xF == 0xC else n.n - m1).to_bytes(128, "big")[-1] == 0xBC


def test_rsa_2048():
    key = rsa.generate_private_key(65537, 2048)
    sig = aa.sign_active_auth(key, CHALLENGE, "sha256")
    assert len(sig) == 256 and aa.verify_active_auth(_dg15(key), CHALLENGE, sig)


@pytest.mark.parametrize("curve,alg,oid", [
    (ec.SECP256R1(), "sha256", "1.2.840.10045.4.3.2"),
    (ec.BrainpoolP256R1(), "sha256", "1.2.840.10045.4.3.2"),
    (ec.BrainpoolP384R1(), "sha384", "1.2.840.10045.4.3.3"),
    (ec.SECP256R1(), "sha1", "1.2.840.10045.4.1"),
    (ec.SECP521R1(), "sha512", "1.2.840.10045.4.3.4"),
])
def test_ecdsa_roundtrip(curve, alg, oid):
    key = ec.generate_private_key(curve)
    sig = aa.sign_active_auth(key, CHALLENGE, alg)
    size = (curve.key_size + 7) // 8
    assert len(sig) == 2 * size  # plain r||s
    dg15 = _dg15(key)
    assert aa.verify_active_auth(dg15, CHALLENGE, sig, _dg14_aa(oid))
    assert aa.verify_active_auth(dg15, CHALLENGE, sig)  # without DG14: hash search
    assert not aa.verify_active_auth(dg15, os.urandom(8), sig, _dg14_aa(oid))
    assert aa.aa_hash_from_dg14(_dg14_aa(oid)) == alg
    if alg != "sha512":  # DG14 naming another hash must not verify
        assert not aa.verify_active_auth(dg15, CHALLENGE, sig, _dg14_aa("1.2.840.10045.4.3.4"))


def test_explicit_brainpool_parameters_in_dg15():
    key = ec.generate_private_key(ec.BrainpoolP256R1())
    c = BRAINPOOL_P256R1
    point = key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    domain = asn1keys.SpecifiedECDomain({
        "version": "ecdpVer1",
        "field_id": {"field_type": "prime_field", "parameters": c.p},
        "curve": {"a": c.fe_bytes(c.a), "b": c.fe_bytes(c.b)},
        "base": c.encode(c.g),
        "order": c.n,
        "cofactor": c.h,
    })
    spki = asn1keys.PublicKeyInfo({
        "algorithm": {"algorithm": "ec", "parameters": asn1keys.ECDomainParameters(name="specified", value=domain)},
        "public_key": point,
    }).dump()
    dg15 = build_dg15(spki)
    pub = aa.load_dg15_public_key(dg15)
    assert pub.public_numbers() == key.public_key().public_numbers()
    assert aa.verify_active_auth(dg15, CHALLENGE, aa.sign_active_auth(key, CHALLENGE, "sha256"))


def test_der_ecdsa_signature_tolerated():
    key = ec.generate_private_key(ec.SECP256R1())
    der = key.sign(CHALLENGE, ec.ECDSA(__import__("cryptography.hazmat.primitives.hashes",
                                                   fromlist=["SHA256"]).SHA256()))
    assert aa.verify_active_auth(_dg15(key), CHALLENGE, der)


@pytest.mark.parametrize("dg15,challenge,sig", [
    (b"", CHALLENGE, b"\x01" * 64),
    (b"\x6f\x03\x30\x01\x00", CHALLENGE, b"\x01" * 64),
    (b"\x6f\x82\xff", CHALLENGE, b"\x01"),
    (b"garbage", CHALLENGE, b"x"),
])
def test_garbage_is_false(dg15, challenge, sig):
    assert aa.verify_active_auth(dg15, challenge, sig) is False


def test_bad_lengths(rsa1024):
    dg15 = _dg15(rsa1024)
    sig = aa.sign_active_auth(rsa1024, CHALLENGE)
    assert not aa.verify_active_auth(dg15, CHALLENGE[:7], sig)
    assert not aa.verify_active_auth(dg15, CHALLENGE, b"")
    assert not aa.verify_active_auth(dg15, CHALLENGE, b"\xff" * 129)
    assert not aa.verify_active_auth(dg15, CHALLENGE, sig[:-1])
    with pytest.raises(aa.ActiveAuthError):
        aa.sign_active_auth(rsa1024, CHALLENGE, "md5")
