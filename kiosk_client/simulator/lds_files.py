"""Encoders for the elementary files of the simulated CCCD (ICAO 9303-10 LDS 1.7).

Everything here is pure: profile/keys in, DER/BER bytes out. The SOD lives in sod.py.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import struct

from asn1crypto import core
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from kiosk_client.emrtd.tlv import decode_header, encode_tag, tlv

from .profile import Profile

# Data group tags (9303-10 table 34).
TAG_COM, TAG_DG1, TAG_DG2, TAG_DG13, TAG_DG14, TAG_DG15, TAG_SOD = 0x60, 0x61, 0x75, 0x6D, 0x6E, 0x6F, 0x77

# OIDs (9303-11 sec. 9.2, BSI TR-03110).
OID_PACE_ECDH_GM_AES_128 = "0.4.0.127.0.7.2.2.4.2.2"
OID_AA = "2.23.136.1.1.5"
OID_ECDSA_PLAIN_SHA256 = "0.4.0.127.0.7.1.1.4.1.3"

PACE_PARAM_IDS = {"brainpoolP256r1": 13, "P-256": 12}


def _oid(dotted: str) -> bytes:
    return core.ObjectIdentifier(dotted).dump()


def _int(value: int) -> bytes:
    return core.Integer(value).dump()


def ddmmyyyy(date: _dt.date) -> str:
    return date.strftime("%d/%m/%Y")


def pace_info(parameter_id: int) -> bytes:
    """PACEInfo: ECDH generic mapping, AES-128 CBC/CMAC, version 2, standardized domain params."""
    return tlv(0x30, [_oid(OID_PACE_ECDH_GM_AES_128), _int(2), _int(parameter_id)])


def security_infos(infos: list[bytes]) -> bytes:
    # DER SET OF: elements sorted by their encodings.
    return tlv(0x31, sorted(infos))


def card_access(parameter_id: int) -> bytes:
    """EF.CardAccess: a bare SecurityInfos (no application tag)."""
    return security_infos([pace_info(parameter_id)])


def ef_com(dg_tags: list[int]) -> bytes:
    return tlv(
        TAG_COM,
        [tlv(0x5F01, b"0107"), tlv(0x5F36, b"040000"), tlv(0x5C, bytes(sorted(dg_tags)))],
    )


def dg1(profile: Profile) -> bytes:
    return tlv(TAG_DG1, tlv(0x5F1F, "".join(profile.mrz_lines).encode("ascii")))


def iso19794_5_record(jpeg: bytes, width: int, height: int, female: bool | None) -> bytes:
    """ISO/IEC 19794-5:2005 facial record with one face, no feature points, a JPEG image."""
    gender = 0 if female is None else (2 if female else 1)
    # Facial information block (20 bytes) + image information (12 bytes) + image.
    face_len = 20 + 12 + len(jpeg)
    face = struct.pack(">IHBBBBBBHBBBBBB", face_len, 0, gender, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    # image type 1 = full frontal, data type 0 = JPEG, colour space 1 = 24-bit RGB,
    # source type 2 = digital still camera, device type 0, quality 0 (unspecified).
    image = struct.pack(">BBHHBBHH", 1, 0, width, height, 1, 2, 0, 0)
    header = b"FAC\x00" + b"010\x00" + struct.pack(">IH", 14 + face_len, 1)
    return header + face + image + jpeg


def dg2(jpeg: bytes, width: int, height: int, female: bool | None) -> bytes:
    bht = tlv(0xA1, [
        tlv(0x80, b"\x01\x01"),  # ICAO header version
        tlv(0x81, b"\x02"),  # biometric type: facial features
        tlv(0x87, b"\x01\x01"),  # format owner: JTC1 SC37
        tlv(0x88, b"\x00\x08"),  # format type: ISO 19794-5
    ])
    bit = tlv(0x7F60, [bht, tlv(0x5F2E, iso19794_5_record(jpeg, width, height, female))])
    return tlv(TAG_DG2, tlv(0x7F61, [tlv(0x02, b"\x01"), bit]))


def _field(number: int, *values: bytes) -> bytes:
    return tlv(0x30, [_int(number), *values])


def _utf8(text: str) -> bytes:
    return tlv(0x0C, text.encode("utf-8"))


def dg13_fields(profile: Profile) -> dict[int, bytes]:
    """DG13 field number -> encoded SEQUENCE, Vietnamese CCCD layout.

    1 ID number, 2 full name, 3 DOB, 4 sex, 5 nationality, 6 ethnicity, 7 religion,
    8 place of origin, 9 place of residence, 10 identifying marks, 11 date of issue,
    12 date of expiry, 13 parents {father}{mother} each wrapped in its own SEQUENCE,
    14 spouse (wrapped like the parents; bare number when there is none), 15 old ID number,
    16 an opaque 16-character value on real cards (here a card serial).
    Dates are dd/mm/yyyy text, as on the card. All values are UTF8String here; real cards
    use PrintableString for some numeric/date fields, so readers should accept any string type.
    """
    p = profile
    simple = [
        p.id_number, p.full_name, ddmmyyyy(p.date_of_birth), p.sex, p.nationality, p.ethnicity,
        p.religion, p.place_of_origin, p.place_of_residence, p.identifying_marks,
        ddmmyyyy(p.date_of_issue), ddmmyyyy(p.date_of_expiry),
    ]
    out = {i + 1: _field(i + 1, _utf8(v)) for i, v in enumerate(simple)}
    out[13] = _field(13, tlv(0x30, _utf8(p.father_name)), tlv(0x30, _utf8(p.mother_name)))
    out[14] = _field(14, tlv(0x30, _utf8(p.spouse_name))) if p.spouse_name else _field(14)
    out[15] = _field(15, _utf8(p.old_id_number))
    serial = hashlib.sha256(p.id_number.encode()).hexdigest()[:16].upper()
    out[16] = _field(16, _utf8(serial))
    return out


def dg13(profile: Profile) -> bytes:
    # BER SET OF kept in field-number order (not DER-sorted) like the real card: some
    # readers walk the fields in order.
    fields = dg13_fields(profile)
    return tlv(TAG_DG13, tlv(0x31, [fields[k] for k in sorted(fields)]))


def aa_info() -> bytes:
    return tlv(0x30, [_oid(OID_AA), _int(1), _oid(OID_ECDSA_PLAIN_SHA256)])


def dg14(aa_public_key, pace_parameter_id: int | None) -> bytes:
    """DG14 SecurityInfos: PACEInfo (if PACE is offered) and, for an EC AA key, ActiveAuthenticationInfo."""
    infos = []
    if pace_parameter_id is not None:
        infos.append(pace_info(pace_parameter_id))
    if isinstance(aa_public_key, ec.EllipticCurvePublicKey):
        infos.append(aa_info())
    return tlv(TAG_DG14, security_infos(infos))


def dg15(aa_public_key) -> bytes:
    spki = aa_public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return tlv(TAG_DG15, spki)


def break_tlv_length(ef: bytes) -> bytes:
    """Fault: the outer length claims 64 bytes more than the file holds (truncated value).

    The length field keeps its size so the file size and every offset stay the same.
    """
    tag, length, hdr = decode_header(ef)
    tag_len = len(encode_tag(tag))
    n = hdr - tag_len
    if n == 1:
        raise ValueError("only files with a long-form length can be broken this way")
    new_len = bytes((0x80 | (n - 1),)) + (length + 0x40).to_bytes(n - 1, "big")
    return ef[:tag_len] + new_len + ef[hdr:]
