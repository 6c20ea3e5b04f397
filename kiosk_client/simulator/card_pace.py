"""Card side of PACE v2, ECDH generic mapping, AES-128 (ICAO 9303-11 sec. 4.4).

The cryptography is emrtd.pace.PaceChip; this module adds what a chip does around it:
parsing MSE:Set AT, choosing the password (MRZ or CAN) and mapping failures to status words.
"""

from __future__ import annotations

from kiosk_client.emrtd.pace import PWD_CAN, PWD_MRZ, PaceChip, PaceInfo, pace_algorithm
from kiosk_client.emrtd.pace import PaceError as _EmrtdPaceError
from kiosk_client.emrtd.secinfo import encode_oid
from kiosk_client.emrtd.sm import SecureMessaging
from kiosk_client.emrtd.tlv import TlvError, decode

from .lds_files import OID_PACE_ECDH_GM_AES_128


class PaceError(Exception):
    """Carries the status word the card answers with."""

    def __init__(self, sw: int, why: str) -> None:
        super().__init__(f"{why} ({sw:04X})")
        self.sw = sw


class PaceCard:
    def __init__(self, parameter_id: int, mrz_info: str, can: str) -> None:
        self.info = PaceInfo(pace_algorithm(OID_PACE_ECDH_GM_AES_128), 2, parameter_id)
        self.passwords = {PWD_MRZ: mrz_info, PWD_CAN: can}
        self.chip: PaceChip | None = None
        self.step = 0

    def reset(self) -> None:
        self.chip, self.step = None, 0

    def mse_set_at(self, data: bytes) -> None:
        self.reset()
        try:
            dos = {o.tag: o.value for o in decode(data)}
        except TlvError:
            raise PaceError(0x6A80, "malformed MSE:Set AT") from None
        if dos.get(0x80) != encode_oid(OID_PACE_ECDH_GM_AES_128):
            raise PaceError(0x6A80, "unsupported PACE protocol OID")
        ref = int.from_bytes(dos.get(0x83, b""), "big")
        if ref not in self.passwords:
            raise PaceError(0x6A88, "password reference not supported (MRZ or CAN only)")
        if 0x84 in dos and int.from_bytes(dos[0x84], "big") != self.info.parameter_id:
            raise PaceError(0x6A80, "unsupported domain parameters")
        self.chip = PaceChip(self.info, self.passwords[ref], ref)

    def general_authenticate(self, data: bytes) -> tuple[bytes, SecureMessaging | None]:
        """One GA step: the response data, and the secure messaging once PACE succeeded."""
        if self.chip is None:
            raise PaceError(0x6985, "GENERAL AUTHENTICATE without MSE:Set AT")
        step = self.step
        try:
            answer = self.chip.general_authenticate(data)
        except (_EmrtdPaceError, TlvError, ValueError) as exc:
            self.reset()
            # A token that does not verify in step 4 means a wrong password: 6300.
            raise PaceError(0x6300 if step == 3 else 0x6A80, str(exc)) from None
        self.step += 1
        if self.step < 4:
            return answer, None
        sm = self.chip.sm
        self.reset()
        return answer, sm
