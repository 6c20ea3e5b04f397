"""A virtual CCCD chip: answers ISO 7816-4 APDUs as an ICAO 9303 eMRTD application.

``VirtualCard.transmit(bytes) -> bytes`` is all a transport needs. Commands supported:
SELECT (AID, EF by FID, MF), READ BINARY (B0 incl. short EF ids, B1 with DO54 offsets),
GET CHALLENGE + EXTERNAL AUTHENTICATE (BAC), MSE:Set AT + GENERAL AUTHENTICATE (PACE
ECDH-GM AES-128), INTERNAL AUTHENTICATE (AA). After BAC/PACE every command must use
secure messaging; a wrong MAC answers 6988 and ends the session.
"""

from __future__ import annotations

import datetime as _dt
import time
from pathlib import Path

from kiosk_client.card.errors import CardRemoved
from kiosk_client.emrtd.apdu import ApduError, CommandAPDU, ResponseAPDU
from kiosk_client.emrtd.sm import SecureMessaging, SMError
from kiosk_client.emrtd.tlv import TlvError, decode_single, tlv

from . import card_aa
from .card_bac import BacCard, BacFailed
from .card_files import FID_CARD_ACCESS, build_files
from .card_pace import PaceCard, PaceError
from .faults import Fault, parse_fault
from .pki import TestPKI
from .profile import Profile, load_profile

AID_EMRTD = bytes.fromhex("A0000002471001")

# ISO 7816-4 status words used here.
SW_OK = 0x9000
SW_EOF_BEFORE_LE = 0x6282
SW_AUTH_FAILED = 0x6300
SW_WRONG_LENGTH = 0x6700
SW_SECURITY_STATUS = 0x6982
SW_CONDITIONS = 0x6985
SW_NO_CURRENT_EF = 0x6986
SW_SM_MISSING = 0x6987
SW_SM_INCORRECT = 0x6988
SW_WRONG_DATA = 0x6A80
SW_FILE_NOT_FOUND = 0x6A82
SW_WRONG_P1P2 = 0x6A86
SW_REF_NOT_FOUND = 0x6A88
SW_WRONG_OFFSET = 0x6B00
SW_INS_NOT_SUPPORTED = 0x6D00
SW_CLA_NOT_SUPPORTED = 0x6E00


def make_atr(historical: bytes = b"CCCDVNSIM01") -> bytes:
    """PC/SC part 3 style contactless ATR: 3B 8K 80 01 <historical bytes> TCK."""
    body = bytes((0x80 | len(historical), 0x80, 0x01)) + historical
    tck = 0
    for b in body:
        tck ^= b
    return b"\x3b" + body + bytes((tck,))


ATR = make_atr()


def _sw(sw: int, data: bytes = b"") -> ResponseAPDU:
    return ResponseAPDU.from_sw(sw, data)


class VirtualCard:
    """One personalised chip.

    access: "bac", "pace" or "both"; fault: a name from faults.py ("name" or "name:arg");
    latency_ms: delay per APDU; pace_curve: "brainpoolP256r1" (id 13) or "P-256" (id 12);
    aa_kind: "ec256", "rsa1024" or "rsa2048"; photo_bytes: re-encode the portrait to about
    that size (e.g. 20_000); sleep: injectable for tests of the latency.
    ``files`` (card_files.CardFiles) exposes what the card serves, for assertions.
    """

    def __init__(
        self,
        profile: Profile,
        pki: TestPKI | Path | str,
        *,
        access: str = "both",
        fault: str | Fault | None = None,
        latency_ms: float = 0,
        pace_curve: str = "brainpoolP256r1",
        aa_kind: str = "ec256",
        photo_bytes: int | None = None,
        sleep=time.sleep,
    ) -> None:
        self.profile = profile
        self.access = access
        self.fault = parse_fault(fault)
        fname = self.fault.name if self.fault else None
        self.latency_ms = float(latency_ms)
        if fname == "slow" and not self.latency_ms:
            self.latency_ms = float(self.fault.arg)
        self._sleep = sleep
        self.files = build_files(profile, pki, access=access, pace_curve=pace_curve, aa_kind=aa_kind,
                                 photo_bytes=photo_bytes, fault=self.fault)
        keying = profile
        if fname == "wrong_key":
            # Personalisation error: the chip's keys come from other MRZ data and another CAN.
            keying = profile.with_changes(
                date_of_birth=profile.date_of_birth + _dt.timedelta(days=1),
                id_number=profile.id_number[:-6] + f"{(int(profile.id_number[-6:]) + 1) % 10**6:06d}",
            )
        self._mrz_info, self._can = keying.mrz_info, keying.can
        self.atr = ATR
        self.removed = False
        self.reads_after_access = 0
        self.apdu_count = 0
        self.power_on()

    @classmethod
    def from_paths(cls, profile_path: Path | str, pki_dir: Path | str, **options) -> VirtualCard:
        return cls(load_profile(profile_path), pki_dir, **options)

    # ------------------------------------------------------------ physical events
    def power_on(self) -> None:
        """Cold/warm reset: everything volatile is gone (selection, keys, session)."""
        self.app_selected = False
        self.current: tuple[int, bytes] | None = None  # (FID, content)
        self.sm: SecureMessaging | None = None
        self.bac = BacCard(self._mrz_info)
        pid = self.files.extra["pace_parameter_id"]
        self.pace = PaceCard(pid, self._mrz_info, self._can) if pid is not None else None

    reset = power_on

    def power_off(self) -> None:
        self.power_on()

    def remove(self) -> None:
        self.removed = True

    def insert(self) -> None:
        self.removed = False
        self.reads_after_access = 0
        self.power_on()

    # ------------------------------------------------------------ APDU entry point
    def transmit(self, apdu: bytes) -> bytes:
        if self.removed:
            raise CardRemoved("simulated card has been removed")
        self.apdu_count += 1
        if self.latency_ms:
            self._sleep(self.latency_ms / 1000)
        return self._process(bytes(apdu)).encode()

    def _drop_session(self) -> None:
        self.sm = None
        self.app_selected = False
        self.current = None

    def _process(self, raw: bytes) -> ResponseAPDU:
        try:
            cmd = CommandAPDU.decode(raw)
        except ApduError:
            return _sw(SW_WRONG_LENGTH)
        if cmd.cla & 0x0C == 0x0C:
            if self.sm is None:
                return _sw(SW_SM_MISSING)
            try:
                inner = self.sm.unprotect_command(cmd)
            except SMError as exc:
                # 9303-11 sec. 9.8.7: SM errors end the session and are answered unprotected.
                self._drop_session()
                return _sw(SW_SM_INCORRECT if "mismatch" in str(exc) else SW_SM_MISSING)
            sm = self.sm
            resp = self._dispatch(inner, secure=True)
            # The session may have been replaced (new PACE inside SM) or dropped meanwhile.
            if self.sm is sm:
                return sm.protect_response(resp, odd_ins=bool(inner.ins & 1))
            return resp
        if self.sm is not None:
            # A plain command ends the session (so a terminal can always start over).
            self._drop_session()
        return self._dispatch(cmd, secure=False)

    def _dispatch(self, cmd: CommandAPDU, secure: bool) -> ResponseAPDU:
        if cmd.cla & ~0x1C & 0xFF:
            return _sw(SW_CLA_NOT_SUPPORTED)
        handler = {
            0xA4: self._select,
            0xB0: self._read_binary,
            0xB1: self._read_binary_odd,
            0x84: self._get_challenge,
            0x82: self._external_authenticate,
            0x22: self._mse,
            0x86: self._general_authenticate,
            0x88: self._internal_authenticate,
        }.get(cmd.ins)
        if handler is None:
            return _sw(SW_INS_NOT_SUPPORTED)
        return handler(cmd, secure)

    # ------------------------------------------------------------ file system
    def _lookup(self, fid: int) -> bytes | None:
        if self.app_selected and fid in self.files.app:
            return self.files.app[fid]
        return self.files.mf.get(fid)

    def _select(self, cmd: CommandAPDU, secure: bool) -> ResponseAPDU:
        p1, p2 = cmd.p1, cmd.p2
        if p2 not in (0x00, 0x04, 0x0C):
            return _sw(SW_WRONG_P1P2)
        if p1 == 0x04:
            if cmd.data != AID_EMRTD:
                return _sw(SW_FILE_NOT_FOUND)
            self.app_selected, self.current = True, None
            return _sw(SW_OK, b"" if p2 == 0x0C else tlv(0x6F, tlv(0x84, AID_EMRTD)))
        if p1 == 0x00 and cmd.data in (b"", b"\x3f\x00"):
            self.app_selected, self.current = False, None
            return _sw(SW_OK)
        if p1 not in (0x00, 0x02):
            return _sw(SW_WRONG_P1P2)
        if len(cmd.data) != 2:
            return _sw(SW_WRONG_LENGTH)
        fid = int.from_bytes(cmd.data, "big")
        content = self._lookup(fid)
        if content is None:
            return _sw(SW_FILE_NOT_FOUND)
        self.current = (fid, content)
        if p2 == 0x0C:
            return _sw(SW_OK)
        fcp = tlv(0x62, [tlv(0x80, len(content).to_bytes(2, "big")), tlv(0x82, b"\x01"), tlv(0x83, cmd.data)])
        return _sw(SW_OK, fcp)

    def _readable(self, fid: int, secure: bool) -> bool:
        # Only EF.CardAccess is free; everything in the application needs BAC or PACE.
        return secure or fid == FID_CARD_ACCESS

    def _read(self, fid: int, content: bytes, offset: int, le: int | None, secure: bool):
        if not self._readable(fid, secure):
            return None, _sw(SW_SECURITY_STATUS)
        if le is None:
            return None, _sw(SW_WRONG_LENGTH)
        if offset >= len(content):
            return None, _sw(SW_WRONG_OFFSET)
        if secure:
            self.reads_after_access += 1
            f = self.fault
            if f and f.name == "removed_mid_read" and self.reads_after_access > f.arg:
                self.removed = True
                raise CardRemoved(f"simulated card removed after {f.arg} READ BINARY commands")
        chunk = content[offset:offset + le]
        # Le 00 / 0000 means "as much as there is": short reads are then normal, not a warning.
        short_ok = le in (256, 65536)
        return chunk, _sw(SW_OK if len(chunk) == le or short_ok else SW_EOF_BEFORE_LE)

    def _read_binary(self, cmd: CommandAPDU, secure: bool) -> ResponseAPDU:
        if cmd.p1 & 0x80:
            # Short EF identifier: our FIDs are 01xx and the SFI is the low byte.
            if cmd.p1 & 0x60:
                return _sw(SW_WRONG_P1P2)
            fid = 0x0100 | (cmd.p1 & 0x1F)
            content = self._lookup(fid)
            if content is None:
                return _sw(SW_FILE_NOT_FOUND)
            self.current = (fid, content)
            offset = cmd.p2
        else:
            if self.current is None:
                return _sw(SW_NO_CURRENT_EF)
            offset = ((cmd.p1 << 8) | cmd.p2) & 0x7FFF
        fid, content = self.current
        chunk, sw = self._read(fid, content, offset, cmd.le, secure)
        return sw if chunk is None else _sw(sw.sw, chunk)

    def _read_binary_odd(self, cmd: CommandAPDU, secure: bool) -> ResponseAPDU:
        """B1: the offset comes in DO54 so it can pass 32767 (large DG2/DG3)."""
        fid_p = (cmd.p1 << 8) | cmd.p2
        if fid_p:
            content = self._lookup(fid_p)
            if content is None:
                return _sw(SW_FILE_NOT_FOUND)
            self.current = (fid_p, content)
        if self.current is None:
            return _sw(SW_NO_CURRENT_EF)
        try:
            do = decode_single(cmd.data)
            if do.tag != 0x54 or not 1 <= len(do.value) <= 3:
                raise TlvError("expected DO54 offset")
        except TlvError:
            return _sw(SW_WRONG_DATA)
        fid, content = self.current
        chunk, sw = self._read(fid, content, int.from_bytes(do.value, "big"), cmd.le, secure)
        if chunk is None:
            return sw
        return _sw(sw.sw, tlv(0x53, chunk))

    # ------------------------------------------------------------ BAC
    def _get_challenge(self, cmd: CommandAPDU, secure: bool) -> ResponseAPDU:
        if cmd.le != 8 or cmd.data:
            return _sw(SW_WRONG_LENGTH)
        return _sw(SW_OK, self.bac.get_challenge())

    def _external_authenticate(self, cmd: CommandAPDU, secure: bool) -> ResponseAPDU:
        if self.access == "pace":
            return _sw(SW_INS_NOT_SUPPORTED)
        if len(cmd.data) != 40:
            return _sw(SW_WRONG_LENGTH)
        try:
            answer, sm = self.bac.external_authenticate(cmd.data)
        except BacFailed:
            return _sw(SW_AUTH_FAILED)
        self.sm = sm
        return _sw(SW_OK, answer)

    # ------------------------------------------------------------ PACE
    def _mse(self, cmd: CommandAPDU, secure: bool) -> ResponseAPDU:
        if self.pace is None:
            return _sw(SW_INS_NOT_SUPPORTED)
        if (cmd.p1, cmd.p2) != (0xC1, 0xA4):
            return _sw(SW_WRONG_P1P2)
        try:
            self.pace.mse_set_at(cmd.data)
        except PaceError as exc:
            return _sw(exc.sw)
        return _sw(SW_OK)

    def _general_authenticate(self, cmd: CommandAPDU, secure: bool) -> ResponseAPDU:
        if self.pace is None:
            return _sw(SW_INS_NOT_SUPPORTED)
        try:
            answer, sm = self.pace.general_authenticate(cmd.data)
        except PaceError as exc:
            return _sw(exc.sw)
        if sm is not None:
            self.sm = sm
            self.app_selected, self.current = False, None
        return _sw(SW_OK, answer)

    # ------------------------------------------------------------ AA
    def _internal_authenticate(self, cmd: CommandAPDU, secure: bool) -> ResponseAPDU:
        if not secure:
            return _sw(SW_SECURITY_STATUS)
        if len(cmd.data) != 8:
            return _sw(SW_WRONG_LENGTH)
        return _sw(SW_OK, card_aa.sign_challenge(self.files.aa_key, cmd.data))

