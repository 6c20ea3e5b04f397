"""Passive Authentication (ICAO 9303-11 sec. 5.1; certificate profiles 9303-12).

verify_passive_auth() never raises on bad data: every step is a named check
(True / False / None = not evaluated) and the first failure is reported.
"""
from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from asn1crypto import cms, pem, x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from .pubkey import PublicKeyError, load_spki
from .sod import ID_LDS_SECURITY_OBJECT, SodError, parse_sod

_HASHES = {"sha1": hashes.SHA1, "sha224": hashes.SHA224, "sha256": hashes.SHA256, "sha384": hashes.SHA384,
           "sha512": hashes.SHA512}
_PARSE_ERRORS = (ValueError, TypeError, KeyError, AttributeError, IndexError, OverflowError)

CHECK_ORDER = (
    "sod_parsed", "econtent_type", "signed_attrs_content_type", "message_digest", "ds_certificate_present",
    "sod_signature", "csca_found", "ds_certificate_signature", "ds_validity", "ds_key_usage",
    "csca_validity", "csca_key_usage", "dg_hashes",
)


@dataclass
class TrustStore:
    """CSCA certificates (asn1crypto) indexed by subject."""
    certificates: list[x509.Certificate] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def add(self, data: bytes, source: str = "") -> None:
        blobs = [der for _, _, der in pem.unarmor(data, multiple=True)] if pem.detect(data) else [data]
        for der in blobs:
            try:
                cert = x509.Certificate.load(der)
                _ = cert.native  # force a full parse now rather than during verification
                self.certificates.append(cert)
            except _PARSE_ERRORS as exc:
                self.warnings.append(f"{source}: not a certificate ({exc})")

    @classmethod
    def from_directory(cls, path: str | Path) -> TrustStore:
        store = cls()
        for p in sorted(Path(path).iterdir()):
            if p.is_file() and p.suffix.lower() in (".pem", ".crt", ".cer", ".der"):
                store.add(p.read_bytes(), p.name)
        return store

    @classmethod
    def from_certificates(cls, certs: list[bytes]) -> TrustStore:
        store = cls()
        for i, c in enumerate(certs):
            store.add(c, f"certificate {i}")
        return store

    def issuers_of(self, cert: x509.Certificate) -> list[x509.Certificate]:
        out = [c for c in self.certificates if c.subject.hashable == cert.issuer.hashable]
        aki = cert.authority_key_identifier
        if aki:  # prefer the CSCA whose key identifier matches (CSCA key rollover)
            out.sort(key=lambda c: c.key_identifier != aki)
        return out


def _public_key(cert: x509.Certificate):
    try:
        return load_spki(cert.public_key.dump())
    except PublicKeyError:
        return None


def verify_signature(public_key, algorithm: cms.SignedDigestAlgorithm, signature: bytes, data: bytes,
                     digest_algorithm: str | None = None) -> bool:
    """RSA PKCS#1 v1.5, RSA-PSS or ECDSA (DER, or plain r||s tolerated)."""
    try:
        sig_algo = algorithm.signature_algo
        try:
            hash_name = algorithm.hash_algo
        except ValueError:  # rsaEncryption / id-ecPublicKey carry no hash: use the digest algorithm
            hash_name = digest_algorithm
        if hash_name not in _HASHES:
            return False
        h = _HASHES[hash_name]()
        if sig_algo == "rsassa_pkcs1v15" and isinstance(public_key, rsa.RSAPublicKey):
            public_key.verify(signature, data, padding.PKCS1v15(), h)
        elif sig_algo == "rsassa_pss" and isinstance(public_key, rsa.RSAPublicKey):
            params = algorithm["parameters"]
            mgf_hash = params["mask_gen_algorithm"]["parameters"]["algorithm"].native
            salt = params["salt_length"].native
            public_key.verify(signature, data, padding.PSS(padding.MGF1(_HASHES[mgf_hash]()), salt), h)
        elif sig_algo == "ecdsa" and isinstance(public_key, ec.EllipticCurvePublicKey):
            size = (public_key.curve.key_size + 7) // 8
            if signature[:1] != b"\x30" and len(signature) == 2 * size:
                signature = encode_dss_signature(int.from_bytes(signature[:size], "big"),
                                                 int.from_bytes(signature[size:], "big"))
            public_key.verify(signature, data, ec.ECDSA(h))
        else:
            return False
        return True
    except (InvalidSignature, UnsupportedAlgorithm, *_PARSE_ERRORS):
        return False


def _valid_at(cert: x509.Certificate, at: datetime) -> bool:
    v = cert["tbs_certificate"]["validity"]
    return v["not_before"].native <= at <= v["not_after"].native


def _key_usage(cert: x509.Certificate) -> set[str]:
    ku = cert.key_usage_value
    return set(ku.native) if ku is not None else set()


class _Result:
    def __init__(self) -> None:
        self.checks: dict[str, bool | None] = {k: None for k in CHECK_ORDER}
        self.failure: str | None = None
        self.info: dict = {}

    def set(self, name: str, ok: bool, why: str = "") -> bool:
        self.checks[name] = ok
        if not ok and self.failure is None:
            self.failure = f"{name}: {why}" if why else name
        return ok

    def out(self) -> dict:
        ok = self.failure is None and all(v is True for k, v in self.checks.items() if k != "dg_hashes") \
            and self.checks["dg_hashes"] is not False
        return {"ok": ok, "checks": self.checks, "failure": self.failure, **self.info}


def verify_passive_auth(sod_bytes: bytes, data_groups: dict[int | str, bytes | None],
                        trust_store: TrustStore | str | Path, at: datetime | None = None) -> dict:
    """Verify EF.SOD and the data groups read (number or "DGn" -> raw file bytes;
    None values, e.g. files the card did not have, are skipped).

    Returns {"ok", "checks", "failure", "dg_results", "hash_algorithm",
    "ds_subject", "csca_subject"}.
    """
    r = _Result()
    at = at or datetime.now(UTC)
    if at.tzinfo is None:  # naive times are taken as UTC (certificate times are UTC)
        at = at.replace(tzinfo=UTC)
    try:
        store = trust_store if isinstance(trust_store, TrustStore) else TrustStore.from_directory(trust_store)
    except OSError as exc:
        r.set("csca_found", False, f"trust store unreadable: {exc}")
        return r.out()
    try:
        sod = parse_sod(sod_bytes)
    except SodError as exc:
        r.set("sod_parsed", False, str(exc))
        return r.out()
    r.set("sod_parsed", True)
    r.info["hash_algorithm"] = sod.hash_algorithm
    try:
        _verify_signed_data(r, sod, store, at)
    except _PARSE_ERRORS as exc:  # malformed CMS details
        if r.failure is None:
            r.failure = f"malformed SignedData: {exc}"
    _verify_hashes(r, sod.hash_algorithm, sod.dg_hashes, data_groups)
    return r.out()


def _verify_signed_data(r: _Result, sod, store: TrustStore, at: datetime) -> None:
    sd: cms.SignedData = sod.signed_data
    r.set("econtent_type", sod.econtent_type == ID_LDS_SECURITY_OBJECT, f"eContentType {sod.econtent_type}")
    if len(sd["signer_infos"]) != 1:
        r.set("sod_signature", False, "expected exactly one SignerInfo")
        return
    si: cms.SignerInfo = sd["signer_infos"][0]
    attrs = si["signed_attrs"]
    digest_alg = si["digest_algorithm"]["algorithm"].native
    ctype = [a["values"][0].dotted for a in attrs if a["type"].native == "content_type"]
    r.set("signed_attrs_content_type", ctype == [ID_LDS_SECURITY_OBJECT], "content-type attribute mismatch")
    md = [a["values"][0].native for a in attrs if a["type"].native == "message_digest"]
    ok_md = digest_alg in _HASHES and len(md) == 1 and hmac.compare_digest(
        md[0], hashlib.new(digest_alg, sod.econtent).digest())
    r.set("message_digest", ok_md, "message-digest attribute does not match eContent")

    ds = _find_signer_cert(sd, si)
    if not r.set("ds_certificate_present", ds is not None, "Document Signer certificate not in EF.SOD"):
        return
    r.info["ds_subject"] = ds.subject.human_friendly
    attrs_der = b"\x31" + attrs.dump()[1:]  # signature covers the DER SET, not the [0] tag (RFC 5652 5.4)
    r.set("sod_signature", verify_signature(_public_key(ds), si["signature_algorithm"], si["signature"].native,
                                            attrs_der, digest_alg), "SOD signature invalid")

    csca = None
    for cand in store.issuers_of(ds):
        if verify_signature(_public_key(cand), ds["signature_algorithm"], ds["signature_value"].native,
                            ds["tbs_certificate"].dump()):
            csca = cand
            break
    if not r.set("csca_found", bool(store.issuers_of(ds)), f"no CSCA for issuer {ds.issuer.human_friendly}"):
        return
    r.set("ds_certificate_signature", csca is not None, "DS certificate not signed by any matching CSCA")
    r.set("ds_validity", _valid_at(ds, at), "Document Signer certificate not valid at verification time")
    r.set("ds_key_usage", "digital_signature" in _key_usage(ds), "DS key usage lacks digitalSignature")
    if csca is None:
        return
    r.info["csca_subject"] = csca.subject.human_friendly
    r.set("csca_validity", _valid_at(csca, at), "CSCA certificate not valid at verification time")
    r.set("csca_key_usage", "key_cert_sign" in _key_usage(csca), "CSCA key usage lacks keyCertSign")


def _find_signer_cert(sd: cms.SignedData, si: cms.SignerInfo) -> x509.Certificate | None:
    sid = si["sid"]
    for choice in sd["certificates"] or []:
        if choice.name != "certificate":
            continue
        cert = choice.chosen
        if sid.name == "issuer_and_serial_number":
            ias = sid.chosen
            if cert.issuer.hashable == ias["issuer"].hashable and cert.serial_number == ias["serial_number"].native:
                return cert
        elif sid.name == "subject_key_identifier" and cert.key_identifier == sid.chosen.native:
            return cert
    return None


def _dg_number(key: int | str) -> int | None:
    if isinstance(key, int):
        return key
    k = str(key).upper()
    return int(k[2:]) if k.startswith("DG") and k[2:].isdigit() else None


def _verify_hashes(r: _Result, alg: str, expected: dict[int, bytes], data_groups: dict) -> None:
    results: dict[int, bool] = {}
    # Accept {1: bytes} or {"DG1": bytes} (as EmrtdReader.read_files returns); other keys are ignored.
    data_groups = {n: v for k, v in data_groups.items() if (n := _dg_number(k)) is not None}
    if alg not in _HASHES:
        r.set("dg_hashes", False, f"unsupported hash algorithm {alg}")
        r.info["dg_results"] = results
        return
    for n, data in sorted(data_groups.items()):
        if data is None:
            continue
        want = expected.get(n)
        results[n] = want is not None and hmac.compare_digest(hashlib.new(alg, data).digest(), want)
    r.info["dg_results"] = results
    bad = [n for n, ok in results.items() if not ok]
    if not results:
        r.checks["dg_hashes"] = None
    else:
        r.set("dg_hashes", not bad, f"hash mismatch or missing for DG{', DG'.join(map(str, bad))}")
