"""The item bank's tables. Item versions are immutable content; status moves and every action
are appended to `item_events`, which is the audit trail."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from exam_server.core.db import Base, UTCDateTime, utcnow


def _enum(cls):
    return Enum(cls, native_enum=False, length=24, values_callable=lambda e: [m.value for m in e])


class VersionStatus(str, enum.Enum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    APPROVED = "approved"       # published: exams may use it
    RETIRED = "retired"
    SUPERSEDED = "superseded"   # a newer version replaced it; still readable, past exams keep it


class Item(Base):
    __tablename__ = "items"

    id: Mapped[int] = mapped_column(primary_key=True)
    identifier: Mapped[str] = mapped_column(String(128), unique=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Points at the newest version; the one pointer that moves when a version is added.
    latest_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("item_versions.id", use_alter=True, name="fk_items_latest_version"), unique=True,
        index=True)

    latest_version: Mapped[ItemVersion | None] = relationship(foreign_keys=[latest_version_id],
                                                                post_update=True)


class ItemVersion(Base):
    __tablename__ = "item_versions"
    __table_args__ = (
        UniqueConstraint("item_id", "number"),
        Index("ix_item_versions_filters", "subject", "grade", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    status: Mapped[VersionStatus] = mapped_column(_enum(VersionStatus), index=True)
    title: Mapped[str] = mapped_column(String(300))
    item_type: Mapped[str] = mapped_column(String(32), index=True)
    subject: Mapped[str] = mapped_column(String(32))
    grade: Mapped[int] = mapped_column(Integer)
    topic: Mapped[str] = mapped_column(String(200), default="", index=True)
    learning_outcome: Mapped[str] = mapped_column(Text, default="")
    cognitive_level: Mapped[str] = mapped_column(String(16), index=True)
    difficulty: Mapped[float | None] = mapped_column(Float)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    author: Mapped[str] = mapped_column(String(200), default="")
    source: Mapped[str] = mapped_column(String(300), default="")
    language: Mapped[str] = mapped_column(String(8), default="vi")
    stem: Mapped[str] = mapped_column(Text)
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    answer_key: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Lower-cased, diacritics folded text of title, stem, options, topic and tags: one column
    # that a trigram index serves for "search with or without accents".
    search_text: Mapped[str] = mapped_column(Text)
    tags_text: Mapped[str] = mapped_column(String(1000), default="")  # "|a|b|" for tag filters
    # Folded copies (item_bank.text.fold) for the metadata filters: "do van" finds "ĐỖ Văn".
    # SQL lower() cannot do this (SQLite's only knows ASCII), so the fold happens on write.
    learning_outcome_folded: Mapped[str] = mapped_column(Text, default="")
    author_folded: Mapped[str] = mapped_column(String(200), default="")
    source_folded: Mapped[str] = mapped_column(String(300), default="")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    item: Mapped[Item] = relationship(foreign_keys=[item_id])


class ItemEvent(Base):
    """Append-only audit trail of everything done to an item: who, what, when, and why."""

    __tablename__ = "item_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    version_id: Mapped[int | None] = mapped_column(ForeignKey("item_versions.id"))
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(24))
    to_status: Mapped[str | None] = mapped_column(String(24))
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class MediaFile(Base):
    """Images used in items, stored by content hash so that a file is stored once and an item's
    HTML can never point at something that changes."""

    __tablename__ = "media_files"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    extension: Mapped[str] = mapped_column(String(8))
    content_type: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
