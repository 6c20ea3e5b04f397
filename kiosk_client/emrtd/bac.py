"""Basic Access Control (ICAO 9303-11 sec. 4.3, worked example Appendix D).

Terminal side: BacTerminal / perform_bac.  Card side: bac_card_response (used
by the card simulator).
"""
from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Callable

from . import crypto
from .apdu import CommandAPDU, ResponseAPDU
from .sm import SecureMessaging


class BacError(Exception):
    """Mutual authentication failed (wrong MRZ, wrong MAC, nonce mismatch)."""


def key_seed(mrz_information: str) -> bytes:
    """K_seed = first 16 bytes of SHA-1(MRZ_information) (9303-11 sec. 9.7.2)."""
    return hashlib.sha1(mrz_information.encode("ascii")).digest()[:16]


def bac_keys(mrz_information: str) -> tuple[bytes, bytes]:
    """Document basic access keys (K_enc, K_mac)."""
    seed = key_seed(mrz_information)
    return crypto.kdf(seed, crypto.KDF_ENC, "3DES"), crypto.kdf(seed, crypto.KDF_MAC, "3DES")


def session_from_key_material(k_ifd: bytes, k_ic: bytes, rnd_ic: bytes, rnd_ifd: bytes) -> SecureMessaging:
    """KSseed = K.IFD xor K.IC; SSC = RND.IC[4:8] || RND.IFD[4:8] (9303-11 sec. 9.8.2 / D.3)."""
    seed = bytes(a ^ b for a, b in zip(k_ifd, k_ic))
    return SecureMessaging(crypto.kdf(seed, crypto.KDF_ENC, "3DES"), crypto.kdf(seed, crypto.KDF_MAC, "3DES"),
                           rnd_ic[4:8] + rnd_ifd[4:8], "3DES")


class BacTerminal:
    """Two-step terminal computation, deterministic when rnd_ifd/k_ifd are given."""

    def __init__(self, mrz_information: str, rnd_ic: bytes, rnd_ifd: bytes | None = None,
                 k_ifd: bytes | None = None) -> None:
        if len(rnd_ic) != 8:
            raise BacError("RND.IC must be 8 bytes")
        self.k_enc, self.k_mac = bac_keys(mrz_information)
        self.rnd_ic = bytes(rnd_ic)
        self.rnd_ifd = rnd_ifd or os.urandom(8)
        self.k_ifd = k_ifd or os.urandom(16)

    def command_data(self) -> bytes:
        """E_IFD || M_IFD for EXTERNAL AUTHENTICATE."""
        e = crypto.des3_encrypt(self.k_enc, self.rnd_ifd + self.rnd_ic + self.k_ifd)
        return e + crypto.retail_mac(self.k_mac, e)

    def finish(self, resp_data: bytes) -> SecureMessaging:
        """Check the card's cryptogram and derive the session."""
        if len(resp_data) != 40:
            raise BacError(f"EXTERNAL AUTHENTICATE response has {len(resp_data)} bytes, expected 40")
        e, m = resp_data[:32], resp_data[32:]
        if not hmac.compare_digest(crypto.retail_mac(self.k_mac, e), m):
            raise BacError("card cryptogram MAC mismatch")
        r = crypto.des3_decrypt(self.k_enc, e)
        if r[0:8] != self.rnd_ic or r[8:16] != self.rnd_ifd:
            raise BacError("card returned wrong nonces")
        return session_from_key_material(self.k_ifd, r[16:32], self.rnd_ic, self.rnd_ifd)


def bac_card_response(k_enc: bytes, k_mac: bytes, rnd_ic: bytes, cmd_data: bytes,
                      k_ic: bytes | None = None) -> tuple[bytes, SecureMessaging]:
    """Card side of EXTERNAL AUTHENTICATE: verify the terminal cryptogram and
    return (response data E_IC||M_IC, card session).  Raises BacError (the
    card answers 6300/6982)."""
    if len(cmd_data) != 40:
        raise BacError("EXTERNAL AUTHENTICATE data must be 40 bytes")
    e, m = cmd_data[:32], cmd_data[32:]
    if not hmac.compare_digest(crypto.retail_mac(k_mac, e), m):
        raise BacError("terminal cryptogram MAC mismatch")
    s = crypto.des3_decrypt(k_enc, e)
    rnd_ifd, k_ifd = s[0:8], s[16:32]
    if s[8:16] != rnd_ic:
        raise BacError("RND.IC mismatch")
    k_ic = k_ic or os.urandom(16)
    r = crypto.des3_encrypt(k_enc, rnd_ic + rnd_ifd + k_ic)
    return r + crypto.retail_mac(k_mac, r), session_from_key_material(k_ifd, k_ic, rnd_ic, rnd_ifd)


def perform_bac(send: Callable[[CommandAPDU], ResponseAPDU], mrz_information: str) -> SecureMessaging:
    """GET CHALLENGE + EXTERNAL AUTHENTICATE over a plain channel."""
    rnd_ic = send(CommandAPDU(0x00, 0x84, 0x00, 0x00, le=8)).check("GET CHALLENGE").data
    term = BacTerminal(mrz_information, rnd_ic)
    resp = send(CommandAPDU(0x00, 0x82, 0x00, 0x00, term.command_data(), le=40))
    resp.check("EXTERNAL AUTHENTICATE")
    return term.finish(resp.data)
