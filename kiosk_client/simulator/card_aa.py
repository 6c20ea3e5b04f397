"""Card side of Active Authentication (ICAO 9303-11 sec. 6.1): sign the terminal's challenge.

The signing itself is emrtd.active_auth.sign_active_auth; here is the chip's choice of hash:
SHA-1 with trailer BC for RSA (ISO 9796-2 scheme 1, what RSA AA chips commonly do) and
SHA-256 for ECDSA (announced in DG14 as ecdsa-plain-SHA256).
"""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric import rsa

from kiosk_client.emrtd.active_auth import sign_active_auth


def sign_challenge(key, challenge: bytes) -> bytes:
    return sign_active_auth(key, challenge, "sha1" if isinstance(key, rsa.RSAPrivateKey) else "sha256")
