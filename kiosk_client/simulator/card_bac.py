"""Card side of Basic Access Control (ICAO 9303-11 sec. 4.3)."""

from __future__ import annotations

import hashlib
import hmac
import os

from kiosk_client.emrtd import crypto
from kiosk_client.emrtd.sm import SecureMessaging


class BacFailed(Exception):
    """The terminal's cryptogram does not verify: answer 6300."""


def document_basic_keys(mrz_info: str) -> tuple[bytes, bytes]:
    seed = hashlib.sha1(mrz_info.encode("ascii")).digest()[:16]
    return crypto.kdf(seed, crypto.KDF_ENC, "3DES"), crypto.kdf(seed, crypto.KDF_MAC, "3DES")


class BacCard:
    """Holds the challenge between GET CHALLENGE and EXTERNAL AUTHENTICATE."""

    def __init__(self, mrz_info: str) -> None:
        self.k_enc, self.k_mac = document_basic_keys(mrz_info)
        self.rnd_ic: bytes | None = None

    def get_challenge(self) -> bytes:
        self.rnd_ic = os.urandom(8)
        return self.rnd_ic

    def external_authenticate(self, data: bytes) -> tuple[bytes, SecureMessaging]:
        """Verify E.IFD || M.IFD; return E.IC || M.IC and the session's secure messaging."""
        rnd_ic, self.rnd_ic = self.rnd_ic, None  # a challenge is good for one try only
        if rnd_ic is None:
            raise BacFailed("no challenge")
        e_ifd, m_ifd = data[:32], data[32:]
        if not hmac.compare_digest(crypto.retail_mac(self.k_mac, e_ifd), m_ifd):
            raise BacFailed("MAC of the terminal's cryptogram")
        s = crypto.des3_decrypt(self.k_enc, e_ifd)
        rnd_ifd, echoed, k_ifd = s[:8], s[8:16], s[16:32]
        if not hmac.compare_digest(echoed, rnd_ic):
            raise BacFailed("RND.IC not echoed")
        k_ic = os.urandom(16)
        e_ic = crypto.des3_encrypt(self.k_enc, rnd_ic + rnd_ifd + k_ic)
        m_ic = crypto.retail_mac(self.k_mac, e_ic)
        seed = bytes(a ^ b for a, b in zip(k_ifd, k_ic))
        sm = SecureMessaging(
            crypto.kdf(seed, crypto.KDF_ENC, "3DES"),
            crypto.kdf(seed, crypto.KDF_MAC, "3DES"),
            rnd_ic[4:] + rnd_ifd[4:],
            "3DES",
        )
        return e_ic + m_ic, sm
