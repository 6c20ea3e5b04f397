"""The password policy: long enough, not the username, not on the list of common passwords.

The list (common_passwords.txt, shipped with the project, about 11,600 entries of 8 characters or
more) is the start of a public password-frequency list: what credential-stuffing tools try first.
NIST SP 800-63B asks for exactly this check rather than composition rules.
"""
from __future__ import annotations

import functools
from pathlib import Path

from exam_server.core.errors import ApiError

MIN_LENGTH = 8
MAX_LENGTH = 256          # Argon2 hashes anything, but a megabyte "password" is a DoS, not a secret
COMMON_FILE = Path(__file__).with_name("common_passwords.txt")


@functools.cache
def common_passwords() -> frozenset[str]:
    lines = COMMON_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def check_password(password: str, username: str = "") -> None:
    password = password or ""
    if len(password) < MIN_LENGTH:
        raise ApiError("weak_password", f"A password has at least {MIN_LENGTH} characters.", 422, "password")
    if len(password) > MAX_LENGTH:
        raise ApiError("weak_password", f"A password has at most {MAX_LENGTH} characters.", 422, "password")
    lowered = password.lower()
    if username and username.lower() in lowered:
        raise ApiError("weak_password", "A password may not contain the username.", 422, "password")
    if lowered in common_passwords() or len(set(password)) < 3:
        raise ApiError("common_password", "This password is among the most common ones: choose another.",
                       422, "password")
