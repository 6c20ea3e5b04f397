from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from sqlalchemy import select

from exam_server.accounts.models import ApiToken, Role, User
from exam_server.core.db import session, utcnow
from exam_server.core.errors import ApiError, Conflict

_STRONG = PasswordHasher()
# Tests create many users; the cheapest Argon2 parameters keep them fast. Never in production.
_FAST = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


def _hasher_now() -> PasswordHasher:
    return _FAST if current_app.config.get("ARGON2_FAST") else _STRONG
USERNAME_RE = re.compile(r"^[a-z0-9_.-]{3,64}$")
# Verifying against a real hash for unknown users keeps the answer time the same either way.
_DUMMY_HASH = _STRONG.hash("not a password")


def create_user(username: str, password: str, role: Role | str, full_name: str = "") -> User:
    username = (username or "").strip().lower()
    if not USERNAME_RE.match(username):
        raise ApiError("invalid_username", "A username is 3 to 64 of a-z, 0-9, _ . -", 422, "username")
    if len(password or "") < 8:
        raise ApiError("weak_password", "A password has at least 8 characters.", 422, "password")
    try:
        role = Role(role)
    except ValueError:
        raise ApiError("invalid_role", f"Unknown role {role!r}.", 422, "role") from None
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict("username_taken", f"The username {username!r} is taken.", "username")
    user = User(username=username, full_name=full_name.strip() or username,
                password_hash=_hasher_now().hash(password), role=role)
    session.add(user)
    session.flush()
    return user


def authenticate(username: str, password: str) -> User | None:
    user = session.scalar(select(User).where(User.username == (username or "").strip().lower()))
    try:
        _hasher_now().verify(user.password_hash if user else _DUMMY_HASH, password or "")
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.is_active:
        return None
    if _hasher_now().check_needs_rehash(user.password_hash):
        user.password_hash = _hasher_now().hash(password)
    return user


def issue_token(user: User, ttl_seconds: int) -> str:
    token = secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, token_sha256=hashlib.sha256(token.encode()).hexdigest(),
                         expires_at=utcnow() + timedelta(seconds=ttl_seconds)))
    session.flush()
    return token


def user_for_token(token: str) -> User | None:
    row = session.scalar(select(ApiToken).where(
        ApiToken.token_sha256 == hashlib.sha256(token.encode()).hexdigest()))
    if row is None or row.revoked_at is not None or row.expires_at <= utcnow() or not row.user.is_active:
        return None
    return row.user


def revoke_token(token: str) -> None:
    row = session.scalar(select(ApiToken).where(
        ApiToken.token_sha256 == hashlib.sha256(token.encode()).hexdigest()))
    if row is not None and row.revoked_at is None:
        row.revoked_at = utcnow()


def display_names(user_ids: set[int]) -> dict[int, str]:
    """user id -> the name to show (full name, else username)."""
    if not user_ids:
        return {}
    users = session.scalars(select(User).where(User.id.in_(user_ids)))
    return {u.id: u.full_name or u.username for u in users}
