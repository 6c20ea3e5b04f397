"""Demo data: one account per role and a small bank of Vietnamese items, loaded idempotently.

The demo password is printed on start; it is for a local demo only (a real deployment creates
its accounts with `exam-server create-user`).
"""
from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select

from exam_server.accounts.models import User
from exam_server.accounts.services import create_user
from exam_server.bank import services as bank
from exam_server.bank.models import Item as ItemRow
from exam_server.core.db import session
from item_bank.serialize import item_from_dict

DEMO_PASSWORD = "demo-password"
DEMO_USERS = (("admin", "admin", "Quản trị viên"), ("teacher1", "teacher", "Nguyễn Thị Lan"),
              ("teacher2", "teacher", "Trần Văn Minh"), ("proctor1", "proctor", "Lê Hoàng Nam"),
              ("student1", "student", "Phạm Minh Anh"))
ITEMS_FILE = Path(__file__).with_name("items.json")
# The last few items are left mid-workflow so the review queue has something to show.
LEFT_IN_REVIEW = 2
LEFT_AS_DRAFT = 1


def _user(username: str, role: str, full_name: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    return user or create_user(username, DEMO_PASSWORD, role, full_name)


def _demo_second_factor(admin: User) -> list[str]:
    """The admin's role needs a TOTP code (EXAM_TOTP_REQUIRED_ROLES): enrol one for the demo and
    say how to get the current code without a phone."""
    from exam_server.accounts import totp

    if not totp.required_for(admin):
        return []
    if not admin.totp_secret:
        totp.enrol(admin)
        session.commit()
    return [f"The admin also needs a code from an authenticator app (secret {admin.totp_secret}); "
            "without a phone: `.venv/bin/exam-server totp-code admin` in another terminal."]


def load_demo() -> str:
    users = {name: _user(name, role, full) for name, role, full in DEMO_USERS}
    author, reviewer = users["teacher1"], users["teacher2"]
    records = json.loads(ITEMS_FILE.read_text(encoding="utf-8"))
    created = 0
    for index, record in enumerate(records):
        item = item_from_dict(record)
        if session.scalar(select(ItemRow.id).where(ItemRow.identifier == item.identifier)):
            continue
        bank.create_item(item, author)
        created += 1
        remaining = len(records) - index
        if remaining <= LEFT_AS_DRAFT:
            continue
        bank.act(item.identifier, "submit", author)
        if remaining <= LEFT_AS_DRAFT + LEFT_IN_REVIEW:
            continue
        bank.act(item.identifier, "approve", reviewer, "Đạt yêu cầu.")
    session.commit()
    from exam_server.demo.exam import demo_exam_summary, load_demo_exam

    exam, exam_created = load_demo_exam(users)
    lines = [f"Demo data: {created} new items ({len(records)} in the demo set).",
             f"Accounts (password '{DEMO_PASSWORD}'): " + ", ".join(f"{n} ({r})" for n, r, _ in DEMO_USERS)]
    lines += demo_exam_summary(exam, exam_created)
    lines += _demo_second_factor(users["admin"])
    from exam_server.demo.checkin import load_demo_checkin

    lines += load_demo_checkin(exam, users["admin"])
    return "\n".join(lines)
