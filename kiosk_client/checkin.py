"""The kiosk's check-in flow against the exam server's check-in API (/api/v1/checkin).

idle -> wait for a card -> QR of the card's front from the camera -> ask the server for a challenge
-> read the chip with the QR-derived keys (Active Authentication signs the server's challenge; when
the QR cannot be read, or its keys are refused, a kiosk that can ask takes the CAN or the MRZ typed) ->
sign the evidence with the kiosk's Ed25519 key and POST it -> on success open the browser at the
exam URL -> wait for the card to be taken away -> idle.

The kiosk proves who it is with its key (enrolled on the server: ``exam-server enrol-kiosk``); the
body it signs is ``canonical_json``: the request without ``signature``, keys sorted, no spaces,
UTF-8; byte fields in base64; it names the kiosk, the server's challenge and a Unix timestamp.
The server re-verifies everything; the kiosk's own verdict is never sent.
"""
from __future__ import annotations

import base64
import json
import os
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kiosk_client import messages as M
from kiosk_client.i18n import _


def canonical_json(body: dict[str, Any]) -> bytes:
    """The signed bytes of a request body (everything but ``signature``)."""
    unsigned = {k: v for k, v in body.items() if k != "signature"}
    return json.dumps(unsigned, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


# --- the kiosk key ----------------------------------------------------------------------------

def make_key(path: str | Path) -> Path:
    """Create the kiosk's Ed25519 key pair: private key at ``path`` (PEM, mode 0600, never
    overwritten), public key at ``path.pub`` (PEM, give it to ``exam-server enrol-kiosk``)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    path = Path(path)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # refuses to replace a key
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
    os.chmod(path, 0o600)
    public = path.with_name(path.name + ".pub")
    public.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                     serialization.PublicFormat.SubjectPublicKeyInfo))
    return public


def load_key(path: str | Path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    try:
        key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    except (OSError, ValueError) as exc:
        raise CheckinError("bad_key", _(M.BAD_KEY).format(path=path, detail=exc)) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise CheckinError("bad_key", _(M.NOT_ED25519).format(path=path))
    return key


# --- errors -----------------------------------------------------------------------------------

class CheckinError(Exception):
    """A failed check-in step. ``kind``: no_card | card_removed | wrong_key | unreadable | reader |
    unreadable_qr | camera | server_unreachable | server_refused | bad_key. ``message`` is in the
    kiosk's language (kiosk_client.i18n), with the technical detail as it came."""

    def __init__(self, kind: str, message: str, reasons: list[str] | None = None,
                 outcome: str | None = None) -> None:
        super().__init__(message)
        self.kind, self.message, self.reasons, self.outcome = kind, message, reasons or [], outcome


# --- the server -------------------------------------------------------------------------------

def _b64(data: bytes | None) -> str | None:
    return base64.b64encode(data).decode("ascii") if data is not None else None


def evidence_body(kiosk_id: int, challenge_hex: str, evidence, private_key, live_photo: bytes | None = None,
                  now: float | None = None) -> dict[str, Any]:
    """The signed /evidence request for a card read (``readcard.Evidence``)."""
    body: dict[str, Any] = {
        "kiosk": kiosk_id, "challenge": challenge_hex, "timestamp": int(now if now is not None else time.time()),
        "dg1": _b64(evidence.dg1), "dg2": _b64(evidence.dg2), "dg13": _b64(evidence.dg13),
        "dg14": _b64(evidence.dg14), "dg15": _b64(evidence.dg15), "sod": _b64(evidence.sod),
        "aa_signature": _b64(evidence.aa_signature), "live_photo": _b64(live_photo),
    }
    body = {k: v for k, v in body.items() if v is not None}
    body["signature"] = _b64(private_key.sign(canonical_json(body)))
    return body


class ServerClient:
    def __init__(self, base_url: str, kiosk_id: int, private_key, timeout: float = 30.0) -> None:
        self.base_url, self.kiosk_id, self.key, self.timeout = base_url.rstrip("/"), kiosk_id, private_key, timeout

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        request = urllib.request.Request(self.base_url + path, data=json.dumps(body).encode("utf-8"),
                                         headers={"Content-Type": "application/json",
                                                  "Accept": "application/json"}, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return json.loads(response.read().decode("utf-8"))
        except urllib.error.HTTPError as exc:
            try:
                data = json.loads(exc.read().decode("utf-8"))
            except ValueError:
                data = {}
            finally:
                exc.close()
            code = data.get("error") or f"http_{exc.code}"
            raise CheckinError("server_refused",
                               _(M.SERVER_REFUSED).format(code=code, detail=data.get("message") or exc.reason),
                               data.get("reasons"), data.get("outcome")) from None
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            raise CheckinError("server_unreachable",
                               _(M.SERVER_UNREACHABLE).format(url=self.base_url, detail=reason)) from None

    def challenge(self) -> str:
        return self._post("/api/v1/checkin/challenge", {"kiosk": self.kiosk_id})["challenge"]

    def submit(self, challenge_hex: str, evidence, live_photo: bytes | None = None) -> dict[str, Any]:
        return self._post("/api/v1/checkin/evidence",
                          evidence_body(self.kiosk_id, challenge_hex, evidence, self.key, live_photo))


# --- the kiosk loop ---------------------------------------------------------------------------

def read_qr(camera, attempts: int = 50, pause: float = 0.1) -> str:
    from kiosk_client.camera import CameraError, decode_qr

    for i in range(attempts):
        try:
            frame = camera.read()
        except CameraError as exc:
            raise CheckinError("camera", _(M.CAMERA_PROBLEM).format(detail=exc)) from None
        text = decode_qr(frame)
        if text:
            return text
        if i + 1 < attempts:
            time.sleep(pause)
    raise CheckinError("unreadable_qr", _(M.UNREADABLE_QR))


def _jpeg(frame) -> bytes | None:
    import cv2

    ok, buf = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 85])
    return buf.tobytes() if ok else None


class KioskFlow:
    """One kiosk: ``check_in()`` does one card; ``run()`` loops."""

    def __init__(self, client: ServerClient, reader, camera, *, reader_name: str | None = None,
                 trust_dir: str | Path | None = None, open_browser: Callable[[str], None] | None = None,
                 say: Callable[[str], None] = print, photo_camera=None, card_timeout: float | None = None,
                 photo_delay: float = 1.5, ask: Callable[[str], str] | None = None) -> None:
        self.client, self.reader, self.camera = client, reader, camera
        self.reader_name, self.say, self.card_timeout = reader_name, say, card_timeout
        self.photo_camera, self.photo_delay = photo_camera, photo_delay
        self.open_browser = open_browser or (lambda url: say(_(M.EXAM_PAGE).format(url=url)))
        self.trust_dir = trust_dir  # the kiosk's own passive authentication is advisory only
        self.ask = ask              # None: an unattended kiosk, no typed fallback

    def close(self) -> None:
        """Nothing held between check-ins (kept for callers that close what they open)."""

    def check_in(self) -> dict[str, Any]:
        """One check-in; returns the server's answer (with ``url``); CheckinError with a clear message."""
        from kiosk_client.card.errors import NoCard, ReaderError
        from kiosk_client.readcard import CardReadError, read_card

        self.say(_(M.PLACE_CARD))
        try:
            name = self.reader.wait_for_card(timeout=self.card_timeout, reader=self.reader_name)
        except NoCard as exc:
            raise CheckinError("no_card", _(M.NO_CARD).format(detail=exc)) from None
        except ReaderError as exc:
            raise CheckinError("reader", _(M.READER_PROBLEM).format(detail=exc)) from None
        access, from_qr = self._access()
        challenge = self.client.challenge()
        result = None
        while result is None:
            self.say(_(M.READING_CHIP))
            try:
                with tempfile.TemporaryDirectory(prefix="kiosk-trust-") as empty:
                    result = read_card(self.reader, access, self.trust_dir or empty,
                                       challenge=bytes.fromhex(challenge), want_photo=True, reader_name=name)
            except CardReadError as exc:
                if exc.kind != "wrong_key" or not from_qr or self.ask is None:
                    raise CheckinError(exc.kind, _(M.CARD_READ.get(exc.kind, M.CARD_READ_OTHER))
                                       .format(detail=exc)) from None
                # The QR's keys were refused (e.g. a renewed card whose expiry the rule cannot
                # guess): once, the key the cardholder types.
                self.say(_(M.CHIP_REFUSED_QR_KEYS).format(detail=exc))
                access, from_qr = self._typed_access(), False
            finally:
                self.reader.disconnect()
        live = None
        if self.photo_camera is not None:
            self.say(_(M.LOOK_AT_CAMERA))
            time.sleep(self.photo_delay)  # the card was under the camera a moment ago
            try:
                live = _jpeg(self.photo_camera.read())
            except Exception:  # noqa: BLE001 - the live photo is optional evidence
                live = None
        answer = self.client.submit(challenge, result.evidence, live)
        answer["url"] = self.client.base_url + answer["exam_url"]
        self.say(_(M.CHECKED_IN).format(full_name=answer["candidate"]["full_name"],
                                        candidate_number=answer["candidate"]["candidate_number"]))
        self.open_browser(answer["url"])
        return answer

    def _access(self) -> tuple[Any, bool]:
        """The chip's access data and whether it came from the QR: the card's front QR from the
        camera; when that fails and the kiosk can ask, the CAN or the MRZ typed."""
        from kiosk_client.qr import QrError, parse_qr

        self.say(_(M.READING_QR))
        try:
            return parse_qr(read_qr(self.camera)), True
        except QrError as exc:
            problem = CheckinError("unreadable_qr", _(M.QR_NOT_CCCD).format(detail=exc))
        except CheckinError as exc:       # unreadable, or the camera failed
            problem = exc
        if self.ask is None:
            raise problem
        self.say(problem.message)
        return self._typed_access(), False

    def _typed_access(self) -> str:
        from kiosk_client.readcard import AccessKeys

        typed = self.ask(_(M.TYPED_KEY_PROMPT))
        text = "".join((typed or "").split()).upper()   # MRZ lines may be typed with spaces or breaks
        if not text:
            raise CheckinError("no_access_key", _(M.NOTHING_TYPED))
        try:
            AccessKeys.from_any(text)
        except ValueError as exc:
            raise CheckinError("bad_access_key", _(M.BAD_ACCESS_KEY).format(detail=exc)) from None
        return text

    def wait_for_removal(self, poll: float = 0.3, timeout: float | None = None) -> None:
        self.say(_(M.TAKE_CARD))
        deadline = None if timeout is None else time.monotonic() + timeout
        while self._card_present():
            if deadline is not None and time.monotonic() > deadline:
                return
            time.sleep(poll)

    def _card_present(self) -> bool:
        from kiosk_client.card.errors import CardLayerError

        try:
            if hasattr(self.reader, "_card_present"):        # PC/SC: ask pcscd, do not power the card
                names = [n for n in self.reader.list_readers() if not self.reader_name or self.reader_name in n]
                return bool(names) and self.reader._card_present(names) is not None
            if hasattr(self.reader, "_present"):              # simulated reader
                return self.reader._present()
            self.reader.connect(self.reader_name)
            self.reader.disconnect()
            return True
        except CardLayerError:
            return False

    def run(self, once: bool = False) -> int:
        """The loop; with ``once``: one card, exit status 0 on a check-in, 1 on failure."""
        while True:
            try:
                self.check_in()
                status = 0
            except CheckinError as exc:
                if exc.outcome == "finished":
                    self.say(_(M.FINISHED))
                else:
                    if exc.outcome in M.SERVER_OUTCOME:   # what it means for the candidate, first
                        self.say(_(M.SERVER_OUTCOME[exc.outcome]))
                    self.say(_(M.CHECKIN_FAILED).format(message=exc.message))
                    for reason in exc.reasons:
                        self.say(_(M.REASON_LINE).format(reason=reason))
                status = 1
            if once:
                return status
            self.wait_for_removal()
