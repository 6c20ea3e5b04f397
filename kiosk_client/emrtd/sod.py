"""EF.SOD: CMS SignedData over an LDSSecurityObject (ICAO 9303-10 sec. 4.6.2,
9303-11 sec. 5.1).  Parsing for passive_auth.py, building for the simulator
and tests."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

from asn1crypto import algos, cms, core, x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from .tlv import TlvError, decode_single, tlv

ID_LDS_SECURITY_OBJECT = "2.23.136.1.1.1"


class SodError(ValueError):
    """EF.SOD is not a parseable SignedData/LDSSecurityObject."""


class DataGroupHash(core.Sequence):
    _fields = [("data_group_number", core.Integer), ("data_group_hash_value", core.OctetString)]  # noqa: RUF012


class DataGroupHashValues(core.SequenceOf):
    _child_spec = DataGroupHash


class LDSVersionInfo(core.Sequence):
    _fields = [("lds_version", core.PrintableString), ("unicode_version", core.PrintableString)]  # noqa: RUF012


class LDSSecurityObject(core.Sequence):
    _fields = [  # noqa: RUF012 (asn1crypto schema)
        ("version", core.Integer),
        ("hash_algorithm", algos.DigestAlgorithm),
        ("data_group_hash_values", DataGroupHashValues),
        ("lds_version_info", LDSVersionInfo, {"optional": True}),
    ]


@dataclass
class Sod:
    signed_data: cms.SignedData
    econtent_type: str
    econtent: bytes
    hash_algorithm: str  # e.g. "sha256"
    dg_hashes: dict[int, bytes]
    lds_version: str | None


def unwrap_sod(data: bytes) -> bytes:
    """Strip the 77 application tag, returning the ContentInfo DER."""
    try:
        obj = decode_single(data, strict=False)
    except TlvError as exc:
        raise SodError(f"EF.SOD: {exc}") from None
    return obj.value if obj.tag == 0x77 else obj.encode()


def parse_sod(data: bytes) -> Sod:
    try:
        ci = cms.ContentInfo.load(unwrap_sod(data))
        if ci["content_type"].native != "signed_data":
            raise SodError("EF.SOD is not CMS SignedData")
        sd = ci["content"]
        eci = sd["encap_content_info"]
        etype = eci["content_type"].dotted
        content = eci["content"]
        econtent = content.contents if content is not None and not isinstance(content, core.Void) else b""
        lso = LDSSecurityObject.load(econtent)
        hashes_ = {int(h["data_group_number"].native): h["data_group_hash_value"].native
                   for h in lso["data_group_hash_values"]}
        lvi = lso["lds_version_info"]
        return Sod(sd, etype, econtent, lso["hash_algorithm"]["algorithm"].native, hashes_,
                   None if isinstance(lvi, core.Void) or lvi.native is None else lvi["lds_version"].native)
    except SodError:
        raise
    except (ValueError, TypeError, KeyError, AttributeError, IndexError, OverflowError) as exc:
        raise SodError(f"EF.SOD not parseable: {exc}") from None


# ------------------------------------------------------------ building

def _signature_algorithm(key, hash_alg: str, pss: bool) -> tuple[cms.SignedDigestAlgorithm, object]:
    h = {"sha1": hashes.SHA1, "sha224": hashes.SHA224, "sha256": hashes.SHA256, "sha384": hashes.SHA384,
         "sha512": hashes.SHA512}[hash_alg]()
    if isinstance(key, rsa.RSAPrivateKey):
        if pss:
            params = algos.RSASSAPSSParams({
                "hash_algorithm": {"algorithm": hash_alg},
                "mask_gen_algorithm": {"algorithm": "mgf1", "parameters": {"algorithm": hash_alg}},
                "salt_length": h.digest_size,
            })
            return (cms.SignedDigestAlgorithm({"algorithm": "rsassa_pss", "parameters": params}),
                    lambda d: key.sign(d, padding.PSS(padding.MGF1(h), h.digest_size), h))
        return (cms.SignedDigestAlgorithm({"algorithm": f"{hash_alg}_rsa"}),
                lambda d: key.sign(d, padding.PKCS1v15(), h))
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return (cms.SignedDigestAlgorithm({"algorithm": f"{hash_alg}_ecdsa"}),
                lambda d: key.sign(d, ec.ECDSA(h)))
    raise SodError("unsupported document signer key type")


def build_lds_security_object(data_groups: dict[int, bytes], hash_alg: str = "sha256") -> bytes:
    values = [{"data_group_number": n, "data_group_hash_value": hashlib.new(hash_alg, d).digest()}
              for n, d in sorted(data_groups.items())]
    return LDSSecurityObject({"version": 0, "hash_algorithm": {"algorithm": hash_alg},
                              "data_group_hash_values": values}).dump()


def build_sod(data_groups: dict[int, bytes], ds_key, ds_cert_der: bytes, hash_alg: str = "sha256",
              pss: bool = False, econtent: bytes | None = None) -> bytes:
    """EF.SOD (77-wrapped) signed by the Document Signer; `econtent` overrides
    the LDSSecurityObject (for negative tests)."""
    econtent = econtent if econtent is not None else build_lds_security_object(data_groups, hash_alg)
    cert = x509.Certificate.load(ds_cert_der)
    signed_attrs = cms.CMSAttributes([
        {"type": "content_type", "values": [ID_LDS_SECURITY_OBJECT]},
        {"type": "message_digest", "values": [hashlib.new(hash_alg, econtent).digest()]},
    ])
    sig_alg, sign = _signature_algorithm(ds_key, hash_alg, pss)
    signature = sign(signed_attrs.dump())
    signer = cms.SignerInfo({
        "version": "v1",
        "sid": cms.SignerIdentifier({"issuer_and_serial_number": {
            "issuer": cert.issuer, "serial_number": cert.serial_number}}),
        "digest_algorithm": {"algorithm": hash_alg},
        "signed_attrs": signed_attrs,
        "signature_algorithm": sig_alg,
        "signature": signature,
    })
    sd = cms.SignedData({
        "version": "v3",
        "digest_algorithms": [{"algorithm": hash_alg}],
        "encap_content_info": {"content_type": ID_LDS_SECURITY_OBJECT,
                               "content": core.ParsableOctetString(econtent)},
        "certificates": [cert],
        "signer_infos": [signer],
    })
    return tlv(0x77, cms.ContentInfo({"content_type": "signed_data", "content": sd}).dump())
