"""Terminal-side helpers for the simulator tests (a minimal reader built on emrtd)."""

from __future__ import annotations

from kiosk_client.emrtd import bac, pace
from kiosk_client.emrtd.apdu import CommandAPDU, ResponseAPDU
from kiosk_client.emrtd.sm import SecureMessaging
from kiosk_client.emrtd.tlv import decode_header
from kiosk_client.simulator.card import AID_EMRTD

SELECT_APP = CommandAPDU(0x00, 0xA4, 0x04, 0x0C, AID_EMRTD)


def select_ef(fid: int) -> CommandAPDU:
    return CommandAPDU(0x00, 0xA4, 0x02, 0x0C, fid.to_bytes(2, "big"))


def read(offset: int, le: int) -> CommandAPDU:
    return CommandAPDU(0x00, 0xB0, offset >> 8, offset & 0xFF, le=le)


class Terminal:
    """Plain or secure-messaging APDU exchange with a transport."""

    def __init__(self, transport) -> None:
        self.t = transport
        self.sm: SecureMessaging | None = None

    def send(self, cmd: CommandAPDU) -> ResponseAPDU:
        if self.sm is None:
            return ResponseAPDU.decode(self.t.transmit(cmd.encode()))
        raw = self.t.transmit(self.sm.protect_command(cmd).encode())
        return self.sm.unprotect_response(raw)

    def plain(self, cmd: CommandAPDU) -> ResponseAPDU:
        return ResponseAPDU.decode(self.t.transmit(cmd.encode()))

    def bac(self, mrz_info: str) -> None:
        self.send(SELECT_APP).check()
        self.sm = bac.perform_bac(self.plain, mrz_info)

    def pace(self, password: str, pwd_type: int) -> None:
        self.plain(select_ef(0x011C)).check()
        card_access = self.plain(read(0, 256)).check().data
        info = pace.choose_pace_info(pace.pace_infos(card_access))
        self.sm = pace.perform_pace(self.plain, info, password, pwd_type)
        self.send(SELECT_APP).check()

    def read_file(self, fid: int, chunk: int = 0xDF) -> bytes:
        self.send(select_ef(fid)).check()
        head = self.send(read(0, 4)).check().data
        _, length, hdr = decode_header(head)
        total = hdr + length
        out = bytearray(head)
        while len(out) < total:
            out += self.send(read(len(out), min(chunk, total - len(out)))).check().data
        return bytes(out)
