"""Encoders for LDS files: test fixtures and the card simulator's personalisation.

The inverse of lds.py; layouts cite the same 9303-10 sections.
"""
from __future__ import annotations

from .lds import DG_TAGS, TAG_COM
from .tlv import tlv

_TAG_OF_DG = {n: t for t, n in DG_TAGS.items()}


def build_ef_com(data_groups: list[int], lds_version: str = "0107", unicode_version: str = "040000") -> bytes:
    tags = bytes(_TAG_OF_DG[n] for n in data_groups)
    return tlv(TAG_COM, tlv(0x5F01, lds_version.encode()) + tlv(0x5F36, unicode_version.encode()) + tlv(0x5C, tags))


def build_dg1(mrz: str) -> bytes:
    return tlv(0x61, tlv(0x5F1F, "".join(mrz.split()).encode("ascii")))


def build_face_record(image: bytes, width: int = 480, height: int = 640, jpeg2000: bool = False) -> bytes:
    """Minimal ISO/IEC 19794-5 record: header, facial information without
    feature points, image information, image."""
    facial_info = (
        (20 + 12 + len(image)).to_bytes(4, "big")  # facial record data length
        + b"\x00\x00"  # number of feature points
        + b"\x00\x00\x00"  # gender, eye colour, hair colour
        + b"\x00\x00\x00"  # property mask
        + b"\x00\x00"  # expression
        + b"\x00\x00\x00" + b"\x00\x00\x00"  # pose angle + uncertainty
    )
    image_info = (bytes((1, 1 if jpeg2000 else 0)) + width.to_bytes(2, "big") + height.to_bytes(2, "big")
                  + b"\x01\x02" + b"\x00\x00" + b"\x00\x00")
    body = facial_info + image_info + image
    header = b"FAC\x00" + b"010\x00" + (14 + len(body)).to_bytes(4, "big") + b"\x00\x01"
    return header + body


def build_dg2(image: bytes, width: int = 480, height: int = 640, jpeg2000: bool = False) -> bytes:
    bht = tlv(0xA1, tlv(0x80, b"\x01\x01") + tlv(0x87, b"\x01\x01") + tlv(0x88, b"\x00\x08"))
    bit = tlv(0x7F60, bht + tlv(0x5F2E, build_face_record(image, width, height, jpeg2000)))
    return tlv(0x75, tlv(0x7F61, tlv(0x02, b"\x01") + bit))


def dg13_entry(number: int, *values: str | bytes, printable: bool = False) -> bytes:
    """SEQUENCE { INTEGER number, UTF8String|PrintableString value ... } ; bytes are
    inserted as already-encoded values (e.g. a nested SEQUENCE for parents)."""
    enc = b""
    for v in values:
        if isinstance(v, bytes):
            enc += v
        else:
            enc += tlv(0x13 if printable else 0x0C, v.encode("ascii" if printable else "utf-8"))
    return tlv(0x30, tlv(0x02, bytes((number,))) + enc)


def build_dg13(fields: dict[str, str], father_name: str | None = None, mother_name: str | None = None,
               spouse: str | None = None) -> bytes:
    """DG13 as a SET OF entries, names as in lds.DG13_FIELDS."""
    from .lds import DG13_FIELDS

    numbers = {name: n for n, name in DG13_FIELDS.items()}
    entries = [dg13_entry(numbers[k], v, printable=k in ("id_number", "old_id_number"))
               for k, v in fields.items() if k in numbers]
    if father_name is not None or mother_name is not None:
        parents = [tlv(0x30, tlv(0x0C, (p or "").encode())) for p in (father_name, mother_name)]
        entries.append(dg13_entry(13, *parents))
    if spouse is not None:
        entries.append(dg13_entry(14, tlv(0x30, tlv(0x0C, spouse.encode()))))
    return tlv(0x6D, tlv(0x31, b"".join(entries)))


def build_dg15(spki_der: bytes) -> bytes:
    """DG15: 6F { SubjectPublicKeyInfo } (9303-10 sec. 4.7.15)."""
    return tlv(0x6F, spki_der)


def build_dg14(security_infos_der: bytes) -> bytes:
    return tlv(0x6E, security_infos_der)
