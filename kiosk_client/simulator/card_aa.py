"""Card side of Active Authentication (ICAO 9303-11 sec. 6.1): sign the terminal's challenge."""

from __future__ import annotations

import hashlib
import os

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature


def _rsa_iso9796_2(key: rsa.RSAPrivateKey, challenge: bytes) -> bytes:
    """ISO/IEC 9796-2 scheme 1, partial message recovery, SHA-1 (trailer BC).

    The card chooses M1 (nonce filling the block), M = M1 || challenge,
    F = 6A || M1 || SHA-1(M) || BC, signature = F^d mod n.
    """
    nums = key.private_numbers()
    n, d = nums.public_numbers.n, nums.d
    k = (n.bit_length() + 7) // 8
    m1 = os.urandom(k - 20 - 2)
    f = b"\x6a" + m1 + hashlib.sha1(m1 + challenge).digest() + b"\xbc"
    sig = pow(int.from_bytes(f, "big"), d, n)
    return sig.to_bytes(k, "big")


def _ecdsa_plain(key: ec.EllipticCurvePrivateKey, challenge: bytes) -> bytes:
    """ecdsa-plain-SHA256 (BSI TR-03111): r || s, each the size of the order."""
    r, s = decode_dss_signature(key.sign(challenge, ec.ECDSA(hashes.SHA256())))
    size = (key.curve.key_size + 7) // 8
    return r.to_bytes(size, "big") + s.to_bytes(size, "big")


def sign_challenge(key, challenge: bytes) -> bytes:
    if isinstance(key, rsa.RSAPrivateKey):
        return _rsa_iso9796_2(key, challenge)
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return _ecdsa_plain(key, challenge)
    raise TypeError(f"unsupported AA key {type(key).__name__}")
