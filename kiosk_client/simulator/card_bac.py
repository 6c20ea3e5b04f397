"""Card side of Basic Access Control (ICAO 9303-11 sec. 4.3) around emrtd.bac."""

from __future__ import annotations

import os

from kiosk_client.emrtd.bac import BacError, bac_card_response, bac_keys
from kiosk_client.emrtd.sm import SecureMessaging


class BacFailed(Exception):
    """The terminal's cryptogram does not verify: answer 6300."""


class BacCard:
    """Holds the challenge between GET CHALLENGE and EXTERNAL AUTHENTICATE."""

    def __init__(self, mrz_info: str) -> None:
        self.k_enc, self.k_mac = bac_keys(mrz_info)
        self.rnd_ic: bytes | None = None

    def get_challenge(self) -> bytes:
        self.rnd_ic = os.urandom(8)
        return self.rnd_ic

    def external_authenticate(self, data: bytes) -> tuple[bytes, SecureMessaging]:
        """Verify E.IFD || M.IFD; return E.IC || M.IC and the session's secure messaging."""
        rnd_ic, self.rnd_ic = self.rnd_ic, None  # a challenge is good for one try only
        if rnd_ic is None:
            raise BacFailed("no challenge")
        try:
            return bac_card_response(self.k_enc, self.k_mac, rnd_ic, data)
        except BacError as exc:
            raise BacFailed(str(exc)) from None
