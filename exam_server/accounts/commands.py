"""`exam-server totp-enrol USER` and `exam-server totp-code USER` (the second factor, accounts/totp.py)."""
from __future__ import annotations

import sys


def _user(username: str):
    from sqlalchemy import select

    from exam_server.accounts.models import User
    from exam_server.core.db import session

    user = session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None:
        sys.exit(f"exam-server: no user {username!r}")
    return user


def cmd_totp_enrol(args) -> int:
    from exam_server.accounts import totp
    from exam_server.core.db import session

    with args.make_app(args).app_context():
        user = _user(args.username)
        uri = totp.enrol(user)
        session.commit()
        print(f"second factor enrolled for {user.username}; add it to an authenticator app:")
        print(f"  secret: {user.totp_secret}")
        print(f"  URI:    {uri}")
    return 0


def cmd_totp_code(args) -> int:
    """The current code: for the demo and for an administrator testing a new enrolment."""
    from exam_server.accounts import totp
    from exam_server.core.errors import ApiError

    with args.make_app(args).app_context():
        try:
            print(totp.current_code(_user(args.username)))
        except ApiError as exc:
            sys.exit(f"exam-server: {exc.message}")
    return 0


def add_parsers(sub, make_app) -> None:
    enrol = sub.add_parser("totp-enrol", help="give a user a new TOTP second factor and print its secret")
    enrol.add_argument("username")
    enrol.set_defaults(func=cmd_totp_enrol, make_app=make_app)
    code = sub.add_parser("totp-code", help="print a user's current TOTP code (demo, testing an enrolment)")
    code.add_argument("username")
    code.set_defaults(func=cmd_totp_code, make_app=make_app)
