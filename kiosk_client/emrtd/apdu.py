"""ISO/IEC 7816-4 command and response APDUs (short and extended length).

`le` is stored as Ne, the number of expected bytes: 1..256 for short APDUs and
1..65536 for extended ones.  `le=0` is accepted on input as "maximum" (what the
encoded byte 0x00 means in 7816-4 sec. 5.1) and normalised to 256 or 65536.
"""
from __future__ import annotations

from dataclasses import dataclass

SW_OK = 0x9000


class ApduError(ValueError):
    """A byte string that is not a well-formed APDU."""


class CardError(Exception):
    """The card answered with a status word other than 9000."""

    def __init__(self, sw: int, message: str = "") -> None:
        self.sw = sw
        super().__init__(f"{message + ': ' if message else ''}card returned SW {sw:04X}")


@dataclass
class CommandAPDU:
    cla: int
    ins: int
    p1: int
    p2: int
    data: bytes = b""
    le: int | None = None
    extended: bool = False  # force extended encoding even if short would fit

    def __post_init__(self) -> None:
        for name in ("cla", "ins", "p1", "p2"):
            v = getattr(self, name)
            if not 0 <= v <= 0xFF:
                raise ApduError(f"{name} out of range: {v}")
        self.data = bytes(self.data)
        if len(self.data) > 65535:
            raise ApduError("command data longer than 65535 bytes")
        if self.le is not None:
            if self.le < 0 or self.le > 65536:
                raise ApduError(f"Le out of range: {self.le}")
            if self.le == 0:
                self.le = 65536 if self.extended else 256

    @property
    def is_extended(self) -> bool:
        return self.extended or len(self.data) > 255 or (self.le is not None and self.le > 256)

    def encode(self) -> bytes:
        out = bytearray((self.cla, self.ins, self.p1, self.p2))
        ext = self.is_extended
        if self.data:
            n = len(self.data)
            out += (b"\x00" + n.to_bytes(2, "big")) if ext else bytes((n,))
            out += self.data
        if self.le is not None:
            if ext:
                le = b"\x00\x00" if self.le == 65536 else self.le.to_bytes(2, "big")
                # Case 2E carries a leading 00 before Le; case 4E does not (7816-4 sec. 5.1).
                out += le if self.data else b"\x00" + le
            else:
                out.append(self.le & 0xFF)
        return bytes(out)

    @classmethod
    def decode(cls, raw: bytes) -> CommandAPDU:
        raw = bytes(raw)
        if len(raw) < 4:
            raise ApduError("command APDU shorter than 4 bytes")
        cla, ins, p1, p2 = raw[:4]
        body = raw[4:]
        n = len(body)
        if n == 0:  # case 1
            return cls(cla, ins, p1, p2)
        if n == 1:  # case 2S
            return cls(cla, ins, p1, p2, le=body[0] or 256)
        if body[0] != 0:  # short with data: case 3S or 4S
            lc = body[0]
            if n == 1 + lc:
                return cls(cla, ins, p1, p2, body[1:])
            if n == 2 + lc:
                return cls(cla, ins, p1, p2, body[1:1 + lc], le=body[-1] or 256)
            raise ApduError("Lc does not match the command length")
        # body[0] == 0 and n >= 2: extended
        if n == 3:  # case 2E
            le = int.from_bytes(body[1:3], "big") or 65536
            return cls(cla, ins, p1, p2, le=le, extended=True)
        if n < 3:
            raise ApduError("truncated extended length field")
        lc = int.from_bytes(body[1:3], "big")
        if lc == 0:
            raise ApduError("extended Lc of zero")
        if n == 3 + lc:
            return cls(cla, ins, p1, p2, body[3:], extended=True)
        if n == 5 + lc:
            le = int.from_bytes(body[-2:], "big") or 65536
            return cls(cla, ins, p1, p2, body[3:3 + lc], le=le, extended=True)
        raise ApduError("extended Lc does not match the command length")

    def __bytes__(self) -> bytes:
        return self.encode()


@dataclass
class ResponseAPDU:
    data: bytes = b""
    sw1: int = 0x90
    sw2: int = 0x00

    @property
    def sw(self) -> int:
        return (self.sw1 << 8) | self.sw2

    @property
    def ok(self) -> bool:
        return self.sw == SW_OK

    @classmethod
    def from_sw(cls, sw: int, data: bytes = b"") -> ResponseAPDU:
        return cls(bytes(data), (sw >> 8) & 0xFF, sw & 0xFF)

    def encode(self) -> bytes:
        return bytes(self.data) + bytes((self.sw1, self.sw2))

    def __bytes__(self) -> bytes:
        return self.encode()

    @classmethod
    def decode(cls, raw: bytes) -> ResponseAPDU:
        raw = bytes(raw)
        if len(raw) < 2:
            raise ApduError("response APDU shorter than 2 bytes (no status word)")
        return cls(raw[:-2], raw[-2], raw[-1])

    def check(self, message: str = "") -> ResponseAPDU:
        """Return self when SW is 9000, else raise CardError."""
        if not self.ok:
            raise CardError(self.sw, message)
        return self
