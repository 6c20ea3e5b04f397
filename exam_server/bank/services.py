"""Item bank operations. They flush, never commit: the request or command that calls them does."""
from __future__ import annotations

import html as html_lib
import re
from dataclasses import replace

from sqlalchemy import func, select

from exam_server.accounts.models import Role, User
from exam_server.bank.models import Item as ItemRow
from exam_server.bank.models import ItemEvent, ItemVersion, VersionStatus
from exam_server.bank.workflow import REVIEW_ACTIONS, next_status
from exam_server.core.db import session
from exam_server.core.errors import ApiError, Conflict, Forbidden, NotFound
from item_bank import types as item_types
from item_bank.model import CognitiveLevel, Item, ItemContent, ItemMetadata
from item_bank.text import fold

_TAG_RE = re.compile(r"<[^>]+>")
EDITABLE_FROM = frozenset({VersionStatus.DRAFT, VersionStatus.APPROVED})
# Path words under /bank/items/ and /api/v1/items/ that an identifier would shadow.
RESERVED_IDENTIFIERS = frozenset({"new", "preview"})


def _plain_text(html: str) -> str:
    return html_lib.unescape(_TAG_RE.sub(" ", html))


def _body_text(body: dict) -> str:
    parts = []
    for value in body.values():
        if isinstance(value, list):
            parts.extend(_plain_text(entry.get("html", "")) for entry in value if isinstance(entry, dict))
    return " ".join(parts)


def search_text_of(item: Item) -> str:
    m = item.metadata
    return fold(" ".join([item.identifier, item.title, _plain_text(item.content.stem),
                          _body_text(item.content.body), m.topic, m.learning_outcome, m.author,
                          m.source, " ".join(m.tags)]))


def version_to_item(version: ItemVersion) -> Item:
    return Item(
        identifier=version.item.identifier, title=version.title,
        metadata=ItemMetadata(subject=version.subject, grade=version.grade, topic=version.topic,
                              learning_outcome=version.learning_outcome,
                              cognitive_level=CognitiveLevel(version.cognitive_level),
                              difficulty=version.difficulty, tags=list(version.tags), author=version.author,
                              source=version.source, language=version.language),
        content=ItemContent(type=version.item_type, stem=version.stem, body=version.body,
                            key=version.answer_key),
    )


def _new_version(row: ItemRow, item: Item, actor: User, number: int) -> ItemVersion:
    m = item.metadata
    version = ItemVersion(
        item_id=row.id, number=number, status=VersionStatus.DRAFT, title=item.title,
        item_type=item.content.type, subject=m.subject, grade=m.grade, topic=m.topic,
        learning_outcome=m.learning_outcome, cognitive_level=m.cognitive_level.value,
        difficulty=m.difficulty, tags=list(m.tags), author=m.author or actor.full_name, source=m.source,
        language=m.language, stem=item.content.stem, body=item.content.body,
        answer_key=item.content.key, search_text=search_text_of(item),
        tags_text="|" + "|".join(fold(t) for t in m.tags) + "|", created_by_id=actor.id,
        learning_outcome_folded=fold(m.learning_outcome), author_folded=fold(m.author or actor.full_name),
        source_folded=fold(m.source))
    session.add(version)
    session.flush()
    row.latest_version_id = version.id
    return version


def _event(row: ItemRow, version: ItemVersion | None, actor: User, action: str,
           from_status: VersionStatus | None = None, to_status: VersionStatus | None = None,
           comment: str = "") -> None:
    session.add(ItemEvent(item_id=row.id, version_id=version.id if version else None, actor_id=actor.id,
                          action=action, from_status=from_status.value if from_status else None,
                          to_status=to_status.value if to_status else None, comment=comment))


def _require_author_role(actor: User) -> None:
    if actor.role not in (Role.TEACHER, Role.ADMIN):
        raise Forbidden("Only teachers and admins author items.")


def get_item_row(identifier: str) -> ItemRow:
    row = session.scalar(select(ItemRow).where(ItemRow.identifier == identifier))
    if row is None:
        raise NotFound(f"No item {identifier!r}.", "identifier")
    return row


def get_version(identifier: str, number: int | None = None) -> ItemVersion:
    row = get_item_row(identifier)
    if number is None:
        return row.latest_version
    version = session.scalar(select(ItemVersion).where(ItemVersion.item_id == row.id,
                                                       ItemVersion.number == number))
    if version is None:
        raise NotFound(f"Item {identifier!r} has no version {number}.", "version")
    return version


def list_versions(identifier: str) -> list[ItemVersion]:
    row = get_item_row(identifier)
    return list(session.scalars(select(ItemVersion).where(ItemVersion.item_id == row.id)
                                .order_by(ItemVersion.number.desc())))


def list_events(identifier: str) -> list[ItemEvent]:
    row = get_item_row(identifier)
    return list(session.scalars(select(ItemEvent).where(ItemEvent.item_id == row.id)
                                .order_by(ItemEvent.id)))


def create_item(item: Item, actor: User, *, action: str = "create") -> ItemVersion:
    """Validate and store a new item as version 1, a draft."""
    _require_author_role(actor)
    if item.identifier.lower() in RESERVED_IDENTIFIERS:
        raise ApiError("reserved_identifier", f"{item.identifier!r} is a reserved word; choose another identifier.",
                       422, "identifier")
    item = item_types.validate_item(item)
    if session.scalar(select(ItemRow.id).where(ItemRow.identifier == item.identifier)) is not None:
        raise Conflict("identifier_taken", f"An item {item.identifier!r} exists already.", "identifier")
    row = ItemRow(identifier=item.identifier, created_by_id=actor.id)
    session.add(row)
    session.flush()
    version = _new_version(row, item, actor, 1)
    _event(row, version, actor, action, None, VersionStatus.DRAFT)
    return version


def revise_item(identifier: str, item: Item, actor: User, comment: str = "",
                base_version: int | None = None) -> ItemVersion:
    """Save an edit as a new version. Nothing is overwritten: a replaced draft is superseded,
    an approved version stays approved (and in use) until its successor is approved.
    `base_version`: the version the editor started from; if someone saved since, refuse rather
    than silently stack this edit on top of theirs."""
    _require_author_role(actor)
    row = get_item_row(identifier)
    latest = row.latest_version
    if base_version is not None and base_version != latest.number:
        raise Conflict("stale_version", f"Someone saved version {latest.number} while you were editing "
                       f"version {base_version}; reload it and apply your changes again.", "base_version")
    if latest.status not in EDITABLE_FROM:
        raise Conflict("not_editable", f"Version {latest.number} is {latest.status.value}: "
                       "withdraw it from review first." if latest.status == VersionStatus.IN_REVIEW
                       else f"Version {latest.number} is {latest.status.value} and cannot be edited.",
                       "status")
    item = item_types.validate_item(replace(item, identifier=identifier))
    if latest.status == VersionStatus.DRAFT:
        latest.status = next_status(latest.status, "supersede")
        _event(row, latest, actor, "supersede", VersionStatus.DRAFT, VersionStatus.SUPERSEDED)
    version = _new_version(row, item, actor, latest.number + 1)
    _event(row, version, actor, "revise", None, VersionStatus.DRAFT, comment)
    return version


def _authored_since_approval(row: ItemRow, actor: User) -> bool:
    """Did the actor author any version after the last one ever approved (a withdraw and a
    colleague's re-save of the same content must not launder one's own item)?"""
    last_approved = session.scalar(select(func.max(ItemVersion.number)).where(
        ItemVersion.item_id == row.id,
        ItemVersion.id.in_(select(ItemEvent.version_id).where(ItemEvent.item_id == row.id,
                                                               ItemEvent.action == "approve"))))
    return session.scalar(select(ItemVersion.id).where(
        ItemVersion.item_id == row.id, ItemVersion.number > (last_approved or 0),
        ItemVersion.created_by_id == actor.id).limit(1)) is not None


def act(identifier: str, action: str, actor: User, comment: str = "") -> ItemVersion:
    """Move the latest version through the review workflow, with the actor's comment."""
    row = get_item_row(identifier)
    version = row.latest_version
    if action in REVIEW_ACTIONS:
        if actor.role not in (Role.TEACHER, Role.ADMIN):
            raise Forbidden("Only teachers and admins review items.")
        if version.created_by_id == actor.id:
            raise Forbidden("You cannot review your own item; another teacher must.", code="own_item")
        if action == "approve" and _authored_since_approval(row, actor):
            raise Forbidden("You wrote a version of this item since it was last approved; another teacher "
                            "must approve it.", code="own_item")
        if action == "request_changes" and not comment.strip():
            raise ApiError("comment_required", "Say what should change.", 422, "comment")
    else:
        _require_author_role(actor)
    target = next_status(version.status, action)
    if action == "approve":
        # The approved version before this one stays readable for the exams that pinned it.
        for older in session.scalars(select(ItemVersion).where(
                ItemVersion.item_id == row.id, ItemVersion.status == VersionStatus.APPROVED,
                ItemVersion.id != version.id)):
            older.status = next_status(older.status, "supersede")
            _event(row, older, actor, "supersede", VersionStatus.APPROVED, VersionStatus.SUPERSEDED)
    _event(row, version, actor, action, version.status, target, comment.strip())
    version.status = target
    session.flush()
    return version
