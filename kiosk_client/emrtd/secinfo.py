"""SecurityInfos of EF.CardAccess and DG14 (ICAO 9303-11 sec. 9.2).

SecurityInfo ::= SEQUENCE { protocol OBJECT IDENTIFIER, requiredData ANY,
optionalData ANY OPTIONAL }.  Parsing is tolerant: an entry that does not
parse is skipped and reported in `warnings`, never raised.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .tlv import Tlv, TlvError, decode, decode_single, tlv

ID_PACE = "0.4.0.127.0.7.2.2.4"
ID_CA = "0.4.0.127.0.7.2.2.3"
ID_PK = "0.4.0.127.0.7.2.2.1"
ID_TA = "0.4.0.127.0.7.2.2.2"
ID_AA = "2.23.136.1.1.5"  # ActiveAuthenticationInfo, 9303-11 sec. 9.2.8


def decode_oid(raw: bytes) -> str:
    if not raw:
        raise TlvError("empty OID")
    arcs: list[int] = []
    value = 0
    for i, b in enumerate(raw):
        value = (value << 7) | (b & 0x7F)
        if not b & 0x80:
            arcs.append(value)
            value = 0
        elif i == len(raw) - 1:
            raise TlvError("truncated OID")
    first = arcs[0]
    head = [0, first] if first < 40 else [1, first - 40] if first < 80 else [2, first - 80]
    return ".".join(str(a) for a in head + arcs[1:])


def encode_oid(oid: str) -> bytes:
    arcs = [int(a) for a in oid.split(".")]
    if len(arcs) < 2:
        raise ValueError("OID needs at least two arcs")
    out = bytearray()
    for a in [arcs[0] * 40 + arcs[1]] + arcs[2:]:
        chunk = [a & 0x7F]
        a >>= 7
        while a:
            chunk.append(0x80 | (a & 0x7F))
            a >>= 7
        out += bytes(reversed(chunk))
    return bytes(out)


def oid_tlv(oid: str) -> bytes:
    return tlv(0x06, encode_oid(oid))


def decode_int(raw: bytes) -> int:
    if not raw:
        raise TlvError("empty INTEGER")
    return int.from_bytes(raw, "big", signed=True)


@dataclass
class SecurityInfo:
    protocol: str
    required: Tlv | None
    optional: Tlv | None
    raw: bytes

    def required_int(self) -> int | None:
        if self.required is not None and self.required.tag == 0x02:
            return decode_int(self.required.value)
        return None

    def optional_int(self) -> int | None:
        if self.optional is not None and self.optional.tag == 0x02:
            return decode_int(self.optional.value)
        return None


@dataclass
class SecurityInfos:
    infos: list[SecurityInfo] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def by_prefix(self, prefix: str) -> list[SecurityInfo]:
        return [i for i in self.infos if i.protocol == prefix or i.protocol.startswith(prefix + ".")]


def parse_security_infos(data: bytes) -> SecurityInfos:
    """Parse a DER SET OF SecurityInfo (EF.CardAccess) or DG14 (tag 6E around it)."""
    result = SecurityInfos()
    try:
        top = decode_single(data, strict=False)
        if top.tag == 0x6E:  # DG14 application tag, 9303-10 sec. 4.7.14
            top = decode_single(top.value, strict=False)
        if top.tag != 0x31:
            result.warnings.append(f"expected SET (31), found tag {top.tag:X}")
            return result
        items = decode(top.value, strict=False)
    except TlvError as exc:
        result.warnings.append(f"SecurityInfos not parseable: {exc}")
        return result
    for item in items:
        try:
            if item.tag != 0x30:
                raise TlvError(f"SecurityInfo must be a SEQUENCE, got {item.tag:X}")
            parts = item.children
            if len(parts) < 2 or parts[0].tag != 0x06:
                raise TlvError("SecurityInfo needs an OID and requiredData")
            result.infos.append(SecurityInfo(decode_oid(parts[0].value), parts[1],
                                             parts[2] if len(parts) > 2 else None, item.encode()))
        except TlvError as exc:
            result.warnings.append(f"skipped SecurityInfo: {exc}")
    return result
