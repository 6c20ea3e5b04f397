"""TOTP second factor (RFC 6238, pyotp): optional for anyone, required for the roles in
TOTP_REQUIRED_ROLES (by default the admin, who releases results, corrects keys and manages accounts).

An account of such a role without a secret cannot log in until one is enrolled (`exam-server
totp-enrol USER` prints the secret and its otpauth:// URI for an authenticator app). A code is
accepted once (the last accepted time step is kept), within one step of clock drift.
"""
from __future__ import annotations

import pyotp
from flask import current_app

from exam_server.accounts.models import User
from exam_server.core.errors import ApiError

ISSUER = "Exam platform"


def required_for(user: User) -> bool:
    return user.role.value in current_app.config["TOTP_REQUIRED_ROLES"]


def enrol(user: User) -> str:
    """Give the user a new secret (replacing any old one); returns the otpauth:// URI."""
    user.totp_secret = pyotp.random_base32()
    user.totp_last_step = None
    return pyotp.TOTP(user.totp_secret).provisioning_uri(name=user.username, issuer_name=ISSUER)


def current_code(user: User) -> str:
    if not user.totp_secret:
        raise ApiError("no_totp", f"{user.username} has no second factor enrolled.", 409)
    return pyotp.TOTP(user.totp_secret).now()


def check(user: User, code: str | None) -> None:
    """Refuse the login unless the second factor (when enrolled or required) is satisfied."""
    if not user.totp_secret:
        if required_for(user):
            raise ApiError("totp_not_enrolled", "Your role needs a second factor: ask an administrator to "
                           "enrol one (exam-server totp-enrol).", 401, "code")
        return
    code = (code or "").strip().replace(" ", "")
    if not code:
        raise ApiError("totp_required", "Enter the 6-digit code from your authenticator app.", 401, "code")
    totp = pyotp.TOTP(user.totp_secret)
    now_step = totp.timecode(_now())
    for step in (now_step, now_step - 1, now_step + 1):
        if code.isdigit() and pyotp.utils.strings_equal(code, totp.generate_otp(step)):
            if user.totp_last_step is not None and step <= user.totp_last_step:
                raise ApiError("totp_reused", "This code was used already: wait for the next one.", 401, "code")
            user.totp_last_step = step
            return
    raise ApiError("totp_wrong", "Wrong code from the authenticator app.", 401, "code")


def _now():
    from datetime import UTC, datetime

    return datetime.now(UTC)
