"""Check-in read of a CCCD chip: access control, files, passive and active authentication.

``read_card(source, access, trust_dir, challenge=None, want_photo=False)`` returns a
``CardReadResult``: a dict ready for JSON (the contract printed by ``exam-kiosk read-card
--json``) whose ``.evidence`` attribute holds the raw bytes the server will re-verify at
check-in (DG1, DG13, DG14, DG15, SOD, DG2, AA signature, challenge). It raises
``CardReadError`` (with ``.kind``) when the card cannot be read at all: no card, card
removed, wrong key after every candidate, unreadable card, reader failure. A failed
passive or active authentication is *not* an exception: it is reported in the result
with ``ok: false`` and the reason, never hidden.

Access keys, tried in this order:

1. PACE with the CAN, when the card offers PACE (EF.CardAccess) and the CAN is known;
2. for each MRZ candidate in order (for QR data: one per expiry-date candidate, see
   kiosk_client.qr): PACE with the MRZ when the card offers PACE, else BAC (EmrtdReader
   falls back to BAC when PACE fails).
"""

from __future__ import annotations

import datetime as _dt
import os
import time
from dataclasses import dataclass, field

from kiosk_client.card.errors import CardLayerError, CardRemoved, NoCard
from kiosk_client.card.errors import ReaderError as CardReaderError
from kiosk_client.emrtd import lds, pace
from kiosk_client.emrtd.active_auth import verify_active_auth
from kiosk_client.emrtd.apdu import CardError
from kiosk_client.emrtd.mrz import MrzError, mrz_info, parse_td1
from kiosk_client.emrtd.passive_auth import verify_passive_auth
from kiosk_client.emrtd.reader import EmrtdReader
from kiosk_client.emrtd.reader import ReaderError as EmrtdError
from kiosk_client.emrtd.tlv import TlvError
from kiosk_client.qr import QrData

# Exceptions that mean "this key was not accepted" during access control.
_AUTH_ERRORS = (CardError, EmrtdError, TlvError, ValueError)


class CardReadError(Exception):
    """The card could not be read. ``kind``: no_card | card_removed | wrong_key | unreadable | reader."""

    def __init__(self, kind: str, message: str) -> None:
        self.kind = kind
        super().__init__(message)


@dataclass
class Evidence:
    """Raw bytes for the server-side check (not part of the JSON)."""

    ef_com: bytes | None = None
    dg1: bytes | None = None
    dg2: bytes | None = None
    dg13: bytes | None = None
    dg14: bytes | None = None
    dg15: bytes | None = None
    sod: bytes | None = None
    aa_signature: bytes | None = None
    challenge: bytes | None = None
    card_access: bytes | None = None


class CardReadResult(dict):
    """The JSON-able result; ``.evidence`` has the raw bytes, ``.photo`` the DG2 image bytes."""

    evidence: Evidence
    photo: bytes | None = None


@dataclass
class AccessKeys:
    can: str | None = None
    mrz_informations: list[str] = field(default_factory=list)

    @classmethod
    def from_any(cls, access) -> AccessKeys:
        """QrData | (document number, birth YYMMDD, expiry YYMMDD) | MRZ text | CAN digits | AccessKeys."""
        if isinstance(access, AccessKeys):
            return access
        if isinstance(access, QrData):
            return cls(access.can, access.mrz_informations())
        if isinstance(access, tuple) and len(access) == 3:
            try:
                return cls(None, [mrz_info(*access)])
            except MrzError as exc:
                raise ValueError(f"bad MRZ data: {exc}") from None
        if isinstance(access, str):
            text = access.strip()
            if text.isdigit() and 6 <= len(text) <= 10:
                return cls(can=text)
            try:
                return cls(None, [parse_td1(text).mrz_info()])
            except MrzError as exc:
                raise ValueError(f"not a CAN (digits) nor a TD1 MRZ: {exc}") from None
        raise ValueError(f"unsupported access data {type(access).__name__}")


class _Steps:
    """Ordered per-step APDU counts and timings over several EmrtdReader instances."""

    def __init__(self) -> None:
        self.apdus: dict[str, int] = {}
        self.seconds: dict[str, float] = {}

    def add(self, name: str, apdus: int, seconds: float) -> None:
        self.apdus[name] = self.apdus.get(name, 0) + apdus
        self.seconds[name] = self.seconds.get(name, 0.0) + seconds

    def merge(self, reader: EmrtdReader, rename: str | None = None) -> None:
        for name, secs in reader.stats.timings.items():
            self.add(rename or name, reader.stats.apdus_per_step.get(name, 0), secs)

    def as_list(self) -> list[dict]:
        return [{"name": n, "apdus": self.apdus[n], "seconds": round(self.seconds[n], 4)} for n in self.apdus]


def _iso_from_dg13(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return _dt.datetime.strptime(value.strip(), "%d/%m/%Y").date().isoformat()
    except ValueError:
        return None


def _iso_from_yymmdd(value: str | None, *, birth: bool) -> str | None:
    if not value or len(value) != 6 or not value.isdigit():
        return None
    yy, mm, dd = int(value[:2]), int(value[2:4]), int(value[4:])
    if birth:
        year = 2000 + yy if 2000 + yy <= _dt.date.today().year else 1900 + yy
    else:
        year = 2000 + yy
    try:
        return _dt.date(year, mm, dd).isoformat()
    except ValueError:
        return None


def _open(source, reader_name: str | None):
    """(transport, close?) from a CardReader, a transport, or None (= first PC/SC reader with a card)."""
    if source is None:
        from kiosk_client.card.pcsc import PcscReader

        source = PcscReader()
    if hasattr(source, "transmit"):
        return source, False
    try:
        return source.connect(reader_name), True
    except NoCard as exc:
        raise CardReadError("no_card", f"no card on the reader: {exc}") from None
    except CardRemoved as exc:
        raise CardReadError("card_removed", f"card removed: {exc}") from None
    except CardReaderError as exc:
        raise CardReadError("reader", f"reader problem: {exc}") from None


def _offers_pace(card_access: bytes | None) -> bool:
    if not card_access:
        return False
    try:
        return pace.choose_pace_info(pace.pace_infos(card_access)) is not None
    except (TlvError, ValueError, pace.PaceError):
        return False


def _authenticate(transport, keys: AccessKeys, steps: _Steps,
                  extended_length: bool | None = None) -> tuple[EmrtdReader, int]:
    """Run the access-key attempts; return (authenticated reader, keys tried)."""
    if not keys.can and not keys.mrz_informations:
        raise ValueError("need a CAN or MRZ information")
    attempts: list[tuple[str, dict]] = []
    if keys.can:
        attempts.append(("CAN", {"can": keys.can}))
    attempts += [("MRZ", {"mrz_information": m}) for m in keys.mrz_informations]
    pace_offered: bool | None = None  # unknown until EF.CardAccess was read once
    tried = 0
    reasons: list[str] = []
    for kind, kwargs in attempts:
        if kind == "CAN" and pace_offered is False:
            continue
        reader = EmrtdReader(transport, extended_length=extended_length)
        prefer_pace = pace_offered is not False
        try:
            reader.authenticate(prefer_pace=prefer_pace, **kwargs)
        except _AUTH_ERRORS as exc:
            steps.merge(reader, rename="rejected keys")
            if pace_offered is None and prefer_pace:
                pace_offered = _offers_pace(reader.card_access)
            if kind == "CAN" and not pace_offered:
                reasons.append("the card offers no PACE, so the CAN cannot open it")
                continue
            tried += 1
            reasons.append(f"{kind}: {reader.pace_error or exc}")
            continue
        steps.merge(reader)
        return reader, tried + 1
    if tried == 0:
        raise CardReadError("wrong_key", f"no usable key: {'; '.join(reasons) or 'nothing to try'}")
    raise CardReadError("wrong_key", f"wrong key after {tried} candidate{'s' if tried != 1 else ''} "
                                     f"(card refused access; last: {reasons[-1]})")


def read_card(source, access, trust_dir, challenge: bytes | None = None, want_photo: bool = False,
              reader_name: str | None = None, extended_length: bool | None = None) -> CardReadResult:
    """Read and verify a card. ``source``: a CardReader (connected here, reader_name picks the
    reader), an open transport with ``transmit``, or None for the first PC/SC reader with a card.
    ``extended_length``: None = use it when the card announces it in EF.ATR/INFO; True/False
    forces it (cards and readers that support extended APDUs read DG2 in one or two APDUs)."""
    keys = AccessKeys.from_any(access)
    if challenge is None:
        challenge = os.urandom(8)
    if len(challenge) != 8:
        raise ValueError("the Active Authentication challenge must be 8 bytes")
    start = time.perf_counter()
    steps = _Steps()
    transport, close = _open(source, reader_name)
    try:
        return _read(transport, keys, trust_dir, bytes(challenge), want_photo, steps, start, extended_length)
    except CardRemoved as exc:
        raise CardReadError("card_removed", f"card removed during the read: {exc}") from None
    except CardReaderError as exc:
        raise CardReadError("reader", f"reader problem: {exc}") from None
    except CardLayerError as exc:  # pragma: no cover - other card-layer errors
        raise CardReadError("reader", str(exc)) from None
    finally:
        if close:
            transport.close()


def _read(transport, keys: AccessKeys, trust_dir, challenge: bytes, want_photo: bool, steps: _Steps,
          start: float, extended_length: bool | None = None) -> CardReadResult:
    reader, tried = _authenticate(transport, keys, steps, extended_length)
    ev = Evidence(challenge=challenge, card_access=reader.card_access)
    read_errors: dict[str, str] = {}
    base_apdus = dict(reader.stats.apdus_per_step)
    base_timings = dict(reader.stats.timings)

    def read(name: str, required: bool = False) -> bytes | None:
        try:
            return reader.read_file_optional(name) if not required else reader.read_file(name)
        except (CardError, EmrtdError, TlvError) as exc:
            if required:
                raise CardReadError("unreadable", f"unreadable card: {name}: {exc}") from None
            read_errors[name] = str(exc)
            return None

    ev.ef_com = read("EF.COM")
    listed: set[int] | None = None
    if ev.ef_com:
        try:
            listed = set(lds.parse_ef_com(ev.ef_com)["data_groups"])
        except (lds.LdsError, TlvError) as exc:
            read_errors["EF.COM"] = str(exc)
    ev.dg1 = read("DG1", required=True)
    ev.dg13 = read("DG13") if listed is None or 13 in listed else None
    ev.dg14 = read("DG14") if listed is None or 14 in listed else None
    ev.dg15 = read("DG15") if listed is None or 15 in listed else None
    if want_photo:
        ev.dg2 = read("DG2")
    ev.sod = read("EF.SOD", required=True)

    # Active Authentication: the card signs the (server's) challenge with the DG15 key.
    aa: dict = {"ok": None}
    if ev.dg15:
        try:
            ev.aa_signature = reader.internal_authenticate(challenge)
        except (CardError, EmrtdError) as exc:
            aa = {"ok": False, "failure": f"INTERNAL AUTHENTICATE failed: {exc}"}
    else:
        aa["failure"] = "the card has no Active Authentication key (DG15)"
    # Card work is over; gather its per-step statistics before the local checks.
    for name, secs in reader.stats.timings.items():
        n = reader.stats.apdus_per_step.get(name, 0) - base_apdus.get(name, 0)
        if name in base_timings and n == 0:
            continue  # merged already with the access-control steps
        steps.add(name, n, secs - base_timings.get(name, 0.0))
    apdus_total = sum(steps.apdus.values())

    t = time.perf_counter()
    dgs = {1: ev.dg1, 2: ev.dg2, 13: ev.dg13, 14: ev.dg14, 15: ev.dg15}
    pa = verify_passive_auth(ev.sod, {k: v for k, v in dgs.items() if v is not None}, trust_dir)
    pa = _json_safe(pa)
    if read_errors and pa.get("ok"):
        pa["ok"] = False
        pa["checks"]["all_files_read"] = False
        pa["failure"] = "not verified: could not read " + ", ".join(f"{k} ({v})" for k, v in read_errors.items())
    steps.add("passive authentication", 0, time.perf_counter() - t)

    if ev.aa_signature is not None:
        t = time.perf_counter()
        ok = verify_active_auth(ev.dg15, challenge, ev.aa_signature, ev.dg14)
        aa = {"ok": ok} if ok else {"ok": False, "failure": "signature does not verify with the DG15 key "
                                                            "(cloned or substituted chip)"}
        steps.add("active authentication verify", 0, time.perf_counter() - t)

    dg1 = _parse(lds.parse_dg1, ev.dg1, read_errors, "DG1") or {}
    dg13 = lds.parse_dg13(ev.dg13) if ev.dg13 else None
    d13 = dg13 or {}
    result = CardReadResult(
        access=reader.access_protocol,
        document_number=dg1.get("document_number"),
        id_number=d13.get("id_number") or (dg1.get("optional_data") or None),
        full_name=d13.get("full_name") or dg1.get("name"),
        date_of_birth=_iso_from_dg13(d13.get("date_of_birth"))
        or _iso_from_yymmdd(dg1.get("date_of_birth"), birth=True),
        sex=dg1.get("sex"),
        date_of_expiry=_iso_from_yymmdd(dg1.get("date_of_expiry"), birth=False),
        dg13=_json_safe(dg13),
        passive_auth=pa,
        active_auth=aa,
        apdus=apdus_total,
        seconds=round(time.perf_counter() - start, 4),
        steps=steps.as_list(),
        keys_tried=tried,
        challenge=challenge.hex(),
    )
    if reader.pace_error:
        result["pace_error"] = reader.pace_error
    if read_errors:
        result["read_errors"] = read_errors
    result.evidence = ev
    if ev.dg2:
        faces = _parse(lds.parse_dg2, ev.dg2, read_errors, "DG2")
        result.photo = faces[0].data if faces else None
    return result


def _parse(fn, data, errors: dict, name: str):
    try:
        return fn(data)
    except (lds.LdsError, TlvError, ValueError) as exc:
        errors[name] = f"unparseable: {exc}"
        return None


def _json_safe(obj):
    """dict keys to str, bytes to hex, dates to ISO: json.dumps-able without a custom encoder."""
    if isinstance(obj, dict):
        return {str(k): _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_json_safe(v) for v in obj]
    if isinstance(obj, (bytes, bytearray)):
        return bytes(obj).hex()
    if isinstance(obj, (_dt.date, _dt.datetime)):
        return obj.isoformat()
    return obj
