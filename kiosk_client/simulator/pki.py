"""Test PKI for the simulated CCCD: a CSCA, a Document Signer and the fault variants.

Only for tests and demos: keys are written unencrypted. The layout of the directory is
fixed (see ``TestPKI``) so the card simulator, the CLI and the tests all find the same files.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

# File names inside a PKI directory.
CSCA_CERT = "csca.pem"
CSCA_KEY = "csca.key.pem"
DS_CERT = "ds.pem"
DS_KEY = "ds.key.pem"
UNKNOWN_CSCA_CERT = "unknown_csca.pem"
UNKNOWN_CSCA_KEY = "unknown_csca.key.pem"
UNKNOWN_DS_CERT = "unknown_ds.pem"
UNKNOWN_DS_KEY = "unknown_ds.key.pem"
EXPIRED_DS_CERT = "expired_ds.pem"
EXPIRED_DS_KEY = "expired_ds.key.pem"
# A directory holding ONLY the trusted CSCA: hand this one to a verifier's trust store. The
# top-level directory also holds the unknown CSCA and the signers, which must not be trusted.
TRUST_DIR = "trust"
# Active Authentication keys live here too, so every card built from one PKI dir is the
# same card (stable DG15) and the "cloned" fault has a second key to sign with.
AA_KEYS = {
    "rsa1024": "aa_rsa1024.key.pem",
    "rsa2048": "aa_rsa2048.key.pem",
    "ec256": "aa_ec256.key.pem",
}
CLONE_AA_KEYS = {
    "rsa1024": "clone_aa_rsa1024.key.pem",
    "rsa2048": "clone_aa_rsa2048.key.pem",
    "ec256": "clone_aa_ec256.key.pem",
}


@dataclass(frozen=True)
class TestPKI:
    """Paths of one test PKI directory."""

    __test__ = False  # not a pytest test class despite the name

    dir: Path

    def path(self, name: str) -> Path:
        return self.dir / name

    @property
    def csca_cert(self) -> Path:
        return self.dir / CSCA_CERT

    @property
    def trust_dir(self) -> Path:
        return self.dir / TRUST_DIR

    @property
    def ds_cert(self) -> Path:
        return self.dir / DS_CERT

    @property
    def ds_key(self) -> Path:
        return self.dir / DS_KEY

    @property
    def unknown_csca_cert(self) -> Path:
        return self.dir / UNKNOWN_CSCA_CERT

    def signer(self, variant: str = "ds") -> tuple[x509.Certificate, object]:
        """(certificate, private key) of a Document Signer: 'ds', 'unknown_ds' or 'expired_ds'."""
        cert = load_cert(self.dir / f"{variant}.pem")
        key = load_key(self.dir / f"{variant}.key.pem")
        return cert, key

    def aa_key(self, kind: str, clone: bool = False):
        names = CLONE_AA_KEYS if clone else AA_KEYS
        if kind not in names:
            raise ValueError(f"unknown AA key kind {kind!r}; one of {sorted(names)}")
        return load_key(self.dir / names[kind])


def load_cert(path: Path | str) -> x509.Certificate:
    return x509.load_pem_x509_certificate(Path(path).read_bytes())


def load_key(path: Path | str):
    return serialization.load_pem_private_key(Path(path).read_bytes(), password=None)


def _name(cn: str, org: str = "Ministry of Public Security") -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )


def _new_key(kind: str):
    if kind == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if kind == "ec":
        return ec.generate_private_key(ec.SECP256R1())
    raise ValueError(f"unknown key kind {kind!r}")


def _ca_cert(key, cn: str, not_before: _dt.datetime, days: int) -> x509.Certificate:
    name = _name(cn)
    pub = key.public_key()
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(pub)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_before + _dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(key_cert_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(pub), critical=False)
        .sign(key, hashes.SHA256())
    )


def _ds_cert(key, ca_cert, ca_key, cn: str, not_before: _dt.datetime, days: int) -> x509.Certificate:
    pub = key.public_key()
    return (
        x509.CertificateBuilder()
        .subject_name(_name(cn))
        .issuer_name(ca_cert.subject)
        .public_key(pub)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_before + _dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(digital_signature=True), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(pub), critical=False)
        .sign(ca_key, hashes.SHA256())
    )


def _key_usage(*, key_cert_sign: bool = False, digital_signature: bool = False) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=digital_signature,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=key_cert_sign,
        crl_sign=key_cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _write_key(path: Path, key) -> None:
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


def _write_cert(path: Path, cert: x509.Certificate) -> None:
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def make_test_pki(directory: Path | str, key_kind: str = "rsa") -> TestPKI:
    """Create (or overwrite) a complete test PKI in ``directory`` and return its paths.

    key_kind: 'rsa' (RSA-2048, sha256WithRSAEncryption, the default as most CSCAs) or 'ec'
    (P-256 ECDSA) for the CSCA and Document Signers.
    """
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    now = _dt.datetime.now(_dt.UTC).replace(microsecond=0)
    start = now - _dt.timedelta(days=30)

    csca_key = _new_key(key_kind)
    csca = _ca_cert(csca_key, "CSCA Viet Nam TEST", start, 365 * 15)
    ds_key = _new_key(key_kind)
    ds = _ds_cert(ds_key, csca, csca_key, "Document Signer CCCD TEST", start, 365 * 10)

    # Same subject as the real test CSCA but another key: a verifier must compare keys, not names.
    unk_csca_key = _new_key(key_kind)
    unk_csca = _ca_cert(unk_csca_key, "CSCA Viet Nam TEST", start, 365 * 15)
    unk_ds_key = _new_key(key_kind)
    unk_ds = _ds_cert(unk_ds_key, unk_csca, unk_csca_key, "Document Signer CCCD TEST", start, 365 * 10)

    # Signed by the genuine CSCA but its validity ended a year ago.
    exp_key = _new_key(key_kind)
    exp_ds = _ds_cert(exp_key, csca, csca_key, "Document Signer CCCD EXPIRED", now - _dt.timedelta(days=3 * 365), 365)

    for name, obj in (
        (CSCA_CERT, csca),
        (DS_CERT, ds),
        (UNKNOWN_CSCA_CERT, unk_csca),
        (UNKNOWN_DS_CERT, unk_ds),
        (EXPIRED_DS_CERT, exp_ds),
    ):
        _write_cert(d / name, obj)
    for name, key in (
        (CSCA_KEY, csca_key),
        (DS_KEY, ds_key),
        (UNKNOWN_CSCA_KEY, unk_csca_key),
        (UNKNOWN_DS_KEY, unk_ds_key),
        (EXPIRED_DS_KEY, exp_key),
    ):
        _write_key(d / name, key)

    (d / TRUST_DIR).mkdir(exist_ok=True)
    _write_cert(d / TRUST_DIR / CSCA_CERT, csca)

    for names in (AA_KEYS, CLONE_AA_KEYS):
        _write_key(d / names["rsa1024"], rsa.generate_private_key(65537, 1024))
        _write_key(d / names["rsa2048"], rsa.generate_private_key(65537, 2048))
        _write_key(d / names["ec256"], ec.generate_private_key(ec.SECP256R1()))
    return TestPKI(d)


def open_test_pki(directory: Path | str) -> TestPKI:
    d = Path(directory)
    missing = [n for n in (CSCA_CERT, DS_CERT, DS_KEY) if not (d / n).is_file()]
    if missing:
        raise FileNotFoundError(f"{d} is not a test PKI (missing {', '.join(missing)}); run make-test-pki")
    return TestPKI(d)
