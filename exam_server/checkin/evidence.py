"""Kiosk evidence: the kiosk's Ed25519 signature over the canonical body, and the server's own
re-verification of the chip data (passive authentication against the configured CSCA trust store,
active authentication with the server's challenge). The kiosk's verdict is never trusted."""
from __future__ import annotations

import base64
import binascii
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from exam_server.core.errors import ApiError
from kiosk_client.checkin import canonical_json  # one definition of the signed bytes, both sides

# Largest accepted size of each field once decoded (a CCCD's DG2 is about 15-25 KB).
FIELD_LIMITS = {"dg1": 1024, "dg13": 16 * 1024, "dg14": 16 * 1024, "dg15": 4096, "sod": 64 * 1024,
                "dg2": 256 * 1024, "aa_signature": 1024}
REQUIRED = ("dg1", "dg13", "dg15", "sod", "aa_signature")


def parse_public_key(text: str | bytes) -> str:
    """An Ed25519 public key as PEM, or raw 32 bytes in base64 -> the stored form (base64 raw)."""
    data = text.encode() if isinstance(text, str) else bytes(text)
    stripped = data.strip()
    if stripped.startswith(b"-----BEGIN"):
        try:
            key = serialization.load_pem_public_key(stripped)
        except ValueError as exc:
            raise ApiError("bad_public_key", f"not an Ed25519 public key in PEM: {exc}", 400, "public_key") from None
        if not isinstance(key, Ed25519PublicKey):
            raise ApiError("bad_public_key", "the kiosk key must be Ed25519.", 400, "public_key")
        raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    else:
        try:
            raw = base64.b64decode(stripped, validate=True)
        except (binascii.Error, ValueError):
            raw = b""
        if len(raw) != 32:
            raise ApiError("bad_public_key", "give an Ed25519 public key as PEM or as 32 bytes in base64.",
                           400, "public_key")
    return base64.b64encode(raw).decode()


def signature_ok(public_key_b64: str, body: dict[str, Any]) -> bool:
    signature = body.get("signature")
    if not isinstance(signature, str):
        return False
    try:
        sig = base64.b64decode(signature, validate=True)
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key_b64))
        key.verify(sig, canonical_json(body))
    except (binascii.Error, ValueError, InvalidSignature):
        return False
    return True


def decode_fields(body: dict[str, Any]) -> dict[str, bytes]:
    """The base64 fields of the evidence, decoded and size-checked (400 on anything malformed)."""
    out: dict[str, bytes] = {}
    for name, limit in FIELD_LIMITS.items():
        value = body.get(name)
        if value in (None, ""):
            if name in REQUIRED:
                raise ApiError("missing_field", f"{name} is required.", 400, name)
            continue
        if not isinstance(value, str):
            raise ApiError("bad_field", f"{name} must be base64 text.", 400, name)
        try:
            raw = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise ApiError("bad_field", f"{name} is not valid base64.", 400, name) from None
        if len(raw) > limit:
            raise ApiError("field_too_large", f"{name} is larger than {limit} bytes.", 400, name)
        out[name] = raw
    return out


@dataclass
class ChipCheck:
    passive_auth: dict[str, Any]
    active_auth: dict[str, Any]
    reasons: list[str] = field(default_factory=list)
    identity: dict[str, Any] = field(default_factory=dict)   # id_number, full_name, date_of_birth (date)
    chip_photo: bytes | None = None
    chip_photo_mime: str = "image/jpeg"

    @property
    def ok(self) -> bool:
        return bool(self.passive_auth.get("ok")) and self.active_auth.get("ok") is True


def _jsonable(obj):
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, (bytes, bytearray)):
        return bytes(obj).hex()
    if isinstance(obj, (dt.date, dt.datetime)):
        return obj.isoformat()
    return obj


def _date_dmy(text: str | None) -> dt.date | None:
    try:
        return dt.datetime.strptime((text or "").strip(), "%d/%m/%Y").date()
    except ValueError:
        return None


def _date_yymmdd(text: str | None, today: dt.date) -> dt.date | None:
    if not text or len(text) != 6 or not text.isdigit():
        return None
    yy, mm, dd = int(text[:2]), int(text[2:4]), int(text[4:])
    year = 2000 + yy if 2000 + yy <= today.year else 1900 + yy
    try:
        return dt.date(year, mm, dd)
    except ValueError:
        return None


def identity_from(dg1: bytes, dg13: bytes | None, today: dt.date) -> dict[str, Any]:
    """ID number (DG13 field 1, else DG1), full name and date of birth as the chip states them."""
    from kiosk_client.emrtd import lds
    from kiosk_client.emrtd.tlv import TlvError

    try:
        d1 = lds.parse_dg1(dg1)
    except (lds.LdsError, TlvError, ValueError):
        d1 = {}
    d13 = lds.parse_dg13(dg13) if dg13 else {}
    id_number = d13.get("id_number")
    if not id_number:
        optional = (d1.get("optional_data") or "").replace("<", "")
        id_number = optional if len(optional) == 12 and optional.isdigit() else d1.get("document_number")
    return {"id_number": id_number, "full_name": d13.get("full_name") or d1.get("name"),
            "date_of_birth": _date_dmy(d13.get("date_of_birth")) or _date_yymmdd(d1.get("date_of_birth"), today)}


def verify_chip(fields: dict[str, bytes], challenge: bytes, trust_dir, now: dt.datetime) -> ChipCheck:
    from kiosk_client.emrtd import lds
    from kiosk_client.emrtd.active_auth import verify_active_auth
    from kiosk_client.emrtd.passive_auth import verify_passive_auth
    from kiosk_client.emrtd.tlv import TlvError

    dgs = {n: fields[f"dg{n}"] for n in (1, 2, 13, 14, 15) if f"dg{n}" in fields}
    try:
        pa = _jsonable(verify_passive_auth(fields["sod"], dgs, trust_dir, at=now))
    except Exception as exc:  # noqa: BLE001 - hostile input must end as a recorded failure, not a 500
        pa = {"ok": False, "checks": {}, "failure": f"passive authentication error: {exc}"}
    try:
        aa_ok = verify_active_auth(fields["dg15"], challenge, fields["aa_signature"], fields.get("dg14"))
    except Exception as exc:  # noqa: BLE001
        aa_ok, aa_error = False, f"active authentication error: {exc}"
    else:
        aa_error = "the signature does not verify with the DG15 key for the server's challenge " \
                   "(cloned or substituted chip, or a replayed answer)"
    aa = {"ok": True} if aa_ok else {"ok": False, "failure": aa_error}
    check = ChipCheck(passive_auth=pa, active_auth=aa)
    if not pa.get("ok"):
        check.reasons.append(f"passive authentication failed: {pa.get('failure')}")
    if not aa_ok:
        check.reasons.append(f"active authentication failed: {aa_error}")
    check.identity = identity_from(fields["dg1"], fields.get("dg13"), now.date())
    if "dg2" in fields:
        try:
            faces = lds.parse_dg2(fields["dg2"])
        except (lds.LdsError, TlvError, ValueError):
            faces = []
        if faces:
            check.chip_photo, check.chip_photo_mime = faces[0].data, faces[0].mime_type
    return check
