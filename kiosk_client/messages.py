"""Every message the check-in kiosk shows (``exam-kiosk run``), gathered in one place.

The texts are English msgids, marked with ``N_`` for extraction and translated when shown, with
``kiosk_client.i18n._``; Vietnamese is the kiosk's default language (kiosk_client/translations).
Placeholders are ``str.format`` fields, filled after translation. The technical detail a reader, a
card or the server gives (``{detail}``) stays as it came: it is for the proctor or the technician.

After changing a text here:
    .venv/bin/pybabel extract -k N_ -o kiosk_client/translations/kiosk.pot kiosk_client/messages.py
    .venv/bin/pybabel update -N -D kiosk -i kiosk_client/translations/kiosk.pot -d kiosk_client/translations
    (translate kiosk_client/translations/vi/LC_MESSAGES/kiosk.po; en: msgstr = msgid)
    .venv/bin/pybabel compile -D kiosk -d kiosk_client/translations
tests/kiosk/test_kiosk_i18n.py fails while a text has no translation or the .mo is older.
"""
from __future__ import annotations


def N_(message: str) -> str:
    """Marks a text for the catalogue; translated where it is shown."""
    return message


# --- the check-in, step by step (what the candidate at the kiosk reads) ---------------------------
PLACE_CARD = N_("Place your CCCD card on the reader")
READING_QR = N_("Reading the QR code on the card's front...")
READING_CHIP = N_("Reading the chip, keep the card still...")
CHIP_REFUSED_QR_KEYS = N_("The chip refused the keys from the QR code ({detail}).")
LOOK_AT_CAMERA = N_("Look at the camera")
CHECKED_IN = N_("Checked in: {full_name} ({candidate_number})")
EXAM_PAGE = N_("Exam page: {url}")
TAKE_CARD = N_("Take your card")
TYPED_KEY_PROMPT = N_("Type the last 6 digits of your ID number (CAN) or the 3 MRZ lines from the back "
                      "of the card: ")
FINISHED = N_("This candidate has already finished the exam: no new link. The proctor has been told.")
CHECKIN_FAILED = N_("CHECK-IN FAILED: {message}")
REASON_LINE = N_("  - {reason}")

# --- why a check-in failed (CheckinError.kind) -----------------------------------------------------
NO_CARD = N_("No card on the reader: {detail}")
READER_PROBLEM = N_("Card reader problem: {detail}")
CAMERA_PROBLEM = N_("Camera problem: {detail}")
UNREADABLE_QR = N_("Could not read the QR code on the card's front: hold the card flat under the camera, "
                   "QR facing up")
QR_NOT_CCCD = N_("The QR code is not a CCCD's: {detail}")
NOTHING_TYPED = N_("Nothing typed: the chip cannot be read without a key")
BAD_ACCESS_KEY = N_("Not a CAN (the last 6 digits of the ID number) nor the card's MRZ: {detail}")
SERVER_REFUSED = N_("Server refused ({code}): {detail}")
SERVER_UNREACHABLE = N_("Cannot reach the server {url}: {detail}")
BAD_KEY = N_("Cannot load the kiosk key {path}: {detail}")
NOT_ED25519 = N_("{path} is not an Ed25519 private key")

# The chip read's failure (readcard.CardReadError.kind): a sentence in words, then its detail.
CARD_READ = {
    "no_card": N_("No card on the reader: {detail}"),
    "card_removed": N_("The card was removed: {detail}"),
    "wrong_key": N_("The chip refused the key: {detail}"),
    "unreadable": N_("The chip could not be read: {detail}"),
    "reader": N_("Card reader problem: {detail}"),
}
CARD_READ_OTHER = N_("The card could not be read: {detail}")

# The server's verdict on the evidence (its "error"/"outcome" code): what it means for the candidate.
SERVER_OUTCOME = {
    "mismatch": N_("The card does not match the candidate on the roster. Please see the proctor."),
    "chip_failed": N_("The card's chip could not be verified. Please see the proctor."),
    "no_candidate": N_("This card's holder is not on the roster of this room. Please see the proctor."),
}

# --- the operator's messages (exam-kiosk run, setting the kiosk up) --------------------------------
NO_BROWSER = N_("exam-kiosk run: no web browser found; open the exam page above yourself")
MAKE_KEY_NEEDS_KEY = N_("exam-kiosk run: --make-key needs --key FILE (where to write the private key)")
KEY_EXISTS = N_("exam-kiosk run: {path} exists; not replacing a kiosk key")
KEY_WRITTEN = N_("private key: {path} (mode 0600); public key: {public}")
ENROL_IT = N_("enrol it on the server: exam-server enrol-kiosk --exam ID --room ID --name NAME "
              "--public-key {public}")
RUN_NEEDS_KEY = N_("exam-kiosk run: give --key FILE (the kiosk's private key; create one with --make-key)")
RUN_NEEDS_SERVER = N_("exam-kiosk run: give --server URL and --kiosk-id (the number enrol-kiosk printed)")
RUN_ERROR = N_("exam-kiosk run: {detail}")


def all_messages() -> list[str]:
    """Every msgid above (the catalogue test checks each has its translation)."""
    found: list[str] = []
    for name, value in globals().items():
        if name.isupper() and isinstance(value, dict):
            found += list(value.values())
        elif name.isupper() and isinstance(value, str):
            found.append(value)
    return found
