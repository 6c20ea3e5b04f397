"""EF.SOD: CMS SignedData over the LDSSecurityObject (ICAO 9303-10 sec. 4.6.2)."""

from __future__ import annotations

import datetime as _dt
import hashlib

from asn1crypto import algos, cms, core
from asn1crypto import x509 as a_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from kiosk_client.emrtd.tlv import tlv

OID_LDS_SECURITY_OBJECT = "2.23.136.1.1.1"


class DataGroupHash(core.Sequence):
    _fields = [("data_group_number", core.Integer), ("data_group_hash_value", core.OctetString)]


class DataGroupHashes(core.SequenceOf):
    _child_spec = DataGroupHash


class LDSSecurityObject(core.Sequence):
    _fields = [
        ("version", core.Integer),
        ("hash_algorithm", algos.DigestAlgorithm),
        ("data_group_hash_values", DataGroupHashes),
    ]


def lds_security_object(dg_files: dict[int, bytes]) -> bytes:
    """DER LDSSecurityObject v0 with the SHA-256 hash of each whole data group file."""
    return LDSSecurityObject(
        {
            "version": 0,
            "hash_algorithm": {"algorithm": "sha256"},
            "data_group_hash_values": [
                {"data_group_number": n, "data_group_hash_value": hashlib.sha256(dg_files[n]).digest()}
                for n in sorted(dg_files)
            ],
        }
    ).dump()


def _sign(key, data: bytes) -> tuple[bytes, str]:
    if isinstance(key, rsa.RSAPrivateKey):
        return key.sign(data, padding.PKCS1v15(), hashes.SHA256()), "sha256_rsa"
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.sign(data, ec.ECDSA(hashes.SHA256())), "sha256_ecdsa"
    raise TypeError(f"unsupported Document Signer key {type(key).__name__}")


def build_sod(dg_files: dict[int, bytes], ds_cert: x509.Certificate, ds_key, signing_time=None) -> bytes:
    """EF.SOD (tag 77) signed by the Document Signer, the DS certificate included."""
    econtent = lds_security_object(dg_files)
    when = signing_time or _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0)
    signed_attrs = cms.CMSAttributes(
        [
            {"type": "content_type", "values": [OID_LDS_SECURITY_OBJECT]},
            {"type": "signing_time", "values": [cms.Time({"utc_time": when})]},
            {"type": "message_digest", "values": [hashlib.sha256(econtent).digest()]},
        ]
    )
    # The signature covers the attributes DER-encoded as a SET (tag 31), not as [0].
    signature, sig_alg = _sign(ds_key, signed_attrs.dump())
    cert = a_x509.Certificate.load(ds_cert.public_bytes(serialization.Encoding.DER))
    signer = cms.SignerInfo(
        {
            "version": "v1",
            "sid": cms.SignerIdentifier(
                {
                    "issuer_and_serial_number": {
                        "issuer": cert.issuer,
                        "serial_number": cert.serial_number,
                    }
                }
            ),
            "digest_algorithm": {"algorithm": "sha256"},
            "signed_attrs": signed_attrs,
            "signature_algorithm": {"algorithm": sig_alg},
            "signature": signature,
        }
    )
    signed_data = cms.SignedData(
        {
            "version": "v3",
            "digest_algorithms": [{"algorithm": "sha256"}],
            "encap_content_info": {
                "content_type": OID_LDS_SECURITY_OBJECT,
                "content": core.ParsableOctetString(econtent),
            },
            "certificates": [cert],
            "signer_infos": [signer],
        }
    )
    content_info = cms.ContentInfo({"content_type": "signed_data", "content": signed_data})
    return tlv(0x77, content_info.dump())
