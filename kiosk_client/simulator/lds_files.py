"""Encoders for the elementary files of the simulated CCCD (ICAO 9303-10 LDS 1.7).

Everything here is pure: profile/keys in, DER/BER bytes out. The SOD lives in sod.py.
"""

from __future__ import annotations

import datetime as _dt
import hashlib

from asn1crypto import core
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from kiosk_client.emrtd import lds_build
from kiosk_client.emrtd.secinfo import oid_tlv
from kiosk_client.emrtd.tlv import decode_header, encode_tag, tlv

from .profile import Profile

# OIDs (9303-11 sec. 9.2, BSI TR-03110).
OID_PACE_ECDH_GM_AES_128 = "0.4.0.127.0.7.2.2.4.2.2"
OID_AA = "2.23.136.1.1.5"
OID_ECDSA_PLAIN_SHA256 = "0.4.0.127.0.7.1.1.4.1.3"

PACE_PARAM_IDS = {"brainpoolP256r1": 13, "P-256": 12}


def _int(value: int) -> bytes:
    return core.Integer(value).dump()


def ddmmyyyy(date: _dt.date) -> str:
    return date.strftime("%d/%m/%Y")


def pace_info(parameter_id: int) -> bytes:
    """PACEInfo: ECDH generic mapping, AES-128 CBC/CMAC, version 2, standardized domain params."""
    return tlv(0x30, [oid_tlv(OID_PACE_ECDH_GM_AES_128), _int(2), _int(parameter_id)])


def security_infos(infos: list[bytes]) -> bytes:
    # DER SET OF: elements sorted by their encodings.
    return tlv(0x31, sorted(infos))


def card_access(parameter_id: int) -> bytes:
    """EF.CardAccess: a bare SecurityInfos (no application tag)."""
    return security_infos([pace_info(parameter_id)])


def ef_com(dg_numbers: list[int]) -> bytes:
    return lds_build.build_ef_com(sorted(dg_numbers))


def dg1(profile: Profile) -> bytes:
    return lds_build.build_dg1("".join(profile.mrz_lines))


def dg2(jpeg: bytes, width: int, height: int) -> bytes:
    """ISO/IEC 19794-5 face record (7F61/7F60/5F2E) around the JPEG portrait."""
    return lds_build.build_dg2(jpeg, width, height)


def dg13(profile: Profile) -> bytes:
    """Vietnamese DG13: 6D { SET { SEQUENCE { INTEGER n, value } ... } }, fields 1..16 in order.

    As on real cards: dates are dd/mm/yyyy text; ID numbers and the issue/birth dates are
    PrintableString, other text UTF8String; field 13 holds {father}{mother}, each wrapped in its
    own SEQUENCE, field 14 the spouse wrapped the same way (a bare number when there is none),
    field 16 an opaque 16-character value (here a card serial derived from the ID number).
    The SET is kept in field order, not DER-sorted: some readers walk the fields in order.
    """
    p = profile
    e = lds_build.dg13_entry
    entries = [
        e(1, p.id_number, printable=True),
        e(2, p.full_name),
        e(3, ddmmyyyy(p.date_of_birth), printable=True),
        e(4, p.sex),
        e(5, p.nationality),
        e(6, p.ethnicity),
        e(7, p.religion),
        e(8, p.place_of_origin),
        e(9, p.place_of_residence),
        e(10, p.identifying_marks),
        e(11, ddmmyyyy(p.date_of_issue), printable=True),
        e(12, ddmmyyyy(p.date_of_expiry)),
        e(13, tlv(0x30, tlv(0x0C, p.father_name.encode())), tlv(0x30, tlv(0x0C, p.mother_name.encode()))),
        e(14, tlv(0x30, tlv(0x0C, p.spouse_name.encode()))) if p.spouse_name else e(14),
        e(15, p.old_id_number, printable=True),
        e(16, hashlib.sha256(p.id_number.encode()).hexdigest()[:16].upper(), printable=True),
    ]
    return tlv(0x6D, tlv(0x31, entries))


def aa_info() -> bytes:
    return tlv(0x30, [oid_tlv(OID_AA), _int(1), oid_tlv(OID_ECDSA_PLAIN_SHA256)])


def dg14(aa_public_key, pace_parameter_id: int | None) -> bytes:
    """DG14 SecurityInfos: PACEInfo (if PACE is offered) and, for an EC AA key, ActiveAuthenticationInfo."""
    infos = []
    if pace_parameter_id is not None:
        infos.append(pace_info(pace_parameter_id))
    if isinstance(aa_public_key, ec.EllipticCurvePublicKey):
        infos.append(aa_info())
    return lds_build.build_dg14(security_infos(infos))


def dg15(aa_public_key) -> bytes:
    spki = aa_public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return lds_build.build_dg15(spki)


def break_tlv_length(ef: bytes) -> bytes:
    """Fault: the outer length claims more bytes than the file holds (64 more, or 7F for a
    short-form length). The length field keeps its size so the file size and offsets stay."""
    tag, length, hdr = decode_header(ef)
    tag_len = len(encode_tag(tag))
    n = hdr - tag_len
    if n == 1:
        if length >= 0x7F:
            raise ValueError("short-form length already at its maximum")
        return ef[:tag_len] + b"\x7f" + ef[hdr:]
    new_len = bytes((0x80 | (n - 1),)) + (length + 0x40).to_bytes(n - 1, "big")
    return ef[:tag_len] + new_len + ef[hdr:]
