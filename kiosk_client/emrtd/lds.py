"""Logical Data Structure parsing (ICAO 9303-10) plus Vietnam's DG13.

EF.COM, DG1 (TD1 MRZ), DG2 (ISO/IEC 19794-5 face), DG13 (Vietnamese personal
data), DG14 (SecurityInfos, see secinfo.py), DG15 (see active_auth.py).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .mrz import MrzError, parse_td1
from .tlv import Tlv, TlvError, decode, decode_single

# File identifiers (9303-10 sec. 4.6.1, Table 37).
FID_CARD_ACCESS = 0x011C
FID_COM = 0x011E
FID_SOD = 0x011D
FID_DG = {n: 0x0100 + n for n in range(1, 17)}
FIDS = {"EF.CardAccess": FID_CARD_ACCESS, "EF.COM": FID_COM, "EF.SOD": FID_SOD,
        **{f"DG{n}": fid for n, fid in FID_DG.items()}}

# Application tags of the data groups (9303-10 sec. 4.6.1).
DG_TAGS = {0x61: 1, 0x75: 2, 0x63: 3, 0x76: 4, 0x65: 5, 0x66: 6, 0x67: 7, 0x68: 8, 0x69: 9, 0x6A: 10,
           0x6B: 11, 0x6C: 12, 0x6D: 13, 0x6E: 14, 0x6F: 15, 0x70: 16}
TAG_COM, TAG_SOD = 0x60, 0x77


class LdsError(ValueError):
    """A data group that cannot be parsed at all."""


def _top(data: bytes, tag: int, name: str) -> Tlv:
    try:
        obj = decode_single(data, strict=False)
    except TlvError as exc:
        raise LdsError(f"{name}: {exc}") from None
    if obj.tag != tag:
        raise LdsError(f"{name}: expected tag {tag:X}, found {obj.tag:X}")
    return obj


# ------------------------------------------------------------ EF.COM

def parse_ef_com(data: bytes) -> dict:
    """{"lds_version": "0107", "unicode_version": "040000", "data_groups": [1, 2, ...]}"""
    com = _top(data, TAG_COM, "EF.COM")
    try:
        version = com.find(0x5F01)
        uni = com.find(0x5F36)
        tags = com.find(0x5C)
    except TlvError as exc:
        raise LdsError(f"EF.COM: {exc}") from None
    dgs = sorted({DG_TAGS[t] for t in (tags.value if tags else b"") if t in DG_TAGS})
    return {
        "lds_version": version.value.decode("ascii", "replace") if version else None,
        "unicode_version": uni.value.decode("ascii", "replace") if uni else None,
        "data_groups": dgs,
    }


# ------------------------------------------------------------ DG1

def parse_dg1(data: bytes) -> dict:
    """DG1: 61 { 5F1F MRZ } (9303-10 sec. 4.7.1), TD1 for the CCCD."""
    dg1 = _top(data, 0x61, "DG1")
    try:
        mrz_obj = dg1.require(0x5F1F)
        m = parse_td1(mrz_obj.value.decode("ascii"))
    except (TlvError, MrzError, UnicodeDecodeError) as exc:
        raise LdsError(f"DG1: {exc}") from None
    return {
        "document_code": m.document_code,
        "issuing_state": m.issuing_state,
        "document_number": m.document_number,
        "optional_data": m.optional_data_1,
        "optional_data_2": m.optional_data_2,
        "date_of_birth": m.date_of_birth,
        "sex": m.sex,
        "date_of_expiry": m.date_of_expiry,
        "nationality": m.nationality,
        "primary_identifier": m.primary_identifier,
        "secondary_identifier": m.secondary_identifier,
        "name": m.name,
        "check_digits_ok": m.valid,
        "checks": m.checks,
        "mrz": "\n".join(m.lines),
    }


# ------------------------------------------------------------ DG2

@dataclass
class FaceImage:
    data: bytes
    format: str  # "JPEG" | "JPEG2000" | "unknown"
    width: int | None = None
    height: int | None = None

    @property
    def mime_type(self) -> str:
        return {"JPEG": "image/jpeg", "JPEG2000": "image/jp2"}.get(self.format, "application/octet-stream")


_JPEG = b"\xff\xd8\xff"
_JP2 = b"\x00\x00\x00\x0cjP  \r\n\x87\n"
_J2K = b"\xff\x4f\xff\x51"


def sniff_image(data: bytes) -> str:
    if data.startswith(_JPEG):
        return "JPEG"
    if data.startswith((_JP2, _J2K)):
        return "JPEG2000"
    return "unknown"


def _find_image(buf: bytes) -> int:
    hits = [i for i in (buf.find(_JPEG), buf.find(_JP2), buf.find(_J2K)) if i >= 0]
    return min(hits) if hits else -1


def parse_face_record(record: bytes) -> FaceImage:
    """ISO/IEC 19794-5 facial record ('FAC\\0'): 14-byte header, 20-byte
    facial information, 8 bytes per feature point, 12-byte image information."""
    if record[:4] == b"FAC\x00" and len(record) >= 46:
        n_points = int.from_bytes(record[18:20], "big")
        img_info = 14 + 20 + 8 * n_points
        if len(record) >= img_info + 12:
            data_type = record[img_info + 1]
            width = int.from_bytes(record[img_info + 2:img_info + 4], "big")
            height = int.from_bytes(record[img_info + 4:img_info + 6], "big")
            data = record[img_info + 12:]
            fmt = sniff_image(data)
            if fmt == "unknown":
                fmt = {0: "JPEG", 1: "JPEG2000"}.get(data_type, "unknown")
            if data:
                return FaceImage(data, fmt, width, height)
    # Not a clean 19794-5 record: fall back to locating the image by magic bytes.
    start = _find_image(record)
    if start < 0:
        raise LdsError("DG2: no JPEG or JPEG2000 image found")
    data = record[start:]
    return FaceImage(data, sniff_image(data))


def parse_dg2(data: bytes) -> list[FaceImage]:
    """DG2: 75 { 7F61 { 02 count, 7F60 { A1 header, 5F2E | 7F2E data } ... } }
    (9303-10 sec. 4.7.2)."""
    dg2 = _top(data, 0x75, "DG2")
    faces = []
    try:
        for group in dg2.find_all(0x7F61):
            for bit in group.find_all(0x7F60):
                block = bit.find(0x5F2E) or bit.find(0x7F2E)
                if block is None:
                    continue
                faces.append(parse_face_record(block.value))
    except TlvError as exc:
        raise LdsError(f"DG2: {exc}") from None
    if not faces:
        raise LdsError("DG2: no biometric data block")
    return faces


# ------------------------------------------------------------ DG13 (Vietnam)

DG13_FIELDS = {
    1: "id_number", 2: "full_name", 3: "date_of_birth", 4: "sex", 5: "nationality", 6: "ethnicity",
    7: "religion", 8: "place_of_origin", 9: "place_of_residence", 10: "identifying_marks",
    11: "date_of_issue", 12: "date_of_expiry", 13: "parents", 14: "spouse", 15: "old_id_number",
    16: "other",
}
_STRING_TAGS = {0x0C: "utf-8", 0x13: "ascii", 0x16: "ascii", 0x14: "latin-1", 0x1A: "ascii", 0x04: "utf-8",
                0x1E: "utf-16-be", 0x19: "ascii", 0x18: "ascii", 0x17: "ascii", 0x12: "ascii"}
_DATE = re.compile(r"^\d{2}/\d{2}/\d{4}$")
_MAX_DEPTH = 8


def _strings(obj: Tlv, warnings: list[str], depth: int = 0) -> list[str]:
    """All text found in obj (strings decoded, integers as digits, nested recursed)."""
    if obj.tag in _STRING_TAGS:
        raw = obj.value
        try:
            text = raw.decode(_STRING_TAGS[obj.tag])
        except UnicodeDecodeError:
            text = raw.decode("utf-8", "replace")
            warnings.append(f"undecodable text in tag {obj.tag:X}")
        return [text.strip()] if text.strip() else []
    if obj.tag == 0x02:
        return [str(int.from_bytes(obj.value, "big", signed=True))] if obj.value else []
    if obj.constructed and depth < _MAX_DEPTH:
        try:
            kids = obj.children
        except TlvError:
            warnings.append(f"malformed constructed value {obj.tag:X}")
            return []
        out: list[str] = []
        for k in kids:
            out += _strings(k, warnings, depth + 1)
        return out
    warnings.append(f"unexpected value type {obj.tag:X}")
    try:
        text = obj.value.decode("utf-8").strip()
    except UnicodeDecodeError:
        return []
    return [text] if text.isprintable() and text else []


def _entry_number(obj: Tlv) -> tuple[int, list[Tlv]] | None:
    """(field number, values) when obj looks like SEQUENCE { INTEGER n, value... }."""
    if obj.tag != 0x30:
        return None
    try:
        kids = obj.children
    except TlvError:
        return None
    if len(kids) < 2 or kids[0].tag != 0x02 or not 1 <= len(kids[0].value) <= 2:
        return None
    n = int.from_bytes(kids[0].value, "big")
    return (n, kids[1:]) if 1 <= n <= 99 else None


def _looks_like_container(values: list[Tlv]) -> bool:
    """A version-number-first wrapper such as SEQUENCE { INTEGER 1, SET { entries } }."""
    for v in values:
        if v.tag in (0x30, 0x31):
            try:
                if v.tag == 0x31 or any(_entry_number(k) for k in v.children):
                    return True
            except TlvError:
                continue
    return False


def _collect(objs: list[Tlv], out: list[tuple[int, list[Tlv]]], warnings: list[str], depth: int) -> None:
    if depth > _MAX_DEPTH:
        warnings.append("DG13 nesting too deep")
        return
    for obj in objs:
        entry = _entry_number(obj)
        if entry and (entry[0] in (13, 14) or not _looks_like_container(entry[1])):
            out.append(entry)
            continue
        if obj.constructed:
            try:
                kids = obj.children
            except TlvError as exc:
                warnings.append(f"skipped malformed element {obj.tag:X}: {exc}")
                continue
            _collect(kids, out, warnings, depth + 1)


def parse_dg13(data: bytes) -> dict:
    """Vietnamese DG13: SET/SEQUENCE OF SEQUENCE { INTEGER field, value }.

    Never raises: returns every known field that could be read (None when
    absent), `father_name`/`mother_name` from field 13, unknown field numbers
    in `extra`, and problems in `warnings`.
    """
    result: dict = {name: None for name in DG13_FIELDS.values() if name != "parents"}
    result.update(father_name=None, mother_name=None, extra={}, warnings=[])
    warnings: list[str] = result["warnings"]
    try:
        objs = decode(bytes(data), strict=False)
    except (TlvError, TypeError) as exc:
        warnings.append(f"DG13 not parseable: {exc}")
        return result
    if objs and objs[0].tag == 0x6D:
        objs = [objs[0]]
    elif objs:
        warnings.append(f"DG13 tag 6D expected, found {objs[0].tag:X}")
    entries: list[tuple[int, list[Tlv]]] = []
    _collect(objs, entries, warnings, 0)
    seen: set[int] = set()
    for number, values in entries:
        if number in seen:
            warnings.append(f"duplicate DG13 field {number} ignored")
            continue
        seen.add(number)
        texts: list[str] = []
        for v in values:
            texts += _strings(v, warnings)
        name = DG13_FIELDS.get(number)
        if name is None:
            result["extra"][number] = ", ".join(texts) if texts else None
        elif name == "parents":
            result["father_name"] = texts[0] if texts else None
            result["mother_name"] = texts[1] if len(texts) > 1 else None
        elif name == "spouse":
            result["spouse"] = ", ".join(texts) if texts else None
        else:
            result[name] = ", ".join(texts) if texts else None
    _validate_dg13(result, warnings)
    return result


def _validate_dg13(r: dict, warnings: list[str]) -> None:
    if r["id_number"] is not None and not (len(r["id_number"]) == 12 and r["id_number"].isdigit()):
        warnings.append("id_number is not 12 digits")
    for key in ("date_of_birth", "date_of_issue", "date_of_expiry"):
        v = r[key]
        if v is not None and not _DATE.match(v) and v.lower() not in ("không thời hạn", "khong thoi han"):
            warnings.append(f"{key} is not dd/mm/yyyy: {v!r}")


# ------------------------------------------------------------ DG14 / DG15

def parse_dg14(data: bytes):
    """DG14: 6E { SET OF SecurityInfo } (9303-10 sec. 4.7.14) -> secinfo.SecurityInfos."""
    from .secinfo import parse_security_infos

    return parse_security_infos(data)


def parse_dg15(data: bytes):
    """DG15: 6F { SubjectPublicKeyInfo } -> cryptography public key (ActiveAuthError if unusable)."""
    from .active_auth import load_dg15_public_key

    return load_dg15_public_key(data)
