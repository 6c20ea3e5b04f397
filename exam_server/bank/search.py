"""Search and filter the bank's latest versions, with and without Vietnamese diacritics.

Text is matched against `search_text` (folded: lower case, no diacritics), word by word, so
"dao ham" finds "Đạo hàm". On PostgreSQL a trigram GIN index serves these substring matches.
"""
from __future__ import annotations

from dataclasses import dataclass, fields

from sqlalchemy import Select, func, select

from exam_server.bank.models import Item as ItemRow
from exam_server.bank.models import ItemVersion, VersionStatus
from exam_server.core.db import session
from exam_server.core.errors import ApiError
from item_bank.model import LANGUAGES, SUBJECTS, CognitiveLevel
from item_bank.text import fold


@dataclass
class SearchFilters:
    q: str = ""
    subject: str = ""
    grade: int | None = None
    topic: str = ""
    learning_outcome: str = ""
    cognitive_level: str = ""
    item_type: str = ""
    status: str = ""
    tag: str = ""
    author: str = ""
    source: str = ""
    language: str = ""
    difficulty_min: float | None = None
    difficulty_max: float | None = None
    created_by_id: int | None = None

    @classmethod
    def from_args(cls, args) -> SearchFilters:
        """From query-string arguments; bad values are 400s that name the field."""
        values = {}
        for f in fields(cls):
            raw = args.get(f.name)
            if raw in (None, ""):
                continue
            if f.name in ("grade", "created_by_id"):
                if not str(raw).isdigit():
                    raise ApiError("bad_filter", f"{f.name} must be a whole number", 400, f.name)
                values[f.name] = int(raw)
            elif f.name.startswith("difficulty"):
                try:
                    values[f.name] = float(raw)
                except ValueError:
                    raise ApiError("bad_filter", f"{f.name} must be a number", 400, f.name) from None
            else:
                values[f.name] = str(raw)[:200]
        filters = cls(**values)
        filters.check()
        return filters

    def check(self) -> None:
        choices = {"subject": SUBJECTS, "language": LANGUAGES,
                   "cognitive_level": tuple(c.value for c in CognitiveLevel),
                   "status": tuple(s.value for s in VersionStatus)}
        for name, allowed in choices.items():
            value = getattr(self, name)
            if value and value not in allowed:
                raise ApiError("bad_filter", f"{name} is one of: {', '.join(allowed)}", 400, name)


def _contains(column, text: str):
    return column.like("%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%",
                       escape="\\")


def build_query(filters: SearchFilters) -> Select:
    v = ItemVersion
    query = select(v).join(ItemRow, ItemRow.latest_version_id == v.id)
    for word in fold(filters.q).split()[:10]:
        query = query.where(_contains(v.search_text, word))
    exact = {"subject": v.subject, "grade": v.grade, "cognitive_level": v.cognitive_level,
             "item_type": v.item_type, "language": v.language, "created_by_id": v.created_by_id}
    for name, column in exact.items():
        value = getattr(filters, name)
        if value not in (None, ""):
            query = query.where(column == value)
    if filters.status:
        query = query.where(v.status == VersionStatus(filters.status))
    if filters.topic:
        query = query.where(v.topic == filters.topic)  # topics are picked from the bank's own list
    for name, column in {"learning_outcome": v.learning_outcome_folded, "author": v.author_folded,
                         "source": v.source_folded}.items():
        value = getattr(filters, name)
        if value:
            query = query.where(_contains(column, fold(value)))
    if filters.tag:
        query = query.where(_contains(v.tags_text, "|" + fold(filters.tag) + "|"))
    if filters.difficulty_min is not None:
        query = query.where(v.difficulty >= filters.difficulty_min)
    if filters.difficulty_max is not None:
        query = query.where(v.difficulty <= filters.difficulty_max)
    return query


def search(filters: SearchFilters, page: int = 1, per_page: int = 20) -> tuple[list[ItemVersion], int]:
    page = max(1, page)
    per_page = min(max(1, per_page), 100)
    query = build_query(filters)
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = session.scalars(query.order_by(ItemVersion.item_id.desc())
                           .offset((page - 1) * per_page).limit(per_page))
    return list(rows), int(total or 0)


def topics_in_use(limit: int = 500) -> list[str]:
    """Topics of the latest versions, for the topic filter and the editor's suggestions."""
    query = (select(ItemVersion.topic).join(ItemRow, ItemRow.latest_version_id == ItemVersion.id)
             .where(ItemVersion.topic != "").distinct().order_by(ItemVersion.topic).limit(limit))
    return list(session.scalars(query))


def review_queue(user_id: int, limit: int = 100) -> tuple[list[ItemVersion], list[ItemVersion]]:
    """Versions in review: (by other authors, for this user to review; this user's own, waiting).
    Split in the query, so a user's own pile never hides other teachers' items."""
    in_review = build_query(SearchFilters(status=VersionStatus.IN_REVIEW.value)).order_by(ItemVersion.id)
    others = session.scalars(in_review.where(ItemVersion.created_by_id != user_id).limit(limit))
    own = session.scalars(in_review.where(ItemVersion.created_by_id == user_id).limit(limit))
    return list(others), list(own)
