"""Secure messaging of ICAO 9303-11 sec. 9.8 (3DES and AES), both sides.

Terminal: protect_command / unprotect_response.
Card:     unprotect_command / protect_response.

The send sequence counter (SSC) is incremented before each command and
before each response is protected/verified (9303-11 sec. 9.8.2).  For AES the
IV is E(KSenc, SSC) (sec. 9.8.6.2); for 3DES it is zero (sec. 9.8.6.1).
"""
from __future__ import annotations

import hmac

from . import crypto
from .apdu import CommandAPDU, ResponseAPDU
from .crypto import CryptoError
from .tlv import TlvError, decode, tlv


class SMError(CryptoError):
    """Secure messaging failure: wrong MAC, missing or malformed data object."""


class SecureMessaging:
    def __init__(self, ks_enc: bytes, ks_mac: bytes, ssc: bytes | int = 0, cipher: str = "3DES") -> None:
        cipher = cipher.upper()
        if cipher in ("3DES", "DESEDE", "TDES"):
            self.cipher, self.block = "3DES", 8
        elif cipher.startswith("AES"):
            self.cipher, self.block = "AES", 16
        else:
            raise CryptoError(f"unknown SM cipher {cipher!r}")
        self.ks_enc = bytes(ks_enc)
        self.ks_mac = bytes(ks_mac)
        self.ssc = int.from_bytes(ssc, "big") if isinstance(ssc, (bytes, bytearray)) else int(ssc)

    # --------------------------------------------------------- helpers
    @property
    def ssc_bytes(self) -> bytes:
        return self.ssc.to_bytes(self.block, "big")

    def _inc(self) -> None:
        self.ssc = (self.ssc + 1) % (1 << (8 * self.block))

    def mac(self, data: bytes) -> bytes:
        """8-byte MAC over pad(data) (9303-11 sec. 9.8.6)."""
        padded = crypto.pad(data, self.block)
        if self.cipher == "3DES":
            return crypto.retail_mac(self.ks_mac, padded, pad_data=False)
        return crypto.aes_cmac(self.ks_mac, padded, 8)

    def _iv(self) -> bytes:
        if self.cipher == "3DES":
            return b"\x00" * 8
        return crypto.aes_ecb_encrypt(self.ks_enc, self.ssc_bytes)

    def encrypt(self, data: bytes) -> bytes:
        padded = crypto.pad(data, self.block)
        if self.cipher == "3DES":
            return crypto.des3_encrypt(self.ks_enc, padded)
        return crypto.aes_cbc_encrypt(self.ks_enc, padded, self._iv())

    def decrypt(self, data: bytes) -> bytes:
        try:
            if self.cipher == "3DES":
                plain = crypto.des3_decrypt(self.ks_enc, data)
            else:
                plain = crypto.aes_cbc_decrypt(self.ks_enc, data, self._iv())
            return crypto.unpad(plain)
        except CryptoError as exc:
            raise SMError(f"cannot decrypt SM data: {exc}") from None

    def _header(self, cla: int, ins: int, p1: int, p2: int) -> bytes:
        return crypto.pad(bytes((cla, ins, p1, p2)), self.block)

    @staticmethod
    def _le_bytes(le: int, extended: bool) -> bytes:
        if extended or le > 256:
            return b"\x00\x00" if le == 65536 else le.to_bytes(2, "big")
        return bytes((le & 0xFF,))

    def _data_do(self, data: bytes, odd_ins: bool) -> bytes:
        if not data:
            return b""
        if odd_ins:  # odd INS: DO85, no padding-content indicator (9303-11 sec. 9.8.6)
            return tlv(0x85, self.encrypt(data))
        return tlv(0x87, b"\x01" + self.encrypt(data))

    def _split(self, body: bytes) -> tuple[dict[int, bytes], bytes, bytes]:
        """Parse SM data objects; return (values, bytes covered by MAC, mac)."""
        try:
            objs = decode(body, strict=True)
        except TlvError as exc:
            raise SMError(f"malformed SM data objects: {exc}") from None
        values: dict[int, bytes] = {}
        covered = b""
        mac = None
        for o in objs:
            if o.tag == 0x8E:
                mac = o.value
                break
            if o.tag in values:
                raise SMError(f"duplicate DO{o.tag:02X}")
            values[o.tag] = o.value
            covered += o.encode()
        if mac is None:
            raise SMError("DO8E (MAC) missing")
        if len(mac) != 8:
            raise SMError("DO8E must hold 8 bytes")
        return values, covered, mac

    def _plain_data(self, values: dict[int, bytes]) -> bytes:
        if 0x87 in values:
            v = values[0x87]
            if not v or v[0] != 0x01:
                raise SMError("DO87 without padding-content indicator 01")
            return self.decrypt(v[1:])
        if 0x85 in values:
            return self.decrypt(values[0x85])
        return b""

    # --------------------------------------------------------- terminal side
    def protect_command(self, apdu: CommandAPDU) -> CommandAPDU:
        self._inc()
        cla = apdu.cla | 0x0C
        do87 = self._data_do(apdu.data, bool(apdu.ins & 1))
        do97 = b""
        if apdu.le is not None:
            do97 = tlv(0x97, self._le_bytes(apdu.le, apdu.is_extended))
        m = self._header(cla, apdu.ins, apdu.p1, apdu.p2) + do87 + do97
        cc = self.mac(self.ssc_bytes + m)
        body = do87 + do97 + tlv(0x8E, cc)
        ext = apdu.is_extended or len(body) > 255
        return CommandAPDU(cla, apdu.ins, apdu.p1, apdu.p2, body, le=65536 if ext else 256, extended=ext)

    def unprotect_response(self, resp: ResponseAPDU | bytes) -> ResponseAPDU:
        if not isinstance(resp, ResponseAPDU):
            resp = ResponseAPDU.decode(resp)
        self._inc()
        if not resp.data:
            if resp.ok:
                raise SMError("9000 response without secure messaging objects")
            # Plain error status (e.g. 6987/6988 SM errors, 9303-11 sec. 9.8.7).
            return resp
        values, covered, mac = self._split(resp.data)
        if not hmac.compare_digest(self.mac(self.ssc_bytes + covered), mac):
            raise SMError("response MAC mismatch")
        do99 = values.get(0x99)
        if do99 is None or len(do99) != 2:
            raise SMError("DO99 (status word) missing or malformed")
        return ResponseAPDU(self._plain_data(values), do99[0], do99[1])

    # --------------------------------------------------------- card side
    def unprotect_command(self, apdu: CommandAPDU | bytes) -> CommandAPDU:
        if not isinstance(apdu, CommandAPDU):
            apdu = CommandAPDU.decode(apdu)
        self._inc()
        if apdu.cla & 0x0C != 0x0C:
            raise SMError("command is not secure-messaging protected (CLA)")
        values, covered, mac = self._split(apdu.data)
        m = self._header(apdu.cla, apdu.ins, apdu.p1, apdu.p2) + covered
        if not hmac.compare_digest(self.mac(self.ssc_bytes + m), mac):
            raise SMError("command MAC mismatch")
        unknown = set(values) - {0x85, 0x87, 0x97}
        if unknown:
            raise SMError(f"unexpected SM data objects {sorted(unknown)}")
        data = self._plain_data(values)
        le = None
        extended = apdu.is_extended
        if 0x97 in values:
            raw = values[0x97]
            if len(raw) == 1:
                le = raw[0] or 256
            elif len(raw) == 2:
                le = int.from_bytes(raw, "big") or 65536
                extended = True
            elif len(raw) == 0:
                le = None
            else:
                raise SMError("DO97 longer than 2 bytes")
        return CommandAPDU(apdu.cla & ~0x0C & 0xFF, apdu.ins, apdu.p1, apdu.p2, data, le=le,
                           extended=extended or len(data) > 255)

    def protect_response(self, resp: ResponseAPDU, odd_ins: bool = False) -> ResponseAPDU:
        self._inc()
        do87 = self._data_do(resp.data, odd_ins)
        do99 = tlv(0x99, bytes((resp.sw1, resp.sw2)))
        cc = self.mac(self.ssc_bytes + do87 + do99)
        return ResponseAPDU(do87 + do99 + tlv(0x8E, cc), resp.sw1, resp.sw2)


__all__ = ["SMError", "SecureMessaging"]
