"""Terminal-side eMRTD reader over an abstract APDU transport.

Flow (9303-11 sec. 4.2, inspection procedure): read EF.CardAccess from the
MF; run PACE when it offers a supported PACEInfo (falling back to BAC if PACE
fails), else BAC; select the eMRTD application; read files under secure
messaging.
"""
from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Protocol

from . import bac, pace
from .apdu import CardError, CommandAPDU, ResponseAPDU
from .lds import FID_CARD_ACCESS, FIDS
from .sm import SecureMessaging, SMError
from .tlv import TlvError, decode_header, decode_single, find_tag

AID_EMRTD = bytes.fromhex("A0000002471001")  # LDS1 eMRTD application, 9303-10 sec. 3.6.1
FID_ATR_INFO = 0x2F01
SM_CHUNK = 0xDF  # largest READ BINARY Le whose protected response fits a short APDU
SW_END_OF_FILE = 0x6282


class ReaderError(Exception):
    """Access control failed or the card misbehaved beyond recovery."""


class CardTransport(Protocol):
    def transmit(self, apdu: bytes) -> bytes:
        """Send a command APDU, return the response including SW1 SW2."""
        ...


@dataclass
class ReaderStats:
    apdus: int = 0
    bytes_sent: int = 0
    bytes_received: int = 0
    timings: dict[str, float] = field(default_factory=dict)  # step name -> seconds
    apdus_per_step: dict[str, int] = field(default_factory=dict)


class EmrtdReader:
    def __init__(self, transport: CardTransport, *, extended_length: bool | None = None,
                 probe_extended_length: bool = True) -> None:
        self.transport = transport
        self.sm: SecureMessaging | None = None
        self.stats = ReaderStats()
        self.access_protocol: str | None = None  # "PACE" | "BAC"
        self.pace_error: str | None = None
        self.chip_authenticated = False
        self.card_access: bytes | None = None
        self.extended_length = bool(extended_length)
        self.max_response = 0  # from EF.ATR/INFO, 0 = unknown
        self._probe = probe_extended_length and extended_length is None
        self._step_name: str | None = None

    # ---------------------------------------------------------------- transport
    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        prev, self._step_name = self._step_name, name
        start, apdus = time.perf_counter(), self.stats.apdus
        try:
            yield
        finally:
            self.stats.timings[name] = self.stats.timings.get(name, 0.0) + time.perf_counter() - start
            self.stats.apdus_per_step[name] = self.stats.apdus_per_step.get(name, 0) + self.stats.apdus - apdus
            self._step_name = prev

    def _raw(self, raw: bytes) -> ResponseAPDU:
        self.stats.apdus += 1
        self.stats.bytes_sent += len(raw)
        out = self.transport.transmit(raw)
        self.stats.bytes_received += len(out)
        return ResponseAPDU.decode(out)

    def transmit_plain(self, cmd: CommandAPDU) -> ResponseAPDU:
        """One command without secure messaging; 61xx is collected with GET RESPONSE."""
        resp = self._raw(cmd.encode())
        data = resp.data
        while resp.sw1 == 0x61:  # more data available, 7816-4 sec. 5.1.3
            resp = self._raw(CommandAPDU(cmd.cla & 0x03, 0xC0, 0, 0, le=resp.sw2 or 256).encode())
            data += resp.data
        return ResponseAPDU(data, resp.sw1, resp.sw2)

    def _send_once(self, cmd: CommandAPDU) -> ResponseAPDU:
        if self.sm is None:
            return self.transmit_plain(cmd)
        prot = self.sm.protect_command(cmd)
        try:
            resp = self.sm.unprotect_response(self.transmit_plain(prot))
        except SMError as exc:
            self.sm = None
            raise ReaderError(f"secure messaging broken: {exc}") from None
        if resp.sw in (0x6987, 0x6988):  # SM objects missing/incorrect: the card dropped SM
            self.sm = None
            raise ReaderError(f"card reported secure messaging error {resp.sw:04X}")
        return resp

    def send(self, cmd: CommandAPDU) -> ResponseAPDU:
        """Send through secure messaging when a session is established.  A 6Cxx
        (wrong Le) answer is retried once with the exact length, re-wrapped."""
        resp = self._send_once(cmd)
        if resp.sw1 == 0x6C and cmd.le is not None:
            resp = self._send_once(CommandAPDU(cmd.cla, cmd.ins, cmd.p1, cmd.p2, cmd.data,
                                               le=resp.sw2 or 256, extended=cmd.extended))
        return resp

    # ---------------------------------------------------------------- files
    def select_applet(self) -> None:
        self.send(CommandAPDU(0x00, 0xA4, 0x04, 0x0C, AID_EMRTD)).check("SELECT eMRTD application")

    def select_file(self, fid: int) -> None:
        self.send(CommandAPDU(0x00, 0xA4, 0x02, 0x0C, fid.to_bytes(2, "big"))).check(f"SELECT {fid:04X}")

    def _chunk(self) -> int:
        if self.extended_length:
            limit = self.max_response or 0x10000
            # leave room for DO87/DO99/DO8E and padding under SM
            return max(SM_CHUNK, min(0xFFFF, limit - 64 if self.sm else limit))
        return SM_CHUNK if self.sm else 0xFF

    def _read_binary(self, offset: int, le: int) -> ResponseAPDU:
        ext = le > 256
        if offset <= 0x7FFF:
            cmd = CommandAPDU(0x00, 0xB0, offset >> 8, offset & 0xFF, le=le, extended=ext)
            return self.send(cmd)
        # Offsets beyond 15 bits: READ BINARY with odd INS and offset DO54 (9303-10 sec. 3.5.2).
        off = offset.to_bytes((offset.bit_length() + 7) // 8, "big")
        resp = self.send(CommandAPDU(0x00, 0xB1, 0, 0, bytes((0x54, len(off))) + off, le=le, extended=ext))
        if resp.ok or resp.sw == SW_END_OF_FILE:
            try:
                obj = decode_single(resp.data, strict=False)
            except TlvError as exc:
                raise ReaderError(f"READ BINARY (B1) response is not a DO53: {exc}") from None
            if obj.tag != 0x53:
                raise ReaderError(f"READ BINARY (B1) returned tag {obj.tag:X}, expected 53")
            return ResponseAPDU(obj.value, resp.sw1, resp.sw2)
        return resp

    def read_selected(self) -> bytes:
        """Read the currently selected EF; its size comes from the TLV header."""
        chunk = self._chunk()
        first = self._read_binary(0, chunk)
        if first.sw in (0x6700, 0x6B00):  # some cards refuse Le beyond the file end: read the header
            first = self._read_binary(0, 4)
        if not (first.ok or first.sw == SW_END_OF_FILE):
            first.check("READ BINARY")
        data = bytearray(first.data)
        try:
            _, length, hdr = decode_header(bytes(data), 0, strict=False)
        except TlvError as exc:
            raise ReaderError(f"file does not start with a TLV header: {exc}") from None
        if length is None:
            raise ReaderError("indefinite length file")
        total = hdr + length
        del data[total:]
        while len(data) < total:
            le = min(chunk, total - len(data))
            resp = self._read_binary(len(data), le)
            if not (resp.ok or resp.sw == SW_END_OF_FILE):
                resp.check(f"READ BINARY at offset {len(data)}")
            if not resp.data:
                raise ReaderError(f"card returned no data at offset {len(data)} of {total}")
            data += resp.data[:total - len(data)]
        return bytes(data)

    def read_file(self, fid: int | str) -> bytes:
        """SELECT EF by file identifier (or name such as "DG1") and read it whole."""
        if isinstance(fid, str):
            fid = FIDS[fid]
        name = next((n for n, f in FIDS.items() if f == fid), f"{fid:04X}")
        with self.step(f"read {name}"):
            self.select_file(fid)
            return self.read_selected()

    def read_file_optional(self, fid: int | str) -> bytes | None:
        """Like read_file, but None when the file does not exist or access is denied."""
        try:
            return self.read_file(fid)
        except CardError as exc:
            if exc.sw in (0x6A82, 0x6982, 0x6A80, 0x6986):
                return None
            raise

    # ---------------------------------------------------------------- access control
    def read_card_access(self) -> bytes | None:
        """EF.CardAccess from the MF, unprotected, before the applet is selected."""
        with self.step("read EF.CardAccess"):
            # READ BINARY by short EF identifier 1C (P1 = 80|SFI) saves a SELECT.
            resp = self.send(CommandAPDU(0x00, 0xB0, 0x80 | 0x1C, 0x00, le=256))
            if not (resp.ok or resp.sw == SW_END_OF_FILE) or not resp.data:
                try:
                    self.transmit_plain(CommandAPDU(0x00, 0xA4, 0x00, 0x0C, b"\x3f\x00"))  # MF
                    self.transmit_plain(CommandAPDU(0x00, 0xA4, 0x02, 0x0C, FID_CARD_ACCESS.to_bytes(2, "big"))
                                        ).check()
                    return self.read_selected()
                except (CardError, ReaderError):
                    return None
            data = resp.data
            try:
                _, length, hdr = decode_header(data, 0, strict=False)
            except TlvError:
                return None
            if length is not None and len(data) < hdr + length:
                self.transmit_plain(CommandAPDU(0x00, 0xA4, 0x02, 0x0C, FID_CARD_ACCESS.to_bytes(2, "big")))
                return self.read_selected()
            return data[:hdr + length] if length is not None else data

    def probe_atr_info(self) -> None:
        """EF.ATR/INFO (2F01, SFI 01) may announce extended length support:
        7F66 { 02 max command length, 02 max response length } (ISO 7816-4 sec. 12.7.1)."""
        with self.step("read EF.ATR/INFO"):
            resp = self.send(CommandAPDU(0x00, 0xB0, 0x81, 0x00, le=256))
        if not resp.ok or not resp.data:
            return
        try:
            info = find_tag(resp.data, 0x7F66)
            if info is None:
                return
            ints = [c for c in info.children if c.tag == 0x02]
            if len(ints) >= 2:
                self.max_response = int.from_bytes(ints[1].value, "big")
                self.extended_length = self.max_response > 256
        except TlvError:
            return

    def authenticate(self, mrz_information: str | None = None, can: str | None = None,
                     prefer_pace: bool = True) -> str:
        """Establish secure messaging; return "PACE" or "BAC"."""
        if mrz_information is None and can is None:
            raise ValueError("need the MRZ information or the CAN")
        if self._probe:
            self.probe_atr_info()
        self.card_access = self.read_card_access() if prefer_pace else None
        offered = pace.pace_infos(self.card_access) if self.card_access else []
        info = pace.choose_pace_info(offered)
        if info is not None:
            pwd, ptype = (can, pace.PWD_CAN) if can else (mrz_information, pace.PWD_MRZ)
            try:
                with self.step("PACE"):
                    # Domain parameter id (84) only when the choice is ambiguous (9303-11 sec. 4.4.4.1).
                    self.sm = pace.perform_pace(self.transmit_plain, info, pwd, ptype,
                                                include_parameter_id=len(offered) > 1)
                with self.step("select application"):
                    self.select_applet()
                self.access_protocol = "PACE"
                return "PACE"
            except (pace.PaceError, CardError, ReaderError, TlvError) as exc:
                self.pace_error = f"{type(exc).__name__}: {exc}"
                self.sm = None
        if mrz_information is None:
            raise ReaderError(f"PACE with CAN failed and BAC needs the MRZ ({self.pace_error})")
        with self.step("select application"):
            self.transmit_plain(CommandAPDU(0x00, 0xA4, 0x04, 0x0C, AID_EMRTD)).check("SELECT eMRTD application")
        with self.step("BAC"):
            try:
                self.sm = bac.perform_bac(self.transmit_plain, mrz_information)
            except bac.BacError as exc:
                raise ReaderError(f"BAC failed: {exc}") from None
        self.access_protocol = "BAC"
        return "BAC"

    # ---------------------------------------------------------------- active authentication
    def internal_authenticate(self, challenge: bytes) -> bytes:
        """INTERNAL AUTHENTICATE with the server's 8-byte challenge (9303-11 sec. 6.1)."""
        if len(challenge) != 8:
            raise ValueError("Active Authentication challenge must be 8 bytes")
        with self.step("active authentication"):
            le = 65536 if self.extended_length else 256
            resp = self.send(CommandAPDU(0x00, 0x88, 0x00, 0x00, bytes(challenge), le=le,
                                         extended=self.extended_length))
            return resp.check("INTERNAL AUTHENTICATE").data

    def chip_authenticate(self, dg14: bytes) -> bool:
        """Chip Authentication with the DG14 key (9303-11 sec. 6.2); True when the
        card proved possession of the private key by answering under the new keys."""
        from . import chip_auth

        options = chip_auth.chip_auth_options(dg14)
        if not options or self.sm is None:
            return False
        with self.step("chip authentication"):
            cmds, new_sm = chip_auth.chip_auth_commands(options[0])
            try:
                for cmd in cmds:
                    self.send(cmd).check("Chip Authentication")
            except (CardError, ReaderError):
                return False
            self.sm = new_sm
            try:  # implicit authentication: the next response must verify under the new keys
                self.select_applet()
            except (CardError, ReaderError):
                return False
        self.chip_authenticated = True
        return True

    def read_files(self, names: list[str]) -> dict[str, bytes | None]:
        """Read several files by name ("EF.COM", "DG1", "EF.SOD"...); missing ones are None."""
        return {n: self.read_file_optional(n) for n in names}
