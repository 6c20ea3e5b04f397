"""Read functions for followers (the indicators): item versions' metadata as plain values, in
one statement per call."""
from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from sqlalchemy import select

from exam_server.bank.models import ItemVersion
from exam_server.core.db import session


class VersionMetadata(NamedTuple):
    topic: str
    cognitive_level: str


def version_metadata(version_ids: Iterable[int]) -> dict[int, VersionMetadata]:
    ids = set(version_ids)
    if not ids:
        return {}
    rows = session.execute(select(ItemVersion.id, ItemVersion.topic, ItemVersion.cognitive_level)
                           .where(ItemVersion.id.in_(ids)))
    return {row[0]: VersionMetadata(row[1] or "", row[2] or "") for row in rows}
