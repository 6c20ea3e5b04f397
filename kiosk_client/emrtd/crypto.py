"""Symmetric primitives of ICAO 9303-11 (BAC, PACE and secure messaging).

Shared by the terminal (reader.py) and the card simulator, so both sides
compute byte-identical cryptograms.
"""
from __future__ import annotations

import hashlib

from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.cmac import CMAC

KDF_ENC = 1  # counter values, 9303-11 sec. 9.7.1
KDF_MAC = 2
KDF_PI = 3  # PACE password key


class CryptoError(ValueError):
    """Bad key length, bad padding, ..."""


# ------------------------------------------------------------ padding

def pad(data: bytes, block: int = 8) -> bytes:
    """ISO/IEC 9797-1 padding method 2: 0x80 then zeros to a block boundary."""
    data = bytes(data) + b"\x80"
    return data + b"\x00" * (-len(data) % block)


def unpad(data: bytes) -> bytes:
    """Remove ISO/IEC 9797-1 method 2 padding; CryptoError if absent."""
    data = bytes(data)
    i = len(data) - 1
    while i >= 0 and data[i] == 0:
        i -= 1
    if i < 0 or data[i] != 0x80:
        raise CryptoError("invalid ISO 9797-1 method 2 padding")
    return data[:i]


# ------------------------------------------------------------ keys

def adjust_parity(key: bytes) -> bytes:
    """Set odd parity on every DES key byte (9303-11 sec. 9.7.1 for 3DES keys)."""
    out = bytearray()
    for b in key:
        hi = b & 0xFE
        out.append(hi | ((hi.bit_count() + 1) & 1))
    return bytes(out)


def kdf(shared_secret: bytes, counter: int, algorithm: str = "3DES") -> bytes:
    """Key derivation function of 9303-11 sec. 9.7.1.

    3DES: SHA-1(K||c)[0:16] with DES parity (two-key 3DES); AES-128: SHA-1[0:16];
    AES-192: SHA-256[0:24]; AES-256: SHA-256[0:32].  c is a 32-bit big-endian counter.
    """
    data = bytes(shared_secret) + counter.to_bytes(4, "big")
    alg = algorithm.upper().replace("-", "")
    if alg in ("3DES", "DESEDE", "TDES"):
        return adjust_parity(hashlib.sha1(data).digest()[:16])
    if alg == "AES128":
        return hashlib.sha1(data).digest()[:16]
    if alg == "AES192":
        return hashlib.sha256(data).digest()[:24]
    if alg == "AES256":
        return hashlib.sha256(data).digest()[:32]
    raise CryptoError(f"unknown KDF algorithm {algorithm!r}")


def _des3_key(key: bytes) -> bytes:
    if len(key) == 8:
        return key * 3
    if len(key) == 16:
        return key + key[:8]
    if len(key) == 24:
        return key
    raise CryptoError(f"3DES key must be 8, 16 or 24 bytes, got {len(key)}")


# ------------------------------------------------------------ block ciphers

def _check_blocks(data: bytes, block: int) -> None:
    if len(data) % block:
        raise CryptoError(f"data length {len(data)} is not a multiple of {block}")


def des3_encrypt(key: bytes, data: bytes, iv: bytes = b"\x00" * 8) -> bytes:
    """3DES-CBC without padding (zero IV by default, 9303-11 sec. 9.8.6.1)."""
    _check_blocks(data, 8)
    enc = Cipher(TripleDES(_des3_key(bytes(key))), modes.CBC(iv)).encryptor()
    return enc.update(bytes(data)) + enc.finalize()


def des3_decrypt(key: bytes, data: bytes, iv: bytes = b"\x00" * 8) -> bytes:
    _check_blocks(data, 8)
    dec = Cipher(TripleDES(_des3_key(bytes(key))), modes.CBC(iv)).decryptor()
    return dec.update(bytes(data)) + dec.finalize()


def _des_ecb(key8: bytes, block: bytes, decrypt: bool = False) -> bytes:
    # Single DES as 3DES with K1=K2=K3 (cryptography has no plain DES).
    c = Cipher(TripleDES(key8 * 3), modes.ECB())
    op = c.decryptor() if decrypt else c.encryptor()
    return op.update(block) + op.finalize()


def retail_mac(key: bytes, data: bytes, *, pad_data: bool = True) -> bytes:
    """ISO/IEC 9797-1 MAC algorithm 3 (retail MAC) with DES, 8-byte result.

    `data` is padded with method 2 unless pad_data=False (then it must already
    be a multiple of 8).  9303-11 sec. 9.8.6.1 / Appendix D.
    """
    key = bytes(key)
    if len(key) != 16:
        raise CryptoError("retail MAC key must be 16 bytes")
    msg = pad(data, 8) if pad_data else bytes(data)
    _check_blocks(msg, 8)
    k1, k2 = key[:8], key[8:]
    # CBC-DES with K1 over all blocks (initial transform 1, output transform 3).
    enc = Cipher(TripleDES(k1 * 3), modes.CBC(b"\x00" * 8)).encryptor()
    h = (enc.update(msg) + enc.finalize())[-8:]
    return _des_ecb(k1, _des_ecb(k2, h, decrypt=True))


def aes_cbc_encrypt(key: bytes, data: bytes, iv: bytes = b"\x00" * 16) -> bytes:
    _check_blocks(data, 16)
    enc = Cipher(algorithms.AES(bytes(key)), modes.CBC(iv)).encryptor()
    return enc.update(bytes(data)) + enc.finalize()


def aes_cbc_decrypt(key: bytes, data: bytes, iv: bytes = b"\x00" * 16) -> bytes:
    _check_blocks(data, 16)
    dec = Cipher(algorithms.AES(bytes(key)), modes.CBC(iv)).decryptor()
    return dec.update(bytes(data)) + dec.finalize()


def aes_ecb_encrypt(key: bytes, block: bytes) -> bytes:
    _check_blocks(block, 16)
    enc = Cipher(algorithms.AES(bytes(key)), modes.ECB()).encryptor()
    return enc.update(bytes(block)) + enc.finalize()


def aes_cmac(key: bytes, data: bytes, length: int = 16) -> bytes:
    """AES-CMAC (NIST SP 800-38B); SM and PACE tokens use the first 8 bytes."""
    c = CMAC(algorithms.AES(bytes(key)))
    c.update(bytes(data))
    return c.finalize()[:length]


def __getattr__(name: str):
    # Lazy re-export so `from kiosk_client.emrtd.crypto import SecureMessaging`
    # works without an import cycle (sm.py imports this module).
    if name in ("SecureMessaging", "SMError"):
        from . import sm

        return getattr(sm, name)
    raise AttributeError(name)
