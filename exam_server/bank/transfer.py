"""Moving items in and out of the bank: QTI packages and spreadsheets.

An import stores every item it can as a draft (QTI: per-item errors are reported, the rest
import; re-importing an unchanged item is skipped). A spreadsheet is all or nothing: the caller
rolls back when any row has an error.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from exam_server.accounts.models import User
from exam_server.bank import media as media_store
from exam_server.bank import services
from exam_server.bank.models import Item as ItemRow
from exam_server.bank.models import ItemVersion
from exam_server.bank.search import SearchFilters, build_query
from exam_server.core.db import session
from exam_server.core.errors import ApiError
from item_bank import qti, spreadsheet
from item_bank.model import Item, ItemValidationError
from item_bank.serialize import item_to_dict

MAX_EXPORT_ITEMS = 5000


@dataclass
class TransferReport:
    imported: int = 0
    skipped: int = 0
    errors: list[dict] = field(default_factory=list)
    identifiers: list[str] = field(default_factory=list)

    def as_json(self) -> dict:
        return {"imported": self.imported, "skipped": self.skipped, "errors": self.errors,
                "identifiers": self.identifiers}


def _same_content(version: ItemVersion, item: Item) -> bool:
    stored = item_to_dict(services.version_to_item(version))
    incoming = item_to_dict(item)
    stored["metadata"].pop("author", None)
    incoming["metadata"].pop("author", None)
    return stored == incoming


def _no_progress(done: int, total: int | None = None, message: str | None = None) -> None:
    """The progress callback of work run in a request (a background job passes its own)."""


def store_items(items: list[Item], actor: User, report: TransferReport, *, source: str,
                progress: Callable[..., None] = _no_progress) -> None:
    """Create each item, or add a version when its identifier exists and the content changed."""
    for n, item in enumerate(items):
        if n % 100 == 0:
            progress(n)
        existing = session.scalar(select(ItemRow).where(ItemRow.identifier == item.identifier))
        if existing is not None and _same_content(existing.latest_version, item):
            report.skipped += 1
            continue
        if existing is None:
            services.create_item(item, actor, action=f"import_{source}")
        else:
            services.revise_item(item.identifier, item, actor, comment=f"re-imported from {source}")
        report.imported += 1
        report.identifiers.append(item.identifier)


def import_qti(source: bytes | Path, filename: str, actor: User, defaults: dict,
               progress: Callable[..., None] = _no_progress) -> TransferReport:
    """Import from uploaded bytes or a path (file, zip or folder)."""
    try:
        package = qti.read_package(source, defaults=defaults)
    except qti.QtiError as exc:
        raise ApiError("bad_package", f"{filename}: {exc}", 422, "file") from None
    errors = list(package.errors)
    if isinstance(source, bytes) and not source.startswith(b"PK"):
        # A single uploaded XML file is read under a placeholder name: report the real one.
        errors = [{**e, "file": filename if e["file"] == "item.xml" else e["file"]} for e in errors]
    report = TransferReport(skipped=package.skipped, errors=errors)
    progress(0, len(package.items), "items")
    for n, imported in enumerate(package.items):
        progress(n)
        # Each item in its own savepoint: one that fails here is reported and the rest still land.
        try:
            with session.begin_nested():
                for blob in imported.media.values():
                    media_store.store_media(blob, max_bytes=10 * 1024 * 1024)
                store_items([imported.item], actor, report, source="qti")
        except (ItemValidationError, ApiError) as exc:
            report.errors.append({"file": imported.file, "reason": getattr(exc, "message", str(exc))})
    return report


def import_spreadsheet(data: bytes, filename: str, actor: User, defaults: dict,
                       progress: Callable[..., None] = _no_progress) -> TransferReport:
    try:
        sheet = spreadsheet.parse_spreadsheet(data, filename, defaults)
    except spreadsheet.SpreadsheetError as exc:
        raise ApiError("bad_spreadsheet", str(exc), 422, "file") from None
    report = TransferReport(errors=[{"file": filename, **error} for error in sheet.errors])
    if not sheet.errors:
        progress(0, len(sheet.items), "items")
        store_items(sheet.items, actor, report, source="spreadsheet", progress=progress)
        progress(len(sheet.items))
    return report


def export_qti(identifiers: list[str], filters: SearchFilters) -> bytes:
    if identifiers:
        versions = [services.get_version(i) for i in identifiers[:MAX_EXPORT_ITEMS]]
    else:
        versions = list(session.scalars(build_query(filters).limit(MAX_EXPORT_ITEMS)))
    items = [services.version_to_item(v) for v in versions]

    def load(name: str) -> bytes:
        stored = media_store.load_media(name)
        if stored is None:
            raise ApiError("missing_media", f"Image {name} is not in the bank.", 409)
        return stored.data

    return qti.write_package(items, load)
