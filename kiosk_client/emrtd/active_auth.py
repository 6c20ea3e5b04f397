"""Active Authentication (ICAO 9303-11 sec. 6.1).

The chip signs an 8-byte challenge with the private key matching DG15:
* RSA: ISO/IEC 9796-2 digital signature scheme 1 (partial message recovery);
  trailer BC = SHA-1 implicit, or (hash id, CC) for other hashes.
* ECDSA: plain r||s (BSI TR-03111 sec. 5.2.1); hash from DG14's
  ActiveAuthenticationInfo (9303-11 sec. 9.2.8), else by key size.

verify_active_auth() is pure so the server can re-verify kiosk evidence;
sign_active_auth() is the card side used by the simulator.
"""
from __future__ import annotations

import hashlib
import hmac
import os

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec as cec
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

from .pubkey import PublicKeyError, load_spki
from .secinfo import ID_AA, decode_oid, parse_security_infos
from .tlv import TlvError, decode_single

# ISO/IEC 10118-3 hash identifiers used in the 9796-2 trailer (xx CC).
_HASH_IDS = {0x33: "sha1", 0x38: "sha224", 0x34: "sha256", 0x36: "sha384", 0x35: "sha512"}
_IDS_BY_HASH = {v: k for k, v in _HASH_IDS.items()}
_ECDSA_OIDS = {"1.2.840.10045.4.1": "sha1", "1.2.840.10045.4.3.1": "sha224", "1.2.840.10045.4.3.2": "sha256",
               "1.2.840.10045.4.3.3": "sha384", "1.2.840.10045.4.3.4": "sha512"}
_CRYPTO_HASH = {"sha1": hashes.SHA1, "sha224": hashes.SHA224, "sha256": hashes.SHA256,
                "sha384": hashes.SHA384, "sha512": hashes.SHA512}


class ActiveAuthError(ValueError):
    """DG15 or the signature cannot be interpreted."""


def _norm_hash(name: str) -> str:
    n = name.lower().replace("-", "").replace("_", "")
    if n not in _CRYPTO_HASH:
        raise ActiveAuthError(f"unsupported hash {name!r}")
    return n


# ------------------------------------------------------------ DG15 / DG14

def load_dg15_public_key(dg15: bytes):
    """DG15: 6F { SubjectPublicKeyInfo } -> cryptography RSA or EC public key.
    Also accepts a bare SubjectPublicKeyInfo."""
    try:
        obj = decode_single(dg15, strict=False)
    except TlvError as exc:
        raise ActiveAuthError(f"DG15: {exc}") from None
    spki_der = obj.value if obj.tag == 0x6F else obj.encode()
    try:
        return load_spki(spki_der)
    except PublicKeyError as exc:
        raise ActiveAuthError(f"DG15: {exc}") from None


def aa_hash_from_dg14(dg14: bytes | None) -> str | None:
    """Hash named by ActiveAuthenticationInfo.signatureAlgorithm in DG14."""
    if not dg14:
        return None
    infos = parse_security_infos(dg14)
    for si in infos.by_prefix(ID_AA):
        if si.optional is not None and si.optional.tag == 0x06:
            try:
                return _ECDSA_OIDS.get(decode_oid(si.optional.value))
            except TlvError:
                return None
    return None


def _ec_default_hash(key_bits: int) -> str:
    if key_bits <= 160:
        return "sha1"
    if key_bits <= 224:
        return "sha224"
    if key_bits <= 256:
        return "sha256"
    if key_bits <= 384:
        return "sha384"
    return "sha512"


# ------------------------------------------------------------ RSA, ISO/IEC 9796-2 scheme 1

def _rsa_recover(pub: rsa.RSAPublicKey, signature: bytes) -> bytes | None:
    nums = pub.public_numbers()
    k = (nums.n.bit_length() + 7) // 8
    s = int.from_bytes(signature, "big")
    if len(signature) > k or s >= nums.n:
        return None
    m = pow(s, nums.e, nums.n)
    if m & 0xF != 0xC:  # 9796-2 allows the alternative representative n - m
        m = nums.n - m
    return m.to_bytes(k, "big")


def _verify_rsa(pub: rsa.RSAPublicKey, challenge: bytes, signature: bytes) -> bool:
    f = _rsa_recover(pub, signature)
    if f is None or f[0] & 0xC0 != 0x40:  # header bits '01'
        return False
    if f[-1] == 0xBC:
        alg, t = "sha1", 1
    elif f[-1] == 0xCC and f[-2] in _HASH_IDS:
        alg, t = _HASH_IDS[f[-2]], 2
    else:
        return False
    hlen = hashlib.new(alg).digest_size
    body = f[:-t]
    if len(body) < hlen + 2:
        return False
    digest = body[-hlen:]
    recovered = body[1:-hlen]  # M1 (after the header byte)
    if f[0] & 0x20:  # partial recovery: M = M1 || challenge
        message = recovered + challenge
    else:  # total recovery: the challenge is inside M1 (right-aligned after padding)
        message = recovered.lstrip(b"\x00")
        if not message.endswith(challenge):
            return False
    return hmac.compare_digest(hashlib.new(alg, message).digest(), digest)


def _sign_rsa(key: rsa.RSAPrivateKey, challenge: bytes, alg: str) -> bytes:
    nums = key.private_numbers()
    n = nums.public_numbers.n
    k = (n.bit_length() + 7) // 8
    hlen = hashlib.new(alg).digest_size
    trailer = b"\xbc" if alg == "sha1" else bytes((_IDS_BY_HASH[alg], 0xCC))
    m1 = os.urandom(k - 1 - hlen - len(trailer))
    f = b"\x6a" + m1 + hashlib.new(alg, m1 + challenge).digest() + trailer
    s = pow(int.from_bytes(f, "big"), nums.d, n)
    return min(s, n - s).to_bytes(k, "big")


# ------------------------------------------------------------ ECDSA plain

def _verify_ec(pub: cec.EllipticCurvePublicKey, challenge: bytes, signature: bytes, algs: list[str]) -> bool:
    size = (pub.curve.key_size + 7) // 8
    if len(signature) == 2 * size:
        r, s = int.from_bytes(signature[:size], "big"), int.from_bytes(signature[size:], "big")
        der = encode_dss_signature(r, s)
    else:  # tolerate DER-encoded signatures from some chips
        der = signature
    for alg in algs:
        try:
            pub.verify(der, challenge, cec.ECDSA(_CRYPTO_HASH[alg]()))
            return True
        except (InvalidSignature, ValueError):
            continue
    return False


def verify_active_auth(dg15_bytes: bytes, challenge: bytes, signature: bytes,
                       dg14_bytes: bytes | None = None) -> bool:
    """True when `signature` is the chip's valid AA response to `challenge`.
    Never raises on malformed input; returns False instead."""
    try:
        if len(challenge) != 8 or not signature:
            return False
        pub = load_dg15_public_key(dg15_bytes)
        if isinstance(pub, rsa.RSAPublicKey):
            return _verify_rsa(pub, bytes(challenge), bytes(signature))
        if isinstance(pub, cec.EllipticCurvePublicKey):
            named = aa_hash_from_dg14(dg14_bytes)
            if named:
                algs = [named]
            else:  # no ActiveAuthenticationInfo: key-size default first, then the others
                first = _ec_default_hash(pub.curve.key_size)
                algs = [first] + [a for a in ("sha256", "sha384", "sha512", "sha224", "sha1") if a != first]
            return _verify_ec(pub, bytes(challenge), bytes(signature), algs)
        return False
    except (ActiveAuthError, TlvError, ValueError, TypeError, UnsupportedAlgorithm):
        return False


def sign_active_auth(private_key, challenge: bytes, hash_alg: str = "sha256") -> bytes:
    """Card side: RSA -> ISO 9796-2 scheme 1 signature; EC -> plain r||s."""
    alg = _norm_hash(hash_alg)
    if isinstance(private_key, rsa.RSAPrivateKey):
        return _sign_rsa(private_key, bytes(challenge), alg)
    if isinstance(private_key, cec.EllipticCurvePrivateKey):
        der = private_key.sign(bytes(challenge), cec.ECDSA(_CRYPTO_HASH[alg]()))
        r, s = decode_dss_signature(der)
        size = (private_key.curve.key_size + 7) // 8
        return r.to_bytes(size, "big") + s.to_bytes(size, "big")
    raise ActiveAuthError("unsupported private key type")
