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
from exam_server.accounts.policy import check_password
from exam_server.core.db import session, utcnow
from exam_server.core.errors import ApiError, Conflict
from exam_server.core.signals import account_changed

_STRONG = PasswordHasher()
# Tests create many users; the cheapest Argon2 parameters keep them fast. Never in production.
_FAST = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


def _hasher_now() -> PasswordHasher:
    return _FAST if current_app.config.get("ARGON2_FAST") else _STRONG
USERNAME_RE = re.compile(r"^[a-z0-9_.-]{3,64}$")
# Verifying against a real hash for unknown users keeps the answer time the same either way.
_DUMMY_HASH = _STRONG.hash("not a password")


def create_user(username: str, password: str, role: Role | str, full_name: str = "",
                actor_id: int | None = None) -> User:
    username = (username or "").strip().lower()
    if not USERNAME_RE.match(username):
        raise ApiError("invalid_username", "A username is 3 to 64 of a-z, 0-9, _ . -", 422, "username")
    check_password(password, username)
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
    account_changed.send(user.id, actor_id=actor_id, action="create", role=role.value, at=utcnow())
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


def end_sessions(user: User) -> None:
    """Every cookie session of the user ends at its next request; every API token is revoked."""
    user.session_generation = (user.session_generation or 0) + 1
    now = utcnow()
    for row in session.scalars(select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))):
        row.revoked_at = now


def change_password(user: User, current: str, new: str) -> None:
    try:
        _hasher_now().verify(user.password_hash, current or "")
    except (VerificationError, InvalidHashError):
        raise ApiError("bad_credentials", "The current password is wrong.", 422, "current_password") from None
    check_password(new, user.username)
    user.password_hash = _hasher_now().hash(new)
    end_sessions(user)


def set_active(user: User, active: bool, actor: User) -> bool:
    """Deactivate or reactivate an account; True if it changed. Deactivation ends its sessions."""
    if user.id == actor.id and not active:
        raise ApiError("own_account", "You cannot deactivate your own account.", 409)
    if user.is_active == active:
        return False
    user.is_active = active
    if not active:
        end_sessions(user)
    session.flush()
    account_changed.send(user.id, actor_id=actor.id, action="activate" if active else "deactivate",
                         role=user.role.value, at=utcnow())
    return True


def set_role(user: User, role: object, actor: User) -> bool:
    """Change an account's role; True if it changed. An admin cannot change their own (the last
    admin would lock everyone out); the account's sessions and tokens end, so nothing issued under
    the old role lives on. Audited through account_changed."""
    try:
        new_role = Role(role)
    except ValueError:
        raise ApiError("bad_value", f"role must be one of {', '.join(r.value for r in Role)}.", 400, "role") from None
    if user.id == actor.id:
        raise ApiError("own_account", "You cannot change your own role.", 409)
    if user.role == new_role:
        return False
    user.role = new_role
    end_sessions(user)
    session.flush()
    account_changed.send(user.id, actor_id=actor.id, action="role", role=new_role.value, at=utcnow())
    return True


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
